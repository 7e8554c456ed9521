/** Reading test cases: both formats, strictly, with positions. */
import { describe, expect, it } from 'vitest';
import { parsePolicyTests } from '../../src/testing/cases.js';
import type { PolicyTestCase } from '../../src/testing/types.js';
import { FORMAT_ERRORS } from './format-errors.table.js';

const errorsOf = (text: string, file = 't.test.yaml') => parsePolicyTests(file, text).issues.filter((i) => i.severity === 'error');

/** Parses text that must read cleanly and returns its cases. */
function casesOf(text: string, file = 't.test.yaml'): PolicyTestCase[] {
  const { cases, issues } = parsePolicyTests(file, text);
  expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  return cases;
}

describe('the PolicyTest format', () => {
  it('reads every field of a case into the request, time and expectation', () => {
    const text = [
      'apiVersion: warden/v1',
      'kind: PolicyTest',
      'name: shop-tests',
      'description: everything a case can say',
      'cases:',
      '  - name: full',
      '    description: all keys',
      '    request:',
      '      tool: deploy',
      '      args: { target: prod, n: 3, flags: [a, b], nested: { ok: true, none: null } }',
      '      agent: { id: ci, roles: [bot], labels: { team: infra }, did: "did:web:ci", ring: 2, trust: 700 }',
      '      context: { environment: production }',
      '    now: "2026-06-01T12:00:00+02:00"',
      '    expect: { effect: deny, rule: bots-deploy, reason: staging }',
      '  - name: minimal',
      '    request: { tool: read_file }',
      '    expect: { effect: allow, rule: null }',
    ].join('\n');
    const cases = casesOf(text);
    expect(cases).toEqual([
      {
        name: 'full',
        request: {
          tool: 'deploy',
          args: { target: 'prod', n: 3, flags: ['a', 'b'], nested: { ok: true, none: null } },
          agent: { id: 'ci', roles: ['bot'], labels: { team: 'infra' }, did: 'did:web:ci', ring: 2, trust: 700 },
          context: { environment: 'production' },
        },
        now: new Date('2026-06-01T10:00:00Z'),
        expect: { effect: 'deny', rule: 'bots-deploy', reason: 'staging' },
        where: { file: 't.test.yaml', line: 6, col: 5 },
        suite: 'shop-tests',
        format: 'warden',
      },
      { name: 'minimal', request: { tool: 'read_file', args: {} }, expect: { effect: 'allow', rule: null }, where: { file: 't.test.yaml', line: 15, col: 5 }, suite: 'shop-tests', format: 'warden' },
    ]);
  });

  it('reads JSON the same way, and names the suite after the file when the document has no name', () => {
    const json = JSON.stringify({ apiVersion: 'warden/v1', kind: 'PolicyTest', cases: [{ name: 'j', request: { tool: 't', args: { a: [1, { b: 'c' }] } }, expect: { effect: 'warn', reason: 'x' } }] }, null, 2);
    const [c] = casesOf(json, 'cases/j.test.json');
    expect(c).toEqual({ name: 'j', request: { tool: 't', args: { a: [1, { b: 'c' }] } }, expect: { effect: 'warn', reason: 'x' }, where: { file: 'cases/j.test.json', line: 5, col: 5 }, suite: 'cases/j.test.json', format: 'warden' });
  });

  it('reads every document of a multi-document file', () => {
    const doc = (n: string) => `apiVersion: warden/v1\nkind: PolicyTest\nname: ${n}\ncases: [{ name: ${n}-case, request: { tool: t }, expect: { effect: allow } }]\n`;
    const cases = casesOf(`${doc('one')}---\n${doc('two')}`);
    expect(cases.map((c) => [c.suite, c.name, c.where?.line])).toEqual([
      ['one', 'one-case', 4],
      ['two', 'two-case', 9],
    ]);
  });

  it('keeps __proto__, constructor and toString as ordinary argument keys', () => {
    const [c] = casesOf('apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: p\n    request: { tool: t, args: { __proto__: { approved: true }, constructor: x, toString: 1 } }\n    expect: { effect: deny }\n');
    const args = c?.request.args as Record<string, unknown>;
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(Object.keys(args)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(args, '__proto__')?.value).toEqual({ approved: true });
    expect((args as { approved?: unknown }).approved).toBeUndefined();
  });

  it('follows aliases, so cases can share an agent', () => {
    const cases = casesOf(
      'apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: a\n    request: { tool: t, agent: &bot { id: ci, roles: [bot] } }\n    expect: { effect: deny }\n  - name: b\n    request: { tool: u, agent: *bot }\n    expect: { effect: deny }\n',
    );
    expect(cases.map((c) => c.request.agent)).toEqual([
      { id: 'ci', roles: ['bot'] },
      { id: 'ci', roles: ['bot'] },
    ]);
  });

  it('stops an alias expansion bomb at the node limit instead of building it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 8; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const text = `apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: bomb\n    request:\n      tool: t\n      args:\n${lines.map((l) => `        ${l}`).join('\n')}\n    expect: { effect: deny }\n`;
    const errs = errorsOf(text);
    expect(errs.map((e) => e.code)).toEqual(['too_large']);
  });

  it('refuses data nested deeper than 64 levels, with the position of the deepest value', () => {
    const depth = 70;
    const nested = `${'{ a: '.repeat(depth)}1${' }'.repeat(depth)}`;
    const errs = errorsOf(`apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: deep\n    request: { tool: t, args: ${nested} }\n    expect: { effect: deny }\n`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'too_deep', line: 5 });
  });
});

describe('format errors are reported with file:line:col', () => {
  it.each(FORMAT_ERRORS.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    const errs = errorsOf(c.text, c.file);
    expect(errs).toContainEqual(expect.objectContaining({ code: c.code, line: c.line, col: c.col, file: c.file ?? 't.test.yaml', message: expect.stringContaining(c.says) }));
    for (const e of errs) expect(e.line).toBeGreaterThan(0);
  });

  it('reports every error of a file, not only the first', () => {
    const text = 'apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: a\n    request: { tool: 1 }\n    expect: { effect: nope }\n  - name: b\n    reqest: {}\n    expect: { effect: allow }\n';
    expect(errorsOf(text).map((e) => [e.code, e.line])).toEqual([
      ['wrong_type', 5],
      ['unknown_value', 6],
      ['unknown_key', 8],
      ['missing_key', 7],
    ]);
  });
});

describe('Agent Governance Toolkit fixtures', () => {
  /** Fixture text and the case it must become (name and format are the id and 'agt'). */
  const MAPPINGS: Array<{ what: string; text: string; request: PolicyTestCase['request']; expect: PolicyTestCase['expect']; now?: Date }> = [
    {
      what: 'a string action with agent_did and context (the shape of AGT policy-replay fixtures)',
      text: '{"id":"f","input":{"action":"sql_execute","agent_did":"did:web:analytics","context":{"statement":"SELECT 1","endpoint":"pg"}},"expected_verdict":"allow","expected_rule":"production-reads","recorded_at":"2026-05-22T10:05:00Z"}',
      request: { tool: 'sql_execute', args: {}, agent: { id: 'did:web:analytics', did: 'did:web:analytics' }, context: { statement: 'SELECT 1', endpoint: 'pg' } },
      expect: { effect: 'allow', rule: 'production-reads' },
      now: new Date('2026-05-22T10:05:00Z'),
    },
    {
      what: 'agent_id, resource, tool_name and parameters beside a string action',
      text: '{"id":"f","input":{"action":"sql_execute","resource":"production-db","agent_id":"agent-01","tool_name":"sql_executor","parameters":{"query":"SELECT 1"}},"expected_verdict":"deny","tags":["prod"],"description":"d"}',
      request: { tool: 'sql_execute', args: { query: 'SELECT 1' }, agent: { id: 'agent-01' }, context: { resource: 'production-db', tool_name: 'sql_executor' } },
      expect: { effect: 'deny' },
    },
    {
      what: 'both agent_id and agent_did',
      text: 'id: f\ninput: { action: t, agent_id: a1, agent_did: "did:web:a" }\nexpected_verdict: allow\n',
      request: { tool: 't', args: {}, agent: { id: 'a1', did: 'did:web:a' } },
      expect: { effect: 'allow' },
    },
    {
      what: 'an action object with type and parameters',
      text: 'id: f\ninput: { action: { type: http_get, parameters: { url: "https://x.test" } } }\nexpected_verdict: deny\n',
      request: { tool: 'http_get', args: { url: 'https://x.test' } },
      expect: { effect: 'deny' },
    },
    {
      what: 'an action object with name and args',
      text: 'id: f\ninput: { action: { name: search, args: { q: x } } }\nexpected_verdict: allow\n',
      request: { tool: 'search', args: { q: 'x' } },
      expect: { effect: 'allow' },
    },
    {
      what: 'an action object whose other keys are its arguments',
      text: 'id: f\ninput: { action: { type: export, name: export, rows: 5, to: s3 } }\nexpected_verdict: warn\n',
      request: { tool: 'export', args: { rows: 5, to: 's3' } },
      expect: { effect: 'warn' },
    },
    {
      what: 'a log verdict, expected as allow',
      text: 'id: f\ninput: { action: search, args: { q: x } }\nexpected_verdict: log\n',
      request: { tool: 'search', args: { q: 'x' } },
      expect: { effect: 'allow', verdict: 'log' },
    },
    {
      what: 'require_approval and a null expected rule',
      text: 'id: f\ninput: { action: pay }\nexpected_verdict: require_approval\nexpected_rule: null\n',
      request: { tool: 'pay', args: {} },
      expect: { effect: 'require_approval', rule: null },
    },
    {
      what: 'resolution_metadata.rule_id standing in for expected_rule',
      text: 'id: f\ninput: { action: t }\nexpected_verdict: deny\nresolution_metadata: { rule_id: r1, strategy: deny-overrides }\n',
      request: { tool: 't', args: {} },
      expect: { effect: 'deny', rule: 'r1' },
    },
    {
      what: 'expected_rule and a rule_id that agree',
      text: 'id: f\ninput: { action: t }\nexpected_verdict: deny\nexpected_rule: r1\nresolution_metadata: { rule_id: r1 }\n',
      request: { tool: 't', args: {} },
      expect: { effect: 'deny', rule: 'r1' },
    },
    {
      what: 'context keys named like prototype members',
      text: '{"id":"f","input":{"action":"t","context":{"__proto__":{"admin":true},"constructor":1}},"expected_verdict":"deny"}',
      request: { tool: 't', args: {}, context: JSON.parse('{"__proto__":{"admin":true},"constructor":1}') as Record<string, unknown> },
      expect: { effect: 'deny' },
    },
  ];

  it.each(MAPPINGS.map((m) => [m.what, m] as const))('maps %s', (_what, m) => {
    const [c, ...rest] = casesOf(m.text, 'f.json');
    expect(rest).toEqual([]);
    expect(c?.name).toBe('f');
    expect(c?.format).toBe('agt');
    expect(c?.request).toEqual(m.request);
    expect(c?.expect).toEqual(m.expect);
    expect(c?.now).toEqual(m.now);
    expect(c?.suite).toBe('f.json');
  });

  it('keeps a prototype-named context key as own data, never as a prototype', () => {
    const [c] = casesOf('{"id":"f","input":{"action":"t","context":{"__proto__":{"admin":true}}},"expected_verdict":"deny"}');
    const context = c?.request.context as Record<string, unknown>;
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
    expect(Object.hasOwn(context, '__proto__')).toBe(true);
    expect((context as { admin?: unknown }).admin).toBeUndefined();
  });

  it('reads a top-level list of fixtures, each at its own line', () => {
    const cases = casesOf('- id: a\n  input: { action: t }\n  expected_verdict: allow\n- id: b\n  input: { action: u }\n  expected_verdict: deny\n');
    expect(cases.map((c) => [c.name, c.request.tool, c.expect.effect, c.where?.line])).toEqual([
      ['a', 't', 'allow', 1],
      ['b', 'u', 'deny', 4],
    ]);
  });

  it('warns, without failing, about a fixture recorded under another conflict strategy', () => {
    const { cases, issues } = parsePolicyTests('f.json', 'id: f\ninput: { action: t }\nexpected_verdict: allow\nresolution_metadata: { strategy: allow-overrides }\n');
    expect(cases).toHaveLength(1);
    expect(issues).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'strategy_ignored', line: 4, col: 34, message: expect.stringContaining('"allow-overrides" strategy; Warden always resolves conflicts deny-overrides') }),
    ]);
  });

  it('takes a Warden document in the same file stream as its own format', () => {
    const text = 'id: f\ninput: { action: t }\nexpected_verdict: allow\n---\napiVersion: warden/v1\nkind: PolicyTest\ncases: [{ name: w, request: { tool: t }, expect: { effect: allow } }]\n';
    expect(casesOf(text).map((c) => [c.name, c.format])).toEqual([
      ['f', 'agt'],
      ['w', 'warden'],
    ]);
  });
});

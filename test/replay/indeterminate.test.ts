import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDecisionBody, chainRecord, GENESIS_HASH, type AuditDecisionRecord, type RedactionNote } from '../../src/audit/record.js';
import type { DecisionEvent } from '../../src/decision.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { AgentIdentity, Decision } from '../../src/decision.js';
import { hiddenFields, pathsOverlap } from '../../src/replay/hidden-fields.js';
import { replay } from '../../src/replay/replay.js';

const HMAC = Buffer.from('replay-test-secret-0123456789abcdef');

describe('hiddenFields maps redaction notes onto the paths rules read', () => {
  const cases: Array<[string, RedactionNote[], { everything: boolean; paths: string[]; args: boolean }]> = [
    ['nothing redacted', [], { everything: false, paths: [], args: false }],
    ['a member of args', [{ path: '$.request.args.password', kind: 'password' }], { everything: false, paths: ['args.password'], args: true }],
    ['a quoted member', [{ path: '$.request.args["x-api-key"]', kind: 'api_key' }], { everything: false, paths: ['args.x-api-key'], args: true }],
    ['a quoted member holding quotes and brackets', [{ path: '$.request.args["a\\"]b"].c', kind: 'k' }], { everything: false, paths: ['args.a"]b.c'], args: true }],
    ['a nested member', [{ path: '$.request.args.headers.Authorization', kind: 'authorization' }], { everything: false, paths: ['args.headers.Authorization'], args: true }],
    ['an array position ends the path', [{ path: '$.request.args.items[3].secret', kind: 'secret' }], { everything: false, paths: ['args.items'], args: true }],
    ['a redacted key name hides its parent object', [{ path: '$.request.args.cfg["[REDACTED:stripe_key]"]#key', kind: 'stripe_key' }], { everything: false, paths: ['args.cfg'], args: true }],
    ['a redacted key name at the top of args hides args', [{ path: '$.request.args["[REDACTED:stripe_key]"]#key', kind: 'stripe_key' }], { everything: false, paths: ['args'], args: true }],
    ['oversize hides args and context', [{ path: '$.request.args', kind: 'oversize' }], { everything: false, paths: ['args', 'context'], args: true }],
    ['a context member', [{ path: '$.request.context.session_token', kind: 'token' }], { everything: false, paths: ['context.session_token'], args: false }],
    ['an agent label', [{ path: '$.agent.labels.token', kind: 'token' }], { everything: false, paths: ['agent.labels.token'], args: false }],
    ['the decision reason hides nothing rules read', [{ path: '$.decision.reason', kind: 'password' }], { everything: false, paths: [], args: false }],
    ['the outcome hides nothing rules read', [{ path: '$.outcome.reason', kind: 'password' }], { everything: false, paths: [], args: false }],
    ['duplicates collapse', [{ path: '$.request.args.a', kind: 'x' }, { path: '$.request.args.a', kind: 'y' }], { everything: false, paths: ['args.a'], args: true }],
  ];
  it.each(cases)('%s', (_name, notes, want) => {
    const got = hiddenFields(notes);
    expect({ everything: got.everything, paths: [...got.paths], args: got.args }).toEqual(want);
  });

  const everything: Array<[string, string]> = [
    ['the tool name', '$.request.tool'],
    ['the whole request', '$.request'],
    ['an unknown member of the request', '$.request.session'],
    ['an unknown root', '$.policyDigest'],
    ['a path without $', 'request.args.password'],
    ['a broken bracket', '$.request.args["x'],
    ['a non-numeric index', '$.request.args[x]'],
    ['trailing garbage', '$.request.args.a b'],
    ['a number where a name belongs', '$.request.args.1a'],
  ];
  it.each(everything)('treats %s as hiding everything', (_name, path) => {
    expect(hiddenFields([{ path, kind: 'k' }]).everything).toBe(true);
  });

  it('treats a note without a string path as hiding everything', () => {
    expect(hiddenFields([{ kind: 'k' } as unknown as RedactionNote]).everything).toBe(true);
  });

  const overlaps: Array<[string, string, boolean]> = [
    ['args.password', 'args.password', true],
    ['args', 'args.password', true],
    ['args.password.x', 'args.password', true],
    ['args.pass', 'args.password', false],
    ['args.password', 'args.pass', false],
    ['args.path', 'args.password', false],
    ['context', 'args', false],
    ['argsx', 'args', false],
  ];
  it.each(overlaps)('pathsOverlap(%s, %s) is %s', (read, hidden, want) => {
    expect(pathsOverlap(read, hidden)).toBe(want);
  });
});

function policy(rules: string, extra = ''): string {
  return `apiVersion: warden/v1\nkind: Policy\nname: cand\n${extra}rules:\n${rules}`;
}

const RECORDED: Decision = { effect: 'allow', allowed: true, rule: 'old', policy: 'old', reason: 'old', approvers: [], errors: [], policyDigest: `sha256:${'1'.repeat(64)}` };

interface Case {
  name: string;
  rules: string;
  extra?: string;
  request: DecisionEvent['request'];
  agent?: AgentIdentity;
  maxRecordBytes?: number;
  recorded?: Decision;
  baseline?: string;
  /** true: indeterminate; false: determinate (unchanged or changed). */
  indeterminate: boolean;
  /** Start of the reason, for indeterminate cases. */
  reason?: string;
}

const T = '2025-06-01T00:00:00.000Z';

describe('a record is indeterminate exactly when an evaluated rule reads redacted data', () => {
  const cases: Case[] = [
    {
      name: 'a deny rule reads the redacted password',
      rules: `  - name: weak\n    tools: [login]\n    when: "args.password == 'hunter2'"\n    effect: deny\n  - name: ok\n    tools: [login]\n    effect: allow\n`,
      request: { tool: 'login', args: { user: 'a', password: 'hunter2' } },
      indeterminate: true,
      reason: 'candidate rule "weak" of policy "cand" reads args.password',
    },
    {
      name: 'the rules read only a field that was not redacted',
      rules: `  - name: admin\n    tools: [login]\n    when: "args.user == 'root'"\n    effect: deny\n  - name: ok\n    tools: [login]\n    effect: allow\n`,
      request: { tool: 'login', args: { user: 'a', password: 'hunter2' } },
      indeterminate: false,
    },
    {
      name: 'a rule guards the redacted field with has()',
      rules: `  - name: pw\n    tools: [login]\n    when: "has(args.password)"\n    effect: deny\n`,
      request: { tool: 'login', args: { password: 'hunter2' } },
      indeterminate: true,
    },
    {
      name: 'a rule reads the whole args map',
      rules: `  - name: small\n    tools: [login]\n    when: "size(args) > 1"\n    effect: deny\n`,
      request: { tool: 'login', args: { user: 'a', password: 'hunter2' } },
      indeterminate: true,
    },
    {
      name: 'a rule reads a facet while something under args was redacted',
      rules: `  - name: curl\n    tools: [bash]\n    when: "shell.programs.exists(p, p == 'curl')"\n    effect: deny\n  - name: ok\n    tools: [bash]\n    effect: allow\n`,
      extra: 'facets:\n  - tools: [bash]\n    shell: { from: args.command }\n',
      request: { tool: 'bash', args: { command: 'ls', password: 'hunter2' } },
      indeterminate: true,
      reason: 'candidate rule "curl" of policy "cand" reads shell',
    },
    {
      name: 'a rule reads the urls facet while a nested arg was redacted',
      rules: `  - name: egress\n    tools: [fetch]\n    when: "urls.exists(u, u.host == 'evil.com')"\n    effect: deny\n  - name: ok\n    tools: [fetch]\n    effect: allow\n`,
      request: { tool: 'fetch', args: { target: { url: 'https://a.com', api_key: 'k-123' } } },
      indeterminate: true,
    },
    {
      name: 'a facet rule when only the context was redacted',
      rules: `  - name: curl\n    tools: [bash]\n    when: "shell.programs.exists(p, p == 'curl')"\n    effect: deny\n  - name: ok\n    tools: [bash]\n    effect: allow\n`,
      extra: 'facets:\n  - tools: [bash]\n    shell: { from: args.command }\n',
      request: { tool: 'bash', args: { command: 'ls' }, context: { session_token: 'abc' } },
      indeterminate: false,
    },
    {
      name: 'a rule reads a sibling of a redacted context member',
      rules: `  - name: prod\n    tools: [t]\n    when: "context.environment == 'prod'"\n    effect: deny\n`,
      request: { tool: 't', args: {}, context: { environment: 'prod', session_token: 'abc' } },
      indeterminate: false,
    },
    {
      name: 'a rule reads the redacted context member',
      rules: `  - name: tok\n    tools: [t]\n    when: "context.session_token == 'abc'"\n    effect: deny\n`,
      request: { tool: 't', args: {}, context: { session_token: 'abc' } },
      indeterminate: true,
    },
    {
      name: 'a rule reads the object that holds a redacted member',
      rules: `  - name: auth\n    tools: [http]\n    when: "'Authorization' in args.headers"\n    effect: allow\n`,
      request: { tool: 'http', args: { headers: { Authorization: 'Bearer abcdefghijklmnop' } } },
      indeterminate: true,
    },
    {
      name: 'a list member was redacted and the rule reads the list',
      rules: `  - name: items\n    tools: [t]\n    when: "args.items.exists(i, i.secret == 'x')"\n    effect: deny\n  - name: ok\n    tools: [t]\n    effect: allow\n`,
      request: { tool: 't', args: { items: [{ secret: 'x' }], user: 'a' } },
      indeterminate: true,
    },
    {
      name: 'a list member was redacted and the rule reads another field',
      rules: `  - name: user\n    tools: [t]\n    when: "args.user == 'root'"\n    effect: deny\n  - name: ok\n    tools: [t]\n    effect: allow\n`,
      request: { tool: 't', args: { items: [{ secret: 'x' }], user: 'a' } },
      indeterminate: false,
    },
    {
      name: 'a key name was redacted and the rule reads a sibling (the original name is unknown)',
      rules: `  - name: amount\n    tools: [pay]\n    when: "args.amount > 100.0"\n    effect: deny\n  - name: ok\n    tools: [pay]\n    effect: allow\n`,
      request: { tool: 'pay', args: { amount: 5, sk_live_4eC39HqLyjWDarjtT1zdp7dc: 1 } },
      indeterminate: true,
    },
    {
      name: 'oversize arguments and a rule that reads one',
      rules: `  - name: big\n    tools: [upload]\n    when: "args.name == 'x'"\n    effect: deny\n  - name: ok\n    tools: [upload]\n    effect: allow\n`,
      request: { tool: 'upload', args: { name: 'x', blob: 'b'.repeat(8000) } },
      maxRecordBytes: 4096,
      indeterminate: true,
    },
    {
      name: 'oversize arguments and a rule that reads the context (dropped with them)',
      rules: `  - name: prod\n    tools: [upload]\n    when: "context.environment == 'prod'"\n    effect: deny\n  - name: ok\n    tools: [upload]\n    effect: allow\n`,
      request: { tool: 'upload', args: { blob: 'b'.repeat(8000) }, context: { environment: 'prod' } },
      maxRecordBytes: 4096,
      indeterminate: true,
    },
    {
      name: 'oversize arguments and rules that read neither args nor context',
      rules: `  - name: role\n    tools: [upload]\n    when: "'admin' in agent.roles"\n    effect: allow\n`,
      request: { tool: 'upload', args: { blob: 'b'.repeat(8000) } },
      maxRecordBytes: 4096,
      indeterminate: false,
    },
    {
      name: 'the rule reading the redacted field comes after the deciding rule',
      rules: `  - name: no-deletes\n    tools: [delete]\n    effect: deny\n  - name: pw\n    tools: [delete]\n    when: "args.password == 'x'"\n    effect: allow\n`,
      request: { tool: 'delete', args: { password: 'hunter2' } },
      indeterminate: false,
    },
    {
      name: 'a deny rule evaluated before the deciding allow reads the redacted field',
      rules: `  - name: ok\n    tools: [delete]\n    effect: allow\n  - name: pw\n    tools: [delete]\n    when: "args.password == 'x'"\n    effect: deny\n`,
      request: { tool: 'delete', args: { password: 'hunter2' } },
      indeterminate: true,
    },
    {
      name: 'the default decides after a rule that read the redacted field',
      rules: `  - name: pw\n    tools: [delete]\n    when: "args.password == 'x'"\n    effect: allow\n`,
      request: { tool: 'delete', args: { password: 'hunter2' } },
      indeterminate: true,
    },
    {
      name: 'a rule for another tool reads the redacted field',
      rules: `  - name: pw\n    tools: [login]\n    when: "args.password == 'x'"\n    effect: deny\n  - name: ok\n    tools: [delete]\n    effect: allow\n`,
      request: { tool: 'delete', args: { password: 'hunter2' } },
      indeterminate: false,
    },
    {
      name: 'a rule reads a redacted agent label',
      rules: `  - name: lab\n    tools: [t]\n    when: "agent.labels.token == 'x'"\n    effect: deny\n`,
      request: { tool: 't', args: {} },
      agent: { id: 'a', labels: { token: 'abc' } },
      indeterminate: true,
    },
    {
      name: 'a rule reads the agent id while a label was redacted',
      rules: `  - name: who\n    tools: [t]\n    when: "agent.id == 'a'"\n    effect: deny\n`,
      request: { tool: 't', args: {} },
      agent: { id: 'a', labels: { token: 'abc' } },
      indeterminate: false,
    },
    {
      name: 'only the recorded reason was redacted',
      rules: `  - name: pw\n    tools: [t]\n    when: "args.x == 'y'"\n    effect: deny\n`,
      request: { tool: 't', args: { x: 'y' } },
      recorded: { ...RECORDED, reason: 'password=hunter2secret' },
      indeterminate: false,
    },
    {
      name: 'the recorded decision refused the request as invalid and arguments were redacted',
      rules: `  - name: ok\n    tools: [t]\n    effect: allow\n`,
      request: { tool: 't', args: { password: 'hunter2' } },
      recorded: { ...RECORDED, effect: 'deny', allowed: false, rule: null, policy: null, reason: 'invalid_request' },
      indeterminate: true,
      reason: 'the request is refused as invalid on one side',
    },
    {
      name: 'baseline mode: a baseline rule reads the redacted field',
      rules: `  - name: ok\n    tools: [login]\n    effect: allow\n`,
      baseline: `  - name: pw\n    tools: [login]\n    when: "args.password == 'x'"\n    effect: deny\n  - name: ok\n    tools: [login]\n    effect: allow\n`,
      request: { tool: 'login', args: { password: 'hunter2' } },
      indeterminate: true,
      reason: 'baseline rule "pw" of policy "cand" reads args.password',
    },
    {
      name: 'baseline mode: neither side reads the redacted field',
      rules: `  - name: ok\n    tools: [login]\n    effect: allow\n`,
      baseline: `  - name: user\n    tools: [login]\n    when: "args.user == 'x'"\n    effect: deny\n`,
      request: { tool: 'login', args: { user: 'y', password: 'hunter2' } },
      indeterminate: false,
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const event: DecisionEvent = { ts: T, agent: c.agent ?? { id: 'agent-1', roles: ['dev'] }, request: c.request, decision: c.recorded ?? RECORDED };
    const body = buildDecisionBody(event, { hmacKey: HMAC, ...(c.maxRecordBytes !== undefined ? { maxRecordBytes: c.maxRecordBytes } : {}) });
    const rec = chainRecord(body, { seq: 1, stream: 's', prev: GENESIS_HASH }).record as AuditDecisionRecord;
    // The case must really carry a redaction, or it tests nothing.
    expect(rec.redactions.length).toBeGreaterThan(0);
    const candidate = compilePolicy([{ name: 'c.yaml', text: policy(c.rules, c.extra) }]);
    const baseline = c.baseline === undefined ? undefined : compilePolicy([{ name: 'b.yaml', text: policy(c.baseline) }]);
    const report = await replay([rec], candidate, { baseline });
    expect(report.decisions).toBe(1);
    expect(report.indeterminate).toBe(c.indeterminate ? 1 : 0);
    expect(report.unchanged + report.changed).toBe(c.indeterminate ? 0 : 1);
    if (c.reason !== undefined) expect(report.indeterminateExamples[0]?.indeterminate?.reason.startsWith(c.reason)).toBe(true);
  });

  it('an indeterminate record is never counted as unchanged, though on the redacted data the candidate allows it', async () => {
    // The real password matches the deny rule; the recorded marker does not, so a naive replay
    // would report "allow, unchanged" for a request the candidate actually denies.
    const secret = chainRecord(buildDecisionBody({ ts: T, agent: null, request: { tool: 'login', args: { password: '1234' } }, decision: RECORDED }, { hmacKey: HMAC }), {
      seq: 1,
      stream: 's',
      prev: GENESIS_HASH,
    }).record;
    const candidate = compilePolicy([{ name: 'c.yaml', text: policy(`  - name: pw\n    tools: [login]\n    when: "args.password == '1234'"\n    effect: deny\n  - name: ok\n    tools: [login]\n    effect: allow\n`) }]);
    const report = await replay([secret], candidate);
    expect([report.unchanged, report.changed, report.indeterminate]).toEqual([0, 0, 1]);
    expect(report.indeterminateExamples[0]?.after.effect).toBe('allow');
    expect(report.indeterminateExamples[0]?.indeterminate?.hidden).toEqual(['args.password']);
  });
});

describe('hiddenFields is sound for whatever the real redactor changes', () => {
  const key = fc.constantFrom('password', 'token', 'path', 'x-api-key', 'a.b', 'user', 'headers', 'Authorization', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'items', 'name', 'value', 'key');
  const leaf = fc.oneof(fc.constantFrom('hunter2', 'AKIAIOSFODNN7EXAMPLE', 'DB_PASSWORD', 'plain', 'Bearer abcdefghijklmnopqrstuvwxyz012345', '/etc/passwd'), fc.integer(), fc.boolean(), fc.constant(null));
  const tree = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
  }));
  const argsArb = fc.dictionary(key, tree.node, { maxKeys: 5 });

  /** Dot paths (stopping at lists) in `original` whose value or key the redacted copy does not hold unchanged. */
  function changedPaths(original: unknown, redacted: unknown, path: string, out: Set<string>): void {
    if (Array.isArray(original)) {
      if (JSON.stringify(original) !== JSON.stringify(redacted)) out.add(path);
      return;
    }
    if (original !== null && typeof original === 'object') {
      const copy = (redacted ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(original)) {
        if (!Object.prototype.hasOwnProperty.call(copy, k)) out.add(`${path}.${k}`);
        else changedPaths(v, copy[k], `${path}.${k}`, out);
      }
      return;
    }
    if (original !== redacted) out.add(path);
  }

  it('every changed field of args and context is covered by a hidden path', () => {
    fc.assert(
      fc.property(argsArb, argsArb, (args, context) => {
        const event: DecisionEvent = { ts: T, agent: null, request: { tool: 't', args, context }, decision: RECORDED };
        const body = buildDecisionBody(event, { hmacKey: HMAC });
        const hidden = hiddenFields(body.redactions);
        const changed = new Set<string>();
        changedPaths(args, body.request.args, 'args', changed);
        changedPaths(context, body.request.context, 'context', changed);
        for (const c of changed) expect(hidden.everything || hidden.paths.some((h) => pathsOverlap(c, h))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

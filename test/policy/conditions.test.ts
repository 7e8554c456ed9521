import { describe, it, expect } from 'vitest';
import { compilePolicy, type PolicySet } from '../../src/policy/index.js';

interface RuleDef {
  name: string;
  effect: 'allow' | 'deny' | 'require_approval' | 'warn';
  tools?: string[];
  when?: string;
  unless?: string;
  approvers?: string[];
}

/** A one-document set built from rule objects (as a { name, document } source, so no YAML quoting). */
function policy(rules: RuleDef[], def: 'allow' | 'deny' = 'deny'): PolicySet {
  return compilePolicy([{ name: 'p.json', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', default: def, rules } }]);
}

/** A deny rule on `when`, with an allow-everything fallback for tool t. */
function denyWhen(when: string): PolicySet {
  return policy([
    { name: 'guard', effect: 'deny', tools: ['t'], when },
    { name: 'fallback', effect: 'allow', tools: ['t'] },
  ]);
}

/** Only an allow rule on `when`; everything else falls to the default deny. */
function allowWhen(when: string): PolicySet {
  return policy([{ name: 'open', effect: 'allow', tools: ['t'], when }]);
}

describe('numbers from JSON compare naturally with int, uint and double literals', () => {
  const amounts: Array<[number, boolean]> = [
    [500, false],
    [500.5, false],
    [999.999, false],
    [1000, false],
    [1000.0, false],
    [1000.0000001, true],
    [1001, true],
    [1e308, true],
    [-1e308, false],
    [-0, false],
    [Number.MAX_SAFE_INTEGER, true],
    [2 ** 64, true],
  ];
  for (const literal of ['1000', '1000.0', '1000u', '1e3']) {
    const s = denyWhen(`args.amount > ${literal}`);
    it.each(amounts)(`args.amount > ${literal}: amount %s denies: %s`, (amount, denied) => {
      const d = s.decide({ tool: 't', args: { amount } });
      expect(d).toMatchObject({ effect: denied ? 'deny' : 'allow', rule: denied ? 'guard' : 'fallback', errors: [] });
    });
  }

  it.each([
    ['args.n == 3', 3, true],
    ['args.n == 3.0', 3, true],
    ['args.n == 3u', 3, true],
    ['args.n == 3', 3.5, false],
    ['args.n >= 3', 3, true],
    ['args.n <= 3u', 3, true],
    ['args.n < -1', -1.5, true],
    ['args.n in [1, 2, 3]', 2, true],
    ['args.n in [1, 2, 3]', 2.5, false],
    ['args.xs.size() == 3', 0, true],
  ])('%s with n = %s is %s', (cond, n, expected) => {
    const d = allowWhen(cond).decide({ tool: 't', args: { n, xs: [1, 2, 3] } });
    expect(d).toMatchObject({ effect: expected ? 'allow' : 'deny', rule: expected ? 'open' : null, errors: [] });
  });

  it.each([
    ['a string', '5000'],
    ['a bool', true],
    ['a list', [5000]],
    ['a map', { v: 5000 }],
    ['null', null],
  ])('a non-number amount (%s) is an evaluation error, so the deny rule applies', (_label, amount) => {
    const d = denyWhen('args.amount > 1000').decide({ tool: 't', args: { amount } });
    expect(d).toMatchObject({ effect: 'deny', rule: 'guard' });
    expect(d.errors.map((e) => [e.code, e.rule, e.policy])).toEqual([['condition_error', 'guard', 'p']]);
  });
});

describe('now is passed in, never read from the clock', () => {
  const s = policy([
    { name: 'embargo', effect: 'deny', tools: ['t'], when: "now < timestamp('2030-01-01T00:00:00Z')" },
    { name: 'business-hours', effect: 'allow', tools: ['t'], when: "now > timestamp('2020-01-01T00:00:00Z')" },
  ]);

  it('uses the time passed in', () => {
    expect(s.decide({ tool: 't', args: {} }, { now: new Date('2031-06-01T00:00:00Z') })).toMatchObject({ effect: 'allow', rule: 'business-hours', errors: [] });
    expect(s.decide({ tool: 't', args: {} }, { now: new Date('2025-06-01T00:00:00Z') })).toMatchObject({ effect: 'deny', rule: 'embargo', errors: [] });
  });

  it('a deny rule that reads now without it errors and applies (fail closed), and says why', () => {
    const d = s.decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'deny', rule: 'embargo' });
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatchObject({ code: 'condition_error', rule: 'embargo', policy: 'p' });
    expect(d.errors[0]?.message).toContain('now');
    expect(d.reason).toContain('could not be evaluated');
  });

  it('an invalid Date counts as absent', () => {
    expect(s.decide({ tool: 't', args: {} }, { now: new Date('not a date') })).toMatchObject({ effect: 'deny', rule: 'embargo' });
  });

  it('an allow rule that reads now without it does not apply', () => {
    const open = allowWhen("now > timestamp('2020-01-01T00:00:00Z')");
    const d = open.decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'deny', rule: null });
    expect(d.errors.map((e) => e.rule)).toEqual(['open']);
  });

  it('the same request at the same now gets the same decision', () => {
    const now = new Date('2029-12-31T23:59:59Z');
    expect(s.decide({ tool: 't', args: {} }, { now })).toEqual(s.decide({ tool: 't', args: {} }, { now: new Date(now.getTime()) }));
  });
});

describe('agent and context', () => {
  const s = allowWhen("agent.id == 'bot-1' && 'deployer' in agent.roles && agent.labels.team == 'ops'");

  it('reads agent.id, agent.roles and agent.labels', () => {
    const agent = { id: 'bot-1', roles: ['reader', 'deployer'], labels: { team: 'ops' } };
    expect(s.decide({ tool: 't', args: {}, agent })).toMatchObject({ effect: 'allow', rule: 'open', errors: [] });
  });

  it.each([
    ['another id', { id: 'bot-2', roles: ['deployer'], labels: { team: 'ops' } }],
    ['without the role', { id: 'bot-1', roles: ['reader'], labels: { team: 'ops' } }],
    ['with no roles', { id: 'bot-1', labels: { team: 'ops' } }],
    ['another team', { id: 'bot-1', roles: ['deployer'], labels: { team: 'dev' } }],
    ['without labels', { id: 'bot-1', roles: ['deployer'] }],
    ['no agent at all', undefined],
    ['a role differing in case', { id: 'bot-1', roles: ['Deployer'], labels: { team: 'ops' } }],
  ])('does not allow an agent with %s', (_label, agent) => {
    const req = agent === undefined ? { tool: 't', args: {} } : { tool: 't', args: {}, agent };
    expect(s.decide(req)).toMatchObject({ effect: 'deny', rule: null });
  });

  it('an empty roles list matches no role', () => {
    expect(allowWhen("'admin' in agent.roles").decide({ tool: 't', args: {}, agent: { id: 'a', roles: [] } })).toMatchObject({ effect: 'deny', rule: null, errors: [] });
  });

  it('reads context fields', () => {
    const prod = denyWhen("context.environment == 'prod'");
    expect(prod.decide({ tool: 't', args: {}, context: { environment: 'prod' } }).rule).toBe('guard');
    expect(prod.decide({ tool: 't', args: {}, context: { environment: 'dev' } }).rule).toBe('fallback');
  });

  it('a deny rule on a context field that is missing applies (fail closed)', () => {
    const d = denyWhen("context.environment == 'prod'").decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'deny', rule: 'guard' });
    expect(d.errors[0]?.code).toBe('condition_error');
  });

  it('reads the tool variable', () => {
    const s2 = policy([{ name: 'by-name', effect: 'deny', when: "tool.startsWith('rm_')" }, { name: 'rest', effect: 'allow' }]);
    expect(s2.decide({ tool: 'rm_rf', args: {} }).rule).toBe('by-name');
    expect(s2.decide({ tool: 'ls', args: {} }).rule).toBe('rest');
  });
});

describe('when and unless', () => {
  const s = policy([
    { name: 'external-mail', effect: 'require_approval', tools: ['send_email'], when: 'args.attachments > 0', unless: "args.to.endsWith('@example.com')", approvers: ['sec'] },
    { name: 'mail', effect: 'allow', tools: ['send_email'] },
  ]);
  it.each([
    [{ to: 'x@evil.com', attachments: 1 }, 'external-mail'],
    [{ to: 'x@example.com', attachments: 1 }, 'mail'],
    [{ to: 'x@evil.com', attachments: 0 }, 'mail'],
    [{ to: 'x@example.com', attachments: 0 }, 'mail'],
    [{ to: 'x@example.com.evil.com', attachments: 2 }, 'external-mail'],
  ])('applies only when `when` is true and `unless` is false: %j -> %s', (args, expected) => {
    expect(s.decide({ tool: 'send_email', args }).rule).toBe(expected);
  });

  it('an unless that errors makes a require_approval rule apply', () => {
    const d = s.decide({ tool: 'send_email', args: { attachments: 1 } });
    expect(d).toMatchObject({ effect: 'require_approval', rule: 'external-mail', approvers: ['sec'] });
    expect(d.errors.map((e) => [e.code, e.rule])).toEqual([['condition_error', 'external-mail']]);
  });

  it('an unless-only allow rule does not apply when its field is absent', () => {
    const open = policy([{ name: 'open', effect: 'allow', tools: ['t'], unless: 'args.dangerous == true' }]);
    expect(open.decide({ tool: 't', args: { dangerous: false } }).rule).toBe('open');
    expect(open.decide({ tool: 't', args: { dangerous: true } })).toMatchObject({ effect: 'deny', rule: null });
    expect(open.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: null, errors: [{ code: 'condition_error', rule: 'open' }] });
  });
});

describe('has() guards optional fields', () => {
  it('a guarded deny rule does not apply when the field is absent, and no error is listed', () => {
    const s = denyWhen("has(args.path) && args.path.startsWith('/etc')");
    expect(s.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'allow', rule: 'fallback', errors: [] });
    expect(s.decide({ tool: 't', args: { path: '/etc/passwd' } }).rule).toBe('guard');
    expect(s.decide({ tool: 't', args: { path: '/tmp/x' } }).rule).toBe('fallback');
  });

  it('has() on a nested field whose parent is present', () => {
    const s = allowWhen('has(args.meta.owner)');
    expect(s.decide({ tool: 't', args: { meta: { owner: 'me' } } }).rule).toBe('open');
    expect(s.decide({ tool: 't', args: { meta: {} } })).toMatchObject({ rule: null, errors: [] });
  });

  it('has() on a field whose parent is absent is an error, so an allow rule does not apply', () => {
    const d = allowWhen('has(args.meta.owner)').decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'deny', rule: null });
    expect(d.errors.map((e) => e.rule)).toEqual(['open']);
  });

  it('has() is true for a field that is present with value null', () => {
    expect(allowWhen('has(args.x)').decide({ tool: 't', args: { x: null } }).rule).toBe('open');
  });
});

describe('glob() and re2() in conditions', () => {
  it.each([
    ['/tmp/a', true],
    ['/tmp/a/b/c', true],
    ['/tmp', false],
    ['/tmpx/a', false],
    ['/etc/passwd', false],
  ])("glob(args.path, '/tmp/**') on %s is %s", (path, expected) => {
    expect(allowWhen("glob(args.path, '/tmp/**')").decide({ tool: 't', args: { path } }).effect).toBe(expected ? 'allow' : 'deny');
  });

  it.each([
    ['/tmp/a', true],
    ['/tmp/a/b', false],
  ])("glob(args.path, '/tmp/*') on %s is %s ('*' stops at '/')", (path, expected) => {
    expect(allowWhen("glob(args.path, '/tmp/*')").decide({ tool: 't', args: { path } }).effect).toBe(expected ? 'allow' : 'deny');
  });

  it.each([
    ['sk-abc', true],
    ['xx sk-abc yy', true],
    ['SK-abc', false],
    ['sk-', false],
  ])("re2(args.text, 'sk-[a-z]+') finds a match anywhere: %s is %s", (text, expected) => {
    expect(allowWhen("re2(args.text, 'sk-[a-z]+')").decide({ tool: 't', args: { text } }).effect).toBe(expected ? 'allow' : 'deny');
  });

  it('re2() anchors with ^ and $', () => {
    const s = allowWhen("re2(args.text, '^[a-z]+$')");
    expect(s.decide({ tool: 't', args: { text: 'abc' } }).effect).toBe('allow');
    expect(s.decide({ tool: 't', args: { text: 'abc1' } }).effect).toBe('deny');
  });

  it('re2() runs in linear time on a pattern that backtracks catastrophically in JavaScript', () => {
    const s = denyWhen("re2(args.text, '^(a+)+$')");
    const d = s.decide({ tool: 't', args: { text: `${'a'.repeat(50_000)}!` } });
    expect(d).toMatchObject({ effect: 'allow', rule: 'fallback', errors: [] });
  });

  it('a pattern taken from the request that is invalid is an evaluation error (deny rule applies)', () => {
    const d = denyWhen('re2(args.text, args.pattern)').decide({ tool: 't', args: { text: 'a', pattern: '(' } });
    expect(d).toMatchObject({ effect: 'deny', rule: 'guard' });
    expect(d.errors[0]?.code).toBe('condition_error');
    const g = denyWhen('glob(args.text, args.pattern)').decide({ tool: 't', args: { text: 'a', pattern: '[' } });
    expect(g).toMatchObject({ effect: 'deny', rule: 'guard' });
  });
});

describe('error semantics: fail closed', () => {
  const table: Array<{ effect: RuleDef['effect']; expected: string; rule: string | null }> = [
    { effect: 'deny', expected: 'deny', rule: 'broken' },
    { effect: 'require_approval', expected: 'require_approval', rule: 'broken' },
    { effect: 'allow', expected: 'deny', rule: null },
    { effect: 'warn', expected: 'deny', rule: null },
  ];

  it.each(table)('a condition error in a $effect rule gives $expected (rule $rule) and lists the error', ({ effect, expected, rule }) => {
    const s = policy([{ name: 'broken', effect, tools: ['t'], when: "args.missing == 'x'", ...(effect === 'require_approval' ? { approvers: ['sec'] } : {}) }]);
    const d = s.decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: expected, allowed: false, rule });
    expect(d.errors).toEqual([{ code: 'condition_error', rule: 'broken', policy: 'p', message: expect.stringContaining('missing') as unknown as string }]);
  });

  it('an allow rule that errors falls to an allow default (the default is the author\'s choice), still listing the error', () => {
    const s = policy([{ name: 'broken', effect: 'allow', tools: ['t'], when: "args.missing == 'x'" }], 'allow');
    const d = s.decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'allow', rule: null });
    expect(d.errors.map((e) => e.rule)).toEqual(['broken']);
  });

  it('an erroring deny rule beats a matching allow rule', () => {
    const s = policy([
      { name: 'ok', effect: 'allow', tools: ['t'] },
      { name: 'broken', effect: 'deny', tools: ['t'], when: 'args.size > 10' },
    ]);
    expect(s.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: 'broken' });
  });

  it('errors from allow rules are listed on the default decision, in rule order', () => {
    const s = policy([
      { name: 'a1', effect: 'allow', tools: ['t'], when: 'args.x == 1' },
      { name: 'a2', effect: 'warn', tools: ['t'], when: 'args.y == 1' },
    ]);
    expect(s.decide({ tool: 't', args: {} }).errors.map((e) => e.rule)).toEqual(['a2', 'a1']);
  });

  it.each([
    ['a string', 'yes'],
    ['a number', 1],
    ['null', null],
    ['a list', [true]],
    ['a map', { v: true }],
  ])('a condition that returns %s (not a bool) is an error', (_label, flag) => {
    const deny = denyWhen('args.flag').decide({ tool: 't', args: { flag } });
    expect(deny).toMatchObject({ effect: 'deny', rule: 'guard' });
    expect(deny.errors[0]?.message).toContain('not a bool');
    const allow = allowWhen('args.flag').decide({ tool: 't', args: { flag } });
    expect(allow).toMatchObject({ effect: 'deny', rule: null });
    expect(allow.errors[0]?.code).toBe('condition_error');
  });

  it('a condition that returns the bool true applies', () => {
    expect(allowWhen('args.flag').decide({ tool: 't', args: { flag: true } }).rule).toBe('open');
    expect(allowWhen('args.flag').decide({ tool: 't', args: { flag: false } }).rule).toBe(null);
  });

  it('type confusion in a deny condition (string method on a number) applies the deny', () => {
    const d = denyWhen("args.path.startsWith('/etc')").decide({ tool: 't', args: { path: 42 } });
    expect(d).toMatchObject({ effect: 'deny', rule: 'guard', errors: [{ code: 'condition_error', rule: 'guard' }] });
  });

  it('the reason of an error-applied rule says it was applied because of the error', () => {
    const d = denyWhen('args.x == 1').decide({ tool: 't', args: {} });
    expect(d.reason).toBe('Rule "guard" of policy "p" denies this call. (applied because its condition could not be evaluated: No such key: x; guard optional fields with has())');
  });
});

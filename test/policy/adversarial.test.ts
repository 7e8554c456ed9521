/**
 * Data tables for the bypass classes of THREATS.md that the policy core must hold against:
 * 1 fail-open defaults, 2 absent fields, 3 caller-supplied authority, 14 prototype tricks,
 * plus malformed requests (a deny with reason invalid_request, never an exception).
 */
import { describe, it, expect } from 'vitest';
import { compilePolicy, PolicyLoadError, type Decision, type PolicySet } from '../../src/policy/index.js';

interface RuleDef {
  name: string;
  effect: 'allow' | 'deny' | 'require_approval' | 'warn';
  tools?: string[];
  when?: string;
  unless?: string;
  approvers?: string[];
}

function policy(rules: RuleDef[], def: 'allow' | 'deny' = 'deny', options: Parameters<typeof compilePolicy>[1] = {}): PolicySet {
  return compilePolicy([{ name: 'p.json', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', default: def, rules } }], options);
}

const HEAD = 'apiVersion: warden/v1\nkind: Policy\nname: p\n';

function expectInvalid(d: Decision): void {
  expect(d.effect).toBe('deny');
  expect(d.allowed).toBe(false);
  expect(d.rule).toBeNull();
  expect(d.policy).toBeNull();
  expect(d.reason).toBe('invalid_request');
  expect(d.approvers).toEqual([]);
  expect(d.errors).toHaveLength(1);
  expect(d.errors[0]).toMatchObject({ code: 'invalid_request', rule: null, policy: null });
}

/** Decides without letting an exception escape the assertion. */
function safeDecide(set: PolicySet, request: unknown): Decision {
  let d: Decision | undefined;
  expect(() => {
    d = set.decide(request);
  }).not.toThrow();
  return d as Decision;
}

// ---------------------------------------------------------------------------------------------
// Class 1: fail-open defaults
// ---------------------------------------------------------------------------------------------
describe('class 1: fail-open defaults', () => {
  it.each(['read_file', 'write_file', 'shell', 'a'])('no policy loaded (compilePolicy([])) denies %s', (tool) => {
    expect(compilePolicy([]).decide({ tool, args: {} })).toMatchObject({ effect: 'deny', allowed: false, rule: null });
  });

  const unloadable: Array<[string, string]> = [
    ['an empty file', ''],
    ['whitespace only', '   \n\n'],
    ['a comment only', '# policy goes here\n'],
    ['broken YAML', 'rules: [\n'],
    ['broken JSON', '{"apiVersion": "warden/v1",'],
    ['a bare string', 'allow\n'],
    ['a list', '- allow\n'],
    ['default: Allow (typo in case)', `${HEAD}default: Allow\n`],
    ['default: open', `${HEAD}default: open\n`],
    ['default: "deny " (trailing space)', `${HEAD}default: "deny "\n`],
    ['default: true', `${HEAD}default: true\n`],
    ['effect: Deny', `${HEAD}rules:\n  - name: r\n    effect: Deny\n`],
    ['effect: alow', `${HEAD}rules:\n  - name: r\n    effect: alow\n`],
    ['effect: "allow " (trailing space)', `${HEAD}rules:\n  - name: r\n    effect: "allow "\n`],
    ['effect: permit', `${HEAD}rules:\n  - name: r\n    effect: permit\n`],
    ['effect missing', `${HEAD}rules:\n  - name: r\n    tools: [x]\n`],
    ['effect: null', `${HEAD}rules:\n  - name: r\n    effect:\n`],
    ['tools: [] (empty allowlist)', `${HEAD}rules:\n  - name: r\n    tools: []\n    effect: allow\n`],
    ['tools: "*" (string, not list)', `${HEAD}rules:\n  - name: r\n    tools: "*"\n    effect: deny\n`],
    ['a typo in a rule key (tool:)', `${HEAD}rules:\n  - name: r\n    tool: [x]\n    effect: deny\n`],
    ['a typo in a rule key (wen:)', `${HEAD}rules:\n  - name: r\n    wen: "args.x == 1"\n    effect: deny\n`],
    ['a typo in a top-level key (defualt:)', `${HEAD}defualt: deny\n`],
    ['a CEL syntax error in a deny rule', `${HEAD}rules:\n  - name: r\n    when: "args.x =="\n    effect: deny\n`],
    ['a CEL type error in a deny rule', `${HEAD}rules:\n  - name: r\n    when: "args.x + 1 == 'a' + 1"\n    effect: deny\n`],
    ['apiVersion: warden/v0', 'apiVersion: warden/v0\nkind: Policy\nname: p\n'],
    ['kind: policy (case)', 'apiVersion: warden/v1\nkind: policy\nname: p\n'],
    ['a good document followed by a bad one', `${HEAD}rules:\n  - name: ok\n    effect: allow\n---\napiVersion: warden/v1\nkind: Policy\nname: q\nrules:\n  - name: r\n    effect: Deny\n`],
    ['a good document followed by an empty one', `${HEAD}rules:\n  - name: ok\n    effect: allow\n---\n`],
    ['a duplicate effect key', `${HEAD}rules:\n  - name: r\n    effect: deny\n    effect: allow\n`],
  ];
  it.each(unloadable)('%s does not load: compilePolicy throws PolicyLoadError, nothing is applied', (_label, text) => {
    expect(() => compilePolicy([{ name: 'p.yaml', text }])).toThrow(PolicyLoadError);
  });

  it('a good source next to a bad one does not load either (never partly applied)', () => {
    const good = `${HEAD}rules:\n  - name: ok\n    effect: allow\n`;
    const bad = 'apiVersion: warden/v1\nkind: Policy\nname: q\nrules:\n  - name: r\n    effect: Deny\n';
    expect(() => compilePolicy([{ name: 'good.yaml', text: good }, { name: 'bad.yaml', text: bad }])).toThrow(PolicyLoadError);
    expect(() => compilePolicy([{ name: 'bad.yaml', text: bad }, { name: 'good.yaml', text: good }])).toThrow(PolicyLoadError);
  });

  it('an allow rule whose condition throws does not allow: the default deny applies and the error is listed', () => {
    const s = policy([{ name: 'open', effect: 'allow', tools: ['t'], when: "args.user.name == 'admin'" }]);
    const d = s.decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'deny', allowed: false, rule: null, policy: 'p' });
    expect(d.errors).toEqual([expect.objectContaining({ code: 'condition_error', rule: 'open', policy: 'p' })]);
  });

  it('a deny rule whose condition throws denies even under default: allow', () => {
    const s = policy([{ name: 'guard', effect: 'deny', when: "args.user.name == 'admin'" }], 'allow');
    expect(s.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: 'guard', errors: [expect.objectContaining({ code: 'condition_error', rule: 'guard' })] });
  });

  it('a require_approval rule whose condition throws still requires approval, with its approvers', () => {
    const s = policy([{ name: 'gate', effect: 'require_approval', approvers: ['sec'], when: 'args.amount > 100' }, { name: 'ok', effect: 'allow' }]);
    expect(s.decide({ tool: 't', args: { amount: 'lots' } })).toMatchObject({ effect: 'require_approval', rule: 'gate', approvers: ['sec'] });
  });

  it('a policy with a deny default and no rules denies everything', () => {
    expect(policy([]).decide({ tool: 'anything', args: {} })).toMatchObject({ effect: 'deny', rule: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Class 2: absent fields
// ---------------------------------------------------------------------------------------------
describe('class 2: absent fields', () => {
  const hashGuard = policy([
    { name: 'pin-hash', effect: 'deny', tools: ['install'], when: "args.hash != 'sha256:X'" },
    { name: 'installs', effect: 'allow', tools: ['install'] },
  ]);
  const hashCases: Array<[string, Record<string, unknown>, string]> = [
    ['the right hash', { hash: 'sha256:X' }, 'allow'],
    ['another hash', { hash: 'sha256:Y' }, 'deny'],
    ['no hash', {}, 'deny'],
    ['hash undefined (absent in JSON)', { hash: undefined }, 'deny'],
    ['hash null', { hash: null }, 'deny'],
    ['hash as a number', { hash: 1 }, 'deny'],
    ['hash as a list', { hash: ['sha256:X'] }, 'deny'],
    ['hash as a map', { hash: { value: 'sha256:X' } }, 'deny'],
    ['hash in other case', { HASH: 'sha256:X' }, 'deny'],
    ['hash nested elsewhere', { meta: { hash: 'sha256:X' } }, 'deny'],
  ];
  it.each(hashCases)("deny when args.hash != 'sha256:X': %s -> %s", (_label, args, effect) => {
    const d = hashGuard.decide({ tool: 'install', args });
    expect(d.effect).toBe(effect);
    expect(d.rule).toBe(effect === 'deny' ? 'pin-hash' : 'installs');
  });

  const nestedGuard = policy([
    { name: 'pin-hash', effect: 'deny', tools: ['install'], when: "args.meta.hash != 'sha256:X'" },
    { name: 'installs', effect: 'allow', tools: ['install'] },
  ]);
  const parentCases: Array<[string, Record<string, unknown>, string]> = [
    ['the right hash', { meta: { hash: 'sha256:X' } }, 'allow'],
    ['no parent', {}, 'deny'],
    ['parent null', { meta: null }, 'deny'],
    ['parent a string', { meta: 'sha256:X' }, 'deny'],
    ['parent a list', { meta: [{ hash: 'sha256:X' }] }, 'deny'],
    ['parent empty', { meta: {} }, 'deny'],
    ['hash null', { meta: { hash: null } }, 'deny'],
  ];
  it.each(parentCases)("deny when args.meta.hash != 'sha256:X': %s -> %s", (_label, args, effect) => {
    expect(nestedGuard.decide({ tool: 'install', args }).effect).toBe(effect);
  });

  const allowRules: Array<[string, string, Record<string, unknown>]> = [
    ["args.env == 'dev'", "args.env == 'dev'", { env: 'dev' }],
    ['!(args.admin == false)', '!(args.admin == false)', { admin: true }],
    ['args.count < 10', 'args.count < 10', { count: 3 }],
    ["args.to.endsWith('@example.com')", "args.to.endsWith('@example.com')", { to: 'a@example.com' }],
    ['args.size <= 100 || args.trusted == true', 'args.size <= 100 || args.trusted == true', { size: 5 }],
    ["args.opts.mode != 'write'", "args.opts.mode != 'write'", { opts: { mode: 'read' } }],
    ["!(args.path.startsWith('/etc'))", "!(args.path.startsWith('/etc'))", { path: '/tmp/x' }],
    ["args.tags.all(t, t != 'secret')", "args.tags.all(t, t != 'secret')", { tags: ['public'] }],
  ];
  it.each(allowRules)('allow when %s never fires because the field is absent', (_label, when, present) => {
    const s = policy([{ name: 'open', effect: 'allow', tools: ['t'], when }]);
    expect(s.decide({ tool: 't', args: present })).toMatchObject({ effect: 'allow', rule: 'open' });
    const d = s.decide({ tool: 't', args: {} });
    expect(d).toMatchObject({ effect: 'deny', allowed: false, rule: null });
    expect(d.errors.map((e) => [e.code, e.rule])).toEqual([['condition_error', 'open']]);
  });

  it.each(allowRules)('allow unless %s never fires because the field is absent', (_label, unless) => {
    const s = policy([{ name: 'open', effect: 'allow', tools: ['t'], unless }]);
    expect(s.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: null });
  });

  describe('null and absent are different', () => {
    const isNull = policy([{ name: 'null-ok', effect: 'allow', tools: ['t'], when: 'args.x == null' }]);
    it.each([
      ['x: null', { x: null }, 'allow', 0],
      ['x absent', {}, 'deny', 1],
      ['x undefined', { x: undefined }, 'deny', 1],
      ['x: 0', { x: 0 }, 'deny', 0],
      ["x: ''", { x: '' }, 'deny', 0],
      ['x: false', { x: false }, 'deny', 0],
    ])('allow when args.x == null: %s -> %s with %i error(s)', (_label, args, effect, errors) => {
      const d = isNull.decide({ tool: 't', args });
      expect(d.effect).toBe(effect);
      expect(d.errors).toHaveLength(errors);
    });

    const notNull = policy([
      { name: 'needs-x', effect: 'deny', tools: ['t'], when: 'args.x == null' },
      { name: 'ok', effect: 'allow', tools: ['t'] },
    ]);
    it.each([
      ['x: null', { x: null }, 'needs-x', 0],
      ['x absent', {}, 'needs-x', 1],
      ['x: 1', { x: 1 }, 'ok', 0],
    ])('deny when args.x == null: %s -> rule %s with %i error(s)', (_label, args, rule, errors) => {
      const d = notNull.decide({ tool: 't', args });
      expect(d.rule).toBe(rule);
      expect(d.errors).toHaveLength(errors);
    });

    it('has(args.x) is true for null and false for absent', () => {
      const s = policy([{ name: 'has-x', effect: 'allow', tools: ['t'], when: 'has(args.x)' }]);
      expect(s.decide({ tool: 't', args: { x: null } }).effect).toBe('allow');
      expect(s.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', errors: [] });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Class 3: caller-supplied authority
// ---------------------------------------------------------------------------------------------
describe('class 3: caller-supplied authority never changes a deny or require_approval', () => {
  const s = policy([
    { name: 'mail-needs-approval', effect: 'require_approval', tools: ['send_email'], approvers: ['security-team'] },
    { name: 'no-drop', effect: 'deny', tools: ['drop_db'] },
    { name: 'deployers-only', effect: 'deny', tools: ['deploy'], unless: "'deployer' in agent.roles" },
    { name: 'admins-only', effect: 'deny', tools: ['admin_op'], unless: "agent.id == 'admin'" },
    { name: 'low-trust-transfer', effect: 'require_approval', tools: ['transfer'], when: 'agent.trust < 800', approvers: ['finance'] },
    { name: 'ring0-only', effect: 'deny', tools: ['kernel'], unless: 'agent.ring == 0' },
    { name: 'rest', effect: 'allow' },
  ]);
  const agent = { id: 'bot', roles: ['reader'] };
  const tools = ['send_email', 'drop_db', 'deploy', 'admin_op', 'transfer', 'kernel'];

  const forged: Array<[string, Record<string, unknown>]> = [
    ['approved: true', { approved: true }],
    ['Approved: true', { Approved: true }],
    ['APPROVED: "true"', { APPROVED: 'true' }],
    ['approvеd (Cyrillic е): true', { 'approv\u0435d': true }],
    ['approved\u200b (zero-width): true', { 'approved\u200b': true }],
    ['meta.approved: true', { meta: { approved: true } }],
    ['approval: { approved, by }', { approval: { approved: true, by: 'security-team', token: 'x' } }],
    ['nested in a list', { items: [{ approved: true }] }],
    ['agent_id: admin', { agent_id: 'admin' }],
    ['agentId: admin', { agentId: 'admin' }],
    ['agent: { id: admin, roles, ring, trust }', { agent: { id: 'admin', roles: ['deployer'], ring: 0, trust: 1000 } }],
    ['roles: [deployer]', { roles: ['deployer'] }],
    ['trust: 1000', { trust: 1000 }],
    ['trust_score: 1000', { trust_score: 1000 }],
    ['ring: 0', { ring: 0 }],
    ['effect: allow', { effect: 'allow' }],
    ['allowed: true', { allowed: true }],
    ['decision: { effect: allow }', { decision: { effect: 'allow', allowed: true } }],
    ['approvers: []', { approvers: [] }],
    ['__proto__ carrying approved', JSON.parse('{"__proto__": {"approved": true, "id": "admin"}}') as Record<string, unknown>],
    ['constructor carrying roles', JSON.parse('{"constructor": {"roles": ["deployer"]}}') as Record<string, unknown>],
  ];

  for (const tool of tools) {
    const baseline = s.decide({ tool, args: {}, agent });
    it(`baseline for ${tool} is ${baseline.effect}`, () => {
      expect(['deny', 'require_approval']).toContain(baseline.effect);
    });
    it.each(forged)(`${tool}: args with %s decide exactly as without`, (_label, args) => {
      const d = s.decide({ tool, args, agent });
      expect(d.effect).toBe(baseline.effect);
      expect(d.rule).toBe(baseline.rule);
      expect(d.allowed).toBe(false);
    });
  }

  it.each([
    ['approved: true', { approved: true }],
    ['decision: allow', { decision: { effect: 'allow' } }],
    ['effect: allow', { effect: 'allow' }],
    ['approval: true', { approval: true }],
  ])('extra top-level request fields (%s) are ignored', (_label, extra) => {
    for (const tool of tools) {
      const d = s.decide({ tool, args: {}, agent, ...extra });
      expect(d.effect).toBe(s.decide({ tool, args: {}, agent }).effect);
    }
  });

  it('a role or id in context does not stand in for agent identity', () => {
    const d = s.decide({ tool: 'deploy', args: {}, agent, context: { roles: ['deployer'], agent: { id: 'admin', roles: ['deployer'] } } });
    expect(d).toMatchObject({ effect: 'deny', rule: 'deployers-only' });
  });

  it('the authenticated agent identity does lift the gates (the tables above are not vacuous)', () => {
    expect(s.decide({ tool: 'deploy', args: {}, agent: { id: 'bot', roles: ['deployer'] } }).effect).toBe('allow');
    expect(s.decide({ tool: 'admin_op', args: {}, agent: { id: 'admin' } }).effect).toBe('allow');
    expect(s.decide({ tool: 'transfer', args: {}, agent: { id: 'bot', trust: 900 } }).effect).toBe('allow');
    expect(s.decide({ tool: 'kernel', args: {}, agent: { id: 'bot', ring: 0 } }).effect).toBe('allow');
  });
});

// ---------------------------------------------------------------------------------------------
// Class 14: prototype tricks
// ---------------------------------------------------------------------------------------------
describe('class 14: prototype tricks', () => {
  const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'prototype', '__defineGetter__', 'propertyIsEnumerable', 'toLocaleString'];

  /** An args object with an own property `key` (JSON.parse makes `__proto__` an own key). */
  function withKey(key: string, value: unknown): Record<string, unknown> {
    return JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>;
  }

  describe.each(KEYS)('the key %s', (key) => {
    const hasSet = policy([{ name: 'has-key', effect: 'allow', tools: ['t'], when: `has(args.${key})` }]);
    const eqSet = policy([{ name: 'eq-key', effect: 'allow', tools: ['t'], when: `args.${key} == 'x'` }]);
    const indexSet = policy([{ name: 'idx-key', effect: 'allow', tools: ['t'], when: `args['${key}'] == 'x'` }]);
    const denySet = policy([
      { name: 'deny-key', effect: 'deny', tools: ['t'], when: `args.${key} != 'safe'` },
      { name: 'ok', effect: 'allow', tools: ['t'] },
    ]);

    it('has() is false when the key is absent (no inherited member leaks in)', () => {
      expect(hasSet.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: null, errors: [] });
      expect(hasSet.decide({ tool: 't', args: { other: 1 } })).toMatchObject({ effect: 'deny', rule: null, errors: [] });
    });

    it('has() is true when the key is an own argument (from JSON.parse)', () => {
      expect(hasSet.decide({ tool: 't', args: withKey(key, 'x') })).toMatchObject({ effect: 'allow', rule: 'has-key' });
    });

    it('== compares it as ordinary data', () => {
      expect(eqSet.decide({ tool: 't', args: withKey(key, 'x') })).toMatchObject({ effect: 'allow', rule: 'eq-key', errors: [] });
      expect(eqSet.decide({ tool: 't', args: withKey(key, 'y') })).toMatchObject({ effect: 'deny', rule: null, errors: [] });
      expect(eqSet.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: null, errors: [expect.objectContaining({ code: 'condition_error' })] });
    });

    it('index syntax args[key] behaves the same', () => {
      expect(indexSet.decide({ tool: 't', args: withKey(key, 'x') }).effect).toBe('allow');
      expect(indexSet.decide({ tool: 't', args: {} }).effect).toBe('deny');
    });

    it('a deny rule on it applies when it is absent (not satisfied by an inherited member)', () => {
      expect(denySet.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'deny', rule: 'deny-key' });
      expect(denySet.decide({ tool: 't', args: withKey(key, 'safe') })).toMatchObject({ effect: 'allow', rule: 'ok' });
      expect(denySet.decide({ tool: 't', args: withKey(key, { nested: 'safe' }) })).toMatchObject({ effect: 'deny', rule: 'deny-key' });
    });

    it('works the same on a null-prototype args object', () => {
      const args = Object.create(null) as Record<string, unknown>;
      Object.defineProperty(args, key, { value: 'x', enumerable: true, configurable: true, writable: true });
      expect(eqSet.decide({ tool: 't', args }).effect).toBe('allow');
    });

    it('works as a key of context', () => {
      const ctx = policy([{ name: 'ctx', effect: 'allow', tools: ['t'], when: `context.${key} == 'x'` }]);
      expect(ctx.decide({ tool: 't', args: {}, context: withKey(key, 'x') }).effect).toBe('allow');
      expect(ctx.decide({ tool: 't', args: {}, context: {} }).effect).toBe('deny');
    });
  });

  it('Object.prototype is never polluted by arguments, context or agent carrying __proto__ / constructor.prototype', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const evil = '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted2": "yes"}}, "a": {"__proto__": {"polluted3": "yes"}}}';
    const s = policy([
      { name: 'reads', effect: 'allow', tools: ['t'], when: "has(args.__proto__) && args.__proto__.polluted == 'yes' && args.constructor.prototype.polluted2 == 'yes'" },
    ]);
    const d = s.decide({ tool: 't', args: JSON.parse(evil) as Record<string, unknown>, context: JSON.parse(evil) as Record<string, unknown>, agent: { id: 'a', ...(JSON.parse(evil) as object) } });
    expect(d).toMatchObject({ effect: 'allow', rule: 'reads' });
    s.explain({ tool: 't', args: JSON.parse(evil) as Record<string, unknown> });
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.polluted2).toBeUndefined();
    expect(probe.polluted3).toBeUndefined();
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  });

  it('a request whose tool and args are inherited via its prototype is invalid', () => {
    const s = policy([{ name: 'all', effect: 'allow' }], 'allow');
    expectInvalid(safeDecide(s, Object.create({ tool: 'x', args: {} })));
    const ownTool = Object.create({ args: {} }) as Record<string, unknown>;
    ownTool.tool = 'x';
    expectInvalid(safeDecide(s, ownTool));
  });

  it('a polluted Object.prototype.tool / .args does not make a request valid', () => {
    const s = policy([{ name: 'all', effect: 'allow' }], 'allow');
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.tool = 'x';
      expectInvalid(safeDecide(s, { args: {} }));
      delete proto.tool;
      proto.args = {};
      expectInvalid(safeDecide(s, { tool: 'x' }));
    } finally {
      delete proto.tool;
      delete proto.args;
    }
  });

  it('a polluted Object.prototype.approved is not seen as an argument', () => {
    const s = policy([
      { name: 'gate', effect: 'require_approval', tools: ['t'], approvers: ['sec'], unless: 'has(args.approved) && args.approved == true' },
      { name: 'ok', effect: 'allow', tools: ['t'] },
    ]);
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.approved = true;
      expect(s.decide({ tool: 't', args: {} })).toMatchObject({ effect: 'require_approval', rule: 'gate' });
    } finally {
      delete proto.approved;
    }
  });

  it('a tool named like an Object.prototype member is an ordinary tool name', () => {
    const s = policy([{ name: 'ok', effect: 'allow', tools: ['read'] }]);
    for (const tool of KEYS) expect(s.decide({ tool, args: {} })).toMatchObject({ effect: 'deny', rule: null, errors: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed requests: deny with reason invalid_request, never an exception
// ---------------------------------------------------------------------------------------------
describe('malformed requests are denied with invalid_request, never thrown', () => {
  // A set that would allow anything valid, so only the request check can deny.
  const open = policy([{ name: 'everything', effect: 'allow' }], 'allow');

  class Widget {
    x = 1;
  }
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const cycleInList: unknown[] = [];
  cycleInList.push({ list: cycleInList });
  const nest = (levels: number): Record<string, unknown> => {
    let v: Record<string, unknown> = {};
    for (let i = 1; i < levels; i++) v = { a: v };
    return v;
  };
  const nestLists = (levels: number): Record<string, unknown> => {
    let v: unknown = [];
    for (let i = 2; i < levels; i++) v = [v];
    return { a: v };
  };
  const throwingGetter = Object.defineProperty({}, 'secret', { enumerable: true, get: () => { throw new Error('boom'); } });
  const throwingProxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();

  const cases: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', 'read_file'],
    ['a list', [{ tool: 'x', args: {} }]],
    ['a function', () => ({ tool: 'x', args: {} })],
    ['a Map', new Map<string, unknown>([['tool', 'x'], ['args', {}]])],
    ['a class instance', Object.assign(new Widget(), { tool: 'x', args: {} })],
    ['a revoked proxy', revocable.proxy],
    ['missing tool', { args: {} }],
    ['empty tool', { tool: '', args: {} }],
    ['a numeric tool', { tool: 5, args: {} }],
    ['a null tool', { tool: null, args: {} }],
    ['a list tool', { tool: ['x'], args: {} }],
    ['a boxed String tool', { tool: new String('x'), args: {} }],
    ['a tool with a newline', { tool: 'read\nfile', args: {} }],
    ['a tool with NUL', { tool: 'read\u0000', args: {} }],
    ['a tool with DEL', { tool: 'read\u007f', args: {} }],
    ['a tool with a tab', { tool: 'read\tfile', args: {} }],
    ['a tool with a carriage return', { tool: 'read_file\r', args: {} }],
    ['a tool with ESC', { tool: '\u001b[31mread', args: {} }],
    ['a tool over 256 characters', { tool: 'x'.repeat(257), args: {} }],
    ['args missing', { tool: 'x' }],
    ['args undefined', { tool: 'x', args: undefined }],
    ['args null', { tool: 'x', args: null }],
    ['args a list', { tool: 'x', args: [] }],
    ['args a string', { tool: 'x', args: '{"a":1}' }],
    ['args a number', { tool: 'x', args: 1 }],
    ['args a Map', { tool: 'x', args: new Map() }],
    ['args a Date', { tool: 'x', args: new Date(0) }],
    ['args a class instance', { tool: 'x', args: new Widget() }],
    ['args a throwing proxy', { tool: 'x', args: throwingProxy }],
    ['args with a function', { tool: 'x', args: { f: () => 1 } }],
    ['args with a method', { tool: 'x', args: { f() { return 1; } } }],
    ['args with a symbol value', { tool: 'x', args: { s: Symbol('s') } }],
    ['args with a bigint', { tool: 'x', args: { b: 10n } }],
    ['args with NaN', { tool: 'x', args: { n: NaN } }],
    ['args with Infinity', { tool: 'x', args: { n: Infinity } }],
    ['args with -Infinity', { tool: 'x', args: { n: -Infinity } }],
    ['args with a Date', { tool: 'x', args: { d: new Date(0) } }],
    ['args with a RegExp', { tool: 'x', args: { r: /x/ } }],
    ['args with a class instance', { tool: 'x', args: { w: new Widget() } }],
    ['args with a Map', { tool: 'x', args: { m: new Map([['a', 1]]) } }],
    ['args with a Set', { tool: 'x', args: { s: new Set([1]) } }],
    ['args with a Uint8Array', { tool: 'x', args: { u: new Uint8Array([1]) } }],
    ['args with a boxed String', { tool: 'x', args: { s: new String('x') } }],
    ['args with an Error', { tool: 'x', args: { e: new Error('x') } }],
    ['args with a Promise', { tool: 'x', args: { p: Promise.resolve(1) } }],
    ['args with a function deep inside', { tool: 'x', args: { a: { b: [1, { c: () => 1 }] } } }],
    ['args with undefined in a list', { tool: 'x', args: { a: [1, undefined] } }],
    ['args with a sparse list', { tool: 'x', args: { a: new Array(3) } }],
    ['args with a cycle', { tool: 'x', args: cycle }],
    ['args with a cycle through a list', { tool: 'x', args: { l: cycleInList } }],
    ['args nested 65 levels', { tool: 'x', args: nest(65) }],
    ['args nested 65 levels of lists', { tool: 'x', args: nestLists(65) }],
    ['args with a throwing getter', { tool: 'x', args: throwingGetter }],
    ['args with a string over 1,000,000 characters', { tool: 'x', args: { s: 'a'.repeat(1_000_001) } }],
    ['args with over 100,000 values', { tool: 'x', args: { xs: new Array<number>(100_000).fill(0) } }],
    ['context a list', { tool: 'x', args: {}, context: [] }],
    ['context a string', { tool: 'x', args: {}, context: 'prod' }],
    ['context null', { tool: 'x', args: {}, context: null }],
    ['context with a function', { tool: 'x', args: {}, context: { f: () => 1 } }],
    ['agent a string', { tool: 'x', args: {}, agent: 'admin' }],
    ['agent a list', { tool: 'x', args: {}, agent: ['admin'] }],
    ['agent without id', { tool: 'x', args: {}, agent: { roles: ['admin'] } }],
    ['agent.id a number', { tool: 'x', args: {}, agent: { id: 7 } }],
    ['agent.id null', { tool: 'x', args: {}, agent: { id: null } }],
    ['agent.id a boxed String', { tool: 'x', args: {}, agent: { id: new String('admin') } }],
    ['agent.roles a string', { tool: 'x', args: {}, agent: { id: 'a', roles: 'admin' } }],
    ['agent.roles with a number', { tool: 'x', args: {}, agent: { id: 'a', roles: ['admin', 1] } }],
    ['agent.labels a list', { tool: 'x', args: {}, agent: { id: 'a', labels: ['team'] } }],
    ['agent.labels with a number', { tool: 'x', args: {}, agent: { id: 'a', labels: { team: 1 } } }],
    ['agent with a function', { tool: 'x', args: {}, agent: { id: 'a', f: () => 1 } }],
  ];

  it.each(cases)('%s -> deny, reason invalid_request', (_label, request) => {
    expectInvalid(safeDecide(open, request));
  });

  it.each(cases)('%s -> explain() does not throw and reports the same denial', (_label, request) => {
    let e: ReturnType<PolicySet['explain']> | undefined;
    expect(() => {
      e = open.explain(request);
    }).not.toThrow();
    expectInvalid((e as ReturnType<PolicySet['explain']>).decision);
    expect(e?.rules).toEqual([]);
  });

  it('an empty PolicySet also reports a malformed request as invalid_request', () => {
    expectInvalid(safeDecide(compilePolicy([]), { tool: '' }));
  });

  it('the invalid_request error says what was wrong', () => {
    expect(open.decide({ tool: 'x', args: [] }).errors[0]?.message).toContain('request.args must be an object');
    expect(open.decide({ tool: 'x', args: { n: NaN } }).errors[0]?.message).toContain('args.n');
    expect(open.decide({ tool: 'x', args: nest(65) }).errors[0]?.message).toContain('deeper than 64');
  });

  const valid: Array<[string, unknown]> = [
    ['args nested exactly 64 levels', { tool: 'x', args: nest(64) }],
    ['args nested 64 levels of lists', { tool: 'x', args: nestLists(64) }],
    ['a tool of exactly 256 characters', { tool: 'x'.repeat(256), args: {} }],
    ['a string of exactly 1,000,000 characters', { tool: 'x', args: { s: 'a'.repeat(1_000_000) } }],
    ['exactly 100,000 values', { tool: 'x', args: { xs: new Array<number>(99_998).fill(0) } }],
    ['a null-prototype args object', { tool: 'x', args: Object.create(null) as object }],
    ['a null-prototype request', Object.assign(Object.create(null) as object, { tool: 'x', args: {} })],
    ['undefined members (absent in JSON)', { tool: 'x', args: { a: undefined }, context: undefined, agent: undefined }],
    ['agent null (no agent)', { tool: 'x', args: {}, agent: null }],
    ['a shared (acyclic) sub-object', (() => { const shared = { v: 1 }; return { tool: 'x', args: { a: shared, b: shared } }; })()],
    ['a tool with non-ASCII letters', { tool: 'lire_fichier_é', args: {} }],
    ['numbers at the edges', { tool: 'x', args: { a: Number.MAX_VALUE, b: -Number.MAX_VALUE, c: Number.MIN_VALUE, d: -0 } }],
  ];
  it.each(valid)('%s is a valid request', (_label, request) => {
    expect(safeDecide(open, request)).toMatchObject({ effect: 'allow', rule: 'everything', errors: [] });
  });

  describe('configured limits', () => {
    const tight = policy([{ name: 'everything', effect: 'allow' }], 'allow', { limits: { maxDepth: 3, maxNodes: 10, maxStringLength: 8, maxTotalChars: 20, maxToolLength: 5 } });
    it.each([
      ['depth 4 > 3', { tool: 'x', args: { a: { b: { c: {} } } } }],
      ['11 values > 10', { tool: 'x', args: { xs: [1, 2, 3, 4, 5, 6, 7, 8, 9] } }],
      ['values counted across args and context', { tool: 'x', args: { xs: [1, 2, 3, 4] }, context: { ys: [1, 2, 3, 4] } }],
      ['a 9-character string > 8', { tool: 'x', args: { s: '123456789' } }],
      ['a 9-character key counts toward total characters', { tool: 'x', args: { abcdefghi: '12345678', k: '12345678' } }],
      ['21 characters in total > 20', { tool: 'x', args: { a: '12345678', b: '12345678', c: '12' } }],
      ['a 6-character tool > 5', { tool: 'xxxxxx', args: {} }],
      ['an agent over the value budget', { tool: 'x', args: { xs: [1, 2, 3, 4, 5, 6] }, agent: { id: 'a', roles: ['r', 's', 't'] } }],
    ])('%s is invalid_request', (_label, request) => {
      expectInvalid(safeDecide(tight, request));
    });

    it('a request just within every limit is valid', () => {
      expect(tight.decide({ tool: 'xxxxx', args: { a: { b: {} }, s: '12345678' } })).toMatchObject({ effect: 'allow', errors: [] });
    });
  });
});

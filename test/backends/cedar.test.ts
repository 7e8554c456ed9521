/**
 * Cedar documents in a Warden policy set (src/backends/cedar.ts): the request mapping, the verdict
 * mapping, fail-closed evaluation, load errors, and deny-overrides with the YAML rules. Real
 * cedar-wasm, no stand-in.
 */
import { describe, expect, it } from 'vitest';
import { cedarBackend } from '../../src/backends/cedar.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import type { Effect } from '../../src/decision.js';

const cedar = await cedarBackend();

const CEDAR = `apiVersion: warden/v1
kind: CedarPolicy
name: guards
policies: |
  @id("admins-deploy")
  permit (principal in Role::"admin", action == Action::"deploy", resource);
  @id("read-anything")
  permit (principal, action == Action::"read_file", resource);
  @id("no-prod")
  @reason("Nobody writes to prod from an agent.")
  forbid (principal, action == Action::"write_file", resource) when { context.args.path like "/prod/*" };
  @id("writes")
  permit (principal, action == Action::"write_file", resource);
  @id("big-payments")
  @effect("require_approval")
  @approvers("finance, cfo")
  forbid (principal, action == Action::"pay", resource) when { context.args.amount > 1000 };
  @id("payments")
  permit (principal, action == Action::"pay", resource) when { context.args.amount >= 0 };
  @id("verified-only")
  forbid (principal, action == Action::"transfer", resource) unless { principal.verified };
  @id("transfers")
  permit (principal, action == Action::"transfer", resource);
  @id("tagged")
  forbid (principal, action == Action::"tag", resource) when { context.args.tags.contains("secret") };
  @id("tags")
  permit (principal, action == Action::"tag", resource);
  @id("eu-only")
  forbid (principal, action == Action::"ship", resource) unless { context.context has region && context.context.region == "eu" };
  @id("ship")
  permit (principal, action == Action::"ship", resource);
`;

const set = compilePolicy([{ name: 'guards.yaml', text: CEDAR }], { backends: { cedar } });

interface Row {
  name: string;
  request: unknown;
  effect: Effect;
  rule?: string | null;
  /** A benign row: an allow that must not be denied. */
  benign?: boolean;
}

const rows: Row[] = [
  // Benign calls the policies mean to allow (false denies are measured on these).
  { name: 'read is permitted', request: { tool: 'read_file', args: { path: '/etc/hosts' } }, effect: 'allow', rule: 'read-anything', benign: true },
  { name: 'a write outside prod', request: { tool: 'write_file', args: { path: '/tmp/x' } }, effect: 'allow', rule: 'writes', benign: true },
  { name: 'a small payment', request: { tool: 'pay', args: { amount: 10 } }, effect: 'allow', rule: 'payments', benign: true },
  { name: 'an admin deploys', request: { tool: 'deploy', args: {}, agent: { id: 'ops', roles: ['admin'] } }, effect: 'allow', rule: 'admins-deploy', benign: true },
  { name: 'tags without secret', request: { tool: 'tag', args: { tags: ['public', 'blue'] } }, effect: 'allow', rule: 'tags', benign: true },
  { name: 'ship to eu', request: { tool: 'ship', args: {}, context: { region: 'eu' } }, effect: 'allow', rule: 'ship', benign: true },
  { name: 'a verified agent transfers', request: { tool: 'transfer', args: {}, agent: { id: 'a', verified: { method: 'jwt' } } }, effect: 'allow', rule: 'transfers', benign: true },
  { name: 'a payment with a decimal amount', request: { tool: 'read_file', args: { ratio: 0.5 } }, effect: 'allow', rule: 'read-anything', benign: true },
  { name: 'null args are left out, not refused', request: { tool: 'read_file', args: { path: null } }, effect: 'allow', rule: 'read-anything', benign: true },
  // What the policies mean to stop.
  { name: 'a prod write', request: { tool: 'write_file', args: { path: '/prod/db.conf' } }, effect: 'deny', rule: 'no-prod' },
  { name: 'a deep prod write', request: { tool: 'write_file', args: { path: '/prod/a/b/c' } }, effect: 'deny', rule: 'no-prod' },
  { name: 'a big payment needs approval', request: { tool: 'pay', args: { amount: 5000 } }, effect: 'require_approval', rule: 'big-payments' },
  { name: 'a non-admin deploys', request: { tool: 'deploy', args: {}, agent: { id: 'dev', roles: ['developer'] } }, effect: 'deny', rule: null },
  { name: 'an unidentified caller deploys', request: { tool: 'deploy', args: {} }, effect: 'deny', rule: null },
  { name: 'an asserted (unverified) agent transfers', request: { tool: 'transfer', args: {}, agent: { id: 'a' } }, effect: 'deny', rule: 'verified-only' },
  { name: 'a secret tag', request: { tool: 'tag', args: { tags: ['public', 'secret'] } }, effect: 'deny', rule: 'tagged' },
  { name: 'ship without a region', request: { tool: 'ship', args: {} }, effect: 'deny', rule: 'eu-only' },
  { name: 'ship to us', request: { tool: 'ship', args: {}, context: { region: 'us' } }, effect: 'deny', rule: 'eu-only' },
  { name: 'an unknown tool', request: { tool: 'rm_rf', args: {} }, effect: 'deny', rule: null },
  // Forgery and values Cedar cannot hold: the call is denied, never decided on something else.
  { name: 'args forging an entity reference', request: { tool: 'write_file', args: { path: { __entity: { type: 'Role', id: 'admin' } } } }, effect: 'deny', rule: null },
  { name: 'args forging an extension value', request: { tool: 'pay', args: { amount: { __extn: { fn: 'decimal', arg: '1.0' } } } }, effect: 'deny', rule: null },
  { name: 'a nested __expr key', request: { tool: 'read_file', args: { a: { b: { __expr: 'x' } } } }, effect: 'deny', rule: null },
  { name: 'a fraction Cedar cannot hold', request: { tool: 'read_file', args: { x: 0.123456 } }, effect: 'deny', rule: null },
  { name: 'a null inside a set', request: { tool: 'tag', args: { tags: ['public', null] } }, effect: 'deny', rule: null },
  { name: 'an integer beyond 2^53', request: { tool: 'pay', args: { amount: 2 ** 60 } }, effect: 'deny', rule: null },
  // A forbid that errors applies (fail closed): amount is a string here.
  { name: 'a forbid whose condition errors', request: { tool: 'pay', args: { amount: 'lots' } }, effect: 'deny', rule: 'big-payments' },
  { name: 'a prod path that is not a string', request: { tool: 'write_file', args: { path: 42 } }, effect: 'deny', rule: 'no-prod' },
  // A prototype key is data.
  { name: 'a __proto__ key is an ordinary attribute', request: { tool: 'read_file', args: JSON.parse('{"__proto__": {"x": 1}}') as unknown }, effect: 'allow', rule: 'read-anything', benign: true },
];

describe('Cedar documents decide', () => {
  for (const row of rows) {
    it(`${row.name}: ${row.effect}`, () => {
      const d = set.decide(row.request);
      expect({ effect: d.effect, rule: d.rule }).toEqual({ effect: row.effect, rule: row.rule === undefined ? d.rule : row.rule });
      if (row.effect !== 'allow') expect(d.policy).toBe('guards');
    });
  }

  it('keeps about a third of its table benign, and denies none of those', () => {
    const benign = rows.filter((r) => r.benign === true);
    expect(benign.length / rows.length).toBeGreaterThan(0.3);
    expect(benign.filter((r) => set.decide(r.request).effect !== 'allow').map((r) => r.name)).toEqual([]);
  });

  it('gives the reason of a @reason annotation and the approvers of @approvers', () => {
    expect(set.decide({ tool: 'write_file', args: { path: '/prod/x' } }).reason).toBe('Nobody writes to prod from an agent.');
    expect(set.decide({ tool: 'pay', args: { amount: 2000 } }).approvers).toEqual(['finance', 'cfo']);
  });

  it('names the value Cedar cannot hold in the error of a refused call', () => {
    const d = set.decide({ tool: 'write_file', args: { path: { __entity: { type: 'Role', id: 'admin' } } } });
    expect(d.errors).toEqual([expect.objectContaining({ code: 'policy_error', policy: 'guards', message: expect.stringContaining('"__entity"') })]);
  });

  it('explains which Cedar policy decided', () => {
    const rules = set.explain({ tool: 'write_file', args: { path: '/prod/x' } }).rules;
    expect(rules).toContainEqual(expect.objectContaining({ policy: 'guards', rule: 'no-prod', status: 'matched', effect: 'deny' }));
  });

  it('lists the document with its language', () => {
    expect(set.policies).toEqual([expect.objectContaining({ name: 'guards', language: 'cedar', default: 'deny' })]);
  });
});

describe('Cedar documents with YAML rules: deny overrides', () => {
  const yaml = (rules: string, def = 'deny'): string => `apiVersion: warden/v1\nkind: Policy\nname: base\ndefault: ${def}\nrules:\n${rules}`;
  const cedarDoc = (policies: string, def = 'deny'): string =>
    `apiVersion: warden/v1\nkind: CedarPolicy\nname: c\ndefault: ${def}\npolicies: |\n${policies
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}\n`;
  const mixed = (a: string, b: string) => compilePolicy([{ name: 'a.yaml', text: a }, { name: 'b.yaml', text: b }], { backends: { cedar } });

  const cases: Array<{ name: string; yaml: string; cedar: string; request: unknown; effect: Effect; policy: string | null }> = [
    { name: 'a YAML allow and a Cedar forbid', yaml: yaml('  - { name: ok, tools: [t], effect: allow }\n'), cedar: cedarDoc('forbid (principal, action, resource);'), request: { tool: 't', args: {} }, effect: 'deny', policy: 'c' },
    { name: 'a YAML deny and a Cedar permit', yaml: yaml('  - { name: no, tools: [t], effect: deny }\n'), cedar: cedarDoc('permit (principal, action, resource);'), request: { tool: 't', args: {} }, effect: 'deny', policy: 'base' },
    {
      name: 'a YAML approval and a Cedar permit',
      yaml: yaml('  - { name: ask, tools: [t], effect: require_approval, approvers: [lead] }\n'),
      cedar: cedarDoc('permit (principal, action, resource);'),
      request: { tool: 't', args: {} },
      effect: 'require_approval',
      policy: 'base',
    },
    { name: 'a Cedar permit where YAML has no opinion', yaml: yaml('  - { name: other, tools: [x], effect: allow }\n'), cedar: cedarDoc('permit (principal, action == Action::"t", resource);'), request: { tool: 't', args: {} }, effect: 'allow', policy: 'c' },
    { name: 'no opinion anywhere and a deny default', yaml: yaml('  - { name: other, tools: [x], effect: allow }\n', 'allow'), cedar: cedarDoc('permit (principal, action == Action::"y", resource);'), request: { tool: 't', args: {} }, effect: 'deny', policy: 'c' },
    {
      name: 'no opinion anywhere and every default allow',
      yaml: yaml('  - { name: other, tools: [x], effect: allow }\n', 'allow'),
      cedar: cedarDoc('permit (principal, action == Action::"y", resource);', 'allow'),
      request: { tool: 't', args: {} },
      effect: 'allow',
      policy: 'base',
    },
    { name: 'an invalid request never reaches Cedar', yaml: yaml('  - { name: ok, tools: [t], effect: allow }\n'), cedar: cedarDoc('permit (principal, action, resource);'), request: { tool: 't', args: [1] }, effect: 'deny', policy: null },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.effect} by ${c.policy ?? 'no policy'}`, () => {
      const d = mixed(c.yaml, c.cedar).decide(c.request);
      expect({ effect: d.effect, policy: d.policy }).toEqual({ effect: c.effect, policy: c.policy });
    });
  }
});

describe('Cedar documents that do not load', () => {
  const load = (text: string, withEngine = true) => () => compilePolicy([{ name: 'bad.yaml', text }], withEngine ? { backends: { cedar } } : {});
  const issueOf = (f: () => unknown): { code: string; line: number; message: string } => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyLoadError);
      return (e as PolicyLoadError).issues[0] as { code: string; line: number; message: string };
    }
    throw new Error('expected the load to fail');
  };
  const doc = (body: string) => `# leading comment\napiVersion: warden/v1\nkind: CedarPolicy\nname: c\n${body}`;

  it('fails without the engine, saying how to get it', () => {
    const issue = issueOf(load(doc('policies: "permit (principal, action, resource);"\n'), false));
    expect(issue).toMatchObject({ code: 'backend_missing', line: 2 });
    expect(issue.message).toContain('cedarBackend');
  });
  it('fails on a Cedar syntax error, at the document', () => {
    const issue = issueOf(load(doc('policies: "permit (principal, action, resource"\n')));
    expect(issue).toMatchObject({ code: 'backend_error', line: 2 });
    expect(issue.message).toContain('do not parse');
  });
  it('fails on an empty policies text', () => {
    expect(issueOf(load(doc('policies: "  "\n'))).code).toBe('empty_source');
  });
  it('fails on an unknown key', () => {
    expect(issueOf(load(doc('policies: "permit (principal, action, resource);"\nrules: []\n'))).code).toBe('unknown_key');
  });
  it('fails on a duplicate @id', () => {
    expect(issueOf(load(doc('policies: |\n  @id("a")\n  permit (principal, action, resource);\n  @id("a")\n  forbid (principal, action, resource);\n'))).message).toContain('two Cedar policies have the id "a"');
  });
  it('fails on @effect on a permit and on an unknown @effect', () => {
    expect(issueOf(load(doc('policies: |\n  @effect("require_approval")\n  permit (principal, action, resource);\n'))).message).toContain('forbid policies only');
    expect(issueOf(load(doc('policies: |\n  @effect("allow")\n  forbid (principal, action, resource);\n'))).message).toContain('@effect can only be');
  });
  it('fails on a template', () => {
    expect(issueOf(load(doc('policies: "permit (principal == ?principal, action, resource);"\n'))).message).toContain('templates are not supported');
  });
  it('fails when a YAML policy has the same name', () => {
    const text = `apiVersion: warden/v1\nkind: Policy\nname: c\nrules: []\n---\n${doc('policies: "permit (principal, action, resource);"\n')}`;
    expect(issueOf(load(text)).code).toBe('duplicate_policy');
  });

  describe('with a schema', () => {
    const schema = `entity Role;
entity Agent in [Role] { roles: Set<String>, labels: {}, verified: Bool };
entity Tool;
action "pay" appliesTo { principal: Agent, resource: Tool, context: { tool: String, args: { amount: Long }, context: {} } };`;
    const withSchema = (policies: string) => doc(`schema: |\n${schema.split('\n').map((l) => `  ${l}`).join('\n')}\npolicies: |\n  ${policies}\n`);

    it('validates the policies at load, strictly', () => {
      const issue = issueOf(load(withSchema('forbid (principal, action == Action::"pay", resource) when { context.args.amount like "x" };')));
      expect(issue.code).toBe('backend_error');
      expect(issue.message).toContain('validator');
    });
    it('decides requests that fit the schema and denies the ones that do not', () => {
      const s = compilePolicy([{ name: 's.yaml', text: withSchema('permit (principal, action == Action::"pay", resource) when { context.args.amount < 100 };') }], { backends: { cedar } });
      expect(s.decide({ tool: 'pay', args: { amount: 5 } }).effect).toBe('allow');
      const misfit = s.decide({ tool: 'pay', args: { amount: 'five' } });
      expect(misfit.effect).toBe('deny');
      expect(misfit.errors[0]?.code).toBe('policy_error');
    });
  });
});

/**
 * The decision bench's peers decide the bench rules as Warden does: the AGT, Rego and Cedar
 * translations (bench/peers/) are checked on a small corpus that reaches every path of the
 * semantics they must keep (deny overrides, first rule in order, default deny, unknown tool).
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@microsoft/agent-governance-sdk';
import { compilePolicy } from '../../src/policy/compile.js';
import { disagreements, wardenVerdict } from '../../bench/peers/agree.js';
import { loadAgt, toAgtPolicy } from '../../bench/peers/agt.js';
import { loadCedar, toCedarPolicies } from '../../bench/peers/cedar.js';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { compileRego, loadRego, REGO_ENTRYPOINT, toRego } from '../../bench/peers/rego.js';
import { toWardenDocument, type BenchRequest, type BenchRule } from '../../bench/peers/rules.js';

const rules: BenchRule[] = [
  { name: 'small_a', tool: 'pay', effect: 'allow', when: [{ field: 'amount', op: '>', value: 10 }] },
  { name: 'big_a', tool: 'pay', effect: 'deny', when: [{ field: 'amount', op: '>', value: 100 }] },
  { name: 'any_a', tool: 'pay', effect: 'allow', when: [] },
  { name: 'us_b', tool: 'ship', effect: 'deny', when: [{ field: 'region', op: '==', value: 'us' }] },
  { name: 'free_b', tool: 'ship', effect: 'deny', when: [{ field: 'tier', op: '!=', value: 'pro' }] },
  { name: 'any_b', tool: 'ship', effect: 'allow', when: [] },
  { name: 'never_c', tool: 'drop', effect: 'deny', when: [] },
];

const at = (tool: string, amount: number, region: string, tier: string): BenchRequest => ({ tool, args: { amount, region, tier } });
const corpus: BenchRequest[] = [
  at('pay', 5, 'eu', 'pro'),
  at('pay', 50, 'eu', 'pro'),
  at('pay', 500, 'eu', 'pro'),
  at('ship', 1, 'eu', 'pro'),
  at('ship', 1, 'us', 'pro'),
  at('ship', 1, 'eu', 'free'),
  at('ship', 1, 'us', 'free'),
  at('drop', 1, 'eu', 'pro'),
  at('unknown', 1, 'eu', 'pro'),
];

const set = compilePolicy([{ name: 'peers', document: toWardenDocument('peers', rules) }]);
const now = new Date('2026-01-01T00:00:00Z');

describe('the corpus', () => {
  it('reaches deny-overrides, first-in-order, default deny and an unknown tool under Warden', () => {
    expect(corpus.map((r) => wardenVerdict(set, r, now))).toEqual([
      { effect: 'allow', rule: 'any_a' },
      { effect: 'allow', rule: 'small_a' },
      { effect: 'deny', rule: 'big_a' },
      { effect: 'allow', rule: 'any_b' },
      { effect: 'deny', rule: 'us_b' },
      { effect: 'deny', rule: 'free_b' },
      { effect: 'deny', rule: 'us_b' },
      { effect: 'deny', rule: 'never_c' },
      { effect: 'deny', rule: null },
    ]);
  });
});

describe('AGT 4.0 (agent-governance-sdk)', () => {
  it('decides every request as Warden does, deciding rule included', () => {
    const agt = loadAgt('peers', rules);
    expect(disagreements(set, corpus, (r) => agt.verdict(agt.input(r)), now)).toEqual([]);
  });

  it('denies on a matched rule written with the legacy `action` field, which the agreement check reports', () => {
    // The bench's old mistake: evaluatePolicy reads ruleAction (or effect), and `action` is the flat-rule matcher.
    const engine = new PolicyEngine();
    const policy = toAgtPolicy('legacy', rules);
    engine.loadPolicy({ ...policy, rules: policy.rules.map(({ ruleAction, ...r }) => ({ ...r, action: ruleAction })) });
    const legacy = (r: BenchRequest): { effect: 'allow' | 'deny'; rule: string | null } => {
      const d = engine.evaluatePolicy('did:agent:bench', { tool: r.tool, args: r.args });
      return { effect: d.action === 'allow' ? 'allow' : 'deny', rule: d.matchedRule ?? null };
    };
    expect(legacy(at('ship', 1, 'eu', 'pro'))).toEqual({ effect: 'deny', rule: 'any_b' });
    // Every allow becomes a deny (0, 1, 3); and under the SDK's default PriorityFirstMatch the first
    // matching rule wins, so #2 names small_a where deny-overrides names big_a.
    const bad = disagreements(set, corpus, legacy, now);
    expect(bad.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(bad[2]?.peer).toEqual({ effect: 'deny', rule: 'small_a' });
  });
});

describe('OPA (Rego compiled to wasm by the npm-shipped opa, run by opa-wasm)', () => {
  it('decides every request as Warden does, deciding rule included', async (ctx) => {
    const opa = findOpa();
    // In CI (.ci/run installs opa) a missing binary fails; elsewhere the test says how to get it.
    if (!opa.ok && process.env.CI) throw new Error(opa.reason);
    if (!opa.ok) return ctx.skip(opa.reason);
    const rego = await loadRego(opa.path, rules);
    expect(disagreements(set, corpus, (r) => rego.verdict(rego.input(r)), now)).toEqual([]);
  });

  it('writes one Rego rule body per bench rule, indexed by rule order', () => {
    const text = toRego(rules);
    expect(text).toContain('allow_hits contains 0 if {\n\tinput.tool == "pay"\n\tinput.args.amount > 10\n}');
    expect(text).toContain('deny_hits contains 6 if {\n\tinput.tool == "drop"\n}');
    expect(text.match(/_hits contains \d+ if/g)).toHaveLength(rules.length);
  });

  it('fails the compile with opa\'s own message when the Rego does not parse', (ctx) => {
    const opa = findOpa();
    // In CI (.ci/run installs opa) a missing binary fails; elsewhere the test says how to get it.
    if (!opa.ok && process.env.CI) throw new Error(opa.reason);
    if (!opa.ok) return ctx.skip(opa.reason);
    expect(() => compileRego(opa.path, 'package broken\n\nallow if {', REGO_ENTRYPOINT)).toThrow(/rego_parse_error/);
  });
});

describe('Cedar (cedar-wasm, policies parsed once)', () => {
  it('validates the translation in strict mode and decides every request as Warden does', () => {
    const cedar = loadCedar('peers-test', rules, corpus);
    expect(disagreements(set, corpus, (r) => cedar.verdict(cedar.input(r)), now)).toEqual([]);
  });

  it('writes forbid for deny and permit for allow, scoped by action, with the rule name as policy id', () => {
    const policies = toCedarPolicies(rules);
    expect(policies.big_a).toBe('forbid (principal, action == Action::"pay", resource)\nwhen { context.args.amount > 100 };');
    expect(policies.any_b).toBe('permit (principal, action == Action::"ship", resource);');
  });

  it('refuses to load rules that read an argument the schema does not declare', () => {
    const reads = [...rules, { name: 'ghost', tool: 'pay', effect: 'deny' as const, when: [{ field: 'missing', op: '==' as const, value: 'x' }] }];
    expect(() => loadCedar('peers-invalid', reads, corpus)).toThrow(/validator rejected.*ghost/);
  });
});

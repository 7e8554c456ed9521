/**
 * AGT (Microsoft Agent Governance Toolkit) policies load as they are and decide as AGT does:
 * conditions translated to CEL, deny-overrides with AGT's priority order, and a differential table
 * against the real AGT SDK (@microsoft/agent-governance-sdk 4.0.0, PolicyEngine.evaluatePolicy).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictResolutionStrategy, PolicyEngine, type Policy, type PolicyAction } from '@microsoft/agent-governance-sdk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { parse } from 'yaml';
import { AGT_ACTION_TYPE_CEL, agtConditionToCel, celString, parseAgtCondition } from '../../src/policy/agt-condition.js';
import { convertAgtPolicies } from '../../src/policy/agt-convert.js';
import { AGT_NOT_TARGETED_RULE, isAgtDocument, readAgtPolicy } from '../../src/policy/agt.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError, type PolicyIssue } from '../../src/policy/issues.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import type { Decision, Request } from '../../src/decision.js';
import { parseSource } from '../../src/policy/yaml-reader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/agt', import.meta.url));
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const load = (name: string): PolicySet => compilePolicy([{ name, text: fixture(name) }]);

function issuesOf(text: string, name = 'agt.yaml'): PolicyIssue[] {
  try {
    return [...compilePolicy([{ name, text }]).warnings];
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.issues;
    throw e;
  }
}

const errorsOf = (text: string): PolicyIssue[] => issuesOf(text).filter((i) => i.severity === 'error');

/** An AGT document with one rule. */
function agt(condition: string, extra = '', action = 'deny', def = 'allow'): string {
  return `apiVersion: governance.toolkit/v1\nname: t\ndefault_action: ${def}\nrules:\n  - name: r\n    condition: ${JSON.stringify(condition)}\n    action: ${action}\n${extra}`;
}

// ---------------------------------------------------------------------------------------------
// The real AGT engine, fed the same policy and the context AGT's govern() builds from a call.

const SDK_EFFECT: Record<PolicyAction, string> = { allow: 'allow', log: 'allow', warn: 'warn', deny: 'deny', require_approval: 'require_approval' };

interface AgtRuleData {
  name: string;
  condition: string;
  action?: PolicyAction;
  priority?: number;
  enabled?: boolean;
  approvers?: string[];
  description?: string;
}

/**
 * The SDK's loadYaml reads a rule's action from `ruleAction`/`effect` and ignores `action:` (every
 * rule would deny), so the engine gets the policy object the Python toolkit's YAML model describes.
 */
function sdkEngine(text: string): PolicyEngine {
  const engine = new PolicyEngine(undefined, ConflictResolutionStrategy.DenyOverrides);
  for (const data of text.split(/^---$/m).map((t) => parse(t) as { name: string; default_action?: 'allow' | 'deny'; agents?: string[]; agent?: string; rules?: AgtRuleData[] })) {
    const policy: Policy = {
      name: data.name,
      default_action: data.default_action ?? 'deny',
      rules: (data.rules ?? []).map((r) => ({
        name: r.name,
        condition: r.condition,
        ruleAction: r.action ?? 'deny',
        priority: r.priority ?? 0,
        enabled: r.enabled ?? true,
        approvers: r.approvers ?? [],
        ...(r.description !== undefined ? { description: r.description } : {}),
      })),
    };
    if (data.agents) policy.agents = data.agents;
    if (data.agent) policy.agent = data.agent;
    engine.loadPolicy(policy);
  }
  return engine;
}

/** The context AGT's govern() builds: keyword arguments at the top level, `action` as { type }. */
function agtContext(request: Request): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request.args)) if (k !== 'action') ctx[k] = v;
  const action = request.args.action;
  if (!('action' in request.args)) ctx.action = { type: request.tool };
  else ctx.action = action !== null && typeof action === 'object' && !Array.isArray(action) ? action : { type: String(action) };
  return ctx;
}

interface Outcome {
  effect: string;
  rule: string | null;
  approvers: string[];
}

function sdkDecide(engine: PolicyEngine, request: Request): Outcome {
  const r = engine.evaluatePolicy(request.agent?.did ?? request.agent?.id ?? '*', agtContext(request));
  return { effect: SDK_EFFECT[r.action], rule: r.matchedRule ?? null, approvers: r.approvers };
}

function wardenOutcome(d: Decision): Outcome {
  return { effect: d.effect, rule: d.rule === AGT_NOT_TARGETED_RULE ? null : d.rule, approvers: d.approvers };
}

const req = (tool: string, args: Record<string, unknown> = {}, did?: string): Request => (did === undefined ? { tool, args } : { tool, args, agent: { id: 'bot', did } });

const customer = (tier: string, sanctioned = false): Record<string, unknown> => ({ tier, flags: { sanctioned } });

// ---------------------------------------------------------------------------------------------

describe('AGT conditions: parsing and translation to CEL', () => {
  const A = AGT_ACTION_TYPE_CEL;
  it.each([
    ["action.type == 'transfer'", `${A} == 'transfer'`],
    ['action.type == "transfer"', `${A} == 'transfer'`],
    ["action.type != 'read'", `${A} != 'read'`],
    ['amount > 100', 'args.amount > 100.0'],
    ['amount >= 100.5', 'args.amount >= 100.5'],
    ['amount < 0', 'args.amount < 0.0'],
    ['amount <= 7', 'args.amount <= 7.0'],
    ['amount == 100', 'args.amount + 0.0 == 100.0'],
    ['amount != 100', 'args.amount + 0.0 != 100.0'],
    ['data.contains_pii == true', 'args.data.contains_pii == true'],
    ['data.contains_pii', 'args.data.contains_pii'],
    ["user.role in ['admin', 'operator']", "args.user.role + '' in ['admin', 'operator']"],
    ['user.role in [admin, "operator"]', "args.user.role + '' in ['admin', 'operator']"],
    ["user.role not in ['admin']", "!(args.user.role + '' in ['admin'])"],
    ['user.role in []', "args.user.role + '' in []"],
    ["user.role in ['a', ]", "args.user.role + '' in ['a']"],
    ["a == 'x' and b == 'y' or c == 'z'", "(args.a == 'x' && args.b == 'y') || args.c == 'z'"],
    ["a == 'x' or b == 'y'", "args.a == 'x' || args.b == 'y'"],
    ["a == 'x' and b == 'y'", "args.a == 'x' && args.b == 'y'"],
    ["name == 'it''s'", null],
    ['items.0.id == 5', "args.items['0'].id + 0.0 == 5.0"],
    ["in == 'x'", "args['in'] == 'x'"],
    ["not in ['x']", "args.not + '' in ['x']"],
    ["path == 'C:\\dir'", "args.path == 'C:\\\\dir'"],
    ["action.target == 'db'", "args.action.target == 'db'"],
    ["  a == 'x'  ", "args.a == 'x'"],
    ["__proto__ == 'x'", "args.__proto__ == 'x'"],
    ['n > 1000000000000000000000', 'args.n > 1e+21'],
  ])('translates %s', (condition, cel) => {
    const parsed = parseAgtCondition(condition);
    if (cel === null) {
      expect(parsed.ok).toBe(false);
      return;
    }
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const t = agtConditionToCel(parsed.condition);
    expect(t.ok && t.value.cel).toBe(cel);
  });

  // Each is a condition AGT's evaluator never matches (or its two SDKs read differently); Warden refuses it.
  it.each([
    ['', 0, 'empty'],
    ["input_text matches '\\d+'", 11, 'no "matches" operator'],
    ["name contains 'x'", 5, 'no "contains" operator'],
    ["(a == 'x')", 0, 'no parentheses'],
    ["a == 'x' and (b == 'y')", 13, 'no parentheses'],
    ["not a == 'x'", 4, 'comparison operator'],
    ['amount > -5', 9, 'unsigned'],
    ["amount > '5'", 9, 'only with a number'],
    ['amount >= 5.', 12, 'digits after'],
    ["a == 'x\"", 7, 'closes with'],
    ["a == 'x", 5, 'never closed'],
    ["a == 'x' AND b == 'y'", 9, 'unexpected text'],
    ["a == 'x'\nand b == 'y'", 9, 'unexpected text'],
    ["a == 'x' and", 9, 'unexpected text'],
    ["a == 'x' or  or b == 'y'", 12, 'empty comparison'],
    ['a == true1', 5, 'expected a quoted string'],
    ['a != true', 5, 'quoted string or a number'],
    ["a in['x']", 2, 'comparison operator'],
    ["a in ['x'] b", 10, 'unexpected text after the list'],
    ["a in ['x, y']", 6, 'splits lists on every comma'],
    ["a in ['']", 6, 'empty string in a list'],
    ["a in ['x'", 5, 'never closed'],
    ["a == 'foo or bar'", 5, "Python evaluator splits"],
    ["a in ['x and y']", 6, "Python evaluator splits"],
    ['a. == 1', 2, 'cannot end with'],
    ['a..b == 1', 2, 'cannot end with'],
    ['ä == 1', 0, 'expected a field path'],
    ['a = 1', 2, 'comparison operator'],
    [`a == '${'x'.repeat(2_000)}'`, 0, 'limited to 2000'],
  ])('refuses %j at offset %i', (condition, offset, message) => {
    const parsed = parseAgtCondition(condition);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.offset).toBe(offset);
    expect(parsed.error.message).toContain(message);
  });

  it.each([
    ["sql.verb == 'DROP'", 'sql protocol facet'],
    ["k8s.namespace == 'prod'", 'k8s protocol facet'],
    ["action == 'x'", 'compare action.type'],
    ['action', 'compare action.type'],
    ["action.type.name == 'x'", 'is a string and has no fields'],
  ])('refuses %s at translation: %s', (condition, message) => {
    const parsed = parseAgtCondition(condition);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const t = agtConditionToCel(parsed.condition);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.error.message).toContain(message);
  });

  it('warns that Python govern() reads scalar arguments as x.value', () => {
    const parsed = parseAgtCondition('amount.value > 100');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const t = agtConditionToCel(parsed.condition);
    expect(t.ok && t.value.cel).toBe('args.amount.value > 100.0');
    expect(t.ok && t.value.warnings.map((w) => w.message)).toEqual([expect.stringContaining('write "amount"')]);
  });

  it.each([
    ['plain', "a\\b'c", "'a\\\\b\\'c'"],
    ['control characters', 'a\nb\u0001', "'a\\u000ab\\u0001'"],
    ['unicode as is', 'é✓', "'é✓'"],
  ])('writes CEL string literals exactly (%s)', (_what, input, out) => {
    expect(celString(input)).toBe(out);
  });
});

describe('AGT documents: loading', () => {
  it('recognizes a document by its apiVersion', () => {
    const { documents } = parseSource('p.yaml', 'apiVersion: governance.toolkit/v1\nname: p\n---\napiVersion: warden/v1\nkind: Policy\nname: w\n');
    expect(documents.map((d) => isAgtDocument(d))).toEqual([true, false]);
  });

  it('loads the AGT README policy as deny and approval rules over every tool, highest priority first', () => {
    const set = load('agent-safety.yaml');
    expect(set.policies).toEqual([expect.objectContaining({ name: 'agent-safety', default: 'allow', ruleCount: 2 })]);
    expect(set.rules.map((r) => [r.name, r.effect, r.exactTools, r.reason ?? null, [...r.approvers]])).toEqual([
      ['block-dangerous-tools', 'deny', null, 'Destructive operations are blocked', []],
      ['approve-sends', 'require_approval', null, null, ['security-team']],
    ]);
    expect(set.warnings).toEqual([]);
  });

  it('orders rules by priority, keeps the document order among equals, and leaves disabled rules out', () => {
    const set = load('payments.yaml');
    expect(set.rules.map((r) => r.name)).toEqual(['block-large-refunds', 'block-sanctioned', 'trusted-refunds', 'review-refunds', 'warn-currency', 'allow-refunds', 'allow-exact', 'log-reads']);
    expect(set.rules.map((r) => r.effect)).toEqual(['deny', 'deny', 'allow', 'require_approval', 'warn', 'allow', 'allow', 'allow']);
  });

  it('makes a lower-priority, more restrictive rule step aside when a higher-priority, less restrictive one matches', () => {
    const text = fixture('payments.yaml');
    const { reader, documents } = parseSource('payments.yaml', text);
    const read = readAgtPolicy(documents[0]!, reader);
    expect(reader.issues).toEqual([]);
    expect(read?.rules.map((r) => [r.name, r.yieldsTo])).toEqual([
      ['block-large-refunds', []],
      ['block-sanctioned', []],
      ['trusted-refunds', []],
      ['review-refunds', ['trusted-refunds']],
      ['warn-currency', ['trusted-refunds']],
      ['allow-refunds', []],
      ['allow-exact', []],
      ['log-reads', []],
    ]);
    expect(read?.disabled.map((r) => r.name)).toEqual(['void-payments']);
    expect(read?.version).toBe('2.1');
  });

  it('reports a log rule as allowed and says it was a log rule', () => {
    const d = load('payments.yaml').decide(req('get_balance'));
    expect(d).toMatchObject({ effect: 'allow', allowed: true, rule: 'log-reads', errors: [] });
    expect(d.reason).toBe('Reads are allowed and logged (AGT log rule: allowed, and recorded like every decision)');
  });

  it('denies every call of an empty AGT policy whose default is deny (AGT defaults to deny)', () => {
    const set = compilePolicy([{ name: 'e.yaml', text: 'apiVersion: governance.toolkit/v1\nname: empty\n' }]);
    expect(set.decide(req('anything'))).toMatchObject({ effect: 'deny', rule: null, policy: 'empty' });
  });

  it('defaults a rule without an action to deny, as AGT does', () => {
    const set = compilePolicy([{ name: 'a.yaml', text: 'apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules:\n  - name: r\n    condition: "action.type == \'x\'"\n' }]);
    expect(set.decide(req('x'))).toMatchObject({ effect: 'deny', rule: 'r' });
    expect(set.decide(req('y'))).toMatchObject({ effect: 'allow', rule: null });
  });

  it('composes with warden/v1 documents in one set: deny overrides across them', () => {
    const set = compilePolicy([
      { name: 'agt.yaml', text: fixture('agent-safety.yaml') },
      { name: 'w.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: w\ndefault: allow\nrules:\n  - name: no-mail\n    tools: [send_email]\n    effect: deny\n' },
    ]);
    expect(set.decide(req('send_email'))).toMatchObject({ effect: 'deny', rule: 'no-mail' });
    expect(set.decide(req('read_file'))).toMatchObject({ effect: 'allow', rule: null });
  });

  it('accepts the fields AGT exports itself (version, scope: global, empty extends and agents, timestamps, stage: pre_tool, nulls)', () => {
    const text = [
      'apiVersion: governance.toolkit/v1',
      'version: "1.0"',
      'name: exported',
      'description: null',
      'extends: []',
      'agents: []',
      'scope: global',
      'created_at: "2026-01-01T00:00:00Z"',
      'updated_at: "2026-01-02T00:00:00Z"',
      'default_action: deny',
      'rules:',
      '  - name: r',
      '    condition: "action.type == \'read\'"',
      '    action: allow',
      '    stage: pre_tool',
      '    limit: null',
      '    approvers: []',
      '    priority: 0',
      '    enabled: true',
    ].join('\n');
    expect(issuesOf(text)).toEqual([]);
    expect(compilePolicy([{ name: 'x.yaml', text }]).decide(req('read'))).toMatchObject({ effect: 'allow', rule: 'r' });
  });

  it('warns (and drops) approvers on a rule that does not require approval, as AGT ignores them', () => {
    const issues = issuesOf(agt("action.type == 'x'", '    approvers: [ops]\n'));
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', code: 'agt_approvers_ignored', line: 8 })]);
  });

  // Anything AGT accepts that Warden cannot enforce faithfully: a load error that names the field, at file:line:col.
  it.each([
    ['a rate limit', agt("action.type == 'search'", '    limit: "100/hour"\n', 'allow'), 'agt_unsupported', 8, 5, 'limit of rule "r"'],
    ['extends', `${agt("action.type == 'x'")}extends: [base.yaml]\n`, 'agt_unsupported', 8, 1, 'extends'],
    ['extends as a string', `${agt("action.type == 'x'")}extends: base.yaml\n`, 'agt_unsupported', 8, 1, 'extends'],
    ['scope: tenant', `${agt("action.type == 'x'")}scope: tenant\n`, 'agt_unsupported', 8, 8, 'scope is "tenant"'],
    ['a post_tool stage', agt("action.type == 'x'", '    stage: post_tool\n'), 'agt_unsupported', 8, 12, 'stage of rule "r"'],
    ['a misspelt stage', agt("action.type == 'x'", '    stage: pretool\n'), 'unknown_value', 8, 12, 'stage of rule "r"'],
    ['agent: "*"', `${agt("action.type == 'x'")}agent: "*"\n`, 'agt_unsupported', 8, 8, 'agents: ["*"]'],
    ['an unknown document key', `${agt("action.type == 'x'")}defaults: allow\n`, 'unknown_key', 8, 1, 'Unknown key "defaults"'],
    ['an unknown rule key', agt("action.type == 'x'", '    effect: deny\n'), 'unknown_key', 8, 5, 'Unknown key "effect"'],
    ['the TS-only surfaces key', agt("action.type == 'x'", '    surfaces: [cli]\n'), 'unknown_key', 8, 5, 'Unknown key "surfaces"'],
    ['a misspelt action', agt("action.type == 'x'", '', 'Deny'), 'unknown_value', 7, 13, 'not one of: allow, deny, warn, require_approval, log'],
    ['a misspelt default_action', agt("action.type == 'x'", '', 'deny', 'Allow'), 'unknown_value', 3, 17, 'default_action'],
    ['a matches condition', agt("input_text matches '[0-9]+'"), 'agt_condition', 6, 28, 'no "matches" operator'],
    ['a protocol facet', agt("sql.verb == 'DROP'"), 'agt_unsupported', 6, 17, 'sql protocol facet'],
    ['a missing condition', 'apiVersion: governance.toolkit/v1\nname: t\nrules:\n  - name: r\n    action: deny\n', 'missing_key', 4, 5, 'condition of rule "r" is required'],
    ['a condition mapping', 'apiVersion: governance.toolkit/v1\nname: t\nrules:\n  - name: r\n    condition: { action: x }\n', 'wrong_type', 5, 16, 'older AGT format'],
    ['enabled: no (a string in YAML 1.2)', agt("action.type == 'x'", '    enabled: no\n'), 'wrong_type', 8, 14, 'true or false'],
    ['a fractional priority', agt("action.type == 'x'", '    priority: 1.5\n'), 'wrong_type', 8, 15, 'whole number'],
    ['a priority in quotes', agt("action.type == 'x'", '    priority: "10"\n'), 'wrong_type', 8, 15, 'whole number'],
    ['an unquoted numeric version', `${agt("action.type == 'x'")}version: 1.0\n`, 'wrong_type', 8, 10, 'Quote it'],
    ['a duplicate rule name', `${agt("action.type == 'x'")}  - name: r\n    condition: "a == 'b'"\n`, 'duplicate_rule', 8, 5, 'already used'],
    ['a rule name with spaces', 'apiVersion: governance.toolkit/v1\nname: t\nrules:\n  - name: block all\n    condition: "a == \'b\'"\n', 'bad_name', 4, 11, 'Rule name "block all"'],
    ['no name', 'apiVersion: governance.toolkit/v1\nrules: []\n', 'missing_key', 1, 1, 'name is required'],
    ['the reserved rule name with targeting', 'apiVersion: governance.toolkit/v1\nname: t\nagents: [did:x]\ndefault_action: allow\nrules:\n  - name: agt.not-targeted\n    condition: "a == \'b\'"\n', 'duplicate_rule', 3, 9, 'reserved'],
  ])('refuses %s', (_what, text, code, line, col, message) => {
    const errors = errorsOf(text);
    expect(errors).toEqual([expect.objectContaining({ code, file: 'agt.yaml', line, col, message: expect.stringContaining(message) as unknown })]);
  });

  it('still validates a disabled rule', () => {
    expect(errorsOf(agt("input_text matches 'x'", '    enabled: false\n')).map((e) => e.code)).toEqual(['agt_condition']);
    expect(errorsOf(agt("action.type == 'x'", '    enabled: false\n    limit: "1/day"\n')).map((e) => e.code)).toEqual(['agt_unsupported']);
  });

  it('loads nothing of a file with one bad rule among good ones', () => {
    const text = `${fixture('agent-safety.yaml')}\n  - name: bad\n    condition: "amount > 10"\n    action: allow\n    limit: "5/minute"\n`;
    expect(() => compilePolicy([{ name: 'agt.yaml', text }])).toThrow(PolicyLoadError);
  });

  it('points an error inside a block-scalar condition at its line and column', () => {
    const text = 'apiVersion: governance.toolkit/v1\nname: t\nrules:\n  - name: r\n    condition: |-\n      action.type == \'x\' and\n      amount > 5\n';
    expect(errorsOf(text)).toEqual([expect.objectContaining({ code: 'agt_condition', line: 6, col: 26 })]);
  });

  it('refuses a rule whose priority interplay makes its condition too large', () => {
    const rules = Array.from({ length: 80 }, (_, i) => `  - name: allow-${i}\n    condition: "${Array.from({ length: 6 }, (_, k) => `f${k} == 'v${i}'`).join(' and ')}"\n    action: allow\n    priority: 100\n`).join('');
    const text = `apiVersion: governance.toolkit/v1\nname: t\nrules:\n${rules}  - name: review\n    condition: "amount > 5"\n    action: require_approval\n    approvers: [ops]\n`;
    expect(errorsOf(text)).toEqual([expect.objectContaining({ code: 'agt_too_complex', message: expect.stringContaining('allow-0, allow-1') as unknown })]);
  });
});

describe('AGT documents: decisions as AGT documents them', () => {
  it('decides the README policy: destructive tools denied, email needs security-team, the rest allowed', () => {
    const set = load('agent-safety.yaml');
    expect(set.decide(req('delete_file', { path: '/x' }))).toMatchObject({ effect: 'deny', rule: 'block-dangerous-tools', reason: 'Destructive operations are blocked' });
    expect(set.decide(req('shell_exec', { cmd: 'ls' }))).toMatchObject({ effect: 'deny', rule: 'block-dangerous-tools' });
    expect(set.decide(req('send_email', { to: 'a@b.c' }))).toMatchObject({ effect: 'require_approval', rule: 'approve-sends', approvers: ['security-team'] });
    expect(set.decide(req('search', { q: 'x' }))).toMatchObject({ effect: 'allow', rule: null, errors: [] });
  });

  it('decides tutorial 38: transfers and closures need their approvers, deletes are denied, the rest allowed', () => {
    const set = load('financial-approvals.yaml');
    // govern(dummy_tool)(action='transfer', amount=500): the action comes from the action argument.
    expect(set.decide(req('dummy_tool', { action: 'transfer', amount: 500 }))).toMatchObject({ effect: 'require_approval', rule: 'approve-large-transfer', approvers: ['treasury-ops', 'compliance'], reason: 'All transfers require human approval' });
    expect(set.decide(req('dummy_tool', { action: { type: 'close_account', id: 7 } }))).toMatchObject({ effect: 'require_approval', rule: 'approve-account-close', approvers: ['branch-manager'] });
    expect(set.decide(req('dummy_tool', { action: 'delete' }))).toMatchObject({ effect: 'deny', rule: 'block-delete', reason: 'Delete operations are never allowed' });
    expect(set.decide(req('dummy_tool', { action: 'read' }))).toMatchObject({ effect: 'allow', rule: null });
    // Without an action argument, action.type is the tool's name.
    expect(set.decide(req('transfer', { amount: 5 }))).toMatchObject({ effect: 'require_approval', rule: 'approve-large-transfer' });
  });

  it('applies a targeted policy to the agents it lists, by DID or by id, and denies every other agent', () => {
    const set = load('targeted.yaml');
    expect(set.decide({ tool: 'search', args: {}, agent: { id: 'x', did: 'did:mesh:finance-bot' } })).toMatchObject({ effect: 'allow', rule: null });
    expect(set.decide({ tool: 'delete', args: {}, agent: { id: 'x', did: 'did:mesh:finance-bot-2' } })).toMatchObject({ effect: 'deny', rule: 'no-deletes' });
    expect(set.decide({ tool: 'search', args: {}, agent: { id: 'did:mesh:finance-bot' } })).toMatchObject({ effect: 'allow', rule: null });
    expect(set.decide({ tool: 'search', args: {}, agent: { id: 'other', did: 'did:mesh:other' } })).toMatchObject({ effect: 'deny', rule: AGT_NOT_TARGETED_RULE });
    expect(set.decide({ tool: 'search', args: {} })).toMatchObject({ effect: 'deny', rule: AGT_NOT_TARGETED_RULE });
    // A DID the enforcement point supplies wins over an id that looks like a listed DID.
    expect(set.decide({ tool: 'search', args: {}, agent: { id: 'did:mesh:finance-bot', did: 'did:mesh:other' } })).toMatchObject({ effect: 'deny' });
  });

  it('never takes approval, identity or the action from argument keys other than action', () => {
    const set = load('financial-approvals.yaml');
    for (const args of [{ approved: true }, { Approved: true }, { agent_id: 'did:mesh:admin' }, { type: 'read' }, { action_type: 'read' }, { nested: { action: 'read' } }]) {
      expect(set.decide(req('transfer', args))).toMatchObject({ effect: 'require_approval', rule: 'approve-large-transfer' });
    }
  });

  it('treats prototype names as ordinary absent or present data', () => {
    const set = compilePolicy([{ name: 'p.yaml', text: agt('constructor', '', 'allow', 'deny') }]);
    expect(set.decide(req('t'))).toMatchObject({ effect: 'deny', rule: null });
    expect(set.decide(req('t', { constructor: true }))).toMatchObject({ effect: 'allow', rule: 'r' });
    const deny = compilePolicy([{ name: 'p.yaml', text: agt("toString == 'x' or __proto__.polluted == true") }]);
    expect(deny.decide(req('t', JSON.parse('{"__proto__": {"polluted": false}, "toString": "y"}') as Record<string, unknown>))).toMatchObject({ effect: 'allow', errors: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Differential: the real AGT engine and Warden on the same policies and calls.

type Row = [string, Request];

const DIFFERENTIAL: Row[] = [
  ['agent-safety.yaml', req('delete_file', { path: '/etc/passwd' })],
  ['agent-safety.yaml', req('drop_table', { table: 'users' })],
  ['agent-safety.yaml', req('send_email', { to: 'x@example.com' })],
  ['agent-safety.yaml', req('read_file', { path: '/tmp/x' })],
  ['agent-safety.yaml', req('tool', { action: 'shell_exec' })],
  ['agent-safety.yaml', req('tool', { action: { type: 'send_email', to: 'y' } })],
  ['agent-safety.yaml', req('delete', {})],
  ['financial-approvals.yaml', req('dummy_tool', { action: 'transfer', amount: 10 })],
  ['financial-approvals.yaml', req('dummy_tool', { action: 'close_account' })],
  ['financial-approvals.yaml', req('dummy_tool', { action: 'delete' })],
  ['financial-approvals.yaml', req('dummy_tool', { action: 'read' })],
  ['financial-approvals.yaml', req('transfer', {})],
  ['payments.yaml', req('refund', { amount: 5000, country: 'US', currency: 'USD', customer: customer('gold') })],
  ['payments.yaml', req('refund', { amount: 1000, country: 'KP', currency: 'USD', customer: customer('gold') })],
  ['payments.yaml', req('refund', { amount: 50, country: 'US', currency: 'USD', customer: customer('basic', true) })],
  ['payments.yaml', req('refund', { amount: 500, country: 'US', currency: 'USD', customer: customer('gold') })],
  ['payments.yaml', req('refund', { amount: 500, country: 'US', currency: 'USD', customer: customer('basic') })],
  ['payments.yaml', req('refund', { amount: 200, country: 'US', currency: 'GBP', customer: customer('basic') })],
  ['payments.yaml', req('refund', { amount: 199.99, country: 'US', currency: 'GBP', customer: customer('basic') })],
  ['payments.yaml', req('refund', { amount: 20, country: 'FR', currency: 'EUR', customer: customer('basic') })],
  ['payments.yaml', req('refund', { amount: 20, country: 'FR', currency: 'JPY', customer: customer('gold') })],
  ['payments.yaml', req('refund', { amount: 1000.5, country: 'FR', currency: 'EUR', customer: customer('gold') })],
  ['payments.yaml', req('get_balance', {})],
  ['payments.yaml', req('list_payments', { page: 2 })],
  ['payments.yaml', req('get_payment', { attempt: 3 })],
  ['payments.yaml', req('get_payment', { attempt: 4 })],
  ['payments.yaml', req('adjust', { amount: 0, note: 'auto' })],
  ['payments.yaml', req('adjust', { amount: 0, note: 'manual' })],
  ['payments.yaml', req('adjust', { amount: 1, note: 'auto' })],
  ['payments.yaml', req('void', {})],
  ['payments.yaml', req('tool', { action: { type: 'refund' }, amount: 300, country: 'US', currency: 'USD', customer: customer('basic') })],
  ['targeted.yaml', req('search', {}, 'did:mesh:finance-bot')],
  ['targeted.yaml', req('delete', {}, 'did:mesh:finance-bot')],
  ['targeted.yaml', req('search', {}, 'did:mesh:intruder')],
  ['targeted.yaml', req('delete', {}, 'did:mesh:intruder')],
];

describe('AGT documents: differential against the AGT SDK (PolicyEngine.evaluatePolicy, deny-overrides)', () => {
  const engines = new Map<string, PolicyEngine>();
  const sets = new Map<string, PolicySet>();
  const engine = (f: string): PolicyEngine => engines.get(f) ?? engines.set(f, sdkEngine(fixture(f))).get(f)!;
  const set = (f: string): PolicySet => sets.get(f) ?? sets.set(f, load(f)).get(f)!;

  it.each(DIFFERENTIAL.map(([f, r]) => [f, `${r.tool} ${JSON.stringify(r.args)}${r.agent ? ` as ${r.agent.did}` : ''}`, r] as const))('%s: %s decides as AGT does', (f, _label, request) => {
    const warden = set(f).decide(request);
    expect(warden.errors).toEqual([]);
    expect(wardenOutcome(warden)).toEqual(sdkDecide(engine(f), request));
  });

  it('covers every effect and both the rule and the default deciding', () => {
    const outcomes = DIFFERENTIAL.map(([f, r]) => set(f).decide(r));
    expect(new Set(outcomes.map((d) => d.effect))).toEqual(new Set(['allow', 'deny', 'require_approval', 'warn']));
    expect(outcomes.some((d) => d.rule === null)).toBe(true);
  });

  it("reports AGT's reason: the rule's description", () => {
    const request = req('refund', { amount: 500, country: 'US', currency: 'USD', customer: customer('basic') });
    const sdk = engine('payments.yaml').evaluatePolicy('*', agtContext(request));
    expect(set('payments.yaml').decide(request).reason).toBe(sdk.reason);
  });
});

// Where Warden intentionally decides otherwise than AGT: each row pins both answers.
describe('AGT documents: intentional differences from the AGT SDK', () => {
  const DIFFERENCES: Array<[string, string, Request, Outcome, Outcome]> = [
    // A missing field: AGT's comparison is false; in Warden it is an error, and an error makes a deny apply.
    ['a deny rule reading a missing field applies', agt('amount > 100'), req('t'), { effect: 'allow', rule: null, approvers: [] }, { effect: 'deny', rule: 'r', approvers: [] }],
    ['!= on a missing field does not allow', agt("note != 'manual'", '', 'allow', 'deny'), req('t'), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    ['not in on a missing field does not allow', agt("role not in ['guest']", '', 'allow', 'deny'), req('t'), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    // Numbers: AGT converts with Number(); Warden compares JSON numbers only.
    ['a numeric string is not a number', agt('amount > 100'), req('t', { amount: '50' }), { effect: 'allow', rule: null, approvers: [] }, { effect: 'deny', rule: 'r', approvers: [] }],
    ['a numeric string does not allow', agt('amount == 0', '', 'allow', 'deny'), req('t', { amount: '0' }), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    ['null is not zero', agt('amount < 10', '', 'allow', 'deny'), req('t', { amount: null }), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    // in: the TS SDK compares String(value); Warden needs a string.
    ['a number is not its string in a list', agt("code in ['7']", '', 'allow', 'deny'), req('t', { code: 7 }), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    // Truthiness: a bare path needs a boolean.
    ['a non-empty string is not true', agt('flags.admin', '', 'allow', 'deny'), req('t', { flags: { admin: 'no' } }), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    // Prototype properties are not data.
    ['constructor is absent data, not a function', agt('constructor', '', 'allow', 'deny'), req('t'), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    // A list index: the TS SDK indexes arrays with "items.0"; Warden reads a map key "0" only.
    ['items.0 does not index a list', agt("items.0 == 'a'", '', 'allow', 'deny'), req('t', { items: ['a'] }), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
    // An action argument that is neither a string nor an object is an error, not String(value).
    ["a numeric action is not its string", agt("action.type == '5'", '', 'allow', 'deny'), req('t', { action: 5 }), { effect: 'allow', rule: 'r', approvers: [] }, { effect: 'deny', rule: null, approvers: [] }],
  ];

  it.each(DIFFERENCES)('%s', (_what, text, request, sdk, warden) => {
    expect(sdkDecide(sdkEngine(text), request)).toEqual(sdk);
    expect(wardenOutcome(compilePolicy([{ name: 'd.yaml', text }]).decide(request))).toEqual(warden);
  });

  it('maps log to allow where the AGT engine reports allowed: false for it (its govern() raises)', () => {
    const text = agt("action.type == 'x'", '', 'log', 'deny');
    const sdk = sdkEngine(text).evaluatePolicy('*', agtContext(req('x')));
    expect([sdk.action, sdk.allowed]).toEqual(['log', false]);
    expect(compilePolicy([{ name: 'l.yaml', text }]).decide(req('x'))).toMatchObject({ effect: 'allow', allowed: true });
  });

  it('maps warn to a warning that allows, where the AGT engine reports allowed: false', () => {
    const text = agt("action.type == 'x'", '', 'warn', 'deny');
    const sdk = sdkEngine(text).evaluatePolicy('*', agtContext(req('x')));
    expect([sdk.action, sdk.allowed]).toEqual(['warn', false]);
    expect(compilePolicy([{ name: 'w.yaml', text }]).decide(req('x'))).toMatchObject({ effect: 'warn', allowed: true });
  });

  it('takes the most restrictive default and effect across several AGT documents (AGT: the first policy default, priority across policies)', () => {
    const a = 'apiVersion: governance.toolkit/v1\nname: a\ndefault_action: allow\nrules:\n  - name: allow-x\n    condition: "action.type == \'x\'"\n    action: allow\n    priority: 100\n';
    const b = 'apiVersion: governance.toolkit/v1\nname: b\ndefault_action: deny\nrules:\n  - name: review-x\n    condition: "action.type == \'x\'"\n    action: require_approval\n    approvers: [ops]\n';
    const engine = sdkEngine(`${a}---\n${b}`);
    expect(sdkDecide(engine, req('x'))).toMatchObject({ effect: 'allow', rule: 'allow-x' });
    expect(sdkDecide(engine, req('y'))).toMatchObject({ effect: 'allow', rule: null });
    const set = compilePolicy([{ name: 'a.yaml', text: a }, { name: 'b.yaml', text: b }]);
    expect(set.decide(req('x'))).toMatchObject({ effect: 'require_approval', rule: 'review-x' });
    expect(set.decide(req('y'))).toMatchObject({ effect: 'deny', rule: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: for any condition of the grammar and any arguments, Warden gives AGT's answer or, when
// its condition errs, the fail-closed one (a deny rule applies; an allow rule does not).

const PATHS = ['a', 'b', 'a.b', 'n', 'flag', 'items.0', 'action.type', 'action.kind'];
const STRINGS = ['x', 'y', 'read', '7', 'true', 'null', ''];

const anyAtomArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom('==', '!='), fc.constantFrom(...STRINGS.filter((s) => s !== ''))).map(([p, op, s]) => `${p} ${op} '${s}'`),
  fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom('==', '!=', '>', '>=', '<', '<='), fc.constantFrom('0', '7', '1.5', '100')).map(([p, op, n]) => `${p} ${op} ${n}`),
  fc.tuple(fc.constantFrom(...PATHS), fc.boolean()).map(([p, b]) => `${p} == ${String(b)}`),
  fc.tuple(fc.constantFrom(...PATHS), fc.boolean(), fc.subarray(STRINGS.filter((s) => s !== ''))).map(([p, not, items]) => `${p} ${not ? 'not in' : 'in'} [${items.map((s) => `'${s}'`).join(', ')}]`),
  fc.constantFrom(...PATHS),
);

/** Comparisons that fit the type the generated arguments mostly hold, so most conditions evaluate. */
const STRING_PATHS = ['a', 'b', 'action.type', 'action.kind', 'items.0'];
const atomArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...STRING_PATHS), fc.constantFrom('==', '!='), fc.constantFrom(...STRINGS.filter((s) => s !== ''))).map(([p, op, s]) => `${p} ${op} '${s}'`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...STRING_PATHS), fc.boolean(), fc.subarray(STRINGS.filter((s) => s !== ''))).map(([p, not, items]) => `${p} ${not ? 'not in' : 'in'} [${items.map((s) => `'${s}'`).join(', ')}]`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('==', '!=', '>', '>=', '<', '<='), fc.constantFrom('0', '7', '1.5', '100')).map(([op, n]) => `n ${op} ${n}`) },
  { weight: 2, arbitrary: fc.constantFrom('flag', 'flag == true', 'flag == false') },
  { weight: 2, arbitrary: anyAtomArb },
);

const conditionArb = fc.array(fc.array(atomArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((or) => or.map((and) => and.join(' and ')).join(' or '));

const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.constantFrom(0, 7, 1.5, 100, -1, 1e21),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(['x'], [7], [], { b: 'x' }, { b: 7 }, { 0: 'x' }, { type: 'read' }, { kind: 'x' }),
);

/** Mostly the type each path is compared as (so most conditions evaluate), sometimes anything, sometimes absent. */
const typed = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: valueArb });
const stringArb = fc.constantFrom(...STRINGS);
const argsArb = fc
  .tuple(
    fc.record({
      a: typed(fc.oneof(stringArb, fc.record({ b: fc.oneof(stringArb, fc.constantFrom(0, 7, 100), fc.boolean()) }))),
      b: typed(stringArb),
      n: typed(fc.constantFrom(0, 7, 1.5, 100, 101, 6.999)),
      flag: typed(fc.boolean()),
      items: typed(fc.constantFrom({ 0: 'x' }, { 0: 7 }, { 0: 'read' })),
      action: typed(fc.oneof(stringArb, fc.record({ type: stringArb, kind: stringArb }))),
    }),
    fc.subarray(['a', 'b', 'n', 'flag', 'items', 'action'], { maxLength: 2 }),
  )
  .map(([args, absent]) => {
    const out: Record<string, unknown> = { ...args };
    for (const k of absent) delete out[k];
    return out;
  });

describe('AGT conditions: property against the AGT SDK', () => {
  it('gives the SDK answer whenever the condition evaluates, and fails closed when it errs', () => {
    fc.assert(
      fc.property(conditionArb, argsArb, fc.constantFrom('read', 'x', 'tool'), (condition, args, tool) => {
        // As JSON carries them: generated records have no prototype, which JSON data always has.
        const request = req(tool, JSON.parse(JSON.stringify(args)) as Record<string, unknown>);
        for (const [action, def] of [['deny', 'allow'], ['allow', 'deny']] as const) {
          const text = agt(condition, '', action, def);
          const sdk = sdkDecide(sdkEngine(text), request);
          const d = compilePolicy([{ name: 'p.yaml', text }]).decide(request);
          if (d.errors.length === 0) expect(wardenOutcome(d)).toEqual(sdk);
          else expect(d.effect).toBe('deny');
        }
      }),
      { numRuns: 600 },
    );
  });
});

const ruleArb = fc.record({
  condition: conditionArb,
  action: fc.constantFrom<PolicyAction>('allow', 'deny', 'warn', 'require_approval', 'log'),
  priority: fc.constantFrom(0, 10, 10, 50),
  enabled: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

describe('AGT documents: property against the AGT SDK, several rules', () => {
  it("picks AGT's winner (deny-overrides, then the highest priority whatever its action) whenever no condition errs, and never allows what AGT does not", () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 2, maxLength: 4 }), fc.constantFrom('allow', 'deny'), argsArb, fc.constantFrom('read', 'x'), (rules, def, args, tool) => {
        const text = [
          'apiVersion: governance.toolkit/v1',
          'name: p',
          `default_action: ${def}`,
          'rules:',
          ...rules.flatMap((r, i) => [
            `  - name: r${i}`,
            `    condition: ${JSON.stringify(r.condition)}`,
            `    action: ${r.action}`,
            `    priority: ${r.priority}`,
            `    enabled: ${String(r.enabled)}`,
            ...(r.action === 'require_approval' ? ['    approvers: [ops]'] : []),
          ]),
        ].join('\n');
        const request = req(tool, JSON.parse(JSON.stringify(args)) as Record<string, unknown>);
        const sdk = sdkDecide(sdkEngine(text), request);
        const d = compilePolicy([{ name: 'p.yaml', text }]).decide(request);
        if (d.errors.length === 0) expect(wardenOutcome(d)).toEqual(sdk);
        else if (d.allowed) expect(['allow', 'warn']).toContain(sdk.effect);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('warden convert: equivalent warden/v1 documents', () => {
  const FILES = ['agent-safety.yaml', 'financial-approvals.yaml', 'payments.yaml', 'targeted.yaml'];

  it.each(FILES)('converts %s into a warden/v1 document that decides the same on the whole table', (f) => {
    const { text, policies } = convertAgtPolicies([{ name: f, text: fixture(f) }]);
    expect(text).toContain('apiVersion: warden/v1');
    expect(text).not.toContain('governance.toolkit/v1\n');
    const original = load(f);
    const converted = compilePolicy([{ name: 'converted.yaml', text }]);
    expect(policies).toEqual([{ name: original.policies[0]?.name, source: f, rules: original.rules.length }]);
    expect(converted.rules.map((r) => [r.name, r.effect, r.whenText, r.reason, r.approvers])).toEqual(original.rules.map((r) => [r.name, r.effect, r.whenText, r.reason, r.approvers]));
    const requests = [...DIFFERENTIAL.map(([, r]) => r), req('t'), req('refund', { amount: 'x' }), req('adjust', { amount: 0 }), req('x', { action: 5 })];
    for (const request of requests) {
      const a = original.decide(request);
      const b = converted.decide(request);
      expect({ ...b, policyDigest: '' }).toEqual({ ...a, policyDigest: '' });
    }
  });

  it('converts several files into one stream in order and keeps the comments that explain the mapping', () => {
    const { text, policies } = convertAgtPolicies(FILES.map((f) => ({ name: f, text: fixture(f) })));
    expect(policies.map((p) => p.name)).toEqual(['agent-safety', 'financial-approvals', 'payments', 'finance-bot-only']);
    expect(text.split(/^---$/m)).toHaveLength(4);
    expect(text).toContain('# AGT: action require_approval, priority 50, condition: action.type == \'send_email\'');
    expect(text).toContain('# steps aside when a higher-priority, less restrictive rule matches: trusted-refunds');
    expect(text).toContain('# Left out (enabled: false in the AGT source): void-payments.');
    expect(text).toContain('# AGT agents: did:mesh:finance-bot, did:mesh:finance-bot-2');
  });

  it('keeps a line break in a condition or a file name out of the YAML comments', () => {
    const text = agt("a == 'x\ry' or b == 'z'", '', 'deny');
    const out = convertAgtPolicies([{ name: 'evil\n- name: x\n', text }]);
    const set = compilePolicy([{ name: 'c.yaml', text: out.text }]);
    expect(set.rules.map((r) => r.name)).toEqual(['r']);
    expect(set.decide(req('t', { a: 'x\ry', b: 'q' }))).toMatchObject({ effect: 'deny', rule: 'r' });
  });

  it('carries the warnings of the AGT sources', () => {
    const out = convertAgtPolicies([{ name: 'agt.yaml', text: agt('amount.value > 5') }]);
    expect(out.warnings.map((w) => w.code)).toEqual(['agt_value_wrapper']);
  });

  it.each([
    ['a warden/v1 document', fixture('warden.yaml'), 'not_agt_policy'],
    ['an unsupported field', fixture('unsupported/limit.yaml'), 'agt_unsupported'],
    ['an unsupported condition', fixture('unsupported/matches.yaml'), 'agt_condition'],
  ])('refuses %s', (_what, text, code) => {
    try {
      convertAgtPolicies([{ name: 'in.yaml', text }]);
      expect.unreachable('convert should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyLoadError);
      expect((e as PolicyLoadError).issues.map((i) => i.code)).toContain(code);
    }
  });
});

describe('docs/agt-compatibility.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'agt-compatibility.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((b) => b.includes('governance.toolkit/v1'));

  it('has AGT examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((b, i) => [i, b] as const))('loads AGT example %i', (_i, block) => {
    expect(() => compilePolicy([{ name: 'doc.yaml', text: block }])).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// The built CLI, as a user runs it.

describe('warden convert (the CLI)', () => {
  let main = '';
  const temps: string[] = [];

  beforeAll(() => {
    main = inject('wardenCli');
  }, 180_000);

  afterAll(() => {
        for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  function warden(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [main, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end();
    });
  }

  it('prints the converted documents and exits 0; the output loads and decides as the AGT file', async () => {
    const run = await warden(['convert', join(FIX, 'payments.yaml'), join(FIX, 'agent-safety.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const converted = compilePolicy([{ name: 'out.yaml', text: run.stdout }]);
    const original = compilePolicy(['payments.yaml', 'agent-safety.yaml'].map((f) => ({ name: f, text: fixture(f) })));
    for (const [, request] of DIFFERENTIAL.filter(([f]) => f === 'payments.yaml' || f === 'agent-safety.yaml')) {
      expect({ ...converted.decide(request), policyDigest: '' }).toEqual({ ...original.decide(request), policyDigest: '' });
    }
    // What warden check then runs on, from a file.
    const dir = mkdtempSync(join(tmpdir(), 'warden-agt-'));
    temps.push(dir);
    writeFileSync(join(dir, 'converted.yaml'), run.stdout);
    writeFileSync(join(dir, 'req.json'), JSON.stringify(req('delete_file', { path: '/x' })));
    const check = await warden(['check', '--policy', join(dir, 'converted.yaml'), '--request', join(dir, 'req.json')]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('block-dangerous-tools');
  });

  it('prints warnings on stderr and still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-agt-'));
    temps.push(dir);
    writeFileSync(join(dir, 'w.yaml'), agt('amount.value > 5'));
    const run = await warden(['convert', join(dir, 'w.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning[agt_value_wrapper]');
    expect(run.stdout).toContain('apiVersion: warden/v1');
  });

  it.each([
    ['an unsupported field', [join(FIX, 'unsupported', 'limit.yaml')], 'error[agt_unsupported]'],
    ['a condition outside the grammar', [join(FIX, 'unsupported', 'matches.yaml')], 'error[agt_condition]'],
    ['a warden/v1 file', [join(FIX, 'warden.yaml')], 'error[not_agt_policy]'],
    ['a missing file', [join(FIX, 'nope.yaml')], 'error[file_not_found]'],
  ])('exits 2 on %s and prints nothing on stdout', async (_what, paths, message) => {
    const run = await warden(['convert', ...paths]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('loads AGT files directly in warden check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-agt-'));
    temps.push(dir);
    writeFileSync(join(dir, 'req.json'), JSON.stringify(req('dummy_tool', { action: 'transfer' })));
    const run = await warden(['check', '--policy', join(FIX, 'financial-approvals.yaml'), '--request', join(dir, 'req.json'), '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ effect: 'require_approval', rule: 'approve-large-transfer', approvers: ['treasury-ops', 'compliance'] });
  });
});

/**
 * The Agent Governance Toolkit 4.0 peer (`@microsoft/agent-governance-sdk`, PolicyEngine's rich
 * policy API: loadPolicy + evaluatePolicy).
 *
 * Mapping from the neutral rules (rules.ts), as read from the SDK's own source and tests
 * (dist/policy.js `evaluatePolicy`, tests/policy-parity.test.ts):
 * - effect -> `ruleAction` ('allow' | 'deny'). `action` is the *legacy* flat-rule matcher (an
 *   action-name glob for `evaluate()`); evaluatePolicy ignores it and falls back to
 *   `ruleAction ?? effect ?? 'deny'`, so a rule written with `action: 'allow'` is a deny.
 * - tool scoping -> a condition `tool == 'tool_7'` (AGT has no tool index); each comparison
 *   -> `args.<field> <op> <literal>` (dotted paths read nested context), joined with ` and `.
 * - request -> context `{ tool, args }`.
 * - Warden's deny-overrides -> `ConflictResolutionStrategy.DenyOverrides`. The SDK's default is
 *   PriorityFirstMatch, under which the first matching rule wins whatever its effect. With every
 *   priority 0 both strategies fall back to rule order (a stable sort), as Warden does.
 * - default deny -> `default_action: 'deny'`; `agents: ['*']` so the policy applies to any DID.
 */
import { ConflictResolutionStrategy, PolicyEngine } from '@microsoft/agent-governance-sdk';
import { checkRules, type BenchRequest, type BenchRule, type Verdict } from './rules.js';

type AgtPolicy = Parameters<PolicyEngine['loadPolicy']>[0];

/** The AGT policy document for `rules`. */
export function toAgtPolicy(name: string, rules: readonly BenchRule[]): AgtPolicy {
  checkRules(rules);
  return {
    name,
    agents: ['*'],
    default_action: 'deny',
    rules: rules.map((r) => ({
      name: r.name,
      condition: [`tool == '${r.tool}'`, ...r.when.map((c) => `args.${c.field} ${c.op} ${typeof c.value === 'string' ? `'${c.value}'` : String(c.value)}`)].join(' and '),
      ruleAction: r.effect,
    })),
  };
}

/** A loaded AGT engine and the call the bench times. */
export interface AgtPeer {
  name: 'agt';
  engine: PolicyEngine;
  /** The request as AGT's context. */
  input(request: BenchRequest): Record<string, unknown>;
  evaluate(input: Record<string, unknown>): ReturnType<PolicyEngine['evaluatePolicy']>;
  verdict(input: Record<string, unknown>): Verdict;
}

/** Loads `rules` into a deny-overrides PolicyEngine. */
export function loadAgt(name: string, rules: readonly BenchRule[]): AgtPeer {
  const engine = new PolicyEngine(undefined, ConflictResolutionStrategy.DenyOverrides);
  engine.loadPolicy(toAgtPolicy(name, rules));
  const evaluate = (input: Record<string, unknown>): ReturnType<PolicyEngine['evaluatePolicy']> => engine.evaluatePolicy('did:agent:bench', input);
  return {
    name: 'agt',
    engine,
    input: (r) => ({ tool: r.tool, args: r.args }),
    evaluate,
    verdict(input) {
      const d = evaluate(input);
      if (d.action !== 'allow' && d.action !== 'deny') throw new Error(`AGT answered "${d.action}", which no bench rule produces`);
      return { effect: d.action, rule: d.matchedRule ?? null };
    },
  };
}

/**
 * Which tools `--hide-denied` leaves out of tools/list: only those the policy denies for every
 * possible call, so hiding never removes a tool some call could use. Pure.
 */
import type { PolicySet } from '../../policy/policy-set.js';
import type { AgentIdentity } from '../../decision.js';

/**
 * True when every call of `tool` by this agent in this context is denied, whatever its arguments.
 * That holds in exactly two cases:
 *
 * 1. a decision with empty arguments is `deny` by a rule that has no `when` and no `unless` (the
 *    rule applies to every call of the tool, and deny overrides everything else); or
 * 2. the policy set's default is deny (some document says `default: deny`, or none is loaded) and
 *    no `allow`, `warn` or `require_approval` rule covers the tool by its `tools` globs (so no
 *    arguments, agent or context can make anything but a deny apply).
 *
 * Anything else (a conditional deny next to an allow rule, a rule that reads the arguments or the
 * agent) keeps the tool listed; its calls are still decided one by one.
 *
 * @example
 * ```ts
 * const visible = tools.filter((t) => !alwaysDenied(set, t.name, { id: 'ide' }, { server: 'fs' }));
 * ```
 */
export function alwaysDenied(set: PolicySet, tool: string, agent?: AgentIdentity, context?: Record<string, unknown>): boolean {
  const defaultDenies = set.policies.length === 0 || set.policies.some((p) => p.default === 'deny');
  if (defaultDenies && !set.rules.some((r) => r.effect !== 'deny' && (r.exactTools === null || r.exactTools.includes(tool) || r.globTools.some((g) => g.test(tool))))) return true;
  const decision = set.decide({ tool, args: {}, ...(agent ? { agent } : {}), ...(context ? { context } : {}) });
  if (decision.effect !== 'deny' || decision.rule === null) return false;
  const rule = set.rules.find((r) => r.name === decision.rule && r.policy === decision.policy);
  return rule !== undefined && rule.effect === 'deny' && rule.when === undefined && rule.unless === undefined;
}

/**
 * Policy gaps: what a learner found that the training policy lets through. A gap is a sequence of
 * calls that the policy under test allowed step by step, whose combined effect a reference policy
 * (one with flow rules: production's, or examples/policies/flow-guards.yaml) denies, while the
 * reference allows the last step on its own. That is the signature of a forbidden action split
 * into allowed steps (read a secret, stage it, upload it): no single call is the violation, the
 * sequence is. Pure and deterministic.
 */
import type { PolicySet } from '../policy/policy-set.js';
import { ruleId } from './reward.js';
import { replayTrajectory, type ReplayedCall } from './session-replay.js';
import type { Trajectory } from './trajectory.js';

/**
 * One gap: the calls that built the forbidden combination, and the reference rule that names it.
 *
 * @example
 * ```ts
 * const g: PolicyGap = { trajectory: 'ep-3', checkpoint: 'c2', index: 2, step: 2, tool: 'upload', rule: 'ref/no-egress-after-secret', reason: '...', sequence: [{ index: 0, step: 0, tool: 'read_file', labels: ['secret'] }, { index: 2, step: 2, tool: 'upload', labels: [] }] };
 * ```
 */
export interface PolicyGap {
  trajectory: string;
  checkpoint: string | null;
  /** The call where the combination completed (0-based position). */
  index: number;
  step: number;
  tool: string;
  /** The reference rule that denies the combination (`policy/rule`). */
  rule: string;
  reason: string;
  /** The earlier calls that added session labels under the reference policy, then the completing call. */
  sequence: Array<{ index: number; step: number; tool: string; labels: readonly string[] }>;
}

/**
 * The gaps of a trajectory: calls that `policySet` allowed, that ran, and that `reference` denies
 * only because of what the session did before (its decision on the call alone allows it).
 *
 * @example
 * ```ts
 * const gaps = policyGaps(trajectory, trainingPolicy, productionPolicy);
 * for (const g of gaps) console.log(g.rule, g.sequence.map((s) => s.tool).join(' -> '));
 * ```
 */
export function policyGaps(trajectory: Trajectory, policySet: PolicySet, reference: PolicySet): PolicyGap[] {
  const underTest = [...replayTrajectory(trajectory, policySet)];
  const gaps: PolicyGap[] = [];
  const contributors: ReplayedCall[] = [];
  // invariant: the reference sees the session that what ran under the policy under test built.
  for (const ref of replayTrajectory(trajectory, reference, { ran: underTest.map((c) => c.ran) })) {
    const tested = underTest[ref.index] as ReplayedCall;
    const flowDenied = !ref.decision.allowed && ref.decision.effect !== 'require_approval' && (ref.alone.allowed || ref.alone.effect === 'require_approval');
    if (flowDenied && tested.decision.allowed && tested.limit === null && ref.ran) {
      gaps.push({
        trajectory: trajectory.id,
        checkpoint: trajectory.checkpoint,
        index: ref.index,
        step: ref.call.step,
        tool: ref.call.tool,
        rule: ruleId(ref.decision.policy, ref.decision.rule),
        reason: ref.decision.reason,
        sequence: [...contributors, ref].map((c) => ({ index: c.index, step: c.call.step, tool: c.call.tool, labels: c.labels })),
      });
    }
    if (ref.ran && ref.labels.length > 0) contributors.push(ref);
  }
  return gaps;
}

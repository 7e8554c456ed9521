/**
 * The host's approval path for an `escalate` verdict (specification section 17.1): the approver
 * answers for one `enforced` action identity, and the action proceeds only when the identity
 * re-derived from the current policy input is the same.
 */
import { acsActionIdentity, type AcsEvaluation } from './evaluate.js';
import { failureVerdict, type AcsVerdict } from './verdict.js';

/**
 * What an approver answered: allow or suspend name the identity they approved; deny needs none.
 *
 * @example
 * ```ts
 * const outcome: AcsApprovalOutcome = { outcome: 'allow', enforcedIdentity: result.actionIdentity!.enforced };
 * ```
 */
export type AcsApprovalOutcome = { outcome: 'allow' | 'suspend'; enforcedIdentity: string } | { outcome: 'deny'; reason?: string };

/**
 * What the host does after an approval: proceed, refuse (with the verdict to report), or stop the
 * run and hand the decision to an out-of-band process.
 *
 * @example
 * ```ts
 * const s: AcsApprovalSettlement = { action: 'deny', verdict: { decision: 'deny', reason: 'runtime_error:approval_action_mismatch', message: '…', resultLabels: [] } };
 * ```
 */
export type AcsApprovalSettlement = { action: 'proceed' } | { action: 'suspend' } | { action: 'deny'; verdict: AcsVerdict };

/**
 * Settles an `escalate` evaluation with the approver's answer. Fails closed: no escalation, an
 * unrecognized answer (`approval_resolver_failed`), or an identity that is not the one re-derived
 * from `evaluation.policyInput` as it is now (`approval_action_mismatch`) is a deny.
 *
 * @example
 * ```ts
 * const settled = settleAcsApproval(result, { outcome: 'allow', enforcedIdentity: approvedId });
 * if (settled.action === 'proceed') runTheAction();
 * ```
 */
export function settleAcsApproval(evaluation: AcsEvaluation, answer: unknown): AcsApprovalSettlement {
  if (evaluation.verdict.decision !== 'escalate' || evaluation.policyInput === null) {
    return { action: 'deny', verdict: evaluation.verdict.decision === 'escalate' ? failureVerdict('runtime_error:approval_resolver_failed') : evaluation.verdict };
  }
  const a = answer as Partial<{ outcome: unknown; enforcedIdentity: unknown; reason: unknown }> | null;
  if (typeof a !== 'object' || a === null) return { action: 'deny', verdict: failureVerdict('runtime_error:approval_resolver_failed') };
  if (a.outcome === 'deny') return { action: 'deny', verdict: { decision: 'deny', reason: typeof a.reason === 'string' && !a.reason.startsWith('runtime_error:') ? a.reason : 'approval_denied', message: null, resultLabels: [] } };
  if ((a.outcome !== 'allow' && a.outcome !== 'suspend') || typeof a.enforcedIdentity !== 'string') return { action: 'deny', verdict: failureVerdict('runtime_error:approval_resolver_failed') };
  let current: string;
  try {
    current = acsActionIdentity(evaluation.policyInput);
  } catch {
    return { action: 'deny', verdict: failureVerdict('runtime_error:approval_action_mismatch') };
  }
  if (current !== a.enforcedIdentity) return { action: 'deny', verdict: failureVerdict('runtime_error:approval_action_mismatch') };
  return a.outcome === 'allow' ? { action: 'proceed' } : { action: 'suspend' };
}

/** What the pipeline returns: the final word on one call. */
import type { Decision, WardenWarning } from '../decision.js';

/**
 * The outcome of approval handling.
 *
 * @example
 * ```ts
 * const a: ApprovalOutcome = { approved: false, reason: 'the approval handler answered "yes"; only the boolean true approves', requestDigest: 'sha256:…' };
 * ```
 */
export interface ApprovalOutcome {
  approved: boolean;
  /** Why: `approved`, `the approval handler failed: …`, `… did not answer within 300000 ms`, … */
  reason: string;
  /** `sha256:<hex>` of the canonical request the approval is bound to. */
  requestDigest: string;
  /** Who answered, when the answer came through the host's own flow (see HostApproval). */
  by?: string;
}

/**
 * The final decision after approvals and recording. `effect`, `allowed` and `reason` are final;
 * `policyDecision` is what the policy alone said. Built once, after recording; never changed.
 *
 * @example
 * ```ts
 * const v = await governor.check({ tool: 'send_email', args: { to: 'x@y.z' } });
 * if (v.allowed) send(); else console.log(v.reason);
 * ```
 */
export interface Verdict extends Decision {
  /** The policy's own decision, before approval handling (or the enforcement point's gate, when one refused). */
  policyDecision: Decision;
  approval?: ApprovalOutcome;
  /** The call's id (the host's `context.callId`, or one the pipeline made); outcomes name it. */
  call: string;
  /** `sha256:<hex>` of the canonical decided request `{ agent?, args, context?, tool }` (what an approver is shown); empty when it had no JSON form. */
  requestDigest: string;
  /** True once the decision was written to the sink. Never true for a record that was not written. */
  recorded: boolean;
  /** Things the caller should know (e.g. the record failed under onAuditFailure allow-and-warn). */
  warnings: WardenWarning[];
}

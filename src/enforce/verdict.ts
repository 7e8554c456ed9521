/** What the Governor returns: the final word on one request. */
import type { Decision } from '../decision.js';

/** The outcome of approval handling. */
export interface ApprovalOutcome {
  approved: boolean;
  /** Why: `approved`, `handler returned false`, `timed out after 300000 ms`, ... */
  reason: string;
  /** `sha256:<hex>` of the canonical request the approval is bound to. */
  requestDigest: string;
}

/**
 * The final decision after approvals and recording. `effect`, `allowed` and `reason` are final;
 * `policyDecision` is what the policy alone said.
 *
 * @example
 * ```ts
 * const v = await governor.check({ tool: 'send_email', args: { to: 'x@y.z' } });
 * if (v.allowed) send(); else console.log(v.reason);
 * ```
 */
export interface Verdict extends Decision {
  /** The policy's own decision, before approval handling. */
  policyDecision: Decision;
  approval?: ApprovalOutcome;
  /** True once the decision was written to the sink. Never true for a record that was not written. */
  recorded: boolean;
  /** Things the caller should know (e.g. the record failed under onAuditFailure allow-and-warn). */
  warnings: string[];
}

/**
 * The verdict, built once from a finished call (never changed afterwards).
 */
import type { Decision, DecisionError, WardenWarning } from '../decision.js';
import { policyFailure, requestDigestOf, settled, type CallState } from './call.js';
import type { DecidedCall } from './pipeline-types.js';
import type { ApprovalOutcome, Verdict } from './verdict.js';

/** The verdict, built once from the finished call. */
export function finish(call: CallState): DecidedCall {
  const decision = call.decision ?? policyFailure('no stage decided the call', '');
  const final = settled(call);
  let { effect, allowed, reason } = final;
  let errors = decision.errors;
  if (call.auditError !== null && call.warnings.length === 0) {
    // onAuditFailure: deny. Nothing was recorded, so nothing may run, and nothing may be put to a
    // person either (a require_approval a host would ask about becomes a deny too).
    effect = 'deny';
    allowed = false;
    reason = `The decision could not be recorded (${call.auditError}), so the call is denied (onAuditFailure: deny). Fix the audit sink. Policy said: ${reason}`;
    errors = [...errors, { code: 'audit_failure', rule: null, policy: null, message: call.auditError }];
  }
  const verdict: Verdict = new FinalVerdict(call, decision, effect, allowed, reason, errors);
  return { verdict, snapshot: call.unrecordable === null ? call.snapshot : null };
}

/**
 * A verdict whose `requestDigest` is hashed on first read: hashing costs more than the rest of an
 * allow recorded in memory, and most callers never read it. (Spread copies and JSON leave the
 * getter out; read `requestDigest` explicitly where it is needed.)
 */
class FinalVerdict implements Verdict {
  effect: Decision['effect'];
  allowed: boolean;
  rule: string | null;
  policy: string | null;
  reason: string;
  approvers: string[];
  errors: DecisionError[];
  policyDigest: string;
  policyDecision: Decision;
  approval?: ApprovalOutcome;
  call: string;
  recorded: boolean;
  warnings: WardenWarning[];
  #call: CallState | null;
  #digest: string | undefined;

  constructor(call: CallState, decision: Decision, effect: Decision['effect'], allowed: boolean, reason: string, errors: readonly DecisionError[]) {
    this.effect = effect;
    this.allowed = allowed;
    this.rule = decision.rule;
    this.policy = decision.policy;
    this.reason = reason;
    this.approvers = [...decision.approvers];
    this.errors = [...errors];
    this.policyDigest = decision.policyDigest;
    this.policyDecision = decision;
    if (call.approval !== undefined) this.approval = call.approval;
    this.call = call.id;
    this.recorded = call.recorded;
    this.warnings = call.warnings;
    this.#call = call;
    this.#digest = call.approval?.requestDigest;
  }

  get requestDigest(): string {
    if (this.#digest === undefined) {
      this.#digest = this.#call === null ? '' : requestDigestOf(this.#call);
      this.#call = null;
    }
    return this.#digest;
  }

  set requestDigest(value: string) {
    this.#digest = value;
    this.#call = null;
  }
}

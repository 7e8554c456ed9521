/** The error a governed function throws when its call is not allowed. */
import { WardenError } from '../errors.js';
import type { Decision } from '../decision.js';

/**
 * Thrown by governed functions when the decision is not an allow. Carries the Decision.
 *
 * @example
 * ```ts
 * try { await governedWrite({ path: '/etc/passwd' }); }
 * catch (e) { if (e instanceof GovernanceDenied) console.log(e.decision.rule, e.decision.reason); }
 * ```
 */
export class GovernanceDenied extends WardenError {
  readonly decision: Decision;
  readonly tool: string;

  constructor(tool: string, decision: Decision) {
    super('ERR_GOVERNANCE_DENIED', `Warden denied "${tool}": ${decision.reason}`);
    this.name = 'GovernanceDenied';
    this.decision = decision;
    this.tool = tool;
  }
}

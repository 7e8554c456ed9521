/**
 * The default store of paused calls for a Governor's adapters. Internal to src/integrations.
 */
import { WardenError } from '../../errors.js';
import type { Governor } from '../../enforce/governor.js';
import { MemoryPendingApprovals, type PendingApprovals } from '../../enforce/pending-approvals.js';

const SHARED_PENDING = new WeakMap<Governor, PendingApprovals>();

/**
 * The pending approvals of a Governor's adapters when none is passed: one in-process store per
 * Governor, so a resume finds its pause even when the tools are wrapped afresh for each request.
 */
export function pendingFor(governor: Governor, given: PendingApprovals | undefined): PendingApprovals {
  if (given !== undefined) return given;
  let pending = SHARED_PENDING.get(governor);
  if (pending === undefined) SHARED_PENDING.set(governor, (pending = new MemoryPendingApprovals()));
  return pending;
}


/**
 * Checks the approval options every host adapter takes (`approver`, `pendingApprovals`) and
 * returns the store of paused calls to use: the one given, or the Governor's shared one.
 *
 * @example
 * ```ts
 * const pending = approvalOptions(governor, { approver: 'finance-lead' });
 * ```
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for an empty or non-string approver, or a store without put/take.
 */
export function approvalOptions(governor: Governor, options: { approver?: unknown; pendingApprovals?: PendingApprovals | undefined }): PendingApprovals {
  if (options.approver !== undefined && (typeof options.approver !== 'string' || options.approver.length === 0)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'approver must be a non-empty string naming who answers approvals.');
  const given = options.pendingApprovals;
  if (given !== undefined && (given === null || typeof given.put !== 'function' || typeof given.take !== 'function')) {
    throw new WardenError('ERR_INTEGRATION_OPTIONS', 'pendingApprovals must offer put(key, digest) and take(key), like MemoryPendingApprovals.');
  }
  return pendingFor(governor, given);
}

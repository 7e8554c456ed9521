/**
 * The default store of paused calls for a Governor's adapters. Internal to src/integrations.
 */
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


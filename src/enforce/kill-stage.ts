/**
 * The `kill` stage: before any policy runs, the runtime's kill switch is asked whether the call's
 * agent or session (`context.session`) is killed. A kill denies whatever the policy would say; a
 * store that cannot be read denies too (the stage fails, and a failed stage denies).
 * `kill-recheck` asks again after an approval wait, so a kill during the wait still denies.
 */
import { freezeDecision, currentDigest, type CallState, type Core } from './call.js';

/** The rule and policy names a kill switch denial is recorded under. */
export const KILL_RULE = 'kill-switch';
export const KILL_POLICY = 'warden:runtime';

/** kill: a killed agent or session is denied before the policy. */
export function killStage(call: CallState, core: Core): void | Promise<void> {
  const runtime = core.runtime;
  // A call identify already denied needs no more; a report records what the enforcement point decided itself.
  if (runtime === null || call.decision !== null || call.report !== null) return;
  return ask(call, core);
}

/** kill-recheck: after an approval wait, the kill switch is asked again. */
export function killRecheckStage(call: CallState, core: Core): void | Promise<void> {
  if (core.runtime === null || !call.waited || call.approval?.approved !== true) return;
  return ask(call, core).then(() => {
    if (call.decision?.rule === KILL_RULE) call.approval = undefined;
  });
}

async function ask(call: CallState, core: Core): Promise<void> {
  const context = call.request.context as Record<string, unknown> | undefined;
  const session = typeof context?.session === 'string' ? context.session : null;
  const reason = await (core.runtime as NonNullable<Core['runtime']>).killed(call.agent?.id ?? null, session);
  if (reason === null) return;
  call.gated = true;
  call.decision = freezeDecision({ effect: 'deny', allowed: false, rule: KILL_RULE, policy: KILL_POLICY, reason, approvers: [], errors: [], policyDigest: currentDigest(core.policy) });
}

/**
 * Re-deciding a trajectory in order, the way the pipeline would have: each call decided by the
 * PolicySet with the time it was made and the session state the calls before it built (flow labels,
 * call counts, history, through the runtime's own `sessionAfterCall`), and its limits drawn from
 * counters kept for the trajectory alone (the GCRA arithmetic of src/runtime/gcra.ts). Pure and
 * synchronous: the same trajectory and policy always give the same decisions.
 */
import type { Decision, Request } from '../decision.js';
import type { LimitDemand } from '../policy/limit-compile.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { SessionView } from '../policy/session-view.js';
import { counterOpFor, limitOutcome } from '../runtime/gcra.js';
import { DEFAULT_HISTORY_SIZE, EMPTY_SESSION, sessionAfterCall, type SessionState } from '../runtime/session.js';
import type { Trajectory, TrajectoryCall } from './trajectory.js';

/**
 * One call of a trajectory, re-decided.
 *
 * @example
 * ```ts
 * for (const s of replayTrajectory(t, set)) console.log(s.index, s.decision.effect, s.alone.effect);
 * ```
 */
export interface ReplayedCall {
  /** Position in `trajectory.calls` (0-based). */
  index: number;
  call: TrajectoryCall;
  /** The policy's decision with the session the earlier calls built. */
  decision: Decision;
  /** The policy's decision on this call alone (an empty session): tells flow denials from step denials. */
  alone: Decision;
  /** When the policy allowed the call but a limit had no room (or could not be evaluated): which, and why. */
  limit: { limit: string; policy: string; reason: string } | null;
  /** Whether the call ran: its recorded outcome says so, or (none recorded) the policy and limits let it. */
  ran: boolean;
  /** The labels the call added to the session (its tool's reads and ingests), when it ran. */
  labels: readonly string[];
}

/**
 * Re-decides `trajectory` under `policySet`, call by call (see the module comment). `options.ran`
 * says which calls ran when another policy's replay decides that (gap analysis).
 *
 * @example
 * ```ts
 * const denied = [...replayTrajectory(t, set)].filter((s) => !s.decision.allowed).length;
 * ```
 */
export function* replayTrajectory(trajectory: Trajectory, policySet: PolicySet, options: { ran?: readonly boolean[] } = {}): Generator<ReplayedCall> {
  let session: SessionState = EMPTY_SESSION;
  const counters = new Map<string, number>();
  const id = trajectory.id;
  for (let index = 0; index < trajectory.calls.length; index++) {
    const call = trajectory.calls[index] as TrajectoryCall;
    const now = new Date(call.ts);
    const request = requestOf(call, id);
    const view: SessionView = { id, labels: session.labels, calls: session.calls, history: session.history };
    const decision = policySet.decide(request, { now, session: view });
    const alone = policySet.decide(request, { now, session: { id, labels: [], calls: {}, history: [] } });
    let limit: ReplayedCall['limit'] = null;
    if (decision.allowed) limit = drawLimits(policySet, request, now, view, counters);
    const recorded = call.outcome?.status;
    const ran = options.ran?.[index] ?? (recorded === undefined ? decision.allowed && limit === null : recorded !== 'denied');
    let labels: readonly string[] = [];
    if (ran) {
      const flow = policySet.flowLabels(call.tool);
      labels = [...new Set([...flow.reads, ...flow.ingests])].sort();
      session = sessionAfterCall(session, call.tool, flow, now, DEFAULT_HISTORY_SIZE);
    }
    yield { index, call, decision, alone, limit, ran, labels };
  }
}

/**
 * The request a trajectory call stands for: its tool, arguments, agent and context, with the
 * trajectory's id as the session (`context.session`).
 *
 * @example
 * ```ts
 * requestOf({ step: 0, ts: '2026-01-01T00:00:00Z', tool: 'ls', args: {} }, 'ep-1').context; // { session: 'ep-1' }
 * ```
 */
export function requestOf(call: TrajectoryCall, trajectory: string): Request {
  const request: Request = { tool: call.tool, args: call.args, context: { ...(call.context ?? {}), session: trajectory } };
  if (call.agent !== undefined) request.agent = call.agent;
  return request;
}

/** Draws every limit the call covers from the trajectory's counters; the refusal, or null when all had room. */
function drawLimits(set: PolicySet, request: Request, now: Date, session: SessionView, counters: Map<string, number>): ReplayedCall['limit'] {
  if (!set.hasLimits) return null;
  const demands = set.limitDemands(request, { now, session });
  if ('error' in demands) return { limit: demands.limit, policy: demands.policy, reason: `Limit "${demands.limit}" could not be evaluated (${demands.error}).` };
  const drawn: Array<[string, number]> = [];
  for (const demand of demands.demands as readonly LimitDemand[]) {
    const planned = counterOpFor(demand.shape, demand.amount, now.getTime());
    if ('error' in planned) {
      for (const [k, v] of drawn.reverse()) counters.set(k, v);
      return { limit: demand.limit, policy: demand.policy, reason: `Limit "${demand.limit}" could not be checked (${planned.error}).` };
    }
    const op = planned.op;
    const current = counters.get(demand.key) ?? 0;
    const base = op.floor !== undefined && op.floor > current ? op.floor : current;
    const next = base + op.amount;
    if (op.max !== undefined && next > op.max) {
      // Give back what earlier counters of this call drew, as the runtime does.
      for (const [k, v] of drawn.reverse()) counters.set(k, v);
      const o = limitOutcome(demand.shape, op, { ok: false, value: current }, now.getTime());
      return { limit: demand.limit, policy: demand.policy, reason: `Limit "${demand.limit}" of policy "${demand.policy}" has no room for this call (it asks ${demand.amount}; ${o.remaining} remain).` };
    }
    drawn.push([demand.key, current]);
    counters.set(demand.key, next);
  }
  return null;
}

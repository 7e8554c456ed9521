/**
 * The runtime's two stages: `session` (before decide) reads the call's session from the state
 * store so conditions can read `session`; `charge` (after approve and recheck, before record)
 * draws the call's limits and budgets and adds the call to its session, atomically per counter and
 * by compare-and-set per session. Both deny on any failure, with a reason: a store that fails, a
 * limit whose key or amount cannot be evaluated, a session that kept changing.
 */
import type { AgentIdentity, Decision, DecisionErrorCode, Request } from '../decision.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { PolicySet } from '../policy/policy-set.js';
import { checkAndCharge } from '../runtime/limiter.js';
import { commitSession, DEFAULT_HISTORY_SIZE, DEFAULT_SESSION_TTL_MS, loadSession, sessionAfterCall, sessionIdProblem, type LoadedSession } from '../runtime/session.js';
import type { Store } from '../store/types.js';
import { freezeDecision, messageOf, settled, type CallState, type Core } from './call.js';

/**
 * The state a pipeline keeps across calls: limits and budgets, session labels. Pass the same
 * store as the runtime's (kill switch, trust) when there is one.
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline({ policy, state: { store: await openStore('sqlite:.warden/state.db') } });
 * await pipeline.decide({ request: { tool: 'fetch_url', args: { url }, context: { session: 'claude-session-1' } } });
 * ```
 */
export interface StateOptions {
  /** The state store (src/store): memory for tests, SQLite on one machine, Redis or PostgreSQL for fleets. */
  store: Store;
  /** How long a session lives after its last call; default a day. */
  sessionTtlMs?: number;
  /** How many past calls `session.history` keeps; default 50. */
  historySize?: number;
}

/** The checked runtime options, as the stages read them. */
export interface StateCore {
  readonly store: Store;
  readonly sessionTtlMs: number;
  readonly historySize: number;
}

/** How often a session write is retried when concurrent calls of the session changed it first. */
const SESSION_ATTEMPTS = 8;

/**
 * Checks `runtime` pipeline options.
 *
 * @internal
 * @example
 * ```ts
 * const rt = stateCore({ store });
 * ```
 * @throws WardenError `ERR_OPTIONS` for an unknown key, a missing store or a bad number.
 */
export function stateCore(options: StateOptions | undefined): StateCore | null {
  if (options === undefined) return null;
  rejectUnknownKeys(options, ['store', 'sessionTtlMs', 'historySize'], 'ERR_OPTIONS', 'state options');
  const store = options.store;
  if (store === null || typeof store !== 'object' || typeof store.counters?.add !== 'function' || typeof store.kv?.compareAndSet !== 'function') {
    throw new WardenError('ERR_OPTIONS', 'state.store must be a state store: createMemoryStore() or openSqliteStore() from agent-warden/store.');
  }
  const ttl = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new WardenError('ERR_OPTIONS', `state.sessionTtlMs must be a positive whole number of milliseconds; got ${String(ttl)}.`);
  const history = options.historySize ?? DEFAULT_HISTORY_SIZE;
  if (!Number.isSafeInteger(history) || history < 0 || history > 1000) throw new WardenError('ERR_OPTIONS', `state.historySize must be a whole number from 0 to 1000; got ${String(history)}.`);
  return Object.freeze({ store, sessionTtlMs: ttl, historySize: history });
}

/**
 * The call's session id: `context.session`, which the enforcement point sets from its host (Claude
 * Code's `session_id`, the MCP session) and the kill switch reads too; never the model's arguments.
 */
function sessionIdOf(call: CallState): unknown {
  const context = call.request.context as Record<string, unknown> | undefined;
  return context !== undefined && Object.prototype.hasOwnProperty.call(context, 'session') ? context.session : undefined;
}

/** session: reads the call's session (`context.session`) from the store. */
export function sessionStage(call: CallState, core: Core): void | Promise<void> {
  const id = sessionIdOf(call);
  if (id === undefined || call.report !== null || call.invalid !== null) return;
  const rt = core.state;
  // Without a state store there is no session to read: conditions that read `session` cannot be
  // evaluated (deny rules apply, allow rules do not), and the call is not otherwise refused (the kill
  // switch reads context.session too, with no state store).
  if (rt === null) return;
  const bad = sessionIdProblem(id);
  if (bad !== null) {
    call.sessionError = bad;
    return;
  }
  // invariant: a call is decided only after the labels its session's earlier results brought in are stored.
  const pending = core.marks?.pending(id as string) ?? null;
  if (pending !== null) return pending.then(() => readSession(call, core, rt, id as string));
  return readSession(call, core, rt, id as string);
}

function readSession(call: CallState, core: Core, rt: StateCore, id: string): Promise<void> | void {
  const failed = core.marks?.failure(id) ?? null;
  if (failed !== null) {
    call.sessionError = failed;
    return;
  }
  return loadSession(rt.store, id).then(
    (loaded) => {
      call.session = loaded;
    },
    (e: unknown) => {
      call.sessionError = `the session could not be read: ${messageOf(e)}`;
    },
  );
}

/** charge: an allowed call draws its limits and is added to its session; any failure denies. */
export function chargeStage(call: CallState, core: Core): void | Promise<void> {
  if (call.report !== null || call.decision === null) return;
  // A require_approval deferred to the host may run once the host asks: it is charged now, since
  // nothing comes back here when it runs (an over-count when the host refuses, never an under-count).
  const deferred = core.defer && call.decision.effect === 'require_approval' && call.approval === undefined;
  if (!settled(call).allowed && !deferred) return;
  let set: PolicySet;
  try {
    set = core.policy.current();
  } catch (e) {
    deny(call, 'limit_error', null, null, `the policy provider failed: ${messageOf(e)}`);
    return;
  }
  if (call.sessionError !== null) {
    deny(call, 'session_error', null, null, `The session state could not be used (${call.sessionError}), so the call is denied.`);
    return;
  }
  if (!set.hasLimits && call.session === null) return;
  const request = decidedRequest(call);
  const demands = set.limitDemands(request, sessionOptions(call, call.session));
  if ('error' in demands) {
    deny(call, 'limit_error', demands.limit || null, demands.policy || null, `Limit "${demands.limit}" of policy "${demands.policy}" could not be evaluated (${demands.error}), so the call is denied.`);
    return;
  }
  const rt = core.state;
  if (demands.demands.length === 0 && call.session === null) return;
  if (rt === null) {
    const first = demands.demands[0];
    deny(call, 'limit_error', first?.limit ?? null, first?.policy ?? null, `The policy declares limit "${first?.limit ?? ''}", but this pipeline has no state store to count it in (pass state: { store }), so the call is denied.`);
    return;
  }
  return (async () => {
    const charged = await checkAndCharge(rt.store, demands.demands);
    if (!charged.admitted) {
      deny(call, charged.refusal.code, charged.refusal.limit, charged.refusal.policy, charged.refusal.reason);
      return;
    }
    call.release = charged.release;
    if (call.session === null) return;
    const problem = await addToSession(call, set, rt, request, call.session);
    if (problem !== null) {
      await charged.release();
      call.release = null;
      deny(call, 'session_error', null, null, problem);
    }
  })();
}

/**
 * Gives back what the charge stage drew when the call ended denied after it (its record could not
 * be written). Never throws.
 *
 * @internal
 * @example
 * ```ts
 * await releaseIfDenied(call, verdict.allowed);
 * ```
 */
export async function releaseIfDenied(call: CallState, allowed: boolean): Promise<void> {
  const release = call.release;
  if (release === null || allowed) return;
  call.release = null;
  try {
    await release();
  } catch {
    // A counter not given back stays stricter, never looser.
  }
}

/** Adds the call to its session; on a concurrent change, decides again on the fresh session. Returns why it failed, or null. */
async function addToSession(call: CallState, set: PolicySet, rt: StateCore, request: Partial<Request>, first: LoadedSession): Promise<string | null> {
  const tool = call.request.tool;
  const flow = set.flowLabels(tool);
  let loaded = first;
  const original = call.decision as Decision;
  try {
    for (let attempt = 0; attempt < SESSION_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        loaded = await loadSession(rt.store, loaded.id);
        // invariant: a call is added to a session only under the decision that session gives it.
        const again = set.decide(request, sessionOptions(call, loaded));
        if (again.effect !== original.effect || again.rule !== original.rule || again.policy !== original.policy) {
          return `Session "${loaded.id}" changed while this call was decided (another call of the session ran), and under its new state the policy says ${again.effect} (${again.reason}); denied.`;
        }
      }
      const next = sessionAfterCall(loaded.view, tool, flow, call.now, rt.historySize);
      if (await commitSession(rt.store, loaded, next, rt.sessionTtlMs)) return null;
    }
    return `Session "${loaded.id}" kept changing under concurrent calls (${SESSION_ATTEMPTS} attempts), so this call is denied; retry it.`;
  } catch (e) {
    return `The session state could not be updated (${messageOf(e)}), so the call is denied.`;
  }
}

function sessionOptions(call: CallState, session: LoadedSession | null): { now: Date; session?: LoadedSession['view'] } {
  return session === null ? { now: call.now } : { now: call.now, session: session.view };
}

/** The request as the decide stage decided it. */
function decidedRequest(call: CallState): Partial<Request> {
  const r = call.request;
  const request: Partial<Request> = { tool: r.tool, args: r.args };
  if (r.context !== undefined) request.context = r.context;
  if (call.agent !== null) request.agent = call.agent as AgentIdentity;
  return request;
}

function deny(call: CallState, code: DecisionErrorCode, rule: string | null, policy: string | null, reason: string): void {
  const prior = call.decision as Decision;
  const approved = call.approval?.approved === true ? 'The call was approved, but: ' : '';
  call.decision = freezeDecision({ effect: 'deny', allowed: false, rule, policy, reason: `${approved}${reason}`, approvers: [], errors: [...prior.errors, { code, rule, policy, message: reason }], policyDigest: prior.policyDigest });
  // invariant: an approval cannot outlive a denial by a later stage (settled() would read it as an allow).
  call.approval = undefined;
}

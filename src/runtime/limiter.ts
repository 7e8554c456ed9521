/**
 * Checking and charging the limits a call draws from (LimitDemand, worked out by the policy) against
 * the state store's counters. Each counter's check-and-charge is one atomic store operation (a
 * transaction in SQLite, one script in Redis), so concurrent calls from any number of processes
 * never admit more than a limit holds. A call drawing from several counters charges them in turn;
 * when one refuses, those already charged are given back (a concurrent call may meanwhile have been
 * refused by them: a false refusal, never an over-admission).
 */
import { sha256Hex } from '../lib/hash.js';
import type { LimitDemand } from '../policy/limit-compile.js';
import { storeKey } from '../store/check.js';
import type { Store } from '../store/types.js';
import { counterOpFor, counterOptionsOf, limitOutcome, releaseOpFor, type CounterOp, type LimitOutcome } from './gcra.js';

/** One counter charged for a call. */
export interface LimitCharge {
  readonly demand: LimitDemand;
  readonly outcome: LimitOutcome;
}

/** A refusal: the limit with no room (or that could not be checked), and why, in words. */
export interface LimitRefusal {
  readonly policy: string;
  readonly limit: string;
  /** `limit_exceeded`: no room; `limit_error`: the limit could not be checked (a bad amount, a store failure). */
  readonly code: 'limit_exceeded' | 'limit_error';
  readonly reason: string;
  readonly outcome?: LimitOutcome;
}

/** What a check-and-charge did. */
export type ChargeResult =
  | { readonly admitted: true; readonly charges: readonly LimitCharge[]; release(): Promise<void> }
  | { readonly admitted: false; readonly refusal: LimitRefusal };

/**
 * The store key of a limit counter: readable when short, a digest of the encoded key when the key
 * would pass the store's key length.
 *
 * @example
 * ```ts
 * limitStoreKey('l1:p|s7:refunds|s2:a1'); // 'limit:l1%3Ap%7Cs7%3Arefunds%7Cs2%3Aa1'
 * ```
 */
export function limitStoreKey(key: string): string {
  const plain = `limit:${encodeURIComponent(key)}`;
  return plain.length <= 480 ? plain : storeKey('limit#', sha256Hex(key));
}

/**
 * Checks and charges every demand of one call; all are charged or none stays charged. Never
 * throws: a store failure is a refusal (`limit_error`).
 *
 * @example
 * ```ts
 * const d = set.limitDemands(request, { now });
 * if (!('error' in d)) {
 *   const r = await checkAndCharge(store, d.demands);
 *   if (!r.admitted) console.log(r.refusal.reason);
 * }
 * ```
 */
export async function checkAndCharge(store: Store, demands: readonly LimitDemand[]): Promise<ChargeResult> {
  const done: Array<{ key: string; op: CounterOp }> = [];
  const charges: LimitCharge[] = [];
  const release = async (): Promise<void> => {
    // Given back in reverse; a failure to give back leaves the counter stricter, never looser.
    for (const { key, op } of done.splice(0).reverse()) {
      try {
        await store.counters.add(key, releaseOpFor(op).amount, counterOptionsOf(releaseOpFor(op)));
      } catch {
        // ignored: see above
      }
    }
  };
  for (const demand of demands) {
    let now: number;
    try {
      now = store.now();
    } catch (e) {
      await release();
      return refused(demand, 'limit_error', `the state store's clock failed: ${messageOf(e)}`);
    }
    const planned = counterOpFor(demand.shape, demand.amount, now);
    if ('error' in planned) {
      await release();
      return refused(demand, 'limit_error', planned.error);
    }
    const key = limitStoreKey(demand.key);
    let result: { ok: boolean; value: number };
    try {
      result = await store.counters.add(key, planned.op.amount, counterOptionsOf(planned.op));
    } catch (e) {
      await release();
      return refused(demand, 'limit_error', `the state store (${store.location}) failed: ${messageOf(e)}`);
    }
    const outcome = limitOutcome(demand.shape, planned.op, result, now);
    if (!result.ok) {
      await release();
      return { admitted: false, refusal: { policy: demand.policy, limit: demand.limit, code: 'limit_exceeded', reason: overReason(demand, outcome), outcome } };
    }
    done.push({ key, op: planned.op });
    charges.push({ demand, outcome });
  }
  return { admitted: true, charges, release };
}

function refused(demand: LimitDemand, code: 'limit_error', why: string): ChargeResult {
  return { admitted: false, refusal: { policy: demand.policy, limit: demand.limit, code, reason: `Limit "${demand.limit}" of policy "${demand.policy}" could not be checked (${why}), so the call is denied.` } };
}

function overReason(demand: LimitDemand, o: LimitOutcome): string {
  const what = demand.kind === 'rate' ? 'calls' : 'of the budget';
  const refill = o.resetMs === null ? 'it does not refill (reset it with warden limits reset)' : `it is full again in ${seconds(o.resetMs)}`;
  const retry = o.retryAfterMs === null ? '' : `; this call could pass in ${seconds(o.retryAfterMs)}`;
  return `Limit "${demand.limit}" of policy "${demand.policy}" has no room for this call (it asks ${demand.amount}; ${o.remaining} ${what} remain; ${refill}${retry}).`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.ceil(ms / 100) / 10} s`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

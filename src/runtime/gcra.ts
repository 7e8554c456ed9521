/**
 * The arithmetic of limits and budgets: the Generic Cell Rate Algorithm (GCRA, ITU-T I.371) mapped
 * onto the store's one atomic counter operation, `next = max(current, floor) + amount`, kept only
 * when `next <= max` (src/store). Pure functions: what to ask the store, and what its answer means.
 *
 * A rate or a refilling budget keeps one number per counter, the theoretical arrival time (TAT) in
 * microseconds. One unit costs T = period / limit; a call drawing `a` units is admitted when
 * `max(TAT, now) + a·T <= now + burst·T`. There are no window boundaries, so no double burst at a
 * boundary: in any interval of length t at most `burst + t / T` units pass.
 *
 * A budget that never refills (no period) is a plain sum in millionths of a unit, capped at
 * `limit`. Every rounding goes toward refusal: a cost is rounded up, a capacity down, so rounding
 * can deny a call at the very edge of a limit but never admit one over it.
 */
import { amountProblem, type LimitShape } from '../policy/limit-amount.js';

export { amountProblem, type LimitShape } from '../policy/limit-amount.js';

/** Counter units per unit of a total budget (amounts are drawn to a millionth). */
export const TOTAL_SCALE = 1_000_000;

/**
 * One counter operation for the store: `counters.add(key, amount, { floor, max, ttlMs })`.
 *
 * @example
 * ```ts
 * const op: CounterOp = { amount: 60_000_000, floor: 1_765_000_000_000_000, max: 1_765_000_600_000_000, ttlMs: 600_001 };
 * ```
 */
export interface CounterOp {
  readonly amount: number;
  readonly floor?: number;
  readonly max?: number;
  readonly min?: number;
  readonly ttlMs?: number;
}

/** What a counter's value means after a check-and-charge. */
export interface LimitOutcome {
  readonly admitted: boolean;
  /** Units that could still be drawn right after this call (after its charge when admitted). */
  readonly remaining: number;
  /** Milliseconds until the counter is full again; null for a total (it never refills). */
  readonly resetMs: number | null;
  /** When refused: milliseconds until this amount could be drawn; null when never (a total, or more than the burst). */
  readonly retryAfterMs: number | null;
}

/**
 * Why `shape` is not a usable limit, or null.
 *
 * @example
 * ```ts
 * shapeProblem({ limit: 10, periodMs: 60_000, burst: 10 }); // null
 * shapeProblem({ limit: 0, periodMs: 60_000, burst: 10 }); // 'limit must be a positive finite number'
 * ```
 */
export function shapeProblem(shape: LimitShape): string | null {
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (shape === null || typeof shape !== 'object') return 'the limit has no shape';
  if (!positive(shape.limit)) return 'limit must be a positive finite number';
  if (shape.periodMs !== null && !positive(shape.periodMs)) return 'the period must be a positive finite number of milliseconds';
  if (!positive(shape.burst)) return 'burst must be a positive finite number';
  return null;
}

/** The emission interval of one unit, in microseconds, rounded up (at least 1). */
function intervalUs(shape: LimitShape): number {
  return Math.max(1, Math.ceil(((shape.periodMs as number) * 1000) / shape.limit));
}

/**
 * The counter operation that draws `amount` from a counter of `shape` at `nowMs` (the store's
 * clock), or why there is none: a NaN, negative, infinite or non-numeric amount, a bad shape, a
 * clock that is not a safe integer, or numbers beyond the safe integer range are refusals.
 *
 * @example
 * ```ts
 * counterOpFor({ limit: 2, periodMs: 1000, burst: 2 }, 1, 0); // { op: { amount: 500000, floor: 0, max: 1000000, ttlMs: 1001 } }
 * counterOpFor({ limit: 100, periodMs: null, burst: 100 }, 2.5, 0); // { op: { amount: 2500000, max: 100000000 } }
 * counterOpFor({ limit: 100, periodMs: null, burst: 100 }, -1, 0); // { error: 'the amount is negative (-1)' }
 * ```
 */
export function counterOpFor(shape: LimitShape, amount: unknown, nowMs: number): { op: CounterOp } | { error: string } {
  const refused = amountProblem(amount) ?? shapeProblem(shape);
  if (refused !== null) return { error: refused };
  const a = Number(amount);
  if (shape.periodMs === null) {
    const cost = Math.ceil(a * TOTAL_SCALE);
    const max = Math.floor(shape.limit * TOTAL_SCALE);
    if (!Number.isSafeInteger(cost) || !Number.isSafeInteger(max)) return { error: 'the amount or the limit is too large to count' };
    return { op: { amount: cost, max } };
  }
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) return { error: 'the clock is not a whole number of milliseconds' };
  const t = intervalUs(shape);
  const nowUs = nowMs * 1000;
  const cost = Math.ceil(a * t);
  const tau = Math.floor(shape.burst * t);
  const max = nowUs + tau;
  if (![t, nowUs, cost, tau, max].every(Number.isSafeInteger)) return { error: 'the amount, the limit or the period is too large to count' };
  return { op: { amount: cost, floor: nowUs, max, ttlMs: Math.ceil(tau / 1000) + 1 } };
}

/**
 * The store options of `op` (`counters.add(key, op.amount, counterOptionsOf(op))`).
 *
 * @example
 * ```ts
 * counterOptionsOf({ amount: 1, max: 10 }); // { max: 10 }
 * ```
 */
export function counterOptionsOf(op: CounterOp): { floor?: number; max?: number; min?: number; ttlMs?: number } {
  const o: { floor?: number; max?: number; min?: number; ttlMs?: number } = {};
  if (op.floor !== undefined) o.floor = op.floor;
  if (op.max !== undefined) o.max = op.max;
  if (op.min !== undefined) o.min = op.min;
  if (op.ttlMs !== undefined) o.ttlMs = op.ttlMs;
  return o;
}

/**
 * The operation that gives back what `op` drew (the call was refused after its charge: the
 * record could not be written). A total never goes below zero: if it was reset meanwhile,
 * nothing is given back.
 *
 * @example
 * ```ts
 * releaseOpFor({ amount: 500000, floor: 0, max: 1000000, ttlMs: 1001 }); // { amount: -500000, ttlMs: 1001 }
 * ```
 */
export function releaseOpFor(op: CounterOp): CounterOp {
  return op.floor === undefined ? { amount: -op.amount, min: 0 } : { amount: -op.amount, ...(op.ttlMs !== undefined ? { ttlMs: op.ttlMs } : {}) };
}

/**
 * What the store's answer `{ ok, value }` to `op` means: admitted or not, the remaining amount,
 * when the counter is full again and when a refused call could pass.
 *
 * @example
 * ```ts
 * const { op } = counterOpFor({ limit: 2, periodMs: 1000, burst: 2 }, 1, 0) as { op: CounterOp };
 * limitOutcome({ limit: 2, periodMs: 1000, burst: 2 }, op, { ok: true, value: 500000 }, 0); // { admitted: true, remaining: 1, resetMs: 500, retryAfterMs: null }
 * ```
 */
export function limitOutcome(shape: LimitShape, op: CounterOp, result: { ok: boolean; value: number }, nowMs: number): LimitOutcome {
  if (shape.periodMs === null) {
    const max = op.max as number;
    return { admitted: result.ok, remaining: round6(Math.max(0, max - result.value) / TOTAL_SCALE), resetMs: null, retryAfterMs: null };
  }
  const t = intervalUs(shape);
  const nowUs = nowMs * 1000;
  const tau = (op.max as number) - nowUs;
  const ahead = Math.max(0, result.value - nowUs);
  const remaining = round6(Math.max(0, tau - ahead) / t);
  const resetMs = Math.ceil(ahead / 1000);
  if (result.ok) return { admitted: true, remaining, resetMs, retryAfterMs: null };
  const retry = op.amount > tau ? null : Math.ceil((ahead + op.amount - tau) / 1000);
  return { admitted: false, remaining, resetMs, retryAfterMs: retry };
}

/**
 * Where a counter stands without drawing from it (`warden limits show`): what remains now and when
 * it is full again, from the stored value (0 for an absent counter).
 *
 * @example
 * ```ts
 * limitStanding({ limit: 10, periodMs: 1000, burst: 10 }, 0, 1_000); // { remaining: 10, resetMs: 0 }
 * ```
 */
export function limitStanding(shape: LimitShape, value: number, nowMs: number): { remaining: number; resetMs: number | null } {
  if (shapeProblem(shape) !== null) return { remaining: 0, resetMs: null };
  if (shape.periodMs === null) return { remaining: round6(Math.max(0, Math.floor(shape.limit * TOTAL_SCALE) - value) / TOTAL_SCALE), resetMs: null };
  const t = intervalUs(shape);
  const tau = Math.floor(shape.burst * t);
  const ahead = Math.max(0, value - nowMs * 1000);
  return { remaining: round6(Math.max(0, tau - ahead) / t), resetMs: Math.ceil(ahead / 1000) };
}

function round6(v: number): number {
  return Math.floor(v * 1e6) / 1e6;
}

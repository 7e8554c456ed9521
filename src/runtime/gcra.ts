/**
 * The arithmetic of limits and budgets: the Generic Cell Rate Algorithm (GCRA, ITU-T I.371), as a
 * pure function of the stored state, the time and the amount drawn. One number of state per
 * counter (the theoretical arrival time, TAT); no window boundaries, so no double burst at a
 * boundary: in any interval of length t at most `burst + t / T` units are admitted, where
 * T = period / limit is the emission interval of one unit.
 *
 * A budget that never refills (no period) is the same algorithm with the clock stopped: TAT is the
 * amount used, and T is 1.
 */
import { amountProblem, type LimitShape } from '../policy/limit-amount.js';

export { amountProblem, type LimitShape } from '../policy/limit-amount.js';

/** What one check-and-charge found. */
export interface GcraResult {
  readonly admitted: boolean;
  /** The new state to store when admitted (the old state stays when denied). */
  readonly tat: number;
  /** Units that could still be drawn right after this call (after the charge when admitted). */
  readonly remaining: number;
  /** Milliseconds until the counter is full again (null for a total: it never refills). */
  readonly resetMs: number | null;
  /** When denied: milliseconds until this amount could be drawn (null: never, for a total or an amount over the burst). */
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
  if (!positive(shape.limit)) return 'limit must be a positive finite number';
  if (shape.periodMs !== null && !positive(shape.periodMs)) return 'the period must be a positive finite number of milliseconds';
  if (!positive(shape.burst)) return 'burst must be a positive finite number';
  return null;
}

/**
 * Checks and charges `amount` against a counter whose stored TAT is `tat` (0 for a fresh counter)
 * at time `nowMs`. Pure: the caller stores `result.tat` when admitted, atomically with the check.
 * An amount or shape that is not usable is a denial (see {@link amountProblem}); so is a clock
 * that is not finite.
 *
 * @example
 * ```ts
 * const shape = { limit: 2, periodMs: 1000, burst: 2 };
 * const a = gcraCharge(0, 0, shape, 1);       // admitted, remaining 1
 * const b = gcraCharge(a.tat, 0, shape, 1);   // admitted, remaining 0
 * gcraCharge(b.tat, 0, shape, 1).admitted;    // false, retryAfterMs 500
 * ```
 */
export function gcraCharge(tat: number, nowMs: number, shape: LimitShape, amount: number): GcraResult {
  const refused = amountProblem(amount) ?? shapeProblem(shape) ?? (Number.isFinite(nowMs) ? null : 'the clock is not finite') ?? (Number.isFinite(tat) ? null : 'the stored state is not finite');
  if (refused !== null) return { admitted: false, tat, remaining: 0, resetMs: null, retryAfterMs: null };
  const total = shape.periodMs === null;
  const t = total ? 1 : shape.periodMs / shape.limit;
  const now = total ? 0 : nowMs;
  const tau = shape.burst * t;
  const base = Math.max(tat, now);
  const next = base + amount * t;
  if (next - now <= tau) {
    return { admitted: true, tat: next, remaining: clean((tau - (next - now)) / t), resetMs: total ? null : Math.ceil(next - now), retryAfterMs: null };
  }
  const remaining = clean(Math.max(0, (tau - (base - now)) / t));
  // An amount over the whole burst can never be drawn; a total never refills.
  const retry = total || amount > shape.burst ? null : Math.ceil(next - tau - now);
  return { admitted: false, tat, remaining, resetMs: total ? null : Math.ceil(base - now), retryAfterMs: retry };
}

/**
 * Gives back `amount` drawn earlier (the call was denied after its charge: approval refused, the
 * record could not be written). Never lowers the TAT below `nowMs`: time already passed refilled
 * what it refilled. A bad amount gives nothing back.
 *
 * @example
 * ```ts
 * const shape = { limit: 2, periodMs: 1000, burst: 2 };
 * const a = gcraCharge(0, 0, shape, 1);
 * gcraRelease(a.tat, 0, shape, 1); // 0
 * ```
 */
export function gcraRelease(tat: number, nowMs: number, shape: LimitShape, amount: number): number {
  if (amountProblem(amount) !== null || shapeProblem(shape) !== null || !Number.isFinite(tat)) return tat;
  const total = shape.periodMs === null;
  const t = total ? 1 : shape.periodMs / shape.limit;
  const floor = total ? 0 : nowMs;
  return Math.max(floor, tat - amount * t);
}

function clean(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

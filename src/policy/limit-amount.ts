/**
 * What a limit draws: the shape of a counter and the amounts a call may draw from it. Pure; the
 * arithmetic is in src/runtime/gcra.ts.
 */

/** The shape of one limit, as the store sees it. */
export interface LimitShape {
  /** Units admitted per period (a rate's calls, a budget's maximum). Positive and finite. */
  readonly limit: number;
  /** The period in milliseconds; null: a total that never refills. */
  readonly periodMs: number | null;
  /** Units that may be drawn at once (the bucket's depth); a budget's is its limit. Positive and finite. */
  readonly burst: number;
}

/**
 * Why `amount` cannot be drawn at all, or null when it is an amount: NaN, an infinity, a negative
 * number or a non-number are refused (a denial, never a refund or a free call).
 *
 * @example
 * ```ts
 * amountProblem(Number.NaN); // 'the amount is NaN'
 * amountProblem(3); // null
 * ```
 */
export function amountProblem(amount: unknown): string | null {
  if (typeof amount === 'bigint') return amount < 0n ? `the amount is negative (${amount})` : amount > BigInt(Number.MAX_SAFE_INTEGER) ? 'the amount is too large' : null;
  if (typeof amount !== 'number') return `the amount is ${amount === null ? 'null' : amount === undefined ? 'missing' : `a ${typeof amount}`}, not a number`;
  if (Number.isNaN(amount)) return 'the amount is NaN';
  if (!Number.isFinite(amount)) return 'the amount is not finite';
  if (amount < 0) return `the amount is negative (${amount})`;
  return null;
}


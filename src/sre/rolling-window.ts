/**
 * Event counts over a rolling time window, in bounded memory: a ring of equal buckets whose sums
 * are kept up to date as time advances, so reading a window's totals costs nothing.
 *
 * Resolution: a window of W in B buckets counts the events of the last W, give or take one bucket
 * (W/B): the bucket the window's far edge falls in is counted whole until it leaves. With the
 * default 60 buckets a 1-hour window moves a minute at a time, a 5-minute window 5 seconds at a time.
 */

/**
 * Good and bad event counts over the last `windowMs`.
 *
 * @example
 * ```ts
 * const w = new RollingCounts(3_600_000, 60);
 * w.add(Date.now(), 1, 0);
 * w.totals(Date.now()); // { total: 1, bad: 0 }
 * ```
 */
export class RollingCounts {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly #buckets: number;
  readonly #total: Float64Array;
  readonly #bad: Float64Array;
  /** The bucket index (time / bucketMs) each slot holds, or -Infinity when empty. */
  readonly #index: Float64Array;
  #head = Number.NEGATIVE_INFINITY;
  #sumTotal = 0;
  #sumBad = 0;

  constructor(windowMs: number, buckets: number) {
    this.windowMs = windowMs;
    this.#buckets = buckets;
    this.bucketMs = windowMs / buckets;
    this.#total = new Float64Array(buckets);
    this.#bad = new Float64Array(buckets);
    this.#index = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
  }

  /** Counts `total` events, `bad` of them bad, at time `t` (ms). Events older than the window are dropped. */
  add(t: number, total: number, bad: number): void {
    const index = Math.floor(t / this.bucketMs);
    this.#advance(index);
    // invariant: an event from before the window (a late outcome, a clock step back) is not counted anywhere.
    if (index <= this.#head - this.#buckets) return;
    const slot = index % this.#buckets;
    this.#total[slot] = (this.#total[slot] as number) + total;
    this.#bad[slot] = (this.#bad[slot] as number) + bad;
    this.#sumTotal += total;
    this.#sumBad += bad;
  }

  /** The counts of the window ending at `t`. */
  totals(t: number): { total: number; bad: number } {
    this.#advance(Math.floor(t / this.bucketMs));
    return { total: this.#sumTotal, bad: this.#sumBad };
  }

  /** The live buckets of the window ending at `t`, as [bucket index, total, bad] (for sharing with other processes). */
  entries(t: number): [number, number, number][] {
    this.#advance(Math.floor(t / this.bucketMs));
    const out: [number, number, number][] = [];
    for (let slot = 0; slot < this.#buckets; slot++) {
      const total = this.#total[slot] as number;
      if (total > 0 && (this.#index[slot] as number) > this.#head - this.#buckets) out.push([this.#index[slot] as number, total, this.#bad[slot] as number]);
    }
    return out;
  }

  /** Adds counts to bucket `index` (as {@link add} does for a time in it); buckets outside the window are ignored. */
  addAt(index: number, total: number, bad: number): void {
    if (!Number.isSafeInteger(index) || !(total >= 0) || !(bad >= 0) || bad > total) return;
    this.add(index * this.bucketMs + this.bucketMs / 2, total, bad);
  }

  /** Moves the head to `index`, emptying the buckets that fall out of the window. */
  #advance(index: number): void {
    if (index <= this.#head) return;
    const from = Math.max(this.#head + 1, index - this.#buckets + 1);
    for (let i = from; i <= index; i++) {
      const slot = i % this.#buckets;
      if ((this.#index[slot] as number) !== i) {
        this.#sumTotal -= this.#total[slot] as number;
        this.#sumBad -= this.#bad[slot] as number;
        this.#total[slot] = 0;
        this.#bad[slot] = 0;
        this.#index[slot] = i;
      }
    }
    this.#head = index;
  }
}

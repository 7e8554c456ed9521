/**
 * GCRA on the store's counter: what a limit admits, refuses and reports, with the real memory
 * store (one atomic check-and-add per counter) and an injected clock. Every rounding goes toward
 * refusal; NaN, negative, infinite and non-numeric amounts are refusals.
 */
import { describe, expect, it } from 'vitest';
import { counterOpFor, counterOptionsOf, limitOutcome, releaseOpFor, shapeProblem, TOTAL_SCALE, type CounterOp, type LimitShape } from '../../src/runtime/gcra.js';
import { createMemoryStore } from '../../src/store/memory.js';

const RATE: LimitShape = { limit: 10, periodMs: 1000, burst: 10 };
const TOTAL: LimitShape = { limit: 100, periodMs: null, burst: 100 };

function opOf(shape: LimitShape, amount: unknown, now: number): CounterOp {
  const r = counterOpFor(shape, amount, now);
  if ('error' in r) throw new Error(r.error);
  return r.op;
}

/** A counter of `shape` in a memory store whose clock the test moves. */
function meter(shape: LimitShape) {
  let now = 1_765_000_000_000;
  const store = createMemoryStore({ clock: () => now });
  return {
    advance(ms: number) {
      now += ms;
    },
    async draw(amount: number) {
      const op = opOf(shape, amount, now);
      const r = await store.counters.add('k', op.amount, counterOptionsOf(op));
      return limitOutcome(shape, op, r, now);
    },
  };
}

describe('amounts that cannot be drawn are refusals', () => {
  const rows: Array<[string, unknown, string]> = [
    ['NaN', Number.NaN, 'the amount is NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'the amount is not finite'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'the amount is not finite'],
    ['negative', -1, 'the amount is negative (-1)'],
    ['tiny negative', -1e-300, 'the amount is negative (-1e-300)'],
    ['negative CEL int', -3n, 'the amount is negative (-3)'],
    ['huge CEL int', 2n ** 64n, 'the amount is too large'],
    ['a numeric string', '5', 'the amount is a string, not a number'],
    ['null', null, 'the amount is null, not a number'],
    ['absent', undefined, 'the amount is missing, not a number'],
    ['a boolean', true, 'the amount is a boolean, not a number'],
    ['an object', { valueOf: () => 1 }, 'the amount is a object, not a number'],
  ];
  it.each(rows)('%s', (_, amount, error) => {
    expect(counterOpFor(RATE, amount, 0)).toEqual({ error });
    expect(counterOpFor(TOTAL, amount, 0)).toEqual({ error });
  });

  it('refuses an amount too large to count exactly', () => {
    expect(counterOpFor(TOTAL, 1e12, 0)).toEqual({ error: 'the amount or the limit is too large to count' });
    expect(counterOpFor(RATE, 1e300, 0)).toEqual({ error: 'the amount, the limit or the period is too large to count' });
  });

  it('refuses a clock that is not a whole number of milliseconds', () => {
    for (const now of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) expect(counterOpFor(RATE, 1, now)).toEqual({ error: 'the clock is not a whole number of milliseconds' });
  });
});

describe('benign amounts', () => {
  const rows: Array<[string, unknown]> = [
    ['zero', 0],
    ['one', 1],
    ['a fraction', 0.35],
    ['a CEL int', 4n],
  ];
  it.each(rows)('%s can be drawn', (_, amount) => {
    expect('op' in counterOpFor(RATE, amount, 0)).toBe(true);
    expect('op' in counterOpFor(TOTAL, amount, 0)).toBe(true);
  });
});

describe('shapes', () => {
  const bad: Array<[string, LimitShape]> = [
    ['zero limit', { limit: 0, periodMs: 1000, burst: 1 }],
    ['negative limit', { limit: -1, periodMs: 1000, burst: 1 }],
    ['NaN limit', { limit: Number.NaN, periodMs: 1000, burst: 1 }],
    ['zero period', { limit: 1, periodMs: 0, burst: 1 }],
    ['infinite period', { limit: 1, periodMs: Number.POSITIVE_INFINITY, burst: 1 }],
    ['zero burst', { limit: 1, periodMs: 1000, burst: 0 }],
  ];
  it.each(bad)('%s is refused', (_, shape) => {
    expect(shapeProblem(shape)).not.toBeNull();
    expect(counterOpFor(shape, 1, 0)).toHaveProperty('error');
  });
});

describe('a rate', () => {
  it('admits a full burst, then refuses, saying when the next call could pass', async () => {
    const m = meter(RATE);
    for (let i = 0; i < 10; i++) expect((await m.draw(1)).admitted).toBe(true);
    const over = await m.draw(1);
    expect(over).toEqual({ admitted: false, remaining: 0, resetMs: 1000, retryAfterMs: 100 });
  });

  it('refills smoothly: one unit per emission interval, never a whole window at once', async () => {
    const m = meter(RATE);
    for (let i = 0; i < 10; i++) await m.draw(1);
    m.advance(99);
    expect((await m.draw(1)).admitted).toBe(false);
    m.advance(1);
    expect((await m.draw(1)).admitted).toBe(true);
    expect((await m.draw(1)).admitted).toBe(false);
  });

  it('admits at most burst + t/T in any stretch of time (no double burst at a boundary)', async () => {
    const m = meter(RATE);
    let admitted = 0;
    // 3 s of calls every 10 ms: burst 10 plus 10 per second.
    for (let t = 0; t < 3000; t += 10) {
      if ((await m.draw(1)).admitted) admitted++;
      m.advance(10);
    }
    expect(admitted).toBe(10 + 30 - 1);
  });

  it('reports what remains after an admitted call', async () => {
    const m = meter(RATE);
    expect(await m.draw(3)).toEqual({ admitted: true, remaining: 7, resetMs: 300, retryAfterMs: null });
  });

  it('never admits an amount larger than the burst, and says it never will', async () => {
    const m = meter(RATE);
    expect(await m.draw(11)).toEqual({ admitted: false, remaining: 10, resetMs: 0, retryAfterMs: null });
  });

  it('rounds an emission interval that is not whole up (stricter, never looser)', async () => {
    const m = meter({ limit: 3, periodMs: 1, burst: 3 });
    let admitted = 0;
    for (let i = 0; i < 5; i++) if ((await m.draw(1)).admitted) admitted++;
    expect(admitted).toBe(3);
  });

  it('gives back a released charge', async () => {
    const now = 1_000_000;
    const store = createMemoryStore({ clock: () => now });
    const shape: LimitShape = { limit: 1, periodMs: 60_000, burst: 1 };
    const op = opOf(shape, 1, now);
    expect((await store.counters.add('k', op.amount, counterOptionsOf(op))).ok).toBe(true);
    expect((await store.counters.add('k', opOf(shape, 1, now).amount, counterOptionsOf(opOf(shape, 1, now)))).ok).toBe(false);
    const back = releaseOpFor(op);
    await store.counters.add('k', back.amount, counterOptionsOf(back));
    const again = opOf(shape, 1, now);
    expect((await store.counters.add('k', again.amount, counterOptionsOf(again))).ok).toBe(true);
  });
});

describe('a total budget', () => {
  it('admits until the sum would pass the maximum, fractions included', async () => {
    const m = meter(TOTAL);
    expect((await m.draw(99.5)).admitted).toBe(true);
    expect(await m.draw(0.6)).toEqual({ admitted: false, remaining: 0.5, resetMs: null, retryAfterMs: null });
    expect(await m.draw(0.5)).toEqual({ admitted: true, remaining: 0, resetMs: null, retryAfterMs: null });
  });

  it('never refills with time', async () => {
    const m = meter(TOTAL);
    await m.draw(100);
    m.advance(365 * 86_400_000);
    expect((await m.draw(0.000001)).admitted).toBe(false);
  });

  it('counts in millionths, rounding a cost up', () => {
    expect(opOf(TOTAL, 0.0000001, 0).amount).toBe(1);
    expect(opOf(TOTAL, 1, 0)).toEqual({ amount: TOTAL_SCALE, max: 100 * TOTAL_SCALE });
  });

  it('a release never takes a total below zero (a reset meanwhile gives no credit)', () => {
    expect(releaseOpFor(opOf(TOTAL, 5, 0))).toEqual({ amount: -5 * TOTAL_SCALE, min: 0 });
  });
});

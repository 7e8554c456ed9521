import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import type { LogEntry } from '../../src/store/types.js';
import { DEFAULT_TRUST_MODEL, delegatedScore, explainTrust, foldTrust, tierOf, trustAt, trustModel, trustScore } from '../../src/trust/index.js';

const DAY = 86_400_000;
const model = DEFAULT_TRUST_MODEL;
const log = (...data: unknown[]): LogEntry[] => data.map((d, i) => ({ seq: i + 1, data: d as never }));

const eventArb = fc.oneof(
  fc.record({ kind: fc.constantFrom('success', 'approval', 'denial', 'violation', 'incident'), ts: fc.integer({ min: 0, max: 400 * DAY }) }),
  fc.record({ kind: fc.constant('baseline'), ts: fc.integer({ min: 0, max: 400 * DAY }), value: fc.integer({ min: 0, max: 1000 }) }),
  // Not events: a wrong kind, a missing or fractional ts, a forged score field, junk.
  fc.record({ kind: fc.constantFrom('succes', 'SUCCESS', 'trust', '__proto__'), ts: fc.integer({ min: 0 }) }),
  fc.record({ kind: fc.constant('success'), ts: fc.double({ min: 0, max: 1e9, noInteger: true }) }),
  fc.record({ kind: fc.constant('success'), ts: fc.integer({ min: 0 }), value: fc.integer() }),
  fc.anything(),
);
const entriesArb = fc.array(eventArb, { maxLength: 60 }).map((events) => log(...events));
const modelArb = fc.record({
  successGain: fc.integer({ min: 0, max: 1000 }),
  approvalGain: fc.integer({ min: 0, max: 1000 }),
  denialPenalty: fc.integer({ min: 0, max: 1000 }),
  violationPenalty: fc.integer({ min: 0, max: 1000 }),
  incidentPenalty: fc.integer({ min: 0, max: 1000 }),
  halfLifeMs: fc.integer({ min: 1, max: 100 * DAY }),
  floor: fc.integer({ min: 0, max: 1000 }),
}).map((m) => trustModel(m));

describe('trust score: laws', () => {
  it('gives the same score for the same events, every time, and the cached fold agrees', () => {
    fc.assert(
      fc.property(entriesArb, modelArb, fc.integer({ min: 0, max: 500 * DAY }), (entries, m, now) => {
        const a = trustScore(entries, m, now);
        expect(trustScore(structuredClone(entries), m, now)).toBe(a);
        expect(trustAt(foldTrust(entries, m), m, now)).toBe(a);
        expect(explainTrust(entries, m, now).score).toBe(a);
      }),
    );
  });

  it('is always an integer in [0, 1000]', () => {
    fc.assert(
      fc.property(entriesArb, modelArb, fc.integer({ min: -DAY, max: 500 * DAY }), (entries, m, now) => {
        const s = trustScore(entries, m, now);
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1000);
      }),
    );
  });

  it('decays toward the floor and never below it; a score under the floor is not raised by time', () => {
    fc.assert(
      fc.property(entriesArb, modelArb, fc.integer({ min: 0, max: 500 * DAY }), fc.integer({ min: 0, max: 500 * DAY }), (entries, m, later, more) => {
        const state = foldTrust(entries, m);
        const t1 = (state.last ?? 0) + later;
        const s1 = trustAt(state, m, t1);
        const s2 = trustAt(state, m, t1 + more);
        if (state.value >= m.floor) {
          expect(s2).toBeGreaterThanOrEqual(m.floor);
          expect(s2).toBeLessThanOrEqual(s1);
        } else {
          expect(s2).toBe(s1);
        }
      }),
    );
  });

  it('never lets an unreadable entry raise a score (it counts as a violation)', () => {
    fc.assert(
      fc.property(entriesArb, fc.constantFrom({ kind: 'trust', ts: 1 }, { kind: 'success' }, { kind: 'baseline', ts: 1, value: 1001 }, 'success', null, { kind: 'success', ts: 1, value: 5 }), (entries, junk) => {
        const last = foldTrust(entries, model).last ?? 0;
        const before = trustScore(entries, model, last);
        const after = trustScore([...entries, { seq: entries.length + 1, data: junk as never }], model, last);
        expect(after).toBeLessThanOrEqual(before);
      }),
    );
  });

  it('never lowers a score by a success or approval, never raises it by a denial, violation or incident', () => {
    fc.assert(
      fc.property(entriesArb, modelArb, fc.constantFrom('success', 'approval', 'denial', 'violation', 'incident'), (entries, m, kind) => {
        const last = foldTrust(entries, m).last ?? 0;
        const before = trustScore(entries, m, last);
        const after = trustScore([...entries, { seq: entries.length + 1, data: { kind, ts: last } }], m, last);
        if (kind === 'success' || kind === 'approval') expect(after).toBeGreaterThanOrEqual(before);
        else expect(after).toBeLessThanOrEqual(before);
      }),
    );
  });

  it('gives a delegate 0 when a delegator score is not a finite number (Infinity included), whatever its own', () => {
    const rows: Array<[number, number[], number]> = [
      [1, [Number.POSITIVE_INFINITY], 0],
      [900, [Number.POSITIVE_INFINITY, 800], 0],
      [900, [800, Number.NEGATIVE_INFINITY], 0],
      [500, [Number.NaN], 0],
      [900, [600, 750], 600],
      [300, [600], 300],
      [300, [], 300],
    ];
    for (const [own, parents, want] of rows) expect([own, parents, delegatedScore(own, parents)]).toEqual([own, parents, want]);
  });

  it('never lets a delegated agent score above any of its delegators', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double()), { maxLength: 5 }), (own, parents) => {
        const s = delegatedScore(own, parents);
        expect(s).toBeLessThanOrEqual(own);
        expect(s).toBeGreaterThanOrEqual(0);
        for (const p of parents) if (Number.isFinite(p)) expect(s).toBeLessThanOrEqual(Math.max(0, p));
        if (parents.some((p) => !Number.isFinite(p))) expect(s).toBe(0);
      }),
    );
  });
});

describe('trust score: the documented model', () => {
  it('scores an unknown agent (no events) 0, not the middle', () => {
    expect(trustScore([], model, 10 * DAY)).toBe(0);
    expect(tierOf(0, model)).toBe('untrusted');
  });

  it('raises by gain × (1000 − score) / 1000 per success, and lowers by fixed penalties', () => {
    expect(trustScore(log({ kind: 'success', ts: 0 }), model, 0)).toBe(20);
    expect(trustScore(log({ kind: 'baseline', ts: 0, value: 500 }, { kind: 'success', ts: 0 }), model, 0)).toBe(510);
    expect(trustScore(log({ kind: 'baseline', ts: 0, value: 500 }, { kind: 'violation', ts: 0 }), model, 0)).toBe(400);
    expect(trustScore(log({ kind: 'baseline', ts: 0, value: 500 }, { kind: 'incident', ts: 0 }), model, 0)).toBe(100);
    expect(trustScore(log({ kind: 'baseline', ts: 0, value: 5 }, { kind: 'denial', ts: 0 }), model, 0)).toBe(0);
  });

  it('halves the distance to the floor every half-life', () => {
    const entries = log({ kind: 'baseline', ts: 0, value: 900 });
    expect(trustScore(entries, model, 14 * DAY)).toBe(500);
    expect(trustScore(entries, model, 28 * DAY)).toBe(300);
    expect(trustScore(entries, model, 3650 * DAY)).toBe(100);
  });

  it('never decays for time running backwards (an event dated before the previous one)', () => {
    expect(trustScore(log({ kind: 'baseline', ts: 10 * DAY, value: 900 }, { kind: 'success', ts: 0 }), model, 10 * DAY)).toBe(902);
  });

  it('explains each step: the event, the decay before it, the score after', () => {
    const e = explainTrust(log({ kind: 'baseline', ts: 0, value: 900, by: 'ops' }, 'junk', { kind: 'violation', ts: 14 * DAY }), model, 14 * DAY);
    expect(e.steps.map((s) => [s.seq, s.event?.kind ?? null, Math.round(s.decayed), Math.round(s.after)])).toEqual([
      [1, 'baseline', 0, 900],
      [2, null, 900, 800],
      [3, 'violation', 450, 350],
    ]);
    expect(e).toMatchObject({ score: 350, tier: 'probation' });
  });

  const tiers: [number, string][] = [[1000, 'trusted'], [900, 'trusted'], [899, 'established'], [700, 'established'], [500, 'standard'], [300, 'probation'], [299, 'untrusted'], [0, 'untrusted']];
  it.each(tiers)('puts %i in tier %s', (score, tier) => {
    expect(tierOf(score, model)).toBe(tier);
  });
});

describe('trust model: malformed configuration is a load error', () => {
  const bad: [string, unknown][] = [
    ['a negative penalty', { violationPenalty: -1 }],
    ['a fractional gain', { successGain: 1.5 }],
    ['a gain above 1000', { successGain: 1001 }],
    ['a string weight', { denialPenalty: '10' }],
    ['a zero half-life', { halfLifeMs: 0 }],
    ['a NaN floor', { floor: Number.NaN }],
    ['no tier at 0', { tiers: { high: 800, low: 1 } }],
    ['two tiers at one threshold', { tiers: { a: 500, b: 500, c: 0 } }],
    ['a tier above 1000', { tiers: { a: 1001, c: 0 } }],
    ['a negative tier', { tiers: { a: -1, c: 0 } }],
    ['a tier name with spaces', { tiers: { 'very high': 900, c: 0 } }],
    ['an unknown key', { decay: 5 }],
  ];
  it.each(bad)('rejects %s (ERR_TRUST_CONFIG)', (_, options) => {
    expect(() => trustModel(options as never)).toThrow(expect.objectContaining({ code: 'ERR_TRUST_CONFIG' }) as WardenError);
  });

  it('accepts custom tiers and weights', () => {
    const m = trustModel({ floor: 300, tiers: { high: 800, low: 0 } });
    expect(tierOf(799, m)).toBe('low');
    expect(tierOf(800, m)).toBe('high');
  });
});

/**
 * The SRE Workbook's multi-window, multi-burn-rate alerts ("Alerting on SLOs", table 5-8 and the
 * sixth iteration), reproduced: the thresholds, the share of budget each alert stands for, the
 * detection times at a 100% error ratio, and which alert fires when on a synthetic outcome series.
 */
import { describe, expect, it } from 'vitest';
import { alertFires, budgetSpent, burnRate, burnRateFor, detectionTimeMs, WORKBOOK_ALERTS } from '../../src/sre/burn-rate.js';
import { defineSlo, SloTracker } from '../../src/sre/slo.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('the workbook alerts', () => {
  it('are 14.4x over 1h and 5m (page), 6x over 6h and 30m (page), 1x over 3d and 6h (ticket)', () => {
    expect(WORKBOOK_ALERTS.map((a) => [a.severity, a.longWindowMs, a.shortWindowMs, a.burnRate])).toEqual([
      ['page', HOUR, 5 * MIN, 14.4],
      ['page', 6 * HOUR, 30 * MIN, 6],
      ['ticket', 3 * DAY, 6 * HOUR, 1],
    ]);
  });

  it('stand for 2%, 5% and 10% of a 30-day budget (table 5-8)', () => {
    expect(WORKBOOK_ALERTS.map((a) => Number(budgetSpent(a.burnRate, a.longWindowMs, 30 * DAY).toFixed(10)))).toEqual([0.02, 0.05, 0.1]);
    expect(burnRateFor(0.02, HOUR, 30 * DAY)).toBeCloseTo(14.4, 10);
    expect(burnRateFor(0.05, 6 * HOUR, 30 * DAY)).toBeCloseTo(6, 10);
    expect(burnRateFor(0.1, 3 * DAY, 30 * DAY)).toBeCloseTo(1, 10);
  });

  it('fire above error ratios of 0.0144, 0.006 and 0.001 for a 99.9% SLO (the workbook\'s PromQL thresholds)', () => {
    const thresholds = WORKBOOK_ALERTS.map((a) => Number((a.burnRate * (1 - 0.999)).toFixed(10)));
    expect(thresholds).toEqual([0.0144, 0.006, 0.001]);
    const page1h = WORKBOOK_ALERTS[0]!;
    expect(alertFires(page1h, 0.0145, 0.0145, 0.999)).toBe(true);
    expect(alertFires(page1h, 0.0144, 0.5, 0.999)).toBe(false); // at the threshold is not above it
    expect(alertFires(page1h, 0.5, 0.0143, 0.999)).toBe(false); // both windows must burn
  });

  it('give the burn rates and times to exhaustion of table 5-3 (99.9%, 30 days)', () => {
    const rows = [
      [0.001, 1, 30 * DAY],
      [0.002, 2, 15 * DAY],
      [0.01, 10, 3 * DAY],
      [1, 1000, 43.2 * MIN],
    ] as const;
    for (const [ratio, rate, exhaustion] of rows) {
      expect(burnRate(ratio, 0.999)).toBeCloseTo(rate, 9);
      expect((30 * DAY) / burnRate(ratio, 0.999)).toBeCloseTo(exhaustion, 3);
    }
  });

  it('detect a 100% outage after 0.864, 2.16 and 4.32 minutes', () => {
    expect(WORKBOOK_ALERTS.map((a) => Math.round(detectionTimeMs(a, 1, 0.999)))).toEqual([51_840, 129_600, 259_200]);
    expect(detectionTimeMs(WORKBOOK_ALERTS[2]!, 0.0005, 0.999)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('a synthetic series through an SLO tracker', () => {
  // One call a second, all good for three days, then a total outage: the workbook's scenario.
  const slo = defineSlo({ name: 'api', tools: ['*'], objective: 0.999, window: '30d' });
  const START = 1_000 * DAY;
  const OUTAGE = START + 3 * DAY;

  function run(outageSeconds: number, observeUntil: number, onSecond: (second: number, tracker: SloTracker) => void): void {
    const tracker = new SloTracker(slo, { bucketsPerWindow: 3600 });
    for (let t = START; t < OUTAGE; t += 1000) tracker.record(t, { status: 'ok', durationMs: 5 });
    for (let s = 0; s <= observeUntil; s++) {
      const t = OUTAGE + s * 1000;
      tracker.record(t, s < outageSeconds ? { status: 'error' } : { status: 'ok', durationMs: 5 });
      onSecond(s, tracker);
    }
  }

  it('fires each alert at the first call after its detection time (52 s, 130 s, 260 s), and the pages before the ticket', () => {
    const first = new Map<string, number>();
    run(400, 300, (s, tracker) => {
      for (const a of tracker.status(OUTAGE + s * 1000).alerts) if (a.firing && !first.has(a.name)) first.set(a.name, s + 1);
    });
    // s + 1 calls have failed at second s; the alert fires at the first whole call past the workbook's detection time.
    expect(Object.fromEntries(first)).toEqual({
      'page-1h': Math.ceil(detectionTimeMs(WORKBOOK_ALERTS[0]!, 1, 0.999) / 1000),
      'page-6h': Math.ceil(detectionTimeMs(WORKBOOK_ALERTS[1]!, 1, 0.999) / 1000),
      'ticket-3d': Math.ceil(detectionTimeMs(WORKBOOK_ALERTS[2]!, 1, 0.999) / 1000),
    });
    expect([...first.values()]).toEqual([52, 130, 260]);
  });

  it('stops paging within the short window once the outage ends, while the long window still burns above 14.4x', () => {
    let lastFiring = -1;
    let longBurnAtStop = 0;
    run(600, 1200, (s, tracker) => {
      const page = tracker.status(OUTAGE + s * 1000).alerts[0]!;
      if (page.firing) lastFiring = s;
      else if (lastFiring >= 0 && longBurnAtStop === 0) longBurnAtStop = page.longBurnRate;
    });
    // The 5-minute window holds 300 calls: it drops to 1.44% bad after 296 good ones.
    expect(lastFiring).toBeGreaterThanOrEqual(600 + 290);
    expect(lastFiring).toBeLessThan(600 + 300);
    expect(longBurnAtStop).toBeGreaterThan(14.4);
  });

  it('spends the error budget and recovers it as the bad calls leave the window', () => {
    const small = defineSlo({ name: 'search', tools: ['search'], objective: 0.99, window: '1h', minimumCalls: 10 });
    const tracker = new SloTracker(small);
    for (let i = 0; i < 199; i++) tracker.record(START + i, { status: 'ok' });
    tracker.record(START + 199, { status: 'error' });
    const half = tracker.status(START + 200);
    expect(half).toMatchObject({ total: 200, bad: 1, exhausted: false });
    expect(half.budgetRemaining).toBeCloseTo(0.5, 9);
    tracker.record(START + 200, { status: 'error' });
    tracker.record(START + 201, { status: 'error' });
    const spent = tracker.status(START + 202);
    expect(spent).toMatchObject({ total: 202, bad: 3, exhausted: true });
    expect(spent.budgetRemaining).toBeCloseTo(1 - 3 / 2.02, 9);
    expect(tracker.status(START + HOUR + MIN)).toMatchObject({ total: 0, bad: 0, exhausted: false, budgetRemaining: 1 });
  });

  it('judges a budget spent to the last call exhausted (1 bad call in 100 at 99%)', () => {
    const tracker = new SloTracker(defineSlo({ name: 's', tools: ['t'], objective: 0.99 }));
    for (let i = 0; i < 99; i++) tracker.record(START + i, { status: 'ok' });
    tracker.record(START + 99, { status: 'error' });
    expect(tracker.status(START + 100)).toMatchObject({ total: 100, bad: 1, budgetRemaining: 0, exhausted: true });
  });

  it('does not count aborted calls, and counts slow or unmeasured calls as bad under a latency SLI', () => {
    const tracker = new SloTracker(defineSlo({ name: 'fast', tools: ['*'], objective: 0.95, sli: { latency: '5s' } }));
    tracker.record(START, { status: 'ok', durationMs: 4999 });
    tracker.record(START, { status: 'ok', durationMs: 5001 });
    tracker.record(START, { status: 'ok' });
    tracker.record(START, { status: 'error', durationMs: 3 });
    tracker.record(START, { status: 'aborted', durationMs: 3 });
    expect(tracker.status(START + 1)).toMatchObject({ total: 4, bad: 3 });
  });

  it('does not judge a budget exhausted before minimumCalls calls', () => {
    const tracker = new SloTracker(defineSlo({ name: 's', tools: ['t'], objective: 0.99, minimumCalls: 5 }));
    for (let i = 0; i < 4; i++) tracker.record(START + i, { status: 'error' });
    expect(tracker.status(START + 5).exhausted).toBe(false);
    tracker.record(START + 5, { status: 'error' });
    expect(tracker.status(START + 6).exhausted).toBe(true);
  });
});

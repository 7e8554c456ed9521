/**
 * Error-budget arithmetic and multi-window, multi-burn-rate alerts, as the Google SRE Workbook
 * defines them ("Alerting on SLOs", chapter 5, table 5-8 and the sixth iteration): the burn rate is
 * how fast the error budget is spent relative to the SLO (1 spends exactly the whole budget over the
 * SLO window); an alert fires only while both its long and its short window burn faster than its
 * threshold, so it fires fast on a severe outage and stops soon after the outage ends.
 *
 * Pure functions: no clock, no state.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * One multi-window burn-rate alert.
 *
 * @example
 * ```ts
 * const a: BurnRateAlert = { name: 'page-1h', severity: 'page', longWindowMs: 3_600_000, shortWindowMs: 300_000, burnRate: 14.4 };
 * ```
 */
export interface BurnRateAlert {
  name: string;
  severity: 'page' | 'ticket';
  longWindowMs: number;
  shortWindowMs: number;
  /** Fires while the error ratio over both windows is above `burnRate * (1 - objective)`. */
  burnRate: number;
}

/**
 * The workbook's recommended alerts for a 30-day SLO: page at 14.4x over 1 h and 5 min (2% of the
 * budget spent in an hour), page at 6x over 6 h and 30 min (5% in six hours), ticket at 1x over
 * 3 days and 6 h (10% in three days).
 *
 * @example
 * ```ts
 * WORKBOOK_ALERTS.map((a) => a.burnRate); // [14.4, 6, 1]
 * ```
 */
export const WORKBOOK_ALERTS: readonly BurnRateAlert[] = Object.freeze([
  Object.freeze({ name: 'page-1h', severity: 'page', longWindowMs: HOUR, shortWindowMs: 5 * MINUTE, burnRate: 14.4 } as const),
  Object.freeze({ name: 'page-6h', severity: 'page', longWindowMs: 6 * HOUR, shortWindowMs: 30 * MINUTE, burnRate: 6 } as const),
  Object.freeze({ name: 'ticket-3d', severity: 'ticket', longWindowMs: 3 * DAY, shortWindowMs: 6 * HOUR, burnRate: 1 } as const),
]);

/**
 * The burn rate of an error ratio against an objective: `errorRatio / (1 - objective)`.
 *
 * @example
 * ```ts
 * burnRate(0.0144, 0.999); // 14.4
 * ```
 */
export function burnRate(errorRatio: number, objective: number): number {
  return errorRatio / (1 - objective);
}

/**
 * The share of the whole error budget a burn rate spends over a window: `rate * window / sloWindow`.
 *
 * @example
 * ```ts
 * budgetSpent(14.4, 3_600_000, 30 * 86_400_000); // 0.02
 * ```
 */
export function budgetSpent(rate: number, windowMs: number, sloWindowMs: number): number {
  return (rate * windowMs) / sloWindowMs;
}

/**
 * The burn rate that spends `share` of the budget over `windowMs`: the inverse of {@link budgetSpent}.
 *
 * @example
 * ```ts
 * burnRateFor(0.05, 6 * 3_600_000, 30 * 86_400_000); // 6
 * ```
 */
export function burnRateFor(share: number, windowMs: number, sloWindowMs: number): number {
  return (share * sloWindowMs) / windowMs;
}

/**
 * How long after errors start at `errorRatio` (from a clean history) the alert's long window
 * crosses its threshold: `burnRate * (1 - objective) / errorRatio * longWindow`; Infinity when the
 * ratio never gets there. The workbook's "detection time".
 *
 * @example
 * ```ts
 * detectionTimeMs(WORKBOOK_ALERTS[0], 1, 0.999); // 51840 (0.864 minutes at a 100% error ratio)
 * ```
 */
export function detectionTimeMs(alert: BurnRateAlert, errorRatio: number, objective: number): number {
  const threshold = alert.burnRate * (1 - objective);
  if (!(errorRatio > threshold)) return Number.POSITIVE_INFINITY;
  return (threshold / errorRatio) * alert.longWindowMs;
}

/**
 * Whether an alert fires, given the error ratio over its long and short windows: both must be
 * above `burnRate * (1 - objective)`. A window with no events has no error ratio and does not burn.
 *
 * @example
 * ```ts
 * alertFires(WORKBOOK_ALERTS[0], 0.02, 0.5, 0.999); // true
 * alertFires(WORKBOOK_ALERTS[0], 0.02, 0, 0.999);   // false: the outage is over
 * ```
 */
export function alertFires(alert: BurnRateAlert, longRatio: number, shortRatio: number, objective: number): boolean {
  const threshold = alert.burnRate * (1 - objective);
  return longRatio > threshold && shortRatio > threshold;
}

/**
 * Durations as SRE documents write them: `500ms`, `30s`, `5m`, `1h`, `3d`, `4w`.
 */
import { WardenError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds of a duration written as a positive whole number and a unit (`ms`, `s`, `m`, `h`,
 * `d`, `w`), or given as a number of milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('30d'); // 2592000000
 * parseDuration('5m');  // 300000
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` when the text is not such a duration.
 */
export function parseDuration(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const m = typeof value === 'string' ? /^([1-9][0-9]{0,8})(ms|s|m|h|d|w)$/.exec(value) : null;
  if (m === null) throw new WardenError('ERR_SRE_CONFIG', `${where} must be a duration such as "500ms", "30s", "5m", "1h" or "30d"; got ${JSON.stringify(value)}.`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

/**
 * A duration in the largest unit that writes it exactly (`3d`, `90m`, `1500ms`).
 *
 * @example
 * ```ts
 * formatDuration(3_600_000); // '1h'
 * ```
 */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

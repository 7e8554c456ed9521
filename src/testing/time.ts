/**
 * Strict RFC 3339 times for test cases: a case's `now` must mean the same instant on every
 * machine, so a date without a zone, a local time or a rolled-over date (Feb 30) is refused.
 */

const MAX_TIME_CHARS = 64;
// Linear: fixed-width fields and one bounded optional fraction, no nested quantifiers.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 date-time with an explicit zone (`2026-01-31T12:00:00Z`,
 * `2026-01-31T13:00:00+01:00`); seconds and a fraction are optional.
 * Returns the instant, or a string saying what is wrong. Never throws.
 *
 * @example
 * ```ts
 * parseTestTime('2026-01-01T00:00:00Z');   // Date 2026-01-01T00:00:00.000Z
 * parseTestTime('2026-02-30T00:00:00Z');   // 'February 2026 has no day 30'
 * ```
 */
export function parseTestTime(text: string): Date | string {
  if (text.length > MAX_TIME_CHARS) return `the time is ${text.length} characters; an RFC 3339 time is at most ${MAX_TIME_CHARS}`;
  const m = RFC3339.exec(text);
  if (!m) return `"${text}" is not an RFC 3339 time with a zone, such as 2026-01-31T12:00:00Z`;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  const days = daysIn(year, month);
  if (day < 1 || day > days) return `${MONTHS[month - 1] ?? '?'} ${year} has no day ${day}`;
  if (hour > 23 || minute > 59 || second > 59) return `${m[4]}:${m[5]}${m[6] === undefined ? '' : `:${m[6]}`} is not a time of day`;
  let offsetMinutes = 0;
  const zone = m[8] ?? 'Z';
  if (zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return `the zone offset ${zone} does not exist`;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 onto 1900-1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  return new Date(d.getTime() - offsetMinutes * 60_000);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

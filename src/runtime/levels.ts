/**
 * Ring levels: 0 (full access, system orchestrators), 1 (elevated: network, file system, APIs),
 * 2 (standard: scoped tools, sandboxed execution), 3 (restricted: read-only, no network, no file
 * writes). A lower number is more privilege; anything that is not exactly one of the four integers
 * is refused, never read as a level.
 */
import { WardenError } from '../errors.js';

/**
 * The ring levels, most privileged first.
 *
 * @example
 * ```ts
 * RINGS.includes(2); // true
 * ```
 */
export const RINGS = Object.freeze([0, 1, 2, 3] as const);

/**
 * A ring level.
 *
 * @example
 * ```ts
 * const r: Ring = 2;
 * ```
 */
export type Ring = (typeof RINGS)[number];

/** The least privileged ring: what anything unknown gets. */
export const LEAST_PRIVILEGE: Ring = 3;

/**
 * True when `value` is a ring level: the number 0, 1, 2 or 3 (not `'1'`, not 1.5, not -1, not NaN).
 *
 * @example
 * ```ts
 * isRing(1); // true
 * isRing(-1); // false
 * ```
 */
export function isRing(value: unknown): value is Ring {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3;
}

/**
 * `value` as a ring level, or an ERR_RING_CONFIG naming `what` (a load error, never a default).
 *
 * @example
 * ```ts
 * parseRing(2, 'rings.agents.bot'); // 2
 * parseRing(-1, 'rings.agents.bot'); // throws ERR_RING_CONFIG
 * ```
 */
export function parseRing(value: unknown, what: string, min: Ring = 0): Ring {
  if (!isRing(value) || value < min) {
    throw new WardenError('ERR_RING_CONFIG', `${what} must be a ring level, a whole number from ${min} to 3; got ${JSON.stringify(value) ?? String(value)}.`);
  }
  return value;
}

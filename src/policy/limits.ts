import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';

/** Bounds on what a request may carry. Exceeding one is a denial (`invalid_request`), never a crash. */
export interface RequestLimits {
  /** Deepest nesting of objects and arrays inside `args` or `context`. */
  maxDepth: number;
  /** Most values (objects, arrays and scalars) in `args` and `context` together. */
  maxNodes: number;
  /** Longest single string, in UTF-16 code units. */
  maxStringLength: number;
  /** Most characters across every string and key. */
  maxTotalChars: number;
  /** Longest tool name. */
  maxToolLength: number;
}

/**
 * The default limits.
 *
 * @example
 * ```ts
 * const limits = { ...DEFAULT_LIMITS, maxDepth: 16 };
 * ```
 */
export const DEFAULT_LIMITS: Readonly<RequestLimits> = Object.freeze({
  maxDepth: 64,
  maxNodes: 100_000,
  maxStringLength: 1_000_000,
  maxTotalChars: 8_000_000,
  maxToolLength: 256,
});

const REQUEST_LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as ReadonlyArray<keyof RequestLimits>;

/**
 * The request limits in force for `given` (defaults filled in), after checking it: unknown keys
 * and values that are not positive safe integers are refused.
 *
 * @example
 * ```ts
 * resolveRequestLimits({ maxDepth: 16 }).maxDepth; // 16
 * ```
 * @throws WardenError `ERR_OPTIONS` for an unknown key or a bad value.
 */
export function resolveRequestLimits(given: Partial<RequestLimits> | undefined): RequestLimits {
  rejectUnknownKeys(given, REQUEST_LIMIT_KEYS, 'ERR_OPTIONS', 'limits (request limits)');
  const out = { ...DEFAULT_LIMITS };
  for (const key of REQUEST_LIMIT_KEYS) {
    const v = given?.[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new WardenError('ERR_OPTIONS', `limits.${key} must be a non-negative integer, got ${JSON.stringify(v)}.`);
    }
    out[key] = v;
  }
  return out;
}

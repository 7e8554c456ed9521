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

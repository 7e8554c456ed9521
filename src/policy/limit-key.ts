/**
 * Limit keys: the counter a limit draws from is named by the limit and the values of its key
 * expressions. The encoding is injective: each part carries its type and its length, so
 * `("a:b", "c")` and `("a", "b:c")` never name the same counter (THREATS 13).
 */

/** A key part: what a key expression may evaluate to. */
export type LimitKeyPart = string | number | bigint | boolean;

/** The longest encoded key accepted; a longer one is a denial, never a truncation (which would collide). */
export const MAX_LIMIT_KEY_CHARS = 4096;

/**
 * The counter name for `limit` and its key `parts`, or a string explaining why there is none (a
 * part that is not a string, an integer or a boolean; a key over {@link MAX_LIMIT_KEY_CHARS}).
 * Strings are encoded as `s<length>:<text>`, integers as `i<decimal>`, booleans as `b0`/`b1`,
 * joined by `|` after the limit's own name, itself length-prefixed.
 *
 * @example
 * ```ts
 * encodeLimitKey('payments', ['a:b', 'c']); // { key: 'l8:payments|s3:a:b|s1:c' }
 * encodeLimitKey('payments', ['a', 'b:c']); // { key: 'l8:payments|s1:a|s3:b:c' }
 * encodeLimitKey('payments', [Number.NaN]); // { error: 'key part 1 is NaN; ...' }
 * ```
 */
export function encodeLimitKey(limit: string, parts: readonly unknown[]): { key: string } | { error: string } {
  if (typeof limit !== 'string' || limit.length === 0) return { error: 'the limit has no name' };
  let key = `l${limit.length}:${limit}`;
  for (const [i, part] of parts.entries()) {
    const encoded = encodePart(part);
    if (encoded.startsWith('!')) return { error: `key part ${i + 1} ${encoded.slice(1)}; a key must be strings, integers or booleans` };
    key += `|${encoded}`;
    if (key.length > MAX_LIMIT_KEY_CHARS) return { error: `the key is longer than ${MAX_LIMIT_KEY_CHARS} characters` };
  }
  return { key };
}

function encodePart(part: unknown): string {
  switch (typeof part) {
    case 'string':
      return `s${part.length}:${part}`;
    case 'bigint':
      return `i${part.toString(10)}`;
    case 'number':
      if (Number.isNaN(part)) return '!is NaN';
      if (!Number.isFinite(part)) return '!is not finite';
      if (!Number.isSafeInteger(part)) return `!is ${part}, not a safe integer`;
      // invariant: 1 (double) and 1n (CEL int) name the same counter; -0 is 0.
      return `i${part === 0 ? '0' : part.toString(10)}`;
    case 'boolean':
      return part ? 'b1' : 'b0';
    default:
      return `!is ${part === null ? 'null' : part instanceof Map ? 'a map' : Array.isArray(part) ? 'a list' : `a ${typeof part}`}`;
  }
}

/**
 * Linear-time regular expressions for policy conditions (RE2 semantics via re2js).
 * JavaScript's RegExp backtracks and can take exponential time on hostile input, so it is never
 * used on request data.
 */
import type { RE2JS } from 're2js';
import { WardenError } from '../errors.js';
import { lazyModule } from '../lib/lazy-module.js';

// re2js (270 KB) loads with the first pattern a condition compiles (src/lib/re2.ts), so compiling a
// policy whose conditions call no re2() does not pay for it.
const re2 = lazyModule<typeof import('../lib/re2.js')>('lib/re2');

/** Longest pattern accepted, in characters. */
export const MAX_REGEX_LENGTH = 4096;

/**
 * Compiles an RE2 pattern; throws a WardenError `ERR_REGEX` with the reason when it is invalid.
 *
 * @example
 * ```ts
 * compileRe2('^sk-[a-z]+$').matcher('sk-abc').find(); // true
 * ```
 * @throws WardenError `ERR_REGEX` for a pattern RE2 refuses; `ERR_MODULE_LOAD` when re2js cannot be loaded (a broken install).
 */
export function compileRe2(pattern: string): RE2JS {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new WardenError('ERR_REGEX', `Regular expression is ${pattern.length} characters; the limit is ${MAX_REGEX_LENGTH}.`);
  }
  // Outside the try: a module that cannot load is ERR_MODULE_LOAD, not an invalid pattern.
  const { RE2JS } = re2();
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new WardenError('ERR_REGEX', `Invalid RE2 regular expression ${JSON.stringify(pattern)}: ${why}. RE2 has no backreferences or lookaround.`);
  }
}

/**
 * Rejecting option keys a component does not know. A misspelt option (`debounceMS`, `fsnyc`) that
 * is silently ignored leaves the default in force while its author believes otherwise; so an
 * unknown key is an error that names it and lists the accepted ones.
 */
import { WardenError, type WardenErrorCode } from '../errors.js';

/**
 * Throws a WardenError with `code` when `options` (a plain object, or undefined/null) has a key
 * outside `accepted`. `what` names the options object in the message (`PolicyStore options`).
 *
 * @example
 * ```ts
 * rejectUnknownKeys({ watch: true, debounceMS: 5 }, ['watch', 'debounceMs'], 'ERR_OPTIONS', 'PolicyStore options');
 * // WardenError ERR_OPTIONS: Unknown key "debounceMS" in PolicyStore options. Did you mean "debounceMs"? Accepted keys: debounceMs, watch.
 * ```
 * @throws WardenError `code` for an unknown key, or when `options` is not an object.
 */
export function rejectUnknownKeys(options: unknown, accepted: readonly string[], code: WardenErrorCode, what: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new WardenError(code, `${what} must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (accepted.includes(key)) continue;
    const hint = accepted.find((a) => a.toLowerCase() === key.toLowerCase());
    throw new WardenError(
      code,
      `Unknown key ${JSON.stringify(key)} in ${what}.${hint !== undefined ? ` Did you mean ${JSON.stringify(hint)}?` : ''} Accepted keys: ${[...accepted].sort().join(', ')}.`,
    );
  }
}

/**
 * The keys of CompileOptions, apart from the compiler (so a caller that only validates or forwards
 * options, such as loadPolicyFiles or a PolicyStore, does not load it).
 */
import type { CompileOptions } from './compile.js';

/**
 * The keys {@link CompileOptions} accepts: callers that take more options (PolicyStore, lint)
 * pass on only these.
 *
 * @example
 * ```ts
 * const compileOnly = Object.fromEntries(Object.entries(options).filter(([k]) => COMPILE_OPTION_KEYS.includes(k)));
 * ```
 */
export const COMPILE_OPTION_KEYS: readonly string[] = Object.freeze(['limits', 'loadLimits', 'resolver', 'sqlParsers', 'backends', 'detector']);

/**
 * The {@link CompileOptions} part of a larger options object.
 *
 * @example
 * ```ts
 * loadPolicyFiles(paths, compileOptionsOf(storeOptions));
 * ```
 */
export function compileOptionsOf(options: CompileOptions | null | undefined): CompileOptions {
  const out: CompileOptions = {};
  if (options?.limits !== undefined) out.limits = options.limits;
  if (options?.loadLimits !== undefined) out.loadLimits = options.loadLimits;
  if (options?.resolver !== undefined) out.resolver = options.resolver;
  if (options?.sqlParsers !== undefined) out.sqlParsers = options.sqlParsers;
  if (options?.backends !== undefined) out.backends = options.backends;
  if (options?.detector !== undefined) out.detector = options.detector;
  return out;
}

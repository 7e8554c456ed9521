/**
 * Bounds on what a policy load accepts. Parsing YAML costs about a hundred times the source's size
 * in memory and compiling a condition costs far more than reading it, so a legal but huge policy
 * (10 MB took 28 s and 1.45 GB) is refused before that work starts, with an issue that points at
 * the place the limit was crossed.
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { SourcePos } from './source-pos.js';

/**
 * Limits on the policy sources one load reads. Raise one through `CompileOptions.loadLimits`
 * (also accepted by `loadPolicyFiles` and `PolicyStore.open`).
 *
 * @example
 * ```ts
 * const limits: LoadLimits = { ...DEFAULT_LOAD_LIMITS, maxRules: 50_000 };
 * ```
 */
export interface LoadLimits {
  /** Longest single source, in characters (UTF-16 code units). */
  maxSourceChars: number;
  /** Most characters across every source of one load. */
  maxTotalSourceChars: number;
  /** Most rules across every document of one load. */
  maxRules: number;
  /** Most characters across every `when` and `unless` condition of one load. */
  maxConditionChars: number;
}

/**
 * The default load limits: about ten times the largest policy we have seen in use, and small
 * enough that a load at the limit takes well under a second and a few hundred MB.
 *
 * @example
 * ```ts
 * compilePolicy(sources, { loadLimits: { maxRules: DEFAULT_LOAD_LIMITS.maxRules * 2 } });
 * ```
 */
export const DEFAULT_LOAD_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxSourceChars: 1_000_000,
  maxTotalSourceChars: 4_000_000,
  maxRules: 10_000,
  maxConditionChars: 1_000_000,
});

const LIMIT_KEYS = Object.keys(DEFAULT_LOAD_LIMITS) as ReadonlyArray<keyof LoadLimits>;

/**
 * The load limits in force for `given` (defaults filled in), after checking it: unknown keys and
 * values that are not positive safe integers are refused.
 *
 * @example
 * ```ts
 * resolveLoadLimits({ maxRules: 20_000 }).maxRules; // 20000
 * ```
 * @throws WardenError `ERR_OPTIONS` for an unknown key or a bad value.
 */
export function resolveLoadLimits(given: Partial<LoadLimits> | undefined): LoadLimits {
  rejectUnknownKeys(given, LIMIT_KEYS, 'ERR_OPTIONS', 'loadLimits');
  const out = { ...DEFAULT_LOAD_LIMITS };
  for (const key of LIMIT_KEYS) {
    const v = given?.[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new WardenError('ERR_OPTIONS', `loadLimits.${key} must be a positive integer, got ${JSON.stringify(v)}.`);
    }
    out[key] = v;
  }
  return out;
}

/**
 * The 1-based line and column of `offset` in `text` (an offset past the end counts from the end).
 * Linear in `offset`; used to point a `too_large` issue at the character where a limit was crossed.
 *
 * @example
 * ```ts
 * positionAt('a\nbc', 3, 'p.yaml'); // { file: 'p.yaml', line: 2, col: 2 }
 * ```
 */
export function positionAt(text: string, offset: number, file: string): SourcePos {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { file, line, col: end - lineStart + 1 };
}

/**
 * A readable count: `12,000,000`.
 *
 * @example
 * ```ts
 * count(1234567); // '1,234,567'
 * ```
 */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * What to do about a crossed limit, as the end of a `too_large` message.
 *
 * @example
 * ```ts
 * raiseHint('maxRules'); // 'Load fewer rules, or raise loadLimits.maxRules (an option of compilePolicy, loadPolicyFiles and PolicyStore.open).'
 * ```
 */
export function raiseHint(key: keyof LoadLimits): string {
  const fix = key === 'maxSourceChars' ? 'Split the file into several' : key === 'maxRules' ? 'Load fewer rules' : key === 'maxConditionChars' ? 'Shorten the conditions' : 'Load fewer or smaller files';
  return `${fix}, or raise loadLimits.${key} (an option of compilePolicy, loadPolicyFiles and PolicyStore.open).`;
}

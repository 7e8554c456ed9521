/**
 * A getopt-style option reader over static shell words, for the wrappers the shell facet sees
 * through (`sudo`, `timeout`, `xargs`, ...). It follows GNU `getopt_long` with a leading `+`
 * (options end at the first operand) unless told to permute, accepts unambiguous long-option
 * prefixes as glibc does, and refuses anything it does not know rather than guessing which
 * word is the wrapped command.
 *
 * Internal to `facets/shell.ts`; not part of the public surface.
 */
import { WardenError } from '../errors.js';
import type { WordFacts } from './shell-words.js';

/** One long option: its name, whether it takes a value, and the key it reports under. */
export interface LongOption {
  readonly name: string;
  readonly arg: 'none' | 'required' | 'optional';
  /** Key reported in {@link ParsedOption.key}; the matching short letter when there is one. */
  readonly key: string;
}

/** The options one program accepts. */
export interface OptionSpec {
  /** Short options without a value. */
  readonly flags: string;
  /** Short options with a required value (attached, `-uroot`, or the next word, `-u root`). */
  readonly values: string;
  /** Short options whose value can only be attached (`-i{}`). */
  readonly optionalValues?: string;
  readonly long: readonly LongOption[];
  /** A lone `-` is this option's key instead of an operand (`env -`). */
  readonly dashKey?: string;
  /** `-10`, `--10`, `-+10` are an option with key `#` (`nice -10`). */
  readonly numeric?: boolean;
  /** Options may follow operands (GNU permutation, as `su` does). */
  readonly permute?: boolean;
}

/** One option found, with its value: `undefined` for none, `null` when it is not static. */
export interface ParsedOption {
  readonly key: string;
  readonly value: string | null | undefined;
}

/** The result of reading options. */
export type ParsedOptions =
  | {
      readonly kind: 'ok';
      /** Index of the first word after the options (the first operand unless permuting). */
      readonly next: number;
      readonly options: readonly ParsedOption[];
      /** Operand indices, only filled when permuting. */
      readonly operands: readonly number[];
    }
  /** A word whose run-time value decides what the options are. */
  | { readonly kind: 'dynamic' }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Shorthand for a list of long options: `'user=u'` (required value, key `u`), `'eof?=e'`
 * (optional value), `'login:i'` (no value), `'help'` (no value, key `help`).
 *
 * @example
 * ```ts
 * longOptions('user=u', 'login:i', 'help'); // three LongOption records
 * ```
 */
export function longOptions(...specs: readonly string[]): LongOption[] {
  return specs.map((spec) => {
    const m = /^([a-z0-9-]+)(=|\?=|:)?([A-Za-z0-9#]*)$/.exec(spec);
    // invariant: specs are constants in this module's callers; a typo fails every test at import.
    if (m === null) throw new WardenError('ERR_SHELL_OPTION_SPEC', `bad long option spec '${spec}'`);
    const name = m[1] as string;
    const arg = m[2] === '=' ? 'required' : m[2] === '?=' ? 'optional' : 'none';
    return { name, arg, key: m[3] !== undefined && m[3] !== '' ? m[3] : name };
  });
}

function matchLong(spec: OptionSpec, name: string): LongOption | 'ambiguous' | undefined {
  const exact = spec.long.find((o) => o.name === name);
  if (exact !== undefined) return exact;
  const candidates = spec.long.filter((o) => o.name.startsWith(name));
  const first = candidates[0];
  if (first === undefined) return undefined;
  return candidates.every((o) => o.key === first.key && o.arg === first.arg) ? first : 'ambiguous';
}

function isNumericOption(v: string): boolean {
  let i = 1;
  if (v[i] === '-' || v[i] === '+') i++;
  if (i >= v.length) return false;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A value taken from the next word: usable only if that word is one field. */
function nextValue(words: readonly WordFacts[], i: number): { value: string | null } | 'missing' | 'dynamic' {
  const w = words[i];
  if (w === undefined) return 'missing';
  if (w.value === null && !w.singleField) return 'dynamic';
  return { value: w.value };
}

/**
 * Reads the options of `program` from `words[start]` on.
 *
 * @example
 * ```ts
 * parseOptions(words, 1, { flags: 'n', values: 'u', long: [] }, 'sudo'); // { kind: 'ok', next: 3, ... }
 * ```
 */
export function parseOptions(words: readonly WordFacts[], start: number, spec: OptionSpec, program: string): ParsedOptions {
  const options: ParsedOption[] = [];
  const operands: number[] = [];
  let i = start;
  while (i < words.length) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === null) {
      // A run-time word is an operand only if its static start already rules out an option.
      if (w.singleField && w.prefix !== '' && !w.prefix.startsWith('-')) {
        if (!spec.permute) break;
        operands.push(i++);
        continue;
      }
      return { kind: 'dynamic' };
    }
    if (v === '--') {
      i++;
      if (spec.permute) while (i < words.length) operands.push(i++);
      break;
    }
    if (v === '-' && spec.dashKey !== undefined) {
      options.push({ key: spec.dashKey, value: undefined });
      i++;
      continue;
    }
    if (!v.startsWith('-') || v === '-') {
      if (!spec.permute) break;
      operands.push(i++);
      continue;
    }
    if (spec.numeric === true && isNumericOption(v)) {
      options.push({ key: '#', value: v.replace(/^-+/, '') });
      i++;
      continue;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq === -1 ? v.slice(2) : v.slice(2, eq);
      const opt = matchLong(spec, name);
      if (opt === undefined) return { kind: 'error', message: `${program}: unrecognized option '--${name}'` };
      if (opt === 'ambiguous') return { kind: 'error', message: `${program}: ambiguous option '--${name}'` };
      if (opt.arg === 'none') {
        if (eq !== -1) return { kind: 'error', message: `${program}: option '--${opt.name}' takes no value` };
        options.push({ key: opt.key, value: undefined });
        i++;
      } else if (eq !== -1) {
        options.push({ key: opt.key, value: v.slice(eq + 1) });
        i++;
      } else if (opt.arg === 'optional') {
        options.push({ key: opt.key, value: undefined });
        i++;
      } else {
        const nv = nextValue(words, i + 1);
        if (nv === 'dynamic') return { kind: 'dynamic' };
        if (nv === 'missing') return { kind: 'error', message: `${program}: option '--${opt.name}' needs a value` };
        options.push({ key: opt.key, value: nv.value });
        i += 2;
      }
      continue;
    }
    // A cluster of short options: `-nu root`, `-uroot`, `-I{}`.
    let consumedNext = false;
    for (let j = 1; j < v.length; j++) {
      const ch = v[j] as string;
      if (spec.flags.includes(ch)) {
        options.push({ key: ch, value: undefined });
        continue;
      }
      if (spec.optionalValues?.includes(ch) === true) {
        const rest = v.slice(j + 1);
        options.push({ key: ch, value: rest === '' ? undefined : rest });
        break;
      }
      if (spec.values.includes(ch)) {
        const rest = v.slice(j + 1);
        if (rest !== '') {
          options.push({ key: ch, value: rest });
        } else {
          const nv = nextValue(words, i + 1);
          if (nv === 'dynamic') return { kind: 'dynamic' };
          if (nv === 'missing') return { kind: 'error', message: `${program}: option '-${ch}' needs a value` };
          options.push({ key: ch, value: nv.value });
          consumedNext = true;
        }
        break;
      }
      return { kind: 'error', message: `${program}: unrecognized option '-${ch}'` };
    }
    i += consumedNext ? 2 : 1;
  }
  return { kind: 'ok', next: i, options, operands };
}

/**
 * True when `key` was given.
 *
 * @example
 * ```ts
 * hasOption(parsed.options, 'l'); // true for `sudo -l`
 * ```
 */
export function hasOption(options: readonly ParsedOption[], ...keys: readonly string[]): boolean {
  return options.some((o) => keys.includes(o.key));
}

/**
 * The value of the last occurrence of `key` (`undefined` when absent or valueless).
 *
 * @example
 * ```ts
 * optionValue(parsed.options, 'I'); // '{}' for `xargs -I{}`
 * ```
 */
export function optionValue(options: readonly ParsedOption[], key: string): string | null | undefined {
  let found: string | null | undefined;
  for (const o of options) if (o.key === key) found = o.value;
  return found;
}

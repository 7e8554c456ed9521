/**
 * What a program's effect model sees and may report, and the option reader the models share.
 *
 * A model receives the command's words (after wrappers are seen through) and reports what the
 * program does with them: paths read, written or deleted, destinations, code it runs, privilege.
 *
 * Internal to the shell effects; not part of the public surface.
 */
import type { CommandSink, Stdin } from './shell-programs.js';
import { syntheticWord, type WordFacts } from './shell-words.js';
import type { PathAccess } from './effects.js';
import type { ExecKind } from './effects-types.js';

/** The effects a program model may report. */
export interface FxSink {
  /** A path the program reads, writes or deletes (`recursive`: and everything under it). */
  path(access: PathAccess, word: WordFacts, via: string, recursive?: boolean): void;
  /** The same for a path the model computed (`dir/basename`), already absolute or relative to the working directory. */
  pathText(access: PathAccess, text: string, via: string, recursive?: boolean): void;
  /** A URL or host operand (`https://x`, `x.com:8080/p`, `user@host`), with the scheme the program assumes when none is written. */
  url(word: WordFacts, via: string, defaultScheme: string, defaultPort: number): void;
  /** A destination given as host and port. */
  host(host: WordFacts | string, port: number, scheme: string, via: string): void;
  /** A destination that cannot be known (a configured remote, a registry from a config file). */
  unknownHost(text: string, scheme: string, via: string): void;
  /** Code that will run, and what kind of code it is. */
  exec(program: string, code: string, via: string, reason: string, known: boolean, kind: ExecKind): void;
  /** Privilege gained or changed. */
  privilege(kind: string, via: string, reason: string): void;
  /** Part of the command could not be analysed. */
  incomplete(reason: string): void;
  /** The working directory as the model should resolve against: `dir` changes it for `fn` (null: unknown). */
  inDirectory(dir: WordFacts | null, fn: () => void): void;
  /** Reports what an unknown program does with its arguments (`from` on). */
  unknownArguments(call: FxCall, from: number, via: string): void;
  /** An environment assignment (`NAME=value`) applied to `program`. */
  assignment(word: WordFacts, program: string): void;
}

/**
 * One command, for its model.
 *
 * @example
 * ```ts
 * const model: FxModel = (call) => { for (const w of call.words.slice(1)) call.fx.path('read', w, call.name); };
 * ```
 */
export interface FxCall {
  /** The program's lookup name (`git`, `python`). */
  readonly name: string;
  readonly words: readonly WordFacts[];
  readonly stdin: Stdin;
  /** Arguments are appended at run time (`xargs`). */
  readonly appended: boolean;
  readonly fx: FxSink;
  /** The shell analyzer: nested code (`sink.code`) and commands run by the program (`sink.run`). */
  readonly sink: CommandSink;
}

/** A program's effect model. */
export type FxModel = (call: FxCall) => void;

/**
 * How options are written for {@link argSpec}. `short`: letters, `:` after a letter means it takes
 * a value (attached or the next word), `::` an optional attached value. `long`: names, `=` suffix
 * a required value, `=?` an optional value; `name/k` reports the option under key `k`.
 *
 * @example
 * ```ts
 * const text: ArgSpecText = { short: 'o:rf', long: ['output=/o', 'recursive/r', 'force/f'] };
 * ```
 */
export interface ArgSpecText {
  readonly short?: string;
  readonly long?: readonly string[];
  /** Options end at the first operand (no GNU permutation). */
  readonly inOrder?: boolean;
}

type LongArg = { readonly key: string; readonly arg: 'none' | 'required' | 'optional' };

/** A compiled option table (build with {@link argSpec}). */
export interface ArgSpec {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
  readonly optional: ReadonlySet<string>;
  readonly long: ReadonlyMap<string, LongArg>;
  readonly inOrder: boolean;
}

/**
 * Compiles an option table once, at module load.
 *
 * @example
 * ```ts
 * const RM = argSpec({ short: 'fiIrRdv', long: ['force/f', 'recursive/r'] });
 * ```
 */
export function argSpec(text: ArgSpecText): ArgSpec {
  const flags = new Set<string>();
  const valueSet = new Set<string>();
  const optional = new Set<string>();
  const long = new Map<string, LongArg>();
  const s = text.short ?? '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (s[i + 1] === ':' && s[i + 2] === ':') {
      optional.add(ch);
      i += 2;
    } else if (s[i + 1] === ':') {
      valueSet.add(ch);
      i++;
    } else flags.add(ch);
  }
  for (const l of text.long ?? []) {
    const slash = l.indexOf('/');
    const body = slash === -1 ? l : l.slice(0, slash);
    const arg = body.endsWith('=?') ? 'optional' : body.endsWith('=') ? 'required' : 'none';
    const name = body.replace(/=\??$/, '');
    long.set(name, { key: slash === -1 ? name : l.slice(slash + 1), arg });
  }
  return Object.freeze({ flags, values: valueSet, optional, long, inOrder: text.inOrder === true });
}

/** One option found. `value` is a word (possibly a sub-word after `=`), absent for flags. */
export interface FoundOption {
  readonly key: string;
  readonly value?: WordFacts;
}

/** Options and operands of one command. */
export interface ParsedArgs {
  readonly options: FoundOption[];
  readonly operands: WordFacts[];
  /** Options the table does not know, as written. */
  readonly unknown: string[];
  /** Index (into the words) of each operand. */
  readonly operandIndex: number[];
}

/**
 * The part of `word` from character `offset` on (`--output=FILE` at 9), as a word: static when
 * the word is; otherwise unknown, with the static part that remains.
 *
 * @example
 * ```ts
 * subWord(syntheticWord('of=/etc/x'), 3).value; // '/etc/x'
 * ```
 */
export function subWord(word: WordFacts, offset: number): WordFacts {
  if (word.value !== null) return syntheticWord(word.value.slice(offset));
  const prefix = word.prefix.length > offset ? word.prefix.slice(offset) : '';
  return { value: null, text: word.text, singleField: word.singleField, prefix, tilde: false, pattern: null };
}

function matchLong(c: ArgSpec, name: string): LongArg | undefined {
  const exact = c.long.get(name);
  if (exact) return exact;
  // GNU getopt_long accepts an unambiguous prefix.
  let found: LongArg | undefined;
  for (const [n, o] of c.long) {
    if (!n.startsWith(name)) continue;
    if (found !== undefined && found.key !== o.key) return undefined;
    found = o;
  }
  return found;
}

/**
 * Reads options GNU-style from `words[start]` on: clusters (`-rf`), attached and separate values,
 * `--long=value`, unambiguous long prefixes, `--` ending options, options after operands unless
 * `inOrder`. An unknown option is recorded and read as a flag; a word known only at run time is an
 * operand (its effects are then unknown paths).
 *
 * @example
 * ```ts
 * parseArgs(words, 1, argSpec({ short: 'o:' })).operands; // the words that are not options
 * ```
 */
export function parseArgs(words: readonly WordFacts[], start: number, c: ArgSpec): ParsedArgs {
  const options: FoundOption[] = [];
  const operands: WordFacts[] = [];
  const operandIndex: number[] = [];
  const unknown: string[] = [];
  let i = start;
  let optionsDone = false;
  for (; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value;
    // `--include=*.ts` unquoted: a glob word whose static part names a long option (no file is
    // called `--include=...`, so the shell passes it as written): the option, with a glob value.
    const eqAt = v === null && !optionsDone && typeof w.pattern === 'string' && w.prefix.startsWith('--') ? w.prefix.indexOf('=') : -1;
    if (eqAt > 2) {
      const o = matchLong(c, w.prefix.slice(2, eqAt));
      if (o !== undefined && o.arg !== 'none') {
        const pattern = (w.pattern as string).slice(eqAt + 1);
        options.push({ key: o.key, value: { value: null, text: w.text.slice(eqAt + 1), singleField: w.singleField, prefix: w.prefix.slice(eqAt + 1), tilde: false, pattern } });
        continue;
      }
    }
    if (optionsDone || v === null || !v.startsWith('-') || v === '-') {
      operands.push(w);
      operandIndex.push(i);
      if (c.inOrder) optionsDone = true;
      continue;
    }
    if (v === '--') {
      optionsDone = true;
      continue;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq === -1 ? v.slice(2) : v.slice(2, eq);
      const o = matchLong(c, name);
      if (o === undefined) {
        unknown.push(`--${name}`);
        continue;
      }
      if (eq !== -1) options.push({ key: o.key, value: subWord(w, eq + 1) });
      else if (o.arg === 'required' && i + 1 < words.length) options.push({ key: o.key, value: words[++i] as WordFacts });
      else options.push({ key: o.key });
      continue;
    }
    for (let j = 1; j < v.length; j++) {
      const ch = v[j] as string;
      if (c.flags.has(ch)) {
        options.push({ key: ch });
        continue;
      }
      if (c.optional.has(ch)) {
        options.push(j + 1 < v.length ? { key: ch, value: subWord(w, j + 1) } : { key: ch });
        break;
      }
      if (c.values.has(ch)) {
        if (j + 1 < v.length) options.push({ key: ch, value: subWord(w, j + 1) });
        else if (i + 1 < words.length) options.push({ key: ch, value: words[++i] as WordFacts });
        else options.push({ key: ch });
        break;
      }
      unknown.push(`-${ch}`);
    }
  }
  return { options, operands, unknown, operandIndex };
}

/**
 * True when one of `keys` was given.
 *
 * @example
 * ```ts
 * has(parsed, 'r', 'R', 'recursive');
 * ```
 */
export function has(parsed: ParsedArgs, ...keys: readonly string[]): boolean {
  return parsed.options.some((o) => keys.includes(o.key));
}

/**
 * Values of every occurrence of `keys`, in order.
 *
 * @example
 * ```ts
 * values(parsed, 'o'); // the words given to -o
 * ```
 */
export function values(parsed: ParsedArgs, ...keys: readonly string[]): WordFacts[] {
  let out: WordFacts[] | undefined;
  for (const o of parsed.options) if (o.value !== undefined && keys.includes(o.key)) (out ??= []).push(o.value);
  return out ?? [];
}

/**
 * A synthetic word standing for arguments only known at run time (`xargs` input).
 *
 * @example
 * ```ts
 * RUNTIME_ARGUMENT.value; // null
 * ```
 */
export const RUNTIME_ARGUMENT: WordFacts = Object.freeze({ value: null, text: '<arguments from stdin>', singleField: false, prefix: '', tilde: false, pattern: null });

/**
 * The words of a command joined as the shell string some programs run (`git submodule foreach`).
 * Null when a word is not static.
 *
 * @example
 * ```ts
 * joined(words, 3); // 'echo $name'
 * ```
 */
export function joined(words: readonly WordFacts[], from: number): string | null {
  const parts: string[] = [];
  for (let i = from; i < words.length; i++) {
    const v = (words[i] as WordFacts).value;
    if (v === null) return null;
    parts.push(v);
  }
  return parts.join(' ');
}

/**
 * A word with another static value, keeping whether a leading `~` expands.
 *
 * @example
 * ```ts
 * withValue(dest, '~/x/a.txt').tilde; // as dest
 * ```
 */
export function withValue(word: WordFacts, value: string): WordFacts {
  return { ...syntheticWord(value), tilde: word.tilde && value.startsWith('~') };
}

/**
 * The last path component, trailing slashes ignored (`a/b/` is `b`).
 *
 * @example
 * ```ts
 * basename('src/lib/'); // 'lib'
 * ```
 */
export function basename(p: string): string {
  let end = p.length;
  while (end > 1 && p[end - 1] === '/') end--;
  const s = p.slice(0, end);
  return s.slice(s.lastIndexOf('/') + 1);
}

/** True when a destination word must name a directory (`dir/`, `.`, `..`, `/`, `~`). */
function isDirectoryWord(w: WordFacts): boolean {
  const v = w.value;
  if (v === null) return false;
  return v.endsWith('/') || v === '.' || v === '..' || v === '~' || v.endsWith('/.') || v.endsWith('/..');
}

/**
 * What `cp`, `mv`, `install`, `ln`, `scp` and `rsync` write: `dest` itself, and `dest/<name>`
 * for each source when `dest` is (or may be) a directory. A source known only at run time makes
 * the whole directory a possible target.
 *
 * @example
 * ```ts
 * copyInto(call.fx, [word('a.txt')], word('out/'), undefined, false, 'cp'); // writes out/a.txt
 * ```
 */
export function copyInto(fx: FxSink, sources: readonly WordFacts[], dest: WordFacts, destIsDir: boolean | undefined, recursive: boolean, via: string): void {
  const dir = destIsDir ?? (sources.length > 1 || isDirectoryWord(dest));
  if (!dir) fx.path('write', dest, via, recursive);
  if (destIsDir === false) return;
  for (const src of sources) {
    if (dest.value !== null && src.value !== null && src.value !== '') {
      const d = dest.value.endsWith('/') ? dest.value : `${dest.value}/`;
      fx.path('write', withValue(dest, d + basename(src.value)), via, recursive);
    } else {
      fx.path('write', dest, via, true);
    }
  }
}

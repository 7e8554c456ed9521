/**
 * Shell words as file-system locations, for the shell's effects: resolved against the working
 * directory (one or more candidates, or unknown), `~` against a configured home, normalized
 * (`//etc/x`, `/tmp/../etc/x`, `.claude/./settings.json`). A word that depends on run time is an
 * unknown path, reported as written, with the directory it certainly lies in when its static part
 * pins one down and no glob in it can produce `..`.
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { compileGlob } from '../lib/glob.js';
import { escapeGlob } from './path-glob.js';
import type { WordFacts } from './shell-words.js';

/** Candidate working directories (absolute, normalized), or null when unknown. */
export type Cwd = readonly string[] | null;

/**
 * Where relative paths and `~` resolve.
 *
 * @example
 * ```ts
 * const ctx: PathContext = { cwd: ['/workspace'], home: '/home/dev' };
 * ```
 */
export interface PathContext {
  readonly cwd: Cwd;
  /** Absolute home directory, or null when `~` cannot be resolved. */
  readonly home: string | null;
  /**
   * False when the line may change how globs expand (`shopt`, `set -o`, `bash -O`, `GLOBIGNORE`,
   * `dotglob`, ...): a glob is then known only by the directory it lies in, never as a pattern.
   */
  readonly plainGlobs?: boolean;
}

/**
 * One location a word may name.
 *
 * @example
 * ```ts
 * const p: ResolvedPath = { path: '/w/src', known: false, within: '/w/src', recursive: false };
 * ```
 */
export interface ResolvedPath {
  path: string;
  known: boolean;
  /** The directory the path certainly lies in; `''` when it could be anywhere. */
  within: string;
  /** The word stands for anything under `path` (find's `{}`). */
  recursive: boolean;
  /** For a path only a glob leaves unknown: the absolute pattern (see `PathEffect.glob`). */
  glob?: string;
}

/**
 * Normalizes an absolute POSIX path: empty and `.` segments dropped, `..` applied (never above
 * `/`). Lexical only: `..` after a symlink is taken literally, as `pathWithin` does.
 *
 * @example
 * ```ts
 * normalizeAbsolute('//tmp/../etc/./x'); // '/etc/x'
 * ```
 */
export function normalizeAbsolute(p: string): string {
  // Most paths are already normal: no empty, `.` or `..` segment, no trailing slash.
  if (p.length > 1 && p.charCodeAt(0) === 0x2f && !NOT_NORMAL.test(p)) return p;
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`;
}

// invariant: an alternation of literals anchored on `/`, linear.
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|\/$/;

/**
 * Files that are not files: reading or writing them touches nothing on disk.
 *
 * @example
 * ```ts
 * isStdioDevice('/dev/null'); // true
 * ```
 */
export function isStdioDevice(p: string): boolean {
  return (
    p === '/dev/null' ||
    p === '/dev/zero' ||
    p === '/dev/random' ||
    p === '/dev/urandom' ||
    p === '/dev/full' ||
    p === '/dev/stdin' ||
    p === '/dev/stdout' ||
    p === '/dev/stderr' ||
    p === '/dev/tty' ||
    p.startsWith('/dev/fd/') ||
    p.startsWith('/proc/self/fd/')
  );
}

const UNKNOWN_ANYWHERE = (text: string): ResolvedPath => ({ path: text, known: false, within: '', recursive: false });

/** The base a `~`-led text resolves against, and the rest after it; null when `~` is not resolvable. */
function tildeBase(text: string, home: string | null): { base: string; rest: string } | null {
  if (home === null) return null;
  if (text === '~') return { base: home, rest: '' };
  if (text.startsWith('~/')) return { base: home, rest: text.slice(2) };
  return null; // `~user`, `~+`, `~-`: depends on the machine or the shell's state
}

/** Splits a glob pattern at unescaped `/`. */
function patternSegments(pattern: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      cur += c + (pattern[i + 1] as string);
      i++;
    } else if (c === '/') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function hasWildcard(seg: string): boolean {
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

function unescape(seg: string): string {
  return seg.replace(/\\(.)/g, '$1');
}

/**
 * True when a path segment pattern could expand to `..`. Shells match a leading dot only
 * explicitly, so only a segment that starts with `.` or a bracket can (`.*` can, `*` cannot).
 */
function mayBeDotDot(seg: string): boolean {
  if (unescape(seg) === '..') return true;
  if (!hasWildcard(seg)) return false;
  if (!seg.startsWith('.') && !seg.startsWith('[') && !seg.startsWith('\\.')) return false;
  try {
    return compileGlob(seg).test('..');
  } catch {
    return true;
  }
}

/**
 * The directory a glob pattern's matches certainly lie in, relative to `base` ('' when
 * unbounded), and the absolute pattern itself ('' when it cannot be written as one).
 */
function globWithin(base: string, rest: string): { within: string; glob: string } {
  const segs = patternSegments(rest);
  const fixed: string[] = [];
  let i = 0;
  for (; i < segs.length; i++) {
    const seg = segs[i] as string;
    if (hasWildcard(seg)) break;
    fixed.push(unescape(seg));
  }
  for (let j = i; j < segs.length; j++) if (mayBeDotDot(segs[j] as string)) return { within: '', glob: '' };
  const wild = segs.slice(i).filter((s) => s !== '' && s !== '.');
  // The last fixed segment is a directory only when a wildcard segment follows it.
  if (i >= segs.length) fixed.pop();
  const within = normalizeAbsolute(`${base}/${fixed.join('/')}`);
  // Brace and extended-glob syntax is not expressible as a path glob: no pattern then.
  const plain = i < segs.length && wild.every((s) => !/[{}()|!+@]/.test(s));
  return { within, glob: plain ? `${within === '/' ? '' : escapeGlob(within)}/${wild.join('/')}` : '' };
}

/**
 * Every location `word` may name, or `[]` when it names no file (`-`, `''`, `/dev/null`).
 *
 * @example
 * ```ts
 * wordPaths(word('~/.ss*' + '/id_r*'), { cwd: ['/w'], home: '/h' });
 * // [{ path: '~/.ss*' + '/id_r*', known: false, within: '/h', recursive: false }]
 * ```
 */
export function wordPaths(word: WordFacts, ctx: PathContext): ResolvedPath[] {
  if (word.under !== undefined) {
    const out: ResolvedPath[] = [];
    for (const start of word.under) for (const p of wordPaths(start, ctx)) out.push({ ...p, recursive: true });
    return out;
  }
  const v = word.value;
  if (v !== null) return staticPaths(v, word.tilde, ctx);
  const pattern = word.pattern;
  if (pattern === null || pattern === undefined) return [UNKNOWN_ANYWHERE(word.text)];
  let bases: readonly string[];
  let rest: string;
  if (word.tilde && pattern.startsWith('~')) {
    const t = tildeBase(pattern, ctx.home);
    if (t === null) return [UNKNOWN_ANYWHERE(word.text)];
    bases = [t.base];
    rest = t.rest;
  } else if (pattern.startsWith('/')) {
    bases = ['/'];
    rest = pattern;
  } else {
    if (ctx.cwd === null) return [UNKNOWN_ANYWHERE(word.text)];
    bases = ctx.cwd;
    rest = pattern;
  }
  return bases.map((b) => {
    const g = globWithin(b, rest);
    // Only a word whose wildcards are its own: a brace or other expansion in the text reads as `*`
    // in the pattern, yet can produce a leading dot or `..` (`{.warden,x}`) that `*` cannot.
    const glob = ctx.plainGlobs === true && !/[{}$`()@!+]/.test(word.text) ? g.glob : '';
    return { path: word.text, known: false, within: g.within, recursive: false, ...(glob !== '' ? { glob } : {}) };
  });
}

function staticPaths(v: string, tilde: boolean, ctx: PathContext): ResolvedPath[] {
  if (v === '' || v === '-') return [];
  if (tilde && v.startsWith('~')) {
    const t = tildeBase(v, ctx.home);
    if (t === null) return [UNKNOWN_ANYWHERE(v)];
    return procPaths(`${t.base}/${t.rest}`, v, ctx);
  }
  if (v.startsWith('/')) return procPaths(v, v, ctx);
  if (ctx.cwd === null) return [UNKNOWN_ANYWHERE(v)];
  return ctx.cwd.flatMap((dir) => procPaths(`${dir}/${v}`, v, ctx));
}

/**
 * An absolute path with the kernel's links to other directories followed: `/proc/<pid>/root` is
 * that process's root (`/` here), and `/proc/self/cwd` the shell's working directory, so
 * `/proc/self/cwd/../../etc/shadow` is `/etc/shadow`, not `/proc/etc/shadow` (`..` after the link
 * is applied to where it points). Another process's working directory is not known.
 */
function procPaths(abs: string, text: string, ctx: PathContext): ResolvedPath[] {
  if (!abs.includes('proc')) return finish(normalizeAbsolute(abs));
  const segs = abs.split('/');
  let stack: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    if (s === '' || s === '.') continue;
    if (s === '..') {
      stack.pop();
      continue;
    }
    stack.push(s);
    const link = procLink(stack);
    if (link === 'root') stack = [];
    else if (link === 'cwd-self' || link === 'cwd-other') {
      const rest = segs.slice(i + 1).join('/');
      if (link === 'cwd-other' || ctx.cwd === null) return [UNKNOWN_ANYWHERE(text)];
      return ctx.cwd.flatMap((dir) => procPaths(`${dir}/${rest}`, text, { ...ctx, cwd: null }));
    }
  }
  return finish(`/${stack.join('/')}`);
}

function finish(p: string): ResolvedPath[] {
  return isStdioDevice(p) ? [] : [known(p)];
}

// invariant: anchored, no nested quantifiers; linear.
const PROC_PID = /^(?:self|thread-self|[0-9]+)$/;

/** Which kernel link `stack` (the segments so far) ends in: a process's root or working directory. */
function procLink(stack: readonly string[]): 'root' | 'cwd-self' | 'cwd-other' | null {
  if (stack[0] !== 'proc' || stack.length < 3) return null;
  const pid = stack[1] as string;
  if (!PROC_PID.test(pid)) return null;
  // `/proc/<pid>/task/<tid>/root` is the same link for one of the process's threads.
  const tail = stack.length === 5 && stack[2] === 'task' && /^[0-9]+$/.test(stack[3] as string) ? stack[4] : stack.length === 3 ? stack[2] : undefined;
  if (tail === 'root') return 'root';
  if (tail === 'cwd') return pid === 'self' || pid === 'thread-self' ? 'cwd-self' : 'cwd-other';
  return null;
}

function known(path: string): ResolvedPath {
  return { path, known: true, within: path, recursive: false };
}

/**
 * The working directories after `cd target` from `cwd`: one per candidate, or null (unknown) when
 * the target depends on run time, is `-`, or is relative to an unknown directory. `CDPATH` is
 * taken to be unset (it is not exported to non-interactive shells by default).
 *
 * @example
 * ```ts
 * changeDirectory(word('src'), { cwd: ['/w'], home: null }); // ['/w/src']
 * ```
 */
export function changeDirectory(target: WordFacts | undefined, ctx: PathContext): Cwd {
  if (target === undefined) return ctx.home === null ? null : [ctx.home];
  if (target.value === '-') return null;
  if (target.value === null) return null;
  const paths = staticPaths(target.value, target.tilde, ctx);
  if (paths.length === 0 || paths.some((p) => !p.known)) return null;
  return [...new Set(paths.map((p) => p.path))];
}

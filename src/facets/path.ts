/**
 * The file path facet (CEL variable `path`, function `pathWithin`): a path argument resolved
 * against the binding's root, and whether it stays inside it.
 *
 * A path is read every way a tool might read it, and it is inside the root only when every
 * reading is: as written; percent-decoded (repeatedly, so `%252e%252e` counts, with the overlong
 * UTF-8 dot and slash); as a `file:` URL; with `\` as a separator even on POSIX; with fullwidth and
 * look-alike dots and slashes folded (NFKC, Windows "best fit"); with `~`, `$HOME` and `${HOME}`
 * expanded against `home` (without `home` such a path is never inside). Containment is on a
 * path-segment boundary (`/workspace-evil` is outside `/workspace`), case-insensitive for Windows.
 *
 * Pure. The opt-in `realpath: true` check asks an injected {@link RealpathResolver} (the edge
 * answers from the file system: the real path of the resolved path, or of its nearest existing
 * ancestor, refusing dangling symlinks, since creating a file through one writes wherever it
 * points). With `realpath: true`, `insideRoot` requires the real path to be inside the real root
 * too; without a resolver the check fails, and so does every rule that relies on it. The check is
 * as of the call: a symlink swapped in afterwards is the enforcement point's problem (open with
 * `O_NOFOLLOW` or re-check).
 */
import { percentDecode } from './url-decode.js';
import type { RealpathResolver } from './types.js';

/** Longest path accepted (Linux PATH_MAX). */
const MAX_PATH_LENGTH = 4096;
/** How many times percent-decoding is repeated (`%25252e` is three layers). */
const MAX_DECODE_ROUNDS = 3;

/**
 * What a rule sees about a path argument (CEL variable `path`). Every field is always present.
 *
 * @example
 * ```ts
 * // CEL: !path.parsed || !path.insideRoot || path.traversal
 * const f: PathFacts = pathFacet('../etc/passwd', { root: '/workspace' }); // f.insideRoot === false
 * ```
 */
export interface PathFacts {
  /** The argument as given (`''` when it was not a string). */
  raw: string;
  /** Absolute, normalized path as written (`~` expanded when `home` is given), against `root`. */
  resolved: string;
  /** The normalized root of the binding. */
  root: string;
  /** Inside `root` under every reading (and, with `realpath`, after resolving symlinks). */
  insideRoot: boolean;
  /** Some reading of the path has a `..` segment. */
  traversal: boolean;
  /** The input was a usable path (a non-empty string without NUL, within the length limit). */
  parsed: boolean;
  /** Why `parsed` is false or the realpath check failed; `''` otherwise. */
  error: string;
  /** The path was absolute as written. */
  absolute: boolean;
  /** The path starts with `~`, `$HOME` or `${HOME}`. */
  tilde: boolean;
  /** Decoding (percent, `file:` URL, Unicode folding) gave a different reading. */
  encoded: boolean;
  /** Inside `root` lexically, before any symlink check. */
  lexicalInsideRoot: boolean;
  /** The realpath check ran (the binding asked for it and the input parsed). */
  realpathChecked: boolean;
  /** The resolved path with symlinks resolved; `''` when not checked or on error. */
  realResolved: string;
  /** The real path is inside the real root; false when not checked or on error. */
  realInsideRoot: boolean;
  /** Lexically inside, but a symlink leads out (or dangles). */
  symlinkEscape: boolean;
  /**
   * The path as the fully percent-decoded text reads it, resolved like `resolved` (`%2eenv` is
   * `.env`); equal to `resolved` when nothing decodes. Match names against this too.
   */
  decoded: string;
  /** Every location a reading of the path names (as written, decoded, `\` as a separator, ...), normalized, `resolved` first. */
  readings: string[];
  /** Some reading names a location that cannot be known (`~` without a home, a drive letter on a POSIX root). */
  unknownReading: boolean;
}

/**
 * The facts when no path binding applies to the tool: nothing parsed, nothing inside.
 *
 * @example
 * ```ts
 * const path = binding ? pathFacet(args.path, binding) : EMPTY_PATH_FACTS;
 * ```
 */
export const EMPTY_PATH_FACTS: PathFacts = Object.freeze({
  raw: '',
  resolved: '',
  root: '',
  insideRoot: false,
  traversal: false,
  parsed: false,
  error: '',
  absolute: false,
  tilde: false,
  encoded: false,
  lexicalInsideRoot: false,
  realpathChecked: false,
  realResolved: '',
  realInsideRoot: false,
  symlinkEscape: false,
  decoded: '',
  readings: Object.freeze([]) as unknown as string[],
  unknownReading: false,
});

/**
 * Options of {@link pathFacet}: the binding's `root`, and the opt-ins.
 *
 * @example
 * ```ts
 * const options: PathFacetOptions = { root: '/workspace', realpath: true, home: '/workspace' };
 * ```
 */
export interface PathFacetOptions {
  /** Absolute directory the path must stay inside. */
  root: string;
  /** Also resolve symlinks on disk, through `resolver`. */
  realpath?: boolean;
  /** Answers the `realpath` check (injected by whoever loads the policy); without one the check fails. */
  resolver?: RealpathResolver;
  /** Absolute home directory for `~` and `$HOME`; without it such paths are never inside. */
  home?: string;
  /** Windows semantics: `\` and `/` separators, drive letters, UNC, case-insensitive. */
  windows?: boolean;
}

interface Resolution {
  resolved: string;
  /** False when the location cannot be known (unexpanded `~`, drive-relative, device path). */
  known: boolean;
}

function isDriveLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Segments of a path, `.` and empty removed, `..` applied, never climbing above the top. */
function collapse(segments: string[]): string[] {
  const out: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return out;
}

function resolvePosix(p: string, root: string): string {
  const abs = p.startsWith('/') ? p : `${root}/${p}`;
  return `/${collapse(abs.split('/')).join('/')}`;
}

// A Windows segment of dots and spaces other than "." and ".." (`...`, `.. `): Win32 trims
// trailing dots and spaces in places, so its meaning is not certain; such a path is not "known".
function isAmbiguousDotSegment(s: string): boolean {
  if (s === '.' || s === '..' || s.length === 0) return false;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) dots++;
    else if (c !== 0x20) return false;
  }
  return dots >= 1;
}

/** Splits a Windows path into an upper-cased prefix (`C:`, `\\server\share`) and the rest. */
function windowsParts(p: string): { prefix: string; rest: string; kind: 'drive' | 'unc' | 'rooted' | 'relative' | 'driveRelative' | 'device' } {
  const s = p.replaceAll('/', '\\');
  if (s.startsWith('\\\\?\\') || s.startsWith('\\\\.\\') || s.startsWith('\\??\\')) return { prefix: '', rest: s, kind: 'device' };
  if (s.startsWith('\\\\')) {
    const parts = s.slice(2).split('\\');
    const server = parts[0] ?? '';
    const share = parts[1] ?? '';
    if (server === '' || share === '') return { prefix: '', rest: s, kind: 'device' };
    return { prefix: `\\\\${server}\\${share}`, rest: parts.slice(2).join('\\'), kind: 'unc' };
  }
  if (s.length >= 2 && isDriveLetter(s.charCodeAt(0)) && s.charCodeAt(1) === 0x3a) {
    const prefix = `${s[0]?.toUpperCase() ?? ''}:`;
    if (s.charCodeAt(2) === 0x5c) return { prefix, rest: s.slice(3), kind: 'drive' };
    return { prefix, rest: s.slice(2), kind: 'driveRelative' };
  }
  if (s.startsWith('\\')) return { prefix: '', rest: s.slice(1), kind: 'rooted' };
  return { prefix: '', rest: s, kind: 'relative' };
}

function resolveWindows(p: string, root: string): Resolution {
  const parts = windowsParts(p);
  const rootParts = windowsParts(root);
  let prefix: string;
  let rest: string;
  switch (parts.kind) {
    case 'device':
    case 'driveRelative':
      return { resolved: p.replaceAll('/', '\\'), known: false };
    case 'drive':
    case 'unc':
      prefix = parts.prefix;
      rest = parts.rest;
      break;
    case 'rooted':
      prefix = rootParts.prefix;
      rest = parts.rest;
      break;
    default:
      prefix = rootParts.prefix;
      rest = `${rootParts.rest}\\${parts.rest}`;
  }
  const segments = rest.split('\\');
  const known = !segments.some(isAmbiguousDotSegment);
  return { resolved: `${prefix}\\${collapse(segments).join('\\')}`, known };
}

function normalizeBase(dir: string, windows: boolean): string {
  if (typeof dir !== 'string' || dir.length === 0 || dir.length > MAX_PATH_LENGTH || dir.includes('\u0000')) return '';
  if (windows) {
    const parts = windowsParts(dir);
    if (parts.kind !== 'drive' && parts.kind !== 'unc') return '';
    const r = resolveWindows(dir, dir);
    if (!r.known) return '';
    return r.resolved.length > 3 && r.resolved.endsWith('\\') ? r.resolved.slice(0, -1) : r.resolved;
  }
  if (!dir.startsWith('/')) return '';
  return resolvePosix(dir, '/');
}

/** `p` equals `dir` or lies under it on a segment boundary (both normalized). */
function within(p: string, dir: string, windows: boolean): boolean {
  const sep = windows ? '\\' : '/';
  const a = windows ? p.toLowerCase() : p;
  const b = windows ? dir.toLowerCase() : dir;
  if (a === b) return true;
  const prefix = b.endsWith(sep) ? b : b + sep;
  return a.startsWith(prefix);
}

function hasTraversal(p: string, windows: boolean): boolean {
  for (const s of p.split(/[/\\]/)) {
    if (s === '..') return true;
    if (windows && s.startsWith('..') && isAmbiguousDotSegment(s)) return true;
  }
  return false;
}

// Characters Windows "best fit" code pages or NFKC fold onto path syntax.
const LOOKALIKES: ReadonlyMap<string, string> = new Map([
  ['\u2215', '/'],
  ['\u2044', '/'],
  ['\u29f8', '/'],
  ['\ufe68', '\\'],
  ['\u29f9', '\\'],
  ['\u2024', '.'],
  ['\u3002', '.'],
  ['\uff61', '.'],
]);

function foldLookalikes(p: string): string {
  let out = '';
  for (const ch of p.normalize('NFKC')) out += LOOKALIKES.get(ch) ?? ch;
  return out;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

interface Reading {
  text: string;
  known: boolean;
}

/** Every reading of the raw path a tool might use; the first is the path as written. */
function readings(raw: string, windows: boolean): Reading[] {
  const texts: string[] = [raw];
  const out: Reading[] = [];
  const add = (text: string, known = true): void => {
    if (!out.some((r) => r.text === text && r.known === known)) out.push({ text, known });
  };
  add(raw); // invariant: the path as written is the first reading (it gives `resolved`)
  let d = raw;
  for (let round = 0; round < MAX_DECODE_ROUNDS && d.includes('%'); round++) {
    const next = percentDecode(d, true);
    if (next === d) break;
    texts.push(next);
    d = next;
  }
  if (/^file:/i.test(raw)) {
    try {
      const u = new URL(raw);
      let p = percentDecode(u.pathname, true);
      if (windows && /^\/[A-Za-z]:/.test(p)) p = p.slice(1);
      if (u.hostname !== '' && u.hostname !== 'localhost') {
        add(windows ? `\\\\${u.hostname}${p.replaceAll('/', '\\')}` : p, windows);
      } else {
        texts.push(p);
      }
    } catch {
      add(raw, false); // a file: URL that does not parse: location unknown
    }
  }
  for (const t of texts) {
    add(t);
    if (!isAscii(t)) add(foldLookalikes(t));
  }
  if (!windows) {
    for (const r of [...out]) if (r.text.includes('\\')) add(r.text.replaceAll('\\', '/'), r.known);
    // A drive-letter path (`C:\x`, `c:x`) is somewhere on a Windows host, never inside a POSIX root.
    for (const r of [...out]) if (/^[A-Za-z]:/.test(r.text)) add(r.text, false);
  }
  return out;
}

function homeExpansion(p: string): string | null {
  if (p === '~' || p === '$HOME' || p === '${HOME}') return '';
  for (const lead of ['~/', '~\\', '$HOME/', '$HOME\\', '${HOME}/', '${HOME}\\']) {
    if (p.startsWith(lead)) return p.slice(lead.length);
  }
  return null;
}

function isTildeLike(p: string): boolean {
  return p.startsWith('~') || p.startsWith('$HOME') || p.startsWith('${HOME}');
}

function isAbsolute(p: string, windows: boolean): boolean {
  if (!windows) return p.startsWith('/');
  const k = windowsParts(p).kind;
  return k === 'drive' || k === 'unc' || k === 'device';
}

function resolveReading(r: Reading, root: string, home: string, windows: boolean): Resolution[] {
  const resolve = (p: string, base: string): Resolution => (windows ? resolveWindows(p, base) : { resolved: resolvePosix(p, base), known: true });
  const literal = resolve(r.text, root);
  if (!r.known) return [{ resolved: literal.resolved, known: false }];
  if (!isTildeLike(r.text)) return [literal];
  const rest = homeExpansion(r.text);
  // `~user/...` or no home: the location depends on the machine; never inside.
  if (rest === null || home === '') return [literal, { resolved: literal.resolved, known: false }];
  const expanded = rest === '' ? resolve(home, home) : resolve(rest, home);
  return [expanded, literal];
}

/** True when the resolver refused because of a dangling symlink (its error code says so). */
function isSymlinkRefusal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ERR_PATH_SYMLINK';
}

function failed(raw: string, root: string, error: string, extra: Partial<PathFacts> = {}): PathFacts {
  return { ...EMPTY_PATH_FACTS, raw, root, error, ...extra };
}

/**
 * Resolves a path argument against the binding's root and says whether it stays inside. Never
 * throws: a non-string, empty, over-long or NUL-containing path, or an invalid root or home, gives
 * `parsed: false` with an `error` (and `insideRoot: false`).
 *
 * @example
 * ```ts
 * pathFacet('src/../../etc/passwd', { root: '/workspace' });
 * // { resolved: '/etc/passwd', insideRoot: false, traversal: true, ... }
 * pathFacet('/workspace-evil/x', { root: '/workspace' }).insideRoot;   // false
 * pathFacet('~/notes', { root: '/home/a', home: '/home/a' }).resolved;  // '/home/a/notes'
 * ```
 */
export function pathFacet(input: unknown, options: PathFacetOptions): PathFacts {
  const raw = typeof input === 'string' ? input : '';
  try {
    if (typeof options !== 'object' || options === null) return failed(raw, '', 'path facet: missing options');
    const windows = options.windows === true;
    const root = normalizeBase(options.root, windows);
    if (root === '') return failed(raw, '', `path facet: root must be an absolute ${windows ? 'Windows' : 'POSIX'} path`);
    if (typeof input !== 'string') return failed(raw, root, 'path facet: the path is not a string');
    if (raw.length === 0) return failed(raw, root, 'path facet: the path is empty');
    if (raw.length > MAX_PATH_LENGTH) return failed(raw, root, `path facet: the path is longer than ${MAX_PATH_LENGTH} characters`);
    if (raw.includes('\u0000')) return failed(raw, root, 'path facet: the path contains a NUL byte');
    let home = '';
    if (options.home !== undefined) {
      home = normalizeBase(options.home, windows);
      if (home === '') return failed(raw, root, 'path facet: home must be an absolute path');
    }
    const all = readings(raw, windows);
    if (all.some((r) => r.text.includes('\u0000'))) {
      return failed(raw, root, 'path facet: the path decodes to a NUL byte', { traversal: all.some((r) => hasTraversal(r.text, windows)), encoded: true });
    }
    const resolutions = all.flatMap((r) => resolveReading(r, root, home, windows));
    const primary = resolutions[0] ?? { resolved: '', known: false };
    const lexicalInsideRoot = resolutions.every((r) => r.known && within(r.resolved, root, windows));
    let decodedText = raw;
    for (let round = 0; round < MAX_DECODE_ROUNDS && decodedText.includes('%'); round++) decodedText = percentDecode(decodedText, true);
    const decoded = decodedText === raw ? primary.resolved : (resolveReading({ text: decodedText, known: true }, root, home, windows)[0]?.resolved ?? primary.resolved);
    const readingsList: string[] = [];
    for (const r of resolutions) if (r.known && !readingsList.includes(r.resolved)) readingsList.push(r.resolved);
    const facts: PathFacts = {
      ...EMPTY_PATH_FACTS,
      raw,
      resolved: primary.resolved,
      root,
      insideRoot: lexicalInsideRoot,
      traversal: all.some((r) => hasTraversal(r.text, windows)),
      parsed: true,
      absolute: isAbsolute(raw, windows),
      tilde: isTildeLike(raw),
      encoded: all.some((r) => r.text !== raw),
      lexicalInsideRoot,
      decoded,
      readings: readingsList,
      unknownReading: resolutions.some((r) => !r.known),
    };
    if (options.realpath === true) checkRealpath(facts, resolutions, windows, options.resolver);
    return facts;
  } catch (err) {
    return failed(raw, '', `path facet: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function checkRealpath(facts: PathFacts, resolutions: Resolution[], windows: boolean, resolver: RealpathResolver | undefined): void {
  facts.insideRoot = false;
  if (resolver === undefined) {
    facts.error = 'path facet: the realpath check needs a resolver; load the policy with loadPolicyFiles() or pass { resolver } to compilePolicy()';
    return;
  }
  if (windows !== (resolver.platform === 'win32')) {
    facts.error = 'path facet: the realpath check needs paths of this platform';
    return;
  }
  facts.realpathChecked = true;
  try {
    const one = resolver.batch?.() ?? resolver;
    const realOf = (p: string): string => {
      const real = one.real(p);
      if (typeof real !== 'string' || real === '') throw new Error(`the resolver gave no real path for ${p}`);
      return real;
    };
    const realRoot = realOf(facts.root);
    let allInside = true;
    const seen = new Set<string>();
    for (const r of resolutions) {
      if (!r.known || seen.has(r.resolved)) continue;
      seen.add(r.resolved);
      const real = realOf(r.resolved);
      if (facts.realResolved === '') facts.realResolved = real;
      if (!within(real, realRoot, windows)) allInside = false;
    }
    facts.realInsideRoot = allInside && seen.size > 0;
    facts.symlinkEscape = facts.lexicalInsideRoot && !facts.realInsideRoot;
    facts.insideRoot = facts.lexicalInsideRoot && facts.realInsideRoot;
  } catch (err) {
    facts.realResolved = '';
    facts.realInsideRoot = false;
    facts.symlinkEscape = facts.lexicalInsideRoot && isSymlinkRefusal(err);
    facts.error = `path facet: realpath check failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * True when absolute path `p` is `dir` or inside it, on a path-segment boundary, after
 * normalization (and under every decoded reading, as in {@link pathFacet}). Windows semantics
 * apply when `dir` is a drive or UNC path. A relative `p` or `dir`, an empty or NUL-containing
 * input gives `false`. Lexical only: no file-system access.
 *
 * @example
 * ```ts
 * pathWithin('/workspace/a/../b', '/workspace');  // true
 * pathWithin('/workspace-evil', '/workspace');    // false
 * pathWithin('C:\\Work\\x', 'c:\\work');          // true
 * ```
 */
export function pathWithin(p: string, dir: string): boolean {
  if (typeof p !== 'string' || typeof dir !== 'string') return false;
  const windows = windowsParts(dir).kind === 'drive' || windowsParts(dir).kind === 'unc';
  if (!isAbsolute(p, windows)) return false;
  const facts = pathFacet(p, { root: dir, windows });
  return facts.parsed && facts.insideRoot;
}

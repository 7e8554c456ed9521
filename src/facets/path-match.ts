/**
 * Path matching for rules: `pathMatches` (a glob on a normalized path, optionally folding case
 * and Windows name tricks, optionally on the percent-decoded reading), `pathMayMatch` and
 * `effectWithin` (the same questions asked of a path effect, which may be unknown or recursive),
 * `pathDecoded` and `isPrivateKey`.
 *
 * Folding (`{ fold: true }`) reads a path the way a case-insensitive or Windows file system
 * would: letters compare without case, `\` is a separator, a trailing dot or space on a name is
 * dropped (`.env.` and `.env ` are `.env`), an alternate data stream suffix is dropped
 * (`.env::$DATA`, `.env:x`), and an 8.3 short name (`PROGRA~1`, `SETTIN~1.JSO`) matches any
 * name that starts with its letters (dots and spaces aside) and has an extension starting with
 * its extension. Folding only ever makes more paths
 * match, so use it in deny rules.
 */
import { percentDecode } from './url-decode.js';
import { pathWithin } from './path.js';
import { compilePathGlob, type PathGlob, type PathStep } from './path-glob.js';

/** Options of {@link PathMatchers.pathMatches}. Unknown keys are an error. */
export interface PathMatchOptions {
  /** Compare as a case-insensitive Windows file system would (see the module documentation). */
  fold?: boolean;
  /** Also match the percent-decoded reading (up to three layers: `%252e` is `.`). */
  decode?: boolean;
}

const OPTION_KEYS = new Set(['fold', 'decode']);
/** Most compiled patterns one set keeps; past it, patterns are compiled per call. */
const CACHE_LIMIT = 1_000;
const MAX_DECODE_ROUNDS = 3;
/** An 8.3 short name: up to six name characters, `~`, digits, an optional extension of up to three. */
const SHORT_NAME = /^([^~/\\.]{1,6})~[0-9]{1,6}(\.[^./\\]{0,3})?$/;

/**
 * The fully percent-decoded reading of a path (three rounds at most), so `%2eenv` is `.env` and
 * `%252e` is `.`. A path without `%` is returned as it is.
 *
 * @example
 * ```ts
 * pathDecoded('/w/%2eenv'); // '/w/.env'
 * ```
 */
export function pathDecoded(p: string): string {
  if (typeof p !== 'string') return '';
  let d = p;
  for (let round = 0; round < MAX_DECODE_ROUNDS && d.includes('%'); round++) {
    const next = percentDecode(d, true);
    if (next === d) break;
    d = next;
  }
  return d;
}

/** `.` and `..` applied, empty segments dropped; a leading `/` kept; `..` above a relative start kept. */
function collapse(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(s);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined === '' ? '.' : joined;
}

function foldSegment(seg: string, first: boolean): string {
  let s = seg;
  // A drive (`c:`) is not a stream suffix.
  const colon = first && /^[A-Za-z]:/.test(s) ? s.indexOf(':', 2) : s.indexOf(':');
  if (colon > 0) s = s.slice(0, colon);
  let end = s.length;
  while (end > 0 && (s[end - 1] === '.' || s[end - 1] === ' ')) end--;
  // `.` and `..` stay what they are.
  if (s === '.' || s === '..') return s;
  return s.slice(0, end).toLowerCase();
}

/** The readings of `path` a rule's pattern is tested against, as steps for the matcher. */
function readings(path: string, options: PathMatchOptions): PathStep[][] {
  const texts = [path];
  if (options.decode === true) {
    const d = pathDecoded(path);
    if (d !== path) texts.push(d);
  }
  const out: PathStep[][] = [];
  for (const t of texts) {
    if (options.fold !== true) {
      out.push(toSteps(collapse(t)));
      continue;
    }
    let s = t.replaceAll('\\', '/');
    const segs = s.split('/').map((seg, i) => foldSegment(seg, i === 0));
    s = collapse(segs.join('/'));
    out.push(foldedSteps(s));
  }
  return out;
}

function toSteps(text: string): PathStep[] {
  const out: PathStep[] = [];
  for (let i = 0; i < text.length; i++) out.push({ ch: text[i] as string });
  return out;
}

/** Steps for a folded path: a short-name segment becomes "these letters, then any name". */
function foldedSteps(text: string): PathStep[] {
  const out: PathStep[] = [];
  const segs = text.split('/');
  segs.forEach((seg, i) => {
    if (i > 0) out.push({ ch: '/' });
    const m = SHORT_NAME.exec(seg);
    if (m === null) {
      for (let j = 0; j < seg.length; j++) out.push({ ch: seg[j] as string });
      return;
    }
    // The long name, dots and spaces removed, starts with these letters (`.gitconfig` is GITCON~1).
    for (const ch of m[1] as string) {
      out.push({ skip: '. ' });
      out.push({ ch });
    }
    out.push({ anySegment: true });
    // `NAME~1.EXT`: the long name has an extension that starts with EXT.
    const ext = (m[2] ?? '').slice(1);
    if (ext !== '') {
      out.push({ ch: '.' });
      for (const ch of ext) out.push({ ch });
      out.push({ anySegment: true });
    }
  });
  return out;
}

/** Steps for "something below this directory": a `/` after it (the root already ends in one). */
function below(steps: PathStep[]): PathStep[] {
  const last = steps[steps.length - 1];
  return last !== undefined && 'ch' in last && last.ch === '/' ? steps : [...steps, { ch: '/' }];
}

function readOptions(options: unknown): PathMatchOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new TypeError('pathMatches options must be a map such as {"fold": true}');
  const entries: [string, unknown][] = options instanceof Map ? [...options.entries()] : Object.entries(options as object);
  const out: PathMatchOptions = {};
  for (const [k, v] of entries) {
    if (!OPTION_KEYS.has(k)) throw new TypeError(`pathMatches: unknown option "${k}" (known: fold, decode)`);
    if (typeof v !== 'boolean') throw new TypeError(`pathMatches: option "${k}" must be true or false`);
    out[k as keyof PathMatchOptions] = v;
  }
  return out;
}

/** A path effect as CEL hands it over (a Map, or a plain object from a map literal). */
interface EffectView {
  path: string;
  known: boolean;
  recursive: boolean;
  within: string;
  /** For an unknown path: the absolute glob it expands from, '' when there is none. */
  glob: string;
  /** The effect's own `recursive` flag (an unknown path reads as recursive for the tests on `within`). */
  ownRecursive: boolean;
}

function field(e: unknown, key: string): unknown {
  if (e instanceof Map) return e.get(key);
  if (e !== null && typeof e === 'object') return Object.hasOwn(e, key) ? (e as Record<string, unknown>)[key] : undefined;
  return undefined;
}

/** Reads an effect; anything malformed reads as an unknown path that could be anywhere. */
function effectView(e: unknown): EffectView {
  const path = field(e, 'path');
  const known = field(e, 'known');
  const recursive = field(e, 'recursive');
  const within = field(e, 'within');
  if (typeof path !== 'string' || known !== true) {
    const glob = field(e, 'glob');
    const w = typeof within === 'string' && typeof path === 'string' ? within : '';
    // invariant: a glob is trusted only below its `within` (a malformed effect reads as anywhere).
    const g = w !== '' && typeof glob === 'string' && glob.startsWith(w === '/' ? '/' : `${w}/`) ? glob : '';
    return { path: typeof path === 'string' ? path : '', known: false, recursive: true, within: w, glob: g, ownRecursive: recursive === true };
  }
  return { path, known: true, recursive: recursive === true, within: typeof within === 'string' ? within : path, glob: '', ownRecursive: recursive === true };
}

const PRIVATE_KEY_EXTENSIONS = ['.pem', '.key', '.p12', '.pfx', '.ppk', '.jks', '.p8', '.keystore'];
const PRIVATE_KEY_SUFFIXES = ['_rsa', '_dsa', '_ecdsa', '_ed25519', '_ecdsa_sk', '_ed25519_sk'];

/**
 * True when the path names a private key file by its name: `id_*` (not `.pub`), `*_rsa`,
 * `*_ed25519` and the other SSH key names, `ssh_host_*_key`, and the extensions `.pem`, `.key`,
 * `.p12`, `.pfx`, `.ppk`, `.jks`, `.p8`, `.keystore`. Folded (case, trailing dots and spaces,
 * stream suffixes, `\`), so `ID_RSA` and `server.KEY.` count.
 *
 * @example
 * ```ts
 * isPrivateKeyPath('/home/a/.ssh/id_ed25519'); // true
 * isPrivateKeyPath('/home/a/.ssh/id_ed25519.pub'); // false
 * ```
 */
export function isPrivateKeyPath(p: string): boolean {
  if (typeof p !== 'string') return false;
  const segs = p.replaceAll('\\', '/').split('/');
  const base = foldSegment(segs[segs.length - 1] ?? '', segs.length === 1);
  if (base === '' || base.endsWith('.pub')) return false;
  if (base.startsWith('id_')) return true;
  if (base.startsWith('ssh_host_') && base.endsWith('_key')) return true;
  if (PRIVATE_KEY_SUFFIXES.some((s) => base.endsWith(s))) return true;
  return PRIVATE_KEY_EXTENSIONS.some((ext) => base.endsWith(ext) && base.length > ext.length);
}

/**
 * The path helpers of one compiled policy set, with their own bounded pattern cache (the core
 * holds no shared mutable state).
 *
 * @example
 * ```ts
 * const m = new PathMatchers();
 * m.pathMatches('/w/.ENV', '**' + '/.env', { fold: true }); // true
 * ```
 */
export class PathMatchers {
  readonly #cache = new Map<string, PathGlob>();

  #glob(pattern: string, fold: boolean): PathGlob {
    const key = `${fold ? 'f' : 'e'}${pattern}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const g = compilePathGlob(fold ? pattern.toLowerCase() : pattern, fold);
    if (this.#cache.size < CACHE_LIMIT) this.#cache.set(key, g);
    return g;
  }

  /**
   * True when `path`, normalized (`//`, `.`, `..`), matches glob `pattern` (see the module
   * documentation for `fold` and `decode`). Throws on an unknown option or a malformed pattern
   * (a condition error, so the rule fails closed).
   */
  pathMatches(path: string, pattern: string, options?: unknown): boolean {
    const o = readOptions(options);
    if (typeof path !== 'string' || path === '') return false;
    const g = this.#glob(pattern, o.fold === true);
    return readings(path, o).some((steps) => g.run(steps, 'match'));
  }

  /**
   * True when path effect `effect` may name a path matching `pattern`: a known path that
   * matches; a recursive effect with anything below it that could match; an unknown path whose
   * `within` directory could hold a match, or that could be anywhere. Never false for a path it
   * cannot rule out.
   */
  pathMayMatch(effect: unknown, pattern: string, options?: unknown): boolean {
    const o = readOptions(options);
    const e = effectView(effect);
    const g = this.#glob(pattern, o.fold === true);
    if (!e.known) {
      if (e.within === '') return true;
      if (e.glob !== '') {
        const steps = globSteps(e.glob, o.fold === true);
        if (steps !== null) return g.run(steps, 'match') || (e.ownRecursive && g.run(below(steps), 'prefix'));
      }
      return readings(e.within, { ...o, decode: false }).some((steps) => g.run(below(steps), 'prefix'));
    }
    return readings(e.path, o).some((steps) => g.run(steps, 'match') || (e.recursive && g.run(below(steps), 'prefix')));
  }
}

/**
 * True when path effect `effect` certainly stays within directory `dir`: its path when known,
 * its `within` directory when not (false when that is `''`). Recursive effects stay within their
 * path, so this is the same test.
 *
 * @example
 * ```ts
 * effectWithin({ path: 'src/*.ts', known: false, within: '/w/src' }, '/w'); // true
 * ```
 */
export function effectWithin(effect: unknown, dir: string): boolean {
  const e = effectView(effect);
  if (e.known) return pathWithin(e.path, dir);
  return e.within !== '' && pathWithin(e.within, dir);
}

/**
 * True when path effect `effect` may name a private key ({@link isPrivateKeyPath}): a known,
 * non-recursive path by its name; a recursive or unknown one always (it may hold or be one).
 *
 * @example
 * ```ts
 * mayBePrivateKey({ path: '/h/.ssh/id_rsa', known: true, recursive: false }); // true
 * ```
 */
export function mayBePrivateKey(effect: unknown): boolean {
  const e = effectView(effect);
  if (!e.known && e.glob !== '' && !e.ownRecursive) {
    const name = e.glob.slice(e.glob.lastIndexOf('/') + 1);
    const steps = globSteps(name, true);
    // A pattern that fixes an extension (`*.ts`) names files of that extension: `id_*` keys are
    // then out of reach unless the extension is a key's own (`*.pem`).
    const tail = name.slice(Math.max(name.lastIndexOf('*'), name.lastIndexOf('?'), name.lastIndexOf(']')) + 1);
    const globs = tail.includes('.') ? privateKeyGlobs().suffixes : privateKeyGlobs().all;
    if (steps !== null) return globs.some((g) => g.run(steps, 'match'));
  }
  if (!e.known || e.recursive) return true;
  return isPrivateKeyPath(e.path);
}

/**
 * The names {@link isPrivateKeyPath} accepts, as globs a name pattern is tested against (the
 * `.pub` exception aside, so a pattern that may name a public key may name a private one).
 * Compiled on first use, not at import: a process that never asks (most hook events) does not
 * pay for compiling them.
 */
let privateKeyGlobCache: { suffixes: readonly PathGlob[]; all: readonly PathGlob[] } | null = null;
function privateKeyGlobs(): { suffixes: readonly PathGlob[]; all: readonly PathGlob[] } {
  if (privateKeyGlobCache === null) {
    const suffixes = [...PRIVATE_KEY_SUFFIXES.map((s) => `*${s}`), ...PRIVATE_KEY_EXTENSIONS.map((x) => `?*${x}`)].map((p) => compilePathGlob(p, true));
    privateKeyGlobCache = { suffixes, all: [...['id_*', 'ssh_host_*_key'].map((p) => compilePathGlob(p, true)), ...suffixes] };
  }
  return privateKeyGlobCache;
}

/**
 * A path glob (`/w/src/*.ts`) as input steps for another pattern: literal characters, and any
 * run within a segment for `*`, `?` and `[set]`, any run at all for `**`. Null when the text is
 * not a well-formed glob. With `fold`, letters are lower-cased (as the folded pattern is).
 */
function globSteps(glob: string, fold: boolean): PathStep[] | null {
  const out: PathStep[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\') {
      if (i + 1 >= glob.length) return null;
      const x = glob[++i] as string;
      out.push({ ch: fold ? x.toLowerCase() : x });
    } else if (c === '*' && glob[i + 1] === '*') {
      i++;
      out.push({ anyPath: true });
    } else if (c === '*' || c === '?' || c === '[') {
      const startsName = i === 0 || glob[i - 1] === '/';
      if (c === '[') {
        const end = glob.indexOf(']', i + 2);
        if (end < 0) return null;
        i = end;
      }
      // A wildcard that starts a name never matches a leading dot (the shell's rule without
      // dotglob): `src/*` does not name `src/.env`.
      out.push(startsName ? { leadRun: true } : { anySegment: true });
    } else out.push({ ch: fold ? c.toLowerCase() : c });
  }
  return out;
}

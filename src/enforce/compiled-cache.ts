/**
 * The compiled-policy cache on disk: a policy's plan (policy/plan.ts: the YAML read, validated and
 * analysed) kept between processes, so a short-lived process (the Claude Code hook, `warden
 * check`) does not parse and validate the same policy on every call.
 *
 * A cache can only cost speed, never correctness:
 * - an entry is found by a key over everything the compile depends on: the plan format, Warden's
 *   version and build (sources and locked dependencies), the Node version, each source's name and
 *   the SHA-256 of its text, the supplied facet bindings, the request limits and the load limits;
 * - an entry is read only when its HMAC-SHA256 (under a random key kept in the cache directory)
 *   verifies, it names the same key, and the digest it records is the digest of the sources just
 *   read; anything else (flipped bytes, a truncated file, another policy's entry, another build's)
 *   is ignored and rewritten from a fresh compile;
 * - entries are written to a temporary file (0600) and renamed into place, so a reader sees a
 *   whole entry or none, and concurrent writers of one entry write the same content;
 * - the directory and the key must be this user's and private (no group or other bits), else the
 *   cache is not used at all.
 * A policy that fails to load is never cached. Conditions are compiled on first use by the set a
 * plan builds (cel-js closures cannot be stored).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, linkSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, wardenCacheDir } from './cache-dir.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import type { CompileOptions, PolicySource, StagedPolicy } from '../policy/compile.js';
import { PLAN_FORMAT, policyDigestOf, stagePlan, type PolicyPlan } from '../policy/plan.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { FacetBinding } from '../facets/bindings.js';
import { BUILD_ID, VERSION } from '../version.js';
import { WardenError } from '../errors.js';

/** First line of an entry: what the file is. */
const MAGIC = 'warden-compiled-policy 1';

/** Entries kept; beyond it, the least recently written go. */
const MAX_ENTRIES = 64;

/** Largest entry read (a plan of 10,000 rules is a few MB). */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

/** The MAC key's file name inside the cache directory. */
const KEY_FILE = 'mac.key';

/**
 * What happened to the cache on one compile.
 * - `hit`: a verified entry was used; nothing was compiled.
 * - `written`: no entry; compiled and stored.
 * - `replaced`: an entry was there but failed verification (corrupt, truncated, foreign, stale);
 *   it was ignored, and the fresh compile stored over it.
 * - `not-stored`: compiled, but the entry could not be written (a full disk, a read-only dir).
 * - `not-cacheable`: a source given as a document object, not text: compiled without the cache.
 *
 * @example
 * ```ts
 * const status: CacheStatus = 'hit';
 * ```
 */
export type CacheStatus = 'hit' | 'written' | 'replaced' | 'not-stored' | 'not-cacheable';

/**
 * A compiled-policy cache in one private directory.
 *
 * @example
 * ```ts
 * const cache = CompiledPolicyCache.open('/home/dev/.cache/agent-warden/policies');
 * const { set, status } = await cache.compile(await readPolicySources(['policy.yaml']), [], { resolver: fsRealpathResolver });
 * ```
 */
export class CompiledPolicyCache {
  readonly dir: string;
  readonly #macKey: Buffer;
  readonly #statuses: CacheStatus[] = [];

  private constructor(dir: string, macKey: Buffer) {
    this.dir = dir;
    this.#macKey = macKey;
  }

  /**
   * Opens (creating if needed, mode 0700) the cache directory `dir`, and its MAC key. Returns null
   * when the directory or the key is not this user's alone, or cannot be made: then no cache is
   * used, and every load compiles.
   *
   * @example
   * ```ts
   * const cache = CompiledPolicyCache.open(join(tmpdir(), 'my-cache')); // or null
   * ```
   */
  static open(dir: string): CompiledPolicyCache | null {
    if (!ensurePrivateDir(dir) || typeof process.getuid !== 'function') return null;
    const uid = process.getuid();
    try {
      const key = readOrCreateKey(join(dir, KEY_FILE), uid);
      return key === null ? null : new CompiledPolicyCache(dir, key);
    } catch {
      // An unusable directory means no cache, not a failure: the policy still compiles.
      return null;
    }
  }

  /**
   * Stages `sources` (with the enforcement point's `bindings`) from a verified entry when there is
   * one, else by compiling them (and storing the entry). The caller completes the staged policy
   * with the SQL parsers its dialects need, as with stagePolicy(). Throws exactly what
   * stagePolicy() throws for a policy that does not load.
   *
   * @example
   * ```ts
   * const { staged } = await cache.stage([{ name: '/repo/.warden/policy.yaml', text }], claudeCodeBindings({ root: '/repo' }), { resolver: fsRealpathResolver });
   * const set = staged.complete(undefined);
   * ```
   * @throws PolicyLoadError when the sources do not compile.
   */
  async stage(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options: CompileOptions = {}): Promise<{ staged: StagedPolicy; status: CacheStatus }> {
    const staged = await this.#stage(sources, bindings, options);
    this.#statuses.push(staged.status);
    return staged;
  }

  /**
   * What each {@link stage} call of this instance found, in order (a short-lived process, the hook,
   * tells from it whether its event ran on a verified entry).
   *
   * @example
   * ```ts
   * await cache.stage(sources, [], {});
   * cache.statuses; // ['hit']
   * ```
   */
  get statuses(): readonly CacheStatus[] {
    return this.#statuses;
  }

  async #stage(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options: CompileOptions): Promise<{ staged: StagedPolicy; status: CacheStatus }> {
    // The compiler (and the YAML parser) loads only on a miss: a hit needs neither.
    const compiler = async (): Promise<typeof import('../policy/compile.js')> => import('../policy/compile.js');
    const texts: string[] = [];
    for (const s of sources) {
      if (s === null || typeof s !== 'object' || typeof (s as { text?: unknown }).text !== 'string') {
        return { staged: (await compiler()).stagePolicy(sources, bindings, options), status: 'not-cacheable' };
      }
      texts.push((s as { text: string }).text);
    }
    const key = entryKey(sources as ReadonlyArray<{ name: string; text: string }>, bindings, options);
    const file = join(this.dir, `${key}.plan`);
    const found = this.#read(file, key, policyDigestOf(texts), options);
    if (found.staged) return { staged: found.staged, status: 'hit' };
    const { staged, plan } = (await compiler()).stagePolicyPlan(sources, bindings, options);
    // A set with Cedar or Rego documents is compiled on every load (their engines are not data).
    if (plan.backends !== undefined) return { staged, status: 'not-cacheable' };
    const stored = this.#write(file, key, plan);
    return { staged, status: !stored ? 'not-stored' : found.present ? 'replaced' : 'written' };
  }

  /**
   * {@link stage}, completed with `options.sqlParsers`: for policies that bind no SQL, or callers
   * that loaded the parsers already.
   *
   * @example
   * ```ts
   * const { set, status } = await cache.compile(await readPolicySources(['policy.yaml']), [], { resolver: fsRealpathResolver });
   * ```
   * @throws PolicyLoadError when the sources do not compile, or their sql bindings lack parsers.
   */
  async compile(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options: CompileOptions = {}): Promise<{ set: PolicySet; status: CacheStatus }> {
    const { staged, status } = await this.stage(sources, bindings, options);
    return { set: staged.complete(options.sqlParsers), status };
  }

  #read(file: string, key: string, digest: string, options: CompileOptions): { staged: StagedPolicy | null; present: boolean } {
    let text: string;
    try {
      const st = statSync(file);
      if (!st.isFile() || st.size > MAX_ENTRY_BYTES) return { staged: null, present: true };
      text = readFileSync(file, 'utf8');
    } catch {
      // No entry (or an unreadable one): compile.
      return { staged: null, present: false };
    }
    try {
      const first = text.indexOf('\n');
      const second = text.indexOf('\n', first + 1);
      if (first < 0 || second < 0 || text.slice(0, first) !== MAGIC) return { staged: null, present: true };
      const mac = Buffer.from(text.slice(first + 1, second), 'hex');
      const body = text.slice(second + 1);
      const expected = this.#mac(body);
      if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return { staged: null, present: true };
      const entry = JSON.parse(body) as { key?: unknown; plan?: unknown };
      if (entry.key !== key) return { staged: null, present: true };
      const plan = entry.plan as PolicyPlan;
      // invariant: a plan is used only for the very sources just read.
      if (plan?.digest !== digest) return { staged: null, present: true };
      return { staged: stagePlan(plan, { ...(options.resolver ? { resolver: options.resolver } : {}), ...(options.detector ? { detector: options.detector } : {}) }), present: true };
    } catch {
      // A damaged or foreign entry is ignored; the compile below replaces it.
      return { staged: null, present: true };
    }
  }

  #write(file: string, key: string, plan: PolicyPlan): boolean {
    const body = JSON.stringify({ key, plan });
    const content = `${MAGIC}\n${this.#mac(body).toString('hex')}\n${body}`;
    const temp = join(this.dir, `.${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
      renameSync(temp, file);
    } catch {
      // Not stored this time (a full disk, a read-only directory): the next load compiles again.
      rmSync(temp, { force: true });
      return false;
    }
    prune(this.dir);
    return true;
  }

  /**
   * An authenticated store of binary entries of one kind beside the plans (compiled Rego modules):
   * an entry is used only when its MAC, under this directory's key, verifies; a damaged or foreign
   * one reads as absent.
   *
   * @example
   * ```ts
   * const wasm = CompiledPolicyCache.open(dir)?.blobs('rego-wasm');
   * wasm?.set('abc123', new Uint8Array([0, 97, 115, 109]));
   * ```
   */
  blobs(kind: string): { get(key: string): Uint8Array | null; set(key: string, bytes: Uint8Array): void } {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(kind)) throw new WardenError('ERR_OPTIONS', `A cache blob kind must be 1-32 lowercase letters, digits or '-', starting with a letter; got ${JSON.stringify(kind)}.`);
    const fileOf = (key: string): string | null => (/^[a-f0-9]{16,128}$/.test(key) ? join(this.dir, `${kind}-${key}.blob`) : null);
    const macOf = (key: string, bytes: Uint8Array): Buffer => createHmac('sha256', this.#macKey).update(`${MAGIC}\0${kind}\0${key}\0`).update(bytes).digest();
    return {
      get: (key) => {
        const file = fileOf(key);
        if (file === null) return null;
        try {
          const st = statSync(file);
          if (!st.isFile() || st.size > MAX_ENTRY_BYTES || st.size < 32) return null;
          const data = readFileSync(file);
          const mac = data.subarray(0, 32);
          const bytes = data.subarray(32);
          return timingSafeEqual(mac, macOf(key, bytes)) ? new Uint8Array(bytes) : null;
        } catch {
          return null;
        }
      },
      set: (key, bytes) => {
        const file = fileOf(key);
        if (file === null || bytes.length > MAX_ENTRY_BYTES) return;
        const temp = join(this.dir, `.${kind}-${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
        try {
          writeFileSync(temp, Buffer.concat([macOf(key, bytes), bytes]), { mode: 0o600, flag: 'wx' });
          renameSync(temp, file);
        } catch {
          // A cache that cannot be written only costs a compile next time.
          try {
            unlinkSync(temp);
          } catch {
            // nothing to remove
          }
        }
      },
    };
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#macKey).update(body).digest();
  }
}

/**
 * The cache a command-line process uses: `policies/` in Warden's cache directory (see
 * wardenCacheDir: `$WARDEN_CACHE_DIR`, else `$XDG_CACHE_HOME/agent-warden`, else
 * `~/.cache/agent-warden`); none when `WARDEN_CACHE=off`, when running from the TypeScript
 * sources (no build id to key on), on Windows, or when the directory is not private.
 *
 * @example
 * ```ts
 * const cache = compiledPolicyCacheFromEnv(process.env); // null when turned off
 * ```
 */
export function compiledPolicyCacheFromEnv(env: Readonly<Record<string, string | undefined>>): CompiledPolicyCache | null {
  const root = wardenCacheDir(env);
  if (root === null || BUILD_ID === 'unbundled' || !ensurePrivateDir(join(root, 'policies'), root)) return null;
  return CompiledPolicyCache.open(join(root, 'policies'));
}

/** The file name of an entry: a digest over everything the compile depends on. */
function entryKey(sources: ReadonlyArray<{ name: string; text: string }>, bindings: readonly FacetBinding[], options: CompileOptions): string {
  return sha256Hex(
    canonicalJson({
      format: PLAN_FORMAT,
      version: VERSION,
      build: BUILD_ID,
      node: process.version,
      sources: sources.map((s) => [s.name, sha256Hex(s.text)]),
      bindings,
      limits: options.limits ?? null,
      // A plan is valid only under the load limits it passed (a hit skips the rule and condition counts).
      loadLimits: options.loadLimits ?? null,
    }),
  );
}

function privateFile(st: { uid: number; mode: number; isFile(): boolean }, uid: number): boolean {
  return st.isFile() && st.uid === uid && (st.mode & 0o077) === 0;
}

/** The directory's MAC key: read when it is this user's private 32-byte file; made (exclusively) when absent. */
function readOrCreateKey(path: string, uid: number): Buffer | null {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const st = lstatSync(path);
      if (!privateFile(st, uid) || st.size !== 32) return null;
      const key = readFileSync(path);
      return key.length === 32 ? key : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    }
    // The key is written whole to a private temporary file and then linked into place: another
    // process never sees a key file that exists but is still empty (it would take it for foreign).
    const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fd = openSync(temp, 'wx', 0o600);
      let key: Buffer;
      try {
        key = randomBytes(32);
        writeSync(fd, key);
        if (!privateFile(fstatSync(fd), uid)) return null;
      } finally {
        closeSync(fd);
      }
      linkSync(temp, path);
      return key;
    } catch (e) {
      // Another process made it first: read theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return null;
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }
  return null;
}

/** Keeps the newest MAX_ENTRIES entries (and drops temporary files a killed writer left). */
function prune(dir: string): void {
  try {
    const names = readdirSync(dir);
    if (names.length <= MAX_ENTRIES + 1) return;
    const entries = names
      .filter((n) => n.endsWith('.plan') || n.endsWith('.blob') || n.endsWith('.tmp'))
      .map((n) => {
        try {
          return { n, t: statSync(join(dir, n)).mtimeMs };
        } catch {
          return { n, t: 0 };
        }
      })
      .sort((a, b) => b.t - a.t);
    for (const { n } of entries.slice(MAX_ENTRIES)) unlinkSync(join(dir, n));
  } catch {
    // Pruning is housekeeping; a failure leaves extra entries, never a wrong one.
  }
}

/**
 * A PolicyStore holds the PolicySet in force and can reload it from files. A reload swaps the
 * whole set at once; a reload that fails or is refused keeps the last good set and reports why.
 *
 * What a reload activates (see docs/policy.md, "Hot reload"):
 * - only files that are complete and stable: read between two looks at their metadata and, after a
 *   quiet period (`settleMs`), read and looked at again (stable-read.ts). Saves should be atomic
 *   (write a temporary file, rename it over the policy); a save that is not is reported.
 * - with `manifest`, only a set whose digest the manifest names (policy-manifest.ts): however a
 *   writer saves, a half-written policy is never served.
 *
 * Watching survives replaced files and directories (policy-watch.ts), and a stat poll backs it up.
 */
import { resolve } from 'node:path';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { CompileOptions } from '../policy/compile.js';
import { COMPILE_OPTION_KEYS, compileOptionsOf } from '../policy/compile-options.js';
import { policyDigestOf } from '../policy/plan.js';
import { resolveRequestLimits } from '../policy/limits.js';
import { resolveLoadLimits } from '../policy/load-limits.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { SqlParsers } from '../facets/sql-parsers.js';
import type { PolicyProvider } from './governor.js';
import { compileReadSources } from './load-files.js';
import { readPolicyManifest } from './policy-manifest.js';
import { DirectoryWatcher, watchedDirectories } from './policy-watch.js';
import { fingerprintOf, readStableSources } from './stable-read.js';

/**
 * Something a PolicyStore wants an operator to know. Every failed or refused reload is one (the
 * last good set stays in force); so is a save caught mid-write and a watch that died.
 *
 * @example
 * ```ts
 * PolicyStore.open(['policies/'], { watch: true, onWarning: (w) => console.warn(`[policy] ${w.code}: ${w.message}`) });
 * ```
 */
export interface PolicyStoreWarning {
  /**
   * - `reload_failed`: the files did not load (missing, unreadable, invalid, too large).
   * - `manifest_refused`: strict mode: the manifest is missing or invalid, or names another digest.
   * - `unstable`: the files kept changing while read; nothing was activated.
   * - `non_atomic_write`: a file changed while it was read (a save that is not atomic); read again.
   * - `watch_failed`: a watch died or could not be armed (changes may be noticed only by polling).
   */
  code: 'reload_failed' | 'manifest_refused' | 'unstable' | 'non_atomic_write' | 'watch_failed';
  message: string;
}

/**
 * Options for a PolicyStore: the compile options (`limits`, `loadLimits`, `resolver`) and these.
 * Unknown keys are refused (`ERR_OPTIONS`).
 *
 * @example
 * ```ts
 * const options: PolicyStoreOptions = { watch: true, manifest: 'policies.manifest.json', onWarning: console.warn };
 * ```
 */
export interface PolicyStoreOptions extends CompileOptions {
  /** Reload when a file changes (directory watches plus a stat poll). Default false. */
  watch?: boolean;
  /** Quiet time after the last change before a reload starts; default 100 ms. */
  debounceMs?: number;
  /**
   * Quiet period between reading the files and reading them again to confirm nothing changed;
   * default 100 ms; 0 skips the re-read (the metadata is still compared around the read). Not
   * used with `manifest` (the digest proves the content).
   */
  settleMs?: number;
  /** With `watch`, also compare the files' metadata every `pollMs` (a fallback for lost watches and network file systems); 0 turns it off. Default 2000. */
  pollMs?: number;
  /**
   * Strict mode: the path of a policy manifest (`{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"sha256:..."}`).
   * A set is activated only when its digest is the one the manifest names; write the policy
   * files first and the manifest last (`warden manifest`). It must not be one of the policy files.
   */
  manifest?: string;
  /** Called after every successful reload with the new set. */
  onReload?: (set: PolicySet) => void;
  /** Called when a reload fails or is refused, or a watch dies; the last good set stays in force. */
  onError?: (error: unknown) => void;
  /** Called with a code and a message for everything onError gets, and for saves caught mid-write. */
  onWarning?: (warning: PolicyStoreWarning) => void;
}

const STORE_OPTION_KEYS = [...COMPILE_OPTION_KEYS, 'watch', 'debounceMs', 'settleMs', 'pollMs', 'manifest', 'onReload', 'onError', 'onWarning'];

const DEFAULT_DEBOUNCE_MS = 100;
const DEFAULT_SETTLE_MS = 100;
const DEFAULT_POLL_MS = 2000;

/**
 * The outcome of a reload.
 *
 * @example
 * ```ts
 * const r = await store.reload();
 * if (!r.ok) console.error(`kept ${r.kept.digest}:`, r.error);
 * ```
 */
export type ReloadResult = { ok: true; set: PolicySet } | { ok: false; error: unknown; kept: PolicySet };

/**
 * Holds the current PolicySet for a Governor and reloads it from files.
 *
 * @example
 * ```ts
 * const store = await PolicyStore.open(['policies/'], { watch: true, onWarning: (w) => console.error(w.message) });
 * const governor = new Governor({ policy: store });
 * ```
 */
export class PolicyStore implements PolicyProvider {
  #set: PolicySet;
  #lastError: unknown = null;
  #timer: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #watcher: DirectoryWatcher | null = null;
  #closed = false;
  #reloading: Promise<ReloadResult> | null = null;
  #followUp: Promise<ReloadResult> | null = null;
  /** The files' fingerprint when the last reload (good or not) began: a check reloads only when it moved. */
  #attempted: string;
  readonly #paths: readonly string[];
  readonly #options: PolicyStoreOptions;

  readonly #parsers: ParserCache;

  private constructor(paths: readonly string[], set: PolicySet, fingerprint: string, options: PolicyStoreOptions, parsers: ParserCache) {
    this.#paths = [...paths];
    this.#set = set;
    this.#attempted = fingerprint;
    this.#options = options;
    this.#parsers = parsers;
  }

  /**
   * Loads the files (stable, and matching the manifest in strict mode) and starts watching them
   * with `watch: true`.
   *
   * @example
   * ```ts
   * const store = await PolicyStore.open(['policies/'], { manifest: 'policies.manifest.json' });
   * ```
   * @throws PolicyLoadError when the first load fails (there is no good set yet); WardenError
   *   `ERR_OPTIONS`, `ERR_POLICY_MANIFEST` (strict mode) or `ERR_POLICY_UNSTABLE`.
   */
  static async open(paths: readonly string[], options: PolicyStoreOptions = {}): Promise<PolicyStore> {
    checkOptions(options);
    const fingerprint = await fingerprintOf(paths, manifestList(options));
    const parsers: ParserCache = { current: options.sqlParsers };
    const set = await loadStable(paths, options, parsers, () => undefined);
    const store = new PolicyStore(paths, set, fingerprint, options, parsers);
    if (options.watch) await store.#watch();
    return store;
  }

  /** The PolicySet in force. */
  current(): PolicySet {
    return this.#set;
  }

  /** The error of the last failed or refused reload, or null after a good one. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Reloads from the files now. A call made while a reload is reading starts one more reload after
   * it (shared by every such call), so the result always reflects files as they were when asked.
   *
   * @example
   * ```ts
   * const r = await store.reload();
   * ```
   */
  reload(): Promise<ReloadResult> {
    if (this.#reloading) {
      this.#followUp ??= this.#reloading.then(() => {
        this.#followUp = null;
        return this.reload();
      });
      return this.#followUp;
    }
    this.#reloading = this.#doReload().finally(() => {
      this.#reloading = null;
    });
    return this.#reloading;
  }

  /** Stops watching and polling. */
  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#poll) clearInterval(this.#poll);
  }

  async #doReload(): Promise<ReloadResult> {
    try {
      this.#attempted = await fingerprintOf(this.#paths, manifestList(this.#options));
      const set = await loadStable(this.#paths, this.#options, this.#parsers, (message) => this.#warn('non_atomic_write', message));
      // invariant: the swap is one assignment, so a decision sees the old set or the new one, never a mix.
      this.#set = set;
      this.#lastError = null;
      this.#options.onReload?.(set);
      return { ok: true, set };
    } catch (error) {
      this.#lastError = error;
      this.#options.onError?.(error);
      const code = (error as { code?: unknown }).code;
      const kind = code === 'ERR_POLICY_MANIFEST' ? 'manifest_refused' : code === 'ERR_POLICY_UNSTABLE' ? 'unstable' : 'reload_failed';
      this.#warn(kind, `${error instanceof Error ? error.message : String(error)}\nThe policy in force stays: ${this.#set.digest}.`);
      return { ok: false, error, kept: this.#set };
    }
  }

  #warn(code: PolicyStoreWarning['code'], message: string): void {
    this.#options.onWarning?.({ code, message });
  }

  async #watch(): Promise<void> {
    const poll = this.#options.pollMs ?? DEFAULT_POLL_MS;
    this.#watcher = new DirectoryWatcher({
      onEvent: () => this.#schedule(),
      onLost: (message) => {
        const error = new WardenError(
          'ERR_POLICY_WATCH',
          `${message} The policy in force stays (${this.#set.digest}); ${poll > 0 ? `changes are still noticed by comparing the files every ${poll} ms, and the watch is re-armed when its directory is there` : 'with pollMs: 0, changes there go unnoticed until the watch is re-armed'}.`,
        );
        this.#options.onError?.(error);
        this.#warn('watch_failed', error.message);
      },
    });
    // A change between the first load and the watches being armed is caught by this first look.
    await this.#check();
    if (poll > 0) {
      this.#poll = setInterval(() => void this.#check(), poll);
      this.#poll.unref();
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#check(), this.#options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    this.#timer.unref();
  }

  /**
   * Brings the watches in line with the directories as they are now, then reloads when the files
   * moved since the last attempt; and again after a reload (it may have found new directories).
   * The watches are armed before the files are looked at, so a change in between is never missed.
   */
  async #check(): Promise<void> {
    for (let round = 0; round < 3 && !this.#closed; round++) {
      if (this.#watcher !== null) await this.#watcher.sync(await watchedDirectories(this.#paths, manifestList(this.#options)));
      if (this.#closed) return;
      const now = await fingerprintOf(this.#paths, manifestList(this.#options));
      if (now === this.#attempted || this.#closed) return;
      await this.reload();
    }
  }
}

/** The SQL parsers loaded so far: every reload reuses them (loading WASM parsers is slow), growing only when a new dialect is bound. */
interface ParserCache {
  current: SqlParsers | undefined;
}

function manifestList(options: PolicyStoreOptions): string[] {
  return options.manifest === undefined ? [] : [options.manifest];
}

/**
 * Reads the files once they are stable, checks them against the manifest in strict mode (before
 * compiling anything), and compiles them.
 */
async function loadStable(paths: readonly string[], options: PolicyStoreOptions, parsers: ParserCache, onUnstable: (message: string) => void): Promise<PolicySet> {
  const manifest = options.manifest === undefined ? null : await readPolicyManifest(options.manifest);
  const { sources } = await readStableSources(paths, {
    settleMs: manifest !== null ? 0 : (options.settleMs ?? DEFAULT_SETTLE_MS),
    onUnstable,
    ...(options.loadLimits !== undefined ? { loadLimits: options.loadLimits } : {}),
  });
  if (manifest !== null) {
    const manifestPath = resolve(options.manifest as string);
    if (sources.some((s) => resolve(s.name) === manifestPath)) {
      throw new WardenError('ERR_OPTIONS', `The manifest ${options.manifest as string} is read as a policy file too. Give it a name starting with "." or keep it outside the policy directory.`);
    }
    const digest = policyDigestOf(sources.map((s) => s.text));
    if (digest !== manifest.digest) {
      throw new WardenError(
        'ERR_POLICY_MANIFEST',
        `The policy files read have digest ${digest}, but the manifest ${options.manifest as string} names ${manifest.digest}, so they were not activated: they may be half-written, mid-deploy, or the manifest is stale. Write the policy files first and the manifest last (warden manifest).`,
      );
    }
  }
  const compileOptions = compileOptionsOf(options);
  if (parsers.current !== undefined) compileOptions.sqlParsers = parsers.current;
  const loaded = await compileReadSources(sources, compileOptions);
  parsers.current = loaded.sqlParsers;
  return loaded.set;
}

function checkOptions(options: PolicyStoreOptions): void {
  rejectUnknownKeys(options, STORE_OPTION_KEYS, 'ERR_OPTIONS', 'PolicyStore options');
  // Checked here too (compiling checks them again), so a typo fails before any file is read.
  resolveRequestLimits(options.limits);
  resolveLoadLimits(options.loadLimits);
  const bad = (what: string): never => {
    throw new WardenError('ERR_OPTIONS', `Invalid PolicyStore option: ${what}.`);
  };
  const ms = (name: 'debounceMs' | 'settleMs' | 'pollMs', min: number): void => {
    const v = options[name];
    if (v !== undefined && (!Number.isInteger(v) || (v !== 0 && v < min) || v < 0 || v > 3_600_000)) bad(`\`${name}\` must be 0 or an integer from ${min} to 3600000 (milliseconds)`);
  };
  if (options.watch !== undefined && typeof options.watch !== 'boolean') bad('`watch` must be true or false');
  ms('debounceMs', 0);
  ms('settleMs', 0);
  ms('pollMs', 10);
  if (options.manifest !== undefined && (typeof options.manifest !== 'string' || options.manifest === '')) bad('`manifest` must be the path of a policy manifest file');
  for (const f of ['onReload', 'onError', 'onWarning'] as const) {
    if (options[f] !== undefined && typeof options[f] !== 'function') bad(`\`${f}\` must be a function`);
  }
}

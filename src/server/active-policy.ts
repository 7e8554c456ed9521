/**
 * The policy the service serves: given policy files, or verified bundles. It is the pipeline's
 * PolicyProvider. A new bundle is verified, checked against the revision in force and compiled
 * before it replaces the old one in a single assignment; a bundle that fails leaves the last good
 * one serving and is remembered (readyz and metrics say so). Until something is active, the
 * service is not ready and every call is denied.
 */
import type { KeyObject } from 'node:crypto';
import { compileReadSources, loadPolicyFiles } from '../enforce/load-files.js';
import { PolicyStore, type PolicyStoreWarning } from '../enforce/policy-store.js';
import type { WardenErrorCode } from '../errors.js';
import { compilePolicy } from '../policy/compile-policy.js';
import type { PolicySet } from '../policy/policy-set.js';
import { bundleDataSources } from './bundle-data.js';
import { BundleError } from './bundle-format.js';
import { verifyBundle } from './bundle-verify.js';

/**
 * What is in force, as the service reports it.
 *
 * @example
 * ```ts
 * const s: ActivePolicyStatus = { ready: true, source: 'bundle', revision: 4, digest: 'sha256:…', lastError: null, activations: 1, failures: 0, watching: false };
 * ```
 */
export interface ActivePolicyStatus {
  ready: boolean;
  source: 'none' | 'files' | 'bundle';
  /** The bundle revision in force; null for policy files or nothing. */
  revision: number | null;
  /** The `PolicySet.digest` in force; empty when nothing is. */
  digest: string;
  /**
   * Why the last bundle offered, or the last reload of watched policy files, was refused (the
   * older policy keeps serving), or null once one activates again. `reason` is a bundle reason
   * (`file_hash_mismatch`, ...) or, for watched files, `reload_failed`, `unstable` or
   * `manifest_refused`; `code` is the error code (`ERR_BUNDLE`, `ERR_POLICY_LOAD`, ...).
   */
  lastError: { reason: string; code: WardenErrorCode; message: string; at: string } | null;
  /** How many policies (bundles, or reloads of watched files) were activated, and refused, since start. */
  activations: number;
  failures: number;
  /** True when the policy files are watched and reloaded on change (`--watch`). */
  watching: boolean;
}

/**
 * How watched policy files are looked at: the quiet time after a change before reloading, the
 * stat poll that backs up the file-system watches (0 turns it off), and optionally a policy
 * manifest (strict mode: only the set whose digest it names is activated, at start too).
 *
 * @example
 * ```ts
 * const watch: PolicyWatchOptions = { debounceMs: 100, pollMs: 2000, manifest: 'policies.manifest.json' };
 * ```
 */
export interface PolicyWatchOptions {
  debounceMs?: number;
  pollMs?: number;
  manifest?: string;
}

/**
 * The active policy of a decision service.
 *
 * @example
 * ```ts
 * const active = new ActivePolicy();
 * await active.activateFiles(['policies/']);
 * active.current().digest;
 * ```
 */
export class ActivePolicy {
  // An empty set, default deny for everything, until a policy is active (made here, not at import).
  #set: PolicySet = compilePolicy([]);
  #source: ActivePolicyStatus['source'] = 'none';
  #revision: number | null = null;
  #manifest: string | null = null;
  #lastError: ActivePolicyStatus['lastError'] = null;
  #activations = 0;
  #failures = 0;
  #store: PolicyStore | null = null;
  /** Serializes activations, so two bundles offered at once are judged one after the other. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Digest -> revision for the last few activations, so an answer names the revision that decided it. */
  readonly #revisions = new Map<string, number>();

  /** The PolicySet in force (an empty, deny-everything set before anything is active). */
  current(): PolicySet {
    return this.#set;
  }

  /** True once a policy is active. */
  get ready(): boolean {
    return this.#source !== 'none';
  }

  /** The bundle revision in force, or null. */
  get revision(): number | null {
    return this.#revision;
  }

  /** The bundle revision a PolicySet digest was activated under (recent activations), or null. */
  revisionOf(digest: string): number | null {
    return this.#revisions.get(digest) ?? null;
  }

  /** What is in force and what failed last. */
  status(): ActivePolicyStatus {
    return {
      ready: this.ready,
      source: this.#source,
      revision: this.#revision,
      digest: this.ready ? this.#set.digest : '',
      lastError: this.#lastError,
      activations: this.#activations,
      failures: this.#failures,
      watching: this.#store !== null,
    };
  }

  /**
   * Loads and activates policy files.
   *
   * @example
   * ```ts
   * await active.activateFiles(['policy.yaml']);
   * ```
   * @throws PolicyLoadError when they do not load (nothing changes).
   */
  async activateFiles(paths: readonly string[]): Promise<void> {
    const set = await loadPolicyFiles(paths);
    this.#set = set;
    this.#source = 'files';
    this.#revision = null;
    this.#manifest = null;
    this.#activations++;
  }

  /**
   * Loads and activates policy files, then watches them (directory watches plus a stat poll,
   * debounced; see PolicyStore): a change is read, validated and compiled, and activated in one
   * assignment only if it compiles. A change that does not load leaves the last good policy
   * serving and is remembered in `status().lastError` and `failures` (readyz and metrics say so),
   * and reported through `warn`, until a later change loads again.
   *
   * @example
   * ```ts
   * await active.watchFiles(['policies/'], { pollMs: 2000 }, (w) => console.error(w.message));
   * // ...
   * active.close();
   * ```
   * @throws PolicyLoadError when the first load fails (there is no good policy yet).
   */
  async watchFiles(paths: readonly string[], options: PolicyWatchOptions, warn: (w: PolicyStoreWarning) => void, clock: () => Date = () => new Date()): Promise<void> {
    let failed: { code: WardenErrorCode; message: string } | null = null;
    const store = await PolicyStore.open(paths, {
      watch: true,
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.manifest !== undefined ? { manifest: options.manifest } : {}),
      onReload: (set) => {
        // invariant: activation is these assignments with no await between them.
        this.#set = set;
        this.#source = 'files';
        this.#lastError = null;
        this.#activations++;
      },
      onError: (error) => {
        const code = (error as { code?: unknown } | null)?.code;
        failed = { code: typeof code === 'string' && code.startsWith('ERR_') ? (code as WardenErrorCode) : 'ERR_POLICY_LOAD', message: error instanceof Error ? error.message : String(error) };
      },
      onWarning: (w) => {
        if (w.code === 'reload_failed' || w.code === 'unstable' || w.code === 'manifest_refused') {
          this.#failures++;
          this.#lastError = { reason: w.code, code: failed?.code ?? 'ERR_POLICY_LOAD', message: failed?.message ?? w.message, at: clock().toISOString() };
        }
        failed = null;
        warn(w);
      },
    });
    this.#store?.close();
    this.#store = store;
    this.#set = store.current();
    this.#source = 'files';
    this.#revision = null;
    this.#manifest = null;
    this.#activations++;
  }

  /** Stops watching policy files (nothing to do for bundles). */
  close(): void {
    this.#store?.close();
    this.#store = null;
  }

  /**
   * Verifies a bundle against `publicKey`, refuses a downgrade, compiles it, and activates it. On
   * any failure the bundle in force stays and the failure is remembered.
   *
   * @example
   * ```ts
   * const r = await active.offerBundle(text, publicKey);
   * if (!r.ok) console.error(r.error.reason);
   * ```
   */
  offerBundle(text: string | Uint8Array, publicKey: KeyObject | string, clock: () => Date = () => new Date()): Promise<{ ok: true; revision: number; changed: boolean } | { ok: false; error: BundleError }> {
    const run = this.#queue.then(() => this.#offer(text, publicKey, clock));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Remembers a bundle that could not even be read (a failed download). */
  noteFailure(error: BundleError, clock: () => Date = () => new Date()): void {
    this.#failures++;
    this.#lastError = { reason: error.reason, code: error.code, message: error.message, at: clock().toISOString() };
  }

  async #offer(text: string | Uint8Array, publicKey: KeyObject | string, clock: () => Date): Promise<{ ok: true; revision: number; changed: boolean } | { ok: false; error: BundleError }> {
    try {
      const verified = verifyBundle(text, publicKey);
      if (this.#revision !== null) {
        if (verified.revision === this.#revision && verified.manifestDigest === this.#manifest) {
          this.#lastError = null;
          return { ok: true, revision: verified.revision, changed: false };
        }
        if (verified.revision <= this.#revision) {
          throw new BundleError('revision_downgrade', `The bundle has revision ${verified.revision}, but revision ${this.#revision} is in force; a bundle must have a higher revision than the one it replaces.`);
        }
      }
      const data = await bundleDataSources(verified.data);
      let set: PolicySet;
      try {
        set = (await compileReadSources([...verified.sources, ...data])).set;
      } catch (e) {
        throw new BundleError('policy_invalid', `The bundle (revision ${verified.revision}) verified, but its policies do not compile: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      // invariant: activation is this block of assignments with no await between them.
      this.#set = set;
      this.#source = 'bundle';
      this.#revision = verified.revision;
      this.#manifest = verified.manifestDigest;
      this.#lastError = null;
      this.#activations++;
      this.#revisions.set(set.digest, verified.revision);
      if (this.#revisions.size > 16) this.#revisions.delete(this.#revisions.keys().next().value as string);
      return { ok: true, revision: verified.revision, changed: true };
    } catch (e) {
      const error = e instanceof BundleError ? e : new BundleError('unreadable', `The bundle could not be checked: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      this.noteFailure(error, clock);
      return { ok: false, error };
    }
  }
}

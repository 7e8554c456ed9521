/**
 * A PolicyStore holds the PolicySet in force and can reload it from files. A reload swaps the
 * whole set at once; a reload that fails keeps the last good set and reports why.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { CompileOptions } from '../policy/compile.js';
import type { PolicySet } from '../policy/policy-set.js';
import { loadPolicyFiles } from './load-files.js';
import type { PolicyProvider } from './governor.js';

/** Options for a PolicyStore. */
export interface PolicyStoreOptions extends CompileOptions {
  /** Reload when a file changes (fs.watch). Default false. */
  watch?: boolean;
  /** Quiet time before a change triggers a reload; default 100 ms. */
  debounceMs?: number;
  /** Called after every successful reload with the new set. */
  onReload?: (set: PolicySet) => void;
  /** Called when a reload fails; the last good set stays in force. */
  onError?: (error: unknown) => void;
}

/** The outcome of a reload. */
export type ReloadResult = { ok: true; set: PolicySet } | { ok: false; error: unknown; kept: PolicySet };

/**
 * Holds the current PolicySet for a Governor and reloads it from files.
 *
 * @example
 * ```ts
 * const store = await PolicyStore.open(['policies/'], { watch: true, onError: (e) => console.error(e) });
 * const governor = new Governor({ policy: store });
 * ```
 */
export class PolicyStore implements PolicyProvider {
  #set: PolicySet;
  #lastError: unknown = null;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<ReloadResult> | null = null;
  #followUp: Promise<ReloadResult> | null = null;
  readonly #paths: readonly string[];
  readonly #options: PolicyStoreOptions;

  private constructor(paths: readonly string[], set: PolicySet, options: PolicyStoreOptions) {
    this.#paths = [...paths];
    this.#set = set;
    this.#options = options;
  }

  /**
   * Loads the files; throws PolicyLoadError when the first load fails (there is no good set yet).
   */
  static async open(paths: readonly string[], options: PolicyStoreOptions = {}): Promise<PolicyStore> {
    const store = new PolicyStore(paths, await loadPolicyFiles(paths, options), options);
    if (options.watch) store.#watch();
    return store;
  }

  /** The PolicySet in force. */
  current(): PolicySet {
    return this.#set;
  }

  /** The error of the last failed reload, or null after a good one. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Reloads from the files now. A call made while a reload is reading starts one more reload after
   * it (shared by every such call), so the result always reflects files as they were when asked.
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

  /** Stops watching. */
  close(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #doReload(): Promise<ReloadResult> {
    try {
      const set = await loadPolicyFiles(this.#paths, this.#options);
      // invariant: the swap is one assignment, so a decision sees the old set or the new one, never a mix.
      this.#set = set;
      this.#lastError = null;
      this.#options.onReload?.(set);
      return { ok: true, set };
    } catch (error) {
      this.#lastError = error;
      this.#options.onError?.(error);
      return { ok: false, error, kept: this.#set };
    }
  }

  #watch(): void {
    const schedule = (): void => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.reload(), this.#options.debounceMs ?? 100);
      this.#timer.unref();
    };
    for (const p of this.#paths) {
      try {
        // Watch directories (recursively), and a file through its directory: editors save by
        // writing a new file and renaming it over the old one, which ends a watch on the file.
        const isDir = statSync(p).isDirectory();
        const target = isDir ? p : dirname(p);
        const name = basename(p);
        const w = watch(target, { recursive: isDir }, (_event, changed) => {
          if (isDir || changed === null || changed === name) schedule();
        });
        w.on('error', (e) => this.#options.onError?.(e));
        w.unref();
        this.#watchers.push(w);
      } catch (e) {
        this.#options.onError?.(e);
      }
    }
  }
}

/**
 * Watching policy files in a way that survives how files are really saved.
 *
 * A watch follows an inode. Editors and deploy tools save by writing a new file and renaming it
 * over the old one (`fs.watch(dir, { recursive: true })` on Linux then loses the file for good,
 * silently), Kubernetes swaps a `..data` symlink, and operators replace whole directories. So only
 * directories are watched, never files: every directory of a policy tree, the directory holding
 * each given path (it sees the path itself replaced, removed or re-created) and the one holding the
 * manifest. An event says only "look again"; what changed is decided by comparing fingerprints.
 * After every look the set of watches is brought in line with the directories as they are now: a
 * watch whose directory was replaced or that reported an error is re-armed, and reported.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Most directories watched; past it the rest is noticed only by polling. */
export const MAX_WATCHED_DIRECTORIES = 1_000;

/** Deepest directory nesting followed (as the loader does). */
const MAX_DEPTH = 32;

interface Watch {
  watcher: FSWatcher;
  dev: number;
  ino: number;
  /** Set when the watcher reported an error: it is re-armed at the next sync. */
  failed: boolean;
}

/**
 * Options of {@link DirectoryWatcher}.
 *
 * @example
 * ```ts
 * const options: DirectoryWatcherOptions = { onEvent: () => schedule(), onLost: (m) => console.error(m) };
 * ```
 */
export interface DirectoryWatcherOptions {
  /** Something happened in a watched directory. */
  onEvent: () => void;
  /** A watch died (an error, or its directory was replaced) or could not be armed. */
  onLost: (message: string) => void;
}

/**
 * A set of directory watches kept in line with a wanted list by {@link DirectoryWatcher.sync}.
 *
 * @example
 * ```ts
 * const watcher = new DirectoryWatcher({ onEvent: () => void store.reload(), onLost: console.error });
 * await watcher.sync(await watchedDirectories(['policies/'], []));
 * ```
 */
export class DirectoryWatcher {
  readonly #watches = new Map<string, Watch>();
  readonly #options: DirectoryWatcherOptions;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #reportedTooMany = false;

  constructor(options: DirectoryWatcherOptions) {
    this.#options = options;
  }

  /** Directories watched now. */
  get directories(): string[] {
    return [...this.#watches.keys()];
  }

  /**
   * Watches exactly `wanted`: closes watches no longer wanted, re-arms any whose directory was
   * replaced (another inode at the path) or whose watcher failed, and arms new ones. Calls are
   * serialized.
   *
   * @example
   * ```ts
   * await watcher.sync(['/etc/warden/policies', '/etc/warden']);
   * ```
   */
  sync(wanted: readonly string[]): Promise<void> {
    const run = this.#queue.then(() => this.#sync(wanted));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Stops every watch. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watches.values()) w.watcher.close();
    this.#watches.clear();
  }

  async #sync(wanted: readonly string[]): Promise<void> {
    if (this.#closed) return;
    const keep = new Set(wanted.slice(0, MAX_WATCHED_DIRECTORIES));
    for (const [dir, w] of this.#watches) {
      if (keep.has(dir)) continue;
      w.watcher.close();
      this.#watches.delete(dir);
    }
    if (wanted.length > MAX_WATCHED_DIRECTORIES && !this.#reportedTooMany) {
      this.#reportedTooMany = true;
      this.#options.onLost(`The policy tree has ${wanted.length} directories; only the first ${MAX_WATCHED_DIRECTORIES} are watched.`);
    }
    for (const dir of keep) {
      const st = await stat(dir).catch(() => null);
      if (this.#closed) return;
      const current = this.#watches.get(dir);
      if (current && !current.failed && st !== null && st.dev === current.dev && st.ino === current.ino) continue;
      if (current) {
        current.watcher.close();
        this.#watches.delete(dir);
        if (!current.failed) this.#options.onLost(`The watch on ${dir} ended: the directory was ${st === null ? 'removed' : 'replaced'}.`);
      }
      if (st === null || !st.isDirectory()) continue;
      this.#arm(dir, st.dev, st.ino);
    }
  }

  #arm(dir: string, dev: number, ino: number): void {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, () => this.#options.onEvent());
    } catch (e) {
      this.#options.onLost(`Cannot watch ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}${(e as NodeJS.ErrnoException).code === 'ENOSPC' ? ' (the inotify watch limit, fs.inotify.max_user_watches, is reached)' : ''}.`);
      return;
    }
    const entry: Watch = { watcher, dev, ino, failed: false };
    watcher.on('error', (e: NodeJS.ErrnoException) => {
      if (entry.failed || this.#closed) return;
      entry.failed = true;
      this.#options.onLost(`The watch on ${dir} failed: ${e.code ?? e.message}.`);
      // The next sync re-arms it; an event makes the owner look (and sync) now.
      this.#options.onEvent();
    });
    this.#watches.set(dir, entry);
  }
}

/**
 * The directories to watch for `paths` (policy files or directories) and `files` (a manifest):
 * every directory of each policy tree (dot-directories skipped, as the loader skips them), and the
 * directory holding each path.
 *
 * @example
 * ```ts
 * await watchedDirectories(['/etc/warden/policies'], ['/etc/warden/policies.manifest.json']);
 * // ['/etc/warden', '/etc/warden/policies', '/etc/warden/policies/team']
 * ```
 */
export async function watchedDirectories(paths: readonly string[], files: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of [...paths, ...files]) out.add(dirname(resolve(p)));
  for (const p of paths) {
    const abs = resolve(p);
    const st = await stat(abs).catch(() => null);
    if (st?.isDirectory()) await subdirectories(abs, out, 0);
  }
  return [...out].sort();
}

async function subdirectories(dir: string, out: Set<string>, depth: number): Promise<void> {
  if (depth > MAX_DEPTH || out.size > MAX_WATCHED_DIRECTORIES || out.has(dir)) return;
  out.add(dir);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(full).catch(() => null))?.isDirectory() === true);
    if (isDir) await subdirectories(full, out, depth + 1);
  }
}

/**
 * A lock file shared by the processes of one machine.
 *
 * Several processes append to one hash-chained audit log (parallel `warden check --audit`, an
 * MCP proxy, a hook process per Claude Code tool call). Each resumes the chain from the log's last
 * record when it opens it, so two writers at once fork the chain. The file sink therefore holds
 * this lock from opening the log to closing it.
 *
 * The lock is a file created with O_EXCL holding `<pid> <random>`, kept open by its holder (so its
 * inode cannot be reused while held, and "is it still mine" is one stat). A holder that keeps it a
 * long time refreshes its mtime ({@link FileLock.refresh}). A lock whose process is gone, or whose
 * mtime is older than `staleMs`, is broken (see breakStale for how that stays safe when the lock
 * changes hands meanwhile). A lock whose token cannot be written (a full disk) is removed at once,
 * never left empty. Waiting is bounded: past `timeoutMs` the caller gets an error, never the lock.
 * Processes of one machine only: the pid check means nothing across hosts (a network file system).
 */
import { randomBytes } from 'node:crypto';
import { futimesSync, statSync } from 'node:fs';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';

/**
 * Options of {@link withFileLock} and {@link FileLock.acquire}.
 *
 * @example
 * ```ts
 * const options: FileLockOptions = { timeoutMs: 10_000, staleMs: 30_000 };
 * ```
 */
export interface FileLockOptions {
  /** Longest wait for the lock. Default 10 s. */
  timeoutMs?: number;
  /** A lock not refreshed for this long is broken even when its process seems alive (pid reuse). Default 30 s. */
  staleMs?: number;
}

/** The keys {@link FileLockOptions} accepts. */
export const FILE_LOCK_OPTION_KEYS: readonly string[] = Object.freeze(['timeoutMs', 'staleMs']);

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_MS = 30_000;

/**
 * A held lock file. Acquire it with {@link FileLock.acquire}; release it once.
 *
 * @example
 * ```ts
 * const lock = await FileLock.acquire('/var/log/warden/main.jsonl.lock');
 * try { await appendRecords(); } finally { await lock.release(); }
 * ```
 */
export class FileLock {
  /** The lock file. */
  readonly path: string;
  /** `<pid> <random>`: what the lock file holds. */
  readonly token: string;
  /** How long the holder may go without {@link FileLock.refresh} before others may break it. */
  readonly staleMs: number;
  readonly #handle: FileHandle;
  readonly #dev: number;
  readonly #ino: number;
  #released = false;

  private constructor(path: string, token: string, staleMs: number, handle: FileHandle, dev: number, ino: number) {
    this.path = path;
    this.token = token;
    this.staleMs = staleMs;
    this.#handle = handle;
    this.#dev = dev;
    this.#ino = ino;
  }

  /**
   * Creates the lock file, waiting (bounded) while another live process holds it and breaking it
   * when its holder is gone or stale.
   *
   * @example
   * ```ts
   * const lock = await FileLock.acquire(`${logPath}.lock`, { timeoutMs: 5000 });
   * ```
   * @throws WardenError `ERR_LOCK_TIMEOUT` when it was not acquired in time (the message names the
   *   holder), `ERR_LOCK` when the lock file cannot be created or written (it is then removed),
   *   `ERR_LOCK` for an unknown option key.
   */
  static async acquire(lockPath: string, options: FileLockOptions = {}): Promise<FileLock> {
    rejectUnknownKeys(options, FILE_LOCK_OPTION_KEYS, 'ERR_LOCK', 'file lock options');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
    const token = `${process.pid} ${randomBytes(12).toString('hex')}`;
    const deadline = Date.now() + timeoutMs;
    let delay = 1;
    for (;;) {
      const created = await create(lockPath, token);
      if (created !== null) return new FileLock(lockPath, token, staleMs, created.handle, created.dev, created.ino);
      const seen = await inspect(lockPath);
      if (seen !== null && isStale(seen, staleMs)) {
        await breakStale(lockPath, seen);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new WardenError('ERR_LOCK_TIMEOUT', `Waited ${timeoutMs} ms for ${lockPath}, ${describeHolder(seen)}. If no warden process is running, delete the file.`);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  }

  /**
   * True while the file at `path` is still this lock (not removed or broken and re-created by
   * another process). One stat: the held descriptor keeps the inode from being reused.
   *
   * @example
   * ```ts
   * if (!lock.held()) throw new Error('lost the lock');
   * ```
   */
  held(): boolean {
    if (this.#released) return false;
    try {
      const st = statSync(this.path);
      return st.ino === this.#ino && st.dev === this.#dev;
    } catch {
      return false;
    }
  }

  /**
   * Marks the lock as alive now (its mtime), so others do not break it as stale. Returns false,
   * and changes nothing, when the lock is no longer held.
   *
   * @example
   * ```ts
   * setInterval(() => { if (!lock.refresh()) stop(); }, lock.staleMs / 3).unref();
   * ```
   */
  refresh(): boolean {
    if (!this.held()) return false;
    try {
      const now = new Date();
      futimesSync(this.#handle.fd, now, now);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Removes the lock file if it is still this lock, and closes it. A second call does nothing.
   *
   * @example
   * ```ts
   * await lock.release();
   * ```
   * @throws WardenError `ERR_LOCK` when the lock file cannot be removed.
   */
  async release(): Promise<void> {
    if (this.#released) return;
    const mine = this.held();
    this.#released = true;
    try {
      // Only our own lock is removed: one broken as stale meanwhile belongs to someone else now.
      if (mine) await unlinkIfThere(this.path);
    } finally {
      await this.#handle.close().catch(() => undefined);
    }
  }
}

/**
 * Runs `fn` while holding the lock file `lockPath`, then releases it (also when `fn` throws).
 *
 * @example
 * ```ts
 * await withFileLock('/repo/.warden/audit/claude-code.jsonl.lock', async () => appendRecord());
 * ```
 * @throws WardenError `ERR_LOCK_TIMEOUT` when the lock was not acquired in time, `ERR_LOCK` when the
 *   lock file cannot be created or written; otherwise whatever `fn` throws.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lock = await FileLock.acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Creates the lock file holding `token`; null when it exists. A lock whose token cannot be written is removed. */
async function create(lockPath: string, token: string): Promise<{ handle: FileHandle; dev: number; ino: number } | null> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (e) {
    if (codeOf(e) === 'EEXIST') return null;
    throw new WardenError('ERR_LOCK', `Cannot create the lock file ${lockPath}: ${describe(e)}.`, { cause: e });
  }
  try {
    const st = await handle.stat();
    const written = await handle.write(token);
    if (written.bytesWritten !== Buffer.byteLength(token)) throw Object.assign(new Error('short write'), { code: 'EIO' });
    return { handle, dev: st.dev, ino: st.ino };
  } catch (e) {
    // invariant: a lock file is never left without its token: an empty one blocks everyone until it is stale.
    await handle.close().catch(() => undefined);
    let removal = '';
    try {
      await unlinkIfThere(lockPath);
    } catch (u) {
      removal = ` Removing it also failed (${describe(u)}); delete ${lockPath} by hand.`;
    }
    throw new WardenError('ERR_LOCK', `Cannot write the lock file ${lockPath}: ${describe(e)}. The lock was not taken${removal === '' ? ' and the file was removed' : ''}.${removal} Free space or fix permissions, then retry.`, { cause: e });
  }
}

/** One look at a lock file: its holder's token (`''` while its creator is still writing it), inode and age. */
interface LockState {
  token: string;
  ino: number;
  mtimeMs: number;
}

/** The lock file as it is now, or null when there is none. */
async function inspect(lockPath: string): Promise<LockState | null> {
  let handle;
  try {
    handle = await open(lockPath, 'r');
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return null;
    throw new WardenError('ERR_LOCK', `Cannot read the lock file ${lockPath}: ${describe(e)}.`, { cause: e });
  }
  try {
    // Read and stat through one descriptor, so token and inode belong to the same file.
    const st = await handle.stat();
    return { token: await handle.readFile('utf8'), ino: st.ino, mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}

function describeHolder(seen: LockState | null): string {
  if (seen === null) return 'which kept changing hands';
  if (seen.token === '') return 'an empty lock file (its creator is writing its token, or died right after creating it; it is broken once older than staleMs)';
  return `held by process ${seen.token.split(' ')[0] ?? '?'}`;
}

function isStale(seen: LockState, staleMs: number): boolean {
  // An empty lock is being written (or its writer died right after creating it): only age breaks it.
  if (seen.token !== '') {
    const pid = Number(seen.token.split(' ')[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || !processAlive(pid)) return true;
  }
  return Date.now() - seen.mtimeMs > staleMs;
}

/** How old a breaker's own lock must be before it is taken for abandoned. */
const BREAKER_STALE_MS = 5_000;

/**
 * Removes the stale lock `seen`, and only it. The lock judged stale may have been released and
 * taken by a live process since it was read; so breakers take turns (a second lock file), and
 * under that turn the lock is removed only if it is still the very file judged stale (same
 * inode, same token). Its holder is gone, so nothing else can change it meanwhile.
 */
async function breakStale(lockPath: string, seen: LockState): Promise<void> {
  const breaker = `${lockPath}.break`;
  try {
    await (await open(breaker, 'wx', 0o600)).close();
  } catch (e) {
    if (codeOf(e) !== 'EEXIST') throw new WardenError('ERR_LOCK', `Cannot create ${breaker}: ${describe(e)}.`, { cause: e });
    // Another process is breaking it; a breaker lock this old was left by one that died.
    const st = await stat(breaker).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? null : Promise.reject(err)));
    if (st !== null && Date.now() - st.mtimeMs > BREAKER_STALE_MS) await unlinkIfThere(breaker);
    await sleep(1 + Math.random() * 4);
    return;
  }
  try {
    const now = await inspect(lockPath);
    if (now !== null && now.ino === seen.ino && now.token === seen.token) await unlinkIfThere(lockPath);
  } finally {
    await unlinkIfThere(breaker);
  }
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw new WardenError('ERR_LOCK', `Cannot remove ${path}: ${describe(e)}.`, { cause: e });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return codeOf(e) === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function codeOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

function describe(e: unknown): string {
  const code = codeOf(e);
  if (code === 'ENOSPC') return 'ENOSPC (the disk is full)';
  return code ?? (e instanceof Error ? e.message : String(e));
}

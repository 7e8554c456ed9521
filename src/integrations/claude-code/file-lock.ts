/**
 * A lock file shared by the processes of one machine.
 *
 * Claude Code starts a new hook process for every event, several at once when it runs tools in
 * parallel, and each of them appends to the same hash-chained audit log. The file sink keeps the
 * chain gapless inside one process only, so each append holds this lock from opening the log
 * (which resumes the chain from its last record) to closing it.
 *
 * The lock is a file created with O_EXCL holding `<pid> <random>`. A lock whose process is gone,
 * or that is older than `staleMs`, is broken (see breakStale for how that stays safe when the lock
 * changes hands meanwhile). Waiting is bounded: past `timeoutMs` the caller gets an error, never
 * the lock (and the hook fails closed). Processes of one machine only: the pid check means nothing
 * across hosts (a network file system).
 */
import { randomBytes } from 'node:crypto';
import { open, stat, unlink } from 'node:fs/promises';
import { WardenError } from '../../errors.js';

/**
 * Options of {@link withFileLock}.
 *
 * @example
 * ```ts
 * const options: FileLockOptions = { timeoutMs: 10_000, staleMs: 30_000 };
 * ```
 */
export interface FileLockOptions {
  /** Longest wait for the lock. Default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is broken even when its process seems alive (pid reuse). Default 30 s. */
  staleMs?: number;
}

/**
 * Runs `fn` while holding the lock file `lockPath`, then releases it (also when `fn` throws).
 *
 * @example
 * ```ts
 * await withFileLock('/repo/.warden/audit/claude-code.jsonl.lock', async () => appendRecord());
 * ```
 * @throws WardenError `ERR_LOCK_TIMEOUT` when the lock was not acquired in time, `ERR_LOCK` when the
 *   lock file cannot be created; otherwise whatever `fn` throws.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const token = await acquire(lockPath, options.timeoutMs ?? 10_000, options.staleMs ?? 30_000);
  try {
    return await fn();
  } finally {
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<string> {
  const token = `${process.pid} ${randomBytes(12).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      return token;
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw new WardenError('ERR_LOCK', `Cannot create the lock file ${lockPath}: ${describe(e)}.`, { cause: e });
    }
    const seen = await inspect(lockPath);
    if (seen !== null && isStale(seen, staleMs)) {
      await breakStale(lockPath, seen);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new WardenError(
        'ERR_LOCK_TIMEOUT',
        `Waited ${timeoutMs} ms for ${lockPath} (held by ${seen?.token ? `process ${seen.token.split(' ')[0] ?? '?'}` : 'another process'}). If no warden process is running, delete the file.`,
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 25);
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  // Only our own lock is removed: one broken as stale meanwhile belongs to someone else now.
  if ((await inspect(lockPath))?.token !== token) return;
  try {
    await unlink(lockPath);
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw new WardenError('ERR_LOCK', `Cannot remove the lock file ${lockPath}: ${describe(e)}.`, { cause: e });
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
  return codeOf(e) ?? (e instanceof Error ? e.message : String(e));
}

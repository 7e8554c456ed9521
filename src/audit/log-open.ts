/**
 * Opening a stream's log for appending: one writer per log, in this process (a registry) and
 * across processes (a lock file held until close), then the chain resumed from the last record.
 *
 * invariant: the tail is read and the head resumed only under the lock, so no other process can
 * append between "this is the last record" and our first append after it.
 */
import { fstatSync, openSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors.js';
import type { Signer } from './batch-encode.js';
import { FileLock } from './file-lock.js';
import { resolveLogLocation, rotatedFiles, type LogLocation } from './files.js';
import { loadHmacKey } from './hmac-secret.js';
import { keyIdOf, toPrivateKey, type KeyInput } from './keys.js';
import { GENESIS_HASH } from './record.js';
import { asWardenError, closeQuietly, describeIoError, syncDirectory } from './sink-io.js';
import type { FileAuditSinkOptions, TornTail } from './sink-options.js';
import { recoverTail, type Recovered } from './torn-tail.js';

/**
 * Everything a writer starts from: the open file, the chain head, its keys and its lock.
 *
 * @example
 * ```ts
 * const state = await openLog(options); // then new FileAuditSink(state, options)
 * ```
 */
export interface OpenedLog {
  loc: LogLocation;
  fd: number;
  ino: number;
  dev: number;
  size: number;
  seq: number;
  hash: string;
  headIsCheckpoint: boolean;
  nextRotation: number;
  hmacKey: Uint8Array;
  secretPath: string | null;
  signer: Signer | null;
  tornTail: TornTail | null;
  lock: FileLock;
  registryKey: string;
}

const NOOP = (): void => undefined;

/** invariant: the only module state; one open writer per resolved log file in this process. */
const openWriters = new Set<string>();

/**
 * Opens (creating if needed) the log `options` names: waits (bounded) for the cross-process lock,
 * recovers a torn tail, resumes the chain and loads the HMAC secret. Close it with {@link closeLog}.
 *
 * @example
 * ```ts
 * const log = await openLog({ path: '.warden/audit/main.jsonl' });
 * ```
 * @throws WardenError `ERR_AUDIT_IN_USE` (open in this process, or another process held the lock
 *   past `lock.timeoutMs`), `ERR_AUDIT_OPEN`, `ERR_AUDIT_CORRUPT`, `ERR_AUDIT_STREAM_MISMATCH`, `ERR_AUDIT_KEY`.
 */
export async function openLog(options: FileAuditSinkOptions): Promise<OpenedLog> {
  const loc = resolveLogLocation(options.path, options.stream);
  const signer = options.signingKey === undefined ? null : makeSigner(options);
  try {
    await mkdir(loc.dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot create the audit directory ${loc.dir}: ${describeIoError(e)}. Choose a writable location.`, { cause: e });
  }
  const registryKey = join(await realpath(loc.dir), `${loc.stem}.jsonl`);
  if (openWriters.has(registryKey)) {
    throw new WardenError(
      'ERR_AUDIT_IN_USE',
      `${loc.activePath} is already open for writing in this process; one writer per file keeps the chain gapless. Share that sink, or close it before opening another.`,
    );
  }
  openWriters.add(registryKey);
  let lock: FileLock | null = null;
  let fd = -1;
  const warn = options.onWarning ?? NOOP;
  try {
    lock = await acquireLock(loc, options);
    fd = openOrThrow(loc.activePath);
    const st = fstatSync(fd);
    const rotated = await rotatedFiles(loc.dir, loc.stem);
    const lastRotated = rotated[rotated.length - 1];
    let tail: Recovered = { head: null, torn: null };
    let size = st.size;
    if (st.size > 0) {
      tail = await recoverTail(loc.activePath, fd, warn);
      size = fstatSync(fd).size;
    }
    if (tail.head === null && lastRotated !== undefined) {
      tail = { head: (await recoverTail(lastRotated.path, null, warn)).head, torn: tail.torn };
    }
    const head = tail.head;
    if (head !== null && head.stream !== loc.stream) {
      throw new WardenError(
        'ERR_AUDIT_STREAM_MISMATCH',
        `${loc.activePath} holds stream ${JSON.stringify(head.stream)}, not ${JSON.stringify(loc.stream)}. Pass stream: ${JSON.stringify(head.stream)} or use another file.`,
      );
    }
    const { key: hmacKey, path: secretPath } = await loadHmacKey(options, loc, head !== null, warn);
    // invariant: a file (or secret) created here survives a power loss once a write resolves.
    if (options.fsync !== 'never') syncDirectory(loc.dir);
    return {
      loc,
      fd,
      ino: st.ino,
      dev: st.dev,
      size,
      seq: head?.seq ?? 0,
      hash: head?.hash ?? GENESIS_HASH,
      headIsCheckpoint: head?.type === 'checkpoint',
      nextRotation: (lastRotated?.n ?? 0) + 1,
      hmacKey,
      secretPath,
      signer,
      tornTail: tail.torn,
      lock,
      registryKey,
    };
  } catch (e) {
    openWriters.delete(registryKey);
    if (fd >= 0) closeQuietly(fd, warn);
    await lock?.release().catch(() => undefined);
    throw asWardenError(e, loc.activePath, 'ERR_AUDIT_OPEN');
  }
}

/**
 * Lets go of a log opened by {@link openLog}: releases the lock and the registry entry (the caller
 * has closed the descriptor).
 *
 * @example
 * ```ts
 * closeSync(log.fd); await closeLog(log);
 * ```
 * @throws WardenError `ERR_LOCK` when the lock file cannot be removed.
 */
export async function closeLog(log: Pick<OpenedLog, 'lock' | 'registryKey'>): Promise<void> {
  openWriters.delete(log.registryKey);
  await log.lock.release();
}

/** The lock file of a stream: one per active file, shared by every process writing it. */
export function lockPathOf(loc: LogLocation): string {
  return `${loc.activePath}.lock`;
}

async function acquireLock(loc: LogLocation, options: FileAuditSinkOptions): Promise<FileLock> {
  const path = lockPathOf(loc);
  try {
    return await FileLock.acquire(path, options.lock ?? {});
  } catch (e) {
    if (e instanceof WardenError && e.code === 'ERR_LOCK_TIMEOUT') {
      throw new WardenError(
        'ERR_AUDIT_IN_USE',
        `${loc.activePath} is being written by another process (${e.message}) One writer at a time keeps the chain from forking: give this process its own log, wait for the other to finish, or raise lock.timeoutMs.`,
        { cause: e },
      );
    }
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot take the lock ${path} of ${loc.activePath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function makeSigner(options: FileAuditSinkOptions): Signer {
  const key = toPrivateKey(options.signingKey as KeyInput, 'signingKey');
  return { key, keyId: keyIdOf(key), every: options.checkpointEvery ?? 1000 };
}

function openOrThrow(path: string): number {
  try {
    return openSync(path, 'a+', 0o600);
  } catch (e) {
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot open ${path} for appending: ${describeIoError(e)}. Check the path and its permissions.`, { cause: e });
  }
}

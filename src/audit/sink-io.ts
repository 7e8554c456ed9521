/**
 * The file sink's small I/O helpers: fsync a directory, close without throwing, and describe an
 * I/O error the way an operator can act on (`ENOSPC (disk full)`).
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { WardenError, type WardenErrorCode } from '../errors.js';
import { codeOf, messageOf } from './io.js';
import type { AuditWarning } from './sink-options.js';

/**
 * Fsyncs a directory, so a file created or renamed in it survives a power loss.
 *
 * @example
 * ```ts
 * syncDirectory('.warden/audit');
 * ```
 */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Closes a descriptor; a failure becomes a warning, not an exception.
 *
 * @example
 * ```ts
 * closeQuietly(fd, (w) => console.warn(w.message));
 * ```
 */
export function closeQuietly(fd: number, warn: (w: AuditWarning) => void): void {
  try {
    closeSync(fd);
  } catch (e) {
    warn({ code: 'fsync_failed', message: `Closing a log file descriptor failed: ${describeIoError(e)}.` });
  }
}

/**
 * An I/O error's message with a hint for the common causes.
 *
 * @example
 * ```ts
 * describeIoError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })); // '... (disk full)'
 * ```
 */
export function describeIoError(e: unknown): string {
  const code = codeOf(e);
  const hint =
    code === 'ENOSPC'
      ? ' (disk full)'
      : code === 'EACCES' || code === 'EPERM'
        ? ' (permission denied)'
        : code === 'EISDIR'
          ? ' (a directory is in the way)'
          : code === 'ENOENT'
            ? ' (no such file or directory)'
            : '';
  return `${messageOf(e)}${hint}`;
}

/**
 * `e` as a WardenError: itself when it is one, else one with `code` naming the log.
 *
 * @example
 * ```ts
 * throw asWardenError(e, '/var/log/warden/main.jsonl');
 * ```
 */
export function asWardenError(e: unknown, path: string, code: WardenErrorCode = 'ERR_AUDIT_WRITE'): WardenError {
  if (e instanceof WardenError) return e;
  return new WardenError(code, `Audit log ${path}: ${describeIoError(e)}.`, { cause: e });
}

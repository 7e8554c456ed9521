/**
 * Rotating a stream's active file: fsync it, rename it to the next rotated name, start a new
 * active file. The chain simply continues: the new file's first record links to the old file's
 * last hash.
 */
import { fdatasyncSync, fstatSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { WardenError } from '../errors.js';
import { rotatedFileName, type LogLocation } from './files.js';
import { closeQuietly, describeIoError, syncDirectory } from './sink-io.js';
import type { AuditWarning, FsyncPolicy } from './sink-options.js';

/**
 * What a rotation did: `rotated` (a new active file, whose descriptor the writer now holds),
 * `kept` (the rename failed; still appending to the same file, try again later), or `failed`
 * (renamed but no new file could be started: the writer must stop).
 *
 * @example
 * ```ts
 * if (r.kind === 'rotated') fd = r.fd;
 * ```
 */
export type Rotation = { kind: 'rotated'; fd: number; ino: number; dev: number } | { kind: 'kept' } | { kind: 'failed'; error: WardenError };

/**
 * Renames the active file (open as `fd`) to rotated file number `n` and opens a new active file.
 * `beforeRename` runs first and may throw to refuse (the writer checks the file is still its own).
 * On `rotated` the old descriptor is closed; otherwise it is left open.
 *
 * @example
 * ```ts
 * const r = rotateActiveFile({ loc, fd, n: 3, fsync: 'always', beforeRename: () => undefined, warn });
 * ```
 */
export function rotateActiveFile(args: { loc: LogLocation; fd: number; n: number; fsync: FsyncPolicy; beforeRename: () => void; warn: (w: AuditWarning) => void }): Rotation {
  const { loc, fd, fsync, warn } = args;
  const target = join(loc.dir, rotatedFileName(loc.stem, args.n));
  try {
    if (fsync !== 'never') fdatasyncSync(fd);
    args.beforeRename();
    renameSync(loc.activePath, target);
  } catch (e) {
    warn({ code: 'rotation_failed', message: `Cannot rotate ${loc.activePath} to ${target}: ${describeIoError(e)}. Still appending to ${loc.activePath}.` });
    return { kind: 'kept' };
  }
  let next: number;
  try {
    next = openSync(loc.activePath, 'ax', 0o600);
  } catch (e) {
    // The old descriptor (now the rotated file) stays open until close(); nothing more goes into it.
    return {
      kind: 'failed',
      error: new WardenError('ERR_AUDIT_WRITE', `Rotated ${loc.activePath} to ${target} but cannot start a new file: ${describeIoError(e)}. The sink stops; reopen it (the chain resumes from ${target}).`, { cause: e }),
    };
  }
  const st = fstatSync(next);
  closeQuietly(fd, warn);
  if (fsync !== 'never') {
    try {
      syncDirectory(loc.dir);
    } catch (e) {
      warn({ code: 'rotation_failed', message: `Rotated ${loc.activePath} to ${target}, but syncing the directory failed: ${describeIoError(e)}.` });
    }
  }
  return { kind: 'rotated', fd: next, ino: st.ino, dev: st.dev };
}

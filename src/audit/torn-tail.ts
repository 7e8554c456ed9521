/**
 * Resuming a log after a crash: find its last record by reading backward from the end, and move a
 * torn tail (bytes after the last newline, or one final line that is not a record) aside to
 * `<file>.torn` (or `.torn.N`), byte for byte, before cutting it from the log.
 */
import { closeSync, ftruncateSync, fsyncSync, openSync } from 'node:fs';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { codeOf, MAX_LINE_BYTES, readLinesBackward } from './io.js';
import { parseRecordLine, type AuditRecord } from './record.js';
import { describeIoError } from './sink-io.js';
import type { AuditWarning, TornTail } from './sink-options.js';

/**
 * The last record of a file, and the torn tail moved aside (if any).
 *
 * @example
 * ```ts
 * const { head, torn } = await recoverTail(path, fd, warn);
 * ```
 */
export interface Recovered {
  head: AuditRecord | null;
  torn: TornTail | null;
}

/**
 * Finds the last record of a file (reading backward) and moves a torn tail aside: the bytes after
 * the last newline, and a final complete line that is not JSON (at most one such line).
 * `fd` is the open append descriptor for the active file (null for a rotated file: opened here).
 *
 * @example
 * ```ts
 * const { head } = await recoverTail('.warden/audit/main.jsonl', fd, (w) => console.warn(w.message));
 * ```
 * @throws WardenError `ERR_AUDIT_OPEN` (unreadable, or the tail cannot be saved), `ERR_AUDIT_CORRUPT`
 *   (the last record does not verify, or the last two lines are not records).
 */
export async function recoverTail(path: string, fd: number | null, warn: (w: AuditWarning) => void): Promise<Recovered> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot read ${path}: ${describeIoError(e)}.`, { cause: e });
  }
  let tornFrom: number | null = null;
  let head: AuditRecord | null = null;
  let size: number;
  try {
    size = (await handle.stat()).size;
    let unparsableLines = 0;
    for await (const line of readLinesBackward(handle, size, { maxLineBytes: MAX_LINE_BYTES })) {
      if (!line.terminated) {
        tornFrom = line.offset;
        continue;
      }
      const parsed = line.tooLong ? null : parseRecordLine(line.bytes);
      if (parsed === null || (!parsed.ok && parsed.reason === 'malformed')) {
        // A final complete line that is not a record is moved aside like a torn one; two are not.
        if (unparsableLines > 0) {
          throw new WardenError('ERR_AUDIT_CORRUPT', `The last two lines of ${path} are not records; run \`warden audit verify ${path}\` and move the file aside before writing to it.`);
        }
        unparsableLines += 1;
        tornFrom = line.offset;
        continue;
      }
      if (!parsed.ok) {
        throw new WardenError(
          'ERR_AUDIT_CORRUPT',
          `The last record of ${path} (byte ${line.offset}) does not verify: ${parsed.message}. Appending would extend a broken chain; run \`warden audit verify ${path}\`, then move the file aside.`,
        );
      }
      head = parsed.record;
      break;
    }
  } finally {
    await handle.close();
  }
  if (tornFrom === null) return { head, torn: null };
  const torn = await moveTornTail(path, fd, tornFrom, size);
  warn({
    code: 'torn_tail',
    message: `${path} ended with ${torn.bytes} bytes of an incomplete record (the writer stopped mid-append). They were moved to ${torn.movedTo}; the chain resumes from ${head === null ? 'the start' : `seq ${head.seq}`}.`,
  });
  return { head, torn };
}

async function moveTornTail(path: string, fd: number | null, from: number, size: number): Promise<TornTail> {
  const bytes = size - from;
  const data = Buffer.allocUnsafe(bytes);
  const reader = await open(path, 'r');
  try {
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await reader.read(data, done, bytes - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } finally {
    await reader.close();
  }
  let movedTo: string | null = null;
  for (let n = 0; movedTo === null; n++) {
    const candidate = n === 0 ? `${path}.torn` : `${path}.torn.${n}`;
    try {
      await writeFile(candidate, data, { flag: 'wx', mode: 0o600, flush: true });
      movedTo = candidate;
    } catch (e) {
      if (codeOf(e) !== 'EEXIST' || n >= 10_000) {
        throw new WardenError('ERR_AUDIT_OPEN', `Cannot save the torn tail of ${path} to ${candidate}: ${describeIoError(e)}. Free space or fix permissions, then reopen.`, { cause: e });
      }
    }
  }
  // invariant: the bytes are safely in the .torn file before they leave the log.
  const own = fd ?? openSync(path, 'r+');
  try {
    ftruncateSync(own, from);
    fsyncSync(own);
  } finally {
    if (fd === null) closeSync(own);
  }
  return { file: path, offset: from, bytes, movedTo };
}

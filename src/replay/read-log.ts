/**
 * Streaming audit files into replay: one parsed record per line, or a malformed-line marker.
 *
 * Reading for replay is not verifying: hashes and links are not checked (that is
 * `warden audit verify`), but every line that is not a readable record is passed on as a
 * {@link ReplayMalformedLine}, so replay counts it instead of skipping it.
 */
import { isUtf8 } from 'node:buffer';
import { stat } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { firstDuplicateKey } from '../lib/json-text.js';
import { codeOf, MAX_LINE_BYTES, messageOf, readLineBatches } from '../audit/io.js';
import { replayRecordProblem, type ReplayRecord } from './replay.js';

/**
 * Options of {@link readReplayRecords}.
 *
 * @example
 * ```ts
 * const options: ReadReplayOptions = { onBytes: (n) => console.error(`${n} bytes read`) };
 * ```
 */
export interface ReadReplayOptions {
  /** Called after each chunk with the bytes read so far, across all files. */
  onBytes?: (bytesRead: number) => void;
  /** Longest line accepted; longer lines are malformed. Default 16 MiB. */
  maxLineBytes?: number;
}

/**
 * Reads audit files in the order given and yields each line as a record (decision or checkpoint)
 * or, for a line that is not one (not UTF-8, not JSON, the wrong shape, empty, too long, or a final
 * line cut short), a `{ type: 'malformed', file, line, message }` marker.
 *
 * @example
 * ```ts
 * const report = await replay(readReplayRecords(await listAuditFiles('.warden/audit')), candidate);
 * ```
 * @throws WardenError `ERR_AUDIT_NOT_FOUND` when a file cannot be read.
 */
export async function* readReplayRecords(files: readonly string[], options: ReadReplayOptions = {}): AsyncGenerator<ReplayRecord> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  let before = 0;
  for (const file of files) {
    const size = await fileSize(file);
    let done = 0;
    try {
      for await (const batch of readLineBatches(file, { maxLineBytes })) {
        for (const line of batch) {
          done = line.offset + line.length + (line.terminated ? 1 : 0);
          const parsed = line.tooLong ? `the line is over ${maxLineBytes} bytes` : line.length === 0 ? 'the line is empty' : parseLine(line.bytes);
          if (typeof parsed !== 'string') {
            yield parsed;
            continue;
          }
          const message = line.terminated || line.tooLong ? parsed : `the file ends mid-line (torn or still being written): ${parsed}`;
          yield { type: 'malformed', file, line: line.lineNo, message };
        }
        options.onBytes?.(before + done);
      }
    } catch (e) {
      throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${file}: ${messageOf(e)}.`, { cause: e });
    }
    before += Math.max(size, done);
  }
}

/** The record on a line, or why it is not one. */
function parseLine(bytes: Buffer): ReplayRecord | string {
  if (!isUtf8(bytes)) return 'the line is not valid UTF-8';
  // A line that repeats a key is no record the sink wrote (it writes canonical JSON), and which of
  // the two values a reader keeps is a choice: it is malformed, never re-decided on one of them.
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `the line is not JSON (${messageOf(e)})`;
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) return `the line repeats a key: ${JSON.stringify(duplicate.key)} appears twice in one object (at offset ${duplicate.offset})`;
  // A stored line claiming to be a malformed marker would carry its own file and line: refuse it.
  if ((value as { type?: unknown } | null)?.type === 'malformed') return '`type` is not "decision", "checkpoint" or "outcome"';
  const problem = replayRecordProblem(value);
  return problem ?? (value as ReplayRecord);
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${file}: not a file. Pass audit log files or the log directory.`);
    return info.size;
  } catch (e) {
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${file}: ${codeOf(e) === 'ENOENT' ? 'no such file' : messageOf(e)}. Check the path of the log.`, { cause: e });
  }
}

/**
 * Total size in bytes of `files` (for a progress bar).
 *
 * @example
 * ```ts
 * const total = await totalBytes(files);
 * ```
 * @throws WardenError `ERR_AUDIT_NOT_FOUND` when a file cannot be read.
 */
export async function totalBytes(files: readonly string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += await fileSize(f);
  return n;
}

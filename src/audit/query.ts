/**
 * Reading an audit log: filtered queries (streaming) and `tail`, optionally following a live log
 * across rotations. Reading is not verifying: run {@link verifyAuditLog} to prove the log intact.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { WardenError } from '../errors.js';
import { resolveLogLocation, rotatedFiles, type LogLocation } from './files.js';
import { codeOf, MAX_LINE_BYTES, messageOf, readFully, readLineBatches, readLinesBackward } from './io.js';
import type { AuditDecisionRecord, AuditRecord } from './record.js';

/**
 * Which decisions a query returns; every given field must match.
 *
 * @example
 * ```ts
 * const filter: AuditQueryFilter = { agent: 'coder', effect: 'deny', since: '2025-01-01T00:00:00Z' };
 * ```
 */
export interface AuditQueryFilter {
  /** The authenticated agent id. */
  agent?: string;
  tool?: string;
  effect?: string;
  /** Records at or after this time (ISO-8601 string or Date). */
  since?: string | Date;
  /** Records before this time. */
  until?: string | Date;
}

/**
 * A line that is not a record, met while reading.
 *
 * @example
 * ```ts
 * const onMalformed = (m: MalformedLine) => console.error(`${m.file}:${m.line}: ${m.message}`);
 * ```
 */
export interface MalformedLine {
  file: string;
  /** 1-based line number (0 when not known, e.g. while following). */
  line: number;
  message: string;
}

/**
 * Options shared by the readers.
 *
 * @example
 * ```ts
 * const options: ReadOptions = { onMalformed: (m) => console.error(m.message) };
 * ```
 */
export interface ReadOptions {
  /** Called for each line that is not a record. Without it, such a line throws `ERR_AUDIT_MALFORMED`. */
  onMalformed?: (problem: MalformedLine) => void;
  /** Longest line accepted. Default 16 MiB. */
  maxLineBytes?: number;
}

/**
 * Streams the decision records of a log that match `filter`, in file order. Checkpoint records are
 * skipped. A final line without a newline (a write in progress) is skipped.
 *
 * @example
 * ```ts
 * for await (const r of queryAuditLog(['.warden/audit/main.jsonl'], { effect: 'deny' })) console.log(r.seq, r.request.tool, r.decision.reason);
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS` for an invalid date, `ERR_AUDIT_NOT_FOUND` for a missing
 *   file, `ERR_AUDIT_MALFORMED` for a line that is not a record (unless `onMalformed` is given).
 */
export async function* queryAuditLog(
  files: readonly string[],
  filter: AuditQueryFilter = {},
  options: ReadOptions = {},
): AsyncGenerator<AuditDecisionRecord> {
  const since = timeOf(filter.since, 'since');
  const until = timeOf(filter.until, 'until');
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as string;
    await assertFile(file);
    const lastFile = i === files.length - 1;
    for await (const batch of readLineBatches(file, { maxLineBytes })) {
      for (const line of batch) {
        if (!line.terminated && lastFile) continue;
        const record = line.terminated && !line.tooLong ? recordOf(line.bytes) : null;
        if (record === null) {
          malformed(options, { file, line: line.lineNo, message: line.tooLong ? `line is over ${maxLineBytes} bytes` : !line.terminated ? 'line has no newline' : 'line is not an audit record' });
          continue;
        }
        if (record.type !== 'decision') continue;
        if (filter.agent !== undefined && record.agent?.id !== filter.agent) continue;
        if (filter.tool !== undefined && record.request.tool !== filter.tool) continue;
        if (filter.effect !== undefined && record.decision.effect !== filter.effect) continue;
        if (since !== null || until !== null) {
          const t = Date.parse(record.ts);
          if (Number.isNaN(t) || (since !== null && t < since) || (until !== null && t >= until)) continue;
        }
        yield record;
      }
    }
  }
}

/**
 * Options of {@link tailAuditLog}.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const options: TailOptions = { follow: true, signal: ac.signal };
 * ```
 */
export interface TailOptions extends ReadOptions {
  /** Keep reading as records are appended (across rotations) until `signal` aborts. */
  follow?: boolean;
  /** How many of the last records to yield first. Default 10. */
  lines?: number;
  signal?: AbortSignal;
  /** How often to look for new bytes while following. Default 200 ms. */
  pollMs?: number;
}

/**
 * Yields the last records of a log file, then (with `follow`) every record appended after them.
 * Follows rotation: when the file is renamed away and a new one appears, it reads the rest of the
 * old one and continues with the new. Ends when `signal` aborts.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * for await (const r of tailAuditLog('.warden/audit/main.jsonl', { follow: true, signal: ac.signal })) console.log(r.seq);
 * ```
 * @throws WardenError `ERR_AUDIT_NOT_FOUND` when the file does not exist at the start.
 */
export async function* tailAuditLog(file: string, options: TailOptions = {}): AsyncGenerator<AuditRecord> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const count = Math.max(0, Math.floor(options.lines ?? 10));
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw notFound(file, e);
  }
  try {
    let ino = (await handle.stat()).ino;
    let size = (await handle.stat()).size;
    let pos = size;
    const last: AuditRecord[] = [];
    for await (const line of readLinesBackward(handle, size, { maxLineBytes })) {
      if (!line.terminated) {
        pos = line.offset; // an append in progress: read it once it is complete
        continue;
      }
      if (last.length >= count) break;
      const record = line.tooLong ? null : recordOf(line.bytes);
      if (record === null) malformed(options, { file, line: 0, message: 'line is not an audit record' });
      else last.push(record);
    }
    for (let i = last.length - 1; i >= 0; i--) yield last[i] as AuditRecord;
    if (options.follow !== true) return;

    const pollMs = options.pollMs ?? 200;
    const stream = streamOf(file);
    let partial: Buffer[] = [];
    let partialLen = 0;
    const signal = options.signal;
    const readNew = function* (chunk: Buffer): Generator<AuditRecord> {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl === -1) break;
        const piece = chunk.subarray(start, nl);
        const length = partialLen + piece.length;
        const bytes = partialLen === 0 ? piece : Buffer.concat([...partial, piece], length);
        partial = [];
        partialLen = 0;
        start = nl + 1;
        const record = length > maxLineBytes ? null : recordOf(bytes);
        if (record === null) malformed(options, { file, line: 0, message: 'line is not an audit record' });
        else yield record;
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        if (partialLen + rest.length <= maxLineBytes) partial.push(rest);
        partialLen += rest.length;
      }
    };
    const drain = async function* (h: FileHandle, to: number): AsyncGenerator<AuditRecord> {
      while (pos < to) {
        const n = Math.min(to - pos, 1024 * 1024);
        const chunk = Buffer.allocUnsafe(n);
        await readFully(h, chunk, pos);
        pos += n;
        yield* readNew(chunk);
      }
    };
    while (signal?.aborted !== true) {
      let current: { ino: number; size: number } | null = null;
      try {
        current = await stat(file);
      } catch (e) {
        if (codeOf(e) !== 'ENOENT') throw notFound(file, e);
      }
      if (current !== null && current.ino !== ino) {
        // Rotated: finish the old file, then every file rotated after it (a fast writer can rotate
        // several times between two looks), then start the new active file from its beginning.
        yield* drain(handle, (await handle.stat()).size);
        await handle.close();
        let finished = ino;
        for (;;) {
          const between = await rotatedAfter(stream, finished);
          if (between !== null) {
            handle = await open(between, 'r');
            finished = ino = (await handle.stat()).ino;
            pos = 0;
            partial = [];
            partialLen = 0;
            yield* drain(handle, (await handle.stat()).size);
            await handle.close();
            continue;
          }
          const next = await openIfPresent(file);
          if (next === null) {
            // Between the rename and the new file: look again shortly.
            await sleep(Math.min(pollMs, 20));
            continue;
          }
          handle = next;
          ino = (await handle.stat()).ino;
          // A rotation between the look above and this open would hide a file: look once more.
          if ((await rotatedAfter(stream, finished)) === null) break;
          await handle.close();
        }
        pos = 0;
        partial = [];
        partialLen = 0;
        continue;
      }
      size = (await handle.stat()).size;
      if (size < pos) {
        // Truncated (a torn tail moved aside): the partial line we held is gone with it.
        pos = size;
        partial = [];
        partialLen = 0;
      } else if (size > pos) {
        yield* drain(handle, size);
        continue;
      }
      try {
        await sleep(pollMs, undefined, { signal });
      } catch (e) {
        if (isAborted(signal)) return;
        throw e;
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The stream a followed file belongs to, or null when its name is not an audit log's. */
function streamOf(file: string): LogLocation | null {
  try {
    return resolveLogLocation(file);
  } catch {
    return null;
  }
}

/** The rotated file that follows the one with inode `ino` in its stream, or null. */
async function rotatedAfter(stream: LogLocation | null, ino: number): Promise<string | null> {
  if (stream === null) return null;
  const files = await rotatedFiles(stream.dir, stream.stem);
  // The file just finished is almost always among the last: search from the end.
  for (let i = files.length - 1; i >= 0; i--) {
    let found: number;
    try {
      found = (await stat((files[i] as { path: string }).path)).ino;
    } catch {
      continue;
    }
    if (found === ino) return files[i + 1]?.path ?? null;
  }
  return null;
}

async function openIfPresent(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return null;
    throw notFound(file, e);
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function recordOf(bytes: Buffer): AuditRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || typeof v.ts !== 'string') return null;
  if (v.type === 'checkpoint') return typeof v.checkpoint === 'object' && v.checkpoint !== null ? (value as AuditRecord) : null;
  if (v.type === 'outcome') {
    const o = v.outcome as { status?: unknown } | null;
    return typeof v.call === 'string' && typeof v.tool === 'string' && typeof o === 'object' && o !== null && typeof o.status === 'string' ? (value as AuditRecord) : null;
  }
  if (v.type !== 'decision') return null;
  const request = v.request as { tool?: unknown } | null;
  const decision = v.decision as { effect?: unknown } | null;
  if (typeof request !== 'object' || request === null || typeof request.tool !== 'string') return null;
  if (typeof decision !== 'object' || decision === null || typeof decision.effect !== 'string') return null;
  return value as AuditRecord;
}

function malformed(options: ReadOptions, problem: MalformedLine): void {
  if (options.onMalformed !== undefined) {
    options.onMalformed(problem);
    return;
  }
  throw new WardenError('ERR_AUDIT_MALFORMED', `${problem.file}:${problem.line}: ${problem.message}. Run \`warden audit verify\` on the log to find out what happened.`);
}

function timeOf(value: string | Date | undefined, name: string): number | null {
  if (value === undefined) return null;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(t)) {
    throw new WardenError('ERR_AUDIT_OPTIONS', `--${name} ${JSON.stringify(String(value))} is not a date; use ISO-8601, e.g. 2025-06-01T00:00:00Z.`);
  }
  return t;
}

async function assertFile(file: string): Promise<void> {
  try {
    await stat(file);
  } catch (e) {
    throw notFound(file, e);
  }
}

function notFound(file: string, e: unknown): WardenError {
  return new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${file}: ${codeOf(e) === 'ENOENT' ? 'no such file' : messageOf(e)}. Check the path of the log.`, { cause: e });
}

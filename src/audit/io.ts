/**
 * Streaming line readers over audit files, forward and backward, with a bound on line length.
 *
 * Readers work on bytes (a line is what sits between `\n` bytes) so they can tell a terminated line
 * from a torn tail, report byte offsets, and never hold more than one chunk plus one line in memory.
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * One line of a file, without its newline.
 *
 * @example
 * ```ts
 * const text = (line: FileLine) => (line.tooLong ? null : line.bytes.toString('utf8'));
 * ```
 */
export interface FileLine {
  /** 1-based line number (forward reads only; 0 when reading backward). */
  lineNo: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line's bytes; empty when `tooLong`. Valid until the next read (views into read chunks). */
  bytes: Buffer;
  /** Byte length of the line (also when `tooLong`). */
  length: number;
  /** True when a `\n` follows the line; false for a final line without one (torn or in progress). */
  terminated: boolean;
  /** True when the line is longer than the reader's `maxLineBytes` (its bytes are dropped). */
  tooLong: boolean;
}

/** Upper bound on a line any reader accepts by default; also the cap on a sink's maxRecordBytes. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * Reads a file forward, yielding its lines in batches (one batch per read chunk, to keep the
 * per-line overhead of async iteration low). Memory: one chunk plus at most `maxLineBytes`.
 *
 * @example
 * ```ts
 * for await (const lines of readLineBatches('audit.jsonl', { maxLineBytes: 1 << 20 })) for (const l of lines) console.log(l.lineNo);
 * ```
 */
export async function* readLineBatches(
  file: string,
  options: { maxLineBytes: number; start?: number; chunkBytes?: number },
): AsyncGenerator<FileLine[]> {
  const start = options.start ?? 0;
  const max = options.maxLineBytes;
  const stream = createReadStream(file, { start, highWaterMark: options.chunkBytes ?? 1024 * 1024 });
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let lineNo = 0;
  let offset = start;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const out: FileLine[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const piece = chunk.subarray(pos, nl === -1 ? chunk.length : nl);
      if (nl === -1) {
        if (pendingLen + piece.length <= max) pending.push(piece);
        else pending = [];
        pendingLen += piece.length;
        break;
      }
      const length = pendingLen + piece.length;
      const tooLong = length > max;
      const bytes = tooLong ? EMPTY : pendingLen === 0 ? piece : Buffer.concat([...pending, piece], length);
      out.push({ lineNo: ++lineNo, offset, bytes, length, terminated: true, tooLong });
      offset += length + 1;
      pending = [];
      pendingLen = 0;
      pos = nl + 1;
    }
    if (out.length > 0) yield out;
  }
  if (pendingLen > 0) {
    const tooLong = pendingLen > max;
    const bytes = tooLong ? EMPTY : Buffer.concat(pending, pendingLen);
    yield [{ lineNo: lineNo + 1, offset, bytes, length: pendingLen, terminated: false, tooLong }];
  }
}

/**
 * Reads an open file backward from `end`, yielding lines last first: first the unterminated tail
 * (if any bytes follow the last `\n`), then each complete line. Used to find a log's head without
 * reading the whole file.
 *
 * @example
 * ```ts
 * for await (const line of readLinesBackward(handle, size, { maxLineBytes: 1 << 20 })) { if (line.terminated) break; }
 * ```
 */
export async function* readLinesBackward(
  handle: FileHandle,
  end: number,
  options: { maxLineBytes: number; chunkBytes?: number },
): AsyncGenerator<FileLine> {
  const max = options.maxLineBytes;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  let pos = end;
  let terminated = false;
  let parts: Buffer[] = [];
  let partsLen = 0;
  const take = (piece: Buffer): void => {
    if (partsLen + piece.length <= max) parts.unshift(piece);
    else parts = [];
    partsLen += piece.length;
  };
  const emit = (offset: number): FileLine => {
    const tooLong = partsLen > max;
    const bytes = tooLong ? EMPTY : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, partsLen);
    return { lineNo: 0, offset, bytes, length: partsLen, terminated, tooLong };
  };
  while (pos > 0) {
    const size = Math.min(chunkBytes, pos);
    const start = pos - size;
    const buf = Buffer.allocUnsafe(size);
    await readFully(handle, buf, start);
    let i = size;
    for (;;) {
      const nl = i > 0 ? buf.lastIndexOf(10, i - 1) : -1;
      if (nl === -1) {
        if (i > 0) take(buf.subarray(0, i));
        break;
      }
      take(buf.subarray(nl + 1, i));
      if (terminated || partsLen > 0) yield emit(start + nl + 1);
      parts = [];
      partsLen = 0;
      terminated = true;
      i = nl;
    }
    pos = start;
  }
  if (terminated || partsLen > 0) yield emit(0);
}

/**
 * Reads exactly `buf.length` bytes at `position` (files can return short reads).
 *
 * @example
 * ```ts
 * const buf = Buffer.alloc(16); await readFully(handle, buf, 0);
 * ```
 */
export async function readFully(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/**
 * The message of an unknown thrown value.
 *
 * @example
 * ```ts
 * try { await op(); } catch (e) { console.error(messageOf(e)); }
 * ```
 */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The errno-style code of an unknown thrown value (`ENOENT`, ...), or undefined.
 *
 * @example
 * ```ts
 * try { await stat(p); } catch (e) { if (codeOf(e) !== 'ENOENT') throw e; }
 * ```
 */
export function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Refusing MCP messages whose JSON repeats a key, at the gateway's transports.
 *
 * The MCP SDK's transports parse each message with JSON.parse, which keeps the last of two equal
 * keys; an upstream server (or anything between) may keep the first. A `tools/call` whose
 * arguments carry `"path"` twice would then be decided on one path and run on the other. The
 * parsed message an SDK transport hands on no longer shows the repeat, so the check has to see the
 * raw text: the stdio transport here reads the lines itself, and the HTTP listener reads the body
 * itself and hands the SDK the parsed value (its `parsedBody` parameter).
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { mcpTypes } from './sdk.js';
import { firstDuplicateKey } from '../../lib/json-text.js';

/** JSON-RPC "Invalid Request". */
export const INVALID_REQUEST = -32600;

/**
 * Why a message is refused because its text repeats a key, with the JSON-RPC error to answer it
 * with; null when its keys are unique. `value` is `JSON.parse(text)` (the text is valid JSON).
 *
 * @example
 * ```ts
 * const text = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"rm","arguments":{"p":"a","p":"/"}}}';
 * duplicateKeyRefusal(text, JSON.parse(text));
 * // { id: 7, error: { code: -32600, message: 'Invalid Request: the key "p" appears twice in one object (at offset 82); ...' } }
 * ```
 */
export function duplicateKeyRefusal(text: string, value: unknown): { id: string | number | null; error: { code: number; message: string } } | null {
  const duplicate = firstDuplicateKey(text);
  if (duplicate === null) return null;
  const message = `Invalid Request: the key ${JSON.stringify(duplicate.key)} appears twice in one object (at offset ${duplicate.offset}); Warden refuses JSON whose objects repeat a key, since the server could read the other value than the one decided.`;
  // The id itself is ambiguous when it is the repeated key: JSON-RPC then answers with null.
  const raw = duplicate.key === 'id' || Array.isArray(value) ? undefined : (value as { id?: unknown } | null)?.id;
  const id = typeof raw === 'string' || typeof raw === 'number' ? raw : null;
  return { id, error: { code: INVALID_REQUEST, message } };
}

/** Largest line buffered, as the SDK's own stdio transport. */
const DEFAULT_MAX_BUFFER = 10 * 1024 * 1024;
/** JSON-RPC "Parse error". */
export const PARSE_ERROR = -32700;
/** Most bytes waiting to be written to standard output before notifications are dropped and input is paused. */
const DEFAULT_MAX_PENDING_OUTPUT = 8 * 1024 * 1024;
/** Where a request's id is found in a line too long to parse: the SDK and most clients write it last. */
const TRAILING_ID = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,256}")\s*\}\s*$/;

/**
 * The gateway's stdio server transport: the SDK's newline-delimited JSON-RPC over standard
 * input and output, except that a message whose text repeats a key is never handed on. A request
 * (it has an id) is answered with JSON-RPC error -32600; a notification is dropped; both are
 * reported through `onerror`.
 *
 * Unlike the SDK's transport, every line that is not a message gets a JSON-RPC answer, so no
 * client waits forever: text that is not JSON gets -32700 (id null); JSON that is not a JSON-RPC
 * message, and a batch (MCP has none since 2025-06-18), get -32600 (under each id that can be
 * read); a line over `maxBufferSize` is skipped to its end and answered with -32600 under the id
 * it ends with, and the transport keeps reading. Output is bounded too: while more than
 * `maxPendingOutput` bytes wait to be written, input is paused and notifications are dropped.
 *
 * @example
 * ```ts
 * await gateway.connect(new StrictStdioServerTransport(), 'stdio');
 * ```
 */
export class StrictStdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #stdin: Readable;
  readonly #stdout: Writable;
  readonly #maxBuffer: number;
  readonly #maxPending: number;
  #buffer: Buffer | undefined;
  /** Inside a line over the limit: its last bytes (for its id), until its newline. */
  #skipping: Buffer | null = null;
  #started = false;
  #dropped = 0;
  #drained: Promise<void> | null = null;

  constructor(stdin: Readable = process.stdin, stdout: Writable = process.stdout, options: { maxBufferSize?: number; maxPendingOutput?: number } = {}) {
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#maxBuffer = options.maxBufferSize ?? DEFAULT_MAX_BUFFER;
    this.#maxPending = options.maxPendingOutput ?? DEFAULT_MAX_PENDING_OUTPUT;
  }

  /** Notifications dropped because the client did not read its output. */
  get droppedNotifications(): number {
    return this.#dropped;
  }

  /** Starts reading standard input. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('StrictStdioServerTransport already started.');
    // The SDK's schemas load now (not at import): without them no message is read.
    mcpTypes();
    this.#started = true;
    this.#stdin.on('data', this.#onData);
    this.#stdin.on('error', this.#onError);
  }

  /**
   * Sends one message as a line. While the client leaves more than `maxPendingOutput` bytes
   * unread, notifications are dropped (counted) and reading pauses until the output drains.
   */
  send(message: JSONRPCMessage): Promise<void> {
    const backlog = this.#stdout.writableLength;
    if (backlog > this.#maxPending && !('id' in message)) {
      // invariant: memory stays bounded when a client stops reading; answers are never dropped.
      if (this.#dropped++ === 0) this.onerror?.(new Error(`The client is not reading (${backlog} bytes unread); notifications are dropped until it does.`));
      return Promise.resolve();
    }
    if (this.#stdout.write(`${JSON.stringify(message)}\n`)) return Promise.resolve();
    if (this.#stdout.writableLength > this.#maxPending) this.#stdin.pause();
    // One listener for every writer waiting on the same drain (not one each).
    this.#drained ??= new Promise<void>((resolve) => {
      this.#stdout.once('drain', () => {
        this.#drained = null;
        if (this.#stdin.isPaused() && this.#stdin.listenerCount('data') > 0) this.#stdin.resume();
        resolve();
      });
    });
    return this.#drained;
  }

  /** Stops reading (pausing standard input when nothing else reads it). */
  async close(): Promise<void> {
    this.#stdin.off('data', this.#onData);
    this.#stdin.off('error', this.#onError);
    if (this.#stdin.listenerCount('data') === 0) this.#stdin.pause();
    this.#buffer = undefined;
    this.onclose?.();
  }

  readonly #onError = (error: Error): void => {
    this.onerror?.(error);
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#skipping !== null) {
      const nl = chunk.indexOf(10);
      this.#skipping = Buffer.concat([this.#skipping, nl === -1 ? chunk : chunk.subarray(0, nl)]).subarray(-512);
      if (nl === -1) return;
      this.#oversized(this.#skipping.toString('utf8'));
      this.#skipping = null;
      chunk = chunk.subarray(nl + 1);
    }
    const size = (this.#buffer?.length ?? 0) + chunk.length;
    if (size > this.#maxBuffer) {
      const joined = this.#buffer ? Buffer.concat([this.#buffer, chunk]) : chunk;
      const nl = joined.indexOf(10);
      if (nl !== -1 && nl <= this.#maxBuffer) {
        // The first line fits: handle it, then the rest as a new chunk.
        this.#buffer = undefined;
        this.#line(joined.toString('utf8', 0, nl).replace(/\r$/, ''));
        this.#onData(joined.subarray(nl + 1));
        return;
      }
      this.#buffer = undefined;
      if (nl === -1) {
        this.#skipping = joined.subarray(-512);
        return;
      }
      this.#oversized(joined.toString('utf8', Math.max(0, nl - 512), nl));
      this.#onData(joined.subarray(nl + 1));
      return;
    }
    this.#buffer = this.#buffer ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      const buffer: Buffer | undefined = this.#buffer;
      if (buffer === undefined) return;
      const nl = buffer.indexOf(10);
      if (nl === -1) return;
      const line = buffer.toString('utf8', 0, nl).replace(/\r$/, '');
      this.#buffer = buffer.subarray(nl + 1);
      this.#line(line);
    }
  };

  /** A line over the limit, skipped: answered under the id it ends with (or null). */
  #oversized(tail: string): void {
    const m = TRAILING_ID.exec(tail.replace(/\r$/, ''));
    let id: string | number | null = null;
    if (m) {
      try {
        id = JSON.parse(m[1] as string) as string | number;
      } catch {
        id = null;
      }
    }
    const message = `Invalid Request: the message is over ${this.#maxBuffer} bytes, the gateway's limit; it was not read.`;
    this.onerror?.(new Error(message));
    this.#answer(id, INVALID_REQUEST, message);
  }

  #answer(id: string | number | null, code: number, message: string): void {
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }

  #line(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
      this.#answer(null, PARSE_ERROR, 'Parse error: the line is not JSON.');
      return;
    }
    if (Array.isArray(value)) {
      const message = 'Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18); send each message on its own line.';
      this.onerror?.(new Error(message));
      const ids = value.map((v) => (v !== null && typeof v === 'object' ? (v as { id?: unknown }).id : undefined)).filter((id): id is string | number => typeof id === 'string' || typeof id === 'number');
      if (ids.length === 0) this.#answer(null, INVALID_REQUEST, message);
      for (const id of ids.slice(0, 1000)) this.#answer(id, INVALID_REQUEST, message);
      return;
    }
    const refusal = duplicateKeyRefusal(line, value);
    if (refusal !== null) {
      this.onerror?.(new Error(refusal.error.message));
      // A notification (no id) gets no answer; a request gets the error, under its id when that is clear.
      if (value !== null && typeof value === 'object' && 'id' in value) void this.send({ jsonrpc: '2.0', id: refusal.id, error: refusal.error } as JSONRPCMessage);
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = mcpTypes().JSONRPCMessageSchema.parse(value);
    } catch (e) {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
      const raw = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
      // A response the client sends (result or error) that does not parse needs no answer; anything else does.
      const isResponse = value !== null && typeof value === 'object' && ('result' in value || 'error' in value) && !('method' in value);
      if (!isResponse) this.#answer(typeof raw === 'string' || typeof raw === 'number' ? raw : null, INVALID_REQUEST, 'Invalid Request: the message is not a JSON-RPC 2.0 request, notification or response.');
      return;
    }
    this.onmessage?.(message);
  }
}

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
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
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

/**
 * The gateway's stdio server transport: the SDK's newline-delimited JSON-RPC over standard
 * input and output, except that a message whose text repeats a key is never handed on. A request
 * (it has an id) is answered with JSON-RPC error -32600; a notification is dropped; both are
 * reported through `onerror`.
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
  #buffer: Buffer | undefined;
  #started = false;

  constructor(stdin: Readable = process.stdin, stdout: Writable = process.stdout, options: { maxBufferSize?: number } = {}) {
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#maxBuffer = options.maxBufferSize ?? DEFAULT_MAX_BUFFER;
  }

  /** Starts reading standard input. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('StrictStdioServerTransport already started.');
    this.#started = true;
    this.#stdin.on('data', this.#onData);
    this.#stdin.on('error', this.#onError);
  }

  /** Sends one message as a line. */
  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stdout.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.#stdout.once('drain', resolve);
    });
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
    const size = (this.#buffer?.length ?? 0) + chunk.length;
    if (size > this.#maxBuffer) {
      this.#buffer = undefined;
      this.onerror?.(new Error(`A message on standard input is over ${this.#maxBuffer} bytes; closing.`));
      void this.close().catch(() => undefined);
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

  #line(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      // As the SDK's own transport: reported, not answered.
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
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
      message = JSONRPCMessageSchema.parse(value);
    } catch (e) {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.onmessage?.(message);
  }
}

/**
 * The gateway's stdio transport under fault: every line that is not a message is answered (no
 * client waits forever), a line over the size limit is skipped and answered while the transport
 * keeps reading, and output stays bounded when the client stops reading.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { INVALID_REQUEST, PARSE_ERROR, StrictStdioServerTransport } from '../../../src/integrations/mcp/strict-json.js';

interface Harness {
  stdin: PassThrough;
  transport: StrictStdioServerTransport;
  messages: JSONRPCMessage[];
  replies: Array<{ id: unknown; error?: { code: number; message: string } }>;
  /** Resolves once `n` replies have been written. */
  replied(n: number): Promise<void>;
  /** Resolves once `n` messages have been handed on. */
  received(n: number): Promise<void>;
}

async function harness(maxBufferSize = 1024): Promise<Harness> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new StrictStdioServerTransport(stdin, stdout, { maxBufferSize });
  const messages: JSONRPCMessage[] = [];
  const replies: Harness['replies'] = [];
  const waiters: Array<() => void> = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  let partial = '';
  stdout.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) replies.push(JSON.parse(l) as Harness['replies'][number]);
    wake();
  });
  transport.onmessage = (m) => {
    messages.push(m);
    wake();
  };
  transport.onerror = () => undefined;
  await transport.start();
  const until = (ok: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => (ok() ? resolve() : void waiters.push(check));
      check();
    });
  return { stdin, transport, messages, replies, replied: (n) => until(() => replies.length >= n), received: (n) => until(() => messages.length >= n) };
}

const ping = (id: number): string => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' })}\n`;

describe('StrictStdioServerTransport answers what it cannot hand on', () => {
  const answered: Array<[string, string, Array<{ id: unknown; code: number }>]> = [
    ['text that is not JSON', 'not json at all', [{ id: null, code: PARSE_ERROR }]],
    ['a truncated JSON object', '{"jsonrpc":"2.0","id":3,"method":"pi', [{ id: null, code: PARSE_ERROR }]],
    ['a batch of two requests', '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":"b","method":"ping"}]', [{ id: 1, code: INVALID_REQUEST }, { id: 'b', code: INVALID_REQUEST }]],
    ['an empty batch', '[]', [{ id: null, code: INVALID_REQUEST }]],
    ['a request without jsonrpc', '{"id":4,"method":"ping"}', [{ id: 4, code: INVALID_REQUEST }]],
    ['a request whose method is a number', '{"jsonrpc":"2.0","id":5,"method":5}', [{ id: 5, code: INVALID_REQUEST }]],
    ['a JSON number', '42', [{ id: null, code: INVALID_REQUEST }]],
    ['JSON null', 'null', [{ id: null, code: INVALID_REQUEST }]],
    ['an object id (not a valid id)', '{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}', [{ id: null, code: INVALID_REQUEST }]],
  ];
  it.each(answered)('answers %s, then keeps serving', async (_label, line, expected) => {
    const h = await harness();
    h.stdin.write(`${line}\n`);
    await h.replied(expected.length);
    expect(h.replies.map((r) => ({ id: r.id, code: r.error?.code }))).toEqual(expected);
    h.stdin.write(ping(99));
    await h.received(1);
    expect(h.messages).toEqual([{ jsonrpc: '2.0', id: 99, method: 'ping' }]);
  });

  it('does not answer a malformed response from the client (answering a response would loop)', async () => {
    const h = await harness();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"result":"not an object"}\n');
    h.stdin.write(ping(2));
    await h.received(1);
    expect(h.replies).toEqual([]);
  });

  it('skips a line over the limit, answers it under the id it ends with, and reads the next message', async () => {
    const h = await harness(1024);
    const huge = JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'x', arguments: { blob: 'a'.repeat(5000) } }, id: 42 });
    // In pieces, as a pipe delivers a large write.
    for (let i = 0; i < huge.length; i += 700) h.stdin.write(huge.slice(i, i + 700));
    h.stdin.write('\n');
    h.stdin.write(ping(43));
    await h.replied(1);
    await h.received(1);
    expect(h.replies[0]).toMatchObject({ id: 42, error: { code: INVALID_REQUEST, message: expect.stringContaining('over 1024 bytes') } });
    expect(h.messages).toEqual([{ jsonrpc: '2.0', id: 43, method: 'ping' }]);
  });

  it('answers an oversized line whose id cannot be read with id null', async () => {
    const h = await harness(1024);
    h.stdin.write(`${'x'.repeat(3000)}\n${ping(7)}`);
    await h.replied(1);
    await h.received(1);
    expect(h.replies[0]).toMatchObject({ id: null, error: { code: INVALID_REQUEST } });
    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([7]);
  });

  it('handles a message that fits right after one that does not, in the same chunk', async () => {
    const h = await harness(1024);
    h.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'ping', params: { pad: 'p'.repeat(2000) }, id: 'big' })}\n${ping(8)}${ping(9)}`);
    await h.received(2);
    await h.replied(1);
    expect(h.replies[0]?.id).toBe('big');
    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([8, 9]);
  });
});

describe('StrictStdioServerTransport bounds its output', () => {
  it('drops notifications while a client leaves output unread, but still writes answers', async () => {
    const stdin = new PassThrough();
    // A client that never reads: writes are held, never consumed.
    const held: Array<() => void> = [];
    const stdout = new Writable({ highWaterMark: 1024, write: (_chunk: Buffer, _enc, done) => void held.push(done) });
    const transport = new StrictStdioServerTransport(stdin, stdout, { maxPendingOutput: 4096 });
    transport.onerror = () => undefined;
    await transport.start();
    const note = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'n'.repeat(500) } } as JSONRPCMessage;
    for (let i = 0; i < 200; i++) void transport.send(note);
    expect(transport.droppedNotifications).toBeGreaterThan(150);
    expect(stdout.writableLength).toBeLessThan(4096 + 1024);
    const before = stdout.writableLength;
    void transport.send({ jsonrpc: '2.0', id: 1, result: {} } as JSONRPCMessage);
    expect(stdout.writableLength).toBeGreaterThan(before);
    expect(stdin.isPaused()).toBe(true);
    // Every waiting writer shares one drain listener.
    expect(stdout.listenerCount('drain')).toBe(1);
    // The client reads again: once the output drains, input is read again.
    const drained = new Promise<void>((resolve) => stdout.once('drain', () => resolve()));
    while (held.length > 0) (held.shift() as () => void)();
    await drained;
    expect(stdin.isPaused()).toBe(false);
  });
});

/**
 * An MCP message whose JSON repeats a key never reaches the gateway's decision or the server:
 * over stdio (StrictStdioServerTransport) and over Streamable HTTP (the listener reads the body),
 * in front of the real filesystem server.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { McpGateway } from '../../../src/integrations/mcp/gateway.js';
import { listenStreamableHttp, type HttpListener } from '../../../src/integrations/mcp/http-listener.js';
import { LOCK_FILE_NAME } from '../../../src/integrations/mcp/lock-file.js';
import { duplicateKeyRefusal, INVALID_REQUEST, StrictStdioServerTransport } from '../../../src/integrations/mcp/strict-json.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { EventLog } from '../../helpers/events.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FS_SERVER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');

const call = (args: string, id: unknown = 7): string => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"write_file","arguments":${args}}}`;

describe('duplicateKeyRefusal', () => {
  const refused: Array<[string, string, string, string | number | null]> = [
    ['a path given twice in the arguments', call('{"path":"/ws/a.txt","content":"x","path":"/etc/passwd"}'), 'path', 7],
    ['the tool name given twice', '{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"read_file","name":"write_file","arguments":{}}}', 'name', 'a'],
    ['the method given twice', '{"jsonrpc":"2.0","id":3,"method":"tools/list","method":"tools/call","params":{"name":"x"}}', 'method', 3],
    ['the id given twice (answered with id null)', '{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/list"}', 'id', null],
    ['a repeat spelled with an escape', call('{"path":"/ws/a","\\u0070ath":"/etc/x"}'), 'path', 7],
    ['a repeat deep in nested arguments', call('{"opts":{"mode":"r","mode":"w"}}'), 'mode', 7],
    ['a repeat in _meta', '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":1,"progressToken":2}}}', 'progressToken', 9],
    ['a repeat of __proto__', call('{"__proto__":{"a":1},"__proto__":{"a":2}}'), '__proto__', 7],
  ];
  it.each(refused)('refuses %s with -32600, naming the key', (_name, text, key, id) => {
    const r = duplicateKeyRefusal(text, JSON.parse(text));
    expect(r).toMatchObject({ id, error: { code: INVALID_REQUEST } });
    expect(r?.error.message).toContain(`the key ${JSON.stringify(key)} appears twice`);
  });

  const accepted: Array<[string, string]> = [
    ['a plain call', call('{"path":"/ws/a.txt","content":"x"}')],
    ['equal keys in sibling objects', call('{"a":{"k":1},"b":{"k":2}}')],
    ['a value that spells a repeated key', call('{"content":"{\\"path\\":1,\\"path\\":2}"}')],
    ['keys that differ only by case', call('{"path":"a","Path":"b"}')],
    ['an array of objects with the same keys', call('{"items":[{"k":1},{"k":2}]}')],
    ['a notification', '{"jsonrpc":"2.0","method":"notifications/initialized"}'],
  ];
  it.each(accepted)('accepts %s', (_name, text) => {
    expect(duplicateKeyRefusal(text, JSON.parse(text))).toBeNull();
  });
});

const temps: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

let root = '';
let ws = '';
let gateway: McpGateway;
const sink = new MemorySink();

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-strict-')));
  temps.push(root);
  ws = join(root, 'ws');
  mkdirSync(ws);
  writeFileSync(join(ws, 'notes.txt'), 'hello');
  const policy = `apiVersion: warden/v1
kind: Policy
name: fs
facets:
  - tools: [write_file, read_text_file]
    path: { from: args.path, root: ${JSON.stringify(ws)} }
rules:
  - name: stay-in-workspace
    tools: [write_file, read_text_file]
    when: "!path.parsed || !path.insideRoot"
    effect: deny
  - name: files
    tools: [write_file, read_text_file]
    effect: allow
`;
  gateway = await McpGateway.start({
    upstream: { transport: 'stdio', command: process.execPath, args: [FS_SERVER, root] },
    policy: compilePolicy([{ name: 'fs.yaml', text: policy }]),
    sink,
    lockFile: join(root, LOCK_FILE_NAME),
    log: () => undefined,
    upstreamStderr: 'ignore',
  });
  closers.push(() => gateway.close());
}, 60_000);

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

describe('over stdio (StrictStdioServerTransport)', () => {
  it('answers a tools/call that names its path twice with -32600; the server never sees it and nothing is decided', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const replies = new EventLog<{ id?: unknown; result?: unknown; error?: { code: number; message: string } }>();
    let partial = '';
    stdout.setEncoding('utf8').on('data', (d: string) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) replies.push(JSON.parse(l) as never);
    });
    const errors: Error[] = [];
    const transport = new StrictStdioServerTransport(stdin, stdout);
    const server = await gateway.connect(transport, 'stdio');
    transport.onerror = ((previous) => (e: Error) => {
      errors.push(e);
      previous?.(e);
    })(transport.onerror);
    closers.push(() => server.close());
    stdin.write(`${INIT}\n${INITIALIZED}\n`);
    await replies.next((r) => r.id === 1);
    const before = sink.events.length;
    const target = join(ws, 'twice.txt');
    stdin.write(`${call(`{"path":${JSON.stringify(target)},"content":"x","path":"/etc/warden-should-not-exist"}`, 2)}\n`);
    const refused = await replies.next((r) => r.id === 2);
    expect(refused.error).toMatchObject({ code: -32600, message: expect.stringContaining('the key "path" appears twice') });
    expect(existsSync(target)).toBe(false);
    expect(sink.events.length).toBe(before);
    expect(errors.map((e) => e.message).join('\n')).toContain('appears twice');
    // The same call with the key once goes through the decision as usual.
    stdin.write(`${call(`{"path":${JSON.stringify(target)},"content":"x"}`, 3)}\n`);
    const ok = await replies.next((r) => r.id === 3);
    expect(ok.error).toBeUndefined();
    expect(existsSync(target)).toBe(true);
    expect(sink.events.at(-1)?.request.tool).toBe('write_file');
  }, 30_000);

  it('drops a notification that repeats a key (no answer) and keeps serving', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const replies = new EventLog<{ id?: unknown; error?: unknown }>();
    stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const l of d.split('\n')) if (l !== '') replies.push(JSON.parse(l) as never);
    });
    const server = await gateway.connect(new StrictStdioServerTransport(stdin, stdout), 'stdio');
    closers.push(() => server.close());
    stdin.write(`${INIT}\n{"jsonrpc":"2.0","method":"notifications/initialized","method":"notifications/cancelled"}\n${INITIALIZED}\n`);
    await replies.next((r) => r.id === 1);
    stdin.write('{"jsonrpc":"2.0","id":4,"method":"tools/list"}\n');
    await replies.next((r) => r.id === 4);
    expect(replies.events.map((r) => r.id)).toEqual([1, 4]);
  }, 30_000);
});

function post(port: number, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent: false, host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('over Streamable HTTP (the listener reads the body)', () => {
  let listener: HttpListener;
  beforeAll(async () => {
    listener = await listenStreamableHttp(gateway, { host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024 });
    closers.push(() => listener.close());
  });

  it('refuses an initialize whose JSON repeats a key (400, -32600) and opens no session', async () => {
    const open = listener.sessionCount();
    const r = await post(listener.port, INIT.replace('"method":"initialize"', '"method":"initialize","method":"initialize"'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: -32600, message: expect.stringContaining('the key "method" appears twice') } });
    expect(listener.sessionCount()).toBe(open);
  });

  it('refuses a tools/call in a session whose arguments repeat a key; the same call once goes through', async () => {
    const init = await post(listener.port, INIT);
    expect(init.status).toBe(200);
    const session = init.headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    expect((await post(listener.port, INITIALIZED, headers)).status).toBe(202);
    const target = join(ws, 'http-twice.txt');
    const before = sink.events.length;
    const refused = await post(listener.port, call(`{"path":${JSON.stringify(target)},"content":"x","path":"/etc/warden-should-not-exist"}`, 'w1'), headers);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ id: 'w1', error: { code: -32600 } });
    expect(existsSync(target)).toBe(false);
    expect(sink.events.length).toBe(before);
    const ok = await post(listener.port, call(`{"path":${JSON.stringify(target)},"content":"x"}`, 'w2'), headers);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"id":"w2"');
    expect(existsSync(target)).toBe(true);
  }, 30_000);

  it('answers a body that is not JSON with -32700, and one over maxBodyBytes with 413', async () => {
    const bad = await post(listener.port, '{"jsonrpc":');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: -32700 } });
    const big = await post(listener.port, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(70 * 1024) } }));
    expect(big.status).toBe(413);
  });
});

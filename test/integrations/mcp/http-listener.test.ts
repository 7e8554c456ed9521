/**
 * The gateway over Streamable HTTP, with the SDK's own StreamableHTTPClientTransport, in front of
 * the real filesystem server; and the gateway with a Streamable HTTP upstream.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { McpGateway } from '../../../src/integrations/mcp/gateway.js';
import { isLoopbackHost, listenStreamableHttp, parseListenAddress, type HttpListener } from '../../../src/integrations/mcp/http-listener.js';
import { LOCK_FILE_NAME } from '../../../src/integrations/mcp/lock-file.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FS_SERVER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');

describe('parseListenAddress', () => {
  const good: Array<[string, { host: string; port: number; loopback: boolean }]> = [
    ['127.0.0.1:8931', { host: '127.0.0.1', port: 8931, loopback: true }],
    ['localhost:0', { host: 'localhost', port: 0, loopback: true }],
    ['[::1]:8931', { host: '::1', port: 8931, loopback: true }],
    ['8931', { host: '127.0.0.1', port: 8931, loopback: true }],
    ['127.8.9.10:1', { host: '127.8.9.10', port: 1, loopback: true }],
    ['0.0.0.0:8931', { host: '0.0.0.0', port: 8931, loopback: false }],
    ['[::]:8931', { host: '::', port: 8931, loopback: false }],
    ['192.168.1.5:8931', { host: '192.168.1.5', port: 8931, loopback: false }],
    ['example.com:8931', { host: 'example.com', port: 8931, loopback: false }],
    ['[::ffff:127.0.0.1]:8931', { host: '::ffff:127.0.0.1', port: 8931, loopback: true }],
  ];
  it.each(good)('parses %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  const bad: Array<[string, string]> = [
    ['127.0.0.1:', 'the port is not a number'],
    [':8931', 'the host is empty'],
    ['127.0.0.1:99999', 'the port is over 65535'],
    ['127.0.0.1:80a', 'the port is not a number'],
    ['::1:8931', 'put an IPv6 address in brackets'],
    ['127.0.0.1:-1', 'the port is not a number'],
  ];
  it.each(bad)('rejects %s', (text, why) => {
    expect(() => parseListenAddress(text)).toThrow(why);
  });
});

describe('isLoopbackHost', () => {
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['0x7f000001', false],
    ['127.1', false],
  ];
  it.each(cases)('%s is loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

const temps: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function policyFor(ws: string): string {
  return `apiVersion: warden/v1
kind: Policy
name: fs
facets:
  - tools: [read_text_file, write_file]
    path: { from: args.path, root: ${JSON.stringify(ws)} }
  - tools: [move_file]
    path: { from: args.destination, root: ${JSON.stringify(ws)} }
rules:
  - name: writes-stay-in-workspace
    tools: [write_file]
    when: "!path.parsed || !path.insideRoot"
    effect: deny
    reason: Writes stay inside the workspace
  - name: reads
    tools: ["read_*", list_allowed_directories]
    effect: allow
  - name: writes
    tools: [write_file]
    effect: allow
  - name: moves
    tools: [move_file]
    effect: require_approval
    approvers: [operator]
`;
}

async function httpClient(url: string, elicit = false): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'http-ide', version: '9' }, { capabilities: elicit ? { elicitation: {} } : {} });
  if (elicit) client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { approve: true } }));
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, transport };
}

async function text(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text?: string }> };
  return { isError: r.isError === true, text: r.content.map((c) => c.text ?? '').join('') };
}

function raw(port: number, options: { path?: string; method?: string; headers?: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent: false, host: '127.0.0.1', port, path: options.path ?? '/mcp', method: options.method ?? 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...options.headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
  });
}

describe('the gateway over Streamable HTTP', () => {
  let root = '';
  let ws = '';
  let gateway: McpGateway;
  let sink: MemorySink;
  let listener: HttpListener;

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-http-')));
    temps.push(root);
    ws = join(root, 'ws');
    mkdirSync(ws);
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(ws, 'notes.txt'), 'over http');
    sink = new MemorySink();
    gateway = await McpGateway.start({
      upstream: { transport: 'stdio', command: process.execPath, args: [FS_SERVER, root] },
      policy: compilePolicy([{ name: 'fs.yaml', text: policyFor(ws) }]),
      sink,
      agentId: 'http-agent',
      lockFile: join(root, LOCK_FILE_NAME),
      log: () => undefined,
      upstreamStderr: 'ignore',
    });
    closers.push(() => gateway.close());
    listener = await listenStreamableHttp(gateway, { host: '127.0.0.1', port: 0 });
    closers.push(() => listener.close());
  }, 60_000);

  it('serves MCP at http://127.0.0.1:<port>/mcp', () => {
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/mcp`);
    expect(listener.port).toBeGreaterThan(0);
  });

  it('lets an allowed read through and denies a write outside the workspace, over HTTP', async () => {
    const { client } = await httpClient(listener.url);
    expect(await text(client, 'read_text_file', { path: join(ws, 'notes.txt') })).toEqual({ isError: false, text: 'over http' });
    expect(await text(client, 'write_file', { path: join(root, 'outside', 'x.txt'), content: 'x' })).toEqual({
      isError: true,
      text: 'Denied by Warden (rule writes-stay-in-workspace of policy fs): Writes stay inside the workspace',
    });
    expect(existsSync(join(root, 'outside', 'x.txt'))).toBe(false);
    const event = sink.events.at(-1);
    expect(event?.agent).toEqual({ id: 'http-agent', labels: { mcp_client_name: 'http-ide', mcp_client_version: '9' } });
    expect(event?.request.context).toMatchObject({ host: 'mcp', session: expect.any(String), mcp: { transport: 'streamable-http', upstream: 'stdio' } });
  });

  it('asks for approval by elicitation on the HTTP session that made the call', async () => {
    const { client } = await httpClient(listener.url, true);
    writeFileSync(join(ws, 'to-move.txt'), 'm');
    expect((await text(client, 'move_file', { source: join(ws, 'to-move.txt'), destination: join(ws, 'moved.txt') })).isError).toBe(false);
    expect(existsSync(join(ws, 'moved.txt'))).toBe(true);
    const answer = sink.events.at(-1);
    expect([answer?.decision.effect, answer?.outcome?.executed]).toEqual(['require_approval', true]);
    expect(answer?.outcome?.approval).toMatchObject({ approved: true, reason: 'approved through MCP elicitation', by: expect.stringContaining('session ') });
  });

  it('keeps sessions apart and forgets a terminated one', async () => {
    const a = await httpClient(listener.url);
    const b = await httpClient(listener.url);
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    const open = listener.sessionCount();
    await a.transport.terminateSession();
    expect(listener.sessionCount()).toBe(open - 1);
    expect((await text(b.client, 'read_text_file', { path: join(ws, 'notes.txt') })).text).toBe('over http');
  });

  const refused: Array<[string, Parameters<typeof raw>[1], number]> = [
    ['a foreign Host header (DNS rebinding)', { headers: { host: 'evil.example:80' } }, 403],
    ['a browser page of another origin', { headers: { origin: 'https://evil.example' } }, 403],
    ['a look-alike loopback origin', { headers: { origin: 'http://127.0.0.1.evil.example' } }, 403],
    ['another path', { path: '/other' }, 404],
    ['an unknown session', { headers: { 'mcp-session-id': 'no-such-session' } }, 404],
    ['a GET without a session', { method: 'GET' }, 400],
  ];
  it.each(refused)('refuses %s', async (_label, options, status) => {
    expect(await raw(listener.port, options)).toBe(status);
  });

  it('accepts its own loopback origin', async () => {
    expect(await raw(listener.port, { headers: { origin: `http://localhost:${listener.port}` } })).toBe(200);
  });

  it('refuses to listen on a non-loopback address unless allowRemote is given', async () => {
    await expect(listenStreamableHttp(gateway, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'ERR_MCP_LISTEN' });
    const remote = await listenStreamableHttp(gateway, { host: '0.0.0.0', port: 0, allowRemote: true });
    expect(remote.url).toBe(`http://0.0.0.0:${remote.port}/mcp`);
    await remote.close();
  });

  it('governs a Streamable HTTP upstream too (a second gateway in front of this one)', async () => {
    const front = await McpGateway.start({
      upstream: { transport: 'streamable-http', url: listener.url },
      policy: compilePolicy([{ name: 'front.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: front\nrules:\n  - name: reads-only\n    tools: ["read_*"]\n    effect: allow\n' }]),
      sink: new MemorySink(),
      log: () => undefined,
    });
    closers.push(() => front.close());
    expect(front.serverKey).toBe(`http:${listener.url}`);
    const frontListener = await listenStreamableHttp(front, { host: '127.0.0.1', port: 0 });
    closers.push(() => frontListener.close());
    const { client } = await httpClient(frontListener.url);
    expect(await text(client, 'read_text_file', { path: join(ws, 'notes.txt') })).toEqual({ isError: false, text: 'over http' });
    const w = await text(client, 'write_file', { path: join(ws, 'front.txt'), content: 'x' });
    expect(w.isError).toBe(true);
    expect(w.text).toContain('No rule allows tool "write_file", and the default of policy "front" is deny.');
    expect(existsSync(join(ws, 'front.txt'))).toBe(false);
  }, 30_000);
});

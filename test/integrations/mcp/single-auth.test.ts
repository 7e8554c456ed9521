/**
 * `warden mcp-proxy` for one server, with the configuration file's auth settings as flags:
 * `--auth-*` (bearer tokens on the HTTP listener, as `auth:`) and `--upstream-header` (sent to a
 * Streamable HTTP server, as a url server's `headers:`). The built CLI runs in a child process in
 * front of real MCP servers (the filesystem server over stdio; an SDK server over HTTP that
 * requires its own bearer token), with real JWTs signed by jose.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FS_SERVER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
const ISSUER = 'https://idp.single.test';
const AUDIENCE = 'https://gw.single.test/mcp';

let main = '';
let dir = '';
let ws = '';
let policy = '';
let signer: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  main = inject('wardenCli');
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-single-auth-')));
  ws = join(dir, 'ws');
  mkdirSync(ws);
  writeFileSync(join(ws, 'notes.txt'), 'hello behind auth');
  policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    `apiVersion: warden/v1
kind: Policy
name: single
rules:
  - name: reads
    tools: ["read_*", list_allowed_directories, whoami]
    effect: allow
`,
  );
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  signer = pair.privateKey;
  writeFileSync(join(dir, 'issuer.jwk.json'), JSON.stringify(await exportJWK(pair.publicKey)));
}, 60_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function token(claims: { aud?: string; iss?: string; exp?: string } = {}): Promise<string> {
  return new SignJWT({ sub: 'single-user' })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setExpirationTime(claims.exp ?? '5m')
    .sign(signer);
}

const AUTH_FLAGS = ['--auth-issuer', ISSUER, '--auth-audience', AUDIENCE, '--auth-algorithms', 'EdDSA', '--auth-key-file', 'issuer.jwk.json'];

/** Starts the proxy listening on a free loopback port; resolves with its URL once it says so. */
function listening(args: string[]): Promise<{ url: string; child: ChildProcessWithoutNullStreams; stderr: () => string }> {
  const child = spawn(process.execPath, [main, 'mcp-proxy', ...args], { cwd: dir });
  children.push(child);
  let err = '';
  child.stdout.resume();
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(err);
      if (m?.[1]) resolve({ url: m[1], child, stderr: () => err });
    });
    child.on('close', () => reject(new Error(`the proxy exited: ${err}`)));
  });
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    child.on('close', (c) => resolve(c));
    child.kill('SIGTERM');
  });
}

function post(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) });
}

async function callText(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text?: string }> };
  return { isError: r.isError === true, text: r.content.map((c) => c.text ?? '').join('') };
}

describe('mcp-proxy --auth-* (one server, bearer tokens on the HTTP listener)', () => {
  it('answers 401 without a token or with a wrong one, and serves the tools to a valid token', async () => {
    const { url, child, stderr } = await listening(['--policy', policy, '--listen', '127.0.0.1:0', ...AUTH_FLAGS, '--', process.execPath, FS_SERVER, ws]);
    expect(stderr()).toContain('(MCP Streamable HTTP, bearer tokens required)');
    const anonymous = await post(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const rows: Array<[string, Promise<string>]> = [
      ['another audience', token({ aud: 'https://other.test/mcp' })],
      ['another issuer', token({ iss: 'https://evil.test' })],
      ['an expired token', token({ exp: '-1m' })],
    ];
    for (const [, t] of rows) expect((await post(url, { authorization: `Bearer ${await t}` })).status).toBe(401);
    expect((await post(url, { authorization: 'Bearer not-a-jwt' })).status).toBe(401);
    const client = new Client({ name: 'single-auth', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${await token()}` } } }));
    expect(await callText(client, 'read_text_file', { path: join(ws, 'notes.txt') })).toEqual({ isError: false, text: 'hello behind auth' });
    await client.close();
    expect(await stop(child)).toBe(0);
  }, 90_000);

  it('listens on a non-loopback address without --allow-remote when tokens are required', async () => {
    // 0.0.0.0 is refused without auth; with --auth-* the listener starts (the URL it prints names the bound address).
    const child = spawn(process.execPath, [main, 'mcp-proxy', '--policy', policy, '--listen', '0.0.0.0:0', ...AUTH_FLAGS, '--', process.execPath, FS_SERVER, ws], { cwd: dir });
    children.push(child);
    child.stdout.resume();
    const said = await new Promise<string>((resolve) => {
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (err.includes('listening on') || err.includes('Refusing')) resolve(err);
      });
      child.on('close', () => resolve(err));
    });
    expect(said).toContain('bearer tokens required');
    expect(await stop(child)).toBe(0);
  }, 90_000);
});

/** An MCP server over Streamable HTTP that answers only requests carrying its own bearer token. */
async function startGuardedServer(expected: string): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const seen: string[] = [];
  const http: HttpServer = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '(none)');
    if (req.headers.authorization !== `Bearer ${expected}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    void (async () => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => `g-${transports.size + 1}`, onsessioninitialized: (sid) => void transports.set(sid, t) });
        const server = new Server({ name: 'guarded', version: '1.0.0' }, { capabilities: { tools: {} } });
        server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'whoami', description: 'Says who is calling.', inputSchema: { type: 'object' } }] }));
        server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: 'the gateway, with the upstream token' }] }));
        await server.connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seen,
    close: async () => {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

describe('mcp-proxy --upstream-header (one server over HTTP that requires its own token)', () => {
  it('sends the header, with ${NAME} from the environment, on every request to the real server', async () => {
    const upstream = await startGuardedServer('upstream-secret');
    try {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [main, 'mcp-proxy', '--policy', policy, '--upstream-url', upstream.url, '--upstream-header', 'Authorization: Bearer ${UPSTREAM_TOKEN}', '--lock', join(dir, 'guarded.lock.json')],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', UPSTREAM_TOKEN: 'upstream-secret' },
        stderr: 'pipe',
        cwd: dir,
      });
      const client = new Client({ name: 'single-upstream', version: '1' });
      await client.connect(transport);
      expect(await callText(client, 'whoami', {})).toEqual({ isError: false, text: 'the gateway, with the upstream token' });
      await client.close();
      expect(upstream.seen.length).toBeGreaterThan(0);
      expect(new Set(upstream.seen)).toEqual(new Set(['Bearer upstream-secret']));
    } finally {
      await upstream.close();
    }
  }, 90_000);

  it('without the header the real server refuses the gateway, and the proxy exits non-zero', async () => {
    const upstream = await startGuardedServer('upstream-secret');
    try {
      const r = await run(['mcp-proxy', '--policy', policy, '--upstream-url', upstream.url, '--lock', join(dir, 'guarded2.lock.json')]);
      expect(r.code).not.toBe(0);
      expect(upstream.seen).toContain('(none)');
    } finally {
      await upstream.close();
    }
  }, 90_000);
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: dir, timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end();
  });
}

describe('mcp-proxy auth flags that cannot work are refused before anything starts (exit 2)', () => {
  const fsServer = (): string[] => ['--', process.execPath, FS_SERVER, ws];
  const cases: Array<[string, () => string[], string]> = [
    ['--auth-* without --listen', () => ['--policy', policy, ...AUTH_FLAGS, ...fsServer()], 'The --auth-* flags apply to the HTTP listener'],
    ['no audience', () => ['--policy', policy, '--listen', '127.0.0.1:0', '--auth-issuer', ISSUER, '--auth-algorithms', 'EdDSA', '--auth-key-file', 'issuer.jwk.json', ...fsServer()], '--auth-audience: is required'],
    ['no algorithms', () => ['--policy', policy, '--listen', '127.0.0.1:0', '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE, '--auth-key-file', 'issuer.jwk.json', ...fsServer()], '--auth-algorithms: is required'],
    ['two key sources', () => ['--policy', policy, '--listen', '127.0.0.1:0', ...AUTH_FLAGS, '--auth-jwks-file', 'issuer.jwk.json', ...fsServer()], 'give exactly one of'],
    ['no key source', () => ['--policy', policy, '--listen', '127.0.0.1:0', '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE, '--auth-algorithms', 'EdDSA', ...fsServer()], 'give exactly one of'],
    ['a JWKS over plain http', () => ['--policy', policy, '--listen', '127.0.0.1:0', '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE, '--auth-algorithms', 'EdDSA', '--auth-jwks-url', 'http://idp.single.test/jwks', ...fsServer()], '--auth-jwks-url: must be an https URL'],
    ['a key file that is not there', () => ['--policy', policy, '--listen', '127.0.0.1:0', '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE, '--auth-algorithms', 'EdDSA', '--auth-key-file', 'missing.jwk.json', ...fsServer()], 'missing.jwk.json'],
    ['alg none', () => ['--policy', policy, '--listen', '127.0.0.1:0', '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE, '--auth-algorithms', 'none', '--auth-key-file', 'issuer.jwk.json', ...fsServer()], 'none'],
    ['--upstream-header for a stdio server', () => ['--policy', policy, '--upstream-header', 'Authorization: Bearer x', ...fsServer()], '--upstream-header is for a server given by --upstream-url'],
    ['a header without a colon', () => ['--policy', policy, '--upstream-url', 'http://127.0.0.1:9/mcp', '--upstream-header', 'Authorization Bearer x'], 'is not "Name: value"'],
    ['a header whose variable is unset', () => ['--policy', policy, '--upstream-url', 'http://127.0.0.1:9/mcp', '--upstream-header', 'Authorization: Bearer ${NOT_SET_ANYWHERE}'], 'NOT_SET_ANYWHERE is not set'],
    ['the same header twice', () => ['--policy', policy, '--upstream-url', 'http://127.0.0.1:9/mcp', '--upstream-header', 'X-A: 1', 'X-A: 2'], 'X-A is given twice'],
    ['--auth-* with --config', () => ['--config', 'warden.mcp.yaml', '--auth-issuer', ISSUER], 'leave out the --auth-* and --upstream-header flags'],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    writeFileSync(join(dir, 'warden.mcp.yaml'), `apiVersion: warden/v1\nkind: McpGateway\nservers:\n  fs: { command: node, policy: [policy.yaml] }\n`);
    const r = await run(['mcp-proxy', ...args()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  }, 60_000);
});

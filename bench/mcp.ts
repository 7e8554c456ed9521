/**
 * What the MCP gateway adds to one tool call, over Streamable HTTP as a remote client pays it: the
 * SDK's own client calling a real MCP server (the SDK's Server on a real HTTP port) directly (what
 * users run without a gateway), then through the gateway with one server, then through the gateway
 * with one server and bearer tokens, then with two servers behind it and bearer tokens verified (EdDSA JWT, checked at the listener and
 * again in the call's identify stage), and the gateway's own decision on a denied call (the server
 * is never asked). Sequential calls, one at a time.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { McpGateway } from '../src/integrations/mcp/gateway.js';
import { listenStreamableHttp } from '../src/integrations/mcp/http-listener.js';
import { createBearerAuth } from '../src/integrations/mcp/inbound-auth.js';
import { compilePolicy } from '../src/policy/compile.js';
import { measureAsync, printTable, type Timing } from './stats.js';

const SAMPLES = 500;

const POLICY = `apiVersion: warden/v1
kind: Policy
name: bench
rules:
  - name: echo
    tools: [echo]
    effect: allow
  - name: no-secret
    tools: [echo]
    when: "has(args.secret)"
    effect: deny
`;

/** A real MCP server over Streamable HTTP with one `echo` tool. */
async function echoServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => `s${transports.size + 1}`, onsessioninitialized: (sid) => void transports.set(sid, t), enableJsonResponse: true });
        const server = new Server({ name: 'echo', version: '1' }, { capabilities: { tools: {} } });
        server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'echo', description: 'Echo.', inputSchema: { type: 'object' } }] }));
        server.setRequestHandler(CallToolRequestSchema, async (r) => ({ content: [{ type: 'text', text: String(r.params.arguments?.text ?? '') }] }));
        await server.connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: async () => {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

async function client(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const c = new Client({ name: 'bench', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return c;
}

/** Runs the MCP gateway bench. */
export async function run(): Promise<void> {
  const a = await echoServer();
  const b = await echoServer();
  const policy = compilePolicy([{ name: 'bench.yaml', text: POLICY }]);
  const rows: Timing[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    const direct = await client(a.url);
    closers.push(() => direct.close());
    rows.push(await measureAsync('direct: SDK client -> server (no gateway)', () => direct.callTool({ name: 'echo', arguments: { text: 'hi' } }), { samples: SAMPLES, warmup: 100 }));

    const one = await McpGateway.start({ upstream: { transport: 'streamable-http', url: a.url }, policy, sink: new MemorySink(), log: () => undefined });
    const oneListener = await listenStreamableHttp(one, { host: '127.0.0.1', port: 0 });
    closers.push(() => oneListener.close(), () => one.close());
    const viaOne = await client(oneListener.url);
    closers.push(() => viaOne.close());
    rows.push(await measureAsync('gateway, one server, no auth', () => viaOne.callTool({ name: 'echo', arguments: { text: 'hi' } }), { samples: SAMPLES, warmup: 100 }));

    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const auth = await createBearerAuth({ issuer: 'https://idp.bench', audience: 'https://gw.bench/mcp', algorithms: ['EdDSA'], key: (await exportJWK(pair.publicKey)) as never });
    const token = await new SignJWT({ sub: 'bench' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer('https://idp.bench').setAudience('https://gw.bench/mcp').setExpirationTime('1h').sign(pair.privateKey);
    const two = await McpGateway.start({
      servers: [
        { name: 'a', upstream: { transport: 'streamable-http', url: a.url }, policy },
        { name: 'b', upstream: { transport: 'streamable-http', url: b.url }, policy },
      ],
      identity: auth.identity,
      sink: new MemorySink(),
      log: () => undefined,
    });
    const twoListener = await listenStreamableHttp(two, { host: '127.0.0.1', port: 0, auth });
    {
      const oneA = await McpGateway.start({ upstream: { transport: 'streamable-http', url: a.url }, policy, sink: new MemorySink(), log: () => undefined, identity: auth.identity });
      const oneAL = await listenStreamableHttp(oneA, { host: '127.0.0.1', port: 0, auth });
      closers.push(() => oneAL.close(), () => oneA.close());
      const c1 = await client(oneAL.url, { Authorization: `Bearer ${token}` });
      closers.push(() => c1.close());
      rows.push(await measureAsync('gateway, one server, bearer tokens', () => c1.callTool({ name: 'echo', arguments: { text: 'hi' } }), { samples: SAMPLES, warmup: 100 }));
    }
    closers.push(() => twoListener.close(), () => two.close());
    const viaTwo = await client(twoListener.url, { Authorization: `Bearer ${token}` });
    closers.push(() => viaTwo.close());
    rows.push(await measureAsync('gateway, two servers, bearer tokens', () => viaTwo.callTool({ name: 'b__echo', arguments: { text: 'hi' } }), { samples: SAMPLES, warmup: 100 }));
    rows.push(await measureAsync('gateway, two servers, bearer tokens, denied', () => viaTwo.callTool({ name: 'b__echo', arguments: { secret: 'x' } }), { samples: SAMPLES, warmup: 100 }));
    printTable(`MCP gateway over Streamable HTTP (${SAMPLES} sequential tools/call each)`, rows);
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await a.close();
    await b.close();
  }
}

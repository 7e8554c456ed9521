/**
 * The gateway over Streamable HTTP: an HTTP endpoint (`/mcp`) where each MCP session gets its own
 * gateway session. Loopback only unless the caller explicitly allows a remote address; browsers
 * on other origins and foreign Host headers (DNS rebinding) are refused.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { WardenError } from '../../errors.js';
import type { McpGateway } from './gateway.js';
import { bearerChallenge, protectedResourceMetadata, type BearerAuth } from './inbound-auth.js';
import { duplicateKeyRefusal } from './strict-json.js';

/**
 * A parsed `--listen` address.
 *
 * @example
 * ```ts
 * const a: ListenAddress = { host: '127.0.0.1', port: 8931, loopback: true };
 * ```
 */
export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

/**
 * Parses `HOST:PORT` (`127.0.0.1:8931`, `[::1]:8931`, `localhost:0`); a bare port means
 * 127.0.0.1. Port 0 picks a free port.
 *
 * @example
 * ```ts
 * parseListenAddress('127.0.0.1:8931'); // { host: '127.0.0.1', port: 8931, loopback: true }
 * parseListenAddress('0.0.0.0:8931');   // { host: '0.0.0.0', port: 8931, loopback: false }
 * ```
 * @throws WardenError `ERR_MCP_LISTEN` for an address that does not parse.
 */
export function parseListenAddress(text: string): ListenAddress {
  const bad = (why: string): WardenError => new WardenError('ERR_MCP_LISTEN', `--listen ${JSON.stringify(text)}: ${why}. Use HOST:PORT, for example 127.0.0.1:8931.`);
  let host = '127.0.0.1';
  let portText = text;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracket) {
    host = bracket[1] as string;
    portText = bracket[2] as string;
  } else if (text.includes(':')) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    portText = text.slice(i + 1);
    if (host.includes(':')) throw bad('put an IPv6 address in brackets');
  }
  if (host === '') throw bad('the host is empty');
  if (!/^\d{1,5}$/.test(portText)) throw bad('the port is not a number');
  const port = Number(portText);
  if (port > 65535) throw bad('the port is over 65535');
  return { host, port, loopback: isLoopbackHost(host) };
}

/**
 * True for `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped) in standard notation; false for
 * everything else, `0.0.0.0`, `::` and legacy forms such as `0x7f000001` included.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0');   // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  // Only standard notations: `0x7f000001` or `127.1` may resolve to loopback, but are refused, not guessed.
  if (isIP(host) === 0) return false;
  let addr = ipaddr.parse(host);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'loopback';
}

/**
 * Options of {@link listenStreamableHttp}.
 *
 * @example
 * ```ts
 * const options: HttpListenOptions = { host: '127.0.0.1', port: 0 };
 * ```
 */
export interface HttpListenOptions {
  host: string;
  port: number;
  /** Required to bind an address that is not loopback without `auth`; then anyone who can reach it can use the tools. */
  allowRemote?: boolean;
  /**
   * Bearer-token authentication (createBearerAuth): every request must carry a token that
   * verifies, or gets 401; a session stays with the principal that opened it. The gateway must
   * have been started with `identity: auth.identity`.
   */
  auth?: BearerAuth;
  /** Most concurrent MCP sessions. Default 64; over it a new session gets 503. */
  maxSessions?: number;
  /** Largest request body in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
}

/**
 * A running listener.
 *
 * @example
 * ```ts
 * const listener = await listenStreamableHttp(gateway, { host: '127.0.0.1', port: 0 });
 * console.error(`listening on ${listener.url}`);
 * await listener.close();
 * ```
 */
export interface HttpListener {
  /** `http://HOST:PORT/mcp`. */
  url: string;
  port: number;
  /** Open MCP sessions. */
  sessionCount(): number;
  close(): Promise<void>;
}

const PATH = '/mcp';
/** Where the RFC 9728 protected-resource metadata is served (for the resource at PATH). */
const METADATA_PATH = `/.well-known/oauth-protected-resource${PATH}`;

/**
 * Serves the gateway over Streamable HTTP at `http://HOST:PORT/mcp` (stateful sessions).
 *
 * @example
 * ```ts
 * const listener = await listenStreamableHttp(gateway, { host: '127.0.0.1', port: 8931 });
 * ```
 * @throws WardenError `ERR_MCP_LISTEN` for a non-loopback host without `allowRemote`, or when the port cannot be bound.
 */
export async function listenStreamableHttp(gateway: McpGateway, options: HttpListenOptions): Promise<HttpListener> {
  const loopback = isLoopbackHost(options.host);
  const auth = options.auth ?? null;
  if (!loopback && !options.allowRemote && auth === null) {
    throw new WardenError(
      'ERR_MCP_LISTEN',
      `Refusing to listen on ${options.host}: it is not a loopback address and no authentication is configured. Use 127.0.0.1, configure auth (bearer tokens), or pass --allow-remote behind your own authentication.`,
    );
  }
  if (auth !== null && !gateway.verifiesTokens) throw new WardenError('ERR_MCP_OPTIONS', 'The listener has auth but the gateway verifies no tokens: start it with McpGateway.start({ ..., identity: auth.identity }).');
  if (auth === null && gateway.verifiesTokens) throw new WardenError('ERR_MCP_OPTIONS', 'The gateway verifies tokens (identity) but the listener has no auth, so every call would be denied: pass listenStreamableHttp(gateway, { ..., auth }).');
  // The SDK's HTTP server transport (with @hono/node-server) loads with the first listener, not with agent-warden/mcp.
  const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const maxSessions = options.maxSessions ?? 64;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  /** Who opened each session (issuer and agent), when tokens are verified. */
  const owners = new Map<string, string>();
  let port = options.port;
  let metadataUrl = '';

  const allowedHost = (host: string | undefined): boolean => {
    if (!loopback) return true;
    if (host === undefined) return false;
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${options.host}:${port}`].includes(host.toLowerCase());
  };
  const allowedOrigin = (origin: string | undefined): boolean => {
    // Non-browser clients send no Origin; a browser page may only come from this same endpoint.
    if (origin === undefined) return true;
    return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin.toLowerCase());
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (!allowedHost(req.headers.host)) return jsonError(res, 403, `Host header ${JSON.stringify(req.headers.host ?? '')} is not allowed.`);
    if (!allowedOrigin(req.headers.origin)) return jsonError(res, 403, `Origin ${JSON.stringify(req.headers.origin ?? '')} is not allowed.`);
    if (auth !== null && (path === METADATA_PATH || path === '/.well-known/oauth-protected-resource') && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(protectedResourceMetadata(auth)));
      return;
    }
    if (path !== PATH) return jsonError(res, 404, `Not found; the MCP endpoint is ${PATH}.`);
    // Authentication comes before the body is read: an unauthenticated client costs a header parse.
    let owner: string | null = null;
    if (auth !== null) {
      const result = await auth.authenticate(req.headers.authorization, new Date());
      if (!result.ok) {
        req.resume();
        res.writeHead(result.status, { 'content-type': 'application/json', 'www-authenticate': bearerChallenge(result, metadataUrl, result.error === 'insufficient_scope' ? auth.requiredScopes : []) });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: result.description }, id: null }));
        return;
      }
      owner = `${result.issuer}\n${result.agentId}`;
      const info: AuthInfo = { token: result.token, clientId: result.agentId, scopes: result.scopes, extra: { issuer: result.issuer }, ...(result.expiresAt !== undefined ? { expiresAt: result.expiresAt } : {}) };
      (req as IncomingMessage & { auth?: AuthInfo }).auth = info;
    }
    // The body is read here, not by the SDK, so a message whose JSON repeats a key is refused
    // before anything parses it the lenient way (strict-json.ts); the SDK gets the parsed value.
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readJsonBody(req, maxBodyBytes);
      if (read.kind === 'too_large') return jsonError(res, 413, `Request body is over ${maxBodyBytes} bytes.`);
      if (read.kind === 'not_json') return jsonError(res, 400, 'Parse error: Invalid JSON', -32700);
      if (read.kind === 'refused') return jsonRpcError(res, 400, read.refusal);
      body = read.value;
    }
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const transport = sessions.get(id);
      if (!transport) return jsonError(res, 404, 'Session not found.');
      // invariant: a session is used only by the principal that opened it (a stolen session id is not enough).
      if (owner !== null && owners.get(id) !== owner) return jsonError(res, 403, 'This session belongs to another principal; open your own session.');
      return transport.handleRequest(req, res, body);
    }
    if (id !== undefined) return jsonError(res, 400, 'One Mcp-Session-Id header, please.');
    if (req.method !== 'POST') return jsonError(res, 400, 'No session: start one with a POST of initialize.');
    if (sessions.size >= maxSessions) return jsonError(res, 503, `Too many MCP sessions (${maxSessions}).`);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
        if (owner !== null) owners.set(sid, owner);
      },
      maxRequestBodySize: maxBodyBytes,
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) {
        sessions.delete(transport.sessionId);
        owners.delete(transport.sessionId);
      }
    };
    const server = await gateway.connect(transport, 'streamable-http');
    await transport.handleRequest(req, res, body);
    // A first request that did not initialize a session leaves nothing behind.
    if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) await server.close();
  };

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) jsonError(res, 500, `Internal error: ${e instanceof Error ? e.message : String(e)}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e) => reject(new WardenError('ERR_MCP_LISTEN', `Cannot listen on ${options.host}:${options.port}: ${e.message}`, { cause: e })));
    http.listen(options.port, options.host, () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  metadataUrl = auth === null ? '' : metadataUrlOf(auth.resource, `http://${shownHost}:${port}`);
  return {
    url: `http://${shownHost}:${port}${PATH}`,
    port,
    sessionCount: () => sessions.size,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

function jsonError(res: ServerResponse, status: number, message: string, code = -32000): void {
  jsonRpcError(res, status, { id: null, error: { code, message } });
}

function jsonRpcError(res: ServerResponse, status: number, answer: { id: string | number | null; error: { code: number; message: string } }): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: answer.error, id: answer.id }));
}

type BodyRead =
  | { kind: 'json'; value: unknown }
  | { kind: 'too_large' }
  | { kind: 'not_json' }
  | { kind: 'refused'; refusal: NonNullable<ReturnType<typeof duplicateKeyRefusal>> };

/** Reads a request body (at most `max` bytes) and parses it strictly. */
async function readJsonBody(req: IncomingMessage, max: number): Promise<BodyRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.resume();
      return { kind: 'too_large' };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'not_json' };
  }
  const refusal = duplicateKeyRefusal(text, value);
  return refusal === null ? { kind: 'json', value } : { kind: 'refused', refusal };
}

/** Where a client finds the metadata of `resource` (RFC 9728 section 3.1), or this listener's own path when it is not a URL. */
function metadataUrlOf(resource: string, local: string): string {
  try {
    const u = new URL(resource);
    if (u.protocol === 'https:' || u.protocol === 'http:') return `${u.origin}/.well-known/oauth-protected-resource${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    // not a URL: fall through
  }
  return `${local}${METADATA_PATH}`;
}

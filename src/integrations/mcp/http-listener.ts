/**
 * The gateway over Streamable HTTP: an HTTP endpoint (`/mcp`) where each MCP session gets its own
 * gateway session. Loopback only unless the caller explicitly allows a remote address; browsers
 * on other origins and foreign Host headers (DNS rebinding) are refused.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { WardenError } from '../../errors.js';
import type { McpGateway } from './gateway.js';
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
  /** Required to bind an address that is not loopback; then anyone who can reach it can use the tools. */
  allowRemote?: boolean;
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
  if (!loopback && !options.allowRemote) {
    throw new WardenError(
      'ERR_MCP_LISTEN',
      `Refusing to listen on ${options.host}: it is not a loopback address, and the listener has no authentication of its own. Use 127.0.0.1, or pass --allow-remote behind your own authentication.`,
    );
  }
  const maxSessions = options.maxSessions ?? 64;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let port = options.port;

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
    if (path !== PATH) return jsonError(res, 404, `Not found; the MCP endpoint is ${PATH}.`);
    if (!allowedHost(req.headers.host)) return jsonError(res, 403, `Host header ${JSON.stringify(req.headers.host ?? '')} is not allowed.`);
    if (!allowedOrigin(req.headers.origin)) return jsonError(res, 403, `Origin ${JSON.stringify(req.headers.origin ?? '')} is not allowed.`);
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
      return transport.handleRequest(req, res, body);
    }
    if (id !== undefined) return jsonError(res, 400, 'One Mcp-Session-Id header, please.');
    if (req.method !== 'POST') return jsonError(res, 400, 'No session: start one with a POST of initialize.');
    if (sessions.size >= maxSessions) return jsonError(res, 503, `Too many MCP sessions (${maxSessions}).`);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
      },
      maxRequestBodySize: maxBodyBytes,
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
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

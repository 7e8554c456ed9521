/**
 * The host side of a sandbox's egress: an HTTP proxy on a Unix socket, one per run, speaking
 * `CONNECT host:port` (a tunnel) and plain HTTP requests with an absolute URI. Every connection
 * and every plain request is decided ({@link decideEgress}) before anything is sent; a denial is
 * answered `403 Forbidden` with the reason. Each is recorded (allowed or denied, host, port, the
 * address used, bytes each way, duration), and the run's records are handed back when it closes.
 *
 * The sandboxed command never reaches this socket directly: a forwarder started in the run's
 * network namespace (egress-forwarder.ts) carries its TCP connections to 127.0.0.1:3128 here.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { lazyModule } from '../lib/lazy-module.js';
import { parseConnectAuthority, type EgressTarget, type EgressVerdict } from './egress-decide.js';

// The host classifier (tldts, ipaddr.js) loads with the first destination checked (src/lib/lazy-module.ts).
const urlHost = lazyModule<typeof import('../facets/url-host.js')>('facets/url-host');

/**
 * One connection (a CONNECT tunnel) or one plain HTTP request made through the proxy.
 *
 * @example
 * ```ts
 * const c: EgressConnection = { method: 'CONNECT', scheme: 'tcp', host: 'registry.npmjs.org', port: 443, address: '104.16.0.35', allowed: true, reason: 'npm registry', calls: ['c1'], bytesSent: 517, bytesReceived: 4096, durationMs: 180, error: null };
 * ```
 */
export interface EgressConnection {
  method: string;
  scheme: 'tcp' | 'http';
  /** As decided (normalized); `''` when the request could not be read. */
  host: string;
  port: number;
  /** The address connected to; null when none was. */
  address: string | null;
  allowed: boolean;
  /** Why it was denied, or the allowing decision's reason. */
  reason: string;
  /** The pipeline's call ids of its decisions. */
  calls: string[];
  /** Bytes from the sandbox to the destination, and back. */
  bytesSent: number;
  bytesReceived: number;
  durationMs: number;
  /** What went wrong after it was allowed (the destination refused, the run ended first). */
  error: string | null;
}

/**
 * Options of {@link EgressProxy.listen}.
 *
 * @example
 * ```ts
 * const o: EgressProxyOptions = { socketPath: '/tmp/w/egress-1.sock', decide: (t) => decideEgress(t, deps) };
 * ```
 */
export interface EgressProxyOptions {
  socketPath: string;
  decide(target: EgressTarget): Promise<EgressVerdict>;
  /** Connections recorded per run; past it every new one is denied (and counted, not recorded). Default 256. */
  maxConnections?: number;
}

/** Headers that belong to one hop and are never passed on (RFC 9110 7.6.1), and the proxy's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function passOn(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

/**
 * Reads a plain proxy request's target: an absolute `http://` URI without userinfo, whose `Host`
 * header (when sent) names the same host and port. Anything else is refused with the reason.
 *
 * @example
 * ```ts
 * plainTarget('GET', 'http://example.com/a?b', 'example.com'); // { scheme: 'http', host: 'example.com', port: 80, path: '/a?b', method: 'GET' }
 * plainTarget('GET', 'http://a.com@127.0.0.1/', undefined);     // { error: '...userinfo...' }
 * ```
 */
export function plainTarget(method: string, uri: string, hostHeader: string | undefined): EgressTarget | { error: string } {
  if (!/^http:\/\//i.test(uri)) {
    return { error: uri.startsWith('/') ? 'this is a proxy: send the absolute URI (http://host/path), or CONNECT host:port' : 'only http:// URIs are proxied as requests; use CONNECT host:port for https and other protocols' };
  }
  const authority = uri.slice(7).split(/[/?#\\]/, 1)[0] as string;
  if (authority.includes('@')) return { error: 'a URI with userinfo (user@host) is refused: the host it names is easy to misread' };
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return { error: 'the URI could not be parsed' };
  }
  const host = urlHost().normalizeHost(u.hostname);
  if (host === '') return { error: 'the URI names no valid host' };
  const port = u.port === '' ? 80 : Number(u.port);
  if (hostHeader !== undefined) {
    let h: URL | null;
    try {
      h = /[/@?#\\\s]/.test(hostHeader) ? null : new URL(`http://${hostHeader}`);
    } catch {
      h = null;
    }
    if (h === null || urlHost().normalizeHost(h.hostname) !== host || (h.port === '' ? 80 : Number(h.port)) !== port) {
      return { error: `the Host header ${JSON.stringify(hostHeader.slice(0, 200))} does not name the host of the request line (${u.host})` };
    }
  }
  return { scheme: 'http', host, port, path: `${u.pathname}${u.search}`, method };
}

/**
 * The proxy of one sandboxed run. Listen before the run starts; close after it ends to get its
 * connection records (anything still open is cut then).
 *
 * @example
 * ```ts
 * const proxy = await EgressProxy.listen({ socketPath, decide });
 * // ... run the command ...
 * const { connections } = await proxy.close();
 * ```
 */
export class EgressProxy {
  readonly #options: EgressProxyOptions;
  // invariant: every request reaches this proxy's handlers (and its record); a missing Host header is read from the URI.
  readonly #server = createServer({ requireHostHeader: false });
  readonly #open = new Set<Duplex>();
  readonly #records: EgressConnection[] = [];
  #overLimit = 0;
  #closed = false;

  private constructor(options: EgressProxyOptions) {
    this.#options = options;
    const server = this.#server;
    server.on('connection', (s: Socket) => this.#track(s));
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#tunnel(req, socket, head));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#plain(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      const rec = this.#begin(req.method ?? '', 'http');
      if (rec !== null) this.#finish(rec, Date.now(), { reason: 'protocol upgrades (WebSocket over http://) are not proxied; use CONNECT' });
      refuse(socket, 403, 'Warden: protocol upgrades are not proxied; use CONNECT host:port');
    });
    server.on('clientError', (err: Error, socket: Duplex) => {
      const rec = this.#begin('', 'http');
      if (rec !== null) this.#finish(rec, Date.now(), { reason: `the request could not be read (${err.message})` });
      refuse(socket, 400, 'Warden: the request could not be read');
    });
  }

  /**
   * Starts a proxy listening on `options.socketPath` (which must not exist).
   *
   * @example
   * ```ts
   * const proxy = await EgressProxy.listen({ socketPath: '/tmp/w/egress-1.sock', decide });
   * ```
   */
  static async listen(options: EgressProxyOptions): Promise<EgressProxy> {
    const p = new EgressProxy(options);
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', reject);
      p.#server.listen(options.socketPath, () => {
        p.#server.off('error', reject);
        try {
          // invariant: only this user (the forwarder runs as it) may connect: a socket's write bit is what connect() checks.
          chmodSync(options.socketPath, 0o600);
          resolve();
        } catch (e) {
          p.#server.close();
          reject(e as Error);
        }
      });
    });
    return p;
  }

  /** The records so far (copies). */
  get connections(): EgressConnection[] {
    return this.#records.map((r) => ({ ...r, calls: [...r.calls] }));
  }

  /**
   * Stops listening, cuts what is still open, removes the socket file, and returns the records
   * and how many connections were refused unrecorded past the limit.
   *
   * @example
   * ```ts
   * const { connections, overLimit } = await proxy.close();
   * ```
   */
  async close(): Promise<{ connections: EgressConnection[]; overLimit: number }> {
    this.#closed = true;
    const stopped = new Promise<void>((r) => this.#server.close(() => r()));
    for (const s of this.#open) s.destroy();
    await stopped;
    rmSync(this.#options.socketPath, { force: true });
    for (const r of this.#records) if (r.reason === '') r.reason = 'the run ended before the connection was decided';
    return { connections: this.connections, overLimit: this.#overLimit };
  }

  #track(s: Duplex): void {
    this.#open.add(s);
    s.once('close', () => this.#open.delete(s));
    if (this.#closed) s.destroy();
  }

  /** A new record, or null past the limit (then the caller refuses without recording). */
  #begin(method: string, scheme: 'tcp' | 'http'): EgressConnection | null {
    if (this.#records.length >= (this.#options.maxConnections ?? 256)) {
      this.#overLimit++;
      return null;
    }
    const rec: EgressConnection = { method, scheme, host: '', port: 0, address: null, allowed: false, reason: '', calls: [], bytesSent: 0, bytesReceived: 0, durationMs: 0, error: null };
    this.#records.push(rec);
    return rec;
  }

  #finish(rec: EgressConnection, started: number, end: { reason?: string; error?: string; up?: Socket }): void {
    if (end.reason !== undefined) rec.reason = end.reason;
    if (end.error !== undefined) rec.error ??= end.error;
    if (end.up !== undefined) {
      rec.bytesSent = end.up.bytesWritten;
      rec.bytesReceived = end.up.bytesRead;
    }
    rec.durationMs = Date.now() - started;
  }

  /** Decides a target, filling the record; false (already recorded as denied) when refused. */
  async #decide(rec: EgressConnection, target: EgressTarget): Promise<EgressVerdict> {
    rec.host = target.host;
    rec.port = target.port;
    let v: EgressVerdict;
    try {
      v = await this.#options.decide(target);
    } catch (e) {
      v = { allowed: false, reason: `the decision failed (${(e as Error).message})`, address: null, calls: [] };
    }
    rec.calls = v.calls;
    rec.reason = v.reason;
    rec.address = v.allowed ? v.address : null;
    rec.allowed = v.allowed && v.address !== null && !this.#closed;
    if (v.allowed && this.#closed) rec.reason = 'the run ended before the connection was made';
    return v;
  }

  async #tunnel(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = Date.now();
    const rec = this.#begin('CONNECT', 'tcp');
    if (rec === null) return refuse(socket, 403, 'Warden: too many connections in this run');
    const parsed = parseConnectAuthority(req.url ?? '');
    if ('error' in parsed) {
      this.#finish(rec, started, { reason: parsed.error });
      return refuse(socket, 403, `Warden: ${parsed.error}`);
    }
    const v = await this.#decide(rec, { scheme: 'tcp', host: parsed.host, port: parsed.port, path: '', method: 'CONNECT' });
    if (!rec.allowed || v.address === null) {
      this.#finish(rec, started, {});
      return refuse(socket, 403, `Warden denied CONNECT ${parsed.host}:${parsed.port}: ${rec.reason}`);
    }
    const up = connect({ host: v.address, port: parsed.port });
    this.#track(up);
    let opened = false;
    up.once('connect', () => {
      opened = true;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', (e) => {
      this.#finish(rec, started, { error: e.message, up });
      if (!opened) refuse(socket, 502, `Warden: ${parsed.host}:${parsed.port} could not be reached (${e.message})`);
      else socket.destroy();
    });
    socket.on('error', () => up.destroy());
    socket.once('close', () => up.destroy());
    up.once('close', () => {
      if (this.#closed && rec.error === null) rec.error = 'cut when the run ended';
      this.#finish(rec, started, { up });
      socket.end();
    });
  }

  async #plain(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const rec = this.#begin(method, 'http');
    const deny = (status: number, reason: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`${reason}\n`);
    };
    if (rec === null) return deny(403, 'Warden: too many connections in this run');
    const target = plainTarget(method, req.url ?? '', req.headers.host);
    if ('error' in target) {
      this.#finish(rec, started, { reason: target.error });
      return deny(403, `Warden: ${target.error}`);
    }
    const v = await this.#decide(rec, target);
    if (!rec.allowed || v.address === null) {
      this.#finish(rec, started, {});
      return deny(403, `Warden denied ${method} http://${target.host}:${target.port}${target.path}: ${rec.reason}`);
    }
    const headers = passOn(req.headers);
    headers.host = target.port === 80 ? hostForHeader(target.host) : `${hostForHeader(target.host)}:${target.port}`;
    const up = httpRequest({ host: v.address, port: target.port, method, path: target.path, headers, setHost: false, agent: false });
    let sock: Socket | undefined;
    up.once('socket', (s: Socket) => {
      sock = s;
      this.#track(s);
    });
    up.once('response', (r) => {
      res.writeHead(r.statusCode ?? 502, passOn(r.headers));
      r.pipe(res);
    });
    up.once('error', (e) => {
      rec.error ??= e.message;
      if (!res.headersSent) deny(502, `Warden: ${target.host}:${target.port} could not be reached (${e.message})`);
      else res.destroy();
    });
    req.pipe(up);
    res.once('close', () => {
      if (this.#closed && rec.error === null && !res.writableFinished) rec.error = 'cut when the run ended';
      this.#finish(rec, started, sock !== undefined ? { up: sock } : {});
      up.destroy();
    });
  }
}

function hostForHeader(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Answers a raw socket with a status and a reason, then closes it. */
function refuse(socket: Duplex, status: 400 | 403 | 502, reason: string): void {
  const text = { 400: 'Bad Request', 403: 'Forbidden', 502: 'Bad Gateway' }[status];
  const body = `${reason}\n`;
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  else socket.destroy();
}

/**
 * A lean HTTP/1.1 load generator for bench/serve.ts: keep-alive connections over `node:net`, one
 * request's bytes made once and written as is, responses parsed just enough to find their ends
 * (status line, content-length). It shares the machine's cores with the server it measures, so it
 * must cost as little as it can: node:http's client spends more CPU per request than the server.
 *
 * `connections` sockets each keep `depth` requests outstanding (depth > 1 is HTTP pipelining:
 * the server answers them in order on the socket).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What one load run measured: per-request latencies (ms, sorted) and the wall time. */
export interface LoadResult {
  latenciesMs: Float64Array;
  seconds: number;
  requests: number;
}

/** One request as bytes: method, path, headers and body. */
export function requestBytes(host: string, path: string, token: string, body: string): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body, 'utf8')]);
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** Parses responses out of a socket's bytes; calls `onResponse(status, body)` for each complete one. */
class ResponseReader {
  #buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onResponse: (status: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const end = this.#buf.indexOf(CRLFCRLF);
      if (end === -1) return;
      const head = this.#buf.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (m === null) throw new Error(`a response without content-length: ${head.slice(0, 200)}`);
      const length = Number(m[1]);
      const total = end + 4 + length;
      if (this.#buf.length < total) return;
      const body = this.#buf.subarray(end + 4, total);
      this.#buf = this.#buf.length === total ? Buffer.alloc(0) : this.#buf.subarray(total);
      this.onResponse(status, body);
    }
  }
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Sends `total` copies of `request` over `connections` keep-alive sockets with `depth` outstanding
 * on each; every answer must be 200 and pass `check` (run on the first answer only: checking each
 * would cost the shared cores what the server should get).
 *
 * @example
 * ```ts
 * const r = await load({ host: '127.0.0.1', port, request: requestBytes('127.0.0.1', '/v1/decide', token, body), connections: 32, depth: 1, total: 20_000, check: (b) => JSON.parse(b).allowed === true });
 * ```
 */
export async function load(o: { host: string; port: number; request: Buffer; connections: number; depth: number; total: number; check: (body: string) => boolean }): Promise<LoadResult> {
  const sockets = await Promise.all(Array.from({ length: o.connections }, () => open(o.host, o.port)));
  const latencies = new Float64Array(o.total);
  let sent = 0;
  let done = 0;
  let checked = false;
  const start = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      for (const socket of sockets) {
        const started: number[] = [];
        const send = (): void => {
          if (sent >= o.total) return;
          sent++;
          started.push(performance.now());
          socket.write(o.request);
        };
        const reader = new ResponseReader((status, body) => {
          const t0 = started.shift() as number;
          if (status !== 200) return reject(new Error(`HTTP ${status}: ${body.toString('utf8').slice(0, 300)}`));
          if (!checked) {
            checked = true;
            if (!o.check(body.toString('utf8'))) return reject(new Error(`an unexpected answer: ${body.toString('utf8').slice(0, 300)}`));
          }
          latencies[done++] = performance.now() - t0;
          if (done === o.total) resolve();
          else send();
        });
        socket.on('data', (chunk: Buffer) => {
          try {
            reader.push(chunk);
          } catch (e) {
            reject(e as Error);
          }
        });
        socket.on('error', reject);
        socket.on('close', () => {
          if (done < o.total) reject(new Error('the server closed a connection'));
        });
        for (let i = 0; i < o.depth; i++) send();
      }
    });
  } finally {
    for (const s of sockets) s.destroy();
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort();
  return { latenciesMs: latencies, seconds, requests: o.total };
}

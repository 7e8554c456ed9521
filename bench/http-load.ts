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

/** What an open-loop run measured: latencies from each request's intended send time. */
export interface OpenLoadResult {
  /** Per-request latency (ms, sorted), from the time the schedule meant it to be sent to its answer. */
  latenciesMs: Float64Array;
  /** The rate asked for, and the rate the generator actually sent at (requests / seconds from the first send to the last). */
  offeredPerSecond: number;
  sentPerSecond: number;
  /** The longest a request was sent after its intended time (ms): the generator's own lag, counted in the latencies. */
  maxSendLagMs: number;
  /** How long after its intended time each request was sent (ms, sorted): the generator's share of the latencies. */
  sendLagsMs: Float64Array;
  /** Wall time from the first intended send to the last answer. */
  seconds: number;
  requests: number;
  /** Requests never answered (the server closed their connection); their latency is +Infinity. */
  lost: number;
}

/**
 * Open-loop (fixed-rate) load: request i is due at start + i / rate, whatever happened to the
 * ones before it, and its latency runs from that intended time to its answer, so a slow answer
 * (or a generator that fell behind) cannot hide the requests that would have queued behind it
 * (no coordinated omission). Due requests go out on an idle connection of `connections`; when all
 * are busy, they are pipelined on the connection with the fewest outstanding. A timer wakes the
 * generator for the next due request (about 1 ms granularity; requests that came due meanwhile go
 * out together, their wait counted). Requests not answered `drainMs` (default 5 s) after the last
 * was sent, or whose connection the server closed, are counted as lost, with infinite latency.
 *
 * @example
 * ```ts
 * const r = await openLoad({ host: '127.0.0.1', port, request, connections: 64, rate: 8_000, seconds: 3, check: (b) => JSON.parse(b).allowed === true });
 * ```
 */
export async function openLoad(o: { host: string; port: number; request: Buffer; connections: number; rate: number; seconds: number; drainMs?: number; check: (body: string) => boolean }): Promise<OpenLoadResult> {
  const total = Math.max(1, Math.round(o.rate * o.seconds));
  const sockets = await Promise.all(Array.from({ length: o.connections }, () => open(o.host, o.port)));
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  const interval = 1000 / o.rate;
  let next = 0;
  let done = 0;
  let checked = false;
  let maxLag = 0;
  let lastSend = 0;
  let timer: NodeJS.Timeout | null = null;
  const start = performance.now() + 5;
  const outstanding: number[][] = sockets.map(() => []);
  const closed: boolean[] = sockets.map(() => false);
  let answered = 0;
  let lost = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      sockets.forEach((socket, k) => {
        const due = outstanding[k] as number[];
        const reader = new ResponseReader((status, body) => {
          const intended = due.shift() as number;
          if (done >= total) return;
          if (status !== 200) return reject(new Error(`HTTP ${status}: ${body.toString('utf8').slice(0, 300)}`));
          if (!checked) {
            checked = true;
            if (!o.check(body.toString('utf8'))) return reject(new Error(`an unexpected answer: ${body.toString('utf8').slice(0, 300)}`));
          }
          latencies[answered++] = performance.now() - intended;
          done++;
          if (done === total) resolve();
        });
        socket.on('data', (chunk: Buffer) => {
          try {
            reader.push(chunk);
          } catch (e) {
            reject(e as Error);
          }
        });
        // An overloaded server may close a connection (its header or request timeout): what was
        // outstanding on it is lost, counted as never answered, and nothing more is sent on it.
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (done === total) return;
          closed[k] = true;
          lost += due.length;
          done += due.length;
          due.length = 0;
          if (closed.every(Boolean)) {
            lost += total - next;
            done += total - next;
            next = total;
          }
          if (done === total) resolve();
        });
      });
      const tick = (): void => {
        timer = null;
        const now = performance.now();
        while (next < total) {
          const intended = start + next * interval;
          if (intended > now) break;
          // The least-loaded connection: an idle one when there is one.
          let best = closed.indexOf(false);
          if (best === -1) {
            lost += total - next;
            done += total - next;
            next = total;
            break;
          }
          for (let k = best + 1; k < outstanding.length && (outstanding[best] as number[]).length > 0; k++) if (!closed[k] && (outstanding[k] as number[]).length < (outstanding[best] as number[]).length) best = k;
          (outstanding[best] as number[]).push(intended);
          (sockets[best] as Socket).write(o.request);
          lags[next] = now - intended;
          maxLag = Math.max(maxLag, now - intended);
          lastSend = now;
          next++;
        }
        if (next < total) timer = setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
        else if (done < total) {
          // All sent: what is not answered within drainMs counts as lost (an overloaded server's backlog).
          timer = setTimeout(() => {
            lost += total - done;
            done = total;
            resolve();
          }, o.drainMs ?? 5_000);
        }
      };
      timer = setTimeout(tick, Math.max(0, start - performance.now()));
    });
  } finally {
    if (timer !== null) clearTimeout(timer);
    for (const s of sockets) s.destroy();
  }
  const end = performance.now();
  // The lost ones count as never answered: past every measured latency.
  latencies.fill(Number.POSITIVE_INFINITY, answered);
  latencies.sort();
  lags.sort();
  return { lost, latenciesMs: latencies, offeredPerSecond: o.rate, sentPerSecond: total > 1 ? (total - 1) / ((lastSend - start) / 1000) : o.rate, maxSendLagMs: maxLag, sendLagsMs: lags, seconds: (end - start) / 1000, requests: total };
}

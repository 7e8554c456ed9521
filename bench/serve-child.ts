/**
 * The service under bench/serve.ts, in its own process, so its CPU time can be measured apart from
 * the load generator's (process.cpuUsage() here counts every thread of the server: the event loop,
 * the collector, and the file writes). `node` is createDecisionServer (node:http, the shipped
 * server); `hono` is the same decide path (token check, bounded strict body, the same Pipeline) on
 * hono + @hono/node-server, for the framework comparison.
 *
 * Messages from the parent: `cpu` (answers the process's CPU time so far, in µs, and the part of it
 * spent in the kernel), `probe-reset` and `probe` (with `probe: true`: what the server itself saw,
 * {@link ServerProbe}) and `stop`
 * (closes the server and the sink, then exits, so `--cpu-prof` can write its profile).
 */
import { subscribe } from 'node:diagnostics_channel';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { openFileAuditSink } from '../src/audit/file-sink.js';
import type { FsyncPolicy } from '../src/audit/sink-options.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { loadPolicyFiles } from '../src/enforce/load-files.js';
import { createAuthenticator } from '../src/server/auth.js';
import { createDecisionServer } from '../src/server/decision-server.js';
import { parseBody } from '../src/server/http-io.js';
import { createMemoryStore } from '../src/store/memory.js';

/** What the parent passes (as JSON in argv[2]). */
export interface ServeChildData {
  kind: 'node' | 'hono';
  policy: string;
  audit: string;
  token: string;
  fsync: FsyncPolicy;
  /** Measure inside the server too (see ServerProbe); a child of an older build ignores it. */
  probe?: boolean;
}

/** What the server saw since the last `probe-reset`: its own latencies, GC pauses and event-loop delay (ms). */
export interface ServerProbe {
  /** Requests answered, and their latency from the request's headers parsed to its answer written (sorted). */
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** Garbage collections: count, total and longest pause, and the count of each kind (minor, major, incremental, weak). */
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  gcKinds: Record<string, number>;
  /** The event loop's delay (monitorEventLoopDelay, 1 ms resolution): p99 and max. */
  loopP99: number;
  loopMax: number;
  /** Bytes allocated on the JS heap per answered request (heap growth between collections, from v8.GCProfiler). */
  allocPerRequest: number;
}

const data = JSON.parse(process.argv[2] as string) as ServeChildData;
const send = (m: unknown): void => void process.send?.(m);

/**
 * The server's own view, when asked (`probe`): each request's time from node:http's request event
 * (headers parsed) to its response finished (handed to the socket), through node:http's
 * diagnostics channels, so the service's code is the same as without the probe. A request's bytes
 * may wait in the kernel before that start, while the event loop is busy; the loop delay says how long.
 */
const probe = data.probe === true ? startProbe() : null;
function startProbe(): { reset(): void; read(): ServerProbe } {
  const started = new WeakMap<object, number>();
  let times = new Float64Array(1 << 16);
  let n = 0;
  subscribe('http.server.request.start', (m) => started.set((m as { response: object }).response, performance.now()));
  subscribe('http.server.response.finish', (m) => {
    const t0 = started.get((m as { response: object }).response);
    if (t0 === undefined) return;
    if (n === times.length) {
      const grown = new Float64Array(times.length * 2);
      grown.set(times);
      times = grown;
    }
    times[n++] = performance.now() - t0;
  });
  const gcNames: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak' };
  let gc = { count: 0, total: 0, max: 0, kinds: {} as Record<string, number> };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.total += e.duration;
      gc.max = Math.max(gc.max, e.duration);
      const kind = gcNames[((e as { detail?: unknown }).detail as { kind?: number } | null | undefined)?.kind ?? 0] ?? 'other';
      gc.kinds[kind] = (gc.kinds[kind] ?? 0) + 1;
    }
  }).observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  // WARDEN_BENCH_HEAP_PROF=<file>: where the allocations between probe-reset and probe come from
  // (V8's sampling heap profiler, counting objects the GC collected too), as a .heapprofile.
  const heapProf = process.env.WARDEN_BENCH_HEAP_PROF;
  const session = heapProf === undefined || heapProf === '' ? null : new Session();
  session?.connect();
  let profiler = new GCProfiler();
  let heapAtReset = getHeapStatistics().used_heap_size;
  profiler.start();
  return {
    reset() {
      n = 0;
      gc = { count: 0, total: 0, max: 0, kinds: {} };
      loop.reset();
      profiler.stop();
      profiler = new GCProfiler();
      heapAtReset = getHeapStatistics().used_heap_size;
      profiler.start();
      session?.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
    },
    read() {
      // Allocated = what the heap grew by between collections (and since the last one).
      let allocated = 0;
      let from = heapAtReset;
      for (const g of profiler.stop()?.statistics ?? []) {
        allocated += g.beforeGC.heapStatistics.usedHeapSize - from;
        from = g.afterGC.heapStatistics.usedHeapSize;
      }
      allocated += getHeapStatistics().used_heap_size - from;
      profiler = new GCProfiler();
      profiler.start();
      session?.post('HeapProfiler.stopSampling', (err, r) => {
        if (err === null) writeFileSync(heapProf as string, JSON.stringify(r.profile));
      });
      const sorted = times.slice(0, n).sort();
      const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(n * q))] ?? 0;
      return { n, p50: at(0.5), p99: at(0.99), max: at(1), gcCount: gc.count, gcTotalMs: gc.total, gcMaxMs: gc.max, gcKinds: gc.kinds, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, allocPerRequest: n > 0 ? allocated / n : 0 };
    },
  };
}
// As warden serve opens its file sink (gather: 'turn'), with the fsync policy under test.
const sink = await openFileAuditSink({ path: data.audit, fsync: data.fsync, gather: 'turn' });
const auth = { tokens: [{ subject: 'bench', token: data.token }] };
let close: () => Promise<void>;
if (data.kind === 'node') {
  const server = await createDecisionServer({ policy: [data.policy], auth, sink, store: createMemoryStore(), port: 0, onWarning: () => undefined });
  const { url } = await server.listen();
  close = () => server.close();
  send({ url, probe: probe !== null });
} else {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const pipeline = new Pipeline({ policy: await loadPolicyFiles([data.policy]), sink, state: { store: createMemoryStore() } });
  const authenticate = createAuthenticator(auth);
  const app = new Hono<{ Bindings: { incoming: import('node:http').IncomingMessage } }>();
  app.post('/v1/decide', async (c) => {
    const who = await authenticate(c.env.incoming, new Date());
    if (!who.ok) return c.json({ error: { code: 'unauthenticated' } }, 401);
    const text = await c.req.text();
    if (text.length > 1024 * 1024) return c.json({ error: { code: 'body_too_large' } }, 413);
    const body = parseBody(text);
    const request = 'value' in body ? body.value : {};
    const { verdict } = await pipeline.decide({ request, agent: { id: who.agent.id }, parsedJson: true, ...('problem' in body ? { invalid: body.problem.message } : {}) });
    return c.json({ ...verdict, requestDigest: verdict.requestDigest, revision: null });
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ url: `http://127.0.0.1:${info.port}`, probe: probe !== null }));
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
}

process.on('message', (m: unknown) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    send({ cpuUs: u.user + u.system, systemUs: u.system });
  } else if (m === 'probe-reset') {
    probe?.reset();
    send({ reset: true });
  } else if (m === 'probe') {
    send({ probe: probe?.read() ?? null });
  } else if (m === 'stop') {
    void close()
      .then(() => sink.close())
      .finally(() => process.exit(0));
  }
});

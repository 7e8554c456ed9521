/**
 * The open-loop load generator of bench/serve.ts in a worker thread: its own event loop and heap,
 * so the bench process's other work (its larger heap after the in-process rows, IPC with the
 * server child) neither delays its sends nor its reading of answers. It still shares the
 * machine's cores with the server; its send lag is reported beside the latencies.
 *
 * workerData: the openLoad options without `check` (every answer of /v1/decide must say
 * `allowed: true`; the first one is checked). Posts back the OpenLoadResult and the worker's own
 * GC pauses.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { openLoad, type OpenLoadResult } from './http-load.js';

/** What the worker posts back. */
export interface LoadWorkerResult {
  result: OpenLoadResult;
  /** The generator's GC pauses while it ran (ms). */
  gc: { count: number; totalMs: number; maxMs: number; kinds: Record<string, number> };
}

const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak' };
const o = workerData as { host: string; port: number; request: Uint8Array; connections: number; rate: number; seconds: number; drainMs?: number };
const gc: LoadWorkerResult['gc'] = { count: 0, totalMs: 0, maxMs: 0, kinds: {} };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
    const kind = GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
    gc.kinds[kind] = (gc.kinds[kind] ?? 0) + 1;
  }
});
observer.observe({ entryTypes: ['gc'] });
const result = await openLoad({ ...o, request: Buffer.from(o.request), check: (text) => (JSON.parse(text) as { allowed?: unknown }).allowed === true });
observer.disconnect();
const out: LoadWorkerResult = { result, gc };
parentPort?.postMessage(out, [result.latenciesMs.buffer as ArrayBuffer, result.sendLagsMs.buffer as ArrayBuffer]);

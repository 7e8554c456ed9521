/**
 * What SRE state and telemetry add to a governed call. The target: the observe stage with
 * telemetry on (SRE runtime with a breaker and an SLO, OpenTelemetry spans through the SDK, and
 * Prometheus metrics) adds at most 3 µs p50 per call. Each row times `pipeline.observe()` alone
 * (the synchronous part the caller's thread pays; the sink's write is a MemorySink), after the
 * call was decided untimed, so a span is open for it. Beside it: the admit stage's cost (decide
 * with and without the SRE runtime), and cockatiel's circuit breaker around an async call, the
 * library users would otherwise pick.
 */
import { performance } from 'node:perf_hooks';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { CallMonitor } from '../src/monitor.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { compilePolicy } from '../src/policy/compile.js';
import { createSre } from '../src/sre/runtime.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { createTracing } from '../src/telemetry/tracing.js';
import { measureAsync, printTable, type Timing } from './stats.js';

/** An exporter that drops spans: the SDK does all its work, nothing leaves the process. */
class DropExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: 0 }) => void): void {
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const policy = compilePolicy([{ name: 'bench', text: 'apiVersion: warden/v1\nkind: Policy\nname: bench\nrules:\n  - name: search\n    tools: [search]\n    effect: allow\n' }]);
const request = { tool: 'search', args: { q: 'refund policy' }, context: { conversationId: 'conv-1' } };

function sre(): ReturnType<typeof createSre> {
  return createSre({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 5 }], slos: [{ name: 'search', tools: ['search'], objective: 0.99 }] });
}

/** Times observe() for calls decided (untimed) just before, in batches that keep open spans under the bound. */
async function observeRow(name: string, monitors: CallMonitor[], samples = 20_000): Promise<Timing> {
  const pipeline = new Pipeline({ policy, agent: { id: 'bench' }, sink: new MemorySink({ capacity: 100_000_000 }), monitors });
  const times = new Float64Array(samples);
  const batch = 2_000;
  const run = async (n: number, record: boolean, offset: number): Promise<void> => {
    const calls: string[] = [];
    for (let i = 0; i < n; i++) calls.push((await pipeline.decide({ request })).verdict.call);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      void pipeline.observe({ call: calls[i] as string, tool: 'search' }, { status: 'ok', durationMs: 3 });
      const dt = performance.now() - t0;
      if (record) times[offset + i] = dt;
    }
  };
  for (let w = 0; w < 3; w++) await run(batch, false, 0);
  const start = performance.now();
  for (let done = 0; done < samples; done += batch) await run(Math.min(batch, samples - done), true, done);
  const total = performance.now() - start;
  times.sort();
  return { name, samples, p50us: (times[Math.floor(samples * 0.5)] ?? 0) * 1000, p99us: (times[Math.floor(samples * 0.99)] ?? 0) * 1000, opsPerSec: samples / (total / 1000) };
}

/** Runs the SRE and telemetry bench. */
export async function run(): Promise<void> {
  // BatchSpanProcessor is what production exporters run behind; SimpleSpanProcessor exports each span as it ends.
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DropExporter(), { maxQueueSize: 100_000, maxExportBatchSize: 2_048 })] });
  const tracer = provider.getTracer('bench');
  const simple = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new DropExporter())] }).getTracer('bench');
  const rows: Timing[] = [];
  rows.push(await observeRow('observe, no monitors (baseline)', []));
  rows.push(await observeRow('observe + SRE (breaker, SLO)', [sre()]));
  const s1 = sre();
  rows.push(await observeRow('observe + SRE + metrics (prom-client)', [s1, createMetrics({ sre: s1 })]));
  rows.push(await observeRow('observe + SRE + spans (API only, no SDK)', [sre(), createTracing()]));
  rows.push(await observeRow('observe + SRE + spans (SDK, batch processor)', [sre(), createTracing({ tracer })]));
  const s2 = sre();
  rows.push(await observeRow('observe + SRE + spans (SDK, batch) + metrics: telemetry on', [s2, createTracing({ tracer }), createMetrics({ sre: s2 })]));
  const s5 = sre();
  rows.push(await observeRow('same, SDK with SimpleSpanProcessor', [s5, createTracing({ tracer: simple }), createMetrics({ sre: s5 })]));
  printTable('observe stage per call (sequential; decided untimed just before)', rows);
  const base = rows[0] as Timing;
  const on = rows[5] as Timing;
  console.log(`Added by telemetry on, p50: ${(on.p50us - base.p50us).toFixed(2)} µs (target: at most 3 µs). Load: see uptime.`);

  const decideRows: Timing[] = [];
  const plain = new Pipeline({ policy, agent: { id: 'bench' }, sink: new MemorySink({ capacity: 100_000_000 }) });
  decideRows.push(await measureAsync('decide, no monitors', () => plain.decide({ request }), { samples: 20_000 }));
  const s3 = sre();
  const withSre = new Pipeline({ policy, agent: { id: 'bench' }, sink: new MemorySink({ capacity: 100_000_000 }), monitors: [s3] });
  decideRows.push(await measureAsync('decide + SRE admit (breaker, SLO)', () => withSre.decide({ request }), { samples: 20_000 }));
  const s4 = sre();
  const all = new Pipeline({ policy, agent: { id: 'bench' }, sink: new MemorySink({ capacity: 100_000_000 }), monitors: [s4, createTracing({ tracer, maxOpenSpans: 1 }), createMetrics({ sre: s4 })] });
  decideRows.push(await measureAsync('decide + SRE + spans (SDK) + metrics', () => all.decide({ request }), { samples: 20_000 }));
  printTable('decide per call, with the admit and notify stages', decideRows);

  const breaker = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  const tool = async (): Promise<string> => 'hits';
  const peers: Timing[] = [];
  peers.push(await measureAsync('async tool call alone', () => tool(), { samples: 20_000 }));
  peers.push(await measureAsync('cockatiel circuitBreaker.execute(tool)', () => breaker.execute(tool), { samples: 20_000 }));
  const only = sre();
  let n = 0;
  peers.push(
    await measureAsync(
      'Warden breaker: admit + tool + observed',
      async () => {
        const call = `c${++n}`;
        only.admit({ call, tool: 'search', agent: null, request });
        const value = await tool();
        only.observed({ ts: '', call, tool: 'search', agent: null, outcome: { status: 'ok', durationMs: 1 } });
        return value;
      },
      { samples: 20_000 },
    ),
  );
  printTable('a circuit breaker around an async call (Warden\'s includes its SLO)', peers);
}

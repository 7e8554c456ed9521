/** Shared timing helpers for the benches: hand-rolled loops, p50/p99, ops/s. */
import { performance } from 'node:perf_hooks';

export interface Timing {
  name: string;
  samples: number;
  p50us: number;
  p99us: number;
  opsPerSec: number;
}

/**
 * Times `fn` one call at a time (for p50/p99) after a warm-up, and in a tight loop (for ops/s).
 *
 * @example
 * ```ts
 * const t = measure('noop', () => {}, { samples: 10_000 });
 * ```
 */
export function measure(name: string, fn: () => unknown, opts: { samples?: number; warmup?: number; loopMs?: number } = {}): Timing {
  const samples = opts.samples ?? 20_000;
  const warmup = opts.warmup ?? Math.min(samples, 5_000);
  for (let i = 0; i < warmup; i++) fn();
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn();
    times[i] = performance.now() - t0;
  }
  times.sort();
  const loopMs = opts.loopMs ?? 300;
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < loopMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = performance.now();
  }
  return {
    name,
    samples,
    p50us: (times[Math.floor(samples * 0.5)] ?? 0) * 1000,
    p99us: (times[Math.floor(samples * 0.99)] ?? 0) * 1000,
    opsPerSec: n / ((now - start) / 1000),
  };
}

/** Async variant of {@link measure} (sequential awaits). */
export async function measureAsync(name: string, fn: () => Promise<unknown>, opts: { samples?: number; warmup?: number } = {}): Promise<Timing> {
  const samples = opts.samples ?? 5_000;
  const warmup = opts.warmup ?? Math.min(samples, 1_000);
  for (let i = 0; i < warmup; i++) await fn();
  const times = new Float64Array(samples);
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    times[i] = performance.now() - t0;
  }
  const total = performance.now() - start;
  times.sort();
  return {
    name,
    samples,
    p50us: (times[Math.floor(samples * 0.5)] ?? 0) * 1000,
    p99us: (times[Math.floor(samples * 0.99)] ?? 0) * 1000,
    opsPerSec: samples / (total / 1000),
  };
}

/** Prints timings as an aligned table. */
export function printTable(title: string, rows: Timing[]): void {
  console.log(`\n## ${title}`);
  const w = Math.max(...rows.map((r) => r.name.length), 8);
  console.log(`${'case'.padEnd(w)}  ${'p50 µs'.padStart(10)}  ${'p99 µs'.padStart(10)}  ${'ops/s'.padStart(14)}`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)}  ${r.p50us.toFixed(2).padStart(10)}  ${r.p99us.toFixed(2).padStart(10)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(14)}`,
    );
  }
}

/**
 * Measuring a detector on a labelled set: recall, false-positive rate and latency, as
 * `warden detect --eval` prints them.
 */
import { performance } from 'node:perf_hooks';
import { WardenError } from '../errors.js';
import type { DetectionResult } from './types.js';

/** Timed runs per example; the fastest counts. */
const TIMED_RUNS = 3;

/** One labelled example. */
export interface LabelledText {
  text: string;
  label: 'attack' | 'benign';
}

/**
 * What {@link evaluateDetector} measured.
 *
 * @example
 * ```ts
 * const r: EvaluationReport = { recall: 0.9, falsePositiveRate: 0.02, p99Micros: 120, count: 300, attacks: 200, benign: 100, missed: [], falsePositives: [] };
 * ```
 */
export interface EvaluationReport {
  /** Detected attacks / attacks (0 when there are no attacks). */
  recall: number;
  /** Flagged benign texts / benign texts (0 when there are none). */
  falsePositiveRate: number;
  /** 99th percentile over the examples of the time to scan one (the fastest of three timed runs each), in microseconds. */
  p99Micros: number;
  count: number;
  attacks: number;
  benign: number;
  /** Line numbers (1-based) of attacks not detected. */
  missed: number[];
  /** Line numbers (1-based) of benign texts flagged. */
  falsePositives: number[];
}

/**
 * Parses a JSONL labelled set: each non-empty line `{"text": "...", "label": "attack" | "benign"}`
 * (other keys are ignored).
 *
 * @example
 * ```ts
 * parseLabelledSet('{"text":"hi","label":"benign"}\n', 'set.jsonl'); // [{ text: 'hi', label: 'benign', line: 1 }]
 * ```
 * @throws WardenError `ERR_INPUT` naming the line that is not a labelled example.
 */
export function parseLabelledSet(jsonl: string, where: string): Array<LabelledText & { line: number }> {
  const out: Array<LabelledText & { line: number }> = [];
  const lines = jsonl.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new WardenError('ERR_INPUT', `${where}:${i + 1} is not JSON (${(e as Error).message}). Each line is {"text": "...", "label": "attack" | "benign"}.`);
    }
    const r = row as { text?: unknown; label?: unknown } | null;
    if (r === null || typeof r !== 'object' || typeof r.text !== 'string' || (r.label !== 'attack' && r.label !== 'benign')) {
      throw new WardenError('ERR_INPUT', `${where}:${i + 1} is not a labelled example. Each line is {"text": "...", "label": "attack" | "benign"}.`);
    }
    out.push({ text: r.text, label: r.label, line: i + 1 });
  }
  return out;
}

/**
 * Runs `detect` on every example (once untimed to warm up, then three times timed, keeping the
 * fastest) and measures recall, false-positive rate and p99 latency. A
 * detector that throws on an example counts as detecting it (the fail-closed reading: what cannot
 * be scanned is treated as untrusted), so a throw on a benign example is a false positive.
 *
 * @example
 * ```ts
 * const report = evaluateDetector(parseLabelledSet(text, 'set.jsonl'), (t) => detectInjection(t));
 * console.log(report.recall, report.falsePositiveRate);
 * ```
 */
export function evaluateDetector(rows: ReadonlyArray<LabelledText & { line?: number }>, detect: (text: string) => DetectionResult): EvaluationReport {
  // One untimed pass first, so the times are the steady state (compiled code, warm caches), not the start-up.
  for (const row of rows) {
    try {
      detect(row.text);
    } catch {
      // counted below
    }
  }
  const hits: boolean[] = [];
  const times: number[] = [];
  for (const row of rows) {
    let hit = false;
    // The fastest of TIMED_RUNS runs: what the detector costs on this example, not how long the
    // scheduler of a shared machine happened to keep the process waiting.
    let best = Infinity;
    for (let k = 0; k < TIMED_RUNS; k++) {
      const t0 = performance.now();
      try {
        hit = detect(row.text).detected;
      } catch {
        hit = true;
      }
      best = Math.min(best, (performance.now() - t0) * 1000);
    }
    hits.push(hit);
    times.push(best);
  }
  return tally(rows, hits, times);
}

/**
 * {@link evaluateDetector} for an asynchronous detector (a tier 3 model, or tiers merged with
 * one): the same passes and the same reading of a throw (detected). Examples run one at a time.
 *
 * @example
 * ```ts
 * const model = await loadOnnxDetectorFile('model.json');
 * const report = await evaluateDetectorAsync(parseLabelledSet(text, 'set.jsonl'), (t) => model.detect(t));
 * ```
 */
export async function evaluateDetectorAsync(rows: ReadonlyArray<LabelledText & { line?: number }>, detect: (text: string) => Promise<DetectionResult>): Promise<EvaluationReport> {
  for (const row of rows) {
    try {
      await detect(row.text);
    } catch {
      // counted below
    }
  }
  const hits: boolean[] = [];
  const times: number[] = [];
  for (const row of rows) {
    let hit = false;
    let best = Infinity;
    for (let k = 0; k < TIMED_RUNS; k++) {
      const t0 = performance.now();
      try {
        hit = (await detect(row.text)).detected;
      } catch {
        hit = true;
      }
      best = Math.min(best, (performance.now() - t0) * 1000);
    }
    hits.push(hit);
    times.push(best);
  }
  return tally(rows, hits, times);
}

function tally(rows: ReadonlyArray<LabelledText & { line?: number }>, hits: readonly boolean[], times: number[]): EvaluationReport {
  let attacks = 0;
  let caught = 0;
  let benign = 0;
  let flagged = 0;
  const missed: number[] = [];
  const falsePositives: number[] = [];
  rows.forEach((row, i) => {
    const hit = hits[i] === true;
    const line = row.line ?? i + 1;
    if (row.label === 'attack') {
      attacks++;
      if (hit) caught++;
      else missed.push(line);
    } else {
      benign++;
      if (hit) {
        flagged++;
        falsePositives.push(line);
      }
    }
  });
  times.sort((a, b) => a - b);
  const p99 = times.length === 0 ? 0 : (times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)] as number);
  return {
    recall: attacks === 0 ? 0 : round(caught / attacks),
    falsePositiveRate: benign === 0 ? 0 : round(flagged / benign),
    p99Micros: Math.round(p99 * 10) / 10,
    count: rows.length,
    attacks,
    benign,
    missed,
    falsePositives,
  };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

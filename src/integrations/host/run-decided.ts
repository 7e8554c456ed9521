/**
 * What every host adapter does once the pipeline has decided a call: run exactly the decided
 * snapshot (a fresh copy of its arguments, never the host's objects) and record the outcome.
 * Internal to src/integrations.
 */
import { performance } from 'node:perf_hooks';
import type { Outcome, OutcomeFinding } from '../../decision.js';
import { forEachResultString } from '../../detect/output.js';
import { WardenError } from '../../errors.js';
import type { Governor } from '../../enforce/governor.js';
import type { DecidedCall } from '../../enforce/pipeline.js';
import { observedResult, scannedResultWith, withheldError } from './scanned-outcome.js';

/** The arguments of a decided call, as a fresh copy of the snapshot. */
export function decidedArgs(decided: DecidedCall): Record<string, unknown> {
  const snapshot = decided.snapshot;
  if (snapshot === null) throw new Error('a decided call without a snapshot cannot run');
  return (JSON.parse(snapshot.text) as { args: Record<string, unknown> }).args;
}

/**
 * Where a host's result keeps what the model reads, for a host whose results are objects that
 * must keep their class (a LangChain ToolMessage): `read` gives the part to scan, `write` a result
 * with that part replaced by its redacted copy.
 */
export interface ResultShape<T> {
  read(result: T): unknown;
  write(result: T, redacted: unknown): T;
}

/**
 * Runs `run` with the decided arguments and records its outcome (ok or error, the duration, and
 * what the result carries). When the decision says `redactSecrets`, the result returned (what the
 * host hands the model) is the redacted copy, and a result that cannot be scanned is an error.
 */
export async function runDecided<T>(governor: Governor, decided: DecidedCall, tool: string, run: (args: Record<string, unknown>) => T | Promise<T>, shape?: ResultShape<T>): Promise<T> {
  const args = decidedArgs(decided);
  const started = performance.now();
  try {
    const result = await run(args);
    const seen = shape === undefined ? result : shape.read(result);
    const scanned = await observedResult(governor.pipeline, { call: decided.verdict.call, tool }, seen, decided.verdict.policyDecision.redactSecrets === true, performance.now() - started);
    if (scanned.withheld) throw withheldError(tool);
    if (scanned.value === seen) return result;
    return shape === undefined ? (scanned.value as T) : shape.write(result, scanned.value);
  } catch (e) {
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, failed(e, started));
    throw e;
  }
}

/**
 * Most characters of text scanned across the values one streamed call yields; past it the stream
 * is cut off with `ERR_DETECT_LIMIT` (what is left is withheld) and the outcome is `untrusted`.
 */
export const MAX_STREAM_CHARS = 8 * 1024 * 1024;

/**
 * {@link runDecided} for a streaming tool (one whose run yields values: in the AI SDK each is a
 * preliminary result and the last is the output the model reads). Every value is scanned before
 * it is passed on, as a whole result is: with `redactSecrets` the redacted copy is yielded, and a
 * value that cannot be scanned ends the stream with `ERR_DETECT_LIMIT`. The labels and findings
 * of all values are recorded on the one outcome when the stream ends (so an injection marks the
 * session before the host hands the model the final output); more than {@link MAX_STREAM_CHARS}
 * characters in all ends the stream, withheld, whatever the policy says about redaction.
 */
export async function* runDecidedStream<T>(governor: Governor, decided: DecidedCall, tool: string, run: (args: Record<string, unknown>) => AsyncIterable<T>): AsyncGenerator<T> {
  const args = decidedArgs(decided);
  const started = performance.now();
  const redact = decided.verdict.policyDecision.redactSecrets === true;
  const seen = new StreamFindings();
  let finished = false;
  try {
    for await (const value of run(args)) {
      seen.count(value, tool);
      const scanned = await scannedResultWith(governor.pipeline.resultModel, value, redact);
      seen.add(scanned.outcome);
      if (scanned.withheld) throw withheldError(tool);
      yield scanned.value;
    }
    finished = true;
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, seen.on({ status: 'ok', durationMs: performance.now() - started }));
  } catch (e) {
    finished = true;
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, seen.on(failed(e, started)));
    throw e;
  } finally {
    // The consumer stopped early (return() on the generator): the call was cut short.
    if (!finished) await governor.pipeline.observe({ call: decided.verdict.call, tool }, seen.on({ status: 'aborted', durationMs: performance.now() - started }));
  }
}

/** What the values of one stream carried, together: labels, distinct findings (bounded), characters. */
class StreamFindings {
  readonly #labels = new Set<string>();
  readonly #findings = new Map<string, OutcomeFinding>();
  #chars = 0;

  /** Counts a value's text against the stream's budget; throws (after marking the stream) when over. */
  count(value: unknown, tool: string): void {
    let chars = 0;
    try {
      forEachResultString(value, (text) => {
        chars += text.length;
      });
    } catch {
      return; // too deep or cyclic: the value's own scan reports it
    }
    this.#chars += chars;
    if (this.#chars <= MAX_STREAM_CHARS) return;
    this.#labels.add('untrusted');
    this.#findings.set('output.unscanned', { detector: 'injection', rule: 'output.unscanned', start: 0, end: 0, score: 1, reason: `the stream returned more than ${MAX_STREAM_CHARS} characters of text; the rest was withheld and the result treated as untrusted`, path: '$' });
    throw new WardenError('ERR_DETECT_LIMIT', `The streamed result of ${tool} returned more than ${MAX_STREAM_CHARS} characters of text, more than Warden scans for one call, so the rest was withheld. Stream less, or return a smaller result.`);
  }

  add(outcome: Outcome): void {
    for (const l of outcome.labels ?? []) this.#labels.add(l);
    for (const f of outcome.findings ?? []) {
      // Streamed values often repeat what came before (each a fuller snapshot): one finding each.
      const key = `${f.detector}|${f.rule}|${f.path ?? ''}|${f.start}|${f.end}`;
      if (!this.#findings.has(key) && this.#findings.size < MAX_STREAM_FINDINGS) this.#findings.set(key, f);
    }
  }

  on(outcome: Outcome): Outcome {
    return {
      ...outcome,
      ...(this.#labels.size > 0 ? { labels: [...this.#labels] } : {}),
      ...(this.#findings.size > 0 ? { findings: [...this.#findings.values()] } : {}),
    };
  }
}

const MAX_STREAM_FINDINGS = 200;

function failed(e: unknown, started: number): Outcome {
  const error = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
  return { status: 'error', durationMs: performance.now() - started, error };
}

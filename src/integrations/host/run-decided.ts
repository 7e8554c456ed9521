/**
 * What every host adapter does once the pipeline has decided a call: run exactly the decided
 * snapshot (a fresh copy of its arguments, never the host's objects) and record the outcome.
 * Internal to src/integrations.
 */
import { performance } from 'node:perf_hooks';
import type { Outcome } from '../../decision.js';
import type { Governor } from '../../enforce/governor.js';
import type { DecidedCall } from '../../enforce/pipeline.js';
import { scannedResult, withheldError } from './scanned-outcome.js';

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
    const scanned = scannedResult(seen, decided.verdict.policyDecision.redactSecrets === true, performance.now() - started);
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, scanned.outcome);
    if (scanned.withheld) throw withheldError(tool);
    if (scanned.value === seen) return result;
    return shape === undefined ? (scanned.value as T) : shape.write(result, scanned.value);
  } catch (e) {
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, failed(e, started));
    throw e;
  }
}

/** {@link runDecided} for a streaming tool: the outcome is recorded when the stream ends (its chunks are not scanned). */
export async function* runDecidedStream<T>(governor: Governor, decided: DecidedCall, tool: string, run: (args: Record<string, unknown>) => AsyncIterable<T>): AsyncGenerator<T> {
  const args = decidedArgs(decided);
  const started = performance.now();
  let finished = false;
  try {
    yield* run(args);
    finished = true;
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, { status: 'ok', durationMs: performance.now() - started });
  } catch (e) {
    finished = true;
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, failed(e, started));
    throw e;
  } finally {
    // The consumer stopped early (return() on the generator): the call was cut short.
    if (!finished) await governor.pipeline.observe({ call: decided.verdict.call, tool }, { status: 'aborted', durationMs: performance.now() - started });
  }
}

function failed(e: unknown, started: number): Outcome {
  const error = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
  return { status: 'error', durationMs: performance.now() - started, error };
}

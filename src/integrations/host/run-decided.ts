/**
 * What every host adapter does once the pipeline has decided a call: run exactly the decided
 * snapshot (a fresh copy of its arguments, never the host's objects) and record the outcome.
 * Internal to src/integrations.
 */
import { performance } from 'node:perf_hooks';
import type { Outcome } from '../../decision.js';
import type { Governor } from '../../enforce/governor.js';
import type { DecidedCall } from '../../enforce/pipeline.js';
import { scannedOutcome } from './scanned-outcome.js';

/** The arguments of a decided call, as a fresh copy of the snapshot. */
export function decidedArgs(decided: DecidedCall): Record<string, unknown> {
  const snapshot = decided.snapshot;
  if (snapshot === null) throw new Error('a decided call without a snapshot cannot run');
  return (JSON.parse(snapshot.text) as { args: Record<string, unknown> }).args;
}

/** Runs `run` with the decided arguments and records its outcome (ok or error, the duration, and what the result carries). */
export async function runDecided<T>(governor: Governor, decided: DecidedCall, tool: string, run: (args: Record<string, unknown>) => T | Promise<T>): Promise<T> {
  const args = decidedArgs(decided);
  const started = performance.now();
  try {
    const result = await run(args);
    await governor.pipeline.observe({ call: decided.verdict.call, tool }, scannedOutcome(result, performance.now() - started));
    return result;
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

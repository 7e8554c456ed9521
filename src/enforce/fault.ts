/**
 * Applying a chaos experiment's fault to the real call path of a governed function: the caller
 * really waits, really gets the error or the oversized result, and the outcome the pipeline
 * records (and breakers and SLOs count) is what the caller saw.
 */
import { performance } from 'node:perf_hooks';
import type { Fault } from '../monitor.js';

/**
 * The error an injected `error` or `timeout` fault throws in place of the call.
 *
 * @example
 * ```ts
 * try { await search({ q: 'x' }); } catch (e) { if (e instanceof InjectedFault) console.log(e.experiment); }
 * ```
 */
export class InjectedFault extends Error {
  readonly experiment: string;

  constructor(name: string, message: string, experiment: string) {
    super(message);
    this.name = name;
    this.experiment = experiment;
  }
}

/**
 * Where governed calls read time and wait: `now` (monotonic milliseconds) times each call's
 * duration, `sleep` delays an async call and `block` a synchronous one. Injected through the
 * pipeline's `timer` option so tests drive faults and durations by hand, with no wall clock.
 *
 * @example
 * ```ts
 * const timer: CallTimer = { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), block: (ms) => void ms };
 * ```
 */
export interface CallTimer {
  now(): number;
  sleep(ms: number): Promise<void>;
  block(ms: number): void;
}

/**
 * The real timer: `performance.now()`, `setTimeout`, and `Atomics.wait` to block the thread (a
 * synchronous governed function cannot be delayed any other way).
 *
 * @example
 * ```ts
 * const started = systemTimer.now();
 * ```
 */
export const systemTimer: CallTimer = Object.freeze({
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  block: (ms: number) => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
});

function thrown(fault: Fault): InjectedFault | null {
  if (fault.kind === 'error') return new InjectedFault(fault.name, `${fault.message} (injected by chaos experiment "${fault.experiment}")`, fault.experiment);
  if (fault.kind === 'timeout') return new InjectedFault('TimeoutError', `The call timed out after ${fault.ms} ms (injected by chaos experiment "${fault.experiment}").`, fault.experiment);
  return null;
}

function largeResult(fault: Fault, value: unknown): unknown {
  return fault.kind === 'large-result' ? 'x'.repeat(fault.bytes) : value;
}

/** Runs `run` asynchronously under `fault`. */
export async function runWithFault(fault: Fault, run: () => unknown, timer: CallTimer = systemTimer): Promise<unknown> {
  if (fault.kind === 'latency' || fault.kind === 'timeout') await timer.sleep(fault.ms);
  const error = thrown(fault);
  if (error !== null) throw error;
  const value = await run();
  if (fault.kind === 'slow-stream') await timer.sleep(fault.ms);
  return largeResult(fault, value);
}

/** Runs `run` synchronously under `fault` (delays block the thread, as a slow synchronous tool does). */
export function runWithFaultSync(fault: Fault, run: () => unknown, timer: CallTimer = systemTimer): unknown {
  if (fault.kind === 'latency' || fault.kind === 'timeout') timer.block(fault.ms);
  const error = thrown(fault);
  if (error !== null) throw error;
  const value = run();
  if (fault.kind === 'slow-stream') timer.block(fault.ms);
  return largeResult(fault, value);
}

/** Wraps an async iterator so each item arrives `fault.ms` late (slow-stream), after the other faults' effects. */
export async function* streamWithFault(fault: Fault, source: () => AsyncGenerator<unknown, unknown, unknown>, timer: CallTimer = systemTimer): AsyncGenerator<unknown, unknown, unknown> {
  if (fault.kind === 'latency' || fault.kind === 'timeout') await timer.sleep(fault.ms);
  const error = thrown(fault);
  if (error !== null) throw error;
  if (fault.kind === 'large-result') {
    yield* source();
    yield 'x'.repeat(fault.bytes);
    return undefined;
  }
  const it = source();
  let input: unknown;
  for (;;) {
    const step = await it.next(input);
    if (fault.kind === 'slow-stream') await timer.sleep(fault.ms);
    if (step.done === true) return step.value;
    input = yield step.value;
  }
}

/** The synchronous generator form of {@link streamWithFault}. */
export function* streamWithFaultSync(fault: Fault, source: () => Generator<unknown, unknown, unknown>, timer: CallTimer = systemTimer): Generator<unknown, unknown, unknown> {
  if (fault.kind === 'latency' || fault.kind === 'timeout') timer.block(fault.ms);
  const error = thrown(fault);
  if (error !== null) throw error;
  if (fault.kind === 'large-result') {
    yield* source();
    yield 'x'.repeat(fault.bytes);
    return undefined;
  }
  const it = source();
  let input: unknown;
  for (;;) {
    const step = it.next(input);
    if (fault.kind === 'slow-stream') timer.block(fault.ms);
    if (step.done === true) return step.value;
    input = yield step.value;
  }
}

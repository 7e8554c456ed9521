/**
 * Chaos experiments: faults injected into the real call path of governed calls that match a
 * selector, for a bounded time, share of calls and number of calls; and a report of what happened
 * meanwhile (what the calls returned, what the breakers did, how much error budget went).
 */
import type { Outcome } from '../decision.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { Fault } from '../monitor.js';
import { formatDuration, parseDuration } from './duration.js';
import { Selector } from './selector.js';

/**
 * A fault as declared: exactly one member.
 *
 * @example
 * ```ts
 * const f: FaultSpec = { error: { name: 'ECONNRESET', message: 'connection reset by peer' } };
 * ```
 */
export type FaultSpec =
  | { latency: string | number }
  | { error: { name?: string; message?: string } }
  | { timeout: string | number }
  | { largeResult: number }
  | { slowStream: string | number };

/**
 * A chaos experiment as declared (the body of a `kind: ChaosExperiment` document).
 *
 * @example
 * ```ts
 * const spec: ExperimentSpec = { name: 'flaky-search', tools: ['search_*'], fault: { error: { name: 'ECONNRESET' } }, fraction: 0.5, duration: '10m' };
 * ```
 */
export interface ExperimentSpec {
  name: string;
  description?: string;
  tools: string[];
  agents?: string[];
  /** Host globs (`context.host`); absent: any host. */
  hosts?: string[];
  fault: FaultSpec;
  /** Share of the matching calls that get the fault (0-1); default 1. */
  fraction?: number;
  /** How long the experiment runs once started; required, at most 24h. */
  duration: string | number;
  /** Most calls that get the fault; the experiment ends after them. */
  maxCalls?: number;
}

const SPEC_KEYS = ['name', 'description', 'tools', 'agents', 'hosts', 'fault', 'fraction', 'duration', 'maxCalls'];
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const MAX_DURATION_MS = 86_400_000;
/** Largest large-result fault: 64 MiB of characters. */
const MAX_RESULT = 64 * 1024 * 1024;
/** Longest delay a fault may add: 10 minutes. */
const MAX_DELAY_MS = 600_000;

/**
 * A validated experiment.
 *
 * @example
 * ```ts
 * const e = defineExperiment({ name: 'slow', tools: ['search'], fault: { latency: '200ms' }, duration: '5m' });
 * e.fault; // { kind: 'latency', ms: 200, experiment: 'slow' }
 * ```
 */
export interface ExperimentDefinition {
  readonly name: string;
  readonly selector: Selector;
  readonly fault: Fault;
  readonly fraction: number;
  readonly durationMs: number;
  readonly maxCalls: number | null;
}

/**
 * Validates an experiment spec.
 *
 * @example
 * ```ts
 * defineExperiment({ name: 'big', tools: ['fetch_page'], fault: { largeResult: 5_000_000 }, duration: '1m', maxCalls: 3 });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` naming the member that is wrong.
 */
export function defineExperiment(spec: ExperimentSpec): ExperimentDefinition {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new WardenError('ERR_SRE_CONFIG', 'A chaos experiment must be an object { name, tools, fault, duration, fraction?, maxCalls? }.');
  rejectUnknownKeys(spec, SPEC_KEYS, 'ERR_SRE_CONFIG', 'a chaos experiment');
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) throw new WardenError('ERR_SRE_CONFIG', `A chaos experiment needs a name of letters, digits, "-" and "_" (starting with a letter); got ${JSON.stringify(spec.name)}.`);
  const where = `chaos experiment "${spec.name}"`;
  const fraction = spec.fraction ?? 1;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw new WardenError('ERR_SRE_CONFIG', `${where}: fraction must be a share above 0 and at most 1; got ${JSON.stringify(spec.fraction)}.`);
  if (spec.duration === undefined) throw new WardenError('ERR_SRE_CONFIG', `${where}: duration is required (an experiment is bounded in time), e.g. "10m".`);
  const durationMs = parseDuration(spec.duration, `${where}: duration`);
  if (durationMs > MAX_DURATION_MS) throw new WardenError('ERR_SRE_CONFIG', `${where}: duration is ${formatDuration(durationMs)}; the longest experiment is 24h.`);
  const maxCalls = spec.maxCalls;
  if (maxCalls !== undefined && (typeof maxCalls !== 'number' || !Number.isSafeInteger(maxCalls) || maxCalls < 1)) throw new WardenError('ERR_SRE_CONFIG', `${where}: maxCalls must be a whole number of at least 1.`);
  return Object.freeze({ name: spec.name, selector: new Selector(spec, where), fault: Object.freeze(faultOf(spec.fault, spec.name, where)), fraction, durationMs, maxCalls: maxCalls ?? null });
}

function faultOf(spec: FaultSpec, experiment: string, where: string): Fault {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec) || Object.keys(spec).length !== 1) {
    throw new WardenError('ERR_SRE_CONFIG', `${where}: fault must have exactly one of latency, error, timeout, largeResult, slowStream; got ${JSON.stringify(spec)}.`);
  }
  const delay = (v: unknown, key: string): number => {
    const ms = parseDuration(v, `${where}: fault.${key}`);
    if (ms > MAX_DELAY_MS) throw new WardenError('ERR_SRE_CONFIG', `${where}: fault.${key} is ${formatDuration(ms)}; the longest is 10m.`);
    return ms;
  };
  if ('latency' in spec) return { kind: 'latency', ms: delay(spec.latency, 'latency'), experiment };
  if ('timeout' in spec) return { kind: 'timeout', ms: delay(spec.timeout, 'timeout'), experiment };
  if ('slowStream' in spec) return { kind: 'slow-stream', ms: delay(spec.slowStream, 'slowStream'), experiment };
  if ('largeResult' in spec) {
    const bytes = spec.largeResult;
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1 || bytes > MAX_RESULT) throw new WardenError('ERR_SRE_CONFIG', `${where}: fault.largeResult must be a number of characters from 1 to ${MAX_RESULT}.`);
    return { kind: 'large-result', bytes, experiment };
  }
  if ('error' in spec) {
    const e = spec.error;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new WardenError('ERR_SRE_CONFIG', `${where}: fault.error must be { name?, message? }.`);
    rejectUnknownKeys(e, ['name', 'message'], 'ERR_SRE_CONFIG', `${where}: fault.error`);
    const name = e.name ?? 'InjectedFault';
    const message = e.message ?? 'injected failure';
    if (typeof name !== 'string' || typeof message !== 'string' || name.length === 0 || name.length > 200 || message.length > 2000) throw new WardenError('ERR_SRE_CONFIG', `${where}: fault.error name and message must be text (name 1-200, message up to 2000 characters).`);
    return { kind: 'error', name, message, experiment };
  }
  throw new WardenError('ERR_SRE_CONFIG', `${where}: unknown fault ${JSON.stringify(Object.keys(spec)[0])}; the faults are latency, error, timeout, largeResult, slowStream.`);
}

/**
 * What an experiment did: how many matching calls it saw and faulted, how they ended, what each
 * breaker did meanwhile, and the SLOs' error budget at its start and now (or at its end).
 *
 * @example
 * ```ts
 * const r: ExperimentReport = sre.experimentReport('flaky-search');
 * console.log(r.injected, r.breakerTransitions);
 * ```
 */
export interface ExperimentReport {
  name: string;
  fault: Fault;
  startedAt: string;
  endsAt: string;
  /** Why it ended (`duration`, `maxCalls`, `stopped`, `killed`: a kill covering it), or null while it runs. */
  ended: 'duration' | 'maxCalls' | 'stopped' | 'killed' | null;
  /** Matching calls that reached the run step, and how many of them got the fault. */
  matched: number;
  injected: number;
  /** Outcomes of matching calls, by status. */
  outcomes: { ok: number; error: number; aborted: number };
  /** Matching calls a breaker refused. */
  refusedByBreaker: number;
  breakerTransitions: { breaker: string; from: string; to: string; at: string }[];
  slos: { name: string; budgetAtStart: number; budgetNow: number; exhaustedNow: boolean }[];
}

/** @internal A running (or ended) experiment's bookkeeping, held by the SRE runtime. */
export class RunningExperiment {
  readonly definition: ExperimentDefinition;
  readonly startedAt: number;
  readonly endsAt: number;
  ended: ExperimentReport['ended'] = null;
  matched = 0;
  injected = 0;
  refused = 0;
  readonly outcomes = { ok: 0, error: 0, aborted: 0 };
  readonly transitions: ExperimentReport['breakerTransitions'] = [];
  readonly budgetsAtStart: ReadonlyMap<string, number>;
  /** Calls of this experiment awaiting their outcome (bounded: oldest forgotten past the limit). */
  readonly calls = new Set<string>();

  constructor(definition: ExperimentDefinition, startedAt: number, budgets: ReadonlyMap<string, number>) {
    this.definition = definition;
    this.startedAt = startedAt;
    this.endsAt = startedAt + definition.durationMs;
    this.budgetsAtStart = budgets;
  }

  /** True while it may still inject at `now` (ending it, with the reason, once it may not). */
  active(now: number): boolean {
    if (this.ended !== null) return false;
    if (now >= this.endsAt) this.ended = 'duration';
    else if (this.definition.maxCalls !== null && this.injected >= this.definition.maxCalls) this.ended = 'maxCalls';
    return this.ended === null;
  }

  track(call: string): void {
    if (this.calls.size >= 10_000) {
      const first = this.calls.values().next().value as string;
      this.calls.delete(first);
    }
    this.calls.add(call);
  }

  settle(call: string, outcome: Outcome): void {
    if (!this.calls.delete(call)) return;
    this.outcomes[outcome.status] += 1;
  }
}

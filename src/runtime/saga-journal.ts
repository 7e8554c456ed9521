/**
 * The saga journal: one append-only stream per saga in the state store's event log (SQLite on one
 * machine, PostgreSQL for fleets), written before and after every step and every compensation. What
 * a saga did, and what is left to undo after a crash, is read back from it alone. `verifySagaJournal`
 * checks a journal obeys the saga's grammar (begin first; steps in order; compensations in reverse
 * order of the steps that started; each compensation done at most once; end last).
 */
import { storeKey } from '../store/check.js';
import type { JsonValue, LogEntry, Store } from '../store/types.js';

/** A governed call as a saga holds it: plain data, so a restarted process can run it. */
export interface SagaCall {
  readonly tool: string;
  readonly args: Readonly<Record<string, JsonValue>>;
}

/** One step as journaled. */
export interface SagaStepRecord {
  readonly name: string;
  readonly action: SagaCall;
  readonly compensate: SagaCall;
}

/** One journal entry. */
export type SagaEntry =
  | { readonly type: 'begin'; readonly steps: readonly SagaStepRecord[]; readonly at: string }
  | { readonly type: 'step_started'; readonly step: number; readonly at: string }
  | { readonly type: 'step_done'; readonly step: number; readonly at: string }
  /** `ran`: false when the pipeline denied the step (it never ran, so it is not compensated); true when it failed or timed out (in doubt: compensated). */
  | { readonly type: 'step_failed'; readonly step: number; readonly reason: string; readonly ran: boolean; readonly at: string }
  | { readonly type: 'compensating'; readonly reason: string; readonly at: string }
  | { readonly type: 'compensation_started'; readonly step: number; readonly at: string }
  | { readonly type: 'compensation_done'; readonly step: number; readonly at: string }
  | { readonly type: 'compensation_failed'; readonly step: number; readonly reason: string; readonly at: string }
  | { readonly type: 'end'; readonly status: 'completed' | 'compensated'; readonly at: string };

/** Where a saga stands, read from its journal. */
export interface SagaState {
  readonly id: string;
  readonly steps: readonly SagaStepRecord[];
  /** `running`: steps under way (or the process died); `compensating`: undoing; the rest are final. */
  readonly status: 'running' | 'compensating' | 'completed' | 'compensated';
  /** Steps that started (their effects may have happened), in order. */
  readonly started: readonly number[];
  readonly done: readonly number[];
  /** Steps whose compensation is journaled done. */
  readonly compensated: readonly number[];
  /** Why it is compensating, when it is. */
  readonly reason: string | null;
  readonly entries: number;
}

/** The log stream of a saga's journal, and the stream listing every saga. */
export function sagaStream(id: string): string {
  return storeKey('saga', id);
}
export const SAGA_INDEX = 'saga-index';

/**
 * Appends one entry to a saga's journal.
 *
 * @example
 * ```ts
 * await appendSagaEntry(store, 'order-42', { type: 'step_started', step: 0, at: new Date().toISOString() });
 * ```
 */
export async function appendSagaEntry(store: Store, id: string, entry: SagaEntry): Promise<number> {
  return store.log.append(sagaStream(id), entry as unknown as JsonValue);
}

/**
 * Reads a saga's whole journal (every page).
 *
 * @example
 * ```ts
 * const entries = await readSagaJournal(store, 'order-42');
 * ```
 */
export async function readSagaJournal(store: Store, id: string): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (;;) {
    const page = await store.log.read(sagaStream(id), { after: out.length });
    out.push(...page);
    if (page.length === 0) return out;
  }
}

/**
 * Checks a journal against the saga grammar and returns the saga's state, or the first problem.
 *
 * @example
 * ```ts
 * const v = verifySagaJournal('order-42', await readSagaJournal(store, 'order-42'));
 * if ('error' in v) console.error(v.error); else console.log(v.status);
 * ```
 */
export function verifySagaJournal(id: string, entries: readonly LogEntry[]): SagaState | { error: string } {
  if (entries.length === 0) return { error: `saga "${id}" has no journal` };
  let steps: SagaStepRecord[] = [];
  const started: number[] = [];
  const done: number[] = [];
  const compensated: number[] = [];
  let compensating: number | null = null;
  let status: SagaState['status'] = 'running';
  let reason: string | null = null;
  for (const [i, { seq, data }] of entries.entries()) {
    if (seq !== i + 1) return { error: `entry ${i + 1} has seq ${seq}: the journal has a gap` };
    const e = data as Partial<SagaEntry> & Record<string, unknown>;
    const bad = (why: string) => ({ error: `entry ${seq} (${String(e?.type)}): ${why}` });
    if (e === null || typeof e !== 'object' || typeof e.type !== 'string' || typeof e.at !== 'string') return bad('not a saga entry');
    if (i === 0) {
      if (e.type !== 'begin' || !isSteps(e.steps)) return bad('a journal starts with begin and its steps');
      steps = e.steps as SagaStepRecord[];
      continue;
    }
    // A completed saga may be compensated later on request (it reopens); nothing else follows an end.
    if (status === 'compensated' || (status === 'completed' && e.type !== 'compensating')) return bad('an entry after the end');
    const step = e.step as number;
    const validStep = Number.isSafeInteger(step) && step >= 0 && step < steps.length;
    switch (e.type) {
      case 'step_started':
        if (status !== 'running' || step !== done.length || !validStep || started.length !== done.length) return bad('steps start in order, one at a time, each after the previous one is done');
        started.push(step);
        break;
      case 'step_done':
        if (status !== 'running' || step !== started[started.length - 1] || done.includes(step)) return bad('only the step under way can be done');
        done.push(step);
        break;
      case 'step_failed':
        if (status !== 'running' || step !== started[started.length - 1] || done.includes(step) || typeof e.ran !== 'boolean') return bad('only the step under way can fail, saying whether it ran');
        if (!e.ran) started.pop();
        break;
      case 'compensating':
        if (status !== 'running' && status !== 'completed') return bad('compensation begins once');
        status = 'compensating';
        reason = typeof e.reason === 'string' ? e.reason : '';
        break;
      case 'compensation_started': {
        // invariant: compensations run in reverse order of the steps that started, each to done.
        const next = [...started].reverse().find((s) => !compensated.includes(s));
        if (status !== 'compensating' || step !== next || (compensating !== null && compensating !== step)) return bad(`the next compensation is of step ${String(next)}`);
        compensating = step;
        break;
      }
      case 'compensation_done':
        if (compensating !== step || compensated.includes(step)) return bad('a compensation is done once, after it started');
        compensated.push(step);
        compensating = null;
        break;
      case 'compensation_failed':
        if (compensating !== step) return bad('only the compensation under way can fail');
        break;
      case 'end':
        if (e.status === 'completed' && status === 'running' && done.length === steps.length) status = 'completed';
        else if (e.status === 'compensated' && status === 'compensating' && compensated.length === started.length) status = 'compensated';
        else return bad('the end does not match what the journal shows');
        break;
      default:
        return bad('unknown entry type');
    }
  }
  return { id, steps, status, started, done, compensated, reason, entries: entries.length };
}

function isSteps(v: unknown): boolean {
  const call = (c: unknown): boolean => c !== null && typeof c === 'object' && typeof (c as SagaCall).tool === 'string' && (c as SagaCall).args !== null && typeof (c as SagaCall).args === 'object' && !Array.isArray((c as SagaCall).args);
  return Array.isArray(v) && v.length > 0 && v.every((s: unknown) => s !== null && typeof s === 'object' && typeof (s as SagaStepRecord).name === 'string' && call((s as SagaStepRecord).action) && call((s as SagaStepRecord).compensate));
}

/**
 * Sagas: a list of steps, each a governed call with a compensating governed call. Steps run in
 * order; on a denial, a failure, a timeout or a kill (a denial by the kill switch), the steps that
 * started are compensated in reverse order, each compensation itself decided by the pipeline and
 * recorded. Everything is journaled in the state store (saga-journal.ts) before and after it
 * happens, so a process that dies mid-saga leaves a journal that `recoverSagas` finishes after a
 * restart: a saga that did not complete is compensated, never resumed.
 *
 * Exactly once: the journal records each compensation done once, and a compensation journaled
 * done is never run again. The one gap no journal can close is a process dying after a tool ran
 * and before its `done` was written; the call is then run again on recovery with the same
 * idempotency key (`context.idempotencyKey`, `<saga>:<step>:compensate`), so a tool that honours the
 * key applies its effect exactly once. A step that started but has no `done` is in doubt and is
 * compensated too.
 */
import { hostname } from 'node:os';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { JsonValue, Store } from '../store/types.js';
import { storeKey } from '../store/check.js';
import { appendSagaEntry, readSagaJournal, SAGA_INDEX, verifySagaJournal, type SagaCall, type SagaState, type SagaStepRecord } from './saga-journal.js';

/** A tool a saga may call: gets the decided arguments and the call's idempotency key. */
export type SagaTool = (args: Record<string, unknown>, context: { idempotencyKey: string; saga: string; step: number }) => unknown;

/**
 * What a saga needs of the pipeline (a `Pipeline` from agent-warden is one): decide a call, and
 * record how it went.
 */
export interface SagaPipeline {
  decide(input: { request: { tool: string; args: Record<string, unknown>; context: Record<string, unknown> } }): Promise<{ verdict: { allowed: boolean; reason: string; call: string }; snapshot: { text: string } | null }>;
  observe(call: { call: string; tool: string }, outcome: { status: 'ok' | 'error'; durationMs?: number; error?: { name: string; message: string } }): Promise<void>;
}

/** One step: what to do, and what undoes it. */
export interface SagaStep {
  readonly name: string;
  readonly action: SagaCall;
  readonly compensate: SagaCall;
}

/**
 * What runs sagas: the pipeline that governs every call, the store that keeps the journal, and the
 * tools by name (needed again after a restart, so they are named, not closures).
 */
export interface SagaRuntime {
  readonly store: Store;
  readonly pipeline: SagaPipeline;
  readonly tools: Readonly<Record<string, SagaTool>>;
  /** How long one call may run before it counts as failed; default 60 s. */
  readonly timeoutMs?: number;
  /** The session the saga's calls belong to (their `context.session`). */
  readonly session?: string;
  /** Called after each journal entry is written (tests use it to stop a process at every boundary). */
  readonly onJournal?: (seq: number) => void;
}

/** How a saga ended (or stands). */
export interface SagaResult {
  readonly id: string;
  readonly status: SagaState['status'];
  /** Why it compensated: the first denial, failure or timeout. */
  readonly reason: string | null;
  /** Steps whose compensation could not run (denied or failed); `warden saga compensate` retries them. */
  readonly pendingCompensations: readonly number[];
}

const RUNTIME_KEYS = ['store', 'pipeline', 'tools', 'timeoutMs', 'session', 'onJournal'];
const SAGA_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const LOCK_TTL_MS = 5 * 60_000;

/**
 * Runs a saga to its end: every step, or the compensation of every step that started.
 *
 * @example
 * ```ts
 * const r = await runSaga('order-42', [
 *   { name: 'reserve', action: { tool: 'reserve_stock', args: { sku: 'A', n: 1 } }, compensate: { tool: 'release_stock', args: { sku: 'A', n: 1 } } },
 *   { name: 'charge', action: { tool: 'charge_card', args: { cents: 500 } }, compensate: { tool: 'refund_card', args: { cents: 500 } } },
 * ], { store, pipeline, tools });
 * r.status; // 'completed' or 'compensated'
 * ```
 * @throws WardenError `ERR_SAGA` for a malformed saga, an id already used, or a journal that cannot be written at the start.
 */
export async function runSaga(id: string, steps: readonly SagaStep[], runtime: SagaRuntime): Promise<SagaResult> {
  checkRuntime(runtime);
  if (typeof id !== 'string' || !SAGA_ID.test(id)) throw new WardenError('ERR_SAGA', `A saga id is 1 to 128 letters, digits and ._:@- ; got ${JSON.stringify(id)}.`);
  const records = checkSteps(steps);
  const release = await lock(runtime.store, id);
  try {
    const existing = await readSagaJournal(runtime.store, id);
    if (existing.length > 0) throw new WardenError('ERR_SAGA', `Saga "${id}" already has a journal; give each saga its own id (recoverSagas finishes an interrupted one).`);
    // Indexed first, so a process that dies right after beginning leaves a saga recovery can find.
    await runtime.store.log.append(SAGA_INDEX, { id, at: now() });
    await journal(runtime, id, { type: 'begin', steps: records, at: now() });
    for (const [i, step] of records.entries()) {
      await journal(runtime, id, { type: 'step_started', step: i, at: now() });
      const failure = await governedCall(runtime, id, i, step.action, `${id}:${i}:action`);
      if (failure !== null) {
        await journal(runtime, id, { type: 'step_failed', step: i, reason: failure.reason, ran: failure.ran, at: now() });
        await journal(runtime, id, { type: 'compensating', reason: `step ${i} (${step.name}): ${failure.reason}`, at: now() });
        return await compensateFromJournal(runtime, id);
      }
      await journal(runtime, id, { type: 'step_done', step: i, at: now() });
    }
    await journal(runtime, id, { type: 'end', status: 'completed', at: now() });
    return { id, status: 'completed', reason: null, pendingCompensations: [] };
  } finally {
    await release();
  }
}

/**
 * Finishes every saga whose journal has no end (its process died, or a compensation was denied):
 * each is compensated from where its journal stops. Run it at start-up.
 *
 * @example
 * ```ts
 * const finished = await recoverSagas({ store, pipeline, tools });
 * ```
 */
export async function recoverSagas(runtime: SagaRuntime): Promise<SagaResult[]> {
  checkRuntime(runtime);
  const out: SagaResult[] = [];
  for (const id of await listSagaIds(runtime.store)) {
    const entries = await readSagaJournal(runtime.store, id);
    // Indexed but never begun: its process died before the saga did anything.
    if (entries.length === 0) continue;
    const state = verifySagaJournal(id, entries);
    if ('error' in state) throw new WardenError('ERR_SAGA', `The journal of saga "${id}" does not verify: ${state.error}; nothing of it was compensated.`);
    if (state.status === 'completed' || state.status === 'compensated') continue;
    out.push(await compensateSaga(id, runtime));
  }
  return out;
}

/**
 * Compensates one saga from where its journal stops (`warden saga compensate <id>`): every step
 * that started and is not compensated, in reverse order. A completed saga is compensated too (an
 * operator undoing it); a compensated one is left as it is.
 *
 * @example
 * ```ts
 * await compensateSaga('order-42', { store, pipeline, tools });
 * ```
 * @throws WardenError `ERR_SAGA` when the journal is missing or does not verify, or another process holds the saga.
 */
export async function compensateSaga(id: string, runtime: SagaRuntime): Promise<SagaResult> {
  checkRuntime(runtime);
  const release = await lock(runtime.store, id);
  try {
    const state = verifySagaJournal(id, await readSagaJournal(runtime.store, id));
    if ('error' in state) throw new WardenError('ERR_SAGA', `The journal of saga "${id}" does not verify: ${state.error}.`);
    if (state.status === 'compensated') return { id, status: 'compensated', reason: state.reason, pendingCompensations: [] };
    if (state.status !== 'compensating') {
      const why = state.status === 'completed' ? 'compensated on request' : 'the process running it stopped before it ended';
      await journal(runtime, id, { type: 'compensating', reason: why, at: now() });
    }
    return await compensateFromJournal(runtime, id);
  } finally {
    await release();
  }
}

/**
 * Every saga id in the store's index, oldest first.
 *
 * @example
 * ```ts
 * for (const id of await listSagaIds(store)) console.log(id);
 * ```
 */
export async function listSagaIds(store: Store): Promise<string[]> {
  const ids: string[] = [];
  let after = 0;
  for (;;) {
    const page = await store.log.read(SAGA_INDEX, { after });
    if (page.length === 0) return [...new Set(ids)];
    for (const e of page) {
      const id = (e.data as { id?: unknown } | null)?.id;
      if (typeof id === 'string') ids.push(id);
    }
    after = page[page.length - 1]?.seq ?? after;
  }
}

/** Compensates what the journal says is left, in reverse order; ends the saga when all is undone. */
async function compensateFromJournal(runtime: SagaRuntime, id: string): Promise<SagaResult> {
  const state = verifySagaJournal(id, await readSagaJournal(runtime.store, id));
  if ('error' in state) throw new WardenError('ERR_SAGA', `The journal of saga "${id}" does not verify: ${state.error}.`);
  const todo = [...state.started].reverse().filter((s) => !state.compensated.includes(s));
  for (const [n, step] of todo.entries()) {
    const record = state.steps[step] as SagaStepRecord;
    await journal(runtime, id, { type: 'compensation_started', step, at: now() });
    const failure = await governedCall(runtime, id, step, record.compensate, `${id}:${step}:compensate`);
    if (failure !== null) {
      await journal(runtime, id, { type: 'compensation_failed', step, reason: failure.reason, at: now() });
      // invariant: compensations go strictly in reverse; a later one never runs before an earlier one is done.
      return { id, status: 'compensating', reason: state.reason, pendingCompensations: todo.slice(n) };
    }
    await journal(runtime, id, { type: 'compensation_done', step, at: now() });
  }
  await journal(runtime, id, { type: 'end', status: 'compensated', at: now() });
  return { id, status: 'compensated', reason: state.reason, pendingCompensations: [] };
}

/** Decides, runs and records one call; returns why it failed and whether it ran, or null. */
async function governedCall(runtime: SagaRuntime, saga: string, step: number, call: SagaCall, idempotencyKey: string): Promise<{ reason: string; ran: boolean } | null> {
  const context = { saga: { id: saga, step }, idempotencyKey, ...(runtime.session !== undefined ? { session: runtime.session } : {}) };
  const { verdict, snapshot } = await runtime.pipeline.decide({ request: { tool: call.tool, args: call.args as Record<string, unknown>, context } });
  if (!verdict.allowed || snapshot === null) return { reason: `denied: ${verdict.reason}`, ran: false };
  const tool = Object.prototype.hasOwnProperty.call(runtime.tools, call.tool) ? runtime.tools[call.tool] : undefined;
  const started = performance.now();
  if (typeof tool !== 'function') {
    await runtime.pipeline.observe({ call: verdict.call, tool: call.tool }, { status: 'error', error: { name: 'WardenError', message: 'no such saga tool' } });
    return { reason: `no tool named "${call.tool}" was given to the saga runtime`, ran: false };
  }
  const { args } = JSON.parse(snapshot.text) as { args: Record<string, unknown> };
  const timeout = runtime.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => tool(args, { idempotencyKey, saga, step })),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms`)), timeout);
      }),
    ]);
    await runtime.pipeline.observe({ call: verdict.call, tool: call.tool }, { status: 'ok', durationMs: performance.now() - started });
    return null;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await runtime.pipeline.observe({ call: verdict.call, tool: call.tool }, { status: 'error', durationMs: performance.now() - started, error: { name: e instanceof Error ? e.name : 'Error', message } });
    return { reason: `failed: ${message}`, ran: true };
  } finally {
    clearTimeout(timer);
  }
}

async function journal(runtime: SagaRuntime, id: string, entry: Parameters<typeof appendSagaEntry>[2]): Promise<void> {
  const seq = await appendSagaEntry(runtime.store, id, entry);
  runtime.onJournal?.(seq);
}

/** One process at a time works on a saga: a key with an expiry, taken by compare-and-set. */
async function lock(store: Store, id: string): Promise<() => Promise<void>> {
  const key = storeKey('saga-lock', id);
  const claim = { host: hostname(), pid: process.pid, at: now() } as JsonValue;
  let version = await store.kv.compareAndSet(key, null, claim, { ttlMs: LOCK_TTL_MS });
  if (version === null) {
    // A claim left by a process of this machine that no longer runs (killed mid-saga) is taken over.
    const held = await store.kv.get(key);
    const holder = held?.value as { host?: unknown; pid?: unknown } | undefined;
    if (held && holder?.host === hostname() && typeof holder.pid === 'number' && !alive(holder.pid)) version = await store.kv.compareAndSet(key, held.version, claim, { ttlMs: LOCK_TTL_MS });
  }
  if (version === null) throw new WardenError('ERR_SAGA', `Saga "${id}" is being run or compensated by another process; try again when it is done (the claim expires after ${LOCK_TTL_MS / 60_000} minutes).`);
  return async () => {
    try {
      await store.kv.delete(key, version);
    } catch {
      // The claim expires on its own.
    }
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkRuntime(runtime: SagaRuntime): void {
  rejectUnknownKeys(runtime, RUNTIME_KEYS, 'ERR_SAGA', 'saga runtime');
  if (!runtime?.store || !runtime.pipeline || runtime.tools === null || typeof runtime.tools !== 'object') throw new WardenError('ERR_SAGA', 'A saga runtime needs { store, pipeline, tools }.');
}

function checkSteps(steps: readonly SagaStep[]): SagaStepRecord[] {
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > 1000) throw new WardenError('ERR_SAGA', 'A saga has 1 to 1000 steps.');
  return steps.map((s, i) => {
    const call = (c: SagaCall | undefined, what: string): SagaCall => {
      if (c === null || typeof c !== 'object' || typeof c.tool !== 'string' || c.tool.length === 0 || c.args === null || typeof c.args !== 'object' || Array.isArray(c.args)) {
        throw new WardenError('ERR_SAGA', `Step ${i} ${what} must be { tool, args } with args an object.`);
      }
      return { tool: c.tool, args: c.args };
    };
    if (typeof s?.name !== 'string' || s.name.length === 0) throw new WardenError('ERR_SAGA', `Step ${i} needs a name.`);
    return { name: s.name, action: call(s.action, 'action'), compensate: call(s.compensate, 'compensate') };
  });
}

function now(): string {
  return new Date().toISOString();
}

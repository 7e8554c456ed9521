/**
 * A training run's audit stream and Governor: one hash-chained stream per run
 * (`training-<run>.jsonl`), so `warden replay`, `warden audit verify` and `warden training report`
 * read a run like production traffic.
 */
import { openFileAuditSink, type FileAuditSink } from '../audit/file-sink.js';
import type { FileAuditSinkOptions } from '../audit/sink-options.js';
import { Governor, type GovernorOptions } from '../enforce/governor.js';
import { WardenError } from '../errors.js';
import { createMemoryStore } from '../store/memory.js';
import type { Store } from '../store/types.js';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/**
 * The audit stream name of a run: `training-<run>`.
 *
 * @example
 * ```ts
 * runStreamName('2026-12-07-a'); // 'training-2026-12-07-a'
 * ```
 * @throws WardenError `ERR_OPTIONS` for a run id that is not 1-100 letters, digits, `_` or `-`.
 */
export function runStreamName(run: string): string {
  if (typeof run !== 'string' || !RUN_ID.test(run)) throw new WardenError('ERR_OPTIONS', `The run id ${JSON.stringify(String(run).slice(0, 120))} is not accepted: use 1-100 letters, digits, "_" or "-", starting with a letter or digit.`);
  return `training-${run}`;
}

/**
 * Options of {@link openTrainingRun}: where the run's stream goes, and the Governor's options
 * (policy, approval handler, identity, monitors...) except `sink` and `state`, which the run sets.
 *
 * @example
 * ```ts
 * const options: TrainingRunOptions = { dir: '.warden/audit', run: 'run-7', governor: { policy } };
 * ```
 */
export interface TrainingRunOptions {
  /** The audit directory; the run writes `<dir>/training-<run>.jsonl`. */
  dir: string;
  run: string;
  governor: Omit<GovernorOptions, 'sink' | 'state'>;
  /** The state store for sessions and limits; default a fresh in-memory store (closed with the run). */
  store?: Store;
  /** More file sink options (hmacKey, signingKey, fsync...). */
  audit?: Omit<FileAuditSinkOptions, 'path' | 'stream'>;
}

/**
 * An open training run.
 *
 * @example
 * ```ts
 * const r: TrainingRun = await openTrainingRun({ dir, run: 'run-7', governor: { policy } });
 * await r.close();
 * ```
 */
export interface TrainingRun {
  readonly run: string;
  /** The run's audit stream name (`training-<run>`) and its active file. */
  readonly stream: string;
  readonly path: string;
  /** The Governor recording into the run's stream, with a state store so flow rules see sessions. */
  readonly governor: Governor;
  /** Flushes and closes the stream (and the store it made). */
  close(): Promise<void>;
}

/**
 * Opens a run: its audit stream in `dir` and a Governor that records into it.
 *
 * @example
 * ```ts
 * const run = await openTrainingRun({ dir: '.warden/audit', run: 'run-7', governor: { policy, clock } });
 * const env = governedEnvironment(tools, { governor: run.governor, mode: 'enforce', run: run.run });
 * ```
 * @throws WardenError `ERR_OPTIONS` for a bad run id; the audit sink's errors when it cannot open.
 */
export async function openTrainingRun(options: TrainingRunOptions): Promise<TrainingRun> {
  const stream = runStreamName(options.run);
  if (options.governor === null || typeof options.governor !== 'object') throw new WardenError('ERR_OPTIONS', 'openTrainingRun needs governor options: { policy, ... }.');
  if ('sink' in options.governor || 'state' in options.governor) throw new WardenError('ERR_OPTIONS', 'The run sets the Governor\'s sink and state; leave them out of governor options (pass store to choose the state store).');
  const sink: FileAuditSink = await openFileAuditSink({ ...(options.audit ?? {}), path: options.dir, stream });
  const ownStore = options.store === undefined;
  const store = options.store ?? createMemoryStore();
  let governor: Governor;
  try {
    governor = new Governor({ ...options.governor, sink, state: { store } });
  } catch (e) {
    await sink.close();
    if (ownStore) await store.close();
    throw e;
  }
  return Object.freeze({
    run: options.run,
    stream,
    path: sink.path,
    governor,
    async close() {
      await sink.close();
      if (ownStore) await store.close();
    },
  });
}

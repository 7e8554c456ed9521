/**
 * The hook's audit log: one hash-chained stream shared by every hook process of a project.
 */
import type { FileLockOptions } from '../../audit/file-lock.js';
import { openFileAuditSink, type FileAuditSink } from '../../audit/file-sink.js';
import type { DecisionEvent, DecisionSink, OutcomeEvent, WardenWarning } from '../../decision.js';

/**
 * Appends decision events to a file audit log, one open-append-close per event. The file sink holds
 * the log's cross-process lock from open to close, so concurrent hook processes (and the hook
 * server) extend one gapless chain. Appends from this object are also queued in order, so one
 * process never waits on its own lock.
 *
 * @example
 * ```ts
 * const log = new LockedAuditLog('/repo/.warden/audit/claude-code.jsonl');
 * await log.append({ ts: new Date().toISOString(), agent, request, decision }); // on disk (fsynced) when it resolves
 * ```
 */
export class LockedAuditLog {
  /** The log path as given: a `.jsonl` file or a directory. */
  readonly path: string;
  readonly #lock: FileLockOptions;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: { lock?: FileLockOptions } = {}) {
    this.path = path;
    this.#lock = options.lock ?? {};
  }

  /**
   * Records one event; resolves (with the sink's warnings, such as a torn tail it moved aside)
   * once it is written and fsynced, rejects when it was not.
   *
   * @example
   * ```ts
   * await log.append(event);
   * ```
   */
  append(event: DecisionEvent): Promise<string[]> {
    return this.#queue((sink) => sink.write(event));
  }

  /**
   * The log as a pipeline sink: decisions and outcomes appended under the lock; the sink's own
   * warnings (a torn tail moved aside) are pushed to `warnings`.
   *
   * @example
   * ```ts
   * const pipeline = new Pipeline({ policy, sink: log.sink(warnings) });
   * ```
   */
  sink(warnings: WardenWarning[]): DecisionSink {
    const collect = (found: string[]): void => {
      for (const w of found) warnings.push({ code: 'audit_log', message: w });
    };
    return {
      write: async (event: DecisionEvent) => collect(await this.#queue((sink) => sink.write(event))),
      writeOutcome: async (event: OutcomeEvent) => collect(await this.#queue((sink) => sink.writeOutcome(event))),
    };
  }

  #queue(write: (sink: FileAuditSink) => Promise<void>): Promise<string[]> {
    const run = this.#tail.then(() => this.#appendLocked(write));
    // invariant: a failed append rejects its own caller only; the queue goes on.
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #appendLocked(write: (sink: FileAuditSink) => Promise<void>): Promise<string[]> {
    const warnings: string[] = [];
    const sink = await openFileAuditSink({ path: this.path, lock: this.#lock, onWarning: (w) => warnings.push(`${w.code}: ${w.message}`) });
    try {
      await write(sink);
    } finally {
      await sink.close();
    }
    return warnings;
  }
}

/**
 * The hook's audit log: one hash-chained stream shared by every hook process of a project.
 */
import { mkdir } from 'node:fs/promises';
import { openFileAuditSink } from '../../audit/file-sink.js';
import { WardenError } from '../../errors.js';
import { resolveLogLocation } from '../../audit/files.js';
import type { DecisionEvent } from '../../decision.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';

/**
 * Appends decision events to a file audit log, holding a lock file across open, append and close
 * so concurrent hook processes (and the hook server) extend one gapless chain. Appends from this
 * object are also queued in order, so one process never waits on its own lock.
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
    const run = this.#tail.then(() => this.#appendLocked(event));
    // invariant: a failed append rejects its own caller only; the queue goes on.
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #appendLocked(event: DecisionEvent): Promise<string[]> {
    const loc = resolveLogLocation(this.path);
    try {
      await mkdir(loc.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new WardenError('ERR_AUDIT_OPEN', `Cannot create the audit directory ${loc.dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Choose a writable location (--audit).`, { cause: e });
    }
    const warnings: string[] = [];
    await withFileLock(
      `${loc.activePath}.lock`,
      async () => {
        const sink = await openFileAuditSink({ path: this.path, onWarning: (w) => warnings.push(`${w.code}: ${w.message}`) });
        try {
          await sink.write(event);
        } finally {
          await sink.close();
        }
      },
      this.#lock,
    );
    return warnings;
  }
}

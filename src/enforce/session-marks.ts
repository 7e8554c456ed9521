/**
 * Session labels from what calls returned: when the observe stage is told that a result carried
 * injected instructions (`untrusted`) or secrets (`private`), the call's session gets those labels
 * in the state store, so a later flow rule sees them. A call of the session waits for the labels
 * its session's earlier results are adding before it is decided, and a session whose labels could
 * not be added is refused from then on (the pipeline cannot undo a taint it failed to record).
 */
import type { WardenWarning } from '../decision.js';
import { markSession } from '../runtime/session.js';
import type { StateCore } from './charge-stage.js';

/** Most calls awaiting their outcome, and most sessions refused, held at once (the oldest go first). */
const MAX_CALLS = 100_000;
const MAX_FAILED = 10_000;

/**
 * The labels a pipeline is adding to sessions, and the sessions it failed to label.
 *
 * @internal
 * @example
 * ```ts
 * const marks = new SessionMarks(stateCore({ store })!, () => undefined);
 * marks.track('call-1', 'chat-7');
 * await marks.mark('call-1', undefined, ['untrusted']);
 * ```
 */
export class SessionMarks {
  readonly #state: StateCore;
  readonly #warn: (warning: WardenWarning) => void;
  /** Allowed calls of a session, until their outcome is observed. */
  readonly #calls = new Map<string, string>();
  /** Per session, the labels being added now (chained, so they commit in order). */
  readonly #pending = new Map<string, Promise<void>>();
  /** Sessions whose labels could not be added, with why. */
  readonly #failed = new Map<string, string>();

  constructor(state: StateCore, warn: (warning: WardenWarning) => void) {
    this.#state = state;
    this.#warn = warn;
  }

  /** Remembers the session of an allowed call, for its outcome. */
  track(call: string, session: string): void {
    this.#calls.set(call, session);
    if (this.#calls.size > MAX_CALLS) this.#calls.delete(this.#calls.keys().next().value as string);
  }

  /**
   * Adds `labels` to the session of `call` (the tracked one, else `session` as the enforcement
   * point names it); resolves when they are stored or the failure is remembered. Never rejects.
   * `labels` may be a promise (a result still being scanned, e.g. by a tier 3 model): the session
   * waits for it from now on, so its next call is not decided before the scan's labels are stored.
   * (A promise that rejects counts as `untrusted`.)
   */
  mark(call: string, session: string | undefined, labels: readonly string[] | Promise<readonly string[]>): Promise<void> | null {
    const id = this.#calls.get(call) ?? session;
    this.#calls.delete(call);
    if (id === undefined || (Array.isArray(labels) && labels.length === 0)) return null;
    const prior = this.#pending.get(id) ?? Promise.resolve();
    const next = prior.then(async () => {
      // invariant: a scan that failed is a scan that found something untrusted.
      const found = await Promise.resolve(labels).catch((): readonly string[] => ['untrusted']);
      if (found.length === 0) return;
      return this.#add(id, call, found);
    });
    this.#pending.set(id, next);
    void next.then(() => {
      if (this.#pending.get(id) === next) this.#pending.delete(id);
    });
    return next;
  }

  #add(id: string, call: string, labels: readonly string[]): Promise<void> {
    return (
      markSession(this.#state.store, id, labels, this.#state.sessionTtlMs).then(
        () => undefined,
        (e: unknown) => {
          const why = `the labels ${JSON.stringify(labels)} that the result of call ${call} brought in could not be added to the session (${e instanceof Error ? e.message : String(e)})`;
          this.#failed.set(id, why);
          if (this.#failed.size > MAX_FAILED) this.#failed.delete(this.#failed.keys().next().value as string);
          this.#warn({ code: 'session_not_marked', message: `Session "${id}": ${why}; its calls are denied from now on.` });
        },
      )
    );
  }

  /** Why calls of session `id` are refused (its labels could not be added), or null. */
  failure(id: string): string | null {
    return this.#failed.get(id) ?? null;
  }

  /** The labels session `id` is being given now, to wait for before deciding its next call; null when none. */
  pending(id: string): Promise<void> | null {
    return this.#pending.get(id) ?? null;
  }
}

/**
 * Waiting for events instead of sleeping: a recorder that callbacks push into, and a bounded wait
 * for the next event (from a cursor on) that matches.
 */

/** Records events; {@link EventLog.next} waits (bounded) for one that matches. */
export class EventLog<T> {
  readonly events: T[] = [];
  #cursor = 0;
  #waiters: Array<() => void> = [];

  /** Records one event (use it as, or inside, a callback). */
  push = (event: T): void => {
    this.events.push(event);
    for (const w of this.#waiters.splice(0)) w();
  };

  /** Skips every event recorded so far: the next `next()` looks only at later ones. */
  mark(): void {
    this.#cursor = this.events.length;
  }

  /**
   * The first event after the cursor that matches, waiting up to `timeoutMs` for it; moves the
   * cursor past it. Rejects with the events seen when none came in time.
   */
  async next(match: (event: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.#cursor; i < this.events.length; i++) {
        const e = this.events[i] as T;
        if (match(e)) {
          this.#cursor = i + 1;
          return e;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; saw: ${JSON.stringify(this.events.slice(this.#cursor)).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

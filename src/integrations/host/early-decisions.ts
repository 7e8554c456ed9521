/**
 * Decisions an adapter made ahead of the call (in its host's approval check), kept for the call
 * itself so that one call is decided and recorded once. Internal to src/integrations.
 */
import type { DecidedCall } from '../../enforce/pipeline.js';

/** Decisions made ahead of the call (a host's approval check), kept until the call itself runs. */
export class EarlyDecisions {
  readonly #max: number;
  readonly #entries = new Map<string, { text: string; decided: DecidedCall }>();

  constructor(max = 1024) {
    this.#max = max;
  }

  put(key: string, text: string, decided: DecidedCall): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { text, decided });
  }

  /** The decision made for `key`, once, and only when it was made for exactly `text`. */
  take(key: string, text: string): DecidedCall | undefined {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return entry !== undefined && entry.text === text ? entry.decided : undefined;
  }
}


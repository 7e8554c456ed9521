/**
 * A {@link CallTimer} the test drives by hand: `now()` reads a virtual clock, `sleep` waits until
 * the test advances past its end, `block` moves the clock at once (a blocked synchronous call).
 * Tests wait on events (`sleeping()`), never on the wall clock.
 */
import type { CallTimer } from '../../src/enforce/fault.js';

export interface ManualTimer extends CallTimer {
  /** Resolves once at least one sleep is pending. */
  sleeping(): Promise<void>;
  /** Moves the clock by `ms` and wakes every sleep that ends by then. */
  advance(ms: number): void;
  /** Every delay asked for, in order: ['sleep', 120], ['block', 60]. */
  readonly asked: [string, number][];
}

export function manualTimer(start = 1000): ManualTimer {
  let t = start;
  const pending: { at: number; resolve: () => void }[] = [];
  const waiters: (() => void)[] = [];
  const asked: [string, number][] = [];
  return {
    asked,
    now: () => t,
    sleep(ms: number): Promise<void> {
      asked.push(['sleep', ms]);
      return new Promise<void>((resolve) => {
        pending.push({ at: t + ms, resolve });
        for (const w of waiters.splice(0)) w();
      });
    },
    block(ms: number): void {
      asked.push(['block', ms]);
      t += ms;
    },
    sleeping(): Promise<void> {
      return pending.length > 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
    advance(ms: number): void {
      t += ms;
      for (let i = pending.length - 1; i >= 0; i--) {
        const p = pending[i] as { at: number; resolve: () => void };
        if (p.at <= t) {
          pending.splice(i, 1);
          p.resolve();
        }
      }
    },
  };
}

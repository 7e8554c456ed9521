/** An in-memory decision sink, for tests, demos and short-lived processes. */
import { WardenError } from '../errors.js';
import type { DecisionEvent, DecisionSink } from '../decision.js';

/**
 * Keeps decision events in memory, up to a capacity; when full, writes fail (and the Governor
 * denies) rather than dropping records.
 *
 * @example
 * ```ts
 * const sink = new MemorySink();
 * const governor = new Governor({ policy, sink });
 * await governor.check({ tool: 't', args: {} });
 * sink.events.length; // 1
 * ```
 */
export class MemorySink implements DecisionSink {
  readonly events: DecisionEvent[] = [];
  readonly capacity: number;

  constructor(options: { capacity?: number } = {}) {
    this.capacity = options.capacity ?? 100_000;
  }

  async write(event: DecisionEvent): Promise<void> {
    this.writeSync(event);
  }

  writeSync(event: DecisionEvent): void {
    if (this.events.length >= this.capacity) {
      throw new WardenError('ERR_AUDIT_WRITE', `The in-memory decision sink is full (${this.capacity} events); use a file audit sink or raise its capacity.`);
    }
    this.events.push(structuredClone(event));
  }
}

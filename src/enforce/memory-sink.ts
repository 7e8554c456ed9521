/** An in-memory decision sink, for tests, demos and short-lived processes. */
import { WardenError } from '../errors.js';
import type { DecisionEvent, DecisionSink, OutcomeEvent } from '../decision.js';

/**
 * Keeps decision and outcome events in memory, up to a capacity; when full, writes fail (and the
 * pipeline denies) rather than dropping records. The events the pipeline hands it are deep-frozen,
 * so they are kept as they are.
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
  readonly outcomes: OutcomeEvent[] = [];
  readonly capacity: number;

  constructor(options: { capacity?: number } = {}) {
    const capacity = options.capacity ?? 100_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new WardenError('ERR_OPTIONS', `MemorySink capacity must be a positive integer; got ${String(capacity)}.`);
    for (const key of Object.keys(options)) if (key !== 'capacity') throw new WardenError('ERR_OPTIONS', `Unknown MemorySink option ${JSON.stringify(key)}; the only option is capacity.`);
    this.capacity = capacity;
  }

  async write(event: DecisionEvent): Promise<void> {
    this.writeSync(event);
  }

  writeSync(event: DecisionEvent): void {
    this.#room();
    this.events.push(Object.isFrozen(event) ? event : structuredClone(event));
  }

  async writeOutcome(event: OutcomeEvent): Promise<void> {
    this.#room();
    this.outcomes.push(Object.isFrozen(event) ? event : structuredClone(event));
  }

  #room(): void {
    if (this.events.length + this.outcomes.length >= this.capacity) {
      throw new WardenError('ERR_AUDIT_WRITE', `The in-memory decision sink is full (${this.capacity} events); use a file audit sink or raise its capacity.`);
    }
  }
}

/**
 * Where decisions go once they are made. The Governor records every decision through a sink
 * before the governed action runs; a sink that cannot record makes the Governor deny
 * (unless configured otherwise).
 */
import type { AgentIdentity, Decision, Request } from '../policy/types.js';

/** One decision, as handed to a sink. Plain data; the sink decides how to store it. */
export interface DecisionEvent {
  /** ISO-8601 time the decision was made (from the Governor's injected clock). */
  ts: string;
  /** The identity the enforcement point authenticated. */
  agent: AgentIdentity | null;
  request: Request;
  decision: Decision;
  /** What happened after the decision: approval outcome, audit warnings. */
  outcome?: DecisionOutcome;
}

/** The final word after approval handling. */
export interface DecisionOutcome {
  /** True when the governed action was allowed to run. */
  executed: boolean;
  /** The final effect after approval handling (`allow` once approved, `deny` when not). */
  effect?: string;
  /** The final reason, when it differs from the policy decision's. */
  reason?: string;
  approval?: { approved: boolean; reason: string; requestDigest: string };
}

/**
 * A decision sink: durable, or in memory for tests.
 *
 * @example
 * ```ts
 * const sink: DecisionSink = { async write(e) { console.log(e.decision.effect); } };
 * ```
 */
export interface DecisionSink {
  /** Records one event; resolves once recorded, rejects when it could not be. */
  write(event: DecisionEvent): Promise<void>;
  /** Synchronous variant, used when governing synchronous functions. Optional. */
  writeSync?(event: DecisionEvent): void;
  /** Flushes and releases resources. */
  close?(): Promise<void>;
}

/**
 * The trust score: a pure function of an agent's event log, the model and the time. No clock is
 * read and nothing is kept between calls, so the same events, model and `now` always give the
 * same score, and {@link explainTrust} shows how each event moved it.
 *
 * The model, step by step (docs/trust.md has it with examples):
 * 1. An agent with no events scores 0 (unknown is untrusted, never the middle).
 * 2. Events are applied in log order. Before each, and finally up to `now`, a score above the
 *    floor decays toward it: `floor + (score − floor) × 2^(−elapsed / halfLife)`; time between
 *    events is never negative (an event dated before the previous one decays nothing).
 * 3. `success` and `approval` add `gain × (1000 − score) / 1000` (each step smaller as the score
 *    nears 1000); `denial`, `violation` and `incident` subtract their penalty; `baseline` sets the
 *    score to its value; an entry that is not a valid event counts as a violation.
 * 4. The score is kept in [0, 1000] after every step, and reported rounded down to an integer.
 */
import type { LogEntry } from '../store/types.js';
import { parseTrustEvent, type TrustEvent } from './events.js';
import { tierOf, type TrustModel } from './model.js';

/**
 * How one log entry moved the score (a row of {@link explainTrust}).
 *
 * @example
 * ```ts
 * const step: TrustStep = { seq: 3, event: { kind: 'violation', ts: 1765100000000 }, before: 512.4, decayed: 498.1, after: 398.1 };
 * ```
 */
export interface TrustStep {
  seq: number;
  /** The event; null when the entry was not a valid event (then it counted as a violation). */
  event: TrustEvent | null;
  /** The score before this entry, before decay. */
  before: number;
  /** The score after decaying to the event's time. */
  decayed: number;
  after: number;
}

/**
 * An explained score.
 *
 * @example
 * ```ts
 * const e: TrustExplanation = { score: 412, tier: 'probation', steps: [], decayedToNow: 412.9 };
 * ```
 */
export interface TrustExplanation {
  /** The score, an integer 0-1000. */
  score: number;
  tier: string;
  steps: TrustStep[];
  /** The unrounded score after the final decay to `now`. */
  decayedToNow: number;
}

/**
 * The score (an integer 0-1000) of an event log at `now` (ms since the epoch).
 *
 * @example
 * ```ts
 * trustScore([], DEFAULT_TRUST_MODEL, Date.now()); // 0
 * trustScore([{ seq: 1, data: { kind: 'baseline', ts: 0, value: 800 } }], DEFAULT_TRUST_MODEL, 0); // 800
 * ```
 */
export function trustScore(entries: readonly LogEntry[], model: TrustModel, now: number): number {
  return trustAt(foldTrust(entries, model), model, now);
}

/**
 * The score's state after the last event of a log (before decay to any `now`): what a cache
 * keeps, so a later reading is one decay away ({@link trustAt}).
 *
 * @example
 * ```ts
 * const state: TrustState = foldTrust(entries, model); // { value: 512.3, last: 1765100000000 }
 * ```
 */
export interface TrustState {
  /** The unrounded score right after the last event. */
  value: number;
  /** The latest event time seen; null when the log has no valid event. */
  last: number | null;
}

/**
 * Folds a log into its {@link TrustState}.
 *
 * @example
 * ```ts
 * trustAt(foldTrust(entries, model), model, Date.now()) === trustScore(entries, model, Date.now()); // true
 * ```
 */
export function foldTrust(entries: readonly LogEntry[], model: TrustModel): TrustState {
  let s = 0;
  let last: number | null = null;
  for (const entry of entries) {
    const event = parseTrustEvent(entry.data);
    if (event !== null) {
      if (last !== null) s = decay(s, event.ts - last, model);
      last = last === null ? event.ts : Math.max(last, event.ts);
    }
    s = apply(s, event, model);
  }
  return { value: s, last };
}

/**
 * The integer score of a state at `now`: the state's value decayed to `now`, rounded down.
 *
 * @example
 * ```ts
 * trustAt({ value: 900, last: 0 }, DEFAULT_TRUST_MODEL, 14 * 86_400_000); // 500 (half-way to the floor of 100)
 * ```
 */
export function trustAt(state: TrustState, model: TrustModel, now: number): number {
  return Math.floor(state.last === null ? state.value : decay(state.value, now - state.last, model));
}

/**
 * {@link trustScore} with every step shown: for `warden trust explain`.
 *
 * @example
 * ```ts
 * const { score, tier, steps } = explainTrust(await store.log.read('trust:bot'), DEFAULT_TRUST_MODEL, Date.now());
 * ```
 */
export function explainTrust(entries: readonly LogEntry[], model: TrustModel, now: number): TrustExplanation {
  let s = 0;
  let last: number | null = null;
  const steps: TrustStep[] = [];
  for (const entry of entries) {
    const event = parseTrustEvent(entry.data);
    const before = s;
    if (event !== null) {
      if (last !== null) s = decay(s, event.ts - last, model);
      last = last === null ? event.ts : Math.max(last, event.ts);
    }
    const decayed = s;
    s = apply(s, event, model);
    steps.push({ seq: entry.seq, event, before, decayed, after: s });
  }
  if (last !== null) s = decay(s, now - last, model);
  const score = Math.floor(s);
  return { score, tier: tierOf(score, model), steps, decayedToNow: s };
}

/**
 * A delegated agent's effective score: never more than any delegator's (the lowest of its own and
 * theirs).
 *
 * @example
 * ```ts
 * delegatedScore(900, [600, 750]); // 600
 * ```
 */
export function delegatedScore(own: number, delegators: readonly number[]): number {
  let s = own;
  for (const d of delegators) {
    // invariant: a delegator score that is not a finite number (NaN, either infinity: corrupt state) makes the delegate 0.
    if (!Number.isFinite(d)) return 0;
    if (d < s) s = Math.max(0, Math.floor(d));
  }
  return s;
}

function decay(s: number, elapsed: number, model: TrustModel): number {
  if (s <= model.floor || !(elapsed > 0)) return s;
  return model.floor + (s - model.floor) * Math.pow(2, -elapsed / model.halfLifeMs);
}

function apply(s: number, event: TrustEvent | null, model: TrustModel): number {
  let next: number;
  switch (event?.kind) {
    case 'success':
      next = s + (model.successGain * (1000 - s)) / 1000;
      break;
    case 'approval':
      next = s + (model.approvalGain * (1000 - s)) / 1000;
      break;
    case 'denial':
      next = s - model.denialPenalty;
      break;
    case 'incident':
      next = s - model.incidentPenalty;
      break;
    case 'baseline':
      next = event.value ?? 0;
      break;
    default:
      // 'violation', and any entry that is not a valid event.
      next = s - model.violationPenalty;
  }
  return next < 0 ? 0 : next > 1000 ? 1000 : next;
}

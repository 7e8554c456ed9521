/**
 * Trust events: what happens to an agent that moves its score. Kept in an append-only log (one
 * stream per agent); the score is a pure function of that log.
 */

/**
 * The kinds of trust event, and what each does under the default model (see docs/trust.md):
 * `success` (a governed call completed) and `approval` (a human approved one of its calls) raise
 * the score toward 1000 with diminishing steps; `denial` (a call the policy denied), `violation`
 * (a call that broke a rule that marks violations, or one reported) and `incident` (a reported
 * security incident) lower it by a fixed amount; `baseline` sets it (an operator vouching for an
 * agent, or resetting it).
 *
 * @example
 * ```ts
 * TRUST_EVENT_KINDS.includes('violation'); // true
 * ```
 */
export const TRUST_EVENT_KINDS = Object.freeze(['success', 'approval', 'denial', 'violation', 'incident', 'baseline'] as const);

/**
 * A kind of trust event (one of {@link TRUST_EVENT_KINDS}).
 *
 * @example
 * ```ts
 * const k: TrustEventKind = 'incident';
 * ```
 */
export type TrustEventKind = (typeof TRUST_EVENT_KINDS)[number];

/**
 * One trust event, as it is kept in the log.
 *
 * @example
 * ```ts
 * const e: TrustEvent = { kind: 'violation', ts: 1765100000000, reason: 'tried to read ~/.ssh', by: 'policy:no-secrets' };
 * const b: TrustEvent = { kind: 'baseline', ts: 1765100000000, value: 600, reason: 'reviewed', by: 'ops@example.com' };
 * ```
 */
export interface TrustEvent {
  kind: TrustEventKind;
  /** When it happened, milliseconds since the epoch. */
  ts: number;
  /** For `baseline`: the score it sets, an integer 0-1000. */
  value?: number;
  /** Why, for `warden trust explain` (at most 500 characters). */
  reason?: string;
  /** Who or what reported it (a rule, an operator). */
  by?: string;
}

/**
 * Reads a log entry as a trust event; null when it is not one (a wrong kind, a missing or
 * non-integer `ts`, a `baseline` without an integer value in 0-1000). The score counts such an
 * entry as a violation: an unreadable entry never helps an agent.
 *
 * @example
 * ```ts
 * parseTrustEvent({ kind: 'success', ts: 1 });   // { kind: 'success', ts: 1 }
 * parseTrustEvent({ kind: 'succes', ts: 1 });    // null
 * ```
 */
export function parseTrustEvent(data: unknown): TrustEvent | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const d = data as Record<string, unknown>;
  const kind = Object.hasOwn(d, 'kind') ? d.kind : undefined;
  const ts = Object.hasOwn(d, 'ts') ? d.ts : undefined;
  if (typeof kind !== 'string' || !(TRUST_EVENT_KINDS as readonly string[]).includes(kind)) return null;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return null;
  const event: TrustEvent = { kind: kind as TrustEventKind, ts };
  if (kind === 'baseline') {
    const value = Object.hasOwn(d, 'value') ? d.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) return null;
    event.value = value;
  } else if (Object.hasOwn(d, 'value')) {
    return null;
  }
  if (Object.hasOwn(d, 'reason')) {
    if (typeof d.reason !== 'string' || d.reason.length > 500) return null;
    event.reason = d.reason;
  }
  if (Object.hasOwn(d, 'by')) {
    if (typeof d.by !== 'string' || d.by.length > 200) return null;
    event.by = d.by;
  }
  return event;
}

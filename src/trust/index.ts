/**
 * Trust scores 0-1000: a pure function of each agent's append-only event log (successes,
 * approvals, denials, violations, incidents, operator baselines, and time), with named tiers, decay
 * toward a floor, unknown agents at 0, and delegated agents never above their delegators. See
 * docs/trust.md for the model.
 *
 * @example
 * ```ts
 * import { openStore } from 'agent-warden/store';
 * import { TrustLedger } from 'agent-warden/trust';
 * const trust = new TrustLedger({ store: await openStore('sqlite:.warden/state.db') });
 * await trust.record('bot', { kind: 'success' });
 * const { score, tier } = await trust.read('bot');
 * ```
 */
export { TRUST_EVENT_KINDS, parseTrustEvent } from './events.js';
export type { TrustEvent, TrustEventKind } from './events.js';
export { DEFAULT_TRUST_MODEL, trustModel, tierOf } from './model.js';
export type { TrustModel } from './model.js';
export { trustScore, explainTrust, delegatedScore, foldTrust, trustAt } from './score.js';
export type { TrustStep, TrustExplanation, TrustState } from './score.js';
export { TrustLedger, TRUST_CHANNEL, trustStream } from './ledger.js';
export type { TrustLedgerOptions, TrustReading, TrustEventInput } from './ledger.js';

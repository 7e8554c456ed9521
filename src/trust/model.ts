/**
 * The trust model's parameters and the named tiers, validated once (a malformed model is a load
 * error, never a silent default).
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';

/**
 * The parameters of the trust score (see docs/trust.md for the model).
 *
 * @example
 * ```ts
 * const m: TrustModel = { ...DEFAULT_TRUST_MODEL, floor: 300, halfLifeMs: 30 * 86_400_000 };
 * ```
 */
export interface TrustModel {
  /** `success`: score += gain × (1000 − score) / 1000. */
  successGain: number;
  /** `approval`: score += gain × (1000 − score) / 1000. */
  approvalGain: number;
  /** `denial`: score −= penalty. */
  denialPenalty: number;
  /** `violation` (and any unreadable log entry): score −= penalty. */
  violationPenalty: number;
  /** `incident`: score −= penalty. */
  incidentPenalty: number;
  /** Between events and up to now, a score above the floor decays toward it: halving its distance every `halfLifeMs`. */
  halfLifeMs: number;
  /** Decay stops here. A score below the floor stays where it is (time never raises a score). */
  floor: number;
  /** The named tiers: name → the lowest score in the tier. One tier starts at 0. */
  tiers: Readonly<Record<string, number>>;
}

/**
 * The default model: gains of 20 and 10, penalties of 10, 100 and 400, a 14-day half-life toward
 * a floor of 100, and tiers `trusted` 900, `established` 700, `standard` 500, `probation` 300,
 * `untrusted` 0.
 *
 * @example
 * ```ts
 * DEFAULT_TRUST_MODEL.tiers.trusted; // 900
 * ```
 */
export const DEFAULT_TRUST_MODEL: TrustModel = Object.freeze({
  successGain: 20,
  approvalGain: 10,
  denialPenalty: 10,
  violationPenalty: 100,
  incidentPenalty: 400,
  halfLifeMs: 14 * 86_400_000,
  floor: 100,
  tiers: Object.freeze({ trusted: 900, established: 700, standard: 500, probation: 300, untrusted: 0 }),
});

const KEYS = ['successGain', 'approvalGain', 'denialPenalty', 'violationPenalty', 'incidentPenalty', 'halfLifeMs', 'floor', 'tiers'] as const;
const TIER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The default model with `options` over it, checked: gains and penalties integers in 0-1000, a
 * positive whole half-life, a floor in 0-1000, tier names of lower-case letters, digits, `_` and
 * `-`, thresholds integers in 0-1000, distinct, one of them 0. Throws ERR_TRUST_CONFIG naming what
 * is wrong.
 *
 * @example
 * ```ts
 * const model = trustModel({ floor: 300, tiers: { high: 800, low: 0 } });
 * ```
 */
export function trustModel(options?: Partial<TrustModel>): TrustModel {
  rejectUnknownKeys(options, KEYS, 'ERR_TRUST_CONFIG', 'the trust model');
  const m = { ...DEFAULT_TRUST_MODEL, ...(options ?? {}) };
  for (const key of ['successGain', 'approvalGain', 'denialPenalty', 'violationPenalty', 'incidentPenalty', 'floor'] as const) {
    const v = m[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) throw new WardenError('ERR_TRUST_CONFIG', `trust model ${key} must be a whole number from 0 to 1000; got ${JSON.stringify(v)}.`);
  }
  if (typeof m.halfLifeMs !== 'number' || !Number.isSafeInteger(m.halfLifeMs) || m.halfLifeMs <= 0) {
    throw new WardenError('ERR_TRUST_CONFIG', `trust model halfLifeMs must be a positive whole number of milliseconds; got ${JSON.stringify(m.halfLifeMs)}.`);
  }
  const tiers = m.tiers;
  if (tiers === null || typeof tiers !== 'object' || Array.isArray(tiers)) throw new WardenError('ERR_TRUST_CONFIG', 'trust tiers must be an object of name: lowest score.');
  const seen = new Map<number, string>();
  for (const [name, threshold] of Object.entries(tiers)) {
    if (!TIER_NAME.test(name)) throw new WardenError('ERR_TRUST_CONFIG', `trust tier name ${JSON.stringify(name)} must be lower-case letters, digits, _ and - (at most 32, starting with a letter).`);
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0 || threshold > 1000) {
      throw new WardenError('ERR_TRUST_CONFIG', `trust tier ${name} must start at a whole number from 0 to 1000; got ${JSON.stringify(threshold)}.`);
    }
    const other = seen.get(threshold);
    if (other !== undefined) throw new WardenError('ERR_TRUST_CONFIG', `trust tiers ${other} and ${name} both start at ${threshold}; give each its own threshold.`);
    seen.set(threshold, name);
  }
  if (!seen.has(0)) throw new WardenError('ERR_TRUST_CONFIG', 'one trust tier must start at 0 (every score, including an unknown agent\'s 0, needs a tier).');
  return Object.freeze({ ...m, tiers: Object.freeze(Object.fromEntries(Object.entries(tiers))) });
}

/**
 * The tier a score is in: the tier with the highest threshold at or below it.
 *
 * @example
 * ```ts
 * tierOf(750, DEFAULT_TRUST_MODEL); // 'established'
 * tierOf(0, DEFAULT_TRUST_MODEL);   // 'untrusted'
 * ```
 */
export function tierOf(score: number, model: TrustModel): string {
  let best: string | null = null;
  let bestAt = -1;
  for (const [name, at] of Object.entries(model.tiers)) {
    if (at <= score && at > bestAt) {
      best = name;
      bestAt = at;
    }
  }
  // invariant: a validated model has a tier at 0, so every score in 0-1000 has one.
  if (best === null) throw new WardenError('ERR_TRUST_CONFIG', 'the trust tiers have none at 0; validate the model with trustModel().');
  return best;
}

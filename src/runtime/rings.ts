/**
 * Which ring an agent is in: from configuration (each agent's ceiling, the most privileged ring it
 * may ever be in) and its trust tier (the ring the tier earns), lifted by a signed, unexpired
 * elevation. Ring 0 is never granted automatically: no tier maps to it and no elevation reaches
 * it; only the configuration puts an agent in ring 0 (see {@link ringOf}).
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { LEAST_PRIVILEGE, parseRing, type Ring } from './levels.js';

/**
 * Ring configuration, as written in the config file (`rings:`).
 *
 * @example
 * ```ts
 * const c: RingConfig = { byTier: { trusted: 1, established: 2, standard: 2, probation: 3, untrusted: 3 }, agents: { orchestrator: 0 }, defaultCeiling: 1 };
 * ```
 */
export interface RingConfig {
  /** Tier name → the ring it earns (1-3; ring 0 cannot be earned). A tier not listed earns ring 3. */
  byTier?: Record<string, number>;
  /** Agent id → its ceiling (0-3): the most privileged ring it may be in. */
  agents?: Record<string, number>;
  /** The ceiling of agents not listed (1-3, default 1). */
  defaultCeiling?: number;
}

/**
 * A checked ring configuration.
 *
 * @example
 * ```ts
 * const rings: RingPolicy = ringPolicy({ agents: { orchestrator: 0 } });
 * ```
 */
export interface RingPolicy {
  readonly byTier: ReadonlyMap<string, Ring>;
  readonly agents: ReadonlyMap<string, Ring>;
  readonly defaultCeiling: Ring;
}

/** The default mapping: trusted → 1, established and standard → 2, everything else → 3. */
export const DEFAULT_RINGS_BY_TIER: Readonly<Record<string, Ring>> = Object.freeze({ trusted: 1, established: 2, standard: 2, probation: 3, untrusted: 3 });

/**
 * Checks a ring configuration. Throws ERR_RING_CONFIG for any level that is not a whole number
 * 0-3, a tier mapped to ring 0, a tier name not in `tiers` (when given), or an unknown key.
 *
 * @example
 * ```ts
 * ringPolicy({ byTier: { trusted: 0 } }); // throws: ring 0 is never earned by a tier
 * ```
 */
export function ringPolicy(config?: RingConfig, tiers?: readonly string[]): RingPolicy {
  rejectUnknownKeys(config, ['byTier', 'agents', 'defaultCeiling'], 'ERR_RING_CONFIG', 'the ring configuration');
  const byTier = new Map<string, Ring>();
  const tierTable = config?.byTier ?? DEFAULT_RINGS_BY_TIER;
  if (tierTable === null || typeof tierTable !== 'object' || Array.isArray(tierTable)) throw new WardenError('ERR_RING_CONFIG', 'rings.byTier must map tier names to rings 1-3.');
  for (const [tier, ring] of Object.entries(tierTable)) {
    if (tiers !== undefined && !tiers.includes(tier)) throw new WardenError('ERR_RING_CONFIG', `rings.byTier names the tier ${JSON.stringify(tier)}, which the trust model does not have (${tiers.join(', ')}).`);
    byTier.set(tier, parseRing(ring, `rings.byTier.${tier}`, 1));
  }
  const agents = new Map<string, Ring>();
  const agentTable = config?.agents ?? {};
  if (agentTable === null || typeof agentTable !== 'object' || Array.isArray(agentTable)) throw new WardenError('ERR_RING_CONFIG', 'rings.agents must map agent ids to rings 0-3.');
  for (const [agent, ring] of Object.entries(agentTable)) agents.set(agent, parseRing(ring, `rings.agents.${agent}`));
  const defaultCeiling = config?.defaultCeiling === undefined ? 1 : parseRing(config.defaultCeiling, 'rings.defaultCeiling', 1);
  return Object.freeze({ byTier, agents, defaultCeiling });
}

/**
 * The ring of an agent: `max(ceiling, earned)` where `earned` is its tier's ring (or, with no trust
 * scoring, the ceiling itself), lifted to `min(earned, elevation)` by an elevation, never past the
 * ceiling. A larger number is less privilege, so no step gives more than the configuration allows.
 * No tier and no elevation alone reaches ring 0: an agent is in ring 0 only when the configuration
 * gives it ceiling 0 and its tier earns ring 1 (or trust scoring is off).
 *
 * @example
 * ```ts
 * ringOf('bot', 'trusted', null, ringPolicy());          // 1
 * ringOf('bot', 'probation', 1, ringPolicy());           // 1 (elevated)
 * ringOf('bot', 'probation', null, ringPolicy());        // 3
 * ```
 */
export function ringOf(agent: string, tier: string | null, elevation: Ring | null, policy: RingPolicy): Ring {
  const ceiling = policy.agents.get(agent) ?? policy.defaultCeiling;
  const byTier: Ring = tier === null ? ceiling : (policy.byTier.get(tier) ?? LEAST_PRIVILEGE);
  // Ring 0: the configuration names the agent (ceiling 0) and its tier earns the best a tier can (ring 1).
  if (ceiling === 0 && byTier <= 1) return 0;
  let earned = byTier;
  if (elevation !== null && elevation >= 1 && elevation < earned) earned = elevation;
  return earned > ceiling ? earned : ceiling;
}

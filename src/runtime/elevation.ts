/**
 * Ring elevation: a signed grant lifting one agent to a more privileged ring (1 at best) until it
 * expires, kept in the store (so every process sees it), recorded in the store's log, and
 * revocable. A grant that does not verify, has expired, was revoked, names another agent, or holds
 * a malformed level is no grant at all: it can never give more privilege.
 */
import { randomBytes } from 'node:crypto';
import { WardenError } from '../errors.js';
import type { AgentKey } from '../identity/agent-key.js';
import { sha256Hex } from '../lib/hash.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { storeKey } from '../store/check.js';
import type { JsonValue, Store } from '../store/types.js';
import { didSet } from './kill.js';
import { isRing, type Ring } from './levels.js';
import { openDocument, PURPOSES, signDocument } from './signed.js';

/** The broadcast channel elevation changes are announced on (the message is the agent id). */
export const RING_CHANNEL = 'ring';
/** The log stream every elevation and revocation is recorded in. */
export const ELEVATION_LOG = storeKey('runtime', 'elevations');

/** The tool name an elevation request is decided under (see {@link ElevationAuthorizer}). */
export const ELEVATE_TOOL = 'warden.ring.elevate';

/**
 * Decides an elevation request before it is granted: typically `(r) => governor.check(r)`, so the
 * policy can allow, deny or `require_approval` elevations like any other action. Only
 * `allowed: true` grants; a throw or anything else refuses.
 *
 * @example
 * ```ts
 * const authorize: ElevationAuthorizer = (request) => governor.check(request);
 * await el.elevate('bot', { to: 1, forMs: 900_000, reason: 'deploy', key: ops, authorize });
 * ```
 */
export type ElevationAuthorizer = (request: { tool: string; args: { agent: string; to: number; forMs: number; reason: string } }) => Promise<{ allowed: boolean; reason: string }>;

/**
 * An elevation grant.
 *
 * @example
 * ```ts
 * const g: ElevationGrant = { id: 'el_3k9...', agent: 'bot', to: 1, at: 1765100000000, expiresAt: 1765100900000, reason: 'deploy window', by: 'did:key:z6Mk...' };
 * ```
 */
export interface ElevationGrant {
  id: string;
  agent: string;
  /** The ring it lifts the agent to: 1, 2 or 3 (never 0). */
  to: Ring;
  at: number;
  expiresAt: number;
  reason: string;
  by: string;
}

/**
 * Options of {@link Elevations}.
 *
 * @example
 * ```ts
 * const o: ElevationsOptions = { store, signers: [ops.did], maxMs: 8 * 3_600_000 };
 * ```
 */
export interface ElevationsOptions {
  store: Store;
  /** The DIDs trusted to sign grants. */
  signers: readonly string[];
  /** The longest grant (default 8 hours); a longer one is refused, and one found in the store is ignored. */
  maxMs?: number;
}

/**
 * Elevation grants over a store.
 *
 * @example
 * ```ts
 * const el = new Elevations({ store, signers: [ops.did] });
 * await el.elevate('bot', { to: 1, forMs: 15 * 60_000, reason: 'deploy window', key: ops });
 * (await el.current('bot'))?.to; // 1
 * ```
 */
export class Elevations {
  readonly store: Store;
  readonly maxMs: number;
  readonly #signers: ReadonlySet<string>;

  constructor(options: ElevationsOptions) {
    rejectUnknownKeys(options, ['store', 'signers', 'maxMs'], 'ERR_OPTIONS', 'Elevations options');
    if (!options?.store) throw new WardenError('ERR_OPTIONS', 'Elevations needs { store, signers }.');
    this.store = options.store;
    this.#signers = didSet(options.signers, 'signers');
    this.maxMs = options.maxMs ?? 8 * 3_600_000;
    if (!Number.isSafeInteger(this.maxMs) || this.maxMs < 1) throw new WardenError('ERR_OPTIONS', `maxMs must be a positive whole number of milliseconds; got ${String(options.maxMs)}.`);
  }

  /**
   * Grants `agent` ring `to` for `forMs`. Throws ERR_RING_CONFIG for a level that is not 1, 2 or 3
   * (ring 0 is never granted by elevation), or a duration that is not a positive whole number of
   * milliseconds up to `maxMs`.
   *
   * @example
   * ```ts
   * const grant = await el.elevate('bot', { to: 1, forMs: 900_000, reason: 'incident response', key: ops });
   * ```
   */
  async elevate(agent: string, options: { to: number; forMs: number; reason: string; key: AgentKey; authorize?: ElevationAuthorizer }): Promise<ElevationGrant> {
    checkAgent(agent);
    const to = options?.to;
    if (!isRing(to) || to === 0) throw new WardenError('ERR_RING_CONFIG', `An elevation goes to ring 1, 2 or 3 (ring 0 is never granted by elevation); got ${JSON.stringify(to) ?? String(to)}.`);
    const forMs = options.forMs;
    if (typeof forMs !== 'number' || !Number.isSafeInteger(forMs) || forMs < 1 || forMs > this.maxMs) throw new WardenError('ERR_RING_CONFIG', `An elevation lasts a whole number of milliseconds from 1 to ${this.maxMs}; got ${JSON.stringify(forMs) ?? String(forMs)}.`);
    if (typeof options.reason !== 'string' || options.reason.trim() === '' || options.reason.length > 500) throw new WardenError('ERR_USAGE', 'Give a reason for the elevation (at most 500 characters).');
    if (!this.#signers.has(options.key?.did)) throw new WardenError('ERR_RING_CONFIG', `The key ${String(options.key?.did)} is not one of the runtime signers; its grant would not verify.`);
    if (options.authorize !== undefined) {
      // The elevation is itself a governed action: decided (and approved, if the policy asks) before anything is signed.
      let verdict: { allowed: boolean; reason: string };
      try {
        verdict = await options.authorize({ tool: ELEVATE_TOOL, args: { agent, to, forMs, reason: options.reason } });
      } catch (e) {
        throw new WardenError('ERR_RING_CONFIG', `The elevation could not be authorized (${e instanceof Error ? e.message : String(e)}); nothing was granted.`, { cause: e });
      }
      if (verdict?.allowed !== true) throw new WardenError('ERR_RING_CONFIG', `The policy did not allow the elevation: ${String(verdict?.reason ?? 'no reason')}; nothing was granted.`);
    }
    const at = this.store.now();
    const grant: ElevationGrant = { id: `el_${randomBytes(12).toString('base64url')}`, agent, to, at, expiresAt: at + forMs, reason: options.reason, by: options.key.did };
    const doc = signDocument(options.key, PURPOSES.elevation, grant as unknown as JsonValue);
    await this.store.kv.set(elevationKey(agent), doc as unknown as JsonValue, { ttlMs: forMs });
    await this.store.log.append(ELEVATION_LOG, { event: 'elevate', ...grant } as unknown as JsonValue);
    await this.store.bus.publish(RING_CHANNEL, agent.length <= 2000 ? agent : '').catch(() => undefined);
    return grant;
  }

  /**
   * Revokes the agent's elevation; false when it had none.
   *
   * @example
   * ```ts
   * await el.revoke('bot', { reason: 'window closed', by: 'ops@example.com' });
   * ```
   */
  async revoke(agent: string, options: { reason: string; by: string }): Promise<boolean> {
    checkAgent(agent);
    const entry = await this.store.kv.get(elevationKey(agent));
    if (entry === null) return false;
    const grant = this.#grantOf(entry.value, agent);
    if (grant !== null) {
      // The revocation outlives the grant's key: a copy of the signed grant written back later is still refused.
      await this.store.kv.set(storeKey('runtime', 'revoked', grant.id), true, { ttlMs: Math.max(1, grant.expiresAt - this.store.now()) });
    }
    await this.store.kv.delete(elevationKey(agent));
    await this.store.log.append(ELEVATION_LOG, { event: 'revoke', agent, id: grant?.id ?? null, at: this.store.now(), reason: String(options?.reason ?? ''), by: String(options?.by ?? '') });
    await this.store.bus.publish(RING_CHANNEL, agent.length <= 2000 ? agent : '').catch(() => undefined);
    return true;
  }

  /**
   * The agent's elevation in force now, or null: null also for anything in the store that is not a
   * valid, unexpired, unrevoked grant for this agent signed by a trusted signer. Rejects
   * (ERR_STORE_*) when the store cannot be read.
   *
   * @example
   * ```ts
   * const grant = await el.current('bot');
   * ```
   */
  async current(agent: string): Promise<ElevationGrant | null> {
    checkAgent(agent);
    const entry = await this.store.kv.get(elevationKey(agent));
    if (entry === null) return null;
    const grant = this.#grantOf(entry.value, agent);
    if (grant === null) return null;
    if (await this.store.kv.get(storeKey('runtime', 'revoked', grant.id))) return null;
    return grant;
  }

  #grantOf(value: unknown, agent: string): ElevationGrant | null {
    const opened = openDocument(value, PURPOSES.elevation, this.#signers);
    if ('error' in opened) return null;
    const g = opened.payload as Partial<Record<keyof ElevationGrant, unknown>> | null;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) return null;
    const { id, to, at, expiresAt, reason, by } = g;
    if (g.agent !== agent || typeof id !== 'string' || !isRing(to) || to === 0) return null;
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt)) return null;
    const now = this.store.now();
    if (expiresAt <= now || expiresAt - at > this.maxMs || at > now + 60_000) return null;
    return Object.freeze({ id, agent, to, at, expiresAt, reason: String(reason), by: String(by) });
  }
}

/** The key of an agent's elevation (a long id by its SHA-256). */
export function elevationKey(agent: string): string {
  return agent.length <= 128 ? storeKey('runtime', 'elevation', agent) : storeKey('runtime', 'elevation', 'sha256', sha256Hex(agent));
}

function checkAgent(agent: unknown): void {
  if (typeof agent !== 'string' || agent.length === 0 || agent.length > 2000) throw new WardenError('ERR_USAGE', 'An agent id is a non-empty string of at most 2000 characters.');
}

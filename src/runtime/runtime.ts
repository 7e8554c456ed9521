/**
 * The runtime the pipeline consults: the kill switch before every decision (`kill` stage), the
 * agent's trust, tier and ring for the policy (`enrich` stage), the in-flight calls a kill aborts,
 * and the trust events decisions and outcomes feed. One per process, over one store.
 */
import type { AgentIdentity } from '../decision.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { Store } from '../store/types.js';
import { TrustLedger } from '../trust/ledger.js';
import type { TrustModel } from '../trust/model.js';
import { delegatedScore } from '../trust/score.js';
import { tierOf } from '../trust/model.js';
import { Elevations, RING_CHANNEL, type ElevationGrant } from './elevation.js';
import { KILL_CHANNEL, KillSwitch, matchKill } from './kill.js';
import type { Ring } from './levels.js';
import { ringOf, ringPolicy, type RingConfig, type RingPolicy } from './rings.js';

/**
 * What the enrich stage adds to the agent the policy sees.
 *
 * @example
 * ```ts
 * const f: RuntimeFacts = { trust: 742, tier: 'established', ring: 2 };
 * ```
 */
export interface RuntimeFacts {
  trust: number;
  tier: string;
  ring: Ring;
}

/**
 * Options of {@link createRuntime}.
 *
 * @example
 * ```ts
 * const o: RuntimeOptions = { store, signers: [ops.did], rings: { agents: { orchestrator: 0 } } };
 * ```
 */
export interface RuntimeOptions {
  store: Store;
  /** The DIDs trusted to sign kill states and elevation grants. */
  signers: readonly string[];
  /** The DIDs whose approval revives a kill (default: the signers; never the one who signs the revival). */
  approvers?: readonly string[];
  /** Trust scoring: a ledger, the model for one over `store` (default), or false for none (rings then come from configuration alone). */
  trust?: TrustLedger | Partial<TrustModel> | false;
  rings?: RingConfig;
  /** The longest elevation (default 8 hours). */
  maxElevationMs?: number;
  /** How long an elevation read is reused without a broadcast (default 1000 ms). */
  cacheMs?: number;
  /** While calls are in flight, how often the kill state is read in case a broadcast was missed (default 100 ms). */
  watchMs?: number;
  /** Feed trust from decisions and outcomes: a denial, an approval granted, a successful call (default true). */
  trustEvents?: boolean;
}

interface Tracked {
  agent: string | null;
  session: string | null;
  controller: AbortController;
  since: number;
}

/** A tracked call whose outcome was never observed is dropped after this long (so callers that never call observe() cannot keep the watch running forever). */
const MAX_TRACK_MS = 3_600_000;

/** The most in-flight calls tracked at once; past it the oldest can no longer be aborted (and a warning says so). */
const MAX_TRACKED = 100_000;

/**
 * The runtime (see the module comment). Pass it to a Pipeline or Governor as `runtime`.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ store: await openStore('sqlite:.warden/state.db'), signers: [ops.did] });
 * const governor = new Governor({ policy, runtime });
 * ```
 */
export class Runtime {
  readonly store: Store;
  readonly kill: KillSwitch;
  readonly elevations: Elevations;
  readonly trust: TrustLedger | null;
  readonly rings: RingPolicy;
  readonly #cacheMs: number;
  readonly #watchMs: number;
  readonly #trustEvents: boolean;
  readonly #elevationCache = new Map<string, { grant: ElevationGrant | null; loaded: number }>();
  readonly #tracked = new Map<string, Tracked>();
  #subscriptions: Promise<(() => Promise<void>)[]> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #sweeping = false;
  #closed = false;

  constructor(options: RuntimeOptions) {
    rejectUnknownKeys(options, ['store', 'signers', 'approvers', 'trust', 'rings', 'maxElevationMs', 'cacheMs', 'watchMs', 'trustEvents'], 'ERR_OPTIONS', 'runtime options');
    if (!options?.store || typeof options.store.kv?.get !== 'function') throw new WardenError('ERR_OPTIONS', 'The runtime needs { store, signers }: a store from openStore() and the DIDs that sign kills and elevations.');
    this.store = options.store;
    this.kill = new KillSwitch({ store: this.store, signers: options.signers, ...(options.approvers === undefined ? {} : { approvers: options.approvers }) });
    this.elevations = new Elevations({ store: this.store, signers: options.signers, ...(options.maxElevationMs === undefined ? {} : { maxMs: options.maxElevationMs }) });
    const trust = options.trust;
    this.trust = trust === false ? null : trust instanceof TrustLedger ? trust : new TrustLedger({ store: this.store, ...(trust === undefined ? {} : { model: trust }) });
    this.rings = ringPolicy(options.rings, this.trust === null ? undefined : Object.keys(this.trust.model.tiers));
    this.#cacheMs = options.cacheMs ?? 1000;
    this.#watchMs = options.watchMs ?? 100;
    this.#trustEvents = options.trustEvents ?? true;
    for (const [name, v] of [['cacheMs', this.#cacheMs], ['watchMs', this.#watchMs]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new WardenError('ERR_OPTIONS', `runtime ${name} must be a positive whole number of milliseconds; got ${String(v)}.`);
    }
  }

  /**
   * Why the kill switch denies a call by `agent` in `session`, or null. Rejects when the store
   * cannot be read (the kill stage then denies, with that reason).
   */
  killed(agent: string | null, session: string | null): Promise<string | null> {
    void this.#subscribe();
    return this.kill.check(agent, session);
  }

  /**
   * The agent's trust, tier and ring. Synchronous when everything it needs is cached; a Promise
   * when something must be read from the store (rejecting when the store cannot be read).
   *
   * @example
   * ```ts
   * const facts = await runtime.enrich({ id: 'bot' });
   * ```
   */
  enrich(agent: Readonly<AgentIdentity>): RuntimeFacts | Promise<RuntimeFacts> {
    const now = this.store.now();
    const id = agent.id;
    const delegators = delegatorsOf(agent);
    const trust = this.trust;
    const cachedScores = trust === null ? [] : [id, ...delegators].map((a) => trust.cached(a, now));
    const el = this.#elevationCache.get(id);
    const elevation = el !== undefined && now - el.loaded <= this.#cacheMs && now >= el.loaded ? el : undefined;
    if (cachedScores.every((r) => r !== null) && elevation !== undefined) {
      return this.#facts(id, cachedScores.map((r) => r?.score ?? 0), elevation.grant, now);
    }
    return this.#enrichSlow(id, delegators, now);
  }

  async #enrichSlow(id: string, delegators: string[], now: number): Promise<RuntimeFacts> {
    void this.#subscribe();
    const trust = this.trust;
    const [scores, grant] = await Promise.all([trust === null ? Promise.resolve([]) : Promise.all([id, ...delegators].map(async (a) => (await trust.read(a, now)).score)), this.elevations.current(id)]);
    this.#elevationCache.set(id, { grant, loaded: now });
    if (this.#elevationCache.size > 10_000) this.#elevationCache.delete(this.#elevationCache.keys().next().value as string);
    return this.#facts(id, scores, grant, now);
  }

  #facts(id: string, scores: number[], grant: ElevationGrant | null, now: number): RuntimeFacts {
    const trust = this.trust;
    const elevation = grant !== null && grant.expiresAt > now ? grant.to : null;
    if (trust === null) return { trust: 0, tier: '', ring: ringOf(id, null, elevation, this.rings) };
    const score = delegatedScore(scores[0] ?? 0, scores.slice(1));
    const tier = tierOf(score, trust.model);
    return { trust: score, tier, ring: ringOf(id, tier, elevation, this.rings) };
  }

  /**
   * Tracks an allowed call until {@link release}: its signal aborts when a kill covering its agent
   * or session lands (by broadcast, or by the watch that reads the store while calls are in flight).
   */
  track(call: string, agent: string | null, session: string | null): AbortSignal {
    const controller = new AbortController();
    if (this.#closed) {
      controller.abort(new WardenError('ERR_STORE_UNAVAILABLE', 'The runtime was closed.'));
      return controller.signal;
    }
    if (this.#tracked.size >= MAX_TRACKED) this.#tracked.delete(this.#tracked.keys().next().value as string);
    this.#tracked.set(call, { agent, session, controller, since: Date.now() });
    void this.#subscribe();
    if (this.#timer === null) {
      this.#timer = setInterval(() => void this.#sweep(), this.#watchMs);
      this.#timer.unref();
    }
    return controller.signal;
  }

  /** Stops tracking a call (it finished). */
  release(call: string): void {
    this.#tracked.delete(call);
    if (this.#tracked.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** Feeds trust from a decision: a policy denial, an approval granted. Never throws. */
  noteDecision(agent: string, what: 'denial' | 'approval'): void {
    if (!this.#trustEvents || this.trust === null) return;
    this.trust.record(agent, { kind: what, by: 'pipeline' }).catch(() => undefined);
  }

  /** Feeds trust from an outcome: a call that completed. Never throws. */
  noteOutcome(agent: string, status: 'ok' | 'error' | 'aborted'): void {
    if (!this.#trustEvents || this.trust === null || status !== 'ok') return;
    this.trust.record(agent, { kind: 'success', by: 'pipeline' }).catch(() => undefined);
  }

  /** Stops the watch and the subscriptions, and aborts what is still tracked. The store stays open (its owner closes it). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const t of this.#tracked.values()) t.controller.abort(new WardenError('ERR_STORE_UNAVAILABLE', 'The runtime was closed.'));
    this.#tracked.clear();
    const subs = await (this.#subscriptions ?? Promise.resolve([]));
    await Promise.all(subs.map((stop) => stop()));
    await this.trust?.close();
  }

  /** Reads the kill state and aborts every tracked call a kill covers. */
  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#tracked.size === 0) return;
    this.#sweeping = true;
    try {
      const reading = await this.kill.read();
      const stale = Date.now() - MAX_TRACK_MS;
      for (const [call, t] of this.#tracked) {
        if (t.since < stale) {
          this.#tracked.delete(call);
          continue;
        }
        let reason: string | null = null;
        if (!reading.ok) reason = `the kill state in the store cannot be trusted (${reading.error})`;
        else if (reading.state !== null) {
          const hit = matchKill(reading.state, t.agent, t.session);
          if (hit !== undefined) reason = `killed by the kill switch (epoch ${hit.epoch}: ${hit.reason})`;
        }
        if (reason !== null) {
          t.controller.abort(new WardenError('ERR_KILLED', `The call was aborted in flight: ${reason}.`));
          this.#tracked.delete(call);
        }
      }
    } catch {
      // The store could not be read: in-flight calls go on (a blip must not abort everything), and
      // every new decision is denied by the kill stage meanwhile.
    } finally {
      this.#sweeping = false;
      if (this.#tracked.size === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    }
  }

  #subscribe(): Promise<unknown> {
    this.#subscriptions ??= Promise.all([
      this.store.bus.subscribe(KILL_CHANNEL, () => void this.#sweep()).catch(() => async () => undefined),
      this.store.bus
        .subscribe(RING_CHANNEL, (agent) => {
          if (agent === '') this.#elevationCache.clear();
          else this.#elevationCache.delete(agent);
        })
        .catch(() => async () => undefined),
    ]);
    return this.#subscriptions;
  }
}

/**
 * A runtime over a store (see {@link Runtime}).
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ store, signers: [ops.did], rings: { byTier: { trusted: 1, established: 2, standard: 2, probation: 3, untrusted: 3 } } });
 * ```
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  return new Runtime(options);
}

/** The agents a delegated agent acts for (its UCAN chain's issuers), at most 8. */
function delegatorsOf(agent: Readonly<AgentIdentity>): string[] {
  const chain = agent.delegation?.chain;
  if (!Array.isArray(chain) || chain.length === 0) return [];
  const out: string[] = [];
  for (const link of chain) {
    const issuer = link?.issuer;
    if (typeof issuer === 'string' && issuer !== agent.id && !out.includes(issuer)) out.push(issuer);
    if (out.length === 8) break;
  }
  return out;
}

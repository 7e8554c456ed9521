/**
 * Trust over a store: events appended to one log stream per agent, scores computed from them
 * (src/trust/score.ts), and a bounded cache of each agent's state after its last event so that
 * reading a score in the pipeline costs a map lookup and one decay. The cache is invalidated by the
 * store's broadcast (channel `trust`) and, in case a broadcast is missed, after `maxAgeMs`.
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { storeKey } from '../store/check.js';
import type { LogEntry, Store } from '../store/types.js';
import { parseTrustEvent, type TrustEvent, type TrustEventKind } from './events.js';
import { DEFAULT_TRUST_MODEL, tierOf, trustModel, type TrustModel } from './model.js';
import { explainTrust, foldTrust, trustAt, type TrustExplanation, type TrustState } from './score.js';
import { sha256Hex } from '../lib/hash.js';

/** The broadcast channel on which a ledger announces an agent whose events changed. */
export const TRUST_CHANNEL = 'trust';

/**
 * Options of {@link TrustLedger}.
 *
 * @example
 * ```ts
 * const o: TrustLedgerOptions = { store, model: { floor: 300 }, maxAgeMs: 1000 };
 * ```
 */
export interface TrustLedgerOptions {
  store: Store;
  /** The model (validated by trustModel); default DEFAULT_TRUST_MODEL. */
  model?: Partial<TrustModel>;
  /** How long a cached score is used without a broadcast before the log is read again (default 1000 ms). */
  maxAgeMs?: number;
  /** The most agents cached (default 10,000). */
  maxAgents?: number;
}

/**
 * An agent's trust now.
 *
 * @example
 * ```ts
 * const t: TrustReading = { score: 742, tier: 'established', events: 57 };
 * ```
 */
export interface TrustReading {
  score: number;
  tier: string;
  /** How many log entries it was computed from. */
  events: number;
}

interface Cached {
  state: TrustState;
  events: number;
  loaded: number;
}

/**
 * Trust events and scores for agents, kept in a store.
 *
 * @example
 * ```ts
 * const trust = new TrustLedger({ store });
 * await trust.record('bot', { kind: 'violation', reason: 'wrote outside /workspace', by: 'policy:fs' });
 * const { score, tier } = await trust.read('bot');
 * ```
 */
export class TrustLedger {
  readonly store: Store;
  readonly model: TrustModel;
  readonly #maxAgeMs: number;
  readonly #maxAgents: number;
  readonly #cache = new Map<string, Cached>();
  #unsubscribe: Promise<(() => Promise<void>) | null> | null = null;

  constructor(options: TrustLedgerOptions) {
    rejectUnknownKeys(options, ['store', 'model', 'maxAgeMs', 'maxAgents'], 'ERR_OPTIONS', 'TrustLedger options');
    if (!options?.store || typeof options.store.log?.append !== 'function') throw new WardenError('ERR_OPTIONS', 'TrustLedger needs { store }: a store from openStore().');
    this.store = options.store;
    this.model = trustModel(options.model ?? DEFAULT_TRUST_MODEL);
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
    this.#maxAgents = options.maxAgents ?? 10_000;
    for (const [name, v] of [['maxAgeMs', this.#maxAgeMs], ['maxAgents', this.#maxAgents]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new WardenError('ERR_OPTIONS', `TrustLedger ${name} must be a whole number, 0 or more; got ${String(v)}.`);
    }
  }

  /**
   * Appends an event for `agent` (its `ts` defaults to the store's clock) and announces it.
   * Throws ERR_TRUST_EVENT for an event that is not valid, ERR_STORE_* when the store fails.
   *
   * @example
   * ```ts
   * await trust.record('bot', { kind: 'baseline', value: 600, reason: 'reviewed', by: 'ops' });
   * ```
   */
  async record(agent: string, event: { kind: TrustEventKind; ts?: number; value?: number; reason?: string; by?: string }): Promise<number> {
    checkAgent(agent);
    const data: Record<string, unknown> = { ...event, ts: event?.ts ?? this.store.now() };
    const parsed = parseTrustEvent(data);
    if (parsed === null) throw new WardenError('ERR_TRUST_EVENT', `Not a trust event: ${JSON.stringify(event)}. Give kind (${['success', 'approval', 'denial', 'violation', 'incident', 'baseline'].join(', ')}), an integer ts, value 0-1000 for baseline only, reason and by as short strings.`);
    const seq = await this.store.log.append(trustStream(agent), parsed as unknown as Record<string, never>);
    this.#cache.delete(agent);
    // The broadcast only speeds other processes up; the log is the truth, so a failed publish is not an error.
    await this.store.bus.publish(TRUST_CHANNEL, agent.length <= 2000 ? agent : '').catch(() => undefined);
    return seq;
  }

  /** Every log entry of `agent`, in order. */
  async entries(agent: string): Promise<LogEntry[]> {
    checkAgent(agent);
    const out: LogEntry[] = [];
    for (;;) {
      const page = await this.store.log.read(trustStream(agent), { after: out.length });
      out.push(...page);
      if (page.length < 10_000) return out;
    }
  }

  /**
   * The agent's score and tier now, from the cache when fresh. An agent with no events scores 0.
   *
   * @example
   * ```ts
   * const { score, tier } = await trust.read('bot');
   * ```
   */
  async read(agent: string, now: number = this.store.now()): Promise<TrustReading> {
    const cached = this.cached(agent, now);
    if (cached !== null) return cached;
    await this.#subscribe();
    const entries = await this.entries(agent);
    if (this.#cache.size >= this.#maxAgents) this.#cache.delete(this.#cache.keys().next().value as string);
    const c: Cached = { state: foldTrust(entries, this.model), events: entries.length, loaded: now };
    this.#cache.set(agent, c);
    return this.#reading(c, now);
  }

  /**
   * The reading from the cache, or null when the agent is not cached or its entry is older than
   * `maxAgeMs` (then call {@link read}). Synchronous: what the pipeline's enrich stage calls first.
   */
  cached(agent: string, now: number = this.store.now()): TrustReading | null {
    const c = this.#cache.get(agent);
    if (c === undefined || now - c.loaded > this.#maxAgeMs || now < c.loaded) return null;
    return this.#reading(c, now);
  }

  /**
   * Every event of the agent and how it moved the score: `warden trust explain`.
   *
   * @example
   * ```ts
   * for (const step of (await trust.explain('bot')).steps) console.log(step.seq, step.event?.kind, step.after);
   * ```
   */
  async explain(agent: string, now: number = this.store.now()): Promise<TrustExplanation> {
    return explainTrust(await this.entries(agent), this.model, now);
  }

  /** Stops listening for broadcasts. */
  async close(): Promise<void> {
    const stop = await this.#unsubscribe;
    this.#unsubscribe = null;
    if (stop) await stop();
    this.#cache.clear();
  }

  #reading(c: Cached, now: number): TrustReading {
    const score = trustAt(c.state, this.model, now);
    return { score, tier: tierOf(score, this.model), events: c.events };
  }

  #subscribe(): Promise<unknown> {
    this.#unsubscribe ??= this.store.bus
      .subscribe(TRUST_CHANNEL, (agent) => {
        if (agent === '') this.#cache.clear();
        else this.#cache.delete(agent);
      })
      .catch(() => null);
    return this.#unsubscribe;
  }
}

/** The event, as {@link TrustLedger.record} takes it. */
export type TrustEventInput = Omit<TrustEvent, 'ts'> & { ts?: number };

function checkAgent(agent: unknown): void {
  if (typeof agent !== 'string' || agent.length === 0 || agent.length > 2000) throw new WardenError('ERR_TRUST_EVENT', 'An agent id is a non-empty string of at most 2000 characters.');
}

/** The log stream of an agent's trust events (a long id by its SHA-256, to stay within the key limit). */
export function trustStream(agent: string): string {
  return agent.length <= 128 ? storeKey('trust', agent) : storeKey('trust', 'sha256', sha256Hex(agent));
}

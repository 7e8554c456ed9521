/**
 * Circuit breaker state shared by every process on one state store. The state of one breaker
 * instance (closed, open, half-open with its probes) is one key-value entry, and every transition
 * is a compare-and-set on it: two processes that both see a cool-down pass race for the probe slot,
 * and exactly one wins it. Counting failures while closed stays in each process (its own
 * {@link CircuitBreaker}); the first process whose count trips opens the breaker for all.
 *
 * Time is passed in; nothing here reads a clock. Every method rejects with the store's
 * `ERR_STORE_*` error when the store cannot be reached, and the SRE runtime then denies the call.
 */
import { WardenError } from '../errors.js';
import type { AgentKey } from '../identity/agent-key.js';
import { signDocument } from '../runtime/signed.js';
import { storeKey } from '../store/check.js';
import type { JsonValue, Store } from '../store/types.js';
import type { BreakerConfig, BreakerResult, BreakerStateName } from './breaker.js';
import { formatDuration } from './duration.js';

/**
 * One breaker instance's shared state, as stored. `epoch` rises each time it closes, so a process
 * counting failures for an older closed period cannot open the new one.
 *
 * @example
 * ```ts
 * const s: SharedBreakerState = { state: 'open', epoch: 3, openedAt: 1765100000000, why: '5 failures in a row', probes: [], successes: 0 };
 * ```
 */
export interface SharedBreakerState {
  state: BreakerStateName;
  epoch: number;
  openedAt: number;
  why: string;
  /** Probe calls in flight while half-open: [call id, admitted at]. */
  probes: [string, number][];
  successes: number;
}

/**
 * What {@link SharedBreakers.admit} answers.
 *
 * @example
 * ```ts
 * const a: SharedAdmission = { admitted: false, probe: false, state: 'open', epoch: 2, retryAt: 1765100030000, why: '5 failures in a row' };
 * ```
 */
export interface SharedAdmission {
  admitted: boolean;
  probe: boolean;
  state: BreakerStateName;
  epoch: number;
  retryAt?: number;
  why: string;
}

const CLOSED: SharedBreakerState = Object.freeze({ state: 'closed', epoch: 0, openedAt: 0, why: '', probes: [], successes: 0 }) as SharedBreakerState;
/** Compare-and-set rounds before a contended transition gives up (the call is then refused). */
const ROUNDS = 16;
/** Most instances one breaker's index lists (what `warden breaker reset <name>` resets). */
const INDEX_LIMIT = 10_000;

/**
 * The store key of one breaker instance (`key` is the tool, or the breaker's name when shared).
 *
 * @example
 * ```ts
 * breakerStateKey('search', 'search_docs'); // 'sre:breaker:search:search_docs'
 * ```
 */
export function breakerStateKey(name: string, key: string): string {
  return storeKey('sre', 'breaker', name, key);
}

/** The key listing the instances of breaker `name` that ever left closed. */
function indexKey(name: string): string {
  return storeKey('sre', 'breaker-index', name);
}

/** The log every operator reset is appended to. */
export const BREAKER_RESET_LOG = storeKey('sre', 'breaker-resets');

/**
 * Reads a stored state; anything malformed reads as open with a reason (fail closed: a corrupt
 * entry refuses calls until it is reset, never admits them).
 */
function parse(value: JsonValue | undefined): SharedBreakerState {
  if (value === undefined) return CLOSED;
  const v = value as Partial<Record<keyof SharedBreakerState, unknown>> | null;
  const ok =
    v !== null && typeof v === 'object' && !Array.isArray(v) &&
    (v.state === 'closed' || v.state === 'open' || v.state === 'half-open') &&
    Number.isSafeInteger(v.epoch) && Number.isSafeInteger(v.openedAt) && typeof v.why === 'string' && Number.isSafeInteger(v.successes) &&
    Array.isArray(v.probes) && v.probes.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && Number.isSafeInteger(p[1]));
  if (!ok) return { state: 'open', epoch: 0, openedAt: Number.MAX_SAFE_INTEGER / 2, why: 'its shared state in the store is malformed (reset it with `warden breaker reset`)', probes: [], successes: 0 };
  return v as unknown as SharedBreakerState;
}

/**
 * What time alone does to a state at `now`: an open breaker past its cool-down is half-open with
 * no probes; a half-open one whose probe has no outcome after `probeTimeout` is open again. Pure.
 *
 * @example
 * ```ts
 * advanceBreaker({ state: 'open', epoch: 1, openedAt: 0, why: 'x', probes: [], successes: 0 }, config, 60_000).state; // 'half-open'
 * ```
 */
export function advanceBreaker(s: SharedBreakerState, c: BreakerConfig, now: number): SharedBreakerState {
  let state = s;
  for (;;) {
    if (state.state === 'open' && now >= state.openedAt + c.coolDownMs) {
      state = { ...state, state: 'half-open', probes: [], successes: 0 };
      continue;
    }
    if (state.state === 'half-open') {
      let expired = Number.POSITIVE_INFINITY;
      for (const [, at] of state.probes) if (now >= at + c.probeTimeoutMs) expired = Math.min(expired, at + c.probeTimeoutMs);
      if (Number.isFinite(expired)) {
        state = { ...state, state: 'open', openedAt: expired, why: `a probe call reported no outcome within ${formatDuration(c.probeTimeoutMs)}`, probes: [], successes: 0 };
        continue;
      }
    }
    return state;
  }
}

/**
 * The shared breaker states of one store. A transition reports `(name, key, from, to, at)` to
 * `onTransition` in the process that made it.
 *
 * @example
 * ```ts
 * const shared = new SharedBreakers(store);
 * const a = await shared.admit(config, 'search_docs', 'call-1', Date.now());
 * ```
 */
export class SharedBreakers {
  readonly store: Store;
  onTransition: ((name: string, key: string, from: BreakerStateName, to: BreakerStateName, at: number) => void) | null = null;

  constructor(store: Store) {
    if (store === null || typeof store !== 'object' || typeof store.kv?.compareAndSet !== 'function') throw new WardenError('ERR_SRE_CONFIG', 'Shared breakers need a state store (openStore(url)).');
    this.store = store;
  }

  /** The state of instance `key` of breaker `c` at `now` (time-driven transitions applied, nothing written). */
  async read(c: BreakerConfig, key: string, now: number): Promise<SharedBreakerState> {
    const entry = await this.store.kv.get(breakerStateKey(c.name, key));
    return advanceBreaker(parse(entry?.value), c, now);
  }

  /**
   * Asks to let `call` through. Closed admits without writing. Half-open claims a probe slot with
   * a compare-and-set, so across every process at most `probes` calls are probes at once.
   */
  async admit(c: BreakerConfig, key: string, call: string, now: number): Promise<SharedAdmission> {
    for (let round = 0; round < ROUNDS; round++) {
      const entry = await this.store.kv.get(breakerStateKey(c.name, key));
      const before = parse(entry?.value);
      const s = advanceBreaker(before, c, now);
      if (s.state === 'closed') return { admitted: true, probe: false, state: 'closed', epoch: s.epoch, why: '' };
      if (s.state === 'open') return { admitted: false, probe: false, state: 'open', epoch: s.epoch, retryAt: s.openedAt + c.coolDownMs, why: s.why };
      if (s.probes.length + s.successes < c.probes && !s.probes.some(([id]) => id === call)) {
        const next: SharedBreakerState = { ...s, probes: [...s.probes, [call, now]] };
        if (await this.#write(c, key, entry?.version ?? null, before, next, now)) return { admitted: true, probe: true, state: 'half-open', epoch: s.epoch, why: s.why };
        continue;
      }
      let earliest = Number.POSITIVE_INFINITY;
      for (const [, at] of s.probes) earliest = Math.min(earliest, at + c.probeTimeoutMs);
      return { admitted: false, probe: false, state: 'half-open', epoch: s.epoch, retryAt: Number.isFinite(earliest) ? earliest : now, why: s.why };
    }
    return { admitted: false, probe: false, state: 'half-open', epoch: 0, retryAt: now, why: `${ROUNDS} processes changed its state at once` };
  }

  /** Opens a closed breaker of `epoch` (a process's count tripped). False when it had already left that closed period. */
  async open(c: BreakerConfig, key: string, epoch: number, why: string, now: number): Promise<boolean> {
    return this.#transition(c, key, now, (s) => (s.state === 'closed' && s.epoch === epoch ? { state: 'open', epoch, openedAt: now, why, probes: [], successes: 0 } : null));
  }

  /** Counts how probe `call` ended: a failure opens again, enough successes close (a new epoch), neutral frees the slot. */
  async settleProbe(c: BreakerConfig, key: string, call: string, result: BreakerResult, now: number): Promise<boolean> {
    return this.#transition(c, key, now, (s) => {
      if (s.state !== 'half-open' || !s.probes.some(([id]) => id === call)) return null;
      const probes = s.probes.filter(([id]) => id !== call);
      if (result === 'failure') return { state: 'open', epoch: s.epoch, openedAt: now, why: 'a probe call failed', probes: [], successes: 0 };
      if (result === 'neutral') return { ...s, probes };
      const successes = s.successes + 1;
      return successes >= c.probes ? { state: 'closed', epoch: s.epoch + 1, openedAt: 0, why: '', probes: [], successes: 0 } : { ...s, probes, successes };
    });
  }

  /** Closes the instance (an operator's reset). False when it was closed already. */
  async reset(c: Pick<BreakerConfig, 'name' | 'coolDownMs' | 'probeTimeoutMs'>, key: string, now: number): Promise<boolean> {
    return this.#transition(c as BreakerConfig, key, now, (s) => (s.state === 'closed' ? null : { state: 'closed', epoch: s.epoch + 1, openedAt: 0, why: '', probes: [], successes: 0 }));
  }

  /** The instances of breaker `name` that ever left closed (what a reset by name covers). */
  async instances(name: string): Promise<string[]> {
    const entry = await this.store.kv.get(indexKey(name));
    const v = entry?.value;
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
  }

  async #transition(c: BreakerConfig, key: string, now: number, change: (s: SharedBreakerState) => SharedBreakerState | null): Promise<boolean> {
    for (let round = 0; round < ROUNDS; round++) {
      const entry = await this.store.kv.get(breakerStateKey(c.name, key));
      const before = parse(entry?.value);
      const next = change(advanceBreaker(before, c, now));
      if (next === null) return false;
      if (await this.#write(c, key, entry?.version ?? null, before, next, now)) return true;
    }
    throw new WardenError('ERR_STORE_UNAVAILABLE', `The shared state of circuit breaker "${c.name}" (${key}) changed ${ROUNDS} times while this process tried to update it; try again.`);
  }

  async #write(c: BreakerConfig, key: string, version: number | null, before: SharedBreakerState, next: SharedBreakerState, now: number): Promise<boolean> {
    if (next.state !== 'closed') await this.#index(c.name, key);
    const written = await this.store.kv.compareAndSet(breakerStateKey(c.name, key), version, next as unknown as JsonValue);
    if (written === null) return false;
    const from = advanceBreaker(before, c, now).state;
    if (from !== next.state) this.onTransition?.(c.name, key, from, next.state, now);
    return true;
  }

  /** Adds `key` to breaker `name`'s index (once; bounded: past the limit the breaker still works, but a reset by name misses it). */
  async #index(name: string, key: string): Promise<void> {
    for (let round = 0; round < ROUNDS; round++) {
      const entry = await this.store.kv.get(indexKey(name));
      const list = Array.isArray(entry?.value) ? (entry.value as JsonValue[]) : [];
      if (list.includes(key) || list.length >= INDEX_LIMIT) return;
      if ((await this.store.kv.compareAndSet(indexKey(name), entry?.version ?? null, [...list, key])) !== null) return;
    }
  }
}

/** The signature purpose of an operator's breaker reset. */
export const BREAKER_RESET_PURPOSE = 'warden.breaker-reset';

/**
 * An operator's reset of breaker `name` (every instance that ever left closed, or only `tool`'s)
 * for every process on the store: signed with `key` (one of `signers`) and appended to the reset
 * log before anything changes. Returns the instances that were not closed and now are.
 *
 * @example
 * ```ts
 * await resetSharedBreaker(store, { name: 'search', reason: 'upstream fixed', key: ops, signers: [ops.did] });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` for a key that is not a signer; `ERR_USAGE` without a reason; the store's errors.
 */
export async function resetSharedBreaker(store: Store, options: { name: string; tool?: string; reason: string; key: AgentKey; signers: readonly string[] }): Promise<string[]> {
  const { name, tool, key } = options;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw new WardenError('ERR_USAGE', `A breaker name is letters, digits, "-" and "_"; got ${JSON.stringify(name)}.`);
  const reason = String(options.reason ?? '');
  if (reason.trim() === '' || reason.length > 500) throw new WardenError('ERR_USAGE', 'Give a reason for the reset (at most 500 characters): it is recorded.');
  if (!options.signers.includes(key?.did)) throw new WardenError('ERR_SRE_CONFIG', `The key ${String(key?.did)} is not one of the runtime signers; a reset is signed by one of them.`);
  const shared = new SharedBreakers(store);
  const at = store.now();
  const doc = signDocument(key, BREAKER_RESET_PURPOSE, { name, tool: tool ?? null, reason, at, by: key.did });
  await store.log.append(BREAKER_RESET_LOG, doc as unknown as JsonValue);
  const keys = tool === undefined ? [...new Set([...(await shared.instances(name)), name])] : [tool];
  const forever = { name, coolDownMs: Number.MAX_SAFE_INTEGER, probeTimeoutMs: Number.MAX_SAFE_INTEGER };
  const done: string[] = [];
  for (const k of keys) if (await shared.reset(forever, k, at)) done.push(k);
  return done;
}

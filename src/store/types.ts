/**
 * The state store interfaces: what trust, rings, the kill switch, limits, budgets, session labels
 * and sagas keep between calls and share between processes. Four small parts, each atomic on its
 * own: an append-only event log, counters with an atomic check-and-add, a key-value with expiry and
 * compare-and-set, and a broadcast. Every backend (memory, SQLite, PostgreSQL, Redis) implements
 * all four and passes one conformance suite (test/store/conformance.ts).
 */

/**
 * A JSON value, as the stores keep it (written as canonical JSON, so what is read back is equal to
 * what was written, number for number).
 *
 * @example
 * ```ts
 * const v: JsonValue = { kind: 'violation', ts: 1765100000000, rule: 'no-egress' };
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * One entry of an event log stream.
 *
 * @example
 * ```ts
 * const e: LogEntry = { seq: 1, data: { kind: 'success', ts: 1765100000000 } };
 * ```
 */
export interface LogEntry {
  /** 1 for a stream's first entry, then 2, 3, ...: no gaps, never reused. */
  readonly seq: number;
  readonly data: JsonValue;
}

/**
 * An append-only log of JSON entries in named streams (the trust events of one agent, the journal
 * of one saga). Entries are never changed or removed through this interface.
 *
 * @example
 * ```ts
 * const seq = await store.log.append('trust:bot', { kind: 'success', ts: Date.now() });
 * const all = await store.log.read('trust:bot');            // [{ seq: 1, data: {...} }, ...]
 * const newer = await store.log.read('trust:bot', { after: seq });
 * ```
 */
export interface EventLog {
  /** Appends one entry and returns its `seq`. Concurrent appends (from any process) get distinct, consecutive seqs. */
  append(stream: string, data: JsonValue): Promise<number>;
  /** Entries with `seq > after` (default 0), in order, at most `limit` (default and maximum {@link MAX_READ}). */
  read(stream: string, options?: LogReadOptions): Promise<LogEntry[]>;
}

/**
 * Options of {@link EventLog.read}.
 *
 * @example
 * ```ts
 * const page: LogReadOptions = { after: 100, limit: 50 };
 * ```
 */
export interface LogReadOptions {
  after?: number;
  limit?: number;
}

/**
 * What {@link Counters.add} did: `ok` true when the amount was added (and `value` is the new
 * value), false when the bounds refused it (and `value` is the value left unchanged).
 *
 * @example
 * ```ts
 * const r: CounterResult = { ok: false, value: 100 };
 * ```
 */
export interface CounterResult {
  readonly ok: boolean;
  readonly value: number;
}

/**
 * Options of {@link Counters.add}. All numbers are safe integers.
 *
 * @example
 * ```ts
 * // GCRA, one request per 1000 ms, bursts of 5: the counter holds the theoretical arrival time.
 * const now = Date.now();
 * const gcra: CounterAddOptions = { floor: now, max: now + 5 * 1000, ttlMs: 5 * 1000 };
 * await store.counters.add('rate:bot', 1000, gcra);
 * ```
 */
export interface CounterAddOptions {
  /** The value is raised to `floor` before adding (GCRA: the theoretical arrival time is never in the past). */
  floor?: number;
  /** Refuse (change nothing) when the new value would be above `max`. */
  max?: number;
  /** Refuse (change nothing) when the new value would be below `min`. */
  min?: number;
  /** After a successful add the counter expires this many milliseconds later (an expired counter reads 0). Without it the counter does not expire. */
  ttlMs?: number;
}

/**
 * Integer counters with one atomic operation, check-and-add: `next = max(current, floor) + amount`,
 * stored only when `min <= next <= max`. That one operation serves budgets (`max` = the budget),
 * rate limits (GCRA: `floor` = now, `max` = now + burst), and plain counts. An absent or expired
 * counter is 0.
 *
 * @example
 * ```ts
 * const r = await store.counters.add('budget:bot:usd-cents', 250, { max: 10_000 });
 * if (!r.ok) console.log(`over budget: ${r.value} of 10000 spent`);
 * ```
 */
export interface Counters {
  add(key: string, amount: number, options?: CounterAddOptions): Promise<CounterResult>;
  /** The current value; 0 when absent or expired. */
  get(key: string): Promise<number>;
  delete(key: string): Promise<void>;
}

/**
 * One key-value entry. `version` is drawn from one store-wide increasing sequence: a key that is
 * deleted and written again never gets a version it had before, so compare-and-set cannot be
 * fooled by a delete and re-create (the ABA problem).
 *
 * @example
 * ```ts
 * const e: KvEntry = { value: { ring: 1 }, version: 42, expiresAt: 1765100900000 };
 * ```
 */
export interface KvEntry {
  readonly value: JsonValue;
  readonly version: number;
  /** Milliseconds since the epoch (the store's clock); null when it does not expire. */
  readonly expiresAt: number | null;
}

/**
 * Options of {@link KeyValue.set} and {@link KeyValue.compareAndSet}.
 *
 * @example
 * ```ts
 * const o: KvSetOptions = { ttlMs: 15 * 60_000 };
 * ```
 */
export interface KvSetOptions {
  /** The entry expires this many milliseconds after the write; an expired entry reads as absent. */
  ttlMs?: number;
}

/**
 * A key-value of JSON values with expiry and compare-and-set.
 *
 * @example
 * ```ts
 * const v = await store.kv.set('elevation:bot', { to: 1 }, { ttlMs: 900_000 });
 * const e = await store.kv.get('elevation:bot');                       // { value, version: v, expiresAt }
 * const next = await store.kv.compareAndSet('elevation:bot', v, null); // a new version, or null when someone wrote first
 * const created = await store.kv.compareAndSet('nonce:abc', null, true, { ttlMs: 60_000 }); // null when it exists
 * ```
 */
export interface KeyValue {
  /** The live entry; null when absent or expired. */
  get(key: string): Promise<KvEntry | null>;
  /** Writes unconditionally; returns the new version. */
  set(key: string, value: JsonValue, options?: KvSetOptions): Promise<number>;
  /**
   * Writes only when the live entry's version is `expected` (null: only when there is no live
   * entry). Returns the new version, or null when the condition did not hold (nothing written).
   */
  compareAndSet(key: string, expected: number | null, value: JsonValue, options?: KvSetOptions): Promise<number | null>;
  /** Removes the live entry (only at version `expected`, when given); true when one was removed. */
  delete(key: string, expected?: number): Promise<boolean>;
}

/**
 * Broadcast: a message published on a channel reaches the subscribers of that channel in every
 * process using the same store, at most once and on a best-effort basis. Use it to invalidate
 * caches and wake waiters quickly; never as the only record of anything (the store is the source
 * of truth: a subscriber that missed a message must still find the state in the store).
 *
 * @example
 * ```ts
 * const stop = await store.bus.subscribe('kill', (message) => console.log('kill epoch', message));
 * await store.bus.publish('kill', '7');
 * await stop();
 * ```
 */
export interface Broadcast {
  /** Sends `message` (at most {@link MAX_MESSAGE_BYTES} bytes of UTF-8) to every subscriber of `channel`. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `onMessage` for each message published on `channel` from now on; resolves, once listening, to a function that stops it. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
}

/**
 * A state store: the four parts over one backend, and `close()`. Any method rejects with a
 * `WardenError` `ERR_STORE_UNAVAILABLE` when the backend cannot be reached (a decision that needs
 * it is then denied, with that reason), `ERR_STORE_FULL` when a bounded store is full, and
 * `ERR_STORE_DATA` for arguments or stored data it cannot accept.
 *
 * @example
 * ```ts
 * import { openStore } from 'agent-warden/store';
 * const store = await openStore('sqlite:.warden/state.db');
 * await store.counters.add('calls:bot', 1);
 * await store.close();
 * ```
 */
export interface Store {
  /** `memory`, `sqlite`, `postgres`, `redis`, or `composite`. */
  readonly kind: string;
  /** Where it is, for messages (`sqlite:.warden/state.db`, `postgres://127.0.0.1:5432/test`); never a password. */
  readonly location: string;
  readonly log: EventLog;
  readonly counters: Counters;
  readonly kv: KeyValue;
  readonly bus: Broadcast;
  /** The store's clock, in milliseconds since the epoch: what expiry is measured against. */
  now(): number;
  /** Releases connections and timers. Further calls reject. */
  close(): Promise<void>;
}

/** The most entries one {@link EventLog.read} returns. */
export const MAX_READ = 10_000;
/** The longest key, stream or channel name, in characters. */
export const MAX_KEY_LENGTH = 512;
/** The largest value (its canonical JSON), in bytes. */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** The largest broadcast message, in bytes (PostgreSQL NOTIFY takes under 8000). */
export const MAX_MESSAGE_BYTES = 7000;

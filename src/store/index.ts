/**
 * State stores: what Warden keeps between calls and shares between processes (trust events,
 * elevations, kill epochs, limits and budgets, session labels, saga journals), behind four small
 * interfaces that every backend implements and one conformance suite checks:
 *
 * - {@link EventLog}: append-only streams of JSON entries, numbered 1, 2, 3... per stream.
 * - {@link Counters}: integers with one atomic check-and-add, `next = max(current, floor) + amount`
 *   kept only when `min <= next <= max`, with optional expiry. Budgets use `max`; GCRA rate limits
 *   use `floor: now, max: now + burst * interval` with the emission interval as the amount.
 * - {@link KeyValue}: JSON values with expiry and compare-and-set on a store-wide version (never
 *   reused, so a delete and re-create cannot fool a compare-and-set).
 * - {@link Broadcast}: best-effort publish/subscribe to wake other processes; never the only
 *   record of anything.
 *
 * Backends: `memory` (tests, one process), `sqlite` (the embedded default, `node:sqlite`, one
 * file, several processes on one machine), `postgres` (PostgreSQL, `pg`, LISTEN/NOTIFY) and
 * `redis` (Redis, `ioredis`, pub/sub), and a composite of them (e.g. the log in PostgreSQL and the
 * counters, keys and broadcast in Redis). A store that cannot be reached rejects with
 * `ERR_STORE_UNAVAILABLE`; the pipeline stages that need it deny the call with that reason.
 *
 * Keys are plain strings of at most 512 characters; build them with {@link storeKey} so that parts
 * holding the separator cannot collide. Time: expiry is measured against the store's clock
 * (`clock` option, default `Date.now` of the process that reads or writes).
 *
 * @example
 * ```ts
 * import { openStore, storeKey } from 'agent-warden/store';
 * const store = await openStore('sqlite:.warden/state.db');
 * await store.log.append(storeKey('trust', 'bot'), { kind: 'success', ts: Date.now() });
 * const r = await store.counters.add(storeKey('budget', 'bot'), 250, { max: 10_000 });
 * await store.close();
 * ```
 */
export type { Broadcast, CounterAddOptions, CounterResult, Counters, EventLog, JsonValue, KeyValue, KvEntry, KvSetOptions, LogEntry, LogReadOptions, Store } from './types.js';
export { MAX_KEY_LENGTH, MAX_MESSAGE_BYTES, MAX_READ, MAX_VALUE_BYTES } from './types.js';
export { storeKey } from './check.js';
export { createMemoryStore } from './memory.js';
export type { MemoryStoreOptions } from './memory.js';
export { openSqliteStore } from './sqlite.js';
export type { SqliteStoreOptions } from './sqlite.js';
export { openPostgresStore } from './postgres.js';
export type { PostgresStoreOptions } from './postgres.js';
export { openRedisStore } from './redis.js';
export type { RedisStoreOptions } from './redis.js';
export { openStore, composeStore } from './open.js';
export type { OpenStoreOptions } from './open.js';

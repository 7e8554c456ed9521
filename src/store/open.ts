/**
 * Opening a store from a url (what `--store` and the config file name), and composing one store
 * out of parts of others (durable logs in PostgreSQL, hot counters, keys and broadcast in Redis).
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { createMemoryStore } from './memory.js';
import type { Store } from './types.js';

/**
 * Options of {@link openStore}.
 *
 * @example
 * ```ts
 * const o: OpenStoreOptions = { redis: 'redis://127.0.0.1:6379', clock: () => Date.now(), timeoutMs: 2000 };
 * ```
 */
export interface OpenStoreOptions {
  /** With a `postgres://` url: keep counters, keys and the broadcast in this Redis, the logs in PostgreSQL. */
  redis?: string;
  /** With a `postgres://` url: the schema holding Warden's tables (default `public`). */
  schema?: string;
  /** With Redis: the prefix of every key and channel (default `warden:`). */
  prefix?: string;
  /** The clock expiry is measured against (ms since the epoch); default Date.now. */
  clock?: () => number;
  /** With PostgreSQL or Redis: how long to wait to connect or for a command before the store counts as unavailable (default 5000 ms). */
  timeoutMs?: number;
}

/**
 * Opens the store a url names: `memory:`, `sqlite:<path>` (e.g. `sqlite:.warden/state.db`),
 * `postgres://...` (optionally with `redis` for the hot parts), or `redis://...`.
 *
 * @example
 * ```ts
 * const store = await openStore('postgres://127.0.0.1:5432/test', { redis: 'redis://127.0.0.1:6379' });
 * console.log(store.kind); // 'composite'
 * await store.close();
 * ```
 */
export async function openStore(url: string, options?: OpenStoreOptions): Promise<Store> {
  rejectUnknownKeys(options, ['redis', 'schema', 'prefix', 'clock', 'timeoutMs'], 'ERR_OPTIONS', 'openStore options');
  const clock = options?.clock;
  const withClock = clock === undefined ? {} : { clock };
  const timeoutMs = options?.timeoutMs;
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new WardenError('ERR_OPTIONS', `The store timeoutMs is a positive whole number of milliseconds, not ${String(timeoutMs)}.`);
  const withTimeout = timeoutMs === undefined ? {} : { timeoutMs };
  if (typeof url !== 'string') throw new WardenError('ERR_OPTIONS', 'A store url is a string: memory:, sqlite:<path>, postgres://... or redis://...');
  if ((options?.redis !== undefined || options?.schema !== undefined) && !/^postgres(ql)?:\/\//.test(url)) throw new WardenError('ERR_OPTIONS', 'The redis and schema options go with a postgres:// store url.');
  if (url === 'memory:') return createMemoryStore(withClock);
  if (url.startsWith('sqlite:')) {
    const { openSqliteStore } = await import('./sqlite.js');
    return openSqliteStore({ path: url.slice('sqlite:'.length), ...withClock });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresStore } = await import('./postgres.js');
    const pg = await openPostgresStore({ url, ...withClock, ...withTimeout, ...(options?.schema === undefined ? {} : { schema: options.schema }) });
    if (options?.redis === undefined) return pg;
    const { openRedisStore } = await import('./redis.js');
    let redis: Store;
    try {
      redis = await openRedisStore({ url: options.redis, ...withClock, ...withTimeout, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
    } catch (e) {
      await pg.close();
      throw e;
    }
    return composeStore({ log: pg, counters: redis, kv: redis, bus: redis });
  }
  if (/^rediss?:\/\//.test(url)) {
    const { openRedisStore } = await import('./redis.js');
    return openRedisStore({ url, ...withClock, ...withTimeout, ...(options?.prefix === undefined ? {} : { prefix: options.prefix }) });
  }
  throw new WardenError('ERR_OPTIONS', `Unknown store url ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}: use memory:, sqlite:<path>, postgres://... or redis://...`);
}

/**
 * One store whose parts come from others. `close()` closes each distinct underlying store once.
 *
 * @example
 * ```ts
 * const store = composeStore({ log: pgStore, counters: redisStore, kv: redisStore, bus: redisStore });
 * ```
 */
export function composeStore(parts: { log: Store; counters: Store; kv: Store; bus: Store }): Store {
  rejectUnknownKeys(parts, ['log', 'counters', 'kv', 'bus'], 'ERR_OPTIONS', 'composeStore parts');
  const stores = [...new Set([parts.log, parts.counters, parts.kv, parts.bus])];
  return Object.freeze({
    kind: stores.length === 1 ? (stores[0] as Store).kind : 'composite',
    location: stores.map((s) => s.location).join(' + '),
    log: parts.log.log,
    counters: parts.counters.counters,
    kv: parts.kv.kv,
    bus: parts.bus.bus,
    now: () => parts.kv.now(),
    close: async () => {
      await Promise.all(stores.map((s) => s.close()));
    },
  });
}

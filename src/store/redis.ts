/**
 * The Redis store (`ioredis`, an optional peer): for fleets, where the hot state lives (counters,
 * keys with expiry, kill epochs) and the broadcast (Redis pub/sub). Every read-modify-write is one
 * Lua script, which Redis runs atomically. Expiry is decided on the caller's clock like every other
 * backend (the scripts are handed `now`); Redis's own key expiry only collects the garbage, a
 * minute after that.
 *
 * Logs are Redis lists (RPUSH returns the new length, which is the entry's seq). Redis keeps what
 * its persistence settings keep: a Redis without persistence loses the logs on restart, so keep
 * durable logs (trust events, saga journals) in PostgreSQL or SQLite with a composite store.
 */
import type { Redis as RedisClient } from 'ioredis';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { checkMessage, checkName, counterArgs, decodeValue, encodeValue, kvTtl, readArgs } from './check.js';
import { redactUrl } from '../lib/pg.js';
import type { Broadcast, CounterAddOptions, CounterResult, Counters, EventLog, JsonValue, KeyValue, KvEntry, KvSetOptions, LogEntry, LogReadOptions, Store } from './types.js';

/**
 * Options of {@link openRedisStore}.
 *
 * @example
 * ```ts
 * const o: RedisStoreOptions = { url: 'redis://127.0.0.1:6379', prefix: 'warden:' };
 * ```
 */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`. */
  url: string;
  /** Put before every key and channel (default `warden:`), so one Redis can serve several deployments. */
  prefix?: string;
  /** How long to wait to connect or for a command before the store counts as unavailable (default 5000 ms). */
  timeoutMs?: number;
  /** The clock expiry is measured against (ms since the epoch); default Date.now. */
  clock?: () => number;
}

/** How long after its logical expiry Redis itself drops a key (tolerates clock differences between hosts). */
const GARBAGE_SLACK_MS = 60_000;

const COUNTER_ADD = `
local cur = 0
local e = redis.call('HGET', KEYS[1], 'e')
local now = tonumber(ARGV[5])
if e == false or tonumber(e) > now then
  local v = redis.call('HGET', KEYS[1], 'v')
  if v ~= false then cur = tonumber(v) end
end
local base = cur
if ARGV[2] ~= '' and tonumber(ARGV[2]) > cur then base = tonumber(ARGV[2]) end
local nxt = base + tonumber(ARGV[1])
if nxt > 9007199254740991 or nxt < -9007199254740991 then return redis.error_reply('WARDEN_RANGE a counter would leave the safe integer range') end
if (ARGV[4] ~= '' and nxt > tonumber(ARGV[4])) or (ARGV[3] ~= '' and nxt < tonumber(ARGV[3])) then
  return {0, string.format('%.0f', cur)}
end
redis.call('HSET', KEYS[1], 'v', string.format('%.0f', nxt))
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'e', string.format('%.0f', now + tonumber(ARGV[6])))
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]) + ${GARBAGE_SLACK_MS})
else
  redis.call('HDEL', KEYS[1], 'e')
  redis.call('PERSIST', KEYS[1])
end
return {1, string.format('%.0f', nxt)}
`;

// KEYS[1] the entry, KEYS[2] the version counter. ARGV: mode ('set' | 'cas'), expected ('' = none live), text, now, ttl ('' = none).
const KV_WRITE = `
local now = tonumber(ARGV[4])
if ARGV[1] == 'cas' then
  local cur = redis.call('HMGET', KEYS[1], 'ver', 'e')
  local live = cur[1] ~= false and (cur[2] == false or tonumber(cur[2]) > now)
  local have = ''
  if live then have = cur[1] end
  if have ~= ARGV[2] then return false end
end
local ver = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'ver', tostring(ver))
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'e', string.format('%.0f', now + tonumber(ARGV[5])))
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) + ${GARBAGE_SLACK_MS})
else
  redis.call('HDEL', KEYS[1], 'e')
  redis.call('PERSIST', KEYS[1])
end
return ver
`;

// KEYS[1] the entry. ARGV: now, expected ('' = any).
const KV_DELETE = `
local cur = redis.call('HMGET', KEYS[1], 'ver', 'e')
if cur[1] == false then return 0 end
if cur[2] ~= false and tonumber(cur[2]) <= tonumber(ARGV[1]) then return 0 end
if ARGV[2] ~= '' and cur[1] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

type ScriptedRedis = RedisClient & {
  wardenCounterAdd(key: string, ...args: string[]): Promise<[number, string]>;
  wardenKvWrite(entry: string, versionKey: string, ...args: string[]): Promise<number | null>;
  wardenKvDelete(entry: string, ...args: string[]): Promise<number>;
};

/**
 * Opens a Redis store. Rejects with ERR_MISSING_DEPENDENCY when `ioredis` is not installed and
 * ERR_STORE_UNAVAILABLE when the server cannot be reached. While the connection is down, every
 * call fails at once (no queueing), so decisions that need the store deny instead of waiting.
 *
 * @example
 * ```ts
 * const store = await openRedisStore({ url: 'redis://127.0.0.1:6379' });
 * await store.counters.add('calls:bot', 1, { ttlMs: 60_000 });
 * await store.close();
 * ```
 */
export async function openRedisStore(options: RedisStoreOptions): Promise<Store> {
  rejectUnknownKeys(options, ['url', 'prefix', 'timeoutMs', 'clock'], 'ERR_OPTIONS', 'Redis store options');
  if (!options || typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) throw new WardenError('ERR_OPTIONS', 'The Redis store needs a url: { url: "redis://127.0.0.1:6379" }.');
  const prefix = options.prefix ?? 'warden:';
  if (typeof prefix !== 'string' || prefix.length > 128) throw new WardenError('ERR_OPTIONS', 'prefix must be a string of at most 128 characters.');
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new WardenError('ERR_OPTIONS', `timeoutMs must be a positive whole number; got ${String(timeoutMs)}.`);
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new WardenError('ERR_OPTIONS', 'clock must be a function returning milliseconds since the epoch.');
  const location = redactUrl(options.url);
  const Redis = await loadIoredis();
  const settings = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
  const redis = new Redis(options.url, settings) as ScriptedRedis;
  // Connection errors surface on the commands that fail; without a listener ioredis would print them.
  redis.on('error', () => undefined);
  let closed = false;
  const fail = (e: unknown): WardenError => {
    if (e instanceof WardenError) return e;
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith('WARDEN_RANGE')) return new WardenError('ERR_STORE_DATA', `The Redis store ${location} refused a value: ${message.slice(13)}.`, { cause: e });
    return new WardenError('ERR_STORE_UNAVAILABLE', `The Redis store ${location} cannot be used (${message}); decisions that need it are denied. Check that the server is up and the url is right.`, { cause: e });
  };
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new WardenError('ERR_STORE_UNAVAILABLE', `The store ${location} was closed; open it again.`);
    try {
      return await fn();
    } catch (e) {
      throw fail(e);
    }
  };
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    throw fail(e);
  }
  redis.defineCommand('wardenCounterAdd', { numberOfKeys: 1, lua: COUNTER_ADD });
  redis.defineCommand('wardenKvWrite', { numberOfKeys: 2, lua: KV_WRITE });
  redis.defineCommand('wardenKvDelete', { numberOfKeys: 1, lua: KV_DELETE });
  const k = (part: string, name: string): string => `${prefix}${part}:${name}`;
  const opt = (n: number | null): string => (n === null ? '' : String(n));

  const log: EventLog = {
    async append(stream: string, data: JsonValue): Promise<number> {
      checkName(stream, 'stream');
      const text = encodeValue(data);
      return call(() => redis.rpush(k('log', stream), text));
    },
    async read(stream: string, o?: LogReadOptions): Promise<LogEntry[]> {
      checkName(stream, 'stream');
      const { after, limit } = readArgs(o);
      const texts = await call(() => redis.lrange(k('log', stream), after, after + limit - 1));
      return texts.map((text, i) => Object.freeze({ seq: after + i + 1, data: decodeValue(text, stream) }));
    },
  };

  const counterPart: Counters = {
    async add(key: string, amount: number, o?: CounterAddOptions): Promise<CounterResult> {
      checkName(key, 'key');
      const a = counterArgs(amount, o);
      const [ok, value] = await call(() => redis.wardenCounterAdd(k('counter', key), String(a.amount), opt(a.floor), opt(a.min), opt(a.max), String(clock()), opt(a.ttlMs)));
      return Object.freeze({ ok: ok === 1, value: Number(value) });
    },
    async get(key: string): Promise<number> {
      checkName(key, 'key');
      const [v, e] = await call(() => redis.hmget(k('counter', key), 'v', 'e'));
      if (v === null || (e !== null && Number(e) <= clock())) return 0;
      return Number(v);
    },
    async delete(key: string): Promise<void> {
      checkName(key, 'key');
      await call(() => redis.del(k('counter', key)));
    },
  };

  const versionKey = `${prefix}kv-version`;
  const kvPart: KeyValue = {
    async get(key: string): Promise<KvEntry | null> {
      checkName(key, 'key');
      const [v, ver, e] = await call(() => redis.hmget(k('kv', key), 'v', 'ver', 'e'));
      if (v === null || ver === null || (e !== null && Number(e) <= clock())) return null;
      return Object.freeze({ value: decodeValue(v, key), version: Number(ver), expiresAt: e === null ? null : Number(e) });
    },
    async set(key: string, value: JsonValue, o?: KvSetOptions): Promise<number> {
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const text = encodeValue(value);
      const ver = await call(() => redis.wardenKvWrite(k('kv', key), versionKey, 'set', '', text, String(clock()), opt(ttl)));
      return Number(ver);
    },
    async compareAndSet(key: string, expected: number | null, value: JsonValue, o?: KvSetOptions): Promise<number | null> {
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const text = encodeValue(value);
      if (expected !== null && !Number.isSafeInteger(expected)) throw new WardenError('ERR_STORE_DATA', 'The expected version must be a version number or null.');
      const ver = await call(() => redis.wardenKvWrite(k('kv', key), versionKey, 'cas', expected === null ? '' : String(expected), text, String(clock()), opt(ttl)));
      return ver === null ? null : Number(ver);
    },
    async delete(key: string, expected?: number): Promise<boolean> {
      checkName(key, 'key');
      const n = await call(() => redis.wardenKvDelete(k('kv', key), String(clock()), expected === undefined ? '' : String(expected)));
      return n === 1;
    },
  };

  // --- broadcast: a second connection in subscriber mode, opened on the first subscribe
  const subscribers = new Map<string, Set<(m: string) => void>>();
  let sub: RedisClient | null = null;
  let subReady: Promise<RedisClient> | null = null;
  const subscriber = (): Promise<RedisClient> => {
    subReady ??= (async () => {
      const conn = new Redis(options.url, { ...settings, enableOfflineQueue: true, maxRetriesPerRequest: null });
      conn.on('error', () => undefined);
      conn.on('message', (channel: string, message: string) => {
        if (!channel.startsWith(`${prefix}bus:`)) return;
        for (const fn of [...(subscribers.get(channel.slice(prefix.length + 4)) ?? [])]) fn(message);
      });
      await conn.connect();
      sub = conn;
      return conn;
    })();
    return subReady.catch((e: unknown) => {
      subReady = null;
      throw fail(e);
    });
  };
  const bus: Broadcast = {
    async publish(channel: string, message: string): Promise<void> {
      checkName(channel, 'channel');
      checkMessage(message);
      await call(() => redis.publish(k('bus', channel), message));
    },
    async subscribe(channel: string, onMessage: (m: string) => void): Promise<() => Promise<void>> {
      checkName(channel, 'channel');
      if (closed) throw new WardenError('ERR_STORE_UNAVAILABLE', `The store ${location} was closed; open it again.`);
      if (typeof onMessage !== 'function') throw new WardenError('ERR_STORE_DATA', 'subscribe needs a function to call with each message.');
      const fn = (m: string): void => {
        try {
          onMessage(m);
        } catch {
          // A subscriber's own error must not stop delivery to the others.
        }
      };
      const conn = await subscriber();
      let set = subscribers.get(channel);
      if (!set) {
        subscribers.set(channel, (set = new Set()));
        try {
          await conn.subscribe(k('bus', channel));
        } catch (e) {
          subscribers.delete(channel);
          throw fail(e);
        }
      }
      set.add(fn);
      return async () => {
        const set = subscribers.get(channel);
        set?.delete(fn);
        if (set?.size === 0) {
          subscribers.delete(channel);
          await conn.unsubscribe(k('bus', channel)).catch(() => undefined);
        }
      };
    },
  };

  return Object.freeze({
    kind: 'redis',
    location,
    log,
    counters: counterPart,
    kv: kvPart,
    bus,
    now: () => clock(),
    close: async () => {
      if (closed) return;
      closed = true;
      subscribers.clear();
      if (sub) sub.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  });
}

async function loadIoredis(): Promise<typeof import('ioredis').Redis> {
  try {
    const mod = (await import('ioredis')) as unknown as { Redis?: typeof import('ioredis').Redis; default: typeof import('ioredis').Redis };
    return mod.Redis ?? mod.default;
  } catch (e) {
    throw new WardenError('ERR_MISSING_DEPENDENCY', 'The Redis store needs the optional package ioredis. Install it beside agent-warden: npm install ioredis', { cause: e });
  }
}

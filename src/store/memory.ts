/**
 * The memory store: every part in this process's memory, bounded. For tests and single-process
 * use where nothing must outlive the process; its broadcast reaches only this store's subscribers.
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { checkMessage, checkName, counterArgs, counterStep, decodeValue, encodeValue, kvTtl, readArgs } from './check.js';
import type { Broadcast, CounterAddOptions, CounterResult, Counters, EventLog, JsonValue, KeyValue, KvEntry, KvSetOptions, LogEntry, LogReadOptions, Store } from './types.js';

/**
 * Options of {@link createMemoryStore}.
 *
 * @example
 * ```ts
 * const o: MemoryStoreOptions = { maxEntries: 10_000, clock: () => Date.now() };
 * ```
 */
export interface MemoryStoreOptions {
  /** The most log entries, counters and keys held together (default 1,000,000); past it writes fail with ERR_STORE_FULL. */
  maxEntries?: number;
  /** The clock expiry is measured against (ms since the epoch); default Date.now. */
  clock?: () => number;
}

/**
 * A store held in memory (see the module comment). Expired entries are dropped when the store
 * is full before a write is refused; live ones are never evicted.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * await store.kv.set('k', { a: 1 });
 * ```
 */
export function createMemoryStore(options?: MemoryStoreOptions): Store {
  rejectUnknownKeys(options, ['maxEntries', 'clock'], 'ERR_OPTIONS', 'memory store options');
  const max = options?.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(max) || max < 1) throw new WardenError('ERR_OPTIONS', `maxEntries must be a positive whole number; got ${String(max)}.`);
  const clock = options?.clock ?? Date.now;
  if (typeof clock !== 'function') throw new WardenError('ERR_OPTIONS', 'clock must be a function returning milliseconds since the epoch.');
  const logs = new Map<string, string[]>();
  const counters = new Map<string, { value: number; expiresAt: number | null }>();
  const kv = new Map<string, { text: string; version: number; expiresAt: number | null }>();
  const subscribers = new Map<string, Set<(m: string) => void>>();
  let logCount = 0;
  let version = 0;
  let closed = false;

  const open = (): void => {
    if (closed) throw new WardenError('ERR_STORE_UNAVAILABLE', 'The memory store was closed; open a new one.');
  };
  const live = (expiresAt: number | null): boolean => expiresAt === null || expiresAt > clock();
  const room = (): void => {
    if (logCount + counters.size + kv.size < max) return;
    for (const [k, c] of counters) if (!live(c.expiresAt)) counters.delete(k);
    for (const [k, e] of kv) if (!live(e.expiresAt)) kv.delete(k);
    if (logCount + counters.size + kv.size >= max) throw new WardenError('ERR_STORE_FULL', `The memory store holds its maximum of ${max} entries; raise maxEntries or use the SQLite store.`);
  };
  const expiry = (ttl: number | null): number | null => (ttl === null ? null : clock() + ttl);
  // Every operation runs synchronously inside an async function: it is atomic in this process.
  const log: EventLog = {
    async append(stream: string, data: JsonValue): Promise<number> {
      open();
      checkName(stream, 'stream');
      const text = encodeValue(data);
      room();
      let entries = logs.get(stream);
      if (!entries) logs.set(stream, (entries = []));
      entries.push(text);
      logCount++;
      return entries.length;
    },
    async read(stream: string, o?: LogReadOptions): Promise<LogEntry[]> {
      open();
      checkName(stream, 'stream');
      const { after, limit } = readArgs(o);
      const entries = logs.get(stream) ?? [];
      return entries.slice(after, after + limit).map((text, i) => Object.freeze({ seq: after + i + 1, data: decodeValue(text, stream) }));
    },
  };
  const counterPart: Counters = {
    async add(key: string, amount: number, o?: CounterAddOptions): Promise<CounterResult> {
      open();
      checkName(key, 'key');
      const a = counterArgs(amount, o);
      const c = counters.get(key);
      const current = c && live(c.expiresAt) ? c.value : 0;
      const step = counterStep(current, a);
      if (!step.ok) return step;
      if (!c) room();
      counters.set(key, { value: step.value, expiresAt: expiry(a.ttlMs) });
      return step;
    },
    async get(key: string): Promise<number> {
      open();
      checkName(key, 'key');
      const c = counters.get(key);
      return c && live(c.expiresAt) ? c.value : 0;
    },
    async delete(key: string): Promise<void> {
      open();
      counters.delete(checkName(key, 'key'));
    },
  };
  const liveEntry = (key: string): { text: string; version: number; expiresAt: number | null } | null => {
    const e = kv.get(key);
    return e && live(e.expiresAt) ? e : null;
  };
  const write = (key: string, text: string, ttl: number | null): number => {
    if (!kv.has(key)) room();
    kv.set(key, { text, version: ++version, expiresAt: expiry(ttl) });
    return version;
  };
  const kvPart: KeyValue = {
    async get(key: string): Promise<KvEntry | null> {
      open();
      checkName(key, 'key');
      const e = liveEntry(key);
      return e ? Object.freeze({ value: decodeValue(e.text, key), version: e.version, expiresAt: e.expiresAt }) : null;
    },
    async set(key: string, value: JsonValue, o?: KvSetOptions): Promise<number> {
      open();
      checkName(key, 'key');
      const ttl = kvTtl(o);
      return write(key, encodeValue(value), ttl);
    },
    async compareAndSet(key: string, expected: number | null, value: JsonValue, o?: KvSetOptions): Promise<number | null> {
      open();
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const text = encodeValue(value);
      const e = liveEntry(key);
      if ((e?.version ?? null) !== expected) return null;
      return write(key, text, ttl);
    },
    async delete(key: string, expected?: number): Promise<boolean> {
      open();
      checkName(key, 'key');
      const e = liveEntry(key);
      if (!e || (expected !== undefined && e.version !== expected)) return false;
      kv.delete(key);
      return true;
    },
  };
  const bus: Broadcast = {
    async publish(channel: string, message: string): Promise<void> {
      open();
      checkName(channel, 'channel');
      checkMessage(message);
      // Delivered on a later turn, as a real broadcast would be: publish never runs a subscriber inline.
      for (const fn of [...(subscribers.get(channel) ?? [])]) queueMicrotask(() => fn(message));
    },
    async subscribe(channel: string, onMessage: (m: string) => void): Promise<() => Promise<void>> {
      open();
      checkName(channel, 'channel');
      if (typeof onMessage !== 'function') throw new WardenError('ERR_STORE_DATA', 'subscribe needs a function to call with each message.');
      const fn = (m: string): void => onMessage(m);
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(fn);
      return async () => {
        subscribers.get(channel)?.delete(fn);
      };
    },
  };
  return Object.freeze({
    kind: 'memory',
    location: 'memory:',
    log,
    counters: counterPart,
    kv: kvPart,
    bus,
    now: () => clock(),
    close: async () => {
      closed = true;
      subscribers.clear();
    },
  });
}

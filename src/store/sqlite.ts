/**
 * The SQLite store (`node:sqlite`, Node 22.13 and later): the embedded default. One file (by
 * convention `.warden/state.db`), WAL mode, and a busy timeout, so several processes on one
 * machine share it safely: every read-modify-write runs in a `BEGIN IMMEDIATE` transaction, which
 * SQLite serializes across processes. The broadcast is a small table that subscribers poll (they
 * first read `PRAGMA data_version`, which changes only when another connection commits, so an idle
 * poll costs one cheap statement).
 */
import { mkdirSync, closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { checkMessage, checkName, counterArgs, counterStep, decodeValue, encodeValue, kvTtl, readArgs } from './check.js';
import type { Broadcast, CounterAddOptions, CounterResult, Counters, EventLog, JsonValue, KeyValue, KvEntry, KvSetOptions, LogEntry, LogReadOptions, Store } from './types.js';

/**
 * Options of {@link openSqliteStore}.
 *
 * @example
 * ```ts
 * const o: SqliteStoreOptions = { path: '.warden/state.db', busyTimeoutMs: 5000, pollMs: 10 };
 * ```
 */
export interface SqliteStoreOptions {
  /** The database file; created (mode 0600, with its folder) when absent. */
  path: string;
  /** How long a write waits for another process's transaction (default 5000 ms); past it the operation fails as unavailable. */
  busyTimeoutMs?: number;
  /** How often subscribers look for broadcast messages (default 10 ms). */
  pollMs?: number;
  /** The clock expiry is measured against (ms since the epoch); default Date.now. */
  clock?: () => number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS warden_log (stream TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (stream, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warden_counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warden_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warden_seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warden_bus (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL);
INSERT OR IGNORE INTO warden_seq (name, value) VALUES ('kv_version', 0);
`;

/** How long broadcast rows are kept for subscribers that poll late. */
const BUS_KEEP_MS = 60_000;

/**
 * Opens (creating when absent) a SQLite store. Throws ERR_STORE_UNAVAILABLE when the file cannot
 * be opened or is not a database.
 *
 * @example
 * ```ts
 * const store = openSqliteStore({ path: '.warden/state.db' });
 * const seq = await store.log.append('trust:bot', { kind: 'success', ts: Date.now() });
 * await store.close();
 * ```
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  rejectUnknownKeys(options, ['path', 'busyTimeoutMs', 'pollMs', 'clock'], 'ERR_OPTIONS', 'SQLite store options');
  if (!options || typeof options.path !== 'string' || options.path === '') throw new WardenError('ERR_OPTIONS', 'The SQLite store needs a path: { path: ".warden/state.db" }.');
  const path = options.path;
  const busy = options.busyTimeoutMs ?? 5000;
  const pollMs = options.pollMs ?? 10;
  for (const [name, v] of [['busyTimeoutMs', busy], ['pollMs', pollMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new WardenError('ERR_OPTIONS', `${name} must be a positive whole number of milliseconds; got ${String(v)}.`);
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new WardenError('ERR_OPTIONS', 'clock must be a function returning milliseconds since the epoch.');
  const location = `sqlite:${path}`;
  let db: DatabaseSync;
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
    }
    db = new (sqliteModule().DatabaseSync)(path, { timeout: busy });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    immediate(db, () => db.exec(SCHEMA));
  } catch (e) {
    throw unavailable(location, e);
  }
  let closed = false;
  const st = prepareAll(db);
  const run = <T>(fn: () => T): T => {
    if (closed) throw new WardenError('ERR_STORE_UNAVAILABLE', `The store ${location} was closed; open it again.`);
    try {
      return fn();
    } catch (e) {
      if (e instanceof WardenError) throw e;
      throw unavailable(location, e);
    }
  };
  const tx = <T>(fn: () => T): T => run(() => immediate(db, fn));
  const now = (): number => clock();

  const log: EventLog = {
    async append(stream: string, data: JsonValue): Promise<number> {
      checkName(stream, 'stream');
      const text = encodeValue(data);
      return tx(() => {
        const row = st.logHead.get(stream) as { seq: number | bigint | null };
        const seq = Number(row.seq ?? 0) + 1;
        st.logInsert.run(stream, seq, text);
        return seq;
      });
    },
    async read(stream: string, o?: LogReadOptions): Promise<LogEntry[]> {
      checkName(stream, 'stream');
      const { after, limit } = readArgs(o);
      const rows = run(() => st.logRead.all(stream, after, limit) as { seq: number; data: string }[]);
      return rows.map((r) => Object.freeze({ seq: Number(r.seq), data: decodeValue(r.data, stream) }));
    },
  };

  const counterPart: Counters = {
    async add(key: string, amount: number, o?: CounterAddOptions): Promise<CounterResult> {
      checkName(key, 'key');
      const a = counterArgs(amount, o);
      return tx(() => {
        const t = now();
        const row = st.counterGet.get(key) as { value: number; expires_at: number | null } | undefined;
        const current = row && (row.expires_at === null || Number(row.expires_at) > t) ? Number(row.value) : 0;
        const step = counterStep(current, a);
        if (step.ok) st.counterPut.run(key, step.value, a.ttlMs === null ? null : t + a.ttlMs);
        return step;
      });
    },
    async get(key: string): Promise<number> {
      checkName(key, 'key');
      const row = run(() => st.counterGet.get(key) as { value: number; expires_at: number | null } | undefined);
      return row && (row.expires_at === null || Number(row.expires_at) > now()) ? Number(row.value) : 0;
    },
    async delete(key: string): Promise<void> {
      checkName(key, 'key');
      run(() => st.counterDelete.run(key));
    },
  };

  type KvRow = { value: string; version: number; expires_at: number | null };
  const liveRow = (key: string): KvRow | null => {
    const row = st.kvGet.get(key) as KvRow | undefined;
    return row && (row.expires_at === null || Number(row.expires_at) > now()) ? row : null;
  };
  const write = (key: string, text: string, ttl: number | null): number => {
    const version = Number((st.nextVersion.get() as { value: number }).value);
    st.kvPut.run(key, text, version, ttl === null ? null : now() + ttl);
    return version;
  };
  const kvPart: KeyValue = {
    async get(key: string): Promise<KvEntry | null> {
      checkName(key, 'key');
      const row = run(() => liveRow(key));
      if (!row) return null;
      return Object.freeze({ value: decodeValue(row.value, key), version: Number(row.version), expiresAt: row.expires_at === null ? null : Number(row.expires_at) });
    },
    async set(key: string, value: JsonValue, o?: KvSetOptions): Promise<number> {
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const text = encodeValue(value);
      return tx(() => write(key, text, ttl));
    },
    async compareAndSet(key: string, expected: number | null, value: JsonValue, o?: KvSetOptions): Promise<number | null> {
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const text = encodeValue(value);
      return tx(() => {
        const row = liveRow(key);
        if ((row === null ? null : Number(row.version)) !== expected) return null;
        return write(key, text, ttl);
      });
    },
    async delete(key: string, expected?: number): Promise<boolean> {
      checkName(key, 'key');
      return tx(() => {
        const row = liveRow(key);
        if (!row || (expected !== undefined && Number(row.version) !== expected)) return false;
        st.kvDelete.run(key);
        return true;
      });
    },
  };

  // --- broadcast ---------------------------------------------------------------------------
  const subscribers = new Map<string, Set<(m: string) => void>>();
  let lastId = 0;
  let dataVersion = -1;
  let timer: NodeJS.Timeout | null = null;
  const poll = (): void => {
    if (closed || subscribers.size === 0) return;
    try {
      const v = Number((st.dataVersion.get() as { data_version: number }).data_version);
      // data_version does not change for this connection's own commits; publish() polls itself.
      if (v === dataVersion) return;
      dataVersion = v;
      deliver();
    } catch {
      // A poll that fails (the file is locked or gone) is retried on the next tick; the store, not the broadcast, is the truth.
    }
  };
  const deliver = (): void => {
    const rows = st.busRead.all(lastId) as { id: number; channel: string; message: string }[];
    for (const r of rows) {
      lastId = Math.max(lastId, Number(r.id));
      for (const fn of [...(subscribers.get(r.channel) ?? [])]) fn(r.message);
    }
    if (rows.length === 1000) deliver();
  };
  const bus: Broadcast = {
    async publish(channel: string, message: string): Promise<void> {
      checkName(channel, 'channel');
      checkMessage(message);
      tx(() => {
        st.busInsert.run(channel, message, Date.now());
        st.busPrune.run(Date.now() - BUS_KEEP_MS);
      });
      if (subscribers.size > 0) setImmediate(() => run(deliver));
    },
    async subscribe(channel: string, onMessage: (m: string) => void): Promise<() => Promise<void>> {
      checkName(channel, 'channel');
      if (typeof onMessage !== 'function') throw new WardenError('ERR_STORE_DATA', 'subscribe needs a function to call with each message.');
      const fn = (m: string): void => {
        try {
          onMessage(m);
        } catch {
          // A subscriber's own error must not stop delivery to the others.
        }
      };
      run(() => {
        if (subscribers.size === 0) {
          lastId = Number((st.busHead.get() as { id: number | null }).id ?? 0);
          dataVersion = Number((st.dataVersion.get() as { data_version: number }).data_version);
        }
      });
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(fn);
      if (timer === null) {
        timer = setInterval(poll, pollMs);
        timer.unref();
      }
      return async () => {
        const s = subscribers.get(channel);
        s?.delete(fn);
        if (s?.size === 0) subscribers.delete(channel);
        if (subscribers.size === 0 && timer !== null) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
  };

  return Object.freeze({
    kind: 'sqlite',
    location,
    log,
    counters: counterPart,
    kv: kvPart,
    bus,
    now,
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer !== null) clearInterval(timer);
      subscribers.clear();
      db.close();
    },
  });
}

const STATEMENTS = {
  logHead: 'SELECT max(seq) AS seq FROM warden_log WHERE stream = ?',
  logInsert: 'INSERT INTO warden_log (stream, seq, data) VALUES (?, ?, ?)',
  logRead: 'SELECT seq, data FROM warden_log WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
  counterGet: 'SELECT value, expires_at FROM warden_counters WHERE key = ?',
  counterPut: 'INSERT INTO warden_counters (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
  counterDelete: 'DELETE FROM warden_counters WHERE key = ?',
  kvGet: 'SELECT value, version, expires_at FROM warden_kv WHERE key = ?',
  kvPut: 'INSERT INTO warden_kv (key, value, version, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at',
  kvDelete: 'DELETE FROM warden_kv WHERE key = ?',
  nextVersion: "UPDATE warden_seq SET value = value + 1 WHERE name = 'kv_version' RETURNING value",
  busInsert: 'INSERT INTO warden_bus (channel, message, at) VALUES (?, ?, ?)',
  busPrune: 'DELETE FROM warden_bus WHERE at < ?',
  busRead: 'SELECT id, channel, message FROM warden_bus WHERE id > ? ORDER BY id LIMIT 1000',
  busHead: 'SELECT max(id) AS id FROM warden_bus',
  dataVersion: 'PRAGMA data_version',
} as const;

let sqlite: typeof import('node:sqlite') | null = null;

/**
 * `node:sqlite`, loaded on first use. Node 22 prints an ExperimentalWarning when the module loads
 * (Node 24 does not): that one warning is kept off the user's terminal, every other one passes.
 */
function sqliteModule(): typeof import('node:sqlite') {
  if (sqlite !== null) return sqlite;
  const original = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('SQLite is an experimental feature')) return;
    (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    sqlite = createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = original;
  }
  return sqlite;
}

type Statements = { -readonly [K in keyof typeof STATEMENTS]: StatementSync };

function prepareAll(db: DatabaseSync): Statements {
  const out = {} as Statements;
  for (const [name, sql] of Object.entries(STATEMENTS)) out[name as keyof typeof STATEMENTS] = db.prepare(sql);
  return out;
}

/** Runs `fn` in a BEGIN IMMEDIATE transaction (the write lock taken up front, so no upgrade deadlock between processes). */
function immediate<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // No transaction left to roll back (SQLite already rolled it back on the error).
    }
    throw e;
  }
}

function unavailable(location: string, e: unknown): WardenError {
  const why = e instanceof Error ? e.message : String(e);
  return new WardenError('ERR_STORE_UNAVAILABLE', `The store ${location} cannot be used (${why}); decisions that need it are denied. Check the path and its permissions, or that no process holds it locked.`, { cause: e });
}

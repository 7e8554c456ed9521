/**
 * The PostgreSQL store (`pg`, an optional peer): for fleets. Tables (`warden_log`, `warden_heads`,
 * `warden_counters`, `warden_kv`), a version sequence and one PL/pgSQL function for the counters'
 * check-and-add live in one schema, created when absent. Every operation is one statement (the
 * check-and-add is one function call holding the row lock), so it is atomic across every process
 * of the fleet. The broadcast is LISTEN/NOTIFY on one channel per schema.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, Client } from 'pg';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { loadPg, redactUrl } from '../lib/pg.js';
import { checkMessage, checkName, counterArgs, decodeValue, encodeValue, kvTtl, readArgs } from './check.js';
import type { Broadcast, CounterAddOptions, CounterResult, Counters, EventLog, JsonValue, KeyValue, KvEntry, KvSetOptions, LogEntry, LogReadOptions, Store } from './types.js';

/**
 * Options of {@link openPostgresStore}.
 *
 * @example
 * ```ts
 * const o: PostgresStoreOptions = { url: 'postgres://warden@127.0.0.1:5432/warden', schema: 'warden' };
 * ```
 */
export interface PostgresStoreOptions {
  /** A connection string (`postgres://user:password@host:port/database`). */
  url: string;
  /** The schema holding Warden's tables (default `public`); created when absent. Letters, digits and `_`. */
  schema?: string;
  /** The most connections (default 4). */
  poolSize?: number;
  /** How long to wait for a connection or a statement before the store counts as unavailable (default 5000 ms). */
  timeoutMs?: number;
  /** The clock expiry is measured against (ms since the epoch); default Date.now. */
  clock?: () => number;
}

/**
 * Opens a PostgreSQL store, creating its schema objects when absent. Rejects with
 * ERR_MISSING_DEPENDENCY when `pg` is not installed and ERR_STORE_UNAVAILABLE when the server
 * cannot be reached.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ url: 'postgres://127.0.0.1:5432/test' });
 * await store.kv.set('k', 1);
 * await store.close();
 * ```
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  rejectUnknownKeys(options, ['url', 'schema', 'poolSize', 'timeoutMs', 'clock'], 'ERR_OPTIONS', 'PostgreSQL store options');
  if (!options || typeof options.url !== 'string' || options.url === '') throw new WardenError('ERR_OPTIONS', 'The PostgreSQL store needs a url: { url: "postgres://host:5432/database" }.');
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new WardenError('ERR_OPTIONS', `schema must be lower-case letters, digits and _ (at most 63); got ${JSON.stringify(schema)}.`);
  const poolSize = options.poolSize ?? 4;
  const timeoutMs = options.timeoutMs ?? 5000;
  for (const [name, v] of [['poolSize', poolSize], ['timeoutMs', timeoutMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new WardenError('ERR_OPTIONS', `${name} must be a positive whole number; got ${String(v)}.`);
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new WardenError('ERR_OPTIONS', 'clock must be a function returning milliseconds since the epoch.');
  const location = redactUrl(options.url);
  const pg = await loadPg('The PostgreSQL store');
  const config = { connectionString: options.url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, statement_timeout: timeoutMs };
  const pool: Pool = new pg.Pool({ ...config, max: poolSize });
  // An idle client's error (the server restarted) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const s = `"${schema}"`;
  let closed = false;
  const fail = (e: unknown): WardenError => {
    if (e instanceof WardenError) return e;
    const sqlstate = (e as { code?: unknown }).code;
    if (typeof sqlstate === 'string' && sqlstate.startsWith('22')) return new WardenError('ERR_STORE_DATA', `The PostgreSQL store ${location} refused a value: ${(e as Error).message}.`, { cause: e });
    return new WardenError('ERR_STORE_UNAVAILABLE', `The PostgreSQL store ${location} cannot be used (${e instanceof Error ? e.message : String(e)}); decisions that need it are denied. Check that the server is up and the url is right.`, { cause: e });
  };
  const q = async <R extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<R[]> => {
    if (closed) throw new WardenError('ERR_STORE_UNAVAILABLE', `The store ${location} was closed; open it again.`);
    try {
      return (await pool.query(sql, params)).rows as R[];
    } catch (e) {
      throw fail(e);
    }
  };
  try {
    const client: PoolClient = await pool.connect();
    try {
      await client.query('BEGIN');
      // Several processes may open the same empty database at once: one creates, the others wait.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`warden-store:${schema}`]);
      await client.query(schemaSql(s));
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw fail(e);
  }
  const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

  const log: EventLog = {
    async append(stream: string, data: JsonValue): Promise<number> {
      checkName(stream, 'stream');
      const text = encodeValue(data);
      const rows = await q<{ seq: string }>(
        `WITH h AS (INSERT INTO ${s}.warden_heads AS h (stream, seq) VALUES ($1, 1) ON CONFLICT (stream) DO UPDATE SET seq = h.seq + 1 RETURNING seq)
         INSERT INTO ${s}.warden_log (stream, seq, data) SELECT $1, seq, $2 FROM h RETURNING seq`,
        [stream, text],
      );
      return num(rows[0]?.seq);
    },
    async read(stream: string, o?: LogReadOptions): Promise<LogEntry[]> {
      checkName(stream, 'stream');
      const { after, limit } = readArgs(o);
      const rows = await q<{ seq: string; data: string }>(`SELECT seq, data FROM ${s}.warden_log WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [stream, after, limit]);
      return rows.map((r) => Object.freeze({ seq: num(r.seq), data: decodeValue(r.data, stream) }));
    },
  };

  const counterPart: Counters = {
    async add(key: string, amount: number, o?: CounterAddOptions): Promise<CounterResult> {
      checkName(key, 'key');
      const a = counterArgs(amount, o);
      const rows = await q<{ ok: boolean; value: string }>(`SELECT ok, value FROM ${s}.warden_counter_add($1, $2, $3, $4, $5, $6, $7)`, [key, a.amount, a.floor, a.min, a.max, clock(), a.ttlMs]);
      const row = rows[0];
      if (!row) throw new WardenError('ERR_STORE_DATA', `The PostgreSQL store ${location} returned no counter row; its warden_counter_add function is not Warden's.`);
      return Object.freeze({ ok: row.ok === true, value: num(row.value) });
    },
    async get(key: string): Promise<number> {
      checkName(key, 'key');
      const rows = await q<{ value: string }>(`SELECT value FROM ${s}.warden_counters WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)`, [key, clock()]);
      return num(rows[0]?.value);
    },
    async delete(key: string): Promise<void> {
      checkName(key, 'key');
      await q(`DELETE FROM ${s}.warden_counters WHERE key = $1`, [key]);
    },
  };

  const expiry = (ttl: number | null): number | null => (ttl === null ? null : clock() + ttl);
  const kvPart: KeyValue = {
    async get(key: string): Promise<KvEntry | null> {
      checkName(key, 'key');
      const rows = await q<{ value: string; version: string; expires_at: string | null }>(`SELECT value, version, expires_at FROM ${s}.warden_kv WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)`, [key, clock()]);
      const r = rows[0];
      if (!r) return null;
      return Object.freeze({ value: decodeValue(r.value, key), version: num(r.version), expiresAt: r.expires_at === null ? null : num(r.expires_at) });
    },
    async set(key: string, value: JsonValue, o?: KvSetOptions): Promise<number> {
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const rows = await q<{ version: string }>(
        `INSERT INTO ${s}.warden_kv (key, value, version, expires_at) VALUES ($1, $2, nextval('${schema}.warden_kv_version'), $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at RETURNING version`,
        [key, encodeValue(value), expiry(ttl)],
      );
      return num(rows[0]?.version);
    },
    async compareAndSet(key: string, expected: number | null, value: JsonValue, o?: KvSetOptions): Promise<number | null> {
      checkName(key, 'key');
      const ttl = kvTtl(o);
      const text = encodeValue(value);
      if (expected !== null && !Number.isSafeInteger(expected)) throw new WardenError('ERR_STORE_DATA', 'The expected version must be a version number or null.');
      const rows =
        expected === null
          ? await q<{ version: string }>(
              `INSERT INTO ${s}.warden_kv AS kv (key, value, version, expires_at) VALUES ($1, $2, nextval('${schema}.warden_kv_version'), $3)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at
               WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= $4 RETURNING version`,
              [key, text, expiry(ttl), clock()],
            )
          : await q<{ version: string }>(
              `UPDATE ${s}.warden_kv SET value = $2, version = nextval('${schema}.warden_kv_version'), expires_at = $3
               WHERE key = $1 AND version = $4 AND (expires_at IS NULL OR expires_at > $5) RETURNING version`,
              [key, text, expiry(ttl), expected, clock()],
            );
      return rows[0] ? num(rows[0].version) : null;
    },
    async delete(key: string, expected?: number): Promise<boolean> {
      checkName(key, 'key');
      const rows = await q(`DELETE FROM ${s}.warden_kv WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2) AND ($3::bigint IS NULL OR version = $3) RETURNING 1 AS gone`, [key, clock(), expected ?? null]);
      return rows.length > 0;
    },
  };

  // --- broadcast: LISTEN/NOTIFY on one channel per schema, messages multiplexed as [channel, message]
  const pgChannel = `warden_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;
  const subscribers = new Map<string, Set<(m: string) => void>>();
  let listener: Client | null = null;
  let listening: Promise<Client> | null = null;
  const dispatch = (payload: string | undefined): void => {
    if (payload === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') return;
    for (const fn of [...(subscribers.get(parsed[0]) ?? [])]) fn(parsed[1]);
  };
  const listen = (): Promise<Client> => {
    listening ??= (async () => {
      const client = new pg.Client(config);
      client.on('notification', (n) => dispatch(n.payload));
      client.on('error', () => {
        // The connection broke: drop it; the next subscribe or the reconnect below listens again.
        listener = null;
        listening = null;
        client.end().catch(() => undefined);
        if (!closed && subscribers.size > 0) setTimeout(() => void listen().catch(() => undefined), 500).unref();
      });
      await client.connect();
      await client.query(`LISTEN ${pgChannel}`);
      listener = client;
      return client;
    })();
    return listening.catch((e: unknown) => {
      listening = null;
      throw fail(e);
    });
  };
  const bus: Broadcast = {
    async publish(channel: string, message: string): Promise<void> {
      checkName(channel, 'channel');
      checkMessage(message);
      const payload = JSON.stringify([channel, message]);
      if (Buffer.byteLength(payload) >= 8000) throw new WardenError('ERR_STORE_DATA', 'A broadcast channel and message together must stay under 8000 bytes (PostgreSQL NOTIFY).');
      await q('SELECT pg_notify($1, $2)', [pgChannel, payload]);
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
      await listen();
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(fn);
      return async () => {
        const set = subscribers.get(channel);
        set?.delete(fn);
        if (set?.size === 0) subscribers.delete(channel);
      };
    },
  };

  return Object.freeze({
    kind: 'postgres',
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
      const l = listener;
      listener = null;
      if (l) await l.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  });
}

function schemaSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.warden_heads (stream text PRIMARY KEY, seq bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.warden_log (stream text NOT NULL, seq bigint NOT NULL, data text NOT NULL, PRIMARY KEY (stream, seq));
CREATE TABLE IF NOT EXISTS ${s}.warden_counters (key text PRIMARY KEY, value bigint NOT NULL, expires_at bigint);
CREATE TABLE IF NOT EXISTS ${s}.warden_kv (key text PRIMARY KEY, value text NOT NULL, version bigint NOT NULL, expires_at bigint);
CREATE SEQUENCE IF NOT EXISTS ${s}.warden_kv_version;
CREATE OR REPLACE FUNCTION ${s}.warden_counter_add(k text, amount bigint, floor_ bigint, min_ bigint, max_ bigint, now_ bigint, ttl bigint)
RETURNS TABLE (ok boolean, value bigint) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE cur bigint; exp bigint; nxt numeric;
BEGIN
  INSERT INTO ${s}.warden_counters (key, value, expires_at) VALUES (k, 0, 0) ON CONFLICT (key) DO NOTHING;
  SELECT c.value, c.expires_at INTO cur, exp FROM ${s}.warden_counters c WHERE c.key = k FOR UPDATE;
  IF exp IS NOT NULL AND exp <= now_ THEN cur := 0; END IF;
  nxt := (CASE WHEN floor_ IS NOT NULL AND floor_ > cur THEN floor_ ELSE cur END)::numeric + amount;
  IF nxt > 9007199254740991 OR nxt < -9007199254740991 THEN
    RAISE EXCEPTION 'a counter would leave the safe integer range' USING ERRCODE = '22003';
  END IF;
  IF (max_ IS NOT NULL AND nxt > max_) OR (min_ IS NOT NULL AND nxt < min_) THEN
    RETURN QUERY SELECT false, cur;
    RETURN;
  END IF;
  UPDATE ${s}.warden_counters c SET value = nxt::bigint, expires_at = CASE WHEN ttl IS NULL THEN NULL ELSE now_ + ttl END WHERE c.key = k;
  RETURN QUERY SELECT true, nxt::bigint;
END
$fn$;
`;
}


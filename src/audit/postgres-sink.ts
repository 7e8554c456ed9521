/**
 * The fleet audit sink: the same records, hash chain and signed checkpoints as the file sink, kept
 * in PostgreSQL (postgres-schema.ts), one chain per stream, written by any number of processes.
 *
 * How appends never fork the chain: each batch is one transaction that first locks the stream's
 * head row (`INSERT .. ON CONFLICT DO UPDATE .. RETURNING`, which waits for any other writer's
 * transaction and then returns the head it committed), chains the batch onto that head, inserts the
 * rows and moves the head, then commits. The primary key (stream, seq) refuses a second record at
 * a seq even if a writer were wrong about the head.
 *
 * invariant: a write resolves only after the COMMIT of the transaction holding its record
 * returned; a write whose transaction failed (the server unreachable, the connection cut, a
 * timeout) rejects with `ERR_AUDIT_WRITE`, so the decision that needed it denies. The sink does
 * not stop on such a failure: the next batch reads the head again and the chain continues.
 */
import type { Pool, PoolClient } from 'pg';
import { WardenError } from '../errors.js';
import type { DecisionEvent, DecisionSink, OutcomeEvent } from '../decision.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { encodeBatch, type ChainState, type Signer } from './batch-encode.js';
import { keyIdOf, toPrivateKey } from './keys.js';
import { bigintOf, checkStreamName, ensureAuditSchema, HEADS_TABLE, quotedSchema, RECORDS_TABLE } from './postgres-schema.js';
import { loadPg, redactUrl } from '../lib/pg.js';
import { DEFAULT_MAX_RECORD_BYTES, GENESIS_HASH, parseRecordLine, prepareDecisionRecord, prepareOutcomeRecord, type PreparedRecord } from './record.js';
import { MAX_LINE_BYTES } from './io.js';
import type { AuditSinkCommonOptions, AuditWarning } from './sink-options.js';

/**
 * Options of {@link openPostgresAuditSink}. Unknown keys are refused (`ERR_AUDIT_OPTIONS`).
 *
 * @example
 * ```ts
 * const o: PostgresAuditSinkOptions = { url: 'postgres://warden@db:5432/warden', stream: 'main', hmacKey: process.env.WARDEN_AUDIT_HMAC_KEY! };
 * ```
 */
export interface PostgresAuditSinkOptions extends AuditSinkCommonOptions {
  /** A connection string: `postgres://user:password@host:5432/database`. */
  url: string;
  /** The chain's id, recorded in every record. Default `warden`. */
  stream?: string;
  /** Schema of the audit tables (created when absent). Default `public`. */
  schema?: string;
  /**
   * Secret for `argsDigest` (at least 16 bytes; a string is taken as UTF-8). Required: every
   * instance writing a stream must use the same one, so digests stay comparable across the fleet.
   */
  hmacKey: Uint8Array | string;
  /** Records per transaction. Default 512. */
  maxBatchRecords?: number;
  /** How long to wait for a connection or a statement (including the wait for another writer's lock) before the append fails. Default 5000 ms. */
  timeoutMs?: number;
}

const OPTION_KEYS = [
  'url',
  'stream',
  'schema',
  'hmacKey',
  'signingKey',
  'checkpointEvery',
  'checkpointIntervalMs',
  'redaction',
  'maxRecordBytes',
  'maxQueue',
  'maxBatchRecords',
  'timeoutMs',
  'onWarning',
  'now',
];

interface Pending {
  prepared: PreparedRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

const NOOP = (): void => undefined;

/**
 * The PostgreSQL sink. Create it with {@link openPostgresAuditSink}; hand it to the Governor as its sink.
 *
 * @example
 * ```ts
 * const sink = await openPostgresAuditSink({ url: 'postgres://127.0.0.1:5432/warden', stream: 'main', hmacKey: secret });
 * await sink.write(event); // resolves once the record is committed
 * await sink.close();
 * ```
 */
export class PostgresAuditSink implements DecisionSink {
  readonly stream: string;
  readonly schema: string;
  /** Id of the signing key, or null when checkpoints are off. */
  readonly keyId: string | null;
  /** The url without its password. */
  readonly location: string;

  private readonly pool: Pool;
  private readonly s: string;
  private readonly signer: Signer | null;
  private readonly buildOptions: { hmacKey: Uint8Array; redaction: PostgresAuditSinkOptions['redaction']; maxRecordBytes: number };
  private readonly provenClean = new Set<string>();
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly warn: (warning: AuditWarning) => void;
  private readonly now: () => number;
  private readonly timers: NodeJS.Timeout[] = [];
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private checkpointWanted = false;
  /** Records this sink committed since it last saw a checkpoint committed. */
  private wroteSinceCheckpoint = false;
  private closing = false;
  private closed: Promise<void> | null = null;
  /** The last checkpoint attempt's failure (reported by close()). */
  private checkpointFailure: WardenError | null = null;

  /** @internal Use {@link openPostgresAuditSink}. */
  constructor(pool: object, options: PostgresAuditSinkOptions, resolved: { stream: string; schema: string; hmacKey: Uint8Array; signer: Signer | null }) {
    // Typed loosely here so the public declarations do not depend on pg's types (an optional peer).
    this.pool = pool as Pool;
    this.stream = resolved.stream;
    this.schema = resolved.schema;
    this.s = quotedSchema(resolved.schema);
    this.signer = resolved.signer;
    this.keyId = resolved.signer?.keyId ?? null;
    this.location = redactUrl(options.url);
    this.buildOptions = { hmacKey: resolved.hmacKey, redaction: options.redaction, maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES };
    this.maxQueue = options.maxQueue ?? 10_000;
    this.maxBatch = options.maxBatchRecords ?? 512;
    this.warn = options.onWarning ?? NOOP;
    this.now = options.now ?? Date.now;
    const interval = options.checkpointIntervalMs ?? 60_000;
    if (this.signer !== null && interval > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.wroteSinceCheckpoint && !this.closing) {
            this.checkpointWanted = true;
            this.kick();
          }
        }, interval).unref(),
      );
    }
  }

  /**
   * Records one decision. Resolves once the transaction holding it committed; rejects when it did
   * not (and then it consumed no seq).
   *
   * @example
   * ```ts
   * await sink.write({ ts: new Date().toISOString(), agent: { id: 'coder' }, request, decision });
   * ```
   * @throws (rejects) WardenError `ERR_AUDIT_WRITE` (the database could not be reached or refused
   *   the transaction), `ERR_AUDIT_CLOSED`, `ERR_AUDIT_QUEUE_FULL`, `ERR_AUDIT_RECORD_TOO_LARGE`,
   *   or the redactor's `ERR_REDACTION_*`.
   */
  write(event: DecisionEvent): Promise<void> {
    return this.enqueue(() => prepareDecisionRecord(event, this.buildOptions, this.stream, this.provenClean));
  }

  /**
   * Records what happened when a governed call ran (an `outcome` record naming the call's id).
   *
   * @example
   * ```ts
   * await sink.writeOutcome({ ts: new Date().toISOString(), call: verdict.call, tool: 'send_email', agent: null, outcome: { status: 'ok', durationMs: 41 } });
   * ```
   * @throws (rejects) as {@link PostgresAuditSink.write} does.
   */
  writeOutcome(event: OutcomeEvent): Promise<void> {
    return this.enqueue(() => prepareOutcomeRecord(event, this.buildOptions, this.stream));
  }

  /**
   * Writes pending records, appends a checkpoint when this sink wrote records since the last one
   * (with a signing key), and closes the connections. Writes after `close()` reject with `ERR_AUDIT_CLOSED`.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void sink.close().finally(() => process.exit(0)));
   * ```
   * @throws (rejects) WardenError `ERR_AUDIT_WRITE` when the final checkpoint could not be written.
   */
  close(): Promise<void> {
    if (this.closed === null) this.closed = this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    let problem: WardenError | null = null;
    if (this.signer !== null && this.wroteSinceCheckpoint) this.checkpointWanted = true;
    this.kick();
    while (this.running !== null) await this.running;
    if (this.checkpointFailure !== null) problem = this.checkpointFailure;
    await this.pool.end().catch(NOOP);
    if (problem !== null) throw problem;
  }

  private enqueue(prepare: () => PreparedRecord): Promise<void> {
    let pending: Pending;
    try {
      if (this.closing) throw new WardenError('ERR_AUDIT_CLOSED', `The PostgreSQL audit sink for stream ${this.stream} is closed; open a new one with openPostgresAuditSink().`);
      if (this.queue.length >= this.maxQueue) {
        throw new WardenError('ERR_AUDIT_QUEUE_FULL', `${this.queue.length} audit records are waiting for ${this.location}; the database is not keeping up. Retry later, or raise maxQueue.`);
      }
      pending = { prepared: prepare(), resolve: NOOP, reject: NOOP };
    } catch (e) {
      return Promise.reject(e instanceof WardenError ? e : new WardenError('ERR_AUDIT_WRITE', `The record could not be prepared: ${e instanceof Error ? e.message : String(e)}.`, { cause: e }));
    }
    return new Promise<void>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
      this.queue.push(pending);
      this.kick();
    });
  }

  private kick(): void {
    if (this.running !== null) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      // A checkpoint close() asked for while the loop was finishing still runs (the flag is cleared before each attempt).
      if (this.queue.length > 0 || this.checkpointWanted) this.kick();
    });
  }

  private async loop(): Promise<void> {
    // Let every write() of the current tick join the first batch.
    await null;
    for (;;) {
      if (this.queue.length === 0 && !this.checkpointWanted) return;
      const items = this.queue.splice(0, this.maxBatch);
      const force = this.checkpointWanted && this.queue.length === 0;
      if (force) this.checkpointWanted = false;
      try {
        await this.appendBatch(items, force);
        if (force) this.checkpointFailure = null;
      } catch (e) {
        const err = e instanceof WardenError ? e : new WardenError('ERR_AUDIT_WRITE', String(e), { cause: e });
        for (const item of items) item.reject(err);
        if (items.length === 0) {
          this.checkpointFailure = err;
          this.warn({ code: 'checkpoint_failed', message: err.message });
        }
        continue;
      }
      for (const item of items) item.resolve();
    }
  }

  /** One transaction: lock the head, chain the batch onto it, insert, move the head, commit. */
  private async appendBatch(items: Pending[], force: boolean): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.writeError(e, items.length);
    }
    let failed: unknown = null;
    try {
      // One round trip for BEGIN and the head lock (a simple-protocol query, so without parameters).
      // invariant: stream passed checkStreamName ([A-Za-z0-9._-] only), so it is a safe SQL literal.
      const results = (await client.query(
        `BEGIN; INSERT INTO ${this.s}.${HEADS_TABLE} AS h (stream, seq, hash, uncovered, head_is_checkpoint) VALUES ('${this.stream}', 0, '${GENESIS_HASH}', 0, false)
         ON CONFLICT (stream) DO UPDATE SET stream = h.stream
         RETURNING seq, hash, uncovered, head_is_checkpoint`,
      )) as unknown as Array<{ rows: Array<{ seq: string; hash: string; uncovered: string; head_is_checkpoint: boolean }> }>;
      const row = results[1]?.rows[0];
      if (row === undefined) throw new WardenError('ERR_AUDIT_WRITE', `The head of stream ${this.stream} could not be read.`);
      const head: ChainState = { seq: bigintOf(row.seq), hash: row.hash, uncovered: bigintOf(row.uncovered), headIsCheckpoint: row.head_is_checkpoint };
      const encoded = encodeBatch(items, head, { stream: this.stream, signer: this.signer, now: this.now, force, scratch: null });
      if (encoded.used === 0) {
        await client.query('ROLLBACK');
        return;
      }
      const seqs: string[] = [];
      const lines: Buffer[] = [];
      let start = 0;
      let seq = head.seq;
      for (let i = 0; i < encoded.used; i++) {
        if (encoded.buf[i] !== 0x0a) continue;
        // Copy: the batch buffer is scratch space.
        lines.push(Buffer.from(encoded.buf.subarray(start, i)));
        seqs.push(String(++seq));
        start = i + 1;
      }
      await client.query(
        `WITH ins AS (INSERT INTO ${this.s}.${RECORDS_TABLE} (stream, seq, line) SELECT $1, r.seq, r.line FROM unnest($2::bigint[], $3::bytea[]) AS r(seq, line))
         UPDATE ${this.s}.${HEADS_TABLE} SET seq = $4, hash = $5, uncovered = $6, head_is_checkpoint = $7 WHERE stream = $1`,
        [this.stream, seqs, lines, encoded.head.seq, encoded.head.hash, encoded.head.uncovered, encoded.head.headIsCheckpoint],
      );
      await client.query('COMMIT');
      if (encoded.head.headIsCheckpoint) this.wroteSinceCheckpoint = false;
      else if (items.length > 0) this.wroteSinceCheckpoint = true;
    } catch (e) {
      failed = e;
      await client.query('ROLLBACK').catch(NOOP);
      throw this.writeError(e, items.length);
    } finally {
      // A client whose transaction failed may be in any state: drop it rather than reuse it.
      client.release(failed === null ? undefined : true);
    }
  }

  private writeError(e: unknown, n: number): WardenError {
    if (e instanceof WardenError) return e;
    const what = n === 0 ? 'The checkpoint was' : n === 1 ? 'The record was' : `${n} records were`;
    return new WardenError(
      'ERR_AUDIT_WRITE',
      `Cannot append to audit stream ${this.stream} in ${this.location} (${e instanceof Error ? e.message : String(e)}). ${what} not recorded, so the decision is denied; check that the database is up.`,
      { cause: e },
    );
  }
}

/**
 * Opens a stream of the PostgreSQL audit log for appending (creating the tables when absent) and
 * checks that the stream's head row and its last record agree. Any number of sinks, in any number
 * of processes, may append to one stream at once.
 *
 * @example
 * ```ts
 * const sink = await openPostgresAuditSink({
 *   url: process.env.WARDEN_AUDIT_POSTGRES_URL!,
 *   stream: 'main',
 *   hmacKey: process.env.WARDEN_AUDIT_HMAC_KEY!,
 *   signingKey: await loadPrivateKey('/keys/warden-audit.key'),
 * });
 * const governor = new Governor({ policy, sink });
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_OPTIONS`, `ERR_MISSING_DEPENDENCY` (pg is not
 *   installed), `ERR_AUDIT_OPEN` (the database cannot be reached or the tables cannot be created),
 *   `ERR_AUDIT_CORRUPT` (the head row and the last record disagree), `ERR_AUDIT_KEY`.
 */
export async function openPostgresAuditSink(options: PostgresAuditSinkOptions): Promise<PostgresAuditSink> {
  const resolved = checkOptions(options);
  const pg = await loadPg('The PostgreSQL audit sink');
  const timeoutMs = options.timeoutMs ?? 5000;
  const pool: Pool = new pg.Pool({
    connectionString: options.url,
    max: 2,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  // An idle client's error (the server restarted, the connection was cut) must not crash the process.
  pool.on('error', NOOP);
  // A connection cut while a client is checked out emits 'error' on that client: without a listener it would crash the process. The
  // query in flight rejects on its own, so the listener only has to exist.
  pool.on('connect', (client) => client.on('error', NOOP));
  const location = redactUrl(options.url);
  try {
    await ensureAuditSchema(pool, quotedSchema(resolved.schema));
    await checkHeadAgrees(pool, quotedSchema(resolved.schema), resolved.stream, location);
  } catch (e) {
    await pool.end().catch(NOOP);
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot open audit stream ${resolved.stream} in ${location}: ${e instanceof Error ? e.message : String(e)}. Check that the server is up and the url is right.`, { cause: e });
  }
  return new PostgresAuditSink(pool, options, resolved);
}

function checkOptions(o: PostgresAuditSinkOptions): { stream: string; schema: string; hmacKey: Uint8Array; signer: Signer | null } {
  if (o === null || typeof o !== 'object') throw new WardenError('ERR_AUDIT_OPTIONS', 'openPostgresAuditSink takes an options object: { url, hmacKey, ... }.');
  rejectUnknownKeys(o, OPTION_KEYS, 'ERR_AUDIT_OPTIONS', 'PostgreSQL audit sink options');
  rejectUnknownKeys(o.redaction, ['entropy', 'extraKeys'], 'ERR_AUDIT_OPTIONS', 'audit sink option `redaction`');
  const bad = (what: string): never => {
    throw new WardenError('ERR_AUDIT_OPTIONS', `Invalid PostgreSQL audit sink option: ${what}.`);
  };
  if (typeof o.url !== 'string' || !/^postgres(ql)?:\/\//.test(o.url)) bad('`url` must be a postgres:// connection string');
  const stream = checkStreamName(o.stream ?? 'warden');
  const schema = o.schema ?? 'public';
  quotedSchema(schema);
  if (o.hmacKey === undefined) bad('`hmacKey` is required (at least 16 bytes, the same on every instance writing the stream)');
  const hmacKey = typeof o.hmacKey === 'string' ? Buffer.from(o.hmacKey, 'utf8') : o.hmacKey;
  if (!(hmacKey instanceof Uint8Array) || hmacKey.length < 16) bad('`hmacKey` must be at least 16 bytes');
  const intIn = (v: number | undefined, min: number, max: number, name: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) bad(`\`${name}\` must be an integer from ${min} to ${max}`);
  };
  intIn(o.checkpointEvery, 1, 1_000_000_000, 'checkpointEvery');
  intIn(o.checkpointIntervalMs, 0, 86_400_000, 'checkpointIntervalMs');
  intIn(o.maxRecordBytes, 4096, MAX_LINE_BYTES, 'maxRecordBytes');
  intIn(o.maxQueue, 1, 10_000_000, 'maxQueue');
  intIn(o.maxBatchRecords, 1, 100_000, 'maxBatchRecords');
  intIn(o.timeoutMs, 1, 600_000, 'timeoutMs');
  for (const fn of ['onWarning', 'now'] as const) {
    if (o[fn] !== undefined && typeof o[fn] !== 'function') bad(`\`${fn}\` must be a function`);
  }
  let signer: Signer | null = null;
  if (o.signingKey !== undefined) {
    const key = toPrivateKey(o.signingKey, 'signingKey');
    signer = { key, keyId: keyIdOf(key), every: o.checkpointEvery ?? 1000 };
  }
  return { stream, schema, hmacKey, signer };
}

/** The head row must name the last record (or both be absent): otherwise appending would build on a lie. */
async function checkHeadAgrees(pool: Pool, s: string, stream: string, location: string): Promise<void> {
  const { rows } = await pool.query<{ seq: string | null; hash: string | null; last_seq: string | null; last_line: Buffer | null }>(
    `SELECT h.seq, h.hash, r.seq AS last_seq, r.line AS last_line
       FROM (SELECT 1) AS one
       LEFT JOIN ${s}.${HEADS_TABLE} h ON h.stream = $1
       LEFT JOIN LATERAL (SELECT seq, line FROM ${s}.${RECORDS_TABLE} WHERE stream = $1 ORDER BY seq DESC LIMIT 1) r ON true`,
    [stream],
  );
  const row = rows[0];
  const headSeq = row?.seq === null || row?.seq === undefined ? 0 : bigintOf(row.seq);
  const lastSeq = row?.last_seq === null || row?.last_seq === undefined ? 0 : bigintOf(row.last_seq);
  const corrupt = (why: string): never => {
    throw new WardenError('ERR_AUDIT_CORRUPT', `Audit stream ${stream} in ${location} cannot be appended to: ${why}. Run \`warden audit verify --postgres <url> --stream ${stream}\` to find what changed.`);
  };
  if (headSeq !== lastSeq) corrupt(`its head says seq ${headSeq} but its last record is seq ${lastSeq}`);
  if (lastSeq === 0) return;
  const parsed = parseRecordLine(row?.last_line ?? Buffer.alloc(0));
  if (!parsed.ok) corrupt(`its last record does not verify (${parsed.message})`);
  else if (parsed.record.seq !== lastSeq || parsed.record.hash !== row?.hash || parsed.record.stream !== stream) {
    corrupt(`its last record (seq ${parsed.record.seq}, ${parsed.record.hash}) is not the head it records (seq ${headSeq}, ${String(row?.hash)})`);
  }
}

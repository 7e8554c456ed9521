/**
 * Reading a stream of the PostgreSQL audit log: its rows in seq order, as lines the verifier and
 * the exporters read like a file's, all from one snapshot (a read-only repeatable-read
 * transaction), so records appended while reading neither appear half-way nor shift the pages.
 */
import type { Pool, PoolClient } from 'pg';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { FileLine } from './io.js';
import { MAX_LINE_BYTES } from './io.js';
import { parseRecordLine, type AuditRecord } from './record.js';
import { bigintOf, checkStreamName, HEADS_TABLE, quotedSchema, RECORDS_TABLE } from './postgres-schema.js';
import { loadPg, redactUrl } from '../lib/pg.js';

/**
 * Which stream to read, and where.
 *
 * @example
 * ```ts
 * const where: PostgresAuditLocation = { url: 'postgres://127.0.0.1:5432/warden', stream: 'main' };
 * ```
 */
export interface PostgresAuditLocation {
  /** A connection string: `postgres://user:password@host:5432/database`. */
  url: string;
  /** The stream id. Default `warden`. */
  stream?: string;
  /** Schema of the audit tables. Default `public`. */
  schema?: string;
  /** How long to wait for the connection and each page (default 30000 ms). */
  timeoutMs?: number;
}

/**
 * An open snapshot of one stream. Read its lines once with `lines()`, then `close()`.
 *
 * @example
 * ```ts
 * const reader = await openPostgresAuditReader({ url, stream: 'main' });
 * try { for await (const batch of reader.lines()) console.log(batch.length); } finally { await reader.close(); }
 * ```
 */
export interface PostgresAuditReader {
  /** What verification problems name as their `file`: `postgres:<schema>.warden_audit_records#<stream>`. */
  readonly name: string;
  readonly stream: string;
  /** The head row of the stream in the snapshot, or null when it has none. */
  readonly head: { seq: number; hash: string } | null;
  /** The rows in seq order, in pages; `lineNo` is the row's seq column. */
  lines(options?: { maxLineBytes?: number; pageRows?: number }): AsyncGenerator<FileLine[]>;
  close(): Promise<void>;
}

/**
 * Opens a read-only snapshot of one stream.
 *
 * @example
 * ```ts
 * const reader = await openPostgresAuditReader({ url: 'postgres://127.0.0.1:5432/test', stream: 'main' });
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_OPTIONS`, `ERR_MISSING_DEPENDENCY`, `ERR_AUDIT_NOT_FOUND`
 *   (the database cannot be reached, or it holds no audit tables).
 */
export async function openPostgresAuditReader(where: PostgresAuditLocation): Promise<PostgresAuditReader> {
  rejectUnknownKeys(where, ['url', 'stream', 'schema', 'timeoutMs'], 'ERR_AUDIT_OPTIONS', 'PostgreSQL audit location');
  if (typeof where?.url !== 'string' || !/^postgres(ql)?:\/\//.test(where.url)) throw new WardenError('ERR_AUDIT_OPTIONS', 'The audit database needs a postgres:// connection string.');
  const stream = checkStreamName(where.stream ?? 'warden');
  const schema = where.schema ?? 'public';
  const s = quotedSchema(schema);
  const timeoutMs = where.timeoutMs ?? 30_000;
  const location = redactUrl(where.url);
  const pg = await loadPg('Reading a PostgreSQL audit stream');
  const pool: Pool = new pg.Pool({ connectionString: where.url, max: 1, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  pool.on('error', () => undefined);
  // A connection cut while a client is checked out emits 'error' on that client: without a listener it would crash the process. The
  // query in flight rejects on its own, so the listener only has to exist.
  pool.on('connect', (client) => client.on('error', () => undefined));
  let client: PoolClient | null = null;
  let head: { seq: number; hash: string } | null = null;
  try {
    client = await pool.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename IN ($2, $3)`, [schema, RECORDS_TABLE, HEADS_TABLE]);
    if (Number(tables.rows[0]?.n) !== 2) {
      throw new WardenError('ERR_AUDIT_NOT_FOUND', `${location} holds no Warden audit tables in schema ${schema}. Check the url and --schema.`);
    }
    const h = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${s}.${HEADS_TABLE} WHERE stream = $1`, [stream]);
    const row = h.rows[0];
    if (row !== undefined) head = { seq: bigintOf(row.seq), hash: row.hash };
  } catch (e) {
    client?.release(true);
    await pool.end().catch(() => undefined);
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read audit stream ${stream} from ${location}: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
  }
  const c = client;
  const name = `postgres:${schema}.${RECORDS_TABLE}#${stream}`;
  return {
    name,
    stream,
    head,
    async *lines(options = {}): AsyncGenerator<FileLine[]> {
      const max = options.maxLineBytes ?? MAX_LINE_BYTES;
      const pageRows = options.pageRows ?? 1000;
      let after = 0;
      for (;;) {
        let rows: Array<{ seq: string; line: Buffer; len: number }>;
        try {
          // Over-long lines are not fetched: their length is enough to report them.
          rows = (
            await c.query<{ seq: string; line: Buffer; len: number }>(
              `SELECT seq, CASE WHEN octet_length(line) <= $4 THEN line END AS line, octet_length(line) AS len
                 FROM ${s}.${RECORDS_TABLE} WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
              [stream, after, pageRows, max],
            )
          ).rows;
        } catch (e) {
          throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read audit stream ${stream} from ${location}: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
        }
        if (rows.length === 0) return;
        const out: FileLine[] = [];
        for (const r of rows) {
          const seq = bigintOf(r.seq);
          const tooLong = r.line === null;
          out.push({ lineNo: seq, offset: 0, bytes: tooLong ? Buffer.alloc(0) : r.line, length: Number(r.len), terminated: true, tooLong });
          after = seq;
        }
        yield out;
        if (rows.length < pageRows) return;
      }
    },
    async close(): Promise<void> {
      await c.query('COMMIT').catch(() => undefined);
      c.release();
      await pool.end().catch(() => undefined);
    },
  };
}

/**
 * The records of one stream in seq order, each checked against its own hash (links between them
 * are `verifyPostgresAuditStream`'s job: verify before you trust an export).
 *
 * @example
 * ```ts
 * for await (const r of readPostgresAuditRecords({ url, stream: 'main' })) if (r.type === 'decision') console.log(r.seq, r.decision.effect);
 * ```
 * @throws (rejects) as {@link openPostgresAuditReader} does, and WardenError `ERR_AUDIT_MALFORMED`
 *   for a row that is not a record.
 */
export async function* readPostgresAuditRecords(where: PostgresAuditLocation): AsyncGenerator<AuditRecord> {
  const reader = await openPostgresAuditReader(where);
  try {
    for await (const batch of reader.lines()) {
      for (const line of batch) {
        const parsed = line.tooLong ? null : parseRecordLine(line.bytes);
        if (parsed === null || !parsed.ok) {
          throw new WardenError('ERR_AUDIT_MALFORMED', `Row seq ${line.lineNo} of ${reader.name} is not an intact record (${parsed === null ? `over ${MAX_LINE_BYTES} bytes` : parsed.message}). Run \`warden audit verify --postgres\` on the stream.`);
        }
        yield parsed.record;
      }
    }
  } finally {
    await reader.close();
  }
}

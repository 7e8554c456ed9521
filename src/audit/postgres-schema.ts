/**
 * Where the PostgreSQL audit sink keeps a stream: two tables in one schema, created when absent.
 *
 * - `warden_audit_records (stream, seq, line)`: one row per record, `line` the record's exact
 *   bytes (the same canonical JSON line the file sink writes, without its newline). The primary key
 *   (stream, seq) makes a second record at a seq impossible, whatever a writer believes.
 * - `warden_audit_heads (stream, seq, hash, uncovered, head_is_checkpoint)`: the chain head per
 *   stream. Every append locks this row, so appends to one stream from any number of processes
 *   take turns, and each chains onto the head the one before it committed.
 *
 * `pg` is an optional peer dependency, loaded only when a Postgres sink or reader is opened.
 */
import type { Pool } from 'pg';
import { WardenError } from '../errors.js';

/** The record table's name (inside the chosen schema). */
export const RECORDS_TABLE = 'warden_audit_records';
/** The head table's name (inside the chosen schema). */
export const HEADS_TABLE = 'warden_audit_heads';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The quoted schema name, after checking it.
 *
 * @example
 * ```ts
 * quotedSchema('warden'); // '"warden"'
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS` for a name other than lower-case letters, digits and `_`.
 */
export function quotedSchema(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new WardenError('ERR_AUDIT_OPTIONS', `The audit schema must be lower-case letters, digits and _ (at most 63, not starting with a digit); got ${JSON.stringify(schema)}.`);
  }
  return `"${schema}"`;
}

/**
 * Checks a stream id: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 128.
 *
 * @example
 * ```ts
 * checkStreamName('main'); // ok
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS`.
 */
export function checkStreamName(stream: unknown): string {
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream)) {
    throw new WardenError('ERR_AUDIT_OPTIONS', `The audit stream id must be letters, digits, ".", "_" or "-" (at most 128, starting with a letter or digit); got ${JSON.stringify(stream)}.`);
  }
  return stream;
}

/** The DDL, idempotent. */
function schemaSql(s: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.${RECORDS_TABLE} (
  stream text NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  line bytea NOT NULL,
  PRIMARY KEY (stream, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.${HEADS_TABLE} (
  stream text PRIMARY KEY,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash text NOT NULL,
  uncovered bigint NOT NULL,
  head_is_checkpoint boolean NOT NULL
);`;
}

/**
 * Creates the schema and tables when absent. Several processes may do it at once: one creates,
 * the others wait on an advisory lock and find them.
 *
 * @example
 * ```ts
 * await ensureAuditSchema(pool, '"public"');
 * ```
 * @throws whatever `pg` throws (the caller turns it into a WardenError).
 */
export async function ensureAuditSchema(pool: Pool, s: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`warden-audit-schema:${s}`]);
    await client.query(schemaSql(s));
    await client.query('COMMIT');
    client.release();
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw e;
  }
}

/**
 * A bigint column as a safe integer.
 *
 * @example
 * ```ts
 * bigintOf('41'); // 41
 * ```
 * @throws WardenError `ERR_AUDIT_CORRUPT` when it is not a safe non-negative integer.
 */
export function bigintOf(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,16}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new WardenError('ERR_AUDIT_CORRUPT', `The audit head table holds ${JSON.stringify(v)} where a seq belongs.`);
  return n;
}

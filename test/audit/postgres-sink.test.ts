/**
 * The PostgreSQL audit sink: the file sink's record format and chain, signed checkpoints, and a
 * verifier that recomputes every hash and catches an edited, deleted, reordered or forked row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { generateKeyPair } from '../../src/audit/keys.js';
import { openPostgresAuditSink, type PostgresAuditSinkOptions } from '../../src/audit/postgres-sink.js';
import { readPostgresAuditRecords } from '../../src/audit/postgres-read.js';
import { verifyPostgresAuditStream } from '../../src/audit/verify-postgres.js';
import { serviceUp } from '../store/live.js';
import { decisionEvent, tempDir } from './helpers.js';
import { dropSchemas, freshSchema, HMAC, PG_URL, sql } from './postgres-fixtures.js';

const up = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');

afterAll(async () => {
  if (up) await dropSchemas();
});

const FIXED_NOW = (): number => Date.UTC(2025, 5, 1);

describe('PostgreSQL audit sink options (fail closed before any connection)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no hmacKey', { url: PG_URL }],
    ['an hmacKey under 16 bytes', { url: PG_URL, hmacKey: 'short' }],
    ['an unknown option', { url: PG_URL, hmacKey: HMAC, fsync: 'always' }],
    ['a url that is not postgres://', { url: 'http://127.0.0.1:5432/test', hmacKey: HMAC }],
    ['a stream with a slash', { url: PG_URL, hmacKey: HMAC, stream: 'a/b' }],
    ['a schema with a quote', { url: PG_URL, hmacKey: HMAC, schema: 'x"; DROP TABLE y; --' }],
    ['a zero maxQueue', { url: PG_URL, hmacKey: HMAC, maxQueue: 0 }],
    ['an unknown redaction key', { url: PG_URL, hmacKey: HMAC, redaction: { entropyy: true } }],
  ];
  it.each(cases)('refuses %s with ERR_AUDIT_OPTIONS', async (_name, options) => {
    await expect(openPostgresAuditSink(options as unknown as PostgresAuditSinkOptions)).rejects.toMatchObject({ code: 'ERR_AUDIT_OPTIONS' });
  });

  it('fails to open (ERR_AUDIT_OPEN, password not shown) when nothing listens at the url', async () => {
    await expect(openPostgresAuditSink({ url: 'postgres://u:hunter2secret@127.0.0.1:1/test', hmacKey: HMAC, timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'ERR_AUDIT_OPEN',
      message: expect.not.stringContaining('hunter2secret'),
    });
  });
});

describe.skipIf(!up)('PostgreSQL audit sink', () => {
  it('stores byte-for-byte the lines the file sink writes for the same events', async () => {
    const { dir, cleanup } = tempDir('warden-pg-same-');
    try {
      const file = await openFileAuditSink({ path: join(dir, 'main.jsonl'), hmacKey: HMAC, fsync: 'never', now: FIXED_NOW });
      const schema = freshSchema();
      const pgSink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC, now: FIXED_NOW });
      for (let i = 0; i < 12; i++) {
        const event = decisionEvent(i, i === 3 ? { request: { tool: 'http', args: { headers: { Authorization: 'Bearer abcdefghijklmnop1234' } } } } : {});
        await Promise.all([file.write(event), pgSink.write(event)]);
      }
      await file.close();
      await pgSink.close();
      const fileLines = readFileSync(join(dir, 'main.jsonl'), 'utf8').trimEnd().split('\n');
      const rows = await sql<{ seq: string; line: Buffer }>(`SELECT seq, line FROM "${schema}".warden_audit_records WHERE stream = 'main' ORDER BY seq`);
      expect(rows.map((r) => r.line.toString('utf8'))).toEqual(fileLines);
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    } finally {
      cleanup();
    }
  });

  it('chains 300 concurrent writes and signs checkpoints that verify with the public key', async () => {
    const schema = freshSchema();
    const keys = generateKeyPair();
    const sink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC, signingKey: keys.privateKey, checkpointEvery: 50 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => sink.write(decisionEvent(i))));
    await sink.write(decisionEvent(300));
    await sink.close();
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' }, { publicKey: keys.publicKey });
    // 301 decisions, a checkpoint after every 50, and the closing one over the last record.
    expect(result).toMatchObject({ ok: true, decisions: 301, checkpoints: 7, signaturesChecked: 7, stream: 'main' });
    const other = generateKeyPair();
    const wrongKey = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' }, { publicKey: other.publicKey });
    expect(wrongKey.firstBad?.reason).toBe('bad_signature');
  });

  it('continues the chain when a stream is reopened (by this or another instance)', async () => {
    const schema = freshSchema();
    for (let round = 0; round < 3; round++) {
      const sink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC });
      await Promise.all(Array.from({ length: 5 }, (_, i) => sink.write(decisionEvent(round * 5 + i))));
      await sink.close();
    }
    expect(await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' })).toMatchObject({ ok: true, decisions: 15, head: { seq: 15 } });
  });

  it('keeps one chain per stream in the same tables', async () => {
    const schema = freshSchema();
    const a = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'a', hmacKey: HMAC });
    const b = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'b', hmacKey: HMAC });
    await Promise.all([...Array.from({ length: 7 }, (_, i) => a.write(decisionEvent(i))), ...Array.from({ length: 4 }, (_, i) => b.write(decisionEvent(i)))]);
    await a.close();
    await b.close();
    expect(await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'a' })).toMatchObject({ ok: true, decisions: 7, stream: 'a' });
    expect(await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'b' })).toMatchObject({ ok: true, decisions: 4, stream: 'b' });
  });

  it('rejects a write after close() with ERR_AUDIT_CLOSED', async () => {
    const sink = await openPostgresAuditSink({ url: PG_URL, schema: freshSchema(), hmacKey: HMAC });
    await sink.close();
    await expect(sink.write(decisionEvent(0))).rejects.toMatchObject({ code: 'ERR_AUDIT_CLOSED' });
  });

  it('rejects writes past maxQueue with ERR_AUDIT_QUEUE_FULL and records the rest', async () => {
    const schema = freshSchema();
    const sink = await openPostgresAuditSink({ url: PG_URL, schema, hmacKey: HMAC, maxQueue: 5 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sink.write(decisionEvent(i))));
    await sink.close();
    const full = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ERR_AUDIT_QUEUE_FULL');
    expect(full).toHaveLength(3);
    expect(await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'warden' })).toMatchObject({ ok: true, decisions: 5 });
  });

  it('reads back the records it wrote, redacted', async () => {
    const schema = freshSchema();
    const sink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC });
    await sink.write(decisionEvent(0, { request: { tool: 'login', args: { password: 'correct horse battery staple' } } }));
    await sink.close();
    const records = [];
    for await (const r of readPostgresAuditRecords({ url: PG_URL, schema, stream: 'main' })) records.push(r);
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records[0])).not.toContain('correct horse');
    expect(records[0]).toMatchObject({ type: 'decision', seq: 1, request: { tool: 'login' } });
  });
});

/** A stream of `n` decisions (checkpoints every 10 with a key), ready to be tampered with. */
async function stream(n: number, signed = false): Promise<{ schema: string; table: string; keys: ReturnType<typeof generateKeyPair> }> {
  const schema = freshSchema();
  const keys = generateKeyPair();
  const sink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC, ...(signed ? { signingKey: keys.privateKey, checkpointEvery: 10 } : {}) });
  for (let i = 0; i < n; i++) await sink.write(decisionEvent(i));
  await sink.close();
  return { schema, table: `"${schema}".warden_audit_records`, keys };
}

async function lineAt(table: string, seq: number): Promise<string> {
  const rows = await sql<{ line: Buffer }>(`SELECT line FROM ${table} WHERE stream = 'main' AND seq = $1`, [seq]);
  return (rows[0] as { line: Buffer }).line.toString('utf8');
}

async function setLine(table: string, seq: number, line: string): Promise<void> {
  await sql(`UPDATE ${table} SET line = $2 WHERE stream = 'main' AND seq = $1`, [seq, Buffer.from(line, 'utf8')]);
}

describe.skipIf(!up)('verifying a PostgreSQL stream', () => {
  it('passes an untouched stream and names its head', async () => {
    const { schema } = await stream(10);
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result).toMatchObject({ ok: true, records: 10, files: 1 });
    expect(result.head?.seq).toBe(10);
  });

  it('finds an edited row (a decision flipped from deny to allow)', async () => {
    const { schema, table } = await stream(10);
    const line = await lineAt(table, 2);
    expect(line).toContain('"effect":"deny"');
    await setLine(table, 2, line.replace('"effect":"deny"', '"effect":"allow"'));
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.firstBad).toMatchObject({ seq: 2, reason: 'edited', line: 2 });
    expect(result.firstBad?.file).toBe(`postgres:${schema}.warden_audit_records#main`);
  });

  it('finds an edited row whose hash was recomputed (the next row no longer links)', async () => {
    const { schema, table } = await stream(6);
    const record = JSON.parse(await lineAt(table, 3)) as Record<string, unknown>;
    const { computeRecordHash } = await import('../../src/audit/record.js');
    const { canonicalJson } = await import('../../src/lib/canonical-json.js');
    const forged = { ...record, decision: { ...(record.decision as object), reason: 'forged' } } as Record<string, unknown>;
    delete forged.hash;
    forged.hash = computeRecordHash(forged as never);
    await setLine(table, 3, canonicalJson(forged));
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.firstBad).toMatchObject({ seq: 3, reason: 'edited' });
  });

  it('finds a deleted row', async () => {
    const { schema, table } = await stream(10);
    await sql(`DELETE FROM ${table} WHERE stream = 'main' AND seq = 5`);
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.firstBad).toMatchObject({ seq: 5, reason: 'deleted' });
  });

  it('finds reordered rows (two rows swapped their contents)', async () => {
    const { schema, table } = await stream(10);
    const four = await lineAt(table, 4);
    const five = await lineAt(table, 5);
    await setLine(table, 4, five);
    await setLine(table, 5, four);
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.firstBad).toMatchObject({ seq: 4, reason: 'reordered' });
  });

  it('finds a fork: a row replaced by a sibling record chained onto the same predecessor', async () => {
    const { schema, table } = await stream(8);
    // A second writer that believed seq 5 was free writes its own seq 5 onto seq 4's hash.
    const fork = freshSchema();
    await sql(`CREATE SCHEMA "${fork}"; CREATE TABLE "${fork}".warden_audit_records (LIKE ${table} INCLUDING ALL); CREATE TABLE "${fork}".warden_audit_heads (LIKE "${schema}".warden_audit_heads INCLUDING ALL)`);
    await sql(`INSERT INTO "${fork}".warden_audit_records SELECT * FROM ${table} WHERE seq <= 4`);
    const four = JSON.parse(await lineAt(table, 4)) as { hash: string };
    await sql(`INSERT INTO "${fork}".warden_audit_heads VALUES ('main', 4, $1, 4, false)`, [four.hash]);
    const other = await openPostgresAuditSink({ url: PG_URL, schema: fork, stream: 'main', hmacKey: HMAC });
    await other.write(decisionEvent(99));
    await other.close();
    const sibling = await sql<{ line: Buffer }>(`SELECT line FROM "${fork}".warden_audit_records WHERE seq = 5`);
    const siblingLine = (sibling[0] as { line: Buffer }).line.toString('utf8');
    expect((JSON.parse(siblingLine) as { prev: string }).prev).toBe(four.hash);
    await setLine(table, 5, siblingLine);
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.firstBad).toMatchObject({ seq: 5, reason: 'edited' });
  });

  it('finds a forked branch that replaced the whole tail, against a head anchored earlier', async () => {
    const { schema, table } = await stream(6);
    const anchor = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    const head = anchor.head as { seq: number; hash: string };
    // Rewrite the tail from seq 4 as another branch, and move the head row along with it.
    await sql(`DELETE FROM ${table} WHERE seq >= 4`);
    const three = JSON.parse(await lineAt(table, 3)) as { hash: string };
    await sql(`UPDATE "${schema}".warden_audit_heads SET seq = 3, hash = $1, uncovered = 3 WHERE stream = 'main'`, [three.hash]);
    const sink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC });
    for (let i = 50; i < 53; i++) await sink.write(decisionEvent(i));
    await sink.close();
    expect((await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' })).ok).toBe(true);
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' }, { expectCheckpoint: head });
    expect(result.firstBad).toMatchObject({ seq: 6, reason: 'edited' });
  });

  it('finds rows removed from the end while the head row stayed (truncated)', async () => {
    const { schema, table } = await stream(10);
    await sql(`DELETE FROM ${table} WHERE seq > 7`);
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.firstBad).toMatchObject({ seq: 8, reason: 'truncated' });
  });

  it('finds a checkpoint whose signature was forged', async () => {
    const { schema, table, keys } = await stream(12, true);
    const line = await lineAt(table, 11);
    expect(line).toContain('"type":"checkpoint"');
    const rec = JSON.parse(line) as { checkpoint: { signature: string } };
    const sig = rec.checkpoint.signature;
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    await setLine(table, 11, line.replace(sig, flipped));
    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' }, { publicKey: keys.publicKey });
    expect(result.ok).toBe(false);
    expect(result.firstBad?.seq).toBe(11);
  });

  it('refuses to append to a stream whose head row and last record disagree (ERR_AUDIT_CORRUPT)', async () => {
    const { schema, table } = await stream(5);
    await sql(`DELETE FROM ${table} WHERE seq = 5`);
    await expect(openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC })).rejects.toMatchObject({ code: 'ERR_AUDIT_CORRUPT' });
  });

  it('reports a database without audit tables as ERR_AUDIT_NOT_FOUND', async () => {
    await expect(verifyPostgresAuditStream({ url: PG_URL, schema: 'no_such_schema_here', stream: 'main' })).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_FOUND' });
  });
});

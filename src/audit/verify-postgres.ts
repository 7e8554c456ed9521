/**
 * Verifies a stream of the PostgreSQL audit log with the same checks as a file: every hash
 * recomputed from the stored bytes, every link, seq gapless, one stream, every checkpoint
 * signature (with a public key). Rows are read in the order of their seq column, so an edited,
 * deleted, swapped (reordered) or forked row shows exactly as it would in a file. Then the stream's
 * head row must name the last record: rows removed from the end (with the head left) are `truncated`.
 */
import { openPostgresAuditReader, type PostgresAuditLocation } from './postgres-read.js';
import { verifyLineSources, type VerifyOptions, type VerifyResult } from './verify.js';

/**
 * Verifies one stream in PostgreSQL from one consistent snapshot.
 *
 * @example
 * ```ts
 * const result = await verifyPostgresAuditStream({ url: 'postgres://127.0.0.1:5432/warden', stream: 'main' }, { publicKey: await loadPublicKey('warden-audit.pub') });
 * if (!result.ok) console.error(`seq ${result.firstBad!.seq}: ${result.firstBad!.reason}`);
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_NOT_FOUND` (cannot read the tables), `ERR_AUDIT_OPTIONS`,
 *   `ERR_AUDIT_KEY`, `ERR_MISSING_DEPENDENCY`.
 */
export async function verifyPostgresAuditStream(where: PostgresAuditLocation, options: VerifyOptions = {}): Promise<VerifyResult> {
  const reader = await openPostgresAuditReader(where);
  try {
    const result = await verifyLineSources([{ name: reader.name, batches: () => reader.lines({ maxLineBytes: options.maxLineBytes }) }], options);
    if (!result.ok) return result;
    const records = result.head;
    const head = reader.head;
    const lastSeq = records?.seq ?? 0;
    const problem = (seq: number, reason: 'truncated' | 'edited' | 'inserted', message: string): VerifyResult => ({
      ...result,
      ok: false,
      firstBad: { seq, file: reader.name, line: seq, reason, message },
    });
    if (head === null) {
      return lastSeq === 0 ? result : problem(lastSeq, 'inserted', `the stream has records up to seq ${lastSeq} but no head row: the records were inserted by something other than a Warden sink`);
    }
    if (head.seq > lastSeq) {
      return problem(lastSeq + 1, 'truncated', `the head row says seq ${head.seq}, but the records end at seq ${lastSeq}: records were removed from the end`);
    }
    if (head.seq < lastSeq) {
      return problem(head.seq + 1, 'inserted', `records run to seq ${lastSeq} past the head row's seq ${head.seq}: they were inserted by something other than a Warden sink`);
    }
    if (records !== null && head.hash !== records.hash) {
      return problem(lastSeq, 'edited', `seq ${lastSeq} hashes to ${records.hash}, but the head row says ${head.hash}: the last record was rewritten`);
    }
    return result;
  } finally {
    await reader.close();
  }
}

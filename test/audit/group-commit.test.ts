/**
 * The file sink's `gather: 'turn'` (group commit, as warden serve opens it): the writes of one
 * event-loop turn share one append, each resolves only once its own record is appended, and a
 * failed append rejects every one of them.
 */
import { readFileSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { GENESIS_HASH, type AuditDecisionRecord } from '../../src/audit/record.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { decisionEvent, linesOf, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** Calls `write(i)` from `n` separate callbacks of one event-loop turn (as requests on n connections arrive). */
function inOneTurn<T>(n: number, write: (i: number) => T): Promise<T[]> {
  return new Promise((resolve) => {
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      setImmediate(() => {
        out.push(write(i));
        if (out.length === n) resolve(out);
      });
    }
  });
}

describe("file sink gather: 'turn' (group commit)", () => {
  it('appends the writes of one turn together: none resolves before the last was made, and all are chained in call order', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, fsync: 'never', gather: 'turn' });
    let resolved = 0;
    let resolvedBeforeLast = -1;
    const writes = await inOneTurn(20, (i) => {
      if (i === 19) resolvedBeforeLast = resolved;
      return sink.write(decisionEvent(i)).then(() => {
        resolved++;
      });
    });
    await Promise.all(writes);
    expect(resolvedBeforeLast).toBe(0);
    expect(resolved).toBe(20);
    await sink.close();
    const recs = linesOf(file).map((l) => JSON.parse(l) as AuditDecisionRecord);
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(recs.map((r) => r.request.args.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(recs[0]?.prev).toBe(GENESIS_HASH);
    recs.slice(1).forEach((r, i) => expect(r.prev).toBe(recs[i]?.hash));
    expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: 20 });
  });

  it("with 'tick' (the default) a write from an earlier callback of the turn is appended before the next one is made", async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'tick.jsonl'), fsync: 'never' });
    let resolved = 0;
    let resolvedBeforeLast = -1;
    const writes = await inOneTurn(5, (i) => {
      if (i === 4) resolvedBeforeLast = resolved;
      return sink.write(decisionEvent(i)).then(() => {
        resolved++;
      });
    });
    await Promise.all(writes);
    expect(resolvedBeforeLast).toBe(4);
    await sink.close();
  });

  it('a failed append rejects every write waiting on it with the reason, and consumes no seq', async () => {
    const file = join(dir, 'full.jsonl');
    symlinkSync('/dev/full', file);
    const sink = await openFileAuditSink({ path: file, fsync: 'never', gather: 'turn' });
    const writes = await inOneTurn(8, (i) => sink.write(decisionEvent(i)));
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill('rejected'));
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_WRITE', message: expect.stringContaining('disk full') as string });
    expect(sink.head).toEqual({ seq: 0, hash: GENESIS_HASH });
    await sink.close();
  });

  it('a log moved away rejects the whole gathered batch; once back, the next turn continues the chain without a gap', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, fsync: 'always', gather: 'turn' });
    await Promise.all(await inOneTurn(3, (i) => sink.write(decisionEvent(i))));
    renameSync(file, `${file}.away`);
    const failed = await Promise.allSettled(await inOneTurn(4, (i) => sink.write(decisionEvent(10 + i))));
    expect(failed.every((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === 'ERR_AUDIT_WRITE')).toBe(true);
    renameSync(`${file}.away`, file);
    await Promise.all(await inOneTurn(2, (i) => sink.write(decisionEvent(20 + i))));
    await sink.close();
    const recs = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditDecisionRecord);
    expect(recs.map((r) => r.request.args.n)).toEqual([0, 1, 2, 20, 21]);
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await verifyAuditLog([file])).ok).toBe(true);
  });

  it("refuses an unknown gather value", async () => {
    await expect(openFileAuditSink({ path: join(dir, 'x.jsonl'), gather: 'batch' as never })).rejects.toMatchObject({ code: 'ERR_AUDIT_OPTIONS', message: expect.stringContaining("'tick' or 'turn'") as string });
  });
});

/**
 * PostgreSQL unreachable mid-load (the connection cut by a proxy in front of the real server):
 * every decision that needed a record denies with a reason and its function never runs; when the
 * connection returns, appends resume on the same chain; every acknowledged record is there and the
 * stream verifies.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresAuditSink } from '../../src/audit/postgres-sink.js';
import { readPostgresAuditRecords } from '../../src/audit/postgres-read.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { verifyPostgresAuditStream } from '../../src/audit/verify-postgres.js';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { govern } from '../../src/enforce/govern.js';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { serviceUp } from '../store/live.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { decisionEvent } from './helpers.js';
import { dropSchemas, freshSchema, HMAC, PG_URL } from './postgres-fixtures.js';

const up = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');

afterAll(async () => {
  if (up) await dropSchemas();
});

const policy = compilePolicy([
  { name: 'p', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [{ name: 'writes', tools: ['write_file'], effect: 'allow' }] } },
]);

function viaProxy(proxy: TcpProxy): string {
  const u = new URL(PG_URL);
  u.host = `127.0.0.1:${proxy.port}`;
  return u.toString();
}

/** Resolves when `check()` holds, re-checked each time `notify()` is called. */
function conditions(): { notify: () => void; until: (check: () => boolean) => Promise<void> } {
  const waiting: Array<{ check: () => boolean; resolve: () => void }> = [];
  return {
    notify(): void {
      for (let i = waiting.length - 1; i >= 0; i--) {
        const w = waiting[i] as { check: () => boolean; resolve: () => void };
        if (w.check()) {
          waiting.splice(i, 1);
          w.resolve();
        }
      }
    },
    until(check: () => boolean): Promise<void> {
      if (check()) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ check, resolve }));
    },
  };
}

describe.skipIf(!up)('PostgreSQL cut off mid-load', () => {
  it('denies every call it cannot record, runs none of them, resumes the same chain, and loses no acknowledged record', { timeout: 60_000 }, async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(PG_URL).port || 5432));
    const schema = freshSchema();
    const sink = await openPostgresAuditSink({ url: viaProxy(proxy), schema, stream: 'main', hmacKey: HMAC, timeoutMs: 2000 });
    const governor = new Governor({ policy, sink, agent: { id: 'svc' } });
    const ran = new Set<string>();
    const write = govern(
      async (a: { path: string }) => {
        ran.add(a.path);
        return a.path;
      },
      { tool: 'write_file', governor },
    );
    const acknowledged = new Set<string>();
    const deniedReasons: string[] = [];
    const unexpected: unknown[] = [];
    let phase: 'before' | 'cut' | 'after' = 'before';
    const counts = { before: 0, cut: 0, after: 0, deniedInCut: 0 };
    const c = conditions();
    let stop = false;
    let n = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const path = `/tmp/${n++}`;
        const during = phase;
        try {
          await write({ path });
          acknowledged.add(path);
          counts[during] += 1;
        } catch (e) {
          if (e instanceof GovernanceDenied) {
            deniedReasons.push(e.message);
            if (during === 'cut' && phase === 'cut') counts.deniedInCut += 1;
          } else {
            unexpected.push(e);
          }
        }
        c.notify();
      }
    };
    const workers = Array.from({ length: 4 }, () => worker());
    try {
      await c.until(() => counts.before >= 40);
      proxy.cut();
      phase = 'cut';
      await c.until(() => counts.deniedInCut >= 20);
      // The sink refuses directly as well: ERR_AUDIT_WRITE, and the record takes no seq.
      await expect(sink.write(decisionEvent(0))).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE' });
      proxy.restore();
      phase = 'after';
      await c.until(() => counts.after >= 40);
    } finally {
      stop = true;
      await Promise.all(workers);
      await sink.close();
      await proxy.close();
    }
    expect(unexpected).toEqual([]);
    expect(deniedReasons.length).toBeGreaterThanOrEqual(20);
    for (const reason of deniedReasons) expect(reason).toMatch(/could not be recorded/);
    // Nothing ran without its decision being recorded first.
    for (const path of ran) expect(acknowledged.has(path)).toBe(true);

    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'main' });
    expect(result.ok).toBe(true);
    const records: AuditRecord[] = [];
    for await (const r of readPostgresAuditRecords({ url: PG_URL, schema, stream: 'main' })) records.push(r);
    const recorded = new Set(records.flatMap((r) => (r.type === 'decision' ? [String(r.request.args.path)] : [])));
    for (const path of acknowledged) expect(recorded.has(path)).toBe(true);
    // One chain across the outage: records from before and after it, seq gapless.
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
    expect(counts.before).toBeGreaterThanOrEqual(40);
    expect(counts.after).toBeGreaterThanOrEqual(40);
  });

  it('fails to open (ERR_AUDIT_OPEN) while the database is cut off', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(PG_URL).port || 5432));
    proxy.cut();
    try {
      await expect(openPostgresAuditSink({ url: viaProxy(proxy), schema: freshSchema(), hmacKey: HMAC, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ERR_AUDIT_OPEN' });
    } finally {
      await proxy.close();
    }
  });
});

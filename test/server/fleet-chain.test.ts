/**
 * Three `warden serve` processes on one PostgreSQL (audit chain, durable state) and one Redis
 * (counters, kill epochs), under concurrent load on all three at once: the audit stream they
 * share is one unforked, gapless chain that `warden audit verify` passes, it holds exactly the
 * decisions the instances acknowledged (every acknowledged call id once, nothing else), and each
 * record says what its answer said.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet, FleetAnswer } from '../../bench/fleet-harness.js';
import { readPostgresAuditRecords } from '../../src/audit/postgres-read.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { fleetOf, fleetServicesUp, PG_URL } from './fleet-fixture.js';

const up = await fleetServicesUp();
const SUBJECTS = ['bot-a', 'bot-b', 'bot-c'];

let fleet: Fleet;
beforeAll(async () => {
  if (up) fleet = await fleetOf({ subjects: SUBJECTS });
}, 60_000);
afterAll(async () => {
  if (up) await fleet?.drop();
});

describe.skipIf(!up)('three warden serve instances on one PostgreSQL stream', () => {
  it('record 3 x 8 concurrent callers x 30 decisions as one chain that verifies, holding exactly the acknowledged decisions', { timeout: 120_000 }, async () => {
    const answers: Array<{ tool: string; path: string; answer: FleetAnswer }> = [];
    await Promise.all(
      fleet.instances.flatMap((_, i) =>
        Array.from({ length: 8 }, async (_unused, w) => {
          for (let k = 0; k < 30; k++) {
            const path = `/tmp/i${i}-w${w}-${k}`;
            const tool = k % 3 === 0 ? 'delete_file' : 'write_file';
            answers.push({ tool, path, answer: await fleet.decide(i, SUBJECTS[(w + k) % 3] as string, { tool, args: { path } }) });
          }
        }),
      ),
    );
    expect(answers).toHaveLength(720);
    for (const { tool, answer } of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ allowed: tool === 'write_file', recorded: true });
    }

    const verified = await fleet.verifyAudit();
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, decisions: 720, stream: fleet.stream });

    const records: AuditRecord[] = [];
    for await (const r of readPostgresAuditRecords({ url: PG_URL, schema: fleet.schema, stream: fleet.stream })) records.push(r);
    // One chain: seq 1..n with no gap and no repeat, each record linked to the one before.
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
    for (let i = 1; i < records.length; i++) expect(records[i]?.prev).toBe(records[i - 1]?.hash);
    const decisions = new Map(records.flatMap((r) => (r.type === 'decision' ? [[r.call as string, r] as const] : [])));
    expect(decisions.size).toBe(720);
    for (const { tool, path, answer } of answers) {
      const record = decisions.get(answer.body.call as string);
      expect(record, `the record of ${path}`).toBeDefined();
      expect(record).toMatchObject({ request: { tool, args: { path } }, decision: { effect: answer.body.effect } });
    }
  });
});

/**
 * The fleet case: three service processes, each with its own Governor and PostgreSQL audit sink,
 * deciding concurrently into one stream. The database serializes their appends, so the chain
 * never forks and has no gap; every decision and outcome each process was told was recorded is
 * there; the signed checkpoints of all three verify with the shared key.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/audit/keys.js';
import { readPostgresAuditRecords } from '../../src/audit/postgres-read.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { verifyPostgresAuditStream } from '../../src/audit/verify-postgres.js';
import { serviceUp } from '../store/live.js';
import { buildForChild, tempDir } from './helpers.js';
import { dropSchemas, freshSchema, HMAC, PG_URL } from './postgres-fixtures.js';

const up = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');

// One service instance: a Governor recording into the shared stream; `calls` governed calls, 25 at
// a time; a third of them denied by policy. Prints what it was told: {allowed, denied}.
const CHILD = `
import { openPostgresAuditSink } from './src/audit/postgres-sink.js';
import { Governor } from './src/enforce/governor.js';
import { govern } from './src/enforce/govern.js';
import { compilePolicy } from './src/policy/compile.js';
const [url, schema, name, calls, keyPem, hmac] = process.argv.slice(2);
const policy = compilePolicy([{ name: 'p', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'p', rules: [
  { name: 'tmp-only', tools: ['write_file'], when: "!args.path.startsWith('/tmp/')", effect: 'deny' },
  { name: 'writes', tools: ['write_file'], effect: 'allow' },
] } }]);
const sink = await openPostgresAuditSink({ url, schema, stream: 'fleet', hmacKey: hmac, signingKey: keyPem, checkpointEvery: 40 });
const governor = new Governor({ policy, sink, agent: { id: name } });
const write = govern(async (a) => a.path, { tool: 'write_file', governor });
let allowed = 0, denied = 0, other = 0;
for (let i = 0; i < Number(calls); i += 25) {
  const results = await Promise.allSettled(Array.from({ length: Math.min(25, Number(calls) - i) }, (_, j) => write({ path: (i + j) % 3 === 0 ? '/etc/' + name + '-' + (i + j) : '/tmp/' + name + '-' + (i + j) })));
  for (const r of results) {
    if (r.status === 'fulfilled') allowed++;
    else if (r.reason && r.reason.name === 'GovernanceDenied' && /tmp-only/.test(r.reason.message)) denied++;
    else { other++; process.stderr.write(String(r.reason && r.reason.message) + '\\n'); }
  }
}
await sink.close();
process.stdout.write(JSON.stringify({ allowed, denied, other }) + '\\n');
`;

let build: { outDir: string; cleanup: () => void };
let tmp: { dir: string; cleanup: () => void };

beforeAll(() => {
  if (!up) return;
  build = buildForChild(['src/audit/postgres-sink.ts', 'src/enforce/governor.ts', 'src/enforce/govern.ts', 'src/policy/compile.ts']);
  writeFileSync(join(build.outDir, 'instance.mjs'), CHILD);
  tmp = tempDir('warden-pg-fleet-');
});
afterAll(async () => {
  if (!up) return;
  build.cleanup();
  tmp.cleanup();
  await dropSchemas();
});

function instance(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build.outDir, 'instance.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!up)('three instances on one PostgreSQL stream', () => {
  it('record 3 x 300 concurrent governed calls as one unforked, gapless chain whose checkpoints verify', { timeout: 120_000 }, async () => {
    const schema = freshSchema();
    const keys = generateKeyPair();
    const pem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const names = ['svc-a', 'svc-b', 'svc-c'];
    const runs = await Promise.all(names.map((n) => instance([PG_URL, schema, n, '300', pem, HMAC])));
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
    const told = runs.map((r) => JSON.parse(r.stdout) as { allowed: number; denied: number; other: number });
    for (const t of told) expect(t).toEqual({ allowed: 200, denied: 100, other: 0 });

    const result = await verifyPostgresAuditStream({ url: PG_URL, schema, stream: 'fleet' }, { publicKey: keys.publicKey });
    // 900 decisions and an outcome for each of the 600 calls that ran; checkpoints from all three.
    expect(result).toMatchObject({ ok: true, decisions: 900, outcomes: 600, stream: 'fleet' });
    expect(result.signaturesChecked).toBeGreaterThanOrEqual(3);
    expect(result.signaturesChecked).toBe(result.checkpoints);

    const records: AuditRecord[] = [];
    for await (const r of readPostgresAuditRecords({ url: PG_URL, schema, stream: 'fleet' })) records.push(r);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
    for (let i = 1; i < records.length; i++) expect(records[i]?.prev).toBe(records[i - 1]?.hash);
    for (const name of names) {
      const mine = records.filter((r) => r.type === 'decision' && r.agent?.id === name);
      expect(mine).toHaveLength(300);
      expect(mine.filter((r) => r.type === 'decision' && r.decision.effect === 'deny')).toHaveLength(100);
    }
    // The instances interleaved: the stream is not three runs one after another.
    const switches = records.filter((r, i) => i > 0 && r.type === 'decision' && records[i - 1]?.type === 'decision' && (records[i - 1] as { agent: { id: string } }).agent.id !== r.agent?.id).length;
    expect(switches).toBeGreaterThan(2);
  });
});

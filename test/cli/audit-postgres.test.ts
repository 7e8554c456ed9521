/**
 * `warden audit verify --postgres` and `warden audit export --format opa-decision-log`, run as a
 * user runs them (a child process of a program registering the audit command as main.ts does).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { generateKeyPair } from '../../src/audit/keys.js';
import { openPostgresAuditSink } from '../../src/audit/postgres-sink.js';
import type { VerifyResult } from '../../src/audit/verify.js';
import { buildForChild, decisionEvent, tempDir } from '../audit/helpers.js';
import { dropSchemas, freshSchema, HMAC, PG_URL, sql } from '../audit/postgres-fixtures.js';
import { serviceUp } from '../store/live.js';

const up = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');

const HARNESS = `
import { Command } from 'commander';
import { registerAuditCommand } from './src/cli/audit.js';
const program = new Command('warden').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
registerAuditCommand(program);
await program.parseAsync(process.argv);
`;

let build: { outDir: string; cleanup: () => void };
let tmp: { dir: string; cleanup: () => void };
let log: string;
let pub: string;
let schema: string;

function warden(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build.outDir, 'warden.mjs'), ...args], { cwd: tmp.dir, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  build = buildForChild(['src/cli/audit.ts']);
  writeFileSync(join(build.outDir, 'warden.mjs'), HARNESS);
  tmp = tempDir('warden-cli-pg-');
  const keys = generateKeyPair();
  pub = join(tmp.dir, 'warden-audit.pub');
  writeFileSync(pub, keys.publicKey.export({ format: 'pem', type: 'spki' }));
  log = join(tmp.dir, 'main.jsonl');
  const file = await openFileAuditSink({ path: log, fsync: 'never', hmacKey: HMAC });
  for (let i = 0; i < 4; i++) await file.write(decisionEvent(i, { call: `call-${i}` }));
  await file.close();
  if (!up) return;
  schema = freshSchema();
  const sink = await openPostgresAuditSink({ url: PG_URL, schema, stream: 'main', hmacKey: HMAC, signingKey: keys.privateKey, checkpointEvery: 3 });
  for (let i = 0; i < 7; i++) await sink.write(decisionEvent(i));
  await sink.close();
}, 60_000);

afterAll(async () => {
  build.cleanup();
  tmp.cleanup();
  if (up) await dropSchemas();
});

describe('warden audit export --format opa-decision-log (files)', () => {
  it('prints one OPA event per decision, as JSONL', async () => {
    const run = await warden(['audit', 'export', '--format', 'opa-decision-log', '--label', 'id=node-1', log]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const events = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { decision_id: string; labels: Record<string, string>; path: string });
    expect(events.map((e) => e.decision_id)).toEqual(['call-0', 'call-1', 'call-2', 'call-3']);
    expect(events[0]?.labels).toEqual({ app: 'agent-warden', stream: 'main', id: 'node-1' });
  });

  it('prints one JSON array with --array', async () => {
    const run = await warden(['audit', 'export', '--format', 'opa-decision-log', '--array', log]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(4);
  });

  const usage: Array<[string, string[]]> = [
    ['an unknown format', ['audit', 'export', '--format', 'splunk', log]],
    ['a label without =', ['audit', 'export', '--format', 'opa-decision-log', '--label', 'oops', log]],
    ['neither files nor --postgres', ['audit', 'export', '--format', 'opa-decision-log']],
    ['both files and --postgres', ['audit', 'export', '--format', 'opa-decision-log', '--postgres', PG_URL, log]],
    ['--stream without --postgres', ['audit', 'verify', '--stream', 'main', log]],
  ];
  it.each(usage)('exits 2 for %s', async (_n, args) => {
    const run = await warden(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });
});

describe.skipIf(!up)('warden audit verify|export --postgres', () => {
  it('verifies an intact stream with its signatures (exit 0)', async () => {
    const run = await warden(['audit', 'verify', '--postgres', PG_URL, '--schema', schema, '--stream', 'main', '--pubkey', pub, '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const result = JSON.parse(run.stdout) as VerifyResult;
    expect(result).toMatchObject({ ok: true, decisions: 7, checkpoints: 3, signaturesChecked: 3 });
  });

  it('exports the stream as OPA events', async () => {
    const run = await warden(['audit', 'export', '--format', 'opa-decision-log', '--postgres', PG_URL, '--schema', schema, '--stream', 'main']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(7);
  });

  it('reports an edited row and exits 1', async () => {
    await sql(`UPDATE "${schema}".warden_audit_records SET line = convert_to(replace(convert_from(line, 'UTF8'), '"effect":"deny"', '"effect":"allow"'), 'UTF8') WHERE stream = 'main' AND seq = 2`);
    const run = await warden(['audit', 'verify', '--postgres', PG_URL, '--schema', schema, '--stream', 'main']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('BROKEN at seq 2: edited');
    expect(run.stdout).toContain(`postgres:${schema}.warden_audit_records#main:2`);
  });

  it('exits 2 when the database holds no audit tables', async () => {
    const run = await warden(['audit', 'verify', '--postgres', PG_URL, '--schema', 'nothing_here', '--stream', 'main']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds no Warden audit tables');
  });
});

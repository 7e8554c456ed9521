/**
 * PostgreSQL audit sink bench, side by side with the file sink: appends per second and the p99 of
 * one awaited write, for one writer process and for three writer processes appending to one
 * stream at once (the fleet case; the database serializes them). The file sink cannot share a
 * live file between processes (its lock is held from open to close), so its three-writer row is
 * the same load from one process. Each row commits durably: fsync 'always' for files, PostgreSQL's
 * default synchronous_commit for the database. Prints `uptime` before and after.
 *
 * Run: `npx tsc -p tsconfig.bench.json && node dist-bench/bench/audit-postgres.js`
 *   (WARDEN_BENCH_PG overrides the database url; default postgres://postgres@127.0.0.1:5432/test)
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openFileAuditSink } from '../src/audit/file-sink.js';
import { openPostgresAuditSink } from '../src/audit/postgres-sink.js';
import { verifyPostgresAuditStream } from '../src/audit/verify-postgres.js';
import type { DecisionEvent, DecisionSink } from '../src/decision.js';
import { printTable, type Timing } from './stats.js';

const PG = process.env.WARDEN_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const HMAC = 'bench-secret-0123456789';

function event(i: number, writer: string): DecisionEvent {
  return {
    ts: new Date(1_735_689_600_000 + i).toISOString(),
    agent: { id: writer, roles: ['coder'] },
    request: { tool: i % 3 === 0 ? 'write_file' : 'read_file', args: { path: `/workspace/src/module-${i % 100}/file-${i}.ts`, encoding: 'utf8' }, context: { environment: 'prod' } },
    decision: { effect: 'allow', allowed: true, rule: 'allow-reads', policy: 'production', reason: 'reads are allowed', approvers: [], errors: [], policyDigest: `sha256:${'5e'.repeat(32)}` },
  };
}

interface Run {
  latenciesMs: number[];
  elapsedMs: number;
}

/** Appends `total` records keeping `concurrency` writes in flight. */
async function load(sink: DecisionSink, writer: string, total: number, concurrency: number): Promise<Run> {
  const latenciesMs: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await sink.write(event(i, writer));
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latenciesMs, elapsedMs: performance.now() - start };
}

function timing(name: string, latencies: number[], totalRecords: number, wallMs: number): Timing {
  const sorted = Float64Array.from(latencies).sort();
  return {
    name,
    samples: totalRecords,
    p50us: (sorted[Math.floor(sorted.length * 0.5)] ?? 0) * 1000,
    p99us: (sorted[Math.floor(sorted.length * 0.99)] ?? 0) * 1000,
    opsPerSec: totalRecords / (wallMs / 1000),
  };
}

/** Child mode: open a sink, say "ready", wait for "go", append, print the latencies. */
async function child(schema: string, writer: string, total: number, concurrency: number): Promise<void> {
  const sink = await openPostgresAuditSink({ url: PG, schema, stream: 'bench', hmacKey: HMAC, maxQueue: concurrency * 2 });
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  const r = await load(sink, writer, total, concurrency);
  await sink.close();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

/** Runs `writers` child processes against one stream, started together; returns one Timing. */
async function processes(name: string, schema: string, writers: number, perWriter: number, concurrency: number): Promise<Timing> {
  const self = fileURLToPath(import.meta.url);
  const kids = Array.from({ length: writers }, (_, w) => {
    const p = spawn(process.execPath, [self, 'child', schema, `w${w}`, String(perWriter), String(concurrency)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out = createInterface({ input: p.stdout });
    const it = out[Symbol.asyncIterator]();
    return { p, next: async (): Promise<string> => String((await it.next()).value) };
  });
  for (const k of kids) if ((await k.next()) !== 'ready') throw new Error('bench child did not start');
  const t0 = performance.now();
  for (const k of kids) k.p.stdin.write('go\n');
  const results = await Promise.all(kids.map(async (k) => JSON.parse(await k.next()) as Run));
  const wall = performance.now() - t0;
  for (const k of kids) k.p.stdin.end();
  return timing(name, results.flatMap((r) => r.latenciesMs), writers * perWriter, wall);
}

async function fileRun(name: string, dir: string, total: number, concurrency: number): Promise<Timing> {
  const sink = await openFileAuditSink({ path: join(dir, `f${randomBytes(4).toString("hex")}.jsonl`), fsync: 'always', hmacKey: HMAC, maxQueue: concurrency * 2 });
  const r = await load(sink, 'w0', total, concurrency);
  await sink.close();
  return timing(name, r.latenciesMs, total, r.elapsedMs);
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return '(uptime unavailable)';
  }
}

/** Runs the bench and prints its table. */
export async function run(): Promise<void> {
  const schema = `warden_bench_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-pg-bench-'));
  const per = 5_000;
  const inflight = 64;
  console.log(`load before: ${uptime()}`);
  try {
    const rows: Timing[] = [];
    rows.push(await fileRun(`file sink, 1 writer, 1 in flight`, dir, 1_000, 1));
    rows.push(await processes(`postgres sink, 1 writer, 1 in flight`, `${schema}_a`, 1, 1_000, 1));
    rows.push(await fileRun(`file sink, 1 writer, ${inflight} in flight`, dir, per, inflight));
    rows.push(await processes(`postgres sink, 1 writer process, ${inflight} in flight`, `${schema}_b`, 1, per, inflight));
    rows.push(await fileRun(`file sink, 3x${inflight} in flight from one process (a file has one writer)`, dir, 3 * per, 3 * inflight));
    rows.push(await processes(`postgres sink, 3 writer processes, ${inflight} in flight each`, `${schema}_c`, 3, per, inflight));
    printTable('audit appends, durable (latency of one awaited write; ops/s over the wall time of all writers)', rows);
    const verified = await verifyPostgresAuditStream({ url: PG, schema: `${schema}_c`, stream: 'bench' });
    console.log(`3-writer stream verify: ok=${verified.ok} records=${verified.records}`);
  } finally {
    console.log(`load after: ${uptime()}`);
    rmSync(dir, { recursive: true, force: true });
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    for (const s of ['a', 'b', 'c']) await c.query(`DROP SCHEMA IF EXISTS "${schema}_${s}" CASCADE`);
    await c.end();
  }
}

if (process.argv[2] === 'child') {
  const [, , , schema, writer, total, concurrency] = process.argv;
  await child(String(schema), String(writer), Number(total), Number(concurrency));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await run();
}

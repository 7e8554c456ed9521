/**
 * Audit log bench: appends per second under each fsync policy (many concurrent writers, batched),
 * the synchronous cost a governed call pays per record (redaction + serialization, no fsync wait),
 * and verify throughput over a ~200k-record log.
 *
 * Run: `npx tsc -p tsconfig.bench.json && node -e "import('./dist-bench/bench/audit.js').then(m=>m.run())"`
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openFileAuditSink, type FsyncPolicy } from '../src/audit/file-sink.js';
import { generateKeyPair } from '../src/audit/keys.js';
import { verifyAuditLog } from '../src/audit/verify.js';
import type { DecisionEvent } from '../src/decision.js';
import { measure, printTable, type Timing } from './stats.js';

function event(i: number): DecisionEvent {
  return {
    ts: new Date(1_735_689_600_000 + i).toISOString(),
    agent: { id: `agent-${i % 7}`, roles: ['coder'] },
    request: {
      tool: i % 3 === 0 ? 'write_file' : 'read_file',
      args: { path: `/workspace/src/module-${i % 100}/file-${i}.ts`, encoding: 'utf8', limit: 4096 },
      context: { environment: 'prod', session: `s-${i % 11}` },
    },
    decision: {
      effect: i % 5 === 0 ? 'deny' : 'allow',
      allowed: i % 5 !== 0,
      rule: i % 5 === 0 ? 'no-prod-writes' : 'allow-reads',
      policy: 'production',
      reason: i % 5 === 0 ? 'Agents never write outside /tmp in production' : 'reads are allowed',
      approvers: [],
      errors: [],
      policyDigest: `sha256:${'5e'.repeat(32)}`,
    },
  };
}

/** Appends `total` records keeping `concurrency` writes in flight; returns per-write latencies and throughput. */
async function appendRun(name: string, dir: string, fsync: FsyncPolicy, total: number, concurrency: number): Promise<Timing> {
  const sink = await openFileAuditSink({ path: join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.jsonl`), fsync, maxQueue: concurrency * 2, hmacKey: 'bench-secret-0123456789' });
  const latencies = new Float64Array(total);
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await sink.write(event(i));
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - start;
  await sink.close();
  latencies.sort();
  return {
    name,
    samples: total,
    p50us: (latencies[Math.floor(total * 0.5)] ?? 0) * 1000,
    p99us: (latencies[Math.floor(total * 0.99)] ?? 0) * 1000,
    opsPerSec: total / (elapsed / 1000),
  };
}

/** Runs the audit benches and prints their tables. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-bench-'));
  try {
    const appends: Timing[] = [];
    appends.push(await appendRun("fsync 'always', 1 writer", dir, 'always', 2_000, 1));
    appends.push(await appendRun("fsync 'always', 1000 writers", dir, 'always', 100_000, 1000));
    appends.push(await appendRun('fsync { everyMs: 50 }, 1000 writers', dir, { everyMs: 50 }, 100_000, 1000));
    appends.push(await appendRun("fsync 'never', 1000 writers", dir, 'never', 100_000, 1000));
    printTable('audit appends (latency of one awaited write; ops/s over the run)', appends);

    // What a governed call pays before its write is queued: redaction, HMAC, canonical JSON.
    const sink = await openFileAuditSink({ path: join(dir, 'overhead.jsonl'), fsync: 'never', maxQueue: 10_000_000, hmacKey: 'bench-secret-0123456789' });
    let i = 0;
    const overhead = measure('sink.write() synchronous part (no fsync wait)', () => void sink.write(event(i++)), { samples: 20_000, loopMs: 300 });
    await sink.close();
    printTable('per-record cost on the governed call', [overhead]);

    // Verify throughput over a ~200k-record log with signed checkpoints.
    const keys = generateKeyPair();
    const logPath = join(dir, 'verify.jsonl');
    const writer = await openFileAuditSink({ path: logPath, fsync: 'never', maxQueue: 300_000, signingKey: keys.privateKey, checkpointEvery: 1000, hmacKey: 'bench-secret-0123456789' });
    const n = 200_000;
    for (let k = 0; k < n; k += 10_000) await Promise.all(Array.from({ length: 10_000 }, (_, j) => writer.write(event(k + j))));
    await writer.close();
    const size = statSync(logPath).size;
    const rows: Timing[] = [];
    for (const withKey of [false, true]) {
      const t0 = performance.now();
      const result = await verifyAuditLog([logPath], withKey ? { publicKey: keys.publicKey } : {});
      const ms = performance.now() - t0;
      if (!result.ok) throw new Error(`bench log did not verify: ${JSON.stringify(result.firstBad)}`);
      rows.push({
        name: `verify ${result.records} records (${(size / 1e6).toFixed(0)} MB)${withKey ? ', signatures checked' : ''}`,
        samples: result.records,
        p50us: (ms * 1000) / result.records,
        p99us: (ms * 1000) / result.records,
        opsPerSec: result.records / (ms / 1000),
      });
    }
    printTable('audit verify (µs columns: mean per record)', rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

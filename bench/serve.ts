/**
 * `warden serve` over loopback HTTP, side by side with deciding in process: decisions per second
 * and p99 latency for single decisions (one at a time, and 32 in flight) and for the batch endpoint,
 * plus the same decide path on hono for the framework choice (docs/server.md). The service runs in
 * a worker thread (its own core); the client is this thread, with keep-alive connections.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openFileAuditSink } from '../src/audit/file-sink.js';
import { Governor } from '../src/enforce/governor.js';
import { loadPolicyFiles } from '../src/enforce/load-files.js';
import { measureAsync, printTable, type Timing } from './stats.js';

const TOKEN = 'bench-token-0123456789abcdef';
const POLICY = `apiVersion: warden/v1
kind: Policy
name: bench
rules:
  - name: no-etc
    tools: [write_file]
    when: "args.path.startsWith('/etc/')"
    effect: deny
  - name: writes
    tools: [write_file]
    effect: allow
`;
const BODY = JSON.stringify({ tool: 'write_file', args: { path: '/tmp/report.txt', text: 'quarterly numbers', mode: 'overwrite' } });

function post(agent: Agent, url: URL, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, method: 'POST', path, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `total` requests with `inFlight` at a time; decisions/s counts `perRequest` decisions per request. */
async function concurrent(name: string, inFlight: number, total: number, perRequest: number, once: () => Promise<unknown>): Promise<Timing> {
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) {
        const t0 = performance.now();
        await once();
        times.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  return { name, samples: total, p50us: (times[Math.floor(times.length * 0.5)] ?? 0) * 1000, p99us: (times[Math.floor(times.length * 0.99)] ?? 0) * 1000, opsPerSec: (total * perRequest) / seconds };
}

async function startWorker(kind: 'node' | 'hono', policy: string, audit: string): Promise<{ url: URL; worker: Worker }> {
  const worker = new Worker(new URL('./serve-worker.js', import.meta.url), { workerData: { kind, policy, audit, token: TOKEN } });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { url: new URL(url), worker };
}

/** Runs the service bench. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-serve-'));
  try {
    const policyPath = join(dir, 'policy.yaml');
    writeFileSync(policyPath, POLICY);
    const rows: Timing[] = [];

    const sink = await openFileAuditSink({ path: join(dir, 'inproc'), fsync: 'never' });
    const governor = new Governor({ policy: await loadPolicyFiles([policyPath]), agent: { id: 'bench' }, sink });
    const parsed = JSON.parse(BODY) as { tool: string; args: Record<string, unknown> };
    rows.push(await measureAsync('in-process Governor.check (file sink)', () => governor.check(parsed), { samples: 10_000 }));
    rows.push(await concurrent('in-process, 32 in flight', 32, 20_000, 1, () => governor.check(parsed)));
    await sink.close();

    for (const kind of ['node', 'hono'] as const) {
      const { url, worker } = await startWorker(kind, policyPath, join(dir, `audit-${kind}`));
      const agent = new Agent({ keepAlive: true, maxSockets: 64 });
      try {
        const label = kind === 'node' ? 'warden serve (node:http)' : 'same decide path on hono';
        rows.push(await measureAsync(`${label}: POST /v1/decide, 1 in flight`, () => post(agent, url, '/v1/decide', BODY), { samples: 5_000 }));
        rows.push(await concurrent(`${label}: POST /v1/decide, 32 in flight`, 32, 20_000, 1, () => post(agent, url, '/v1/decide', BODY)));
        if (kind === 'node') {
          const batch = JSON.stringify({ requests: Array.from({ length: 100 }, () => JSON.parse(BODY) as unknown) });
          rows.push(await concurrent(`${label}: POST /v1/decide/batch (100 per request, 4 in flight)`, 4, 400, 100, () => post(agent, url, '/v1/decide/batch', batch)));
        }
      } finally {
        agent.destroy();
        await worker.terminate();
      }
    }
    printTable('warden serve: loopback HTTP decisions (decisions/s; p50/p99 per request)', rows);
    console.log(`Load average (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs. Targets (issue 19): 8,000 decisions/s per core at p99 <= 2 ms; batch 50,000/s.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

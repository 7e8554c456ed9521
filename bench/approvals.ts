/**
 * Approval queue and dashboard bench (issue 19). Two tables:
 *
 * 1. Approval round trip: a governed call parks on require_approval, a second queue (another
 *    connection to the same store, as another process would have) lists it and approves it, and
 *    the call resolves allowed. Per store (memory, SQLite, PostgreSQL when it runs here), side by
 *    side with the alternative a host writes itself: an in-process handler resolved from a Map of
 *    promises (nothing durable, nothing shared across processes).
 * 2. Dashboard pages over loopback HTTP (a logged-in GET): Decisions filtering the last 1000
 *    records of a file audit log, and Approvals listing 50 pending items, next to the floor:
 *    tailing the same 1000 records with tailAuditLog alone.
 *
 * Run: `npm run bench -- approvals` (2 cores shared with other work: read the load average printed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileAuditSink } from '../src/audit/file-sink.js';
import { tailAuditLog } from '../src/audit/query.js';
import { createDashboard } from '../src/dashboard/index.js';
import type { ApprovalHandler, ApprovalRequest } from '../src/enforce/approval.js';
import { Governor } from '../src/enforce/governor.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { compilePolicy } from '../src/policy/compile.js';
import { openApprovalQueue } from '../src/server/approval-queue.js';
import { createMemoryStore } from '../src/store/memory.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { measureAsync, printTable, type Timing } from './stats.js';

const POLICY = compilePolicy([
  {
    name: 'p.yaml',
    text: 'apiVersion: warden/v1\nkind: Policy\nname: bench\ndefault: deny\nrules:\n  - name: approve-pay\n    tools: [pay]\n    effect: require_approval\n    approvers: [finance]\n  - name: allow-read\n    tools: [read]\n    effect: allow\n',
  },
]);
const PG_URL = process.env.WARDEN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = 200;

async function roundTrip(name: string, a: Store, b: Store): Promise<Timing> {
  const waiter = await openApprovalQueue({ store: a, pollMs: 500 });
  const answerer = await openApprovalQueue({ store: b, pollMs: 500 });
  const governor = new Governor({ policy: POLICY, agent: { id: 'bot' }, sink: new MemorySink(), approvalHandler: waiter.handler({ timeoutMs: 60_000 }), approvalTimeoutMs: 60_000 });
  let n = 0;
  try {
    return await measureAsync(
      name,
      async () => {
        const call = governor.check({ tool: 'pay', args: { amount: ++n } });
        let items = await answerer.list();
        while (items.length === 0) items = await answerer.list();
        await answerer.answer((items[0] as { id: string }).id, 'approve', { by: 'finance' });
        if (!(await call).allowed) throw new Error('bench: the approved call was denied');
      },
      { samples: ROUNDS, warmup: 20 },
    );
  } finally {
    await waiter.close();
    await answerer.close();
  }
}

/** The alternative: a handler resolved in process from a Map (what a host writes without a queue). */
async function inProcess(): Promise<Timing> {
  const waiting = new Map<string, (v: boolean) => void>();
  const handler: ApprovalHandler = (ask: ApprovalRequest) => new Promise<boolean>((resolve) => waiting.set(ask.call, resolve));
  const governor = new Governor({ policy: POLICY, agent: { id: 'bot' }, sink: new MemorySink(), approvalHandler: handler, approvalTimeoutMs: 60_000 });
  return measureAsync(
    'in-process Map of promises (no queue)',
    async () => {
      const call = governor.check({ tool: 'pay', args: { amount: 1 } });
      while (waiting.size === 0) await new Promise((r) => setImmediate(r));
      const [id, resolve] = waiting.entries().next().value as [string, (v: boolean) => void];
      waiting.delete(id);
      resolve(true);
      if (!(await call).allowed) throw new Error('bench: the approved call was denied');
    },
    { samples: ROUNDS, warmup: 20 },
  );
}

async function pages(dir: string): Promise<Timing[]> {
  const auditPath = join(dir, 'audit', 'main.jsonl');
  const sink = await openFileAuditSink({ path: auditPath, fsync: 'never', checkpointIntervalMs: 0 });
  const governor = new Governor({ policy: POLICY, sink });
  for (let i = 0; i < 1000; i++) await governor.check({ tool: 'read', args: { path: `/data/${i}`, note: '<b>bold</b>' }, agent: { id: `agent-${i % 20}` } });
  await sink.close();

  const store = createMemoryStore();
  const queue = await openApprovalQueue({ store });
  const parked = new Governor({ policy: POLICY, agent: { id: 'bot' }, sink: new MemorySink(), approvalHandler: queue.handler({ timeoutMs: 600_000 }), approvalTimeoutMs: 600_000 });
  const calls = Array.from({ length: 50 }, (_, i) => parked.check({ tool: 'pay', args: { amount: i, memo: '<script>x</script>' } }));
  while ((await queue.list()).length < 50) await new Promise((r) => setImmediate(r));

  const token = 'bench-token-0123456789abcdef';
  const ui = createDashboard({ logins: [{ name: 'finance', token }], queue, audit: join(dir, 'audit') });
  const server = createServer((req, res) => void ui.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await fetch(`${base}/ui/login`);
  const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const r = await fetch(`${base}/ui/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, token }).toString() });
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const get = async (path: string): Promise<void> => {
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`bench: ${path} answered ${res.status}`);
    await res.arrayBuffer();
  };
  try {
    return [
      await measureAsync('tailAuditLog, last 1000 records (the floor)', async () => {
        for await (const rec of tailAuditLog(auditPath, { lines: 1000 })) void rec;
      }, { samples: 100, warmup: 10 }),
      await measureAsync('GET /ui/decisions?agent=agent-3 (1000 scanned)', () => get('/ui/decisions?agent=agent-3'), { samples: 100, warmup: 10 }),
      await measureAsync('GET /ui/decisions (1000 scanned, 200 shown)', () => get('/ui/decisions'), { samples: 100, warmup: 10 }),
      await measureAsync('GET /ui/approvals (50 pending)', () => get('/ui/approvals'), { samples: 100, warmup: 10 }),
    ];
  } finally {
    server.closeAllConnections();
    server.close();
    await queue.close();
    await Promise.all(calls);
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-approvals-'));
  try {
    console.log(`\nload average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const rows: Timing[] = [await inProcess()];
    const mem = createMemoryStore();
    rows.push(await roundTrip('queue on memory', mem, mem));
    const path = join(dir, 'state.db');
    const s1 = await openStore(`sqlite:${path}`);
    const s2 = await openStore(`sqlite:${path}`);
    rows.push(await roundTrip('queue on SQLite (two connections)', s1, s2));
    await s1.close();
    await s2.close();
    try {
      const schema = `warden_bench_${randomBytes(4).toString('hex')}`;
      const p1 = await openStore(PG_URL, { schema });
      const p2 = await openStore(PG_URL, { schema });
      rows.push(await roundTrip('queue on PostgreSQL (two pools)', p1, p2));
      await p1.close();
      await p2.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    } catch (e) {
      console.log(`PostgreSQL row skipped: ${(e as Error).message}`);
    }
    printTable('approval round trip: park, list, approve, caller resumes', rows);
    printTable('dashboard pages (loopback HTTP, logged in)', await pages(dir));
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Kill-switch and enrich bench (issue 14). Targets: across 3 processes on this machine, the first
 * decision after `kill` returns is a deny in every process (asserted, not timed), the broadcast
 * reaches them with p99 at most 100 ms, and an in-flight governed call observes the abort within
 * 50 ms; reading trust and ring in the pipeline (the enrich stage, cached) adds at most 2 µs p50.
 *
 * Rows: for each store (SQLite; PostgreSQL + Redis when they run here), per round one kill of a
 * fresh agent while each of the 3 processes holds an in-flight call as that agent: "abort after
 * kill issued" is the time from just before `kill()` was called to the abort signal firing in the
 * child (the write, the broadcast and the child's re-read of the store); "decide after kill" is the
 * child's first decision time. Then the per-decision cost: a Pipeline decision with no runtime,
 * with a runtime (kill stage reading the store + enrich from cache), and the enrich call alone.
 *
 * Run: `npm run bench -- kill` (2 cores shared with other work: read the load average printed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipeline } from '../src/enforce/pipeline.js';
import { createIdentity } from '../src/identity/agent-key.js';
import { compilePolicy } from '../src/policy/compile.js';
import { createRuntime, KillSwitch, parseKillTarget } from '../src/runtime/index.js';
import { createMemoryStore } from '../src/store/memory.js';
import { openStore } from '../src/store/open.js';
import { spawnChild } from './kill-harness.js';
import { measure, measureAsync, printTable, type Timing } from './stats.js';

const ROUNDS = 30;
const SCRIPT = fileURLToPath(new URL('../../bench/kill-child.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../src/', import.meta.url));

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? Number.NaN;
}

async function propagation(name: string, env: Record<string, string>, open: () => ReturnType<typeof openStore>): Promise<string[]> {
  const ops = createIdentity();
  const children = await Promise.all([0, 1, 2].map(() => spawnChild(SCRIPT, { WARDEN_DIST: DIST, SIGNER: ops.did, ...env })));
  const store = await open();
  const ks = new KillSwitch({ store, signers: [ops.did] });
  const abortMs: number[] = [];
  const killMs: number[] = [];
  const decideMs: number[] = [];
  let denials = 0;
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const agent = `a${r}`;
      for (const c of children) c.send({ op: 'call', agent });
      for (const c of children) await c.next((m) => m.started === agent);
      const t0 = performance.timeOrigin + performance.now();
      await ks.kill(parseKillTarget(`agent:${agent}`), { reason: 'bench', key: ops });
      killMs.push(performance.timeOrigin + performance.now() - t0);
      for (const c of children) c.send({ op: 'decide', agent });
      for (const d of await Promise.all(children.map((c) => c.next((m) => m.decided === agent)))) {
        if (d.allowed === false) denials++;
        decideMs.push(Number(d.ms));
      }
      for (const a of await Promise.all(children.map((c) => c.next((m) => m.aborted === agent)))) abortMs.push(Number(a.at) - t0);
    }
  } finally {
    await Promise.all(children.map((c) => c.exit()));
    await store.close();
  }
  const f = (n: number) => n.toFixed(1).padStart(7);
  return [
    `${name.padEnd(18)} first decision after kill denied: ${denials}/${ROUNDS * 3}`,
    `${name.padEnd(18)} kill() returns        p50 ${f(pct(killMs, 0.5))} ms  p99 ${f(pct(killMs, 0.99))} ms`,
    `${name.padEnd(18)} abort after kill issued p50 ${f(pct(abortMs, 0.5))} ms  p99 ${f(pct(abortMs, 0.99))} ms  (n=${abortMs.length})`,
    `${name.padEnd(18)} decision in a child   p50 ${f(pct(decideMs, 0.5))} ms  p99 ${f(pct(decideMs, 0.99))} ms`,
  ];
}

/** Runs the kill-switch and enrich benches and prints their tables. */
export async function run(): Promise<void> {
  console.log(`\n## kill switch and enrich (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${ROUNDS} rounds x 3 processes)\n`);
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-kill-'));
  try {
    const sqlite = `sqlite:${join(dir, 'state.db')}`;
    for (const line of await propagation('sqlite', { STORE_URL: sqlite }, () => openStore(sqlite))) console.log(line);
    const pg = process.env.WARDEN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
    const redis = process.env.WARDEN_TEST_REDIS ?? 'redis://127.0.0.1:6379';
    const schema = `warden_bench_${randomBytes(4).toString('hex')}`;
    const prefix = `warden-bench:${schema}:`;
    try {
      for (const line of await propagation('postgres+redis', { STORE_URL: pg, REDIS_URL: redis, PG_SCHEMA: schema, REDIS_PREFIX: prefix }, () => openStore(pg, { redis, schema, prefix }))) console.log(line);
    } catch (e) {
      console.log(`postgres+redis     skipped: ${(e as Error).message}`);
    } finally {
      await cleanup(pg, redis, schema, prefix);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const policy = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\ndefault: deny\nrules:\n  - name: ring\n    tools: [deploy]\n    when: "agent.ring <= 2 && agent.trust >= 500"\n    effect: allow\n    reason: ok\n' }]);
  const ops = createIdentity();
  const rows: Timing[] = [];
  const memory = createMemoryStore();
  const runtime = createRuntime({ store: memory, signers: [ops.did], cacheMs: 3_600_000, trust: {} });
  await runtime.trust?.record('bot', { kind: 'baseline', value: 800 });
  await runtime.enrich({ id: 'bot' });
  const agent = Object.freeze({ id: 'bot' });
  rows.push(measure('enrich (cached trust + ring)', () => runtime.enrich(agent), { samples: 50_000 }));
  const plain = new Pipeline({ policy, agent: { id: 'bot' } });
  const governed = new Pipeline({ policy, agent: { id: 'bot' }, runtime });
  const request = { request: { tool: 'deploy', args: {} } };
  rows.push(await measureAsync('decide, no runtime (memory sink)', () => plain.decide(request), { samples: 20_000 }));
  rows.push(await measureAsync('decide, runtime on memory store', () => governed.decide(request), { samples: 20_000 }));
  const dir2 = mkdtempSync(join(tmpdir(), 'warden-bench-kill-'));
  const sqliteStore = await openStore(`sqlite:${join(dir2, 'state.db')}`);
  const sqliteRuntime = createRuntime({ store: sqliteStore, signers: [ops.did], cacheMs: 3_600_000 });
  await sqliteRuntime.trust?.record('bot', { kind: 'baseline', value: 800 });
  const onSqlite = new Pipeline({ policy, agent: { id: 'bot' }, runtime: sqliteRuntime });
  rows.push(await measureAsync('decide, runtime on SQLite store', () => onSqlite.decide(request), { samples: 10_000 }));
  printTable('per-decision cost of the runtime (kill stage reads the store; enrich from cache)', rows);
  await runtime.close();
  await sqliteRuntime.close();
  await sqliteStore.close();
  rmSync(dir2, { recursive: true, force: true });
}

async function cleanup(pg: string, redis: string, schema: string, prefix: string): Promise<void> {
  try {
    const { default: pgm } = await import('pg');
    const client = new pgm.Client({ connectionString: pg });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    const { Redis } = await import('ioredis');
    const r = new Redis(redis);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  } catch {
    // Nothing to clean when the services are absent.
  }
}

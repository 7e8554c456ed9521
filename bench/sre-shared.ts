/**
 * What sharing SRE state through a store costs on the call path: the breaker check (the `admit`
 * of an SRE runtime with one closed breaker, which reads that breaker's entry from the store) in
 * this process's memory against the memory, SQLite and Redis stores, side by side. Closed is the
 * common state: admitting writes nothing. `npm run bench -- sre-shared`; report `uptime` with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { createSre } from '../src/sre/runtime.js';
import { createMemoryStore } from '../src/store/memory.js';
import { openRedisStore } from '../src/store/redis.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/types.js';
import { measureAsync, printTable, type Timing } from './stats.js';

const REDIS_URL = process.env.WARDEN_BENCH_REDIS ?? 'redis://127.0.0.1:6379';
const breakers = [{ name: 'search', tools: ['search'], failureThreshold: 5 }];
const request = { tool: 'search', args: { q: 'refund policy' } };

function redisUp(): Promise<boolean> {
  const u = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(Number(u.port || 6379), u.hostname, () => done(true));
  });
}

async function admitRow(name: string, store: Store | undefined): Promise<Timing> {
  const sre = createSre(store === undefined ? { breakers } : { breakers, store });
  let n = 0;
  return measureAsync(name, async () => {
    const call = `c${++n}`;
    const a = await sre.admit({ call, tool: 'search', agent: null, request });
    if (a.refusal !== undefined) throw new Error(`bench breaker refused: ${a.refusal.reason}`);
  }, { samples: 10_000 });
}

/** Runs the shared-state bench. */
export async function run(): Promise<void> {
  const rows: Timing[] = [];
  rows.push(await admitRow('breaker check, in this process (no store)', undefined));
  const memory = createMemoryStore();
  rows.push(await admitRow('breaker check, shared: memory store', memory));
  await memory.close();
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-sre-'));
  const sqlite = openSqliteStore({ path: join(dir, 'state.db') });
  rows.push(await admitRow('breaker check, shared: SQLite (WAL, one file)', sqlite));
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  if (await redisUp()) {
    const redis = await openRedisStore({ url: REDIS_URL, prefix: `warden-bench:${process.pid}:` });
    rows.push(await admitRow('breaker check, shared: Redis (loopback)', redis));
    await redis.close();
  } else {
    console.log(`Redis row skipped: nothing at ${REDIS_URL}.`);
  }
  printTable('circuit breaker check (SRE admit, one closed breaker), per call', rows);
}

/**
 * Limits bench (issue 15). Targets: check-and-charge adds at most 5 µs p50 in memory, at most 1 ms
 * p99 on Redis over loopback.
 *
 * Rows: the check-and-charge of one rate limit (one atomic counter operation) on each store, beside
 * what users write by hand (a fixed-window counter in a Map: not atomic across processes, double
 * bursts at window boundaries); the pure part (which limits a call draws from, its key and amount);
 * and a whole pipeline decision with and without a state store, so the stage's cost shows in context.
 *
 * Run: `npm run bench -- limits` (2 cores shared with other work: read the load average printed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Pipeline } from '../src/enforce/pipeline.js';
import { compilePolicy } from '../src/policy/compile.js';
import { checkAndCharge } from '../src/runtime/limiter.js';
import { createMemoryStore } from '../src/store/memory.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { measure, measureAsync, printTable, type Timing } from './stats.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: bench
default: allow
limits:
  - name: calls
    key: [agent.id]
    rate: { limit: 1000000000, per: 1s }
`;

/** Runs the limits bench and prints its tables. */
export async function run(): Promise<void> {
  console.log(`\n## limits (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  const policy = compilePolicy([{ name: 'bench.yaml', text: POLICY }]);
  const request = { tool: 'search', args: { q: 'x' }, agent: { id: 'bot' } };
  const d = policy.limitDemands(request);
  if ('error' in d) throw new Error(d.error);
  const demands = d.demands;
  const rows: Timing[] = [];

  const windows = new Map<string, { start: number; count: number }>();
  rows.push(
    measure('by hand: fixed-window Map counter (one process)', () => {
      const now = Date.now();
      const w = windows.get('bot');
      if (w === undefined || now - w.start >= 1000) windows.set('bot', { start: now, count: 1 });
      else w.count++;
    }, { samples: 100_000 }),
  );
  rows.push(measure('limitDemands (pure: limits, key, amount)', () => policy.limitDemands(request), { samples: 100_000 }));
  const memory = createMemoryStore();
  rows.push(await measureAsync('checkAndCharge, memory store', () => checkAndCharge(memory, demands), { samples: 100_000 }));
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-limits-'));
  const stores: Array<{ name: string; store: Store }> = [{ name: 'SQLite', store: await openStore(`sqlite:${join(dir, 'state.db')}`) }];
  const redisUrl = process.env.WARDEN_TEST_REDIS ?? 'redis://127.0.0.1:6379';
  const prefix = `warden-bench-limits:${randomBytes(4).toString('hex')}:`;
  try {
    const { openRedisStore } = await import('../src/store/redis.js');
    stores.push({ name: 'Redis (loopback)', store: await openRedisStore({ url: redisUrl, prefix }) });
  } catch (e) {
    console.log(`Redis skipped: ${(e as Error).message}`);
  }
  for (const { name, store } of stores) rows.push(await measureAsync(`checkAndCharge, ${name} store`, () => checkAndCharge(store, demands), { samples: 5_000 }));
  printTable('check-and-charge of one rate limit', rows);

  const decideRows: Timing[] = [];
  const call = { request: { tool: 'search', args: { q: 'x' } } };
  const plainPolicy = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\ndefault: allow\n' }]);
  const plain = new Pipeline({ policy: plainPolicy, agent: { id: 'bot' } });
  decideRows.push(await measureAsync('decide, no limits (memory sink)', () => plain.decide(call), { samples: 20_000 }));
  const limited = new Pipeline({ policy, agent: { id: 'bot' }, state: { store: createMemoryStore() } });
  decideRows.push(await measureAsync('decide, one limit, memory store', () => limited.decide(call), { samples: 20_000 }));
  const sessions = new Pipeline({ policy, agent: { id: 'bot' }, state: { store: createMemoryStore() } });
  decideRows.push(await measureAsync('decide, one limit + session, memory store', () => sessions.decide({ request: { ...call.request, context: { session: 's' } } }), { samples: 20_000 }));
  printTable('a pipeline decision with the charge stage', decideRows);

  for (const { store } of stores) await store.close();
  await memory.close();
  rmSync(dir, { recursive: true, force: true });
  try {
    const { Redis } = await import('ioredis');
    const r = new Redis(redisUrl);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  } catch {
    // Redis not running here: nothing to clean.
  }
}

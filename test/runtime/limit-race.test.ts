/**
 * The race the issue names: 50 processes hammering one limit of 1,000 calls through the real
 * pipeline, on SQLite (one file on this machine) and on Redis (one script per check-and-charge).
 * Exactly 1,000 are admitted: no over-admission, and no call lost to a false refusal either.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForChild, tempDir } from '../audit/helpers.js';
import { REDIS_URL, serviceUp } from '../store/live.js';

const PROCESSES = 50;
const ATTEMPTS = 30; // 1,500 attempts against a limit of 1,000
const LIMIT = 1000;

const CHILD = `
import { compilePolicy } from './src/policy/compile.js';
import { Pipeline } from './src/enforce/pipeline.js';
import { openStore } from './src/store/open.js';
const [url, name, attempts, kind] = process.argv.slice(2);
const shape = kind === 'rate' ? 'rate: { limit: ${LIMIT}, per: 1d }' : 'budget: { max: ${LIMIT}, amount: args.n }';
const text = 'apiVersion: warden/v1\\nkind: Policy\\nname: ' + name + '\\ndefault: allow\\nlimits:\\n  - name: shared\\n    ' + shape + '\\n';
const store = await openStore(url);
const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'p.yaml', text }]), state: { store } });
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  const counts = { admitted: 0, exceeded: 0, other: [] };
  for (let i = 0; i < Number(attempts); i++) {
    const { verdict } = await pipeline.decide({ request: { tool: 'call', args: { n: 1 } } });
    if (verdict.allowed) counts.admitted++;
    else if (verdict.errors.some((e) => e.code === 'limit_exceeded')) counts.exceeded++;
    else counts.other.push(verdict.reason);
  }
  await store.close();
  process.stdout.write(JSON.stringify(counts) + '\\n');
  process.stdin.destroy();
});
`;

let build: { outDir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;
const run = randomBytes(4).toString('hex');

beforeAll(() => {
  build = buildForChild(['src/policy/compile.ts', 'src/enforce/pipeline.ts', 'src/store/open.ts']);
  writeFileSync(join(build.outDir, 'child.mjs'), CHILD);
  ({ dir, cleanup } = tempDir('warden-race-'));
});
afterAll(() => {
  build.cleanup();
  cleanup();
});

interface Counts {
  admitted: number;
  exceeded: number;
  other: string[];
}

/** Starts every process, waits until all are ready, releases them at once, sums what they report. */
async function race(url: string, name: string, kind: 'rate' | 'budget'): Promise<Counts> {
  const children = Array.from({ length: PROCESSES }, () => spawn(process.execPath, [join(build.outDir, 'child.mjs'), url, name, String(ATTEMPTS), kind], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outputs = children.map(
    (child) =>
      new Promise<{ lines: string[]; stderr: string; code: number | null }>((resolve) => {
        let out = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.startsWith('ready\n') && !(child as unknown as { signalled?: boolean }).signalled) {
            (child as unknown as { signalled?: boolean }).signalled = true;
            readyCount++;
            if (readyCount === PROCESSES) for (const c of children) c.stdin.write('go\n');
          }
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('close', (code) => resolve({ lines: out.trim().split('\n'), stderr, code }));
      }),
  );
  let readyCount = 0;
  const results = await Promise.all(outputs);
  const total: Counts = { admitted: 0, exceeded: 0, other: [] };
  for (const r of results) {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const counts = JSON.parse(r.lines[r.lines.length - 1] as string) as Counts;
    total.admitted += counts.admitted;
    total.exceeded += counts.exceeded;
    total.other.push(...counts.other);
  }
  return total;
}

describe('50 processes against one limit of 1,000', () => {
  it('SQLite, a GCRA rate: exactly 1,000 admitted', { timeout: 300_000 }, async () => {
    const counts = await race(`sqlite:${join(dir, 'rate.db')}`, `race-${run}-rate`, 'rate');
    expect(counts).toEqual({ admitted: LIMIT, exceeded: PROCESSES * ATTEMPTS - LIMIT, other: [] });
  });

  it('SQLite, a budget: exactly 1,000 admitted', { timeout: 300_000 }, async () => {
    const counts = await race(`sqlite:${join(dir, 'budget.db')}`, `race-${run}-budget`, 'budget');
    expect(counts).toEqual({ admitted: LIMIT, exceeded: PROCESSES * ATTEMPTS - LIMIT, other: [] });
  });
});

const redisUp = await serviceUp('Redis', REDIS_URL, 'redis-server on 127.0.0.1:6379');

describe.skipIf(!redisUp)('50 processes against one limit of 1,000 on Redis', () => {
  afterAll(async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`*race-${run}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('Redis, a GCRA rate: exactly 1,000 admitted', { timeout: 300_000 }, async () => {
    const counts = await race(REDIS_URL, `race-${run}-redis`, 'rate');
    expect(counts).toEqual({ admitted: LIMIT, exceeded: PROCESSES * ATTEMPTS - LIMIT, other: [] });
  });
});

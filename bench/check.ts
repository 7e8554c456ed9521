/**
 * `warden check --requests`: what the command costs per request above `decide()` on the same
 * requests. The command runs as a child process on two batch sizes; the difference of their wall
 * times over the difference of their sizes is the per-request cost without the process start and
 * the policy load. `decide()` on the same requests is timed in this process, in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadPolicyFiles } from '../src/enforce/load-files.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const POLICY = join(ROOT, 'examples', 'demo', 'policy.yaml');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function requests(n: number): string[] {
  const tools = ['search_docs', 'refund', 'write_file', 'delete_customers', 'send_email'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const tool = tools[i % tools.length] as string;
    out.push(JSON.stringify({ tool, args: { query: `q${i}`, amount: i % 700, path: i % 3 === 0 ? `/etc/x${i}` : `/workspace/f${i}`, to: `u${i}@example.com` }, agent: { id: 'bench', roles: ['support'] } }));
  }
  return out;
}

/** Wall time of one `warden check --requests` run, in ms (best of three). */
function runCheck(file: string, extra: string[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'check', '--policy', POLICY, '--requests', file, '--now', '2026-01-01T00:00:00Z', ...extra], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = performance.now() - t0;
    if (r.status !== 0 && r.status !== 1) throw new Error(`warden check failed (${r.status}): ${r.stderr}`);
    best = Math.min(best, ms);
  }
  return best;
}

/** Runs the check bench. Needs `npm run build` (the CLI in dist/). */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-check-'));
  try {
    const small = 20_000;
    const large = 120_000;
    const lines = requests(large);
    const smallFile = join(dir, 'small.jsonl');
    const largeFile = join(dir, 'large.jsonl');
    writeFileSync(smallFile, `${lines.slice(0, small).join('\n')}\n`);
    writeFileSync(largeFile, `${lines.join('\n')}\n`);

    const set = await loadPolicyFiles([POLICY]);
    const now = new Date('2026-01-01T00:00:00Z');
    const parsed = lines.map((l) => JSON.parse(l) as unknown);
    for (let i = 0; i < 20_000; i++) set.decide(parsed[i % parsed.length], { now });
    const t0 = performance.now();
    for (const r of parsed) set.decide(r, { now });
    const decideUs = ((performance.now() - t0) * 1000) / parsed.length;

    const load = loadavg().map((x) => x.toFixed(2)).join(' ');
    const plain = ((runCheck(largeFile, []) - runCheck(smallFile, [])) * 1000) / (large - small);
    const audited = ((runCheck(largeFile, ['--audit', join(dir, 'a.jsonl')]) - runCheck(smallFile, ['--audit', join(dir, 'b.jsonl')])) * 1000) / (large - small);
    console.log('\n## warden check --requests: cost per request (marginal, without process start and policy load)');
    console.log(`load average before: ${load}; after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`decide() alone, same requests (parsed)     ${decideUs.toFixed(2)} µs`);
    console.log(`warden check --requests                    ${plain.toFixed(2)} µs  (${(plain - decideUs).toFixed(2)} µs above decide)`);
    console.log(`warden check --requests --audit (fsync batch) ${audited.toFixed(2)} µs  (${(audited - decideUs).toFixed(2)} µs above decide)`);
    console.log('Target (issue 9): at most 5 µs per request above decide(), without --audit.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

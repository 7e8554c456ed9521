/**
 * What governing a call costs: decide + approval-free path + recording, per call, with the
 * in-memory sink and with the file audit sink (fsync 'never', so fsync waits are excluded, as
 * the issue asks; the audit bench measures fsync policies separately).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileAuditSink } from '../src/audit/file-sink.js';
import { Governor } from '../src/enforce/governor.js';
import { govern } from '../src/enforce/govern.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { compilePolicy } from '../src/policy/compile.js';
import { measure, measureAsync, printTable } from './stats.js';

/** Runs the govern() overhead bench. */
export async function run(): Promise<void> {
  const policy = compilePolicy([
    {
      name: 'bench',
      document: {
        apiVersion: 'warden/v1',
        kind: 'Policy',
        name: 'bench',
        rules: [
          { name: 'no-etc', tools: ['write_file'], when: "args.path.startsWith('/etc/')", effect: 'deny' },
          { name: 'writes', tools: ['write_file'], effect: 'allow' },
        ],
      },
    },
  ]);
  const args = { path: '/tmp/report.txt', text: 'quarterly numbers', mode: 'overwrite' };
  const now = new Date();
  const rows = [measure('decide() alone', () => policy.decide({ tool: 'write_file', args, agent: { id: 'bench' } }, { now }), { samples: 50_000 })];

  const memory = new Governor({ policy, agent: { id: 'bench' }, sink: new MemorySink({ capacity: 10_000_000 }) });
  const memWrite = govern(async (a: { path: string }) => a.path, { tool: 'write_file', governor: memory });
  rows.push(await measureAsync('govern() + MemorySink', () => memWrite(args), { samples: 20_000 }));
  const memSync = govern((a: { path: string }) => a.path, { tool: 'write_file', governor: memory });
  rows.push(measure('govern() sync + MemorySink', () => memSync(args), { samples: 20_000, loopMs: 200 }));

  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-govern-'));
  try {
    const sink = await openFileAuditSink({ path: join(dir, 'bench.jsonl'), fsync: 'never' });
    const governor = new Governor({ policy, agent: { id: 'bench' }, sink });
    const write = govern(async (a: { path: string }) => a.path, { tool: 'write_file', governor });
    rows.push(await measureAsync('govern() + file sink (fsync never)', () => write(args), { samples: 20_000 }));
    await sink.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable('govern() overhead per call (sequential calls)', rows);
  console.log('Target (issue 3): govern() with the file sink at p99 under 50 µs, excluding fsync waits.');
}

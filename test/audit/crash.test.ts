import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { buildForChild, decisionEvent, tempDir } from './helpers.js';

let build: { outDir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;

// The child appends big records (64 KiB of arguments each, 32 per batch, so each batch is one ~2 MiB
// write call) in a loop and prints the seq of every acknowledged batch.
const CHILD = `
import { openFileAuditSink } from './src/audit/file-sink.js';
const [file, fsync] = process.argv.slice(2);
const sink = await openFileAuditSink({ path: file, fsync, maxRecordBytes: 1024 * 1024 });
const blob = 'x'.repeat(64 * 1024);
let i = 0;
const event = () => ({
  ts: new Date(1735689600000 + i).toISOString(),
  agent: { id: 'crash-child' },
  request: { tool: 'write_file', args: { n: i++, blob } },
  decision: { effect: 'allow', allowed: true, rule: 'r', policy: 'p', reason: 'ok', approvers: [], errors: [], policyDigest: 'sha256:' + '0'.repeat(64) },
});
for (;;) {
  await Promise.all(Array.from({ length: 32 }, () => sink.write(event())));
  process.stdout.write(sink.head.seq + '\\n');
}
`;

// One huge append (16 records of 1 MiB in one write call), so a kill lands inside the write call.
const BIG_CHILD = `
import { openFileAuditSink } from './src/audit/file-sink.js';
const [file] = process.argv.slice(2);
const sink = await openFileAuditSink({ path: file, fsync: 'never', maxRecordBytes: 2 * 1024 * 1024, maxBatchRecords: 16 });
const blob = 'x'.repeat(1024 * 1024);
let i = 0;
const event = () => ({
  ts: new Date(1735689600000 + i).toISOString(),
  agent: { id: 'crash-child' },
  request: { tool: 'write_file', args: { n: i++, blob } },
  decision: { effect: 'allow', allowed: true, rule: 'r', policy: 'p', reason: 'ok', approvers: [], errors: [], policyDigest: 'sha256:' + '0'.repeat(64) },
});
process.stdout.write('started\\n');
for (;;) await Promise.all(Array.from({ length: 16 }, () => sink.write(event())));
`;

beforeAll(() => {
  build = buildForChild(['src/audit/file-sink.ts']);
  writeFileSync(join(build.outDir, 'child.mjs'), CHILD);
  writeFileSync(join(build.outDir, 'big-child.mjs'), BIG_CHILD);
  ({ dir, cleanup } = tempDir());
});
afterAll(() => {
  build.cleanup();
  cleanup();
});

/** Runs the child until it has acknowledged at least `minSeq` records, then SIGKILLs it. Returns the last acknowledged seq. */
function runAndKill(file: string, fsync: 'always' | 'never', minSeq: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build.outDir, 'child.mjs'), file, fsync], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let killed = false;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line !== '') acked = Math.max(acked, Number(line));
      if (!killed && acked >= minSeq) {
        killed = true;
        // Kill a little later, at an arbitrary point of the next batches (often mid-write).
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited without being killed: ${stderr}`));
    });
  });
}

describe('a writer killed mid-write (SIGKILL)', () => {
  it.each([
    ['always', 1, 0],
    ['never', 2, 3],
    ['never', 3, 7],
  ] as const)('fsync %s, round %i: the log verifies up to any torn tail, and a new sink resumes the chain', async (fsync, round, delayMs) => {
    const file = join(dir, `crash-${fsync}-${round}.jsonl`);
    let total = 0;
    // Kill, reopen, kill again: each reopen must handle what the last kill left.
    for (let k = 0; k < 3; k++) {
      const acked = await runAndKill(file, fsync, total + 64, delayMs + k);
      const before = await verifyAuditLog([file]);
      // Everything acknowledged is in the file; the only damage a kill may leave is a torn tail.
      expect(before.records).toBeGreaterThanOrEqual(acked);
      if (!before.ok) expect(before.firstBad).toMatchObject({ reason: 'torn', seq: before.records + 1 });
      const sink = await openFileAuditSink({ path: file });
      expect(sink.head.seq).toBe(before.records);
      if (before.ok) expect(sink.tornTail).toBeNull();
      else expect(existsSync(sink.tornTail?.movedTo ?? '')).toBe(true);
      await sink.write(decisionEvent(k));
      await sink.close();
      const after = await verifyAuditLog([file]);
      expect(after).toMatchObject({ ok: true, records: before.records + 1 });
      total = after.records;
    }
    expect(readFileSync(file).at(-1)).toBe(10);
  }, 120_000);
});

/** Starts the big-append child and SIGKILLs it the moment its first append starts landing in the file. */
async function killDuringAppend(file: string): Promise<void> {
  const child = spawn(process.execPath, [join(build.outDir, 'big-child.mjs'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const deadline = Date.now() + 60_000;
  // Busy-poll on purpose: the append is one write call lasting milliseconds.
  while (!(existsSync(file) && statSync(file).size > 0)) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the child never appended');
    }
  }
  child.kill('SIGKILL');
  await exited;
}

describe('a writer killed inside one large append call', () => {
  it('leaves a torn tail that verify reports, that opening moves aside, and after which the chain resumes', async () => {
    let torn = 0;
    for (let attempt = 0; attempt < 3 && torn === 0; attempt++) {
      const file = join(dir, `big-${attempt}.jsonl`);
      await killDuringAppend(file);
      const before = await verifyAuditLog([file]);
      if (before.ok) continue; // the write finished before the kill landed: try again
      torn += 1;
      expect(before.firstBad).toMatchObject({ reason: 'torn', seq: before.records + 1 });
      const size = statSync(file).size;
      const sink = await openFileAuditSink({ path: file, maxRecordBytes: 2 * 1024 * 1024 });
      expect(sink.head.seq).toBe(before.records);
      expect(sink.tornTail).toMatchObject({ file, movedTo: `${file}.torn` });
      expect((sink.tornTail?.offset ?? 0) + (sink.tornTail?.bytes ?? 0)).toBe(size);
      expect(statSync(`${file}.torn`).size).toBe(sink.tornTail?.bytes);
      await sink.write(decisionEvent(1));
      await sink.close();
      expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: before.records + 1 });
    }
    expect(torn).toBe(1);
  }, 180_000);
});

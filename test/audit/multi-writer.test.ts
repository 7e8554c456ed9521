/**
 * Several processes appending to one audit log take turns through the sink's lock file: the chain
 * never forks and has no gap; a writer that cannot get the lock in time fails closed, naming the
 * holder; and one whose lock was taken from it stops instead of appending.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink, type AuditWarning } from '../../src/audit/file-sink.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { EventLog } from '../helpers/events.js';
import { buildForChild, decisionEvent, linesOf, tempDir } from './helpers.js';

let build: { outDir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;

// A writer process: opens the log `rounds` times (as `warden check --audit` does once per run),
// appends `perRound` records each time, closes. Prints "waiting" before its first open.
const CHILD = `
import { openFileAuditSink } from './src/audit/file-sink.js';
const [file, name, rounds, perRound, timeoutMs] = process.argv.slice(2);
process.stdout.write('waiting\\n');
let n = 0;
try {
  for (let r = 0; r < Number(rounds); r++) {
    const sink = await openFileAuditSink({ path: file, fsync: 'never', lock: { timeoutMs: Number(timeoutMs) } });
    const writes = [];
    for (let i = 0; i < Number(perRound); i++) {
      writes.push(sink.write({
        ts: new Date(1735689600000 + n).toISOString(),
        agent: { id: name },
        request: { tool: 'write_file', args: { writer: name, n: n++ } },
        decision: { effect: 'allow', allowed: true, rule: 'r', policy: 'p', reason: 'ok', approvers: [], errors: [], policyDigest: 'sha256:' + '0'.repeat(64) },
      }));
    }
    await Promise.all(writes);
    await sink.close();
  }
  process.stdout.write('done\\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ code: e.code, message: e.message }) + '\\n');
  process.exitCode = 3;
}
`;

beforeAll(() => {
  build = buildForChild(['src/audit/file-sink.ts']);
  writeFileSync(join(build.outDir, 'writer.mjs'), CHILD);
  ({ dir, cleanup } = tempDir('warden-multi-'));
});
afterAll(() => {
  build.cleanup();
  cleanup();
});

interface Run {
  code: number | null;
  lines: string[];
  stderr: string;
}

/** Starts a writer process; `onLine` sees each line it prints. */
function writer(file: string, name: string, rounds: number, perRound: number, timeoutMs = 60_000, onLine: (line: string) => void = () => undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build.outDir, 'writer.mjs'), file, name, String(rounds), String(perRound), String(timeoutMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) {
        lines.push(l);
        onLine(l);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines, stderr }));
  });
}

describe('several processes appending to one log', () => {
  it('6 processes, each opening the log 5 times and appending 8 records: 240 records, seq 1..240, one chain that verifies', async () => {
    const file = join(dir, 'shared.jsonl');
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => writer(file, `w${i}`, 5, 8)));
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
    const records = linesOf(file).map((l) => JSON.parse(l) as { seq: number; prev: string; hash: string; agent: { id: string } });
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    // No fork: each record links to the one before it.
    for (let i = 1; i < records.length; i++) expect(records[i]?.prev).toBe(records[i - 1]?.hash);
    expect(new Set(records.map((r) => r.agent.id)).size).toBe(6);
    const verified = await verifyAuditLog(await listAuditFiles(file));
    expect(verified).toMatchObject({ ok: true, decisions: 240 });
  });

  it('a second writer waits for the first to close, then continues the same chain', async () => {
    const file = join(dir, 'wait.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await sink.write(decisionEvent(1));
    let closing: Promise<void> | null = null;
    // The child announces it is about to open; it then waits on our lock until we close.
    const run = await writer(file, 'second', 1, 2, 30_000, (line) => {
      if (line === 'waiting') closing = sink.write(decisionEvent(2)).then(() => sink.close());
    });
    await closing;
    expect(run).toMatchObject({ code: 0, lines: ['waiting', 'done'] });
    const seqs = linesOf(file).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect((await verifyAuditLog([file])).ok).toBe(true);
  });

  it('a writer that cannot get the lock in time fails closed with ERR_AUDIT_IN_USE naming the holder, and writes nothing', async () => {
    const file = join(dir, 'busy.jsonl');
    const sink = await openFileAuditSink({ path: file });
    try {
      await sink.write(decisionEvent(1));
      const run = await writer(file, 'late', 1, 1, 200);
      expect(run.code).toBe(3);
      const failure = JSON.parse(run.lines[1] ?? '{}') as { code: string; message: string };
      expect(failure.code).toBe('ERR_AUDIT_IN_USE');
      expect(failure.message).toContain(`held by process ${process.pid}`);
      expect(failure.message).toContain(file);
      expect(linesOf(file)).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('a sink whose lock was taken from it stops appending (ERR_AUDIT_IN_USE, lock_lost) instead of forking the chain', async () => {
    const file = join(dir, 'stolen.jsonl');
    const warnings = new EventLog<AuditWarning>();
    const sink = await openFileAuditSink({ path: file, onWarning: warnings.push });
    await sink.write(decisionEvent(1));
    // Another process judged it stale and took it: the lock file is now someone else's.
    rmSync(`${file}.lock`);
    writeFileSync(`${file}.lock`, '1 someone-else');
    await expect(sink.write(decisionEvent(2))).rejects.toMatchObject({ code: 'ERR_AUDIT_IN_USE' });
    expect((await warnings.next((w) => w.code === 'lock_lost')).message).toContain('could fork the chain');
    expect(linesOf(file)).toHaveLength(1);
    await sink.close().catch(() => undefined);
    // The other holder's lock is left alone.
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe('1 someone-else');
    rmSync(`${file}.lock`);
  });

  it('keeps its lock fresh while open, so a long-lived writer is never taken for abandoned', async () => {
    const file = join(dir, 'fresh.jsonl');
    const sink = await openFileAuditSink({ path: file, lock: { staleMs: 1000 } });
    try {
      const first = statSync(`${file}.lock`).mtimeMs;
      // The refresh runs every staleMs / 3; wait for the mtime to move (bounded), never a fixed sleep.
      const deadline = Date.now() + 5000;
      let now = first;
      while (now === first && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        now = statSync(`${file}.lock`).mtimeMs;
      }
      expect(now).toBeGreaterThan(first);
      await sink.write(decisionEvent(1));
    } finally {
      await sink.close();
    }
  });
});

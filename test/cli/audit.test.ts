/**
 * `warden audit ...` and `warden keygen`, run as a user runs them: a child `node` process of a
 * program that registers these commands the way src/cli/main.ts does (usage errors exit 2).
 * The command files and their imports are transpiled into a temporary directory first.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { loadPrivateKey } from '../../src/audit/keys.js';
import type { AuditRecord } from '../../src/audit/record.js';
import type { VerifyResult } from '../../src/audit/verify.js';
import { buildForChild, decisionEvent, linesOf, tempDir, writeLines } from '../audit/helpers.js';

const HARNESS = `
import { Command } from 'commander';
import { registerAuditCommand } from './src/cli/audit.js';
import { registerKeygenCommand } from './src/cli/keygen.js';
const program = new Command('warden').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
registerAuditCommand(program);
registerKeygenCommand(program);
await program.parseAsync(process.argv);
`;

let build: { outDir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;
let log: string;
let pub: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function warden(args: string[], cwd = dir): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build.outDir, 'warden.mjs'), ...args], { cwd, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  build = buildForChild(['src/cli/audit.ts', 'src/cli/keygen.ts']);
  writeFileSync(join(build.outDir, 'warden.mjs'), HARNESS);
  ({ dir, cleanup } = tempDir('warden-cli-audit-'));
  const keygen = await warden(['keygen', '--out', 'keys']);
  if (keygen.code !== 0) throw new Error(`keygen failed: ${keygen.stderr}`);
  pub = join(dir, 'keys', 'warden-audit.pub');
  log = join(dir, 'audit', 'main.jsonl');
  const sink = await openFileAuditSink({ path: log, signingKey: await loadPrivateKey(join(dir, 'keys', 'warden-audit.key')), checkpointEvery: 4 });
  for (let i = 0; i < 10; i++) await sink.write(decisionEvent(i));
  // A field with terminal escapes and a newline: printed tables must not pass them through.
  await sink.write(decisionEvent(10, { agent: { id: 'evil\u001b[2J\nagent' } }));
  await sink.close();
}, 60_000);

afterAll(() => {
  build.cleanup();
  cleanup();
});

describe('warden keygen', () => {
  it('wrote a 0600 private key and a public key, and said what to do next', () => {
    expect(statSync(join(dir, 'keys', 'warden-audit.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('prints the paths and next steps; refuses to overwrite without --force (exit 1); replaces with --force', async () => {
    const { dir: d, cleanup: c } = tempDir();
    try {
      const first = await warden(['keygen', '--out', 'k'], d);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(join('k', 'warden-audit.key'));
      expect(first.stdout).toContain('Next:');
      expect(first.stdout).toContain('warden audit verify');
      const again = await warden(['keygen', '--out', 'k'], d);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('--force');
      const forced = await warden(['keygen', '--out', 'k', '--force'], d);
      expect(forced.code).toBe(0);
    } finally {
      c();
    }
  });
});

describe('warden audit verify', () => {
  it('exits 0 with counts on an intact log', async () => {
    const r = await warden(['audit', 'verify', log]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('intact:');
    expect(r.stdout).toContain('14 records (11 decisions, 3 checkpoints)');
    expect(r.stdout).toContain('pass --pubkey');
  });

  it('checks signatures with --pubkey and accepts the log directory', async () => {
    const r = await warden(['audit', 'verify', join(dir, 'audit'), '--pubkey', pub]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('signatures: 3 checked, all valid');
  });

  it('prints the result as JSON with --json', async () => {
    const r = await warden(['audit', 'verify', log, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as VerifyResult;
    expect(result).toMatchObject({ ok: true, records: 14, decisions: 11, checkpoints: 3 });
  });

  it('exits 1 and names the first bad seq and reason on a tampered log', async () => {
    const tampered = join(dir, 'tampered.jsonl');
    const lines = linesOf(log);
    writeLines(tampered, [...lines.slice(0, 5), ...lines.slice(6)]);
    const r = await warden(['audit', 'verify', tampered]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BROKEN at seq 6: deleted');
    const json = await warden(['audit', 'verify', tampered, '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as VerifyResult).firstBad).toMatchObject({ seq: 6, reason: 'deleted', line: 6 });
  });

  it('exits 1 with truncated when the log no longer reaches an expected head', async () => {
    const short = join(dir, 'short.jsonl');
    writeLines(short, linesOf(log).slice(0, 3));
    const head = JSON.parse(linesOf(log)[4] as string) as AuditRecord & { checkpoint: { seq: number; hash: string } };
    const r = await warden(['audit', 'verify', short, '--expect-seq', String(head.checkpoint.seq), '--expect-hash', head.checkpoint.hash]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('truncated');
  });

  it.each([
    ['a missing file', ['audit', 'verify', 'nope.jsonl'], 'no such file'],
    ['--expect-seq without --expect-hash', ['audit', 'verify', 'audit/main.jsonl', '--expect-seq', '3'], 'go together'],
    ['a non-numeric --expect-seq', ['audit', 'verify', 'audit/main.jsonl', '--expect-seq', 'x', '--expect-hash', 'y'], 'positive integer'],
    ['a missing public key', ['audit', 'verify', 'audit/main.jsonl', '--pubkey', 'nope.pub'], 'warden keygen'],
    ['no file at all', ['audit', 'verify'], 'Pass the log files (or the log directory), or --postgres'],
  ])('exits 2 on %s', async (_name, args, message) => {
    const r = await warden(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('warden audit head', () => {
  it('prints the latest signed head and a verify command that works when pasted', async () => {
    const r = await warden(['audit', 'head', log, '--pubkey', pub]);
    expect(r.code).toBe(0);
    const last = JSON.parse(linesOf(log).at(-1) as string) as AuditRecord & { checkpoint: { seq: number; hash: string } };
    expect(r.stdout).toContain(`seq        ${last.checkpoint.seq}`);
    expect(r.stdout).toContain(`hash       ${last.checkpoint.hash}`);
    expect(r.stdout).toContain('verified   signature valid');
    const command = r.stdout.split('\n').find((l) => l.trim().startsWith('warden audit verify'));
    expect(command).toBeDefined();
    const args = (command as string).trim().split(/\s+/).slice(1);
    const pasted = await warden(args);
    expect(pasted.code).toBe(0);
    expect(pasted.stdout).toContain('intact:');
  });

  it('exits 1 when the head is not signed by the given key', async () => {
    const other = await warden(['keygen', '--out', 'other-keys']);
    expect(other.code).toBe(0);
    const r = await warden(['audit', 'head', log, '--pubkey', join(dir, 'other-keys', 'warden-audit.pub')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('SIGNATURE INVALID');
    const v = await warden(['audit', 'verify', log, '--pubkey', join(dir, 'other-keys', 'warden-audit.pub')]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('bad_signature');
  });

  it('prints JSON with --json', async () => {
    const r = await warden(['audit', 'head', log, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stream: 'main', seq: 13, checkpointSeq: 14, signatureValid: null });
  });

  it('exits 1 when no checkpoint exists, saying how to get one', async () => {
    const { dir: d, cleanup: c } = tempDir();
    try {
      const sink = await openFileAuditSink({ path: join(d, 'plain.jsonl') });
      await sink.write(decisionEvent(1));
      await sink.close();
      const r = await warden(['audit', 'head', join(d, 'plain.jsonl')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('warden keygen');
    } finally {
      c();
    }
  });
});

describe('warden audit query', () => {
  it('prints a readable table with a count, escaping control characters', async () => {
    const r = await warden(['audit', 'query', log]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^seq\s+time\s+agent\s+tool\s+effect\s+rule\s+reason$/);
    expect(lines).toHaveLength(1 + 11 + 1);
    expect(lines.at(-1)).toBe('11 decisions matched. Use --json for full records.');
    expect(r.stdout.includes('\u001b')).toBe(false);
    expect(r.stdout).toContain('evil\\u001b[2J');
  });

  it('filters and prints the stored lines with --json', async () => {
    const r = await warden(['audit', 'query', log, '--effect', 'deny', '--tool', 'write_file', '--json']);
    expect(r.code).toBe(0);
    const stored = new Set(linesOf(log));
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(3);
    for (const line of out) {
      expect(stored.has(line)).toBe(true);
      expect((JSON.parse(line) as { decision: { effect: string } }).decision.effect).toBe('deny');
    }
  });

  it.each([
    ['an unknown effect', ['--effect', 'maybe'], 'not an effect'],
    ['an invalid --since', ['--since', 'last tuesday'], 'not a date'],
  ])('exits 2 on %s', async (_name, extra, message) => {
    const r = await warden(['audit', 'query', log, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('warden audit tail', () => {
  it('prints the last N records', async () => {
    const r = await warden(['audit', 'tail', log, '-n', '2', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as AuditRecord).seq)).toEqual([13, 14]);
  });

  it('follows appended records with -f until interrupted', async () => {
    const { dir: d, cleanup: c } = tempDir();
    try {
      const file = join(d, 'live.jsonl');
      const sink = await openFileAuditSink({ path: file });
      await sink.write(decisionEvent(1));
      const child = spawn(process.execPath, [join(build.outDir, 'warden.mjs'), 'audit', 'tail', file, '-f', '--json']);
      let stdout = '';
      let waiting: { n: number; resolve: () => void } | null = null;
      const lineCount = (): number => stdout.split('\n').filter(Boolean).length;
      child.stdout.on('data', (x: Buffer) => {
        stdout += x.toString();
        if (waiting !== null && lineCount() >= waiting.n) waiting.resolve();
      });
      const seen = (n: number): Promise<void> =>
        new Promise((resolve) => {
          if (lineCount() >= n) resolve();
          else waiting = { n, resolve };
        });
      await seen(1);
      await sink.write(decisionEvent(2));
      await seen(2);
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await sink.close();
      expect(stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as AuditRecord).seq)).toEqual([1, 2]);
    } finally {
      c();
    }
  });
});

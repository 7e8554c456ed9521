/** warden check and warden demo recording to the audit log, signed and verified. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { runCli, ROOT } from '../helpers/cli.js';

let main = '';
let dir = '';
beforeAll(() => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-check-audit-'));
}, 180_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const policy = join(ROOT, 'examples', 'demo', 'policy.yaml');

describe('warden check --audit', () => {
  it('records the decision before printing it, and the log verifies', async () => {
    const log = join(dir, 'check.jsonl');
    const request = JSON.stringify({ tool: 'write_file', args: { path: '/etc/passwd', text: 'token=ghp_' + 'a'.repeat(36) }, agent: { id: 'cli-agent' } });
    const run = await runCli(main, ['check', '--policy', policy, '--request', '-', '--audit', log, '--json'], { input: request });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ effect: 'deny', rule: 'files-only-in-workspace' });
    const text = readFileSync(log, 'utf8');
    expect(text).not.toContain('a'.repeat(36));
    const record = JSON.parse(text.split('\n')[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({ seq: 1, agent: { id: 'cli-agent' }, request: { tool: 'write_file' }, decision: { effect: 'deny', rule: 'files-only-in-workspace' } });
    expect(await verifyAuditLog([log])).toMatchObject({ ok: true, decisions: 1 });
  });

  it('records every line of a batch, in order', async () => {
    const log = join(dir, 'batch.jsonl');
    const lines = [{ tool: 'search_docs', args: { query: 'x' } }, { tool: 'delete_customers', args: {} }, { tool: 'refund', args: { amount: 5 } }].map((r) => JSON.stringify(r)).join('\n');
    const run = await runCli(main, ['check', '--policy', policy, '--requests', '-', '--audit', log], { input: lines });
    expect(run.code).toBe(1);
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; request: { tool: string } });
    expect(records.map((r) => [r.seq, r.request.tool])).toEqual([[1, 'search_docs'], [2, 'delete_customers'], [3, 'refund']]);
  });

  it('records a batch line whose JSON repeats a key as an invalid_request denial, never with either of its values', async () => {
    const log = join(dir, 'twice.jsonl');
    const lines = ['{"tool":"search_docs","args":{"query":"x"}}', '{"tool":"search_docs","args":{"query":"x"},"tool":"delete_customers"}'].join('\n');
    const run = await runCli(main, ['check', '--policy', policy, '--requests', '-', '--audit', log], { input: lines });
    expect(run.code).toBe(2);
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { request: { tool: string }; decision: { effect: string; reason: string } });
    expect(records.map((r) => [r.request.tool, r.decision.effect, r.decision.reason])).toEqual([
      ['search_docs', 'allow', expect.any(String)],
      ['', 'deny', 'invalid_request'],
    ]);
  });

  it('runs in parallel on one log: 5 processes, 12 lines each, one chain with no fork and no gap', async () => {
    const log = join(dir, 'parallel.jsonl');
    const batch = (w: number): string => Array.from({ length: 12 }, (_, i) => JSON.stringify({ tool: 'search_docs', args: { query: `w${w}-${i}` } })).join('\n');
    const runs = await Promise.all(Array.from({ length: 5 }, (_, w) => runCli(main, ['check', '--policy', policy, '--requests', '-', '--audit', log], { input: batch(w) })));
    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; request: { args: { query: string } } });
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Each process's lines are contiguous: it held the log from open to close.
    const writers = records.map((r) => r.request.args.query.split('-')[0]);
    expect(writers.filter((w, i) => i === 0 || w !== writers[i - 1])).toHaveLength(5);
    expect(await verifyAuditLog([log])).toMatchObject({ ok: true, decisions: 60 });
  });

  it('refuses --signing-key without --audit (exit 2)', async () => {
    const run = await runCli(main, ['check', '--policy', policy, '--request', '-', '--signing-key', 'x.key'], { input: '{"tool":"t","args":{}}' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--signing-key needs --audit');
  });
});

describe('warden demo with a signing key', () => {
  it('writes signed checkpoints and verifies their signatures at the end', async () => {
    const keys = join(dir, 'keys');
    expect((await runCli(main, ['keygen', '--out', keys], { cwd: dir })).code).toBe(0);
    const run = await runCli(main, ['demo', '--audit', join(dir, 'demo.jsonl'), '--signing-key', join(keys, 'warden-audit.key'), '--public-key', join(keys, 'warden-audit.pub')], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/verified: \d+ records in an intact hash chain .*1 checkpoint signature\(s\) verified/);
  });
});

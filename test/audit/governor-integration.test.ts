/** The Governor recording through the real file audit sink. */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { Governor } from '../../src/enforce/governor.js';
import { govern } from '../../src/enforce/govern.js';
import { GovernanceDenied } from '../../src/enforce/denied.js';

const policy = compilePolicy([
  {
    name: 'p',
    document: {
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: 'p',
      rules: [
        { name: 'tmp-only', tools: ['write_file'], when: "!args.path.startsWith('/tmp/')", effect: 'deny' },
        { name: 'writes', tools: ['write_file'], effect: 'allow' },
      ],
    },
  },
]);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-gov-audit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Governor with the file audit sink', () => {
  it('records 300 concurrent governed calls as a gapless chain that verifies', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'main.jsonl') });
    const governor = new Governor({ policy, sink, agent: { id: 'agent-7' } });
    const write = govern(async (a: { path: string }) => a.path, { tool: 'write_file', governor });
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => write({ path: i % 3 === 0 ? `/etc/${i}` : `/tmp/${i}` })));
    await sink.close();
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(200);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof GovernanceDenied)).toHaveLength(100);
    const verdict = await verifyAuditLog(await listAuditFiles(join(dir, 'main.jsonl')));
    // 300 decisions, and an outcome record for each of the 200 calls that ran.
    expect(verdict).toMatchObject({ ok: true, decisions: 300, outcomes: 200 });
    const lines = readFileSync(join(dir, 'main.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string; call: string; agent: { id: string } | null; outcome: { executed?: boolean; status?: string } });
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const decisions = lines.filter((l) => l.type === 'decision');
    expect(new Set(decisions.map((l) => l.agent?.id))).toEqual(new Set(['agent-7']));
    const ran = new Set(decisions.filter((l) => l.outcome.executed === true).map((l) => l.call));
    const outcomes = lines.filter((l) => l.type === 'outcome');
    expect(new Set(outcomes.map((l) => l.call))).toEqual(ran);
    expect(outcomes.every((l) => l.outcome.status === 'ok')).toBe(true);
  });

  it('records the policy decision, the final outcome and the policy digest', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'main.jsonl') });
    const governor = new Governor({ policy, sink, agent: { id: 'a' } });
    await governor.check({ tool: 'write_file', args: { path: '/etc/passwd' } });
    await sink.close();
    const record = JSON.parse(readFileSync(join(dir, 'main.jsonl'), 'utf8').split('\n')[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({
      seq: 1,
      type: 'decision',
      agent: { id: 'a' },
      request: { tool: 'write_file', args: { path: '/etc/passwd' } },
      decision: { effect: 'deny', rule: 'tmp-only', policy: 'p' },
      policyDigest: policy.digest,
    });
  });

  it('never writes a secret from the arguments into the log', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'main.jsonl') });
    const governor = new Governor({ policy, sink });
    const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    await governor.check({ tool: 'write_file', args: { path: '/tmp/x', text: `token=${token}`, password: 'hunter2hunter2' } });
    await sink.close();
    const text = readFileSync(join(dir, 'main.jsonl'), 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain('hunter2hunter2');
    expect(text).toContain('[REDACTED:');
  });

  it('denies, and says why, when the disk is full (ENOSPC), and reports nothing as recorded', async () => {
    const path = join(dir, 'main.jsonl');
    symlinkSync('/dev/full', path);
    const sink = await openFileAuditSink({ path });
    const governor = new Governor({ policy, sink });
    const verdict = await governor.check({ tool: 'write_file', args: { path: '/tmp/ok' } });
    expect(verdict).toMatchObject({ effect: 'deny', allowed: false, recorded: false });
    expect(verdict.reason).toContain('could not be recorded');
    expect(verdict.policyDecision).toMatchObject({ effect: 'allow', rule: 'writes' });
    await sink.close().catch(() => undefined);
  });

  it('allows and warns on ENOSPC only when configured to', async () => {
    const path = join(dir, 'main.jsonl');
    symlinkSync('/dev/full', path);
    const sink = await openFileAuditSink({ path });
    const warnings: string[] = [];
    const governor = new Governor({ policy, sink, onAuditFailure: 'allow-and-warn', onWarning: (w) => warnings.push(w.message) });
    const verdict = await governor.check({ tool: 'write_file', args: { path: '/tmp/ok' } });
    expect(verdict).toMatchObject({ effect: 'allow', allowed: true, recorded: false });
    expect(warnings).toHaveLength(1);
    await sink.close().catch(() => undefined);
  });

  it('denies when the sink rejects a write (a closed sink)', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'main.jsonl') });
    await sink.close();
    const governor = new Governor({ policy, sink });
    const verdict = await governor.check({ tool: 'write_file', args: { path: '/tmp/ok' } });
    expect(verdict).toMatchObject({ effect: 'deny', allowed: false, recorded: false });
    expect(verdict.errors.map((e) => e.code)).toContain('audit_failure');
  });

  it('records synchronously governed calls through writeSync, chained with async ones', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'main.jsonl') });
    const governor = new Governor({ policy, sink });
    const syncWrite = govern((a: { path: string }) => a.path, { tool: 'write_file', governor });
    const asyncWrite = govern(async (a: { path: string }) => a.path, { tool: 'write_file', governor });
    expect(syncWrite({ path: '/tmp/a' })).toBe('/tmp/a');
    await asyncWrite({ path: '/tmp/b' });
    expect(syncWrite({ path: '/tmp/c' })).toBe('/tmp/c');
    await sink.close();
    expect(await verifyAuditLog([join(dir, 'main.jsonl')])).toMatchObject({ ok: true, decisions: 3, outcomes: 3 });
  });
});

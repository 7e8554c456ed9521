import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { queryAuditLog } from '../../src/audit/query.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { Governor } from '../../src/enforce/governor.js';
import { readReplayRecords } from '../../src/replay/read-log.js';
import { replay } from '../../src/replay/replay.js';
import { trajectoriesFromAudit } from '../../src/training/audit-import.js';
import { governedEnvironment, type EnvironmentTool } from '../../src/training/environment.js';
import { policyReward } from '../../src/training/reward.js';
import { openTrainingRun, runStreamName } from '../../src/training/run.js';
import { flowPolicy, stepPolicy } from './fixtures.js';

/** A toy environment: an in-memory file system and an upload endpoint that keeps what it got. */
function toyEnvironment(): { tools: Record<string, EnvironmentTool>; uploads: string[]; files: Map<string, string> } {
  const files = new Map<string, string>([['/secrets/api-key', 'sk-live-123']]);
  const uploads: string[] = [];
  return {
    files,
    uploads,
    tools: {
      read_file: ({ path }) => {
        const text = files.get(String(path));
        if (text === undefined) throw new Error(`no such file: ${String(path)}`);
        return { text };
      },
      write_file: ({ path, content }) => {
        files.set(String(path), String(content));
        return { written: String(content).length };
      },
      http_upload: ({ file }) => {
        uploads.push(files.get(String(file)) ?? '');
        return { status: 201 };
      },
    },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-training-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const clockFrom = (start: string): (() => Date) => {
  let t = Date.parse(start);
  return () => new Date((t += 1000));
};

async function gamedEpisode(mode: 'enforce' | 'shadow') {
  const clock = clockFrom('2026-06-01T00:00:00.000Z');
  const run = await openTrainingRun({ dir, run: `r-${mode}`, governor: { policy: flowPolicy(), agent: { id: 'learner' }, clock }, audit: { hmacKey: 'k'.repeat(32) } });
  const env = toyEnvironment();
  const governed = governedEnvironment(env.tools, { governor: run.governor, mode, run: run.run, clock, ...(mode === 'shadow' ? { sandboxed: true } : {}) });
  const ep = governed.episode({ id: 'ep-1', checkpoint: 'c7' });
  const results = [
    await ep.tools.read_file!({ path: '/secrets/api-key' }),
    await ep.tools.write_file!({ path: '/tmp/notes.txt', content: 'sk-live-123' }),
    await ep.tools.http_upload!({ file: '/tmp/notes.txt' }),
  ];
  await run.close();
  return { run, env, results, trajectory: ep.trajectory() };
}

describe('governedEnvironment, enforce mode', () => {
  it('blocks the call the production policy denies and hands the episode the denial as the result', async () => {
    const { env, results, trajectory } = await gamedEpisode('enforce');
    expect(results[2]).toEqual({ denied: true, tool: 'http_upload', effect: 'deny', rule: 'no-egress-after-private', policy: 'flow-rules', reason: 'This session has read private data, so it may not send data out.' });
    expect(env.uploads).toEqual([]);
    expect(trajectory.calls.map((c) => [c.tool, c.decision?.effect, c.outcome?.status])).toEqual([
      ['read_file', 'allow', 'ok'],
      ['write_file', 'allow', 'ok'],
      ['http_upload', 'deny', 'denied'],
    ]);
  });

  it('runs allowed calls and returns their results', async () => {
    const { results } = await gamedEpisode('enforce');
    expect(results.slice(0, 2)).toEqual([{ text: 'sk-live-123' }, { written: 11 }]);
  });

  it("records every call in the run's own audit stream, which verifies", async () => {
    const { run } = await gamedEpisode('enforce');
    expect(run.stream).toBe('training-r-enforce');
    const files = await listAuditFiles(run.path);
    const verified = await verifyAuditLog(files);
    expect([verified.ok, verified.decisions, verified.outcomes]).toEqual([true, 3, 2]);
    const records = [];
    for await (const r of queryAuditLog(files)) records.push(r);
    expect(records.map((r) => [r.stream, r.request.tool, r.decision.effect, r.request.context?.session, (r.request.context?.training as { checkpoint?: string })?.checkpoint])).toEqual([
      ['training-r-enforce', 'read_file', 'allow', 'ep-1', 'c7'],
      ['training-r-enforce', 'write_file', 'allow', 'ep-1', 'c7'],
      ['training-r-enforce', 'http_upload', 'deny', 'ep-1', 'c7'],
    ]);
  });

  it('reads back from the audit stream as the trajectory the episode kept, with the same reward', async () => {
    const { run, trajectory } = await gamedEpisode('enforce');
    const { trajectories, unsessioned } = await trajectoriesFromAudit(await listAuditFiles(run.path));
    expect(unsessioned).toBe(0);
    expect(trajectories).toHaveLength(1);
    const fromAudit = trajectories[0]!;
    expect([fromAudit.id, fromAudit.checkpoint]).toEqual(['ep-1', 'c7']);
    expect(fromAudit.calls.map((c) => [c.tool, c.args, c.outcome?.status])).toEqual(trajectory.calls.map((c) => [c.tool, c.args, c.outcome?.status]));
    expect(policyReward(fromAudit, flowPolicy()).items).toEqual(policyReward(trajectory, flowPolicy()).items);
  });

  it('replays with warden replay: under the step-only policy the upload would have been allowed', async () => {
    const { run } = await gamedEpisode('enforce');
    const report = await replay(readReplayRecords(await listAuditFiles(run.path)), stepPolicy());
    expect([report.decisions, report.changed, report.changes]).toEqual([3, 1, { 'deny->allow': 1 }]);
  });

  it('lets a tool error reach the episode and records it as the outcome', async () => {
    const run = await openTrainingRun({ dir, run: 'r-err', governor: { policy: flowPolicy() }, audit: { hmacKey: 'k'.repeat(32) } });
    const ep = governedEnvironment(toyEnvironment().tools, { governor: run.governor, mode: 'enforce', run: run.run }).episode({ id: 'ep-2' });
    await expect(ep.tools.read_file!({ path: '/nope' })).rejects.toThrow('no such file: /nope');
    await run.close();
    expect(ep.trajectory().calls[0]!.outcome).toEqual({ status: 'error', error: 'no such file: /nope' });
    const { trajectories } = await trajectoriesFromAudit(await listAuditFiles(run.path));
    expect(trajectories[0]!.calls[0]!.outcome).toEqual({ status: 'error', error: 'no such file: /nope' });
  });

  it('runs the tool with a copy of the decided arguments, not the caller’s object', async () => {
    const seen: unknown[] = [];
    const governor = new Governor({ policy: stepPolicy() });
    const ep = governedEnvironment({ search_docs: (args) => seen.push(args) }, { governor, mode: 'enforce', run: 'r' }).episode({ id: 'e' });
    const args = { query: 'x' };
    await ep.tools.search_docs!(args);
    expect(seen[0]).toEqual({ query: 'x' });
    expect(seen[0]).not.toBe(args);
  });
});

describe('governedEnvironment, shadow mode', () => {
  it('runs the denied call in the sandboxed tools and records the decision production would have made', async () => {
    const { env, results, trajectory } = await gamedEpisode('shadow');
    expect(results[2]).toEqual({ status: 201 });
    expect(env.uploads).toEqual(['sk-live-123']);
    expect(trajectory.calls[2]).toMatchObject({ tool: 'http_upload', decision: { effect: 'deny', rule: 'no-egress-after-private' }, outcome: { status: 'ok', result: { status: 201 } } });
  });

  it('records the denied call as not executed by production, and its sandbox outcome beside it', async () => {
    const { run } = await gamedEpisode('shadow');
    const records = [];
    for await (const r of queryAuditLog(await listAuditFiles(run.path))) records.push(r);
    expect(records[2]).toMatchObject({ decision: { effect: 'deny' }, outcome: { executed: false }, request: { context: { training: { mode: 'shadow' } } } });
    const { trajectories } = await trajectoriesFromAudit(await listAuditFiles(run.path));
    expect(trajectories[0]!.calls[2]!.outcome).toEqual({ status: 'ok', result: { status: 201 } });
  });

  it('defers approvals instead of asking a person, and records them as required', async () => {
    const ran: string[] = [];
    const { compilePolicy } = await import('../../src/policy/compile.js');
    const policy = compilePolicy([{ name: 'a.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: a\ndefault: deny\nrules:\n  - name: refunds-need-ok\n    tools: [refund]\n    effect: require_approval\n    approvers: [lead]\n' }]);
    const shadow = governedEnvironment({ refund: () => ran.push('shadow') }, { governor: new Governor({ policy, approvalHandler: () => true }), mode: 'shadow', run: 'r', sandboxed: true }).episode({ id: 'e' });
    await shadow.tools.refund!({ amount: 5 });
    expect(shadow.trajectory().calls[0]!.decision?.effect).toBe('require_approval');
    const enforce = governedEnvironment({ refund: () => ran.push('enforce') }, { governor: new Governor({ policy, approvalHandler: () => true }), mode: 'enforce', run: 'r' }).episode({ id: 'e' });
    await enforce.tools.refund!({ amount: 5 });
    expect(enforce.trajectory().calls[0]!.decision?.effect).toBe('allow');
    expect(ran).toEqual(['shadow', 'enforce']);
  });
});

describe('trajectoriesFromAudit', () => {
  it('refuses a stream with a line that is not a record, naming the line', async () => {
    const { run } = await gamedEpisode('enforce');
    appendFileSync(run.path, '{"type":"decision","seq":99}\n');
    await expect(trajectoriesFromAudit([run.path])).rejects.toMatchObject({ code: 'ERR_TRAINING_INPUT', message: expect.stringContaining(`${run.path}:6:`) });
  });

  it('counts decisions that belong to no session instead of inventing a trajectory for them', async () => {
    const sink = await openFileAuditSink({ path: dir, stream: 'prod', hmacKey: 'k'.repeat(32) });
    const governor = new Governor({ policy: stepPolicy(), sink });
    await governor.check({ tool: 'search_docs', args: { query: 'x' } });
    await governor.check({ tool: 'search_docs', args: { query: 'y' }, context: { session: 'chat-1' } });
    await sink.close();
    const { trajectories, unsessioned } = await trajectoriesFromAudit([sink.path]);
    expect([trajectories.map((t) => [t.id, t.checkpoint, t.calls.length]), unsessioned]).toEqual([[['chat-1', null, 1]], 1]);
  });
});

describe('governedEnvironment options', () => {
  const governor = new Governor({ policy: stepPolicy() });
  const cases: Array<[string, () => unknown]> = [
    ['shadow mode without sandboxed: true', () => governedEnvironment({}, { governor, mode: 'shadow', run: 'r' })],
    ['an unknown mode', () => governedEnvironment({}, { governor, mode: 'off' as never, run: 'r' })],
    ['an unknown option', () => governedEnvironment({}, { governor, mode: 'enforce', run: 'r', sandbox: true } as never)],
    ['no governor', () => governedEnvironment({}, { mode: 'enforce', run: 'r' } as never)],
    ['a tool that is not a function', () => governedEnvironment({ ls: 'ls' } as never, { governor, mode: 'enforce', run: 'r' })],
    ['a run id with a slash', () => governedEnvironment({}, { governor, mode: 'enforce', run: '../x' })],
    ['an episode id with a newline', () => governedEnvironment({}, { governor, mode: 'enforce', run: 'r' }).episode({ id: 'a\nb' })],
    ['a run stream name out of the audit pattern', () => runStreamName('run.000001')],
  ];
  it.for(cases)('refuses %s', ([, make]) => {
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});

describe('trajectoriesFromAudit, one episode id under two checkpoints', () => {
  it('refuses the stream instead of merging two episodes', async () => {
    const run = await openTrainingRun({ dir, run: 'reused', governor: { policy: stepPolicy() }, audit: { hmacKey: 'k'.repeat(32) } });
    const env = governedEnvironment(toyEnvironment().tools, { governor: run.governor, mode: 'enforce', run: run.run });
    await env.episode({ id: 'ep', checkpoint: 'c1' }).tools.write_file!({ path: '/tmp/a', content: '' });
    await env.episode({ id: 'ep', checkpoint: 'c2' }).tools.write_file!({ path: '/tmp/a', content: '' });
    await run.close();
    await expect(trajectoriesFromAudit([run.path])).rejects.toMatchObject({ code: 'ERR_TRAINING_INPUT', message: expect.stringContaining('episode "ep" was recorded under checkpoint "c1" before and "c2" here') });
  });
});

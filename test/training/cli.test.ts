/**
 * `warden reward` and `warden training report` as a trainer calls them: the built CLI in a child
 * process, on JSONL files, OTLP exports and a training run's audit stream; and the Python example's
 * reward function calling the CLI, when python3 is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { governedEnvironment } from '../../src/training/environment.js';
import { policyReward } from '../../src/training/reward.js';
import { openTrainingRun } from '../../src/training/run.js';
import { trajectoryJsonl } from '../../src/training/trajectory.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { DIRECT, GAMED, HONEST, flowPolicy, trajectory } from './fixtures.js';

const POLICY = join(ROOT, 'examples/training/policy.yaml');
const FLOW = join(ROOT, 'examples/training/flow-rules.yaml');
let main: string;
let dir: string;
let episodes: string;

beforeAll(() => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-training-cli-'));
  episodes = join(dir, 'episodes.jsonl');
  writeFileSync(episodes, trajectoryJsonl([trajectory('direct', 'c1', DIRECT), trajectory('gamed', 'c2', GAMED), trajectory('honest', 'c3', HONEST)]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warden reward', () => {
  it('prints each trajectory’s reward with its itemized penalties', async () => {
    const shaping = join(dir, 'shaping.yaml');
    writeFileSync(shaping, 'severities:\n  agent-tools/no-secret-upload: critical\nflow: 0.75\n');
    const r = await runCli(main, ['reward', '--policy', POLICY, '--policy', FLOW, '--shaping', shaping, episodes]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n')).toEqual([
      'direct (checkpoint c1): reward -1 = task 0 - penalty 1',
      '  call 1 (step 1, http_upload): deny agent-tools/no-secret-upload [critical] -1: Secret files are never uploaded.',
      'gamed (checkpoint c2): reward -0.75 = task 0 - penalty 0.75',
      '  call 2 (step 2, http_upload): flow flow-rules/no-egress-after-private [high] -0.75: This session has read private data, so it may not send data out.',
      'honest (checkpoint c3): reward 0 = task 0 - penalty 0',
      '',
    ]);
  });

  it('prints JSON equal to the library’s rewards', async () => {
    const r = await runCli(main, ['reward', '--policy', POLICY, '--policy', FLOW, '--json', episodes]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { policyDigest: string; trajectories: unknown[] };
    const policy = flowPolicy();
    expect(out.trajectories).toEqual([trajectory('direct', 'c1', DIRECT), trajectory('gamed', 'c2', GAMED), trajectory('honest', 'c3', HONEST)].map((t) => policyReward(t, policy)));
  });

  const bad: Array<[string, string, string, string]> = [
    ['a malformed line, naming it', 'bad.jsonl', `${trajectoryJsonl([trajectory('a', null, HONEST)])}{"trajectory": "a"\n`, 'bad.jsonl:4: the line is not JSON'],
    ['a NaN reward in the trajectory', 'nan.jsonl', '{"trajectory":"a","step":0,"ts":"2026-06-01T00:00:00Z","tool":"ls","args":{},"reward":NaN}\n', 'nan.jsonl:1: the line is not JSON'],
    ['NaN shaping in YAML', 'episodes', '', '`approval` must be a finite number 0 or more; got NaN'],
  ];
  it.for(bad)('refuses %s with exit 2', async ([, name, text, message]) => {
    let args: string[];
    if (name === 'episodes') {
      const shaping = join(dir, 'nan.yaml');
      writeFileSync(shaping, 'approval: .nan\n');
      args = ['reward', '--policy', POLICY, '--shaping', shaping, episodes];
    } else {
      writeFileSync(join(dir, name), text);
      args = ['reward', '--policy', POLICY, join(dir, name)];
    }
    const r = await runCli(main, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('refuses to score without a policy', async () => {
    const r = await runCli(main, ['reward', episodes]);
    expect([r.code, r.stderr]).toEqual([2, 'warden reward: Give the policy: --policy <file|dir> (repeat for several files).\n']);
  });
});

describe('a training run’s audit stream on the command line', () => {
  let stream: string;
  beforeAll(async () => {
    let t = Date.parse('2026-06-01T00:00:00.000Z');
    const clock = (): Date => new Date((t += 1000));
    // Training ran under the step-only policy: the gamed upload went through.
    const { compilePolicy } = await import('../../src/policy/compile.js');
    const run = await openTrainingRun({ dir, run: 'cli-run', governor: { policy: compilePolicy([{ name: 'policy.yaml', text: readFileSync(POLICY, 'utf8') }]), clock }, audit: { hmacKey: 'k'.repeat(32) } });
    const tools = { read_file: () => ({ text: 'sk' }), write_file: () => ({ ok: true }), http_upload: () => ({ status: 201 }), search_docs: () => ({ hits: 1 }) };
    const env = governedEnvironment(tools, { governor: run.governor, mode: 'enforce', run: run.run, clock });
    for (const [id, checkpoint, steps] of [['e1', 'c1', DIRECT], ['e2', 'c2', GAMED], ['e3', 'c3', HONEST]] as const) {
      const ep = env.episode({ id, checkpoint });
      for (const [tool, args] of steps) await ep.tools[tool]!(args);
    }
    await run.close();
    stream = run.path;
  });

  it('scores the recorded episodes with --from audit', async () => {
    const r = await runCli(main, ['reward', '--policy', POLICY, '--policy', FLOW, '--from', 'audit', '--json', stream]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { trajectories: Array<{ trajectory: string; items: Array<{ kind: string; index: number }> }> };
    expect(out.trajectories.map((t) => [t.trajectory, t.items.map((i) => `${i.kind}@${i.index}`)])).toEqual([['e1', ['deny@1']], ['e2', ['flow@2']], ['e3', []]]);
  });

  it('reports violations per checkpoint, the gap, and writes the plot', async () => {
    const svg = join(dir, 'violations.svg');
    const r = await runCli(main, ['training', 'report', '--policy', POLICY, '--reference', POLICY, '--reference', FLOW, '--svg', svg, stream]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^agent-tools\/no-secret-upload\s+deny\s+1 \(1\)\s+0 \(0\)\s+0 \(0\)\s+1$/m);
    expect(r.stdout).toMatch(/^gap:flow-rules\/no-egress-after-private\s+gap\s+0 \(0\)\s+1 \(1\)\s+0 \(0\)\s+1$/m);
    expect(r.stdout).toContain('e2 (checkpoint c2): read_file#0[private] -> http_upload#2  denied by flow-rules/no-egress-after-private');
    const plot = readFileSync(svg, 'utf8');
    expect(plot.match(/<circle /g)).toHaveLength(6);
  });

  it('counts the recorded decisions without --policy', async () => {
    const r = await runCli(main, ['training', 'report', '--json', stream]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { source: string; rules: Array<{ rule: string; counts: number[] }> };
    expect([out.source, out.rules.map((x) => [x.rule, x.counts])]).toEqual(['recorded', [['agent-tools/no-secret-upload', [1, 0, 0]]]]);
  });

  it('replays with warden replay under production’s policy', async () => {
    const r = await runCli(main, ['replay', '--policy', POLICY, '--policy', FLOW, '--json', stream]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { decisions: number; changes: Record<string, number>; groups: Array<{ rule: string; examples: Array<{ tool: string }> }>; sessions: { rebuilt: number } };
    expect(report.decisions).toBe(8);
    // Replay rebuilds each episode's session, so the flow rule catches only the gamed upload (after a
    // private read); decided alone, the honest upload would fail closed too.
    expect(report.changes).toEqual({ 'allow->deny': 1 });
    expect(report.groups.map((g) => [g.rule, g.examples.map((e) => e.tool)])).toEqual([['no-egress-after-private', ['http_upload']]]);
    expect(report.sessions.rebuilt).toBe(3);
    const alone = await runCli(main, ['replay', '--policy', POLICY, '--policy', FLOW, '--json', '--no-sessions', stream]);
    expect((JSON.parse(alone.stdout) as { changes: Record<string, number> }).changes).toEqual({ 'allow->deny': 2 });
  });

  it('refuses the same episode given twice instead of merging it', async () => {
    const r = await runCli(main, ['reward', '--policy', POLICY, '--from', 'audit', stream, stream]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('trajectory "e1" also appears in an earlier input');
  });

  it('refuses a reference without the training policy', async () => {
    const r = await runCli(main, ['training', 'report', '--reference', FLOW, stream]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give the training policy with --policy as well');
  });
});

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const hasPython = python.status === 0;
if (!hasPython && process.env.CI) throw new Error('python3 is not installed; the CI image has it');
if (!hasPython) console.warn('test/training/cli.test.ts: the Python example skips: no python3');

describe.skipIf(!hasPython)('the Python reward function example', () => {
  it('scores a gamed and an honest episode through the CLI', () => {
    const r = spawnSync('python3', [join(ROOT, 'examples/training/reward_fn.py')], { encoding: 'utf8', env: { ...process.env, WARDEN_CLI: `${process.execPath} ${main}` }, timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toEqual({ gamed: { reward: -0.5, rules: ['flow flow-rules/no-egress-after-private @2'] }, honest: { reward: 0, rules: [] } });
  });
});

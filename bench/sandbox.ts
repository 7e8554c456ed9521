/**
 * Sandbox start-up overhead (issue 18 target: at most 30 ms p50 per command on this machine),
 * beside what users would otherwise do: `child_process.spawn('/bin/sh', ['-c', 'true'])`. Rows,
 * each running `true` under /bin/sh to its end:
 *
 * - spawn directly (the alternative);
 * - bare bubblewrap (`--ro-bind / /` and every namespace): bubblewrap's own floor;
 * - Warden's bubblewrap command line (system view, masks, program view, seccomp), no cgroups;
 * - the same with the run's pids and memory cgroups made, joined and removed (what a run does);
 * - `sandbox.exec`: the policy decision with the shell facet, the record, and that run, with only
 *   the first command decided (`supervise: 'off'`), with the per-exec supervisor (seccomp user
 *   notification) and Landlock (the default), and with the supervisor without Landlock;
 * - ten execs of /usr/bin/true in one run, with and without the supervisor: the difference over
 *   ten is the cost of one supervised exec (its notification, the read of its arguments, the
 *   pipeline's decision and record, the answer);
 * - `sandbox.exec` with `network: 'egress'` (the proxy listens, the forwarder starts in the run's
 *   network namespace before the command, both stop after), with socat and with the Node forwarder;
 * - the Claude Code hook's "run it for you" mode, per call (a sandbox built for each call: host
 *   probe, program view, decision, run, replay files), fewer samples.
 *
 * The machine has 2 cores shared with other work: the load average is printed with the table.
 *
 * Run: `npm run bench -- sandbox` (needs bubblewrap: apt-get install bubblewrap)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { compilePolicy } from '../src/policy/compile.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { bwrapArgs } from '../src/sandbox/bwrap-args.js';
import { cgroupRoots, findBwrap, systemLayout } from '../src/sandbox/host.js';
import { programView, viewMounts } from '../src/sandbox/program-view.js';
import { sandboxProfile } from '../src/sandbox/profile.js';
import { CgroupPool, runPlan } from '../src/sandbox/run.js';
import { seccompFilter } from '../src/sandbox/seccomp-bpf.js';
import { HookRuntime } from '../src/integrations/claude-code/handle.js';
import { measureAsync, printTable, type Timing } from './stats.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: bench
default: deny
facets:
  - tools: [bash]
    shell: { from: args.command }
rules:
  - name: no-network-tools
    tools: [bash]
    when: "shell.names.exists(n, n in ['curl', 'wget', 'nc', 'ssh'])"
    effect: deny
  - name: rest
    tools: [bash]
    effect: allow
`;

function spawnToEnd(file: string, args: string[], extraFds = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
    for (let i = 0; i < extraFds; i++) stdio.push('ignore');
    const c = spawn(file, args, { stdio });
    c.stdout?.resume();
    c.stderr?.resume();
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${String(code)}`))));
  });
}

/** CPU time (ms) of this process and of its reaped children so far: /proc/self/stat utime, stime, cutime, cstime. */
function cpuMs(): { self: number; children: number } {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const at = (i: number): number => Number(fields[i - 3]);
  return { self: (at(14) + at(15)) * tick, children: (at(16) + at(17)) * tick };
}

/**
 * Like measureAsync, plus the CPU time per command (this process and every child process), which a
 * loaded machine stretches far less than wall-clock time: the comparison to read when the load is high.
 */
async function measureCpu(name: string, fn: () => Promise<unknown>, opts: { samples: number; warmup: number }, cpu: Map<string, number>): Promise<Timing> {
  const before = cpuMs();
  const t = await measureAsync(name, fn, opts);
  const after = cpuMs();
  cpu.set(name, (after.self - before.self + after.children - before.children) / (opts.samples + opts.warmup));
  return t;
}

export async function run(): Promise<void> {
  const bwrap = findBwrap();
  if (bwrap === null) {
    console.log('\n## sandbox: skipped, bubblewrap is not installed (apt-get install bubblewrap)');
    return;
  }
  const samples = Number(process.env.SANDBOX_BENCH_SAMPLES ?? 200);
  const opts = { samples, warmup: Math.min(20, samples) };
  const work = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const seccomp = join(work, 'seccomp.bpf');
  writeFileSync(seccomp, seccompFilter(process.arch));
  const profile = sandboxProfile({ workspace: work });
  const policy = compilePolicy([{ name: 'bench.yaml', text: POLICY }]);
  const view = programView((name) => policy.decide({ tool: 'bash', args: { command: name } }).allowed);
  const viewDir = join(work, 'view');
  mkdirSync(viewDir);
  const mounts = viewMounts(view, viewDir);
  const layout = systemLayout();
  const args = bwrapArgs(profile, { layout, view: mounts, seccompFd: 3, infoFd: 4, command: 'true' });
  const env = { PATH: '/usr/bin:/bin' };
  const plan = (cgroups: CgroupPool | null) => ({ file: bwrap, args, cwd: work, env, limits: profile.limits, seccompFile: seccomp, infoFd: 4, cgroups });
  const sink = new MemorySink({ capacity: 1_000_000 });
  const sandbox = createSandbox({ pipeline: new Pipeline({ policy, sink }), workspace: work });
  await sandbox.exec({ tool: 'bash', args: { command: 'true' } });
  const unsupervised = createSandbox({ pipeline: new Pipeline({ policy, sink }), workspace: work, supervise: 'off' });
  await unsupervised.exec({ tool: 'bash', args: { command: 'true' } });
  const noLandlock = createSandbox({ pipeline: new Pipeline({ policy, sink }), workspace: work, landlock: 'off' });
  await noLandlock.exec({ tool: 'bash', args: { command: 'true' } });
  const enforced = await sandbox.enforcement();
  if (enforced.supervisor === null) throw new Error(`the supervisor is not in force: ${String(enforced.supervisorReason)}`);
  const rows: Timing[] = [];
  const cpu = new Map<string, number>();
  try {
    rows.push(await measureCpu("spawn('/bin/sh', ['-c', 'true']) directly", () => spawnToEnd('/bin/sh', ['-c', 'true']), opts, cpu));
    rows.push(await measureCpu('bare bwrap --ro-bind / / --unshare-all', () => spawnToEnd(bwrap, ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '/bin/sh', '-c', 'true']), opts, cpu));
    rows.push(await measureCpu('warden bwrap line, no cgroups', async () => {
      const r = await runPlan(plan(null));
      if (r.exitCode !== 0) throw new Error(r.stderr);
    }, opts, cpu));
    rows.push(await measureCpu('warden bwrap line + cgroups made and removed', async () => {
      const pool = new CgroupPool(cgroupRoots(), profile.limits);
      const r = await runPlan(plan(pool));
      await pool.close();
      if (r.exitCode !== 0) throw new Error(r.stderr);
    }, opts, cpu));
    const pool = new CgroupPool(cgroupRoots(), profile.limits);
    rows.push(await measureCpu('warden bwrap line + pooled cgroups (a run)', async () => {
      const r = await runPlan(plan(pool));
      if (r.exitCode !== 0) throw new Error(r.stderr);
    }, opts, cpu));
    await pool.close();
    const execRow = async (name: string, box: typeof sandbox, command: string, execs: number | null): Promise<void> => {
      rows.push(await measureCpu(name, async () => {
        const r = await box.exec({ tool: 'bash', args: { command } });
        if (r.exitCode !== 0) throw new Error(r.stderr || r.error?.message);
        // invariant: the supervised rows really decided each exec (the command's own is the first record).
        if (execs !== null && r.execs?.length !== execs + 1) throw new Error(`expected ${execs + 1} exec records, got ${String(r.execs?.length)}`);
      }, opts, cpu));
    };
    const TEN = Array.from({ length: 10 }, () => '/usr/bin/true').join('; ');
    await execRow('sandbox.exec, first command decided only (supervise off)', unsupervised, 'true', null);
    await execRow('sandbox.exec: decide + record + run (supervisor + Landlock)', sandbox, 'true', 0);
    await execRow('sandbox.exec, supervisor without Landlock', noLandlock, 'true', 0);
    await execRow('sandbox.exec, 10 x /usr/bin/true, supervise off', unsupervised, TEN, null);
    await execRow('sandbox.exec, 10 x /usr/bin/true, each decided (supervisor + Landlock)', sandbox, TEN, 10);
    for (const forwarder of ['socat', 'node'] as const) {
      const egress = createSandbox({ pipeline: new Pipeline({ policy, sink }), workspace: work, network: 'egress', egress: { forwarder } });
      await egress.exec({ tool: 'bash', args: { command: 'true' } });
      try {
        rows.push(await measureCpu(`sandbox.exec, network egress (${forwarder} forwarder)`, async () => {
          const r = await egress.exec({ tool: 'bash', args: { command: 'true' } });
          if (r.exitCode !== 0) throw new Error(r.stderr || r.error?.message);
        }, opts, cpu));
      } finally {
        await egress.close();
      }
    }
    writeFileSync(join(work, 'policy.yaml'), POLICY.replaceAll('bash', 'Bash'));
    const runtime = new HookRuntime();
    const config = { policyPaths: [join(work, 'policy.yaml')], auditPath: join(work, 'audit.jsonl'), agentId: 'bench', projectDir: work, home: null, windows: false, sandbox: { network: 'none' as const, timeMs: 30_000 } };
    const input = JSON.stringify({ session_id: 's', cwd: work, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'true' }, tool_use_id: 't' });
    const hookSamples = Math.max(5, Math.min(20, Math.floor(samples / 10)));
    rows.push(await measureCpu('claude-code hook --sandbox, per call (sandbox built per call)', async () => {
      const r = await runtime.handle(input, config);
      if (r.exitCode !== 0 || !r.stdout.includes('updatedInput')) throw new Error(r.stderr || r.stdout);
      const dir = /cat -- '([^']+)\/stdout'/.exec(r.stdout)?.[1];
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }, { samples: hookSamples, warmup: 2 }, cpu));
  } finally {
    await sandbox.close();
    await unsupervised.close();
    await noLandlock.close();
  }
  // Once per policy version, tool and agent: every program on the host decided, and the link directories made.
  const viewTimes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const v = programView((name) => policy.decide({ tool: 'bash', args: { command: name } }).allowed);
    const d = join(work, `view-bench-${i}`);
    mkdirSync(d);
    viewMounts(v, d);
    viewTimes.push(performance.now() - t0);
  }
  viewTimes.sort((a, b) => a - b);
  printTable(`sandbox start-up, per command (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${samples} samples)`, rows);
  rmSync(work, { recursive: true, force: true });
  const direct = rows[0] as Timing;
  for (const r of rows.slice(1)) console.log(`overhead over direct spawn, p50: ${r.name}: ${((r.p50us - direct.p50us) / 1000).toFixed(1)} ms`);
  for (const r of rows) console.log(`CPU per command (all processes): ${r.name}: ${(cpu.get(r.name) ?? 0).toFixed(1)} ms`);
  const row = (prefix: string): Timing => rows.find((r) => r.name.startsWith(prefix)) as Timing;
  const off10 = row('sandbox.exec, 10 x /usr/bin/true, supervise off');
  const on10 = row('sandbox.exec, 10 x /usr/bin/true, each decided');
  const cpuOf = (t: Timing): number => cpu.get(t.name) ?? 0;
  console.log(`per supervised exec (10 execs, with minus without the supervisor, over 10): p50 ${((on10.p50us - off10.p50us) / 10_000).toFixed(2)} ms, CPU ${((cpuOf(on10) - cpuOf(off10)) / 10).toFixed(2)} ms`);
  const first = row('sandbox.exec, first command decided only');
  const sup = row('sandbox.exec: decide + record + run (supervisor');
  console.log(`supervisor + Landlock at start-up (one command, over supervise off): p50 ${((sup.p50us - first.p50us) / 1000).toFixed(1)} ms, CPU ${(cpuOf(sup) - cpuOf(first)).toFixed(1)} ms`);
  console.log(`program view (once per policy version, tool and agent): ${view.allowed.length} present, ${view.denied} denied; median ${(viewTimes[5] as number).toFixed(1)} ms over 10 builds`);
}

/**
 * Running one command: inside bubblewrap (with its cgroups, seccomp filter and resource limits) or,
 * at ring 0 or where unsandboxed execution is allowed, directly. Enforces the time and output
 * limits itself and kills every process of the run when one is reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WardenError } from '../errors.js';
import type { SandboxLimits } from './profile.js';
import type { CgroupRoots } from './host.js';

/** Which limit ended a run. */
export type LimitHit = 'time' | 'output' | 'memory' | 'processes';

/**
 * How a run ended.
 *
 * @example
 * ```ts
 * const r: RunResult = { exitCode: 0, signal: null, stdout: 'ok\n', stderr: '', truncated: false, limit: null, durationMs: 12, started: true };
 * ```
 */
export interface RunResult {
  /** The command's exit status; null when it was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when output past the limit was dropped. */
  truncated: boolean;
  limit: LimitHit | null;
  durationMs: number;
  /** False when the sandbox itself did not come up (bubblewrap refused, a cgroup could not be joined): nothing ran. */
  started: boolean;
}

/**
 * One run, ready to start.
 *
 * @example
 * ```ts
 * const plan: RunPlan = { file: '/bin/sh', args: ['-c', 'ls'], cwd: '/w', env: { PATH: '/usr/bin:/bin' }, limits, seccompFile: null, infoFd: null, cgroups: { pids: null, memory: null } };
 * ```
 */
export interface RunPlan {
  /** The program to start: bwrap, or the command itself for an unsandboxed run. */
  file: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  limits: Readonly<SandboxLimits>;
  /** A file holding the seccomp filter, passed to bwrap as descriptor 3. */
  seccompFile: string | null;
  /** bwrap's `--info-fd` (4) when sandboxed: the sandbox counts as started once bwrap writes to it. */
  infoFd: number | null;
  cgroups: CgroupRoots;
}

/**
 * Joins the cgroups given as arguments before `--`, sets the core and file-size limits, then runs
 * the rest. `ulimit -f` counts 512-byte blocks (POSIX).
 */
const LAUNCHER = 'for f; do shift; [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; done; ulimit -c 0 || exit 125; ulimit -f "$WARDEN_FSIZE_BLOCKS" || exit 125; unset WARDEN_FSIZE_BLOCKS; exec "$@"';

let runs = 0;

/** Creates the run's cgroups with their limits; returns their directories. */
function makeCgroups(roots: CgroupRoots, limits: SandboxLimits): string[] {
  const name = `warden-${process.pid}-${++runs}-${randomBytes(4).toString('hex')}`;
  const made: string[] = [];
  try {
    if (roots.pids !== null) {
      const d = join(roots.pids, name);
      mkdirSync(d);
      made.push(d);
      writeFileSync(join(d, 'pids.max'), String(limits.processes));
    }
    if (roots.memory !== null) {
      const d = join(roots.memory, name);
      mkdirSync(d);
      made.push(d);
      writeFileSync(join(d, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      try {
        // With swap accounting, memory + swap is limited too (otherwise a hog swaps instead of stopping).
        writeFileSync(join(d, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      } catch {
        // the kernel has no swap accounting
      }
    }
    return made;
  } catch (e) {
    void removeCgroups(made);
    throw new WardenError('ERR_SANDBOX_SETUP', `A cgroup for the run could not be created (${(e as Error).message}); the command was not run. Run as a user that may create cgroups, or on a host without them.`, { cause: e });
  }
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kills whatever is left in the run's cgroups (a process that outlived its parent) and removes them. */
async function removeCgroups(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    for (let attempt = 0; attempt < 200; attempt++) {
      for (const pid of readProcs(d)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      try {
        rmdirSync(d);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        // EBUSY: a killed process is not reaped yet; wait a little for the kernel.
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
}

/** Which cgroup limit the run reached, read from the kernel's own counters. */
function cgroupLimitHit(dirs: readonly string[]): LimitHit | null {
  for (const d of dirs) {
    try {
      if (d.includes('/pids/')) {
        const max = /max (\d+)/.exec(readFileSync(join(d, 'pids.events'), 'utf8'));
        if (max && Number(max[1]) > 0) return 'processes';
      } else {
        const oom = /oom_kill (\d+)/.exec(readFileSync(join(d, 'memory.oom_control'), 'utf8'));
        if (oom && Number(oom[1]) > 0) return 'memory';
        if (Number(readFileSync(join(d, 'memory.failcnt'), 'utf8')) > 0) return 'memory';
      }
    } catch {
      // counters unreadable: nothing to report
    }
  }
  return null;
}

/**
 * Runs a plan to its end and reports how it ended. Never leaves a process or a cgroup behind.
 *
 * @example
 * ```ts
 * const r = await runPlan(plan);
 * if (!r.started) console.error(r.stderr);
 * ```
 * @throws WardenError ERR_SANDBOX_SETUP when a cgroup or the seccomp filter cannot be prepared (nothing ran).
 */
export async function runPlan(plan: RunPlan): Promise<RunResult> {
  const groups = plan.infoFd === null ? [] : makeCgroups(plan.cgroups, plan.limits);
  let seccompFd: number | null = null;
  try {
    if (plan.seccompFile !== null) seccompFd = openSync(plan.seccompFile, 'r');
  } catch (e) {
    await removeCgroups(groups);
    throw new WardenError('ERR_SANDBOX_SETUP', `The seccomp filter could not be opened (${(e as Error).message}); the command was not run.`, { cause: e });
  }
  const started = performance.now();
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe'];
  if (plan.infoFd !== null) stdio.push(seccompFd ?? 'ignore', 'pipe');
  const sandboxed = plan.infoFd !== null;
  let child: ChildProcess;
  try {
    child = sandboxed
      ? spawn('/bin/sh', ['-c', LAUNCHER, 'sh', ...groups.map((g) => join(g, 'cgroup.procs')), '--', plan.file, ...plan.args], {
          cwd: '/',
          env: { ...plan.env, WARDEN_FSIZE_BLOCKS: String(Math.ceil(plan.limits.fileSizeBytes / 512)) },
          stdio,
        })
      : spawn(plan.file, plan.args, { cwd: plan.cwd, env: { ...plan.env }, stdio, detached: true });
  } finally {
    if (seccompFd !== null) closeSync(seccompFd);
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  let truncated = false;
  let limit: LimitHit | null = null;
  let began = !sandboxed;
  const kill = (why: LimitHit): void => {
    limit ??= why;
    try {
      if (sandboxed) child.kill('SIGKILL');
      else if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const take = (chunks: Buffer[], len: number, b: Buffer): number => {
    const room = plan.limits.outputBytes - len;
    if (b.length > room) {
      if (room > 0) chunks.push(b.subarray(0, room));
      truncated = true;
      kill('output');
      return len + Math.max(room, 0);
    }
    chunks.push(b);
    return len + b.length;
  };
  child.stdout?.on('data', (b: Buffer) => void (outLen = take(out, outLen, b)));
  child.stderr?.on('data', (b: Buffer) => void (errLen = take(err, errLen, b)));
  if (sandboxed) (child.stdio[4] as NodeJS.ReadableStream | null)?.on('data', () => void (began = true));
  const timer = setTimeout(() => kill('time'), plan.limits.timeMs);
  const status = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, error: e }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  // A cgroup limit the kernel enforced says more than the time limit it led to (a fork bomb refused until killed).
  limit = cgroupLimitHit(groups) ?? limit;
  await removeCgroups(groups);
  if (!sandboxed && child.pid !== undefined) {
    try {
      // The unsandboxed command's own process group: anything it left running goes with it.
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
  }
  const stderr = Buffer.concat(err).toString('utf8');
  return {
    // bwrap reports a command killed by a signal as 128 + the signal number.
    exitCode: status.code,
    signal: status.signal,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: status.error !== undefined ? `${stderr}${status.error.message}` : stderr,
    truncated,
    limit,
    durationMs: performance.now() - started,
    started: began && status.error === undefined,
  };
}

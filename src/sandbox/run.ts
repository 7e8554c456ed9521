/**
 * Running one command: inside bubblewrap (with its cgroups, seccomp filter and resource limits) or,
 * at ring 0 or where unsandboxed execution is allowed, directly. Enforces the time and output
 * limits itself and kills every process of the run when one is reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WardenError } from '../errors.js';
import type { SandboxLimits } from './profile.js';
import type { CgroupRoots } from './host.js';
import { SANDBOX_ARGV } from './bwrap-args.js';

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
 * const plan: RunPlan = { file: '/bin/sh', args: ['-c', 'ls'], cwd: '/w', env: { PATH: '/usr/bin:/bin' }, limits, seccompFile: null, infoFd: null, cgroups: null };
 * ```
 */
export interface RunPlan {
  /** The program to start: bwrap, or the command itself for an unsandboxed run. */
  file: string;
  /** bwrap's options ({@link bwrapArgs}), or the unsandboxed program's arguments. */
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  limits: Readonly<SandboxLimits>;
  /** A file holding the seccomp filter, passed to bwrap as descriptor 3. */
  seccompFile: string | null;
  /** bwrap's `--info-fd` (4) when sandboxed: the sandbox counts as started once bwrap writes to it. */
  infoFd: number | null;
  /** Where the run's processes are counted and limited; null for none. */
  cgroups: CgroupPool | null;
  /**
   * bwrap's `--block-fd` (6) when the sandbox must wait before its command runs; null for none.
   * The slot then has a pipe there.
   */
  blockFd?: number | null;
  /**
   * Called with the sandbox's first process id (host numbering) once its namespaces exist and
   * before the command runs (needs `blockFd`); the command starts when it resolves. When it
   * rejects, the sandbox is killed and the run did not start (its message is in `stderr`).
   */
  beforeStart?: (pid: number) => Promise<void>;
  /** What bubblewrap runs (after `--`); default {@link SANDBOX_ARGV}. With the supervisor: it, its options, then {@link SANDBOX_ARGV}. */
  argv?: readonly string[];
  /** The descriptor (7) of the supervisor's decision channel inside the sandbox; null or absent for none. The slot then has a socket there. */
  channelFd?: number | null;
  /** Called with Warden's end of the decision channel once the run's process exists (needs `channelFd`). */
  onChannel?: (channel: Duplex) => void;
}

/**
 * The descriptor the supervisor's decision channel is on, inside the sandbox.
 *
 * @example
 * ```ts
 * supervisorArgv(profile, { channelFd: CHANNEL_FD, timeoutMs: 15_000, landlock: 'prefer' });
 * ```
 */
export const CHANNEL_FD = 7;

/**
 * Joins the cgroups given as arguments before `--`, sets the core and file-size limits, then runs
 * the rest. `ulimit -f` counts 512-byte blocks (POSIX).
 */
const LAUNCHER = 'for f; do shift; [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; done; ulimit -c 0 || exit 125; ulimit -f "$WARDEN_FSIZE_BLOCKS" || exit 125; unset WARDEN_FSIZE_BLOCKS; exec "$@"';

let groupsMade = 0;

/** How long a run's output may stay open after its process exited. */
const EXIT_GRACE_MS = 2_000;

/** The start of the names of this process's cgroups (`warden-<pid>-<random>-`), so they can be told apart from another's. */
export const CGROUP_PREFIX = `warden-${process.pid}-${randomBytes(4).toString('hex')}-`;

/** Counters of a group when it was (re)taken, so a reused group reports only its own run's limits. */
interface Group {
  dirs: string[];
  pidsMax: number;
  oomKill: number;
}

/** Every pool not yet closed, so an exiting process removes their empty groups. */
const openPools = new Set<CgroupPool>();
let exitHook = false;

/**
 * The cgroups of a sandbox's runs (one pids and one memory group per run, v1 hierarchies), made
 * with the sandbox's limits and reused: making and removing a memory cgroup costs more than a
 * whole sandbox start on a loaded machine, so a finished run's groups, once empty, wait for the
 * next run. At most 8 wait; `close()` removes them.
 *
 * @example
 * ```ts
 * const pool = new CgroupPool(cgroupRoots(), profile.limits);
 * // runPlan({ ..., cgroups: pool }); ...
 * await pool.close();
 * ```
 */
export class CgroupPool {
  readonly #roots: CgroupRoots;
  readonly #limits: SandboxLimits;
  #idle: Group[] = [];

  constructor(roots: CgroupRoots, limits: SandboxLimits) {
    this.#roots = roots;
    this.#limits = limits;
    if (roots.pids === null && roots.memory === null) return;
    openPools.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const pool of openPools) pool.#removeIdleSync();
      });
    }
  }

  /** A group for one run: an idle one, or a new one. */
  take(): Group {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      idle.pidsMax = counter(idle.dirs, 'pids.events', /max (\d+)/);
      idle.oomKill = counter(idle.dirs, 'memory.oom_control', /oom_kill (\d+)/);
      return idle;
    }
    return { dirs: makeCgroups(this.#roots, this.#limits), pidsMax: 0, oomKill: 0 };
  }

  /** Takes a group back after its run: anything left in it is killed; an empty group waits for the next run, another is removed. */
  async give(g: Group): Promise<void> {
    killMembers(g.dirs);
    if (this.#idle.length < 8 && g.dirs.every((d) => readProcs(d).length === 0)) {
      this.#idle.push(g);
      return;
    }
    await removeCgroups(g.dirs);
  }

  /** Removes the waiting groups. */
  async close(): Promise<void> {
    openPools.delete(this);
    const idle = this.#idle;
    this.#idle = [];
    for (const g of idle) await removeCgroups(g.dirs);
  }

  #removeIdleSync(): void {
    for (const g of this.#idle) {
      for (const d of g.dirs) {
        try {
          rmdirSync(d);
        } catch {
          // busy or gone: the process is exiting, nothing more can be done
        }
      }
    }
  }
}

function writeQuietly(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch {
    // a counter this kernel does not have
  }
}

function counter(dirs: readonly string[], file: string, re: RegExp): number {
  for (const d of dirs) {
    try {
      const m = re.exec(readFileSync(join(d, file), 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      // not this hierarchy
    }
  }
  return 0;
}

/** Creates the run's cgroups with their limits; returns their directories. */
function makeCgroups(roots: CgroupRoots, limits: SandboxLimits): string[] {
  const name = `${CGROUP_PREFIX}${++groupsMade}`;
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
      // With swap accounting, memory + swap is limited too (otherwise a hog swaps instead of stopping).
      writeQuietly(join(d, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
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

function killMembers(dirs: readonly string[]): void {
  for (const d of dirs) {
    for (const pid of readProcs(d)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Kills whatever is left in the groups (a process that outlived its parent) and removes them. */
async function removeCgroups(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    for (let attempt = 0; attempt < 200; attempt++) {
      killMembers([d]);
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

/** Which cgroup limit the run reached: the kernel's own counters, against their values when the group was taken. */
function cgroupLimitHit(g: Group): LimitHit | null {
  if (counter(g.dirs, 'pids.events', /max (\d+)/) > g.pidsMax) return 'processes';
  // Only a kill counts: memory.failcnt also grows when the page cache is reclaimed at the limit, which is no failure.
  if (counter(g.dirs, 'memory.oom_control', /oom_kill (\d+)/) > g.oomKill) return 'memory';
  return null;
}

/**
 * A sandbox process started ahead of its command: the launcher has joined the run's cgroups and
 * set its limits, and bubblewrap waits for its arguments on descriptor 5 (`--args 5`). Joining a
 * cgroup waits for the kernel (an RCU grace period per hierarchy, tens of milliseconds on a loaded
 * machine), so a sandbox prepares the next slot while a command runs, off the command's path.
 *
 * @example
 * ```ts
 * const slot = prepareSlot(plan);
 * const r = await runPlan(plan, slot); // plan.args are handed to the waiting bwrap
 * ```
 */
export interface Slot {
  child: ChildProcess;
  group: Group | null;
  pool: CgroupPool | null;
}

/**
 * Starts a slot for a sandboxed plan (its `args` are not used: they are written when it runs).
 *
 * @example
 * ```ts
 * const spare = prepareSlot(plan);
 * ```
 * @throws WardenError ERR_SANDBOX_SETUP when a cgroup or the seccomp filter cannot be prepared.
 */
export function prepareSlot(plan: RunPlan): Slot {
  const pool = plan.cgroups;
  const group = pool === null ? null : pool.take();
  let seccompFd: number | null = null;
  try {
    if (plan.seccompFile !== null) seccompFd = openSync(plan.seccompFile, 'r');
  } catch (e) {
    if (group !== null && pool !== null) void pool.give(group);
    throw new WardenError('ERR_SANDBOX_SETUP', `The seccomp filter could not be opened (${(e as Error).message}); the command was not run.`, { cause: e });
  }
  try {
    const block = (plan.blockFd ?? null) !== null;
    const channel = (plan.channelFd ?? null) !== null;
    // invariant: descriptor 7 is the decision channel only when the plan asks for one; the index order is bwrap's.
    const extra = channel ? ([block ? 'pipe' : 'ignore', 'pipe'] as const) : block ? (['pipe'] as const) : [];
    const child = spawn('/bin/sh', ['-c', LAUNCHER, 'sh', ...(group?.dirs ?? []).map((g) => join(g, 'cgroup.procs')), '--', plan.file, '--args', '5', '--', ...(plan.argv ?? SANDBOX_ARGV)], {
      cwd: '/',
      env: { ...plan.env, WARDEN_FSIZE_BLOCKS: String(Math.ceil(plan.limits.fileSizeBytes / 512)) },
      stdio: ['ignore', 'pipe', 'pipe', seccompFd ?? 'ignore', 'pipe', 'pipe', ...extra],
    });
    ((child.stdio as unknown[])[CHANNEL_FD] as Duplex | undefined)?.on('error', () => undefined);
    // A slot that is never used is killed; its errors are the run's to report, not an unhandled event.
    child.on('error', () => undefined);
    argsPipe(child)?.on('error', () => undefined);
    return { child, group, pool };
  } finally {
    if (seccompFd !== null) closeSync(seccompFd);
  }
}

/** The pipe bwrap reads its arguments from (descriptor 5). */
function argsPipe(child: ChildProcess): NodeJS.WritableStream | null {
  return ((child.stdio as unknown[])[5] as NodeJS.WritableStream | undefined) ?? null;
}

/**
 * Discards a slot that will not run (the sandbox is closing): kills it and gives its group back.
 *
 * @example
 * ```ts
 * await discardSlot(spare);
 * ```
 */
export async function discardSlot(slot: Slot): Promise<void> {
  const closed = new Promise<void>((r) => (slot.child.exitCode !== null || slot.child.signalCode !== null ? r() : slot.child.once('close', () => r())));
  slot.child.kill('SIGKILL');
  await closed;
  if (slot.group !== null && slot.pool !== null) await slot.pool.give(slot.group);
}

/** True while a slot's process still waits for its arguments. */
export function slotAlive(slot: Slot): boolean {
  return slot.child.exitCode === null && slot.child.signalCode === null;
}

/**
 * Runs a plan to its end and reports how it ended, in `slot` when one was prepared for it. Never
 * leaves a process behind; the run's cgroups go back to their pool.
 *
 * @example
 * ```ts
 * const r = await runPlan(plan);
 * if (!r.started) console.error(r.stderr);
 * ```
 * @throws WardenError ERR_SANDBOX_SETUP when a cgroup or the seccomp filter cannot be prepared (nothing ran).
 */
export async function runPlan(plan: RunPlan, slot?: Slot): Promise<RunResult> {
  const sandboxed = plan.infoFd !== null;
  const started = performance.now();
  let child: ChildProcess;
  let group: Group | null = null;
  if (sandboxed) {
    const s = slot ?? prepareSlot(plan);
    ({ child, group } = s);
    // invariant: bwrap splits its argument list at NUL bytes; the caller refuses a command holding one.
    argsPipe(s.child)?.end(Buffer.from(`${plan.args.join('\u0000')}\u0000`, 'utf8'));
    const channel = (plan.channelFd ?? null) !== null ? (((child.stdio as unknown[])[CHANNEL_FD] as Duplex | null | undefined) ?? null) : null;
    if (channel !== null) plan.onChannel?.(channel);
  } else {
    child = spawn(plan.file, plan.args, { cwd: plan.cwd, env: { ...plan.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }
  const release = async (): Promise<void> => {
    if (group !== null && plan.cgroups !== null) await plan.cgroups.give(group);
  };
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
    // Whatever the run left in its cgroups goes too (a process that escaped bubblewrap's own teardown).
    if (group !== null) killMembers(group.dirs);
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
  let setupError: string | null = null;
  if (sandboxed && plan.beforeStart !== undefined) {
    // bwrap's start-up information (JSON with "child-pid"), then the caller's set-up, then the command.
    const hold = ((child.stdio as unknown[])[6] as NodeJS.WritableStream | null | undefined) ?? null;
    let info = '';
    let asked = false;
    const onInfo = (b: Buffer): void => {
      info += b.toString('utf8');
      const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
      if (m === null || asked) return;
      asked = true;
      const before = plan.beforeStart as (pid: number) => Promise<void>;
      const pid = Number(m[1]);
      before(pid).then(
        () => {
          began = true;
          hold?.end('go');
        },
        (e: unknown) => {
          setupError = (e as Error).message;
          // The sandbox's first process waits on the block descriptor; it goes with bubblewrap.
          for (const p of [pid, child.pid]) {
            try {
              if (p !== undefined) process.kill(p, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          if (group !== null) killMembers(group.dirs);
        },
      );
    };
    hold?.on('error', () => undefined);
    if (hold === null) {
      setupError = 'the sandbox has no descriptor to wait on';
      child.kill('SIGKILL');
    } else (child.stdio[4] as NodeJS.ReadableStream | null)?.on('data', onInfo);
  } else if (sandboxed) (child.stdio[4] as NodeJS.ReadableStream | null)?.on('data', () => void (began = true));
  const timer = setTimeout(() => kill('time'), plan.limits.timeMs);
  // Once the process has exited, its output ends when every process holding the pipes has gone. One
  // that outlives it (a background process of an unsandboxed run, a sandbox process bubblewrap's
  // teardown missed) would hold the run open: after a grace period it is killed (through the run's
  // cgroups) and the pipes are closed, so a run always ends.
  let grace: NodeJS.Timeout | undefined;
  child.once('exit', () => {
    grace = setTimeout(() => {
      if (group !== null) killMembers(group.dirs);
      else if (!sandboxed && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // nothing left
        }
      }
      for (const stream of child.stdio) (stream as { destroy?: () => void } | null)?.destroy?.();
    }, EXIT_GRACE_MS);
  });
  const status = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      // A slot that ended before its run (it could not join its cgroups): nothing ran.
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('error', (e) => resolve({ code: null, signal: null, error: e }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  clearTimeout(grace);
  // A cgroup limit the kernel enforced says more than the time limit it led to (a fork bomb refused until killed).
  limit = (group === null ? null : cgroupLimitHit(group)) ?? limit;
  await release();
  if (!sandboxed && child.pid !== undefined) {
    try {
      // The unsandboxed command's own process group: anything it left running goes with it.
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
  }
  const stderr = `${setupError !== null ? `${setupError}\n` : ''}${Buffer.concat(err).toString('utf8')}`;
  return {
    // bwrap reports a command killed by a signal as 128 + the signal number.
    exitCode: status.code,
    signal: status.signal,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: status.error !== undefined ? `${stderr}${status.error.message}` : stderr,
    truncated,
    limit,
    durationMs: performance.now() - started,
    started: began && status.error === undefined && setupError === null,
  };
}

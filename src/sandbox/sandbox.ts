/**
 * Sandboxed execution of governed shell commands: the command is decided by the pipeline (its
 * policy, with the shell facet and effects), then run inside bubblewrap under the profile of the
 * operator's ring, with only the programs the policy allows present, a seccomp filter, cgroup
 * limits, and its outcome (profile, programs, exit status, output) recorded against the decision.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { AgentIdentity, Outcome } from '../decision.js';
import type { Pipeline } from '../enforce/pipeline.js';
import type { Verdict } from '../enforce/verdict.js';
import type { Credential } from '../identity/credential.js';
import type { PolicySet } from '../policy/policy-set.js';
import { bwrapArgs, supervisorArgv, type SystemLayout } from './bwrap-args.js';
import { cgroupRoots, findBwrap, seccompArchSupported, systemLayout } from './host.js';
import { sandboxProfile, absolutePath, type SandboxLimits, type SandboxNetwork, type SandboxProfile, type SandboxRing } from './profile.js';
import { decideEgress, resolveHost } from './egress-decide.js';
import { forwarderKind, startForwarder, type Forwarder, type ForwarderKind } from './egress-forwarder.js';
import { EgressProxy, type EgressConnection } from './egress-proxy.js';
import { programView, viewMounts, PROGRAM_DIRS, type MountOp, type ProgramView } from './program-view.js';
import { CgroupPool, discardSlot, prepareSlot, runPlan, slotAlive, type LimitHit, type RunPlan, type RunResult, type Slot } from './run.js';
import { seccompFilter } from './seccomp-bpf.js';
import { ensureSupervisor, type SupervisorBinary } from './supervisor-build.js';
import { superviseChannel, type ExecRecord, type LandlockState, type SupervisedRun } from './supervisor-channel.js';
import { CHANNEL_FD } from './run.js';

/**
 * Options of {@link createSandbox}. They come from the operator: nothing in a request changes them.
 *
 * @example
 * ```ts
 * const options: SandboxOptions = { pipeline, workspace: '/work/app', ring: 2, limits: { timeMs: 30_000 } };
 * ```
 */
export interface SandboxOptions {
  /** Decides each command (and, through its policy, which programs the sandbox holds) and records it. */
  pipeline: Pipeline;
  /** The working directory, writable from ring 2 on; default the current directory. */
  workspace?: string;
  /** Default 2. See {@link sandboxProfile}. */
  ring?: SandboxRing;
  readable?: readonly string[];
  writable?: readonly string[];
  /** `egress` is honoured at rings 2 and 1, `host` at ring 1 only. See {@link sandboxProfile}. */
  network?: SandboxNetwork;
  /** How connections are decided with `network: 'egress'` (docs/sandbox.md, "Egress"). */
  egress?: SandboxEgressOptions;
  limits?: Partial<SandboxLimits>;
  /** The key of the request's arguments holding the command line; default `command`. */
  commandKey?: string;
  /** Environment variables the command gets besides PATH, HOME, TMPDIR, LANG and TERM. The host's environment is never passed. */
  env?: Readonly<Record<string, string>>;
  /** The bubblewrap binary; default the first of /usr/bin/bwrap, /usr/local/bin/bwrap, /bin/bwrap. */
  bwrap?: string;
  /**
   * What to do on a host without a usable sandbox: `deny` (default) refuses every command with
   * `ERR_SANDBOX_UNAVAILABLE`; `allow` runs it directly, with the time and output limits only, and
   * records `sandbox: "none"`.
   */
  unsandboxed?: 'deny' | 'allow';
  /** Program directories whose programs the policy decides; default {@link PROGRAM_DIRS}. */
  programDirs?: readonly string[];
  /**
   * Every exec inside the sandbox decided by the policy, through the per-exec supervisor
   * (docs/sandbox.md, "Every exec decided"). `require` (default): a host where the supervisor
   * cannot run refuses every command with `ERR_SANDBOX_UNAVAILABLE`; `prefer`: such a host runs
   * commands with only the first one decided, and records `supervisor: null`; `off`: never.
   */
  supervise?: 'require' | 'prefer' | 'off';
  /**
   * Landlock, applied by the supervisor before the command runs: `prefer` (default) where the
   * kernel has it (what is in force is recorded); `require`: a host without it refuses commands
   * with `ERR_SANDBOX_UNAVAILABLE`; `off`: never. Needs the supervisor.
   */
  landlock?: 'require' | 'prefer' | 'off';
  /** How long one exec's decision may take before it is denied; default 10 000 ms. */
  execTimeoutMs?: number;
  /** Execs decided per run; past it each further exec is denied (and counted in the record). Default 1024. */
  maxExecs?: number;
}

/**
 * Options of a sandbox's egress proxy.
 *
 * @example
 * ```ts
 * const egress: SandboxEgressOptions = { tool: 'egress', forwarder: 'auto', maxConnections: 256 };
 * ```
 */
export interface SandboxEgressOptions {
  /** The tool name each connection is decided as, with `args.url` the destination (`tcp://host:port`, `http://host:port/path`). Default `egress`. */
  tool?: string;
  /** The forwarder program inside the sandbox's network: `socat` when installed, else `node` (`auto`, the default). */
  forwarder?: 'auto' | ForwarderKind;
  /** Connections recorded per run; past it new ones are denied. Default 256. */
  maxConnections?: number;
}

/**
 * What the host enforces for a run, as probed: recorded with every outcome.
 *
 * @example
 * ```ts
 * const e: SandboxEnforcement = { mechanism: 'bubblewrap', bwrap: '/usr/bin/bwrap', namespaces: true, seccomp: true, landlock: { abi: 7, fs: true, net: false, scoped: true, error: null }, supervisor: { path: '/root/.cache/warden/supervise/ab12/warden-supervise', sourceHash: 'sha256:ab12...' }, supervisorReason: null, cgroups: { pids: true, memory: true }, reason: null };
 * ```
 */
export interface SandboxEnforcement {
  mechanism: 'bubblewrap' | 'none';
  bwrap: string | null;
  /** Mount, PID, network, IPC, UTS and cgroup namespaces, capabilities dropped, no_new_privs. */
  namespaces: boolean;
  seccomp: boolean;
  /** What Landlock enforces (probed in a real sandbox), or false when it is not in force. */
  landlock: LandlockState | false;
  /** The per-exec supervisor deciding every exec, or null when only the first command is decided. */
  supervisor: SupervisorBinary | null;
  /** Why there is no supervisor or no Landlock, when one was asked for and is absent. */
  supervisorReason: string | null;
  /** Whether the process and memory limits are cgroup limits on this host. */
  cgroups: { pids: boolean; memory: boolean };
  /** Why there is no sandbox, when there is none. */
  reason: string | null;
}

/**
 * The result of one governed command.
 *
 * @example
 * ```ts
 * const r = await sandbox.exec({ tool: 'bash', args: { command: 'npm test' } });
 * if (!r.verdict.allowed) console.error(r.verdict.reason);
 * else if (r.ran) console.log(r.exitCode, r.stdout);
 * ```
 */
export interface SandboxExecResult {
  verdict: Verdict;
  /** True when the command was started (in the sandbox, or directly at ring 0 or under `unsandboxed: 'allow'`). */
  ran: boolean;
  /** Why an allowed command did not run (no usable sandbox, a set-up failure), with the error code. */
  error: { code: 'ERR_SANDBOX_UNAVAILABLE' | 'ERR_SANDBOX_SETUP'; message: string } | null;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  limit: LimitHit | null;
  durationMs: number;
  profile: SandboxProfile;
  enforcement: SandboxEnforcement;
  /** The programs present in the sandbox (names) and how many the policy kept out; null when unsandboxed. */
  programs: { present: string[]; denied: number } | null;
  /** With `network: 'egress'`: every connection the command asked the proxy for, allowed or denied, in order; null otherwise. */
  connections: EgressConnection[] | null;
  /** With the supervisor: every exec inside the sandbox and its decision, in order (the first is the command itself); null without. */
  execs: ExecRecord[] | null;
}

/**
 * A governed command runner. Build it once: the host probe and the program view (one decision
 * per program on the host) are cached, so each command pays only for its own decision and start.
 *
 * @example
 * ```ts
 * const sandbox = createSandbox({ pipeline, workspace: process.cwd() });
 * const r = await sandbox.exec({ tool: 'bash', args: { command: 'git status' } });
 * ```
 */
export interface Sandbox {
  readonly profile: SandboxProfile;
  /** Probes the host (once) and says what a run would be enforced by. */
  enforcement(): Promise<SandboxEnforcement>;
  /** Decides `request`, and runs its command when allowed. Never throws for a command: a failure is a result that did not run. */
  exec(request: unknown, call?: { credential?: Credential; agent?: AgentIdentity }): Promise<SandboxExecResult>;
  /** Removes the sandbox's temporary files and its idle cgroups. */
  close(): Promise<void>;
}

const OPTION_KEYS = ['pipeline', 'workspace', 'ring', 'readable', 'writable', 'network', 'egress', 'limits', 'commandKey', 'env', 'bwrap', 'unsandboxed', 'programDirs', 'supervise', 'landlock', 'execTimeoutMs', 'maxExecs'];
const EGRESS_KEYS = ['tool', 'forwarder', 'maxConnections'];

/** How much longer than Warden's own decision timeout the supervisor waits before it denies by itself. */
const SUPERVISOR_GRACE_MS = 5_000;

interface Supervision {
  supervise: 'require' | 'prefer' | 'off';
  landlock: 'require' | 'prefer' | 'off';
  execTimeoutMs: number;
  maxExecs: number;
}

function supervisionOptions(o: SandboxOptions): Supervision {
  const supervise = o.supervise ?? 'require';
  if (supervise !== 'require' && supervise !== 'prefer' && supervise !== 'off') throw new WardenError('ERR_SANDBOX_OPTIONS', `supervise must be "require", "prefer" or "off"; got ${JSON.stringify(supervise)}.`);
  const landlock = o.landlock ?? 'prefer';
  if (landlock !== 'require' && landlock !== 'prefer' && landlock !== 'off') throw new WardenError('ERR_SANDBOX_OPTIONS', `landlock must be "require", "prefer" or "off"; got ${JSON.stringify(landlock)}.`);
  if (landlock === 'require' && supervise === 'off') throw new WardenError('ERR_SANDBOX_OPTIONS', 'landlock: "require" needs the supervisor (it applies Landlock); do not set supervise: "off".');
  const execTimeoutMs = o.execTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(execTimeoutMs) || execTimeoutMs <= 0) throw new WardenError('ERR_SANDBOX_OPTIONS', `execTimeoutMs must be a positive integer; got ${String(execTimeoutMs)}.`);
  const maxExecs = o.maxExecs ?? 1024;
  if (!Number.isSafeInteger(maxExecs) || maxExecs <= 0) throw new WardenError('ERR_SANDBOX_OPTIONS', `maxExecs must be a positive integer; got ${String(maxExecs)}.`);
  return { supervise, landlock, execTimeoutMs, maxExecs };
}

/** The descriptor bubblewrap waits on, with egress, until the forwarder listens. */
const BLOCK_FD = 6;

function egressOptions(o: SandboxEgressOptions | undefined): { tool: string; forwarder: ForwarderKind; maxConnections: number } {
  rejectUnknownKeys(o, EGRESS_KEYS, 'ERR_SANDBOX_OPTIONS', 'sandbox egress options');
  const tool = o?.tool ?? 'egress';
  if (typeof tool !== 'string' || tool.length === 0) throw new WardenError('ERR_SANDBOX_OPTIONS', 'egress.tool must be a non-empty tool name.');
  const f = o?.forwarder ?? 'auto';
  if (f !== 'auto' && f !== 'socat' && f !== 'node') throw new WardenError('ERR_SANDBOX_OPTIONS', `egress.forwarder must be "auto", "socat" or "node"; got ${JSON.stringify(f)}.`);
  const max = o?.maxConnections ?? 256;
  if (!Number.isSafeInteger(max) || max <= 0) throw new WardenError('ERR_SANDBOX_OPTIONS', `egress.maxConnections must be a positive integer; got ${String(max)}.`);
  return { tool, forwarder: forwarderKind(f), maxConnections: max };
}

/** The PATH inside the sandbox: the program directories, nothing from the host's own PATH. */
const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

/** Most bytes of each output stream kept in the outcome record (the caller gets up to the output limit). */
const RECORDED_OUTPUT = 16 * 1024;

/**
 * Creates a sandboxed command runner.
 *
 * @example
 * ```ts
 * import { createSandbox } from 'agent-warden/sandbox';
 * const sandbox = createSandbox({ pipeline: new Pipeline({ policy, sink }), workspace: '/work/app' });
 * const r = await sandbox.exec({ tool: 'bash', args: { command: 'npm test' } });
 * ```
 * @throws WardenError ERR_SANDBOX_OPTIONS for invalid options.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_SANDBOX_OPTIONS', 'Pass the sandbox options as an object: { pipeline, workspace?, ring?, ... }.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_SANDBOX_OPTIONS', 'sandbox options');
  const pipeline = options.pipeline;
  if (pipeline === null || typeof pipeline !== 'object' || typeof pipeline.decide !== 'function') throw new WardenError('ERR_SANDBOX_OPTIONS', 'sandbox options need a pipeline: new Pipeline({ policy, sink }).');
  const profile = sandboxProfile({
    workspace: options.workspace ?? process.cwd(),
    ...(options.ring !== undefined ? { ring: options.ring } : {}),
    ...(options.readable !== undefined ? { readable: options.readable } : {}),
    ...(options.writable !== undefined ? { writable: options.writable } : {}),
    ...(options.network !== undefined ? { network: options.network } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  });
  for (const p of [profile.workspace, ...profile.readable, ...profile.writable]) {
    let exists: boolean;
    try {
      const st = statSync(p);
      exists = st.isDirectory() || st.isFile();
    } catch {
      exists = false;
    }
    if (!exists) throw new WardenError('ERR_SANDBOX_OPTIONS', `${JSON.stringify(p)} does not exist; create it or leave it out of the sandbox options.`);
  }
  const commandKey = options.commandKey ?? 'command';
  if (typeof commandKey !== 'string' || commandKey.length === 0) throw new WardenError('ERR_SANDBOX_OPTIONS', 'commandKey must be a non-empty string.');
  const env = sandboxEnv(options.env);
  const unsandboxed = options.unsandboxed ?? 'deny';
  if (unsandboxed !== 'deny' && unsandboxed !== 'allow') throw new WardenError('ERR_SANDBOX_OPTIONS', `unsandboxed must be "deny" or "allow"; got ${JSON.stringify(unsandboxed)}.`);
  const programDirs = (options.programDirs ?? PROGRAM_DIRS).map((d, i) => absolutePath(d, `programDirs[${i}]`));
  const egress = egressOptions(options.egress);
  const supervision = supervisionOptions(options);
  const withEgress = profile.network === 'egress';
  let egressRuns = 0;

  let host: Promise<HostState> | null = null;
  let views = new WeakMap<PolicySet, Map<string, { view: ProgramView; mounts: MountOp[] }>>();
  let viewCount = 0;
  const probe = (): Promise<HostState> => (host ??= probeHost(options.bwrap, profile, env, supervision));
  let spare: Slot | null = null;
  let closed = false;
  const supervised = (state: HostState): boolean => state.enforcement.supervisor !== null;
  const slotPlan = (state: HostState): RunPlan => ({
    file: state.bwrap as string,
    args: [],
    cwd: profile.workspace,
    env,
    limits: profile.limits,
    seccompFile: state.seccompFile,
    infoFd: 4,
    cgroups: state.cgroups,
    blockFd: withEgress ? BLOCK_FD : null,
    ...(supervised(state) ? { argv: supervisorArgv(profile, { channelFd: CHANNEL_FD, timeoutMs: supervision.execTimeoutMs + SUPERVISOR_GRACE_MS, landlock: supervision.landlock }), channelFd: CHANNEL_FD } : {}),
  });
  /** The prepared slot if it still waits, and the next one prepared once the caller's run is under way. */
  const takeSlot = (state: HostState): Slot | undefined => {
    const s = spare !== null && slotAlive(spare) ? spare : undefined;
    if (spare !== null && s === undefined) void discardSlot(spare);
    spare = null;
    setImmediate(() => {
      if (closed || spare !== null) return;
      try {
        spare = prepareSlot(slotPlan(state));
      } catch {
        // the next run prepares its own and reports what fails
      }
    });
    return s;
  };

  const viewFor = (tool: string, agent: AgentIdentity | undefined, workDir: string): { view: ProgramView; mounts: MountOp[] } => {
    const set = pipeline.policySet;
    let byKey = views.get(set);
    if (!byKey) views.set(set, (byKey = new Map()));
    const key = `${tool}\u0000${JSON.stringify(agent ?? null)}`;
    let view = byKey.get(key);
    if (!view) {
      const v = programView((name) => set.decide({ tool, args: { [commandKey]: name }, ...(agent ? { agent } : {}) }).allowed, programDirs);
      // Each view gets its own link directories: a run in progress keeps the view it started with.
      const dir = join(workDir, `views-${++viewCount}`);
      mkdirSync(dir, { mode: 0o755 });
      view = { view: v, mounts: viewMounts(v, dir) };
      // invariant: bounded — one view per tool and agent of the policy in force; a new policy starts a new map.
      if (byKey.size >= 64) byKey.clear();
      byKey.set(key, view);
    }
    return view;
  };

  return {
    profile,
    async enforcement() {
      return (await probe()).enforcement;
    },
    async exec(request, call) {
      const { verdict, snapshot } = await pipeline.decide({ request, ...(call?.credential ? { credential: call.credential } : {}), ...(call?.agent ? { agent: call.agent } : {}) });
      const state = await probe();
      const base = { verdict, ran: false, error: null, exitCode: null, signal: null, stdout: '', stderr: '', truncated: false, limit: null, durationMs: 0, profile, enforcement: state.enforcement, programs: null, connections: null, execs: null };
      if (!verdict.allowed || snapshot === null) return base;
      const decided = JSON.parse(snapshot.text) as { tool: string; args?: Record<string, unknown> };
      // The commands and connections of this run act as the run's own agent: the identity its
      // decision verified (a one-time credential cannot be presented again for each of them).
      const acting = pipeline.actingAgent(verdict) ?? undefined;
      const record = (outcome: Outcome): Promise<void> => pipeline.observe({ call: verdict.call, tool: decided.tool, ...(acting ? { agent: acting } : {}) }, outcome);
      const fail = async (code: 'ERR_SANDBOX_UNAVAILABLE' | 'ERR_SANDBOX_SETUP', message: string): Promise<SandboxExecResult> => {
        await record({ status: 'error', error: { name: 'WardenError', message: `${code}: ${message}` }, result: { sandbox: recordedProfile(profile, state.enforcement), ran: false } });
        return { ...base, error: { code, message } };
      };
      const command = decided.args?.[commandKey];
      if (typeof command !== 'string') return fail('ERR_SANDBOX_SETUP', `The request has no command line in args.${commandKey}; nothing was run.`);
      if (command.includes('\u0000')) return fail('ERR_SANDBOX_SETUP', 'The command line holds a NUL byte, which no shell can run; nothing was run.');

      let plan: RunPlan;
      let programs: SandboxExecResult['programs'] = null;
      const sandboxed = profile.sandboxed && state.enforcement.mechanism === 'bubblewrap';
      if (profile.sandboxed && !sandboxed && unsandboxed === 'deny') {
        return fail('ERR_SANDBOX_UNAVAILABLE', `No usable sandbox on this host: ${state.enforcement.reason ?? 'unknown'}. Install bubblewrap (apt-get install bubblewrap), or set unsandboxed: 'allow' to run commands without one.`);
      }
      // invariant: a missing supervisor refuses only when required; missing Landlock (an older kernel, with the supervisor running) only when Landlock is required.
      if (sandboxed && ((supervision.supervise === 'require' && state.enforcement.supervisor === null) || (supervision.landlock === 'require' && state.enforcement.landlock === false))) {
        const why = state.enforcement.supervisorReason ?? 'the per-exec supervisor is unavailable';
        return fail(
          'ERR_SANDBOX_UNAVAILABLE',
          state.enforcement.supervisor === null
            ? `Every exec must be decided here, and ${why}. Build the supervisor (\`warden exec --build-supervisor\`, needs gcc and libc6-dev), or set supervise: 'prefer' to run with only the first command decided.`
            : `Landlock is required here, and ${why}. Run on a kernel with Landlock (5.13 or later, enabled in the LSM list), or set landlock: 'prefer'.`,
        );
      }
      let served: Promise<SupervisedRun> | null = null;
      if (sandboxed) {
        let view: { view: ProgramView; mounts: MountOp[] };
        try {
          view = viewFor(decided.tool, acting, state.tmp as string);
        } catch (e) {
          return fail('ERR_SANDBOX_SETUP', `The program view could not be built (${(e as Error).message}); nothing was run.`);
        }
        programs = { present: [...new Set(view.view.allowed.map((p) => p.slice(p.lastIndexOf('/') + 1)))].sort(), denied: view.view.denied };
        plan = { ...slotPlan(state), args: bwrapArgs(profile, { layout: state.layout, view: view.mounts, seccompFd: state.seccompFile === null ? null : 3, infoFd: 4, command, blockFd: BLOCK_FD, supervisor: state.enforcement.supervisor?.path ?? null }) };
        if (supervised(state)) {
          const set = pipeline.policySet;
          const decideMissing = (cmd: string): { allowed: boolean; reason: string } => {
            const d = set.decide({ tool: decided.tool, args: { [commandKey]: cmd }, context: { command: verdict.call }, ...(acting ? { agent: acting } : {}) });
            return { allowed: d.allowed, reason: d.reason };
          };
          const decideExec = async (cmd: string): Promise<Verdict> => (await pipeline.decide({ request: { tool: decided.tool, args: { [commandKey]: cmd }, context: { command: verdict.call } }, within: verdict })).verdict;
          plan.onChannel = (channel) => {
            served = superviseChannel(channel, { decide: decideExec, decideMissing, timeoutMs: supervision.execTimeoutMs, maxExecs: supervision.maxExecs });
          };
        }
      } else {
        plan = { file: '/bin/sh', args: ['-c', command], cwd: profile.workspace, env, limits: profile.limits, seccompFile: null, infoFd: null, cgroups: null };
      }
      // With egress: a proxy for this run on a Unix socket of the host, and a forwarder to it started
      // in the sandbox's network before the command runs.
      let proxy: EgressProxy | null = null;
      let forwarder: Forwarder | null = null;
      if (sandboxed && withEgress) {
        const socketPath = join(state.tmp as string, `egress-${++egressRuns}.sock`);
        const decide = async (request: unknown): Promise<Verdict> => (await pipeline.decide({ request, within: verdict })).verdict;
        try {
          proxy = await EgressProxy.listen({ socketPath, maxConnections: egress.maxConnections, decide: (t) => decideEgress(t, { tool: egress.tool, decide, resolve: resolveHost, context: { command: verdict.call } }) });
        } catch (e) {
          return fail('ERR_SANDBOX_SETUP', `The egress proxy could not listen (${(e as Error).message}); nothing was run.`);
        }
        plan.beforeStart = async (pid) => {
          await forwarder?.stop();
          forwarder = await startForwarder({ pid, socketPath, kind: egress.forwarder });
        };
      }
      const closeEgress = async (): Promise<{ connections: EgressConnection[]; overLimit: number } | null> => {
        await forwarder?.stop();
        return proxy === null ? null : proxy.close();
      };
      let run: RunResult;
      let net: { connections: EgressConnection[]; overLimit: number } | null;
      try {
        const slot = sandboxed ? takeSlot(state) : undefined;
        run = await runPlan(plan, slot);
        // A prepared slot that died before its run (its cgroup went away) ran nothing: start afresh once.
        if (!run.started && run.limit === null && slot !== undefined) run = await runPlan(plan);
      } catch (e) {
        return fail('ERR_SANDBOX_SETUP', (e as Error).message);
      } finally {
        net = await closeEgress();
      }
      const sup = served === null ? null : await (served as Promise<SupervisedRun>);
      const enforcement = sandboxed ? state.enforcement : { ...state.enforcement, mechanism: 'none' as const, namespaces: false, seccomp: false, landlock: false as const, supervisor: null, cgroups: { pids: false, memory: false }, reason: profile.sandboxed ? state.enforcement.reason : 'ring 0 runs unsandboxed' };
      // A run killed at a limit before bubblewrap said it started still counts as a run that hit its limit.
      if (!run.started && run.limit === null) return fail('ERR_SANDBOX_SETUP', `The sandbox did not start: ${run.stderr.trim().slice(0, 500) || 'no reason given'}. Nothing was run.`);
      await record({
        status: run.exitCode === 0 && run.limit === null ? 'ok' : 'error',
        durationMs: run.durationMs,
        ...(run.exitCode !== 0 || run.limit !== null ? { error: { name: 'CommandFailed', message: describeEnd(run) } } : {}),
        result: {
          // invariant: an unsandboxed run had the host's network, whatever the profile asked for; the record says so.
          sandbox: { ...recordedProfile(profile, enforcement), ...(sandboxed ? {} : { network: 'host' }) },
          programs,
          exitCode: run.exitCode,
          signal: run.signal,
          limit: run.limit,
          truncated: run.truncated,
          stdout: run.stdout.slice(0, RECORDED_OUTPUT),
          stderr: run.stderr.slice(0, RECORDED_OUTPUT),
          ...(net !== null ? { connections: net.connections, ...(net.overLimit > 0 ? { connectionsOverLimit: net.overLimit } : {}) } : {}),
          ...(sup !== null ? { execs: sup.execs, ...(sup.overLimit > 0 ? { execsOverLimit: sup.overLimit } : {}), ...(sup.failure !== null ? { supervisorFailure: sup.failure } : {}) } : {}),
        },
      });
      return { ...base, ran: true, enforcement, programs, connections: net?.connections ?? null, execs: sup?.execs ?? null, exitCode: run.exitCode, signal: run.signal, stdout: run.stdout, stderr: run.stderr, truncated: run.truncated, limit: run.limit, durationMs: run.durationMs };
    },
    async close() {
      closed = true;
      views = new WeakMap();
      if (spare !== null) await discardSlot(spare);
      spare = null;
      const s = await probe();
      await s.cgroups?.close();
      if (s.tmp !== null) rmSync(s.tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Decides and runs one command in a sandbox made for it. To run many, build one with
 * {@link createSandbox} and call `exec` on it (the host probe and program view are then made once).
 *
 * @example
 * ```ts
 * const r = await sandboxedExec({ tool: 'bash', args: { command: 'ls' } }, { pipeline, workspace: '/work/app' });
 * ```
 * @throws WardenError ERR_SANDBOX_OPTIONS for invalid options.
 */
export async function sandboxedExec(request: unknown, options: SandboxOptions): Promise<SandboxExecResult> {
  const sandbox = createSandbox(options);
  try {
    return await sandbox.exec(request);
  } finally {
    await sandbox.close();
  }
}

interface HostState {
  enforcement: SandboxEnforcement;
  bwrap: string | null;
  layout: SystemLayout;
  cgroups: CgroupPool | null;
  seccompFile: string | null;
  tmp: string | null;
}

/** Probes the host once: bubblewrap present and able to start the sandbox this profile asks for. */
async function probeHost(given: string | undefined, profile: SandboxProfile, env: Readonly<Record<string, string>>, supervision: Supervision): Promise<HostState> {
  const layout = systemLayout();
  const none = (reason: string, bwrap: string | null = null): HostState => ({
    enforcement: { mechanism: 'none', bwrap, namespaces: false, seccomp: false, landlock: false, supervisor: null, supervisorReason: null, cgroups: { pids: false, memory: false }, reason },
    bwrap,
    layout,
    cgroups: null,
    seccompFile: null,
    tmp: null,
  });
  if (process.platform !== 'linux') return none(`bubblewrap needs Linux; this is ${process.platform}`);
  const bwrap = findBwrap(given);
  if (bwrap === null) return none(given !== undefined ? `${given} is not an executable` : 'bubblewrap (bwrap) is not installed');
  if (!seccompArchSupported()) return none(`no seccomp filter is built for ${process.arch}`, bwrap);
  const tmp = mkdtempSync(join(tmpdir(), 'warden-sandbox-'));
  // The views inside are bound into sandboxes; only this user may change them.
  chmodSync(tmp, 0o755);
  const seccompFile = join(tmp, 'seccomp.bpf');
  writeFileSync(seccompFile, seccompFilter(process.arch), { mode: 0o600 });
  const roots = profile.sandboxed ? cgroupRoots() : { pids: null, memory: null };
  const cgroups = roots.pids === null && roots.memory === null ? null : new CgroupPool(roots, profile.limits);
  // The probe runs the real sandbox (system view, seccomp, cgroups) on `exit 0`, with /bin/sh as its only program.
  const probeProfile = sandboxProfile({ ring: 3, workspace: tmp, limits: { timeMs: 10_000 } });
  const attempt = async (pool: CgroupPool | null): Promise<string | null> => {
    try {
      const result = await runPlan({ file: bwrap, args: bwrapArgs(probeProfile, { layout, view: [], seccompFd: 3, infoFd: 4, command: 'exit 0' }), cwd: '/', env, limits: probeProfile.limits, seccompFile, infoFd: 4, cgroups: pool });
      if (result.started && result.exitCode === 0) return null;
      return `bubblewrap did not start a sandbox: ${result.stderr.trim().slice(0, 300) || `exit ${String(result.exitCode)}`}`;
    } catch (e) {
      return `the sandbox could not be set up: ${(e as Error).message}`;
    }
  };
  // The supervisor: built (or found), then run once in a real sandbox of this profile, which says what Landlock enforces.
  let supervisor: SupervisorBinary | null = null;
  let landlock: LandlockState | false = false;
  let supervisorReason: string | null = null;
  const probeSupervisor = async (pool: CgroupPool | null): Promise<void> => {
    if (!profile.sandboxed || supervision.supervise === 'off') return;
    let bin: SupervisorBinary;
    try {
      bin = ensureSupervisor();
    } catch (e) {
      supervisorReason = `the per-exec supervisor is unavailable: ${(e as Error).message}`;
      return;
    }
    let served: Promise<SupervisedRun> | null = null;
    // invariant: the probe's command (`exit 0`) starts no program; any exec it saw would be refused.
    const denyAll = async (): Promise<Verdict> => {
      throw new Error('the probe runs no program');
    };
    try {
      const result = await runPlan({
        file: bwrap,
        args: bwrapArgs(profile, { layout, view: [], seccompFd: 3, infoFd: 4, command: 'exit 0', supervisor: bin.path }),
        cwd: '/',
        env,
        limits: { ...profile.limits, timeMs: 10_000 },
        seccompFile,
        infoFd: 4,
        cgroups: pool,
        // The probe asks for Landlock where it can (never requires it): what is in force is what it learns.
        argv: supervisorArgv(profile, { channelFd: CHANNEL_FD, timeoutMs: 1_000, landlock: supervision.landlock === 'off' ? 'off' : 'prefer' }),
        channelFd: CHANNEL_FD,
        onChannel: (c) => {
          served = superviseChannel(c, { decide: denyAll, decideMissing: () => ({ allowed: false, reason: 'probe' }), timeoutMs: 1_000, maxExecs: 1 });
        },
      });
      const sup = served === null ? null : await (served as Promise<SupervisedRun>);
      if (!result.started || result.exitCode !== 0 || sup?.ready == null) {
        supervisorReason = `the per-exec supervisor did not start in the sandbox: ${result.stderr.trim().slice(0, 300) || `exit ${String(result.exitCode)}`}`;
        return;
      }
      supervisor = bin;
      landlock = sup.ready.landlock.fs ? sup.ready.landlock : false;
      if (landlock === false && supervision.landlock !== 'off') supervisorReason = `Landlock is not in force: ${sup.ready.landlock.error ?? `ABI ${sup.ready.landlock.abi}`}`;
    } catch (e) {
      supervisorReason = `the per-exec supervisor could not be probed: ${(e as Error).message}`;
    }
  };
  let failure = await attempt(cgroups);
  let usedCgroups = cgroups;
  if (failure !== null && cgroups !== null) {
    // Cgroups that can be created but not joined (a delegated hierarchy, say): without them, and say so.
    await cgroups.close();
    usedCgroups = null;
    failure = await attempt(null);
  }
  if (failure !== null) {
    rmSync(tmp, { recursive: true, force: true });
    return none(failure, bwrap);
  }
  await probeSupervisor(usedCgroups);
  return {
    enforcement: { mechanism: 'bubblewrap', bwrap, namespaces: true, seccomp: true, landlock, supervisor, supervisorReason, cgroups: { pids: usedCgroups !== null && roots.pids !== null, memory: usedCgroups !== null && roots.memory !== null }, reason: null },
    bwrap,
    layout,
    cgroups: usedCgroups,
    seccompFile,
    tmp,
  };
}

/** The environment of a command: a fixed base and the operator's variables; never the host's. */
function sandboxEnv(extra: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const env: Record<string, string> = { PATH: SANDBOX_PATH, HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', TERM: 'dumb' };
  if (extra === undefined) return env;
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new WardenError('ERR_SANDBOX_OPTIONS', 'env must be an object of strings.');
  for (const [k, v] of Object.entries(extra)) {
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new WardenError('ERR_SANDBOX_OPTIONS', `env ${JSON.stringify(k)} must be a variable name with a string value.`);
    env[k] = v;
  }
  return env;
}

function recordedProfile(profile: SandboxProfile, enforcement: SandboxEnforcement): Record<string, unknown> {
  return {
    mechanism: enforcement.mechanism,
    ring: profile.ring,
    workspace: profile.workspace,
    readable: [...profile.readable],
    writable: [...profile.writable],
    network: profile.network,
    limits: { ...profile.limits },
    seccomp: enforcement.seccomp,
    landlock: enforcement.landlock === false ? false : { ...enforcement.landlock },
    supervisor: enforcement.supervisor === null ? null : { sourceHash: enforcement.supervisor.sourceHash },
    ...(enforcement.supervisorReason !== null ? { supervisorReason: enforcement.supervisorReason } : {}),
    cgroups: { ...enforcement.cgroups },
    ...(enforcement.reason !== null ? { reason: enforcement.reason } : {}),
  };
}

function describeEnd(run: RunResult): string {
  if (run.limit !== null) return `the ${run.limit} limit was reached and the run was killed`;
  if (run.signal !== null) return `killed by ${run.signal}`;
  return `exited with status ${String(run.exitCode)}`;
}

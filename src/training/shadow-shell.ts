/**
 * A shell tool for shadow rollouts, run in the OS sandbox (agent-warden/sandbox: bubblewrap,
 * seccomp, cgroups) whatever production decided: the rollout's own pipeline has recorded
 * production's decision already, and the sandbox is what keeps a denied command from reaching the
 * world. The sandbox runs at ring 2: the scratch workspace writable, the rest of the file system
 * read-only (home directories and the host's secret files absent, a private `/tmp`), no network.
 */
import { MemorySink } from '../enforce/memory-sink.js';
import { Pipeline } from '../enforce/pipeline.js';
import { WardenError } from '../errors.js';
import { compilePolicy } from '../policy/compile-policy.js';
import { lazyModule } from '../lib/lazy-module.js';
import type { Sandbox, SandboxOptions } from '../sandbox/sandbox.js';
import type { EnvironmentTool } from './environment.js';

/** The sandbox (bubblewrap profiles, the egress proxy, ipaddr.js) loads with the first shadow shell, not with agent-warden/training. */
const sandboxModule = lazyModule<typeof import('../sandbox/sandbox.js')>('sandbox/sandbox');

/** The sandbox's own policy: every program and command, since the sandbox, not the policy, is the boundary here. */
const SHADOW_POLICY = `apiVersion: warden/v1
kind: Policy
name: warden-shadow-shell
default: deny
rules:
  - name: shadow-runs-every-command
    tools: [shadow_shell]
    effect: allow
    reason: Shadow mode runs every command in the sandbox; production's decision is recorded by the rollout.
`;

/**
 * Options of {@link shadowShell}.
 *
 * @example
 * ```ts
 * const options: ShadowShellOptions = { workspace: scratchDir, limits: { timeMs: 10_000 } };
 * ```
 */
export interface ShadowShellOptions {
  /** A scratch directory (a copy of the task's files): the only place a command can write. */
  workspace: string;
  /** The key of the arguments holding the command line; default `command`. */
  commandKey?: string;
  limits?: SandboxOptions['limits'];
  /** The bubblewrap binary (default: found on the host). Without a usable sandbox every command is refused. */
  bwrap?: string;
}

/**
 * The result a shadow shell command gives the episode.
 *
 * @example
 * ```ts
 * const r: ShadowShellResult = { ran: true, exitCode: 0, stdout: 'ok\n', stderr: '', error: null };
 * ```
 */
export interface ShadowShellResult {
  ran: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Why the command did not run (no usable sandbox, a set-up failure). */
  error: string | null;
}

/**
 * A sandboxed shell tool for `governedEnvironment(..., { mode: 'shadow', sandboxed: true })`.
 * Close it when the run ends.
 *
 * @example
 * ```ts
 * const shell = shadowShell({ workspace: scratchDir });
 * const env = governedEnvironment({ bash: shell.tool }, { governor, mode: 'shadow', sandboxed: true, run: 'run-7' });
 * await shell.close();
 * ```
 * @throws WardenError `ERR_SANDBOX_OPTIONS` for a workspace that does not exist or other bad options;
 *   `ERR_MODULE_LOAD` when the sandbox (a file of the install) cannot be loaded.
 */
export function shadowShell(options: ShadowShellOptions): { tool: EnvironmentTool; sandbox: Sandbox; close(): Promise<void> } {
  if (options === null || typeof options !== 'object' || typeof options.workspace !== 'string') throw new WardenError('ERR_OPTIONS', 'shadowShell needs { workspace }: a scratch directory.');
  const { createSandbox } = sandboxModule();
  const commandKey = options.commandKey ?? 'command';
  const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'warden-shadow-shell.yaml', text: SHADOW_POLICY }]), sink: new MemorySink() });
  const sandbox = createSandbox({
    pipeline,
    workspace: options.workspace,
    ring: 2,
    commandKey,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.bwrap !== undefined ? { bwrap: options.bwrap } : {}),
  });
  const tool: EnvironmentTool = async (args) => {
    const r = await sandbox.exec({ tool: 'shadow_shell', args: { [commandKey]: args[commandKey] } });
    const result: ShadowShellResult = { ran: r.ran, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, error: r.error?.message ?? (r.verdict.allowed ? null : r.verdict.reason) };
    return result;
  };
  return { tool, sandbox, close: () => sandbox.close() };
}

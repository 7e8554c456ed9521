/**
 * The bubblewrap command line for a profile: pure, so a test can read exactly what the kernel is
 * asked to enforce.
 *
 * Order matters (bubblewrap applies its options in order): the system directories read-only, the
 * secrets in `/etc` masked, fresh `/proc`, `/dev` and an empty `/tmp`, the readable paths, the
 * program view, and last the writable paths (so a workspace under `/tmp` is bound onto the new
 * tmpfs, not hidden by it).
 */
import type { MountOp } from './program-view.js';
import { EGRESS_PORT } from './egress-forwarder.js';
import type { SandboxProfile } from './profile.js';

/**
 * The host's system directories as they are: a real directory is bound read-only, a symlink
 * (`/bin` to `usr/bin` on a merged-/usr system) is recreated; plus the secrets in them to mask.
 *
 * @example
 * ```ts
 * const l: SystemLayout = { roots: [{ path: '/usr', kind: 'dir' }, { path: '/bin', kind: 'symlink', target: 'usr/bin' }], masks: [{ path: '/etc/shadow', kind: 'file' }] };
 * ```
 */
export interface SystemLayout {
  roots: readonly ({ path: string; kind: 'dir' } | { path: string; kind: 'symlink'; target: string })[];
  /** Files are replaced by an empty file, directories by an empty read-only tmpfs. */
  masks: readonly { path: string; kind: 'file' | 'dir' }[];
  /**
   * Inside the sandbox's `/proc`: paths bound read-only (`/proc/sys`: as uid 0, even without
   * capabilities, the sandbox could otherwise write the host's global sysctls, `kernel.core_pattern`
   * among them), and paths masked like `masks` (kernel memory, keys, timers, `/proc/sysrq-trigger`).
   * Absent from a layout means none.
   */
  proc?: { readOnly: readonly string[]; masks: readonly { path: string; kind: 'file' | 'dir' }[] };
}

/**
 * What a run needs besides its profile.
 *
 * @example
 * ```ts
 * const i: BwrapInputs = { layout, view: [], seccompFd: 3, infoFd: 4, command: 'ls' };
 * ```
 */
export interface BwrapInputs {
  layout: SystemLayout;
  /** The program view's mounts ({@link programView}). */
  view: readonly MountOp[];
  /** The descriptor the seccomp filter is read from, or null for none. */
  seccompFd: number | null;
  /** The descriptor bubblewrap writes its start-up information to (its child's pid) once the sandbox exists. */
  infoFd: number;
  /** The command line to run inside (with `/bin/sh`, see {@link SANDBOX_ARGV}). */
  command: string;
  /**
   * With `network: 'egress'`: the descriptor bubblewrap waits on before it runs the command
   * (`--block-fd`), written once the forwarder listens in the sandbox's network. Absent: 6.
   */
  blockFd?: number;
  /** The per-exec supervisor's binary on the host, bound read-only at {@link SUPERVISOR_MOUNT}; absent or null for none. */
  supervisor?: string | null;
}

/**
 * Where the supervisor's binary is inside the sandbox (a path no granted path may overlap).
 *
 * @example
 * ```ts
 * SUPERVISOR_MOUNT; // '/run/warden/supervise'
 * ```
 */
export const SUPERVISOR_MOUNT = '/run/warden/supervise';

/**
 * How the supervisor is asked to run a profile's commands: what bubblewrap runs after `--` when
 * every exec is decided ({@link SANDBOX_ARGV} behind the supervisor and its options). Landlock:
 * writes below the writable paths and the private `/tmp` only (plus writing, not creating, files
 * in `/dev`: `/dev/null`); TCP: none at ring 3, only the proxy's port with egress, else as the
 * network namespace allows.
 *
 * @example
 * ```ts
 * supervisorArgv(sandboxProfile({ ring: 3, workspace: '/w' }), { channelFd: 7, timeoutMs: 15_000, landlock: 'prefer' });
 * // ['/run/warden/supervise', '--channel', '7', '--timeout-ms', '15000', '--landlock', 'prefer', '--write', '/tmp', '--dev-write', '/dev', '--net', 'none', '--', '/bin/sh', '-c', 'eval "$WARDEN_COMMAND"']
 * ```
 */
export function supervisorArgv(profile: SandboxProfile, o: { channelFd: number; timeoutMs: number; landlock: 'require' | 'prefer' | 'off' }): string[] {
  const a = [SUPERVISOR_MOUNT, '--channel', String(o.channelFd), '--timeout-ms', String(o.timeoutMs), '--landlock', o.landlock];
  for (const p of ['/tmp', ...profile.writable]) a.push('--write', p);
  a.push('--dev-write', '/dev');
  a.push('--net', profile.ring === 3 ? 'none' : profile.network === 'egress' ? `connect:${EGRESS_PORT}` : 'any');
  return [...a, '--', ...SANDBOX_ARGV];
}

/**
 * The proxy variables a command gets with `network: 'egress'`, upper and lower case (tools read
 * one or the other): every protocol goes to the forwarder; the sandbox's own loopback stays direct.
 *
 * @example
 * ```ts
 * EGRESS_ENV.HTTPS_PROXY; // 'http://127.0.0.1:3128'
 * ```
 */
export const EGRESS_ENV: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    [
      ['HTTP_PROXY', `http://127.0.0.1:${EGRESS_PORT}`],
      ['HTTPS_PROXY', `http://127.0.0.1:${EGRESS_PORT}`],
      ['ALL_PROXY', `http://127.0.0.1:${EGRESS_PORT}`],
      ['NO_PROXY', 'localhost,127.0.0.1,::1'],
    ].flatMap(([k, v]) => [
      [k as string, v as string],
      [(k as string).toLowerCase(), v as string],
    ]),
  ),
);

/**
 * What bubblewrap runs: the command line, handed over in `WARDEN_COMMAND`, evaluated by `/bin/sh`
 * as `sh -c` would. The command rides in an option (not the argument list) so that the bubblewrap
 * process can be started before the command is known: its options arrive later on `--args`.
 */
export const SANDBOX_ARGV: readonly string[] = Object.freeze(['/bin/sh', '-c', 'eval "$WARDEN_COMMAND"']);

function mount(op: MountOp): string[] {
  switch (op.op) {
    case 'symlink':
      return ['--symlink', op.target, op.dest];
    case 'tmpfs':
    case 'dir':
    case 'remount-ro':
      return [`--${op.op}`, op.dest];
    default:
      return [`--${op.op}`, op.src, op.dest];
  }
}

/**
 * The options of `bwrap` for one sandboxed run of `inputs.command` under `profile` (followed, on
 * the command line, by `--` and {@link SANDBOX_ARGV}).
 *
 * @example
 * ```ts
 * bwrapArgs(sandboxProfile({ workspace: '/w' }), { layout, view: [], seccompFd: 3, infoFd: 4, command: 'ls' });
 * // ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', ..., '--bind', '/w', '/w', '--chdir', '/w', ..., '--setenv', 'WARDEN_COMMAND', 'ls']
 * ```
 */
export function bwrapArgs(profile: SandboxProfile, inputs: BwrapInputs): string[] {
  const a: string[] = ['--unshare-all'];
  if (profile.network === 'host') a.push('--share-net');
  a.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'sandbox');
  for (const r of inputs.layout.roots) a.push(...(r.kind === 'dir' ? ['--ro-bind', r.path, r.path] : ['--symlink', r.target, r.path]));
  for (const m of inputs.layout.masks) a.push(...(m.kind === 'file' ? ['--ro-bind', '/dev/null', m.path] : ['--tmpfs', m.path, '--remount-ro', m.path]));
  a.push('--proc', '/proc');
  // invariant: /proc/sys is read-only before the command runs; bubblewrap itself covers only /proc/bus and /proc/irq.
  for (const p of inputs.layout.proc?.readOnly ?? []) a.push('--ro-bind', p, p);
  for (const m of inputs.layout.proc?.masks ?? []) a.push(...(m.kind === 'file' ? ['--ro-bind', '/dev/null', m.path] : ['--tmpfs', m.path, '--remount-ro', m.path]));
  a.push('--dev', '/dev', '--size', String(profile.limits.fileSizeBytes), '--tmpfs', '/tmp');
  for (const p of profile.readable) a.push('--ro-bind', p, p);
  // invariant: the program view comes after the readable paths, so a readable path holding a program directory cannot show its denied programs.
  for (const op of inputs.view) a.push(...mount(op));
  if (!profile.writable.includes(profile.workspace)) a.push('--ro-bind', profile.workspace, profile.workspace);
  for (const p of profile.writable) a.push('--bind', p, p);
  if (inputs.supervisor !== undefined && inputs.supervisor !== null) a.push('--ro-bind', inputs.supervisor, SUPERVISOR_MOUNT);
  a.push('--chdir', profile.workspace, '--info-fd', String(inputs.infoFd));
  if (inputs.seccompFd !== null) a.push('--seccomp', String(inputs.seccompFd));
  if (profile.network === 'egress') {
    // invariant: the command waits until the forwarder listens; a run whose forwarder fails never starts.
    a.push('--block-fd', String(inputs.blockFd ?? 6));
    for (const [k, v] of Object.entries(EGRESS_ENV)) a.push('--setenv', k, v);
  }
  a.push('--setenv', 'WARDEN_COMMAND', inputs.command);
  return a;
}

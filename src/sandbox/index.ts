/**
 * Sandboxed execution of governed shell commands (Linux): each command is decided by the policy,
 * then run inside bubblewrap with the file system read-only except the writable paths of the
 * ring, no network below ring 1 but what Warden's egress proxy allows and records, a private `/tmp`, no home directories, only the programs the
 * policy allows, a seccomp filter, no capabilities, a fresh PID namespace and cgroup limits; every
 * exec inside decided by the policy through a native supervisor (seccomp user notification), which
 * also applies Landlock; the outcome (profile, programs, execs, exit status, output) is recorded
 * against the decision.
 * See docs/sandbox.md for what the kernel enforces, what the policy decides, and what is not covered.
 *
 * @example
 * ```ts
 * import { Pipeline, loadPolicyFiles } from 'agent-warden';
 * import { createSandbox } from 'agent-warden/sandbox';
 * const sandbox = createSandbox({ pipeline: new Pipeline({ policy: await loadPolicyFiles(['policy.yaml']) }), workspace: process.cwd() });
 * const r = await sandbox.exec({ tool: 'bash', args: { command: 'npm test' } });
 * console.log(r.verdict.effect, r.exitCode, r.stdout);
 * ```
 */
export { createSandbox, sandboxedExec } from './sandbox.js';
export type { Sandbox, SandboxOptions, SandboxEgressOptions, SandboxExecResult, SandboxEnforcement } from './sandbox.js';
export { sandboxProfile, DEFAULT_LIMITS } from './profile.js';
export type { SandboxProfile, SandboxProfileOptions, SandboxLimits, SandboxRing, SandboxNetwork } from './profile.js';
export { EgressProxy, plainTarget } from './egress-proxy.js';
export type { EgressConnection, EgressProxyOptions } from './egress-proxy.js';
export { decideEgress, egressUrl, specialAddress, parseConnectAuthority, resolveHost } from './egress-decide.js';
export type { EgressTarget, EgressVerdict, EgressDeps } from './egress-decide.js';
export { EGRESS_PORT } from './egress-forwarder.js';
export { EGRESS_ENV } from './bwrap-args.js';
export { seccompFilter, SECCOMP_DENIED, SECCOMP_ARCHES } from './seccomp-bpf.js';
export type { SeccompArch } from './seccomp-bpf.js';
export { PROGRAM_DIRS, ALWAYS_PRESENT } from './program-view.js';
export { SYSTEM_ROOTS, SYSTEM_SECRETS } from './host.js';
export type { LimitHit } from './run.js';
export { ensureSupervisor, supervisorCacheDir } from './supervisor-build.js';
export type { SupervisorBinary } from './supervisor-build.js';
export { execCommands, execProgram } from './supervisor-channel.js';
export type { ExecRecord, LandlockState } from './supervisor-channel.js';
export { supervisorArgv, SUPERVISOR_MOUNT } from './bwrap-args.js';

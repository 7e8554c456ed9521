/**
 * The sandbox profile: what a sandboxed command may read, write and reach, and its limits, as a
 * plain frozen value that follows from the ring the operator runs the agent at and the options.
 * Nothing in the request (its arguments or context) reaches the profile: a request cannot widen
 * its own sandbox.
 *
 * | ring | file system | network | sandboxed |
 * |---|---|---|---|
 * | 3 | read-only everywhere (the workspace too) | off | yes |
 * | 2 | the workspace and `writable` paths writable | off, or allowlisted egress with `network: 'egress'` | yes |
 * | 1 | the workspace and `writable` paths writable | `network`: off, `'egress'`, or `'host'` | yes |
 * | 0 | the host's | the host's | no (recorded all the same) |
 *
 * `/tmp` is always a private, empty tmpfs; home directories are not there at all.
 */
import { isAbsolute, normalize } from 'node:path';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { pathWithin } from '../facets/path.js';

/** The ring a command runs at: 3 least trusted, 0 most. */
export type SandboxRing = 0 | 1 | 2 | 3;

/** What a sandboxed command may reach: nothing, the destinations the policy allows through Warden's proxy, or the host's whole network. */
export type SandboxNetwork = 'none' | 'egress' | 'host';

/**
 * Resource limits of one sandboxed run.
 *
 * @example
 * ```ts
 * const limits: SandboxLimits = { timeMs: 30_000, memoryBytes: 512 * 2 ** 20, processes: 128, outputBytes: 2 ** 20, fileSizeBytes: 2 ** 30 };
 * ```
 */
export interface SandboxLimits {
  /** Wall-clock time before every process of the run is killed. */
  timeMs: number;
  /** Memory of all the run's processes together (a cgroup limit where the host has one). */
  memoryBytes: number;
  /** Processes and threads of the run together (a cgroup limit where the host has one). */
  processes: number;
  /** Bytes kept of standard output and of standard error each; past it the run is killed. */
  outputBytes: number;
  /** Largest file a process of the run may write (`RLIMIT_FSIZE`). */
  fileSizeBytes: number;
}

/**
 * What a sandboxed run may do, decided before it starts.
 *
 * @example
 * ```ts
 * const p = sandboxProfile({ ring: 2, workspace: '/work/app' });
 * p.writable; // ['/work/app']
 * ```
 */
export interface SandboxProfile {
  ring: SandboxRing;
  /** False only at ring 0: the command runs directly, with the limits of time and output only. */
  sandboxed: boolean;
  /** The working directory of the command, bound at the same path. */
  workspace: string;
  /** Paths bound read-only besides the system directories (and the workspace). */
  readable: readonly string[];
  /** Paths bound writable. Empty at ring 3. */
  writable: readonly string[];
  /**
   * `none`: a network namespace with only a loopback of its own. `egress`: the same, plus a
   * forwarder on 127.0.0.1:3128 to Warden's proxy, which decides and records every connection
   * (rings 2 and 1). `host`: the host's network (rings 1 and 0).
   */
  network: SandboxNetwork;
  limits: Readonly<SandboxLimits>;
}

/**
 * Options that shape a profile; all of them come from the operator, never from a request.
 *
 * @example
 * ```ts
 * const o: SandboxProfileOptions = { ring: 1, workspace: '/work/app', writable: ['/work/cache'], network: 'host', limits: { timeMs: 10_000 } };
 * ```
 */
export interface SandboxProfileOptions {
  /** Default 2 (workspace writable, offline). */
  ring?: SandboxRing;
  /** Absolute path; the caller's current directory when absent. */
  workspace: string;
  readable?: readonly string[];
  writable?: readonly string[];
  /** `egress` is honoured at rings 2 and 1, `host` at ring 1 only; ring 3 is always offline. Default `none`. */
  network?: SandboxNetwork;
  limits?: Partial<SandboxLimits>;
}

/** The limits a run gets when the options do not say. */
export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeMs: 60_000,
  memoryBytes: 1024 * 2 ** 20,
  processes: 256,
  outputBytes: 1024 * 1024,
  fileSizeBytes: 1024 * 2 ** 20,
});

/**
 * Paths a granted path may not touch (be, hold, or lie inside): the system directories, which the
 * sandbox already shows read-only with its secrets masked and only the allowed programs present
 * (granting `/`, `/etc` or `/usr/bin` would undo that, and a writable one would change the host's
 * system), and the kernel's own file systems.
 */
const RESERVED = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/boot', '/proc', '/sys', '/dev', '/run/warden'];

/** True when `a` and `b` are the same path or one lies inside the other (the path facet's containment, both ways). */
function overlaps(a: string, b: string): boolean {
  return pathWithin(a, b) || pathWithin(b, a);
}

const PROFILE_KEYS = ['ring', 'workspace', 'readable', 'writable', 'network', 'limits'];
const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS);

/**
 * Checks an absolute path option and returns it normalized (no `..`, no duplicate or trailing
 * slashes).
 *
 * @example
 * ```ts
 * absolutePath('/work//app/', 'workspace'); // '/work/app'
 * ```
 * @throws WardenError ERR_SANDBOX_OPTIONS for a relative path, a NUL byte, a `..` segment or a non-string.
 */
export function absolutePath(p: unknown, what: string): string {
  if (typeof p !== 'string' || p.length === 0 || p.includes('\u0000') || !isAbsolute(p)) {
    throw new WardenError('ERR_SANDBOX_OPTIONS', `${what} must be an absolute path; got ${JSON.stringify(p)}.`);
  }
  // invariant: a `..` is refused rather than resolved: "/work/../etc" means /etc, which the author of the option may not have seen.
  if (p.split('/').includes('..')) throw new WardenError('ERR_SANDBOX_OPTIONS', `${what} must not contain "..": ${JSON.stringify(p)}; write the path it means.`);
  const n = normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function pathList(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new WardenError('ERR_SANDBOX_OPTIONS', `${what} must be a list of absolute paths.`);
  return v.map((p, i) => absolutePath(p, `${what}[${i}]`));
}

function limits(v: unknown): SandboxLimits {
  rejectUnknownKeys(v, LIMIT_KEYS, 'ERR_SANDBOX_OPTIONS', 'sandbox limits');
  const out = { ...DEFAULT_LIMITS };
  for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>)) {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0) throw new WardenError('ERR_SANDBOX_OPTIONS', `sandbox limit ${k} must be a positive integer; got ${String(x)}.`);
    out[k as keyof SandboxLimits] = x;
  }
  return out;
}

/**
 * The profile for a ring and the operator's options. Rings narrow what the options ask for: ring 3
 * drops every writable path and the network, ring 2 keeps only allowlisted egress.
 *
 * @example
 * ```ts
 * sandboxProfile({ ring: 3, workspace: '/w', writable: ['/w/out'] }).writable; // []
 * sandboxProfile({ ring: 1, workspace: '/w', network: 'host' }).network;      // 'host'
 * ```
 * @throws WardenError ERR_SANDBOX_OPTIONS for an unknown key, a bad ring, path or limit.
 */
export function sandboxProfile(options: SandboxProfileOptions): SandboxProfile {
  rejectUnknownKeys(options, PROFILE_KEYS, 'ERR_SANDBOX_OPTIONS', 'sandbox profile options');
  const ring = options.ring ?? 2;
  if (ring !== 0 && ring !== 1 && ring !== 2 && ring !== 3) throw new WardenError('ERR_SANDBOX_OPTIONS', `ring must be 0, 1, 2 or 3; got ${JSON.stringify(ring)}.`);
  const network = options.network ?? 'none';
  if (network !== 'none' && network !== 'egress' && network !== 'host') throw new WardenError('ERR_SANDBOX_OPTIONS', `network must be "none", "egress" or "host"; got ${JSON.stringify(network)}.`);
  const workspace = absolutePath(options.workspace, 'workspace');
  const readable = pathList(options.readable, 'readable');
  const asked = pathList(options.writable, 'writable');
  for (const [what, p] of [['workspace', workspace], ...readable.map((r) => ['readable', r]), ...asked.map((w) => ['writable', w])] as [string, string][]) {
    const hit = RESERVED.find((r) => overlaps(p, r));
    if (hit !== undefined) throw new WardenError('ERR_SANDBOX_OPTIONS', `${what} path ${JSON.stringify(p)} overlaps the system directory ${hit}, which the sandbox already shows read-only with only the allowed programs; name a directory of your own.`);
  }
  const writable = ring === 3 ? [] : [...new Set([workspace, ...asked])];
  return Object.freeze({
    ring,
    sandboxed: ring !== 0,
    workspace,
    readable: Object.freeze(readable),
    writable: Object.freeze(writable),
    network: ring === 0 ? 'host' : ring === 1 ? network : ring === 2 && network === 'egress' ? 'egress' : 'none',
    limits: Object.freeze(limits(options.limits)),
  });
}

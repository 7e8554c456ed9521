/**
 * What this host offers a sandbox: bubblewrap, the system directories' layout, the secrets to
 * mask, and cgroups for the process and memory limits. Read once per sandbox, at the edge.
 */
import { accessSync, constants, existsSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SECCOMP_ARCHES } from './seccomp-bpf.js';
import type { SystemLayout } from './bwrap-args.js';

/** The system directories bound read-only (those the host has). `/opt`, `/home`, `/root`, `/srv`, `/var` and `/mnt` are not. */
export const SYSTEM_ROOTS: readonly string[] = Object.freeze(['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']);

/** Secrets inside the system directories that the sandbox masks (password hashes, sudo rules, host keys, private TLS keys). */
export const SYSTEM_SECRETS: readonly string[] = Object.freeze([
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssh',
  '/etc/ssl/private',
  '/etc/security/opasswd',
  '/etc/krb5.keytab',
]);

/** Paths of `/proc` bound read-only inside (Docker's list): global sysctls and file-system tunables. */
export const PROC_READ_ONLY: readonly string[] = Object.freeze(['/proc/sys', '/proc/fs']);

/** Paths of `/proc` masked inside (Docker's list): the SysRq trigger, kernel memory, keys, timers, hardware. */
export const PROC_MASKED: readonly string[] = Object.freeze(['/proc/sysrq-trigger', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/acpi', '/proc/scsi', '/proc/asound']);

/**
 * The cgroup directories (v1 hierarchies) a run's processes are put in, when the host lets Warden
 * create them.
 *
 * @example
 * ```ts
 * const c: CgroupRoots = { pids: '/sys/fs/cgroup/pids', memory: '/sys/fs/cgroup/memory' };
 * ```
 */
export interface CgroupRoots {
  pids: string | null;
  memory: string | null;
}

/**
 * Finds bubblewrap: the given path, else `bwrap` in the usual system directories (never a
 * directory from the caller's PATH that a writable workspace could shadow).
 *
 * @example
 * ```ts
 * findBwrap(); // '/usr/bin/bwrap' or null
 * ```
 */
export function findBwrap(given?: string): string | null {
  const candidates = given !== undefined ? [given] : ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * The system directories and secrets of this host, as bubblewrap must recreate them.
 *
 * @example
 * ```ts
 * systemLayout().roots.find((r) => r.path === '/bin'); // { path: '/bin', kind: 'symlink', target: 'usr/bin' }
 * ```
 */
export function systemLayout(): SystemLayout {
  const roots: SystemLayout['roots'][number][] = [];
  for (const path of SYSTEM_ROOTS) {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) roots.push({ path, kind: 'symlink', target: readlinkSync(path) });
      else if (st.isDirectory()) roots.push({ path, kind: 'dir' });
    } catch {
      // the host has no such directory
    }
  }
  const masks: SystemLayout['masks'][number][] = [];
  for (const path of SYSTEM_SECRETS) {
    try {
      const st = lstatSync(path);
      // A symlink is masked as what it is; a file or directory as what it holds.
      masks.push({ path, kind: st.isDirectory() ? 'dir' : 'file' });
    } catch {
      // absent
    }
  }
  const existing = (paths: readonly string[]): { path: string; kind: 'file' | 'dir' }[] =>
    paths.flatMap((path) => {
      try {
        return [{ path, kind: lstatSync(path).isDirectory() ? ('dir' as const) : ('file' as const) }];
      } catch {
        return [];
      }
    });
  // The sandbox's /proc is a new procfs of the same kernel: it has what the host's has.
  return { roots, masks, proc: { readOnly: existing(PROC_READ_ONLY).map((p) => p.path), masks: existing(PROC_MASKED) } };
}

/** cgroup v1 hierarchies Warden can create groups in (this process may write there), else null. */
export function cgroupRoots(base = '/sys/fs/cgroup'): CgroupRoots {
  const usable = (dir: string, file: string): string | null => {
    try {
      if (!existsSync(join(dir, file))) return null;
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      return null;
    }
  };
  return { pids: usable(join(base, 'pids'), 'cgroup.procs'), memory: usable(join(base, 'memory'), 'memory.limit_in_bytes') };
}

/** True when a seccomp filter is built for this architecture. */
export function seccompArchSupported(arch: string = process.arch): boolean {
  return (SECCOMP_ARCHES as readonly string[]).includes(arch);
}

/**
 * The programs a sandbox contains. Every program in the host's program directories (`/usr/bin`,
 * `/usr/sbin`, `/usr/local/bin`, ...) is decided by the policy, as a one-word command of the tool
 * being run; inside the sandbox those directories are empty tmpfs mounts holding only the programs
 * the policy allowed. A denied program is therefore not there under any spelling (`/usr/bin/curl`,
 * `env curl`, `xargs curl`, a script, a Makefile, an npm script, a git hook): the kernel answers
 * "no such file", whatever ran the exec. `/bin/sh` is always there: the sandbox runs the decided
 * command line with it, and `system()`, npm scripts and make need it.
 *
 * What this does not cover (docs/sandbox.md): executables outside the program directories
 * (`/usr/lib/git-core/*`, `node_modules/.bin`, files the command writes into a writable path) and
 * the arguments of each exec: a program that is present may be run with any arguments.
 */
import { linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One mount or link the sandbox makes, in order. */
export type MountOp =
  | { op: 'ro-bind' | 'bind' | 'ro-bind-try'; src: string; dest: string }
  | { op: 'symlink'; target: string; dest: string }
  | { op: 'tmpfs' | 'dir' | 'remount-ro'; dest: string };

/** The program directories whose contents the policy decides. */
export const PROGRAM_DIRS: readonly string[] = Object.freeze(['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/usr/games', '/usr/local/games']);

/** Programs always present (see the module comment). */
export const ALWAYS_PRESENT: readonly string[] = Object.freeze(['sh']);

/** Most entries read from one program directory; past it the view is not built (fail closed). */
const MAX_ENTRIES = 20_000;

/** One program put back into a directory: a file (by its host path) or a symlink (by its target text). */
export type ViewEntry = { name: string; kind: 'file'; src: string } | { name: string; kind: 'symlink'; target: string };

/**
 * The programs of the view, per program directory.
 *
 * @example
 * ```ts
 * const v: ProgramView = { dirs: [{ dir: '/usr/bin', entries: [{ name: 'git', kind: 'file', src: '/usr/bin/git' }] }], allowed: ['/usr/bin/git'], denied: 1184 };
 * ```
 */
export interface ProgramView {
  dirs: readonly { dir: string; entries: readonly ViewEntry[] }[];
  /** The programs present, by path. */
  allowed: readonly string[];
  /** How many programs the policy kept out. */
  denied: number;
}

/**
 * Builds the view: `allow(name)` decides each program name once (the same name in two directories
 * is decided once). `dirs` are the program directories as the host has them; a directory that is
 * a symlink to another (`/bin` to `usr/bin`) is covered by its target, listed or not.
 *
 * @example
 * ```ts
 * const view = programView((name) => ['git', 'ls'].includes(name));
 * view.allowed; // ['/usr/bin/git', '/usr/bin/ls', '/usr/bin/sh']
 * ```
 * @throws Error when a directory cannot be read or holds more than 20,000 entries (the caller denies).
 */
export function programView(allow: (name: string) => boolean, dirs: readonly string[] = PROGRAM_DIRS): ProgramView {
  const out: { dir: string; entries: ViewEntry[] }[] = [];
  const allowed: string[] = [];
  const decided = new Map<string, boolean>();
  // A program directory that is a symlink is covered by its target (the target is what the sandbox
  // shows under both names); one that does not exist has nothing to cover.
  const present = [...new Set(dirs.filter((d) => isDir(d)).map((d) => realpathSync(d)))];
  const masked = new Set(present);
  let denied = 0;
  for (const dir of present) {
    const names = readdirSync(dir, { withFileTypes: true });
    if (names.length > MAX_ENTRIES) throw new Error(`${dir} holds more than ${MAX_ENTRIES} entries`);
    const entries: ViewEntry[] = [];
    for (const e of names) {
      if (e.isDirectory()) continue;
      let ok = decided.get(e.name);
      if (ok === undefined) {
        ok = ALWAYS_PRESENT.includes(e.name) || allow(e.name);
        decided.set(e.name, ok);
      }
      const path = join(dir, e.name);
      if (!ok) {
        denied++;
        continue;
      }
      const entry = placeProgram(dir, e.name, masked);
      if (entry === null) continue;
      entries.push(entry);
      allowed.push(path);
    }
    out.push({ dir, entries });
  }
  return { dirs: out, allowed: allowed.sort(), denied };
}

/**
 * The mounts that make a view. Each program directory becomes one read-only bind of a directory
 * of hard links to the allowed programs, made under `workDir` (one mount however many programs);
 * where a hard link cannot be made (another file system), the directory is an empty tmpfs with
 * each program bound into it (one mount per program, slower to start).
 *
 * @example
 * ```ts
 * const mounts = viewMounts(programView((n) => n === 'git'), '/tmp/warden-sandbox-x');
 * // [{ op: 'ro-bind', src: '/tmp/warden-sandbox-x/view-0', dest: '/usr/bin' }, ...]
 * ```
 * @throws Error when `workDir` cannot be written (the caller denies).
 */
export function viewMounts(view: ProgramView, workDir: string): MountOp[] {
  const mounts: MountOp[] = [];
  view.dirs.forEach(({ dir, entries }, i) => {
    const linked = join(workDir, `view-${i}`);
    rmSync(linked, { recursive: true, force: true });
    mkdirSync(linked, { mode: 0o755 });
    let ok = true;
    for (const e of entries) {
      try {
        if (e.kind === 'symlink') symlinkSync(e.target, join(linked, e.name));
        else linkSync(e.src, join(linked, e.name));
      } catch {
        ok = false;
        break;
      }
    }
    if (ok) {
      mounts.push({ op: 'ro-bind', src: linked, dest: dir });
      return;
    }
    rmSync(linked, { recursive: true, force: true });
    mounts.push({ op: 'tmpfs', dest: dir });
    for (const e of entries) {
      const dest = join(dir, e.name);
      mounts.push(e.kind === 'symlink' ? { op: 'symlink', target: e.target, dest } : { op: 'ro-bind', src: e.src, dest });
    }
    mounts.push({ op: 'remount-ro', dest: dir });
  });
  return mounts;
}

/** True for a directory, or a symlink to one. */
function isDir(d: string): boolean {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}

/**
 * How an allowed program is put back: a regular file as itself; a symlink whose target lies
 * outside the masked directories stays a symlink (the target is readable in the sandbox, and
 * programs such as npm find their own files relative to it); a symlink into a masked directory
 * becomes the file it resolves to (the target's own name may be denied). A dangling link is dropped.
 */
function placeProgram(dir: string, name: string, masked: ReadonlySet<string>): ViewEntry | null {
  const path = join(dir, name);
  const st = lstatSync(path);
  if (!st.isSymbolicLink()) return st.isFile() ? { name, kind: 'file', src: path } : null;
  let target: string;
  try {
    target = realpathSync(path);
    if (!statSync(target).isFile()) return null;
  } catch {
    return null;
  }
  if (masked.has(dirname(target))) return { name, kind: 'file', src: target };
  return { name, kind: 'symlink', target: readlinkSync(path) };
}

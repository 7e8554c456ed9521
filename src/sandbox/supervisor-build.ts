/**
 * The per-exec supervisor's binary: built from the C source shipped in the package
 * (src/sandbox/native/warden-supervise.c) with the host's C compiler, on first use or with
 * `warden exec --build-supervisor`, into a per-user cache directory keyed by the hash of the
 * source. The package assumes no compiler at install time; a host without one runs without
 * per-exec decisions only where the operator allowed that (docs/sandbox.md, "Every exec decided").
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../errors.js';

/**
 * The source's path inside the package: `native/warden-supervise.c` beside the sandbox's modules
 * (src/sandbox/) or the bundle's chunks (dist/).
 *
 * @example
 * ```ts
 * SUPERVISOR_SOURCE_PATH; // 'native/warden-supervise.c'
 * ```
 */
export const SUPERVISOR_SOURCE_PATH = 'native/warden-supervise.c';

/**
 * A supervisor binary ready to run.
 *
 * @example
 * ```ts
 * const s: SupervisorBinary = { path: '/root/.cache/warden/supervise/3f2a.../warden-supervise', sourceHash: 'sha256:3f2a...' };
 * ```
 */
export interface SupervisorBinary {
  path: string;
  /** `sha256:<hex>` of the exact source it was compiled from. */
  sourceHash: string;
}

/** The supervisor's source: the nearest `native/warden-supervise.c` at or above this module's directory. */
function sourceFile(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    // Beside the modules (src/sandbox/, the bundle's dist/), or a compiled copy's package root (dist-bench/src/sandbox/ -> ./src/sandbox/).
    for (const f of [join(dir, SUPERVISOR_SOURCE_PATH), join(dir, 'src', 'sandbox', SUPERVISOR_SOURCE_PATH)]) if (existsSync(f)) return f;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * The per-user cache directory of built supervisors: `$XDG_CACHE_HOME/warden/supervise`, else
 * `~/.cache/warden/supervise`.
 *
 * @example
 * ```ts
 * supervisorCacheDir({ XDG_CACHE_HOME: '/home/me/.cache' }); // '/home/me/.cache/warden/supervise'
 * ```
 */
export function supervisorCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'warden', 'supervise');
}

/** Creates a directory (and its parents) as this user's, mode 0700, and checks nobody else may change it. */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || (process.getuid !== undefined && st.uid !== process.getuid())) {
    throw new WardenError('ERR_SANDBOX_UNAVAILABLE', `The supervisor cache ${JSON.stringify(dir)} is not a directory of this user; remove it or set XDG_CACHE_HOME.`);
  }
  if ((st.mode & 0o022) !== 0) chmodSync(dir, 0o700);
}

/**
 * Finds the supervisor built from the shipped source, building it when `build` is true (the
 * default) and it is not built yet. The source is read once, hashed, and exactly those bytes are
 * compiled (`cc` reads them from standard input), to a temporary name renamed into place.
 *
 * @example
 * ```ts
 * const bin = ensureSupervisor(); // { path, sourceHash }
 * ```
 * @throws WardenError ERR_SANDBOX_UNAVAILABLE when the source is missing, or the binary is absent and cannot be built (no compiler, a compile error), with how to build it.
 */
export function ensureSupervisor(options: { build?: boolean; cc?: string; env?: NodeJS.ProcessEnv } = {}): SupervisorBinary {
  if (process.platform !== 'linux') throw new WardenError('ERR_SANDBOX_UNAVAILABLE', `The per-exec supervisor needs Linux; this is ${process.platform}.`);
  const file = sourceFile();
  if (file === null) throw new WardenError('ERR_SANDBOX_UNAVAILABLE', `The supervisor's source (${SUPERVISOR_SOURCE_PATH}) is not in the installed package; reinstall agent-warden`);
  const source = readFileSync(file);
  const hex = createHash('sha256').update(source).digest('hex');
  const dir = join(supervisorCacheDir(options.env), hex.slice(0, 32));
  const path = join(dir, 'warden-supervise');
  const found = (): boolean => {
    try {
      const st = statSync(path);
      return st.isFile() && (st.mode & 0o100) !== 0 && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
    } catch {
      return false;
    }
  };
  if (found()) return { path, sourceHash: `sha256:${hex}` };
  if (options.build === false) {
    throw new WardenError('ERR_SANDBOX_UNAVAILABLE', 'The per-exec supervisor is not built; run `warden exec --build-supervisor` (needs a C compiler: apt-get install gcc libc6-dev)');
  }
  privateDir(dir);
  const tmp = `${path}.${process.pid}.tmp`;
  const cc = options.cc ?? 'cc';
  const r = spawnSync(cc, ['-O2', '-x', 'c', '-o', tmp, '-'], { input: source, encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(tmp, { force: true });
    // A compiler's own complaint says more than the pipe it left unread.
    const why = (typeof r.stderr === 'string' && r.stderr.trim() !== '' ? r.stderr : r.error !== undefined ? r.error.message : `exit ${String(r.status)}`).trim().slice(0, 400);
    throw new WardenError('ERR_SANDBOX_UNAVAILABLE', `The per-exec supervisor could not be built with ${cc} (${why}); install a C compiler (apt-get install gcc libc6-dev) and run \`warden exec --build-supervisor\``);
  }
  chmodSync(tmp, 0o700);
  renameSync(tmp, path);
  return { path, sourceHash: `sha256:${hex}` };
}

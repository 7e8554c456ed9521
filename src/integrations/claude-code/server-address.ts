/**
 * Where the hook server listens: a Unix socket in a directory only this user can enter, named
 * after the exact build (package version, file, Node) so a changed install never talks to an old
 * server. Light: on the hook's cold path.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../../version.js';

/** Longest Unix socket path that works on Linux and macOS. */
const MAX_SOCKET_PATH = 100;

let serverEntryPath: string | null | undefined;

/**
 * The server entry file: beside this module when it runs from per-file output, or at its own path
 * in the package when this module is bundled into dist/chunks/ or into the hook's bundle in
 * dist/hook/chunks/ (scripts/build.mjs builds server-main as an entry of its own). Null when neither exists (running from the TypeScript
 * sources): then there is no server and hooks run in process. Looked up once, on first use.
 *
 * @example
 * ```ts
 * serverEntry(); // '/app/node_modules/agent-warden/dist/integrations/claude-code/server-main.js'
 * ```
 */
export function serverEntry(): string | null {
  serverEntryPath ??=
    ['./server-main.js', '../integrations/claude-code/server-main.js', '../../integrations/claude-code/server-main.js']
      .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
      .find((path) => {
        try {
          return statSync(path).isFile();
        } catch {
          // Not at this place; try the next.
          return false;
        }
      }) ?? null;
  return serverEntryPath;
}

/**
 * True when the socket at `path` can be trusted to be this user's own hook server: a socket owned
 * by this user that no group or other user can write to. Checked before every connection, not
 * only the directory: the directory check stops others from placing one, this one stops using a
 * socket whose own owner or mode is not ours (a server still setting up, or one placed by root).
 *
 * @example
 * ```ts
 * if (socketIsOurs(path)) connect(path);
 * ```
 */
export function socketIsOurs(path: string): boolean {
  if (typeof process.getuid !== 'function') return false;
  try {
    const st = lstatSync(path);
    return st.isSocket() && st.uid === process.getuid() && (st.mode & 0o077) === 0;
  } catch {
    // No socket (no server yet): not ours to use.
    return false;
  }
}

/**
 * The socket path of this build's hook server, or null when there is no safe place for one (no
 * private runtime directory, Windows, a path too long). Creates the private directory if needed.
 *
 * @example
 * ```ts
 * serverSocketPath(process.env); // '/run/user/1000/warden/hook-3f2a9c0d1e2b4a5c.sock'
 * ```
 */
export function serverSocketPath(env: Readonly<Record<string, string | undefined>>): string | null {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return null;
  const dir = privateDir(env);
  if (dir === null) return null;
  const entry = serverEntry();
  if (entry === null) return null;
  let stamp: string;
  try {
    stamp = String(statSync(entry).mtimeMs);
  } catch {
    // The server entry is missing (a partial install): run in process.
    return null;
  }
  const id = createHash('sha256').update([VERSION, entry, stamp, process.execPath, process.version].join('\n')).digest('hex').slice(0, 16);
  const path = join(dir, `hook-${id}.sock`);
  return path.length <= MAX_SOCKET_PATH ? path : null;
}

/** `$WARDEN_HOOK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/warden`, else `<tmp>/warden-<uid>`; null unless private. */
function privateDir(env: Readonly<Record<string, string | undefined>>): string | null {
  const uid = (process.getuid as () => number)();
  const explicit = env.WARDEN_HOOK_RUNTIME_DIR;
  const xdg = env.XDG_RUNTIME_DIR;
  const dir =
    explicit !== undefined && explicit !== ''
      ? explicit
      : xdg !== undefined && isAbsolute(xdg)
        ? join(xdg, 'warden')
        : join(tmpdir(), `warden-${uid}`);
  if (!isAbsolute(dir)) return null;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return null;
  }
  try {
    // invariant: another user must not be able to create, replace or read the socket.
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return null;
  } catch {
    // Unreadable: no server.
    return null;
  }
  return dir;
}

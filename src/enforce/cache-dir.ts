/**
 * Where Warden keeps its caches (compiled policies, V8's code cache for the command line), and the
 * check that makes a directory fit for one: it is this user's, and no one else can enter it.
 * Light: the command line's cold path imports it before anything else.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Warden's cache directory, or null when caching is turned off or there is no place for it:
 * none when `WARDEN_CACHE` is `off` (or `0`, `false`, `no`); else `$WARDEN_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/agent-warden`, else `~/.cache/agent-warden` (`~/Library/Caches/agent-warden`
 * on macOS). Nothing is created here.
 *
 * @example
 * ```ts
 * wardenCacheDir({ WARDEN_CACHE_DIR: '/var/cache/warden' }); // '/var/cache/warden'
 * wardenCacheDir({ WARDEN_CACHE: 'off' });                   // null
 * ```
 */
export function wardenCacheDir(env: Readonly<Record<string, string | undefined>>): string | null {
  const off = env.WARDEN_CACHE?.trim().toLowerCase();
  if (off !== undefined && ['off', '0', 'false', 'no'].includes(off)) return null;
  const explicit = env.WARDEN_CACHE_DIR;
  if (explicit !== undefined && explicit !== '') return isAbsolute(explicit) ? explicit : null;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'agent-warden');
  let home: string;
  try {
    home = homedir();
  } catch {
    // No home directory (a system account): no cache.
    return null;
  }
  if (!isAbsolute(home) || home === '/') return null;
  return process.platform === 'darwin' ? join(home, 'Library', 'Caches', 'agent-warden') : join(home, '.cache', 'agent-warden');
}

/**
 * Creates `dir` (and missing parents) with mode 0700 and returns true when it, and `root` if
 * given, are directories of this user that no group or other user can enter. Never throws; false
 * on Windows (no owner to check) or for anything unexpected.
 *
 * @example
 * ```ts
 * if (ensurePrivateDir('/home/dev/.cache/agent-warden/policies', '/home/dev/.cache/agent-warden')) { ... }
 * ```
 */
export function ensurePrivateDir(dir: string, root?: string): boolean {
  if (!isAbsolute(dir) || typeof process.getuid !== 'function') return false;
  const uid = process.getuid();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // invariant: only this user can create, replace or read what the cache holds.
    return [dir, ...(root !== undefined ? [root] : [])].every((d) => {
      const st = lstatSync(d);
      return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
    });
  } catch {
    // Not creatable or not readable: no cache.
    return false;
  }
}

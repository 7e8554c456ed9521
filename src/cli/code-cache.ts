/**
 * V8's code cache for the `warden` process: Node keeps the compiled bytecode of the bundle's
 * chunks on disk, so a short-lived process (a hook per tool call) does not compile the same
 * JavaScript again. It lives in `v8/` of Warden's private cache directory, never in a shared
 * temporary directory: bytecode from a cache another user can write would run as this user.
 */
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { ensurePrivateDir, wardenCacheDir } from '../enforce/cache-dir.js';

/**
 * Turns on Node's compile cache in `<cache dir>/v8` when caching is on and the directory is
 * private; otherwise does nothing. Never throws.
 *
 * @example
 * ```ts
 * enableCodeCache(process.env); // first thing the entry does, before importing any command
 * ```
 */
export function enableCodeCache(env: Readonly<Record<string, string | undefined>>): void {
  const root = wardenCacheDir(env);
  if (root === null) return;
  const dir = join(root, 'v8');
  if (!ensurePrivateDir(dir, root)) return;
  try {
    enableCompileCache(dir);
  } catch {
    // No code cache: the process compiles its JavaScript as usual.
  }
}

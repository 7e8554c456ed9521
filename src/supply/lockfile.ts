/**
 * The resolved dependencies of a plugin, from its package-lock.json (lockfileVersion 2 or 3): every
 * `node_modules/...` entry with its version and integrity. Links (`link: true`, workspaces) and
 * entries without integrity are refused: a dependency that is not pinned by hash is not covered.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonText } from '../lib/json-text.js';
import { SupplyError } from './errors.js';
import { checkDependencyPath, MAX_DEPENDENCIES, rejectPrototypeKeys, type PluginDependency } from './manifest.js';

/** Largest package-lock.json read. */
export const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/**
 * The dependencies package-lock.json resolves, by their `node_modules/...` path.
 *
 * @example
 * ```ts
 * await lockedDependencies('plugins/weather'); // { 'node_modules/undici': { version: '7.1.0', integrity: 'sha512-...' } }
 * ```
 * @throws SupplyError `lockfile` when there is no usable lockfile, `malformed` for an entry not pinned by hash.
 */
export async function lockedDependencies(dir: string): Promise<Record<string, PluginDependency>> {
  let text: string;
  try {
    const bytes = await readFile(join(dir, 'package-lock.json'));
    if (bytes.length > MAX_LOCKFILE_BYTES) throw new SupplyError('too_large', `package-lock.json is over ${MAX_LOCKFILE_BYTES} bytes.`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof SupplyError) throw e;
    throw new SupplyError('lockfile', `The plugin has no readable package-lock.json (${e instanceof Error ? e.message : String(e)}); run npm install to make one.`, { cause: e });
  }
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new SupplyError('lockfile', `package-lock.json is not valid JSON: ${parsed.error}.`);
  rejectPrototypeKeys(parsed.value, 'package-lock.json');
  const lock = parsed.value as { lockfileVersion?: unknown; packages?: unknown };
  if (lock === null || typeof lock !== 'object' || (lock.lockfileVersion !== 2 && lock.lockfileVersion !== 3) || lock.packages === null || typeof lock.packages !== 'object') {
    throw new SupplyError('lockfile', 'package-lock.json must be lockfileVersion 2 or 3 with a "packages" map (npm 7 or later).');
  }
  const out: Record<string, PluginDependency> = {};
  const entries = Object.entries(lock.packages as Record<string, unknown>);
  if (entries.length > MAX_DEPENDENCIES + 1) throw new SupplyError('too_large', `package-lock.json resolves more than ${MAX_DEPENDENCIES} packages.`);
  for (const [path, raw] of entries) {
    if (path === '') continue;
    checkDependencyPath(path);
    const p = raw as { version?: unknown; integrity?: unknown; link?: unknown };
    if (p === null || typeof p !== 'object' || p.link === true || typeof p.version !== 'string' || typeof p.integrity !== 'string') {
      throw new SupplyError('lockfile', `package-lock.json: ${path} has no version and integrity (a link or an unpinned package); every dependency must be pinned by hash.`);
    }
    out[path] = { version: p.version, integrity: p.integrity };
  }
  return out;
}

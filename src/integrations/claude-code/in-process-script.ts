/**
 * The built hook's in-process path: it runs the decision engine (in-process.ts, built by
 * scripts/build.mjs into one script, `dist/hook/in-process.cjs`) through `node:vm` with a V8 code
 * cache that is made after an event ran. A hook that a running hook server answers never loads it.
 *
 * Why not Node's module compile cache: it stores the bytecode V8 made when a module was compiled,
 * which is its top level; every function an event runs (parsing, type-checking and evaluating
 * conditions, the facets, the pipeline, the audit log) was compiled again in every hook process. A
 * script's cache made with `createCachedData()` after the event holds those functions too. Within
 * the script, each module still initialises only when something imports it (esbuild's lazy module
 * wrappers), so a warm event runs no compiler or detector code.
 *
 * The cache is code this process runs, so it is trusted as the cache directory is (see
 * enforce/cache-dir.ts): `hook/` in Warden's private cache directory, a file this user owns with
 * no group or other bits, written to a temporary file and renamed into place, and used only when
 * its length and CRC-32 check (V8 itself does not checksum what it is given). Its name is a digest
 * of the script's own digest (taken at build time), the script file's size and modification time,
 * and the Node version and architecture; V8 refuses data made by another V8 version, with other
 * flags or for a source of another length, and a refused or unreadable cache only means compiling
 * as without one (and writing a fresh one). `WARDEN_CACHE=off` turns it off.
 */
import { lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { ensurePrivateDir, wardenCacheDir } from '../../enforce/cache-dir.js';
import type { HookConfig, HookResult } from './handle.js';
import type { handleInProcess } from './in-process.js';

declare const __WARDEN_HOOK_SCRIPT_DIGEST__: string;

/** Largest code cache read (the hook's is about 2 MB). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** A cache file starts with the length and the CRC-32 of the V8 data after it. */
const HEADER_BYTES = 8;

/** Most caches kept (one per install and Node version in use). */
const MAX_CACHES = 8;

/** Cache files are named `<PREFIX><key>.code` in `<cache dir>/hook/`. */
const PREFIX = 'in-process-';

/**
 * {@link handleInProcess}, run from the hook's script. After the first event (or one whose cache
 * V8 refused), stores the code cache for the next.
 *
 * @example
 * ```ts
 * const r = await handleInProcessScript(stdinText, config, process.env);
 * ```
 * @throws Error when the script cannot be read or run (the hook then blocks the call).
 */
export async function handleInProcessScript(text: string, config: HookConfig, env: Readonly<Record<string, string | undefined>>): Promise<HookResult> {
  // This module is a chunk in dist/hook/chunks/ (scripts/build.mjs checks it); the script is beside that folder.
  const scriptUrl = new URL('../in-process.cjs', import.meta.url);
  const scriptFile = fileURLToPath(scriptUrl);
  const cacheFile = codeCacheFile(env, scriptFile);
  const cached = cacheFile === null ? undefined : readCodeCache(cacheFile);
  // The script's parameters are the CommonJS module scope, plus the URL its `import.meta.url` reads.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __wardenModuleUrl) {${readFileSync(scriptFile, 'utf8')}\n})`, {
    filename: scriptFile,
    ...(cached !== undefined ? { cachedData: cached } : {}),
  });
  const loaded: { exports: { handleInProcess?: typeof handleInProcess } } = { exports: {} };
  (script.runInThisContext() as (...a: unknown[]) => void)(loaded.exports, createRequire(scriptFile), loaded, scriptFile, dirname(scriptFile), scriptUrl.href);
  const handle = loaded.exports.handleInProcess;
  if (typeof handle !== 'function') throw new Error(`${scriptFile} does not export handleInProcess`);
  const result = await handle(text, config, env);
  if (cacheFile !== null && (cached === undefined || script.cachedDataRejected === true)) writeCodeCache(cacheFile, script.createCachedData());
  return result;
}

/** The cache file for this script, Node and machine; null when caching is off or the directory is not private. */
function codeCacheFile(env: Readonly<Record<string, string | undefined>>, scriptFile: string): string | null {
  const root = wardenCacheDir(env);
  if (root === null) return null;
  const dir = join(root, 'hook');
  if (!ensurePrivateDir(dir, root)) return null;
  try {
    const st = statSync(scriptFile);
    const key = createHash('sha256').update([__WARDEN_HOOK_SCRIPT_DIGEST__, st.size, st.mtimeMs, process.version, process.arch].join('\0')).digest('hex').slice(0, 32);
    return join(dir, `${PREFIX}${key}.code`);
  } catch {
    // No script to key on: no cache (reading it fails next, and the hook blocks).
    return null;
  }
}

/** The cache's bytes when the file is this user's private regular file; else undefined. */
function readCodeCache(file: string): Buffer | undefined {
  try {
    const st = lstatSync(file);
    // invariant: bytecode is read only from a file no one but this user could have written.
    if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0 || st.size > MAX_CACHE_BYTES) return undefined;
    const bytes = readFileSync(file);
    // V8 does not checksum a code cache it is given: a damaged one could crash the process
    // (which Claude Code would not take as a block), so a cache is used only whole.
    if (bytes.length < HEADER_BYTES || bytes.readUInt32BE(0) !== bytes.length - HEADER_BYTES || bytes.readUInt32BE(4) !== crc32(bytes.subarray(HEADER_BYTES))) return undefined;
    return bytes.subarray(HEADER_BYTES);
  } catch {
    // None yet: this run compiles as usual and writes one.
    return undefined;
  }
}

/** Stores `data` atomically (0600), keeping at most MAX_CACHES. Never throws. */
function writeCodeCache(file: string, data: Buffer): void {
  const dir = dirname(file);
  const temp = join(dir, `.${PREFIX}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(data.length, 0);
    header.writeUInt32BE(crc32(data), 4);
    writeFileSync(temp, Buffer.concat([header, data]), { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
    // Other installs or Node versions have caches of their own here; the least recently written go.
    const others = readdirSync(dir).filter((n) => n.startsWith(PREFIX) && join(dir, n) !== file);
    if (others.length >= MAX_CACHES) {
      const byAge = others.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { n } of byAge.slice(0, others.length - MAX_CACHES + 1)) rmSync(join(dir, n), { force: true });
    }
  } catch {
    // Not stored: the next event compiles again and tries to store it.
    rmSync(temp, { force: true });
  }
}

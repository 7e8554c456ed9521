/**
 * The entry of the built hook (`dist/hook/main.js`): it runs the hook's bundle, one script
 * (`dist/hook/bundle.cjs`, built by scripts/build.mjs from hook-entry.ts), through `node:vm` with
 * a V8 code cache that is made after an event ran.
 *
 * Why not Node's module compile cache: it stores the bytecode V8 made when a module was compiled,
 * which is its top level; every function an event runs is compiled again in every hook process
 * (parsing, type-checking and evaluating conditions, the facets, the pipeline, the audit log). A
 * script's cache made with `createCachedData()` after the event holds those functions too. Within
 * the bundle, each module still initialises only when something imports it (esbuild's lazy module
 * wrappers), so a warm event runs no compiler, detector or server code.
 *
 * The cache is code this process runs, so it is trusted as the cache directory is (see
 * enforce/cache-dir.ts): `hook/` in Warden's private cache directory, a file this user owns with
 * no group or other bits, written to a temporary file and renamed into place, and used only when
 * its length and CRC-32 check (V8 itself does not checksum what it is given). Its name is a digest
 * of the bundle's own digest (taken at build time), the bundle file's size and modification time,
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
import { ensurePrivateDir, wardenCacheDir } from '../enforce/cache-dir.js';

declare const __WARDEN_HOOK_SCRIPT_DIGEST__: string;

/** Largest code cache read (the hook's is about 2 MB). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** A cache file starts with the length and the CRC-32 of the V8 data after it. */
const HEADER_BYTES = 8;

/** Most caches kept (one per install and Node version in use). */
const MAX_CACHES = 8;

/** Cache files are named `<PREFIX><key>.code` in `<cache dir>/hook/`. */
const PREFIX = 'hook-bundle-';

interface HookBundle {
  runHook(args: readonly string[]): Promise<number>;
}

/**
 * Runs `warden hook <host> [options]` given the arguments after `hook`; returns the exit code.
 * After the first event (or one whose cache V8 refused), stores the code cache for the next.
 *
 * @example
 * ```ts
 * process.exitCode = await runHook(['claude-code']);
 * ```
 */
export async function runHook(args: readonly string[]): Promise<number> {
  const bundleUrl = new URL('./bundle.cjs', import.meta.url);
  const bundleFile = fileURLToPath(bundleUrl);
  const cacheFile = codeCacheFile(process.env, bundleFile);
  const cached = cacheFile === null ? undefined : readCodeCache(cacheFile);
  let script: Script;
  let run: HookBundle['runHook'];
  try {
    // The bundle's parameters are the CommonJS module scope, plus the URL its `import.meta.url` reads.
    script = new Script(`(function (exports, require, module, __filename, __dirname, __wardenModuleUrl) {${readFileSync(bundleFile, 'utf8')}\n})`, {
      filename: bundleFile,
      ...(cached !== undefined ? { cachedData: cached } : {}),
    });
    const bundle: { exports: Partial<HookBundle> } = { exports: {} };
    (script.runInThisContext() as (...a: unknown[]) => void)(bundle.exports, createRequire(bundleFile), bundle, bundleFile, dirname(bundleFile), bundleUrl.href);
    if (typeof bundle.exports.runHook !== 'function') throw new Error(`${bundleFile} does not export runHook`);
    run = bundle.exports.runHook;
  } catch (e) {
    // invariant: a hook that cannot start blocks the call (exit 2), as every other hook failure does.
    process.stderr.write(`warden: the hook could not start, so the call is blocked: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const code = await run(args);
  if (cacheFile !== null && (cached === undefined || script.cachedDataRejected === true)) writeCodeCache(cacheFile, script.createCachedData());
  return code;
}

/** The cache file for this bundle, Node and machine; null when caching is off or the directory is not private. */
function codeCacheFile(env: Readonly<Record<string, string | undefined>>, bundleFile: string): string | null {
  const root = wardenCacheDir(env);
  if (root === null) return null;
  const dir = join(root, 'hook');
  if (!ensurePrivateDir(dir, root)) return null;
  try {
    const st = statSync(bundleFile);
    const key = createHash('sha256').update([__WARDEN_HOOK_SCRIPT_DIGEST__, st.size, st.mtimeMs, process.version, process.arch].join('\0')).digest('hex').slice(0, 32);
    return join(dir, `${PREFIX}${key}.code`);
  } catch {
    // No bundle to key on: no cache (the script read above has failed already).
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

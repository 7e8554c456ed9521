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
 *
 * What the cache holds is what the events that made it ran, and every process deserializes all
 * of it; so it is made by an event that ran on a verified compiled-policy entry (a warm event),
 * not by the one that compiled the policy (the compiler and the YAML parser would be deserialized
 * on every later event, which never runs them). It records which kinds of event (event name and
 * tool) made it, and an event of a new kind adds its code (the cache is written again once per
 * kind, up to {@link MAX_PROFILES}). When the compiled-policy cache cannot help (not stored, not
 * cacheable, unusable), the first event writes it as before.
 */
import { lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { ensurePrivateDir, wardenCacheDir } from '../../enforce/cache-dir.js';
import type { CacheStatus } from '../../enforce/compiled-cache.js';
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

/** Most kinds of event (event name and tool) a cache is extended for; beyond, it is kept as is. */
const MAX_PROFILES = 16;

/** Longest record of the kinds of event in a cache file. */
const MAX_PROFILE_BYTES = 16 * 1024;

/** A usable cache: V8's data and the kinds of event whose code it holds. */
interface CodeCache {
  data: Buffer;
  /** `<event name>:<tool>` of each kind of event that ran before the data was made. */
  profiles: string[];
  /** Made by events whose policy came from a verified compiled-policy entry (nothing compiled). */
  warm: boolean;
}

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
    ...(cached !== undefined ? { cachedData: cached.data } : {}),
  });
  const loaded: { exports: { handleInProcess?: typeof handleInProcess } } = { exports: {} };
  (script.runInThisContext() as (...a: unknown[]) => void)(loaded.exports, createRequire(scriptFile), loaded, scriptFile, dirname(scriptFile), scriptUrl.href);
  const handle = loaded.exports.handleInProcess;
  if (typeof handle !== 'function') throw new Error(`${scriptFile} does not export handleInProcess`);
  let statuses: readonly CacheStatus[] = [];
  const result = await handle(text, config, env, (s) => (statuses = s));
  if (cacheFile !== null) {
    const next = nextCodeCache(cached !== undefined && script.cachedDataRejected !== true ? cached : undefined, eventProfile(text), statuses);
    if (next !== null) writeCodeCache(cacheFile, script.createCachedData(), next);
  }
  return result;
}

/**
 * Whether to write the code cache after an event, and what it then records: `used` is the cache
 * this process ran with (undefined: none, or V8 refused it), `profile` the event's kind,
 * `statuses` what the compiled-policy cache did. Null: keep the file as it is.
 *
 * @internal
 * @example
 * ```ts
 * nextCodeCache(undefined, 'PreToolUse:Bash', ['hit']); // { profiles: ['PreToolUse:Bash'], warm: true }
 * nextCodeCache(undefined, 'PreToolUse:Bash', ['written']); // null: the next event (a hit) writes it
 * ```
 */
export function nextCodeCache(used: Omit<CodeCache, 'data'> | undefined, profile: string, statuses: readonly CacheStatus[]): Omit<CodeCache, 'data'> | null {
  const warm = statuses.length > 0 && statuses.every((s) => s === 'hit');
  // No compiled-policy cache, or one that will not hold this policy: every event compiles, so waiting for a warm one would wait forever.
  const alwaysCompiles = statuses.length === 0 || statuses.some((s) => s === 'not-stored' || s === 'not-cacheable');
  if (used === undefined) return warm || alwaysCompiles ? { profiles: [profile], warm } : null;
  if (!warm || (used.warm && used.profiles.includes(profile)) || used.profiles.length >= MAX_PROFILES) return null;
  return { profiles: used.profiles.includes(profile) ? [...used.profiles] : [...used.profiles, profile], warm: true };
}

/** The kind of event in Claude Code's input: `<hook_event_name>:<tool_name>` (clipped), or `unknown`. */
function eventProfile(text: string): string {
  try {
    const input = JSON.parse(text) as { hook_event_name?: unknown; tool_name?: unknown } | null;
    const event = typeof input?.hook_event_name === 'string' ? input.hook_event_name.slice(0, 64) : '';
    const tool = typeof input?.tool_name === 'string' ? input.tool_name.slice(0, 64) : '';
    return `${event}:${tool}`;
  } catch {
    // The event fails to parse in the engine too; its kind does not matter.
    return 'unknown';
  }
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

/**
 * The cache when the file is this user's private regular file and whole; else undefined. The
 * file: the length and CRC-32 of the rest, the length of the record of kinds of event, that
 * record (JSON), then V8's data.
 */
function readCodeCache(file: string): CodeCache | undefined {
  try {
    const st = lstatSync(file);
    // invariant: bytecode is read only from a file no one but this user could have written.
    if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0 || st.size > MAX_CACHE_BYTES) return undefined;
    const bytes = readFileSync(file);
    // V8 does not checksum a code cache it is given: a damaged one could crash the process
    // (which Claude Code would not take as a block), so a cache is used only whole.
    if (bytes.length < HEADER_BYTES + 4 || bytes.readUInt32BE(0) !== bytes.length - HEADER_BYTES || bytes.readUInt32BE(4) !== crc32(bytes.subarray(HEADER_BYTES))) return undefined;
    const recordBytes = bytes.readUInt32BE(HEADER_BYTES);
    if (recordBytes > MAX_PROFILE_BYTES || HEADER_BYTES + 4 + recordBytes > bytes.length) return undefined;
    const record = JSON.parse(bytes.toString('utf8', HEADER_BYTES + 4, HEADER_BYTES + 4 + recordBytes)) as { profiles?: unknown; warm?: unknown } | null;
    const profiles = record?.profiles;
    if (!Array.isArray(profiles) || !profiles.every((p) => typeof p === 'string') || typeof record?.warm !== 'boolean') return undefined;
    return { data: bytes.subarray(HEADER_BYTES + 4 + recordBytes), profiles: profiles as string[], warm: record.warm };
  } catch {
    // None yet, or not one of ours: this run compiles as usual and writes one.
    return undefined;
  }
}

/** Stores `data` with its record atomically (0600), keeping at most MAX_CACHES. Never throws. */
function writeCodeCache(file: string, data: Buffer, record: Omit<CodeCache, 'data'>): void {
  const dir = dirname(file);
  const temp = join(dir, `.${PREFIX}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const json = Buffer.from(JSON.stringify({ profiles: record.profiles, warm: record.warm }), 'utf8');
    const recordLength = Buffer.alloc(4);
    recordLength.writeUInt32BE(json.length, 0);
    const body = Buffer.concat([recordLength, json, data]);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(body.length, 0);
    header.writeUInt32BE(crc32(body), 4);
    writeFileSync(temp, Buffer.concat([header, body]), { mode: 0o600, flag: 'wx' });
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

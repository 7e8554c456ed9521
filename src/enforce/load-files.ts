/**
 * Reading policy files and directories from disk (the I/O edge of the policy language).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { API_VERSION } from '../policy/api-version.js';
import type { PolicyBackends } from '../policy/backend.js';
import type { CompileOptions, PolicySource } from '../policy/compile.js';
import { COMPILE_OPTION_KEYS } from '../policy/compile-options.js';
import { PolicyLoadError } from '../policy/issues.js';
import { resolveRequestLimits } from '../policy/limits.js';
import { count, positionAt, raiseHint, resolveLoadLimits, type LoadLimits } from '../policy/load-limits.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { PolicySet } from '../policy/policy-set.js';
import { loadSqlParsers, type SqlDialect, type SqlParsers } from '../facets/sql-parsers.js';
import { fsRealpathResolver } from './realpath-resolver.js';
import { lazyDetector, loadDetector } from './lazy-detector.js';
import type { CompiledPolicyCache } from './compiled-cache.js';
import type { FacetBinding } from '../facets/bindings.js';

/**
 * Options of {@link loadPolicyFiles}: the compile options, and the on-disk compiled-policy cache
 * to use (none by default; `compiledPolicyCacheFromEnv(process.env)` is the command line's).
 *
 * @example
 * ```ts
 * const options: LoadOptions = { cache: CompiledPolicyCache.open('/var/cache/warden/policies') };
 * ```
 */
export interface LoadOptions extends CompileOptions {
  cache?: CompiledPolicyCache | null;
}

/** File extensions read from a policy directory (.cedar and .rego files are Cedar and Rego documents). */
export const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json', '.cedar', '.rego'];

/** Most files read from directories in one load. */
const MAX_FILES = 10_000;

/**
 * Reads policy files (directories are read recursively for .yaml, .yml and .json files, in
 * sorted order, skipping dot-files) and compiles them into one PolicySet. Path bindings with
 * `realpath: true` are answered from this machine's file system unless `options.resolver` says
 * otherwise. When the policy binds the sql facet, the parsers of the dialects it uses are loaded
 * before the set is completed (or `options.sqlParsers` is used when it has them all), so the set
 * parses SQL from its first decision.
 *
 * @example
 * ```ts
 * const set = await loadPolicyFiles(['policies/']);
 * ```
 * @throws PolicyLoadError when a path is missing, a directory holds no policy, or any source fails to load;
 *   WardenError `ERR_OPTIONS` for an unknown option key or a bad limit.
 */
export async function loadPolicyFiles(paths: readonly string[], options: LoadOptions = {}): Promise<PolicySet> {
  // Checked before any file is read (compiling checks them again).
  rejectUnknownKeys(options, LOAD_OPTION_KEYS, 'ERR_OPTIONS', 'loadPolicyFiles options');
  resolveRequestLimits(options.limits);
  return (await compileReadSources(await readPolicySources(paths, options), options)).set;
}

const LOAD_OPTION_KEYS = [...COMPILE_OPTION_KEYS, 'cache'];

/**
 * Compiles sources read from disk as {@link loadPolicyFiles} does: path bindings answered from this
 * machine's file system (unless `options.resolver` says otherwise), through `options.cache` when
 * given, the SQL parsers the policy binds loaded before the set is completed (`options.sqlParsers`
 * used when it has them all). Also returns the parsers in use, so a caller that loads again (a
 * PolicyStore) can pass them back.
 *
 * @example
 * ```ts
 * const { set, sqlParsers } = await compileReadSources(await readPolicySources(['policies/']));
 * ```
 * `bindings` are facet bindings an enforcement point supplies (the Claude Code hook's), so the set
 * decides as that host does.
 *
 * @throws PolicyLoadError when any source fails to load.
 */
export async function compileReadSources(sources: readonly PolicySource[], options: LoadOptions = {}, bindings: readonly FacetBinding[] = []): Promise<{ set: PolicySet; sqlParsers: SqlParsers | undefined }> {
  const { cache, ...compileOptions } = options;
  const prepared = await withLanguageEngines(sources, cache ?? null, compileOptions.backends);
  sources = prepared.sources;
  const resolved = { resolver: fsRealpathResolver, detector: lazyDetector, ...compileOptions, ...(prepared.backends !== undefined ? { backends: prepared.backends } : {}) };
  // The compiler (and the YAML parser) loads on demand: a cache hit needs neither.
  const staged = cache ? (await cache.stage(sources, bindings, resolved)).staged : (await import('../policy/compile.js')).stagePolicy(sources, bindings, resolved);
  const sql = await sqlParsersFor(staged.sqlDialects, options.sqlParsers);
  // The detectors load only for a policy that reads `detect`.
  if (staged.readsDetect && compileOptions.detector === undefined) await loadDetector();
  if ('error' in sql) return { set: staged.complete(sql.partial, sql.error), sqlParsers: sql.partial };
  return { set: staged.complete(sql.parsers), sqlParsers: sql.parsers };
}

/**
 * Parsers for `dialects`: `given` when it has them all, otherwise freshly loaded ones with
 * `given`'s dialects too (none when no dialect is needed), or why some could not be loaded with
 * the parsers of those that did (`partial`): the caller completes the set with `partial`, so the
 * load error lands only at the bindings whose dialect cannot parse. `load` is the loader
 * (loadSqlParsers; injectable so a missing optional package can be shown in a test).
 *
 * @example
 * ```ts
 * const r = await sqlParsersFor(new Set(['postgresql']), undefined);
 * if ('parsers' in r) compilePolicy(sources, { sqlParsers: r.parsers });
 * ```
 */
export async function sqlParsersFor(
  dialects: ReadonlySet<SqlDialect>,
  given: SqlParsers | undefined,
  load: (options: { dialects: SqlDialect[] }) => Promise<SqlParsers> = loadSqlParsers,
): Promise<{ parsers: SqlParsers | undefined } | { error: ReadonlyMap<SqlDialect, string> | string; partial: SqlParsers | undefined }> {
  if (dialects.size === 0) return { parsers: given };
  if (given && [...dialects].every((d) => given.dialects.has(d))) return { parsers: given };
  // Keep what was loaded before, so a cache shared across sets only ever grows.
  const all = new Set([...(given?.dialects ?? []), ...dialects]);
  try {
    return { parsers: await load({ dialects: [...all] }) };
  } catch (e) {
    // Find which dialects cannot load, so a binding whose dialect still parses (PostgreSQL, whose
    // parser is a dependency) is not refused for another dialect's missing package, and each
    // binding that is refused is told about its own dialect.
    const loadable: SqlDialect[] = [];
    const failures = new Map<SqlDialect, string>();
    for (const d of all) {
      try {
        await load({ dialects: [d] });
        loadable.push(d);
      } catch (err) {
        failures.set(d, err instanceof Error ? err.message : String(err));
      }
    }
    // Every dialect loads alone but not together: blame the whole set with the first error.
    if (failures.size === 0) return { error: e instanceof Error ? e.message : String(e), partial: given };
    let partial = given;
    if (loadable.length > 0) {
      try {
        partial = await load({ dialects: loadable });
      } catch {
        partial = given;
      }
    }
    return { error: failures, partial };
  }
}

/**
 * Reads the sources behind `paths` without compiling them. A file that is certainly over the load
 * limits (more than three bytes per allowed character) is refused without reading all of it.
 *
 * @example
 * ```ts
 * const sources = await readPolicySources(['policies/'], { loadLimits: { maxSourceChars: 2_000_000 } });
 * ```
 * @throws PolicyLoadError when a path is missing, a directory holds no policy, or a file is too large.
 */
export async function readPolicySources(paths: readonly string[], options: Pick<CompileOptions, 'loadLimits'> = {}): Promise<PolicySource[]> {
  resolveLoadLimits(options.loadLimits);
  return readListedSources(await policyFilesOf(paths), options);
}

/**
 * Reads listed policy files (as {@link policyFilesOf} lists them), within the load limits.
 *
 * @example
 * ```ts
 * const sources = await readListedSources(await policyFilesOf(['policies/']));
 * ```
 * @throws PolicyLoadError when a file cannot be read or is too large.
 */
export async function readListedSources(files: readonly string[], options: Pick<CompileOptions, 'loadLimits'> = {}): Promise<Array<{ name: string; text: string }>> {
  const limits = resolveLoadLimits(options.loadLimits);
  const sources: Array<{ name: string; text: string }> = [];
  let totalBytes = 0;
  for (const f of files) {
    const text = await readBounded(f, limits, totalBytes);
    totalBytes += Buffer.byteLength(text, 'utf8');
    sources.push({ name: f, text });
  }
  return sources;
}

/**
 * The policy files behind `paths`, in load order: files as given, directories listed recursively
 * (sorted, dot-files skipped).
 *
 * @example
 * ```ts
 * await policyFilesOf(['policies/']); // ['policies/a.yaml', 'policies/team/b.yaml']
 * ```
 * @throws PolicyLoadError when a path is missing or a directory holds no policy.
 */
export async function policyFilesOf(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw loadError('(none)', 'no_policy', 'No policy path was given. Pass --policy <file|dir> (warden init writes a starter policy).');
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch (e) {
      throw loadError(p, 'file_not_found', `Cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Check the path.`);
    }
    if (info.isDirectory()) {
      const found = await listPolicyFiles(p);
      if (found.length === 0) throw loadError(p, 'no_policy', `The directory ${p} holds no .yaml, .yml or .json policy file.`);
      files.push(...found);
    } else {
      files.push(p);
    }
    if (files.length > MAX_FILES) throw loadError(p, 'too_many_files', `More than ${MAX_FILES} policy files; point --policy at fewer files.`);
  }
  return files;
}

/** UTF-8 spends at most three bytes on one UTF-16 code unit, so more bytes than this is certainly over. */
const BYTES_PER_CHAR = 3;

/**
 * Reads a policy file, but never more than the limits allow: a longer file is refused with a
 * `too_large` issue at the character where it crosses `maxSourceChars`, having read only that far.
 */
async function readBounded(file: string, limits: LoadLimits, bytesBefore: number): Promise<string> {
  const cap = Math.min(limits.maxSourceChars, limits.maxTotalSourceChars) * BYTES_PER_CHAR;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw loadError(file, 'file_unreadable', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Read to the end or one byte past the cap (a FIFO or a growing file has no size to trust).
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, cap + 1 - size));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      size += bytesRead;
      if (size > cap) break;
    }
  } catch (e) {
    throw loadError(file, 'file_unreadable', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  } finally {
    await handle.close();
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (size > cap) {
    const key = limits.maxSourceChars <= limits.maxTotalSourceChars ? 'maxSourceChars' : 'maxTotalSourceChars';
    throw tooLarge(file, text, limits[key], `${file} is more than ${count(cap)} bytes, so more than the ${count(limits[key])} characters loadLimits.${key} allows; the limit is crossed here. ${raiseHint(key)}`);
  }
  if (bytesBefore + size > limits.maxTotalSourceChars * BYTES_PER_CHAR) {
    const room = Math.max(0, Math.floor((limits.maxTotalSourceChars * BYTES_PER_CHAR - bytesBefore) / BYTES_PER_CHAR));
    throw tooLarge(file, text, room, `The policy files of this load are more than ${count(limits.maxTotalSourceChars * BYTES_PER_CHAR)} bytes together, so more than the ${count(limits.maxTotalSourceChars)} characters loadLimits.maxTotalSourceChars allows; this file crosses it. ${raiseHint('maxTotalSourceChars')}`);
  }
  return text;
}

function tooLarge(file: string, text: string, offset: number, message: string): PolicyLoadError {
  return new PolicyLoadError([{ severity: 'error', code: 'too_large', ...positionAt(text, offset, file), message }]);
}

/** Deepest directory nesting followed (it also stops symlink loops). */
const MAX_DIR_DEPTH = 32;

async function listPolicyFiles(dir: string, depth = 0): Promise<string[]> {
  if (depth > MAX_DIR_DEPTH) throw loadError(dir, 'too_deep', `Policy directories nest deeper than ${MAX_DIR_DEPTH} levels (a symlink loop?).`);
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      // Symlinks are followed, never silently skipped.
      const target = await stat(full).catch(() => null);
      if (!target) throw loadError(full, 'file_not_found', `${full} is a symlink to nothing. Fix or remove it.`);
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) out.push(...(await listPolicyFiles(full, depth + 1)));
    else if (isFile && isPolicyFileName(e.name)) out.push(full);
    if (out.length > MAX_FILES) break;
  }
  return out;
}

/** Policy files: .yaml, .yml, .json, .cedar, .rego, except test files (`*.test.yaml`, `*_test.rego`). */
export function isPolicyFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return POLICY_EXTENSIONS.includes(extname(lower)) && !/\.test\.(ya?ml|json)$/.test(lower) && !lower.endsWith('_test.rego');
}

/**
 * Sources ready to compile, with the engines their Cedar and Rego documents need: .cedar and .rego
 * files become the documents they stand for, and the engines are loaded (those in `given` are
 * used as they are). Every loader of policy files calls it (loadPolicyFiles, the Claude Code hook,
 * `warden lint`).
 *
 * @example
 * ```ts
 * const { sources, backends } = await withLanguageEngines(await readPolicySources(['policies/']), null);
 * const set = compilePolicy(sources, backends ? { backends } : {});
 * ```
 */
export async function withLanguageEngines(
  sources: readonly PolicySource[],
  cache: CompiledPolicyCache | null,
  given?: PolicyBackends,
): Promise<{ sources: PolicySource[]; backends: PolicyBackends | undefined }> {
  const out = sources.map(languageSource);
  return { sources: out, backends: given ?? (await backendsFor(out, cache)) };
}

/**
 * A .cedar or .rego file as the document it stands for (`kind: CedarPolicy` / `kind: RegoPolicy`,
 * named after the file); any other source as it is.
 */
function languageSource(source: PolicySource): PolicySource {
  if (!('text' in source)) return source;
  const ext = extname(source.name).toLowerCase();
  if (ext !== '.cedar' && ext !== '.rego') return source;
  const name = basename(source.name).slice(0, -ext.length);
  const document =
    ext === '.cedar'
      ? { apiVersion: API_VERSION, kind: 'CedarPolicy', name, policies: source.text }
      : { apiVersion: API_VERSION, kind: 'RegoPolicy', name, module: source.text };
  return { name: source.name, document };
}

/** Whether a source holds a Cedar or Rego document (a cheap look: the compile reads it properly). */
function languagesIn(sources: readonly PolicySource[]): Set<'cedar' | 'rego'> {
  const found = new Set<'cedar' | 'rego'>();
  for (const s of sources) {
    const text = 'text' in s ? s.text : JSON.stringify((s as { document: unknown }).document ?? null);
    if (/CedarPolicy/.test(text)) found.add('cedar');
    if (/RegoPolicy/.test(text)) found.add('rego');
  }
  return found;
}

/**
 * The engines the sources need, loaded; an engine that cannot be loaded is left out, so each of its
 * documents fails the load with a `backend_missing` issue carrying why (what to install).
 */
async function backendsFor(sources: readonly PolicySource[], cache: CompiledPolicyCache | null): Promise<PolicyBackends | undefined> {
  const languages = languagesIn(sources);
  if (languages.size === 0) return undefined;
  const engines = await import('../backends/index.js');
  const out: PolicyBackends = {};
  for (const language of languages) {
    try {
      if (language === 'cedar') out.cedar = await engines.cedarBackend();
      else out.rego = await engines.regoBackend({ cache: cache?.blobs('rego-wasm') ?? null });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      out[language] = () => {
        throw new Error(why);
      };
    }
  }
  return out;
}

function loadError(file: string, code: string, message: string): PolicyLoadError {
  return new PolicyLoadError([{ severity: 'error', code, file, line: 0, col: 0, message }]);
}

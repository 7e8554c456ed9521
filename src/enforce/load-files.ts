/**
 * Reading policy files and directories from disk (the I/O edge of the policy language).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { CompileOptions, PolicySource } from '../policy/compile.js';
import { PolicyLoadError } from '../policy/issues.js';
import type { PolicySet } from '../policy/policy-set.js';
import { loadSqlParsers, type SqlDialect, type SqlParsers } from '../facets/sql-parsers.js';
import { fsRealpathResolver } from './realpath-resolver.js';
import type { CompiledPolicyCache } from './compiled-cache.js';

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

/** File extensions read from a policy directory. */
export const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json'];

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
 * @throws PolicyLoadError when a path is missing, a directory holds no policy, or any source fails to load.
 */
export async function loadPolicyFiles(paths: readonly string[], options: LoadOptions = {}): Promise<PolicySet> {
  const { cache, ...compileOptions } = options;
  const sources = await readPolicySources(paths);
  const resolved = { resolver: fsRealpathResolver, ...compileOptions };
  // The compiler (and the YAML parser) loads on demand: a cache hit needs neither.
  const staged = cache ? (await cache.stage(sources, [], resolved)).staged : (await import('../policy/compile.js')).stagePolicy(sources, [], resolved);
  const sql = await sqlParsersFor(staged.sqlDialects, options.sqlParsers);
  return 'error' in sql ? staged.complete(options.sqlParsers, sql.error) : staged.complete(sql.parsers);
}

/**
 * Parsers for `dialects`: `given` when it has them all, otherwise freshly loaded ones with
 * `given`'s dialects too (none when no dialect is needed), or why they could not be loaded (the
 * caller turns that into a load error at each sql binding).
 *
 * @example
 * ```ts
 * const r = await sqlParsersFor(new Set(['postgresql']), undefined);
 * if ('parsers' in r) compilePolicy(sources, { sqlParsers: r.parsers });
 * ```
 */
export async function sqlParsersFor(dialects: ReadonlySet<SqlDialect>, given: SqlParsers | undefined): Promise<{ parsers: SqlParsers | undefined } | { error: string }> {
  if (dialects.size === 0) return { parsers: given };
  if (given && [...dialects].every((d) => given.dialects.has(d))) return { parsers: given };
  // Keep what was loaded before, so a cache shared across sets only ever grows.
  const all = new Set([...(given?.dialects ?? []), ...dialects]);
  try {
    return { parsers: await loadSqlParsers({ dialects: [...all] }) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Reads the sources behind `paths` without compiling them. */
export async function readPolicySources(paths: readonly string[]): Promise<PolicySource[]> {
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
  const sources: PolicySource[] = [];
  for (const f of files) {
    try {
      sources.push({ name: f, text: await readFile(f, 'utf8') });
    } catch (e) {
      throw loadError(f, 'file_unreadable', `Cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
    }
  }
  return sources;
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

/** Policy files: .yaml, .yml, .json, except test-case files (`*.test.yaml`). */
export function isPolicyFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return POLICY_EXTENSIONS.includes(extname(lower)) && !/\.test\.(ya?ml|json)$/.test(lower);
}

function loadError(file: string, code: string, message: string): PolicyLoadError {
  return new PolicyLoadError([{ severity: 'error', code, file, line: 0, col: 0, message }]);
}

/** Reading test-case files and directories from disk (the I/O edge of policy tests). */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyIssue } from '../policy/issues.js';
import { parsePolicyTests, PolicyTestLoadError } from './cases.js';
import type { PolicyTestCase } from './types.js';

/** Most case files read in one load. */
export const MAX_TEST_FILES = 10_000;

/** Most cases run in one load. */
export const MAX_TEST_CASES = 100_000;

/** Deepest directory nesting followed (it also stops symlink loops). */
const MAX_DIR_DEPTH = 32;

/** Largest case file read, in bytes (the YAML reader refuses more characters than this anyway). */
const MAX_FILE_BYTES = 10_000_000;

/**
 * The cases of a load, the files they came from, and non-fatal findings.
 *
 * @example
 * ```ts
 * const { cases, files, warnings }: LoadedPolicyTests = await loadPolicyTestFiles(['tests/']);
 * ```
 */
export interface LoadedPolicyTests {
  cases: PolicyTestCase[];
  files: string[];
  warnings: PolicyIssue[];
}

/**
 * True for the names searched in directories: `*.test.yaml`, `*.test.yml`, `*.test.json`.
 *
 * @example
 * ```ts
 * isTestFileName('policy.test.yaml'); // true
 * isTestFileName('policy.yaml');      // false
 * ```
 */
export function isTestFileName(name: string): boolean {
  return /\.test\.(ya?ml|json)$/.test(name.toLowerCase());
}

/**
 * Reads test cases from files and directories. A file named directly is read whatever its name;
 * directories are searched recursively (sorted, skipping dot-files) for `*.test.yaml`,
 * `*.test.yml` and `*.test.json`. A file listed twice is read once.
 *
 * @example
 * ```ts
 * const { cases } = await loadPolicyTestFiles(['policy.test.yaml', 'tests/']);
 * const run = runPolicyTests(set, cases);
 * ```
 * @throws PolicyTestLoadError when a path is missing, a directory holds no case file, any file has
 * an error (every issue is listed with file:line:col), or there is no case at all.
 */
export async function loadPolicyTestFiles(paths: readonly string[]): Promise<LoadedPolicyTests> {
  const issues: PolicyIssue[] = [];
  const fail = (file: string, code: string, message: string): void => {
    issues.push({ severity: 'error', code, file, line: 0, col: 0, message });
  };
  if (paths.length === 0) fail('(none)', 'no_cases', 'No test case path was given. Pass --cases <file|dir> (warden init writes policy.test.yaml).');
  const files: string[] = [];
  const seen = new Set<string>();
  const add = async (f: string): Promise<void> => {
    const real = await realpath(f).catch(() => f);
    if (seen.has(real)) return;
    seen.add(real);
    files.push(f);
  };
  for (const p of paths) {
    const info = await stat(p).catch((e: NodeJS.ErrnoException) => e);
    if (info instanceof Error) {
      fail(p, 'file_not_found', `Cannot read ${p}: ${info.code ?? info.message}. Check the path.`);
      continue;
    }
    if (info.isDirectory()) {
      const before = issues.length;
      const found = await listTestFiles(p, 0, issues);
      if (found.length === 0 && issues.length === before) fail(p, 'no_cases', `The directory ${p} holds no *.test.yaml, *.test.yml or *.test.json file.`);
      for (const f of found) await add(f);
    } else {
      await add(p);
    }
    if (files.length > MAX_TEST_FILES) {
      fail(p, 'too_many_files', `More than ${MAX_TEST_FILES} case files; point --cases at fewer files.`);
      break;
    }
  }
  const cases: PolicyTestCase[] = [];
  const warnings: PolicyIssue[] = [];
  for (const f of files) {
    let text: string;
    try {
      const size = (await stat(f)).size;
      if (size > MAX_FILE_BYTES) {
        fail(f, 'too_large', `${f} is ${size} bytes; the limit is ${MAX_FILE_BYTES}. Split it into several files.`);
        continue;
      }
      text = await readFile(f, 'utf8');
    } catch (e) {
      fail(f, 'file_unreadable', `Cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
      continue;
    }
    const parsed = parsePolicyTests(f, text);
    for (const i of parsed.issues) (i.severity === 'error' ? issues : warnings).push(i);
    cases.push(...parsed.cases);
    if (cases.length > MAX_TEST_CASES) {
      fail(f, 'too_many_cases', `More than ${MAX_TEST_CASES} cases; split the run.`);
      break;
    }
  }
  if (issues.length === 0 && cases.length === 0) fail(paths.join(', '), 'no_cases', 'No test case was found; a run of no cases would pass without testing anything.');
  if (issues.length > 0) throw new PolicyTestLoadError([...issues, ...warnings]);
  return { cases, files, warnings };
}

async function listTestFiles(dir: string, depth: number, issues: PolicyIssue[]): Promise<string[]> {
  if (depth > MAX_DIR_DEPTH) {
    issues.push({ severity: 'error', code: 'too_deep', file: dir, line: 0, col: 0, message: `Case directories nest deeper than ${MAX_DIR_DEPTH} levels (a symlink loop?).` });
    return [];
  }
  const out: string[] = [];
  let entries;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    issues.push({ severity: 'error', code: 'file_unreadable', file: dir, line: 0, col: 0, message: `Cannot read the directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.` });
    return [];
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      // Symlinks are followed, never silently skipped.
      const target = await stat(full).catch(() => null);
      if (!target) {
        issues.push({ severity: 'error', code: 'file_not_found', file: full, line: 0, col: 0, message: `${full} is a symlink to nothing. Fix or remove it.` });
        continue;
      }
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) out.push(...(await listTestFiles(full, depth + 1, issues)));
    else if (isFile && isTestFileName(e.name)) out.push(full);
    if (out.length > MAX_TEST_FILES) break;
  }
  return out;
}

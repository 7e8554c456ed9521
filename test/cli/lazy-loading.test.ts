/**
 * The built `warden` loads only what the command it runs needs. Checked with a module-load trace
 * (a Node loader hook that lists every file the process loads), never with timings: each loaded
 * chunk of the bundle is searched for the source markers esbuild writes (`// src/policy/compile.ts`,
 * `// node_modules/yaml/...`). The hook's engine is one script (dist/hook/in-process.cjs, run through
 * node:vm) whose modules initialise only when imported: for it, V8's function coverage
 * (NODE_V8_COVERAGE) says which modules' initialisers ran, each named by its source path.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLAUDE_CODE_STARTER_POLICY } from '../../src/integrations/claude-code/starter-policy.js';

const FIX = fileURLToPath(new URL('../fixtures/cli', import.meta.url));
let main = '';
let dir = '';
let tracer = '';

beforeAll(() => {
  // The CLI built once for the run by test/global-setup.ts (scripts/build.mjs).
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-lazy-'));
  tracer = join(dir, 'trace.mjs');
  // Lists every file: URL the process loads, one per line, in $TRACE_OUT.
  writeFileSync(
    tracer,
    `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) appendFileSync(process.env.TRACE_OUT, url + '\\n'); return next(url, context); } });
`,
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the built CLI under the tracer; returns its exit code and the sources of everything it loaded. */
function traced(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; loaded: Set<string> }> {
  const out = join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(out, '');
  return new Promise((resolve, reject) => {
    const coverage = `${out}.coverage`;
    const child = spawn(process.execPath, ['--import', tracer, main, ...args], { cwd: options.cwd ?? dir, env: { PATH: process.env.PATH ?? '', HOME: dir, TRACE_OUT: out, NODE_V8_COVERAGE: coverage, ...options.env } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      const loaded = new Set<string>();
      for (const url of readFileSync(out, 'utf8').split('\n').filter((l) => l !== '')) {
        const file = fileURLToPath(url);
        if (!file.endsWith('.js')) continue;
        for (const m of readFileSync(file, 'utf8').matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)) {
          addSource(loaded, m[1] as string);
        }
      }
      for (const source of initialisedInScripts(coverage)) addSource(loaded, source);
      rmSync(coverage, { recursive: true, force: true });
      resolve({ code, stdout, loaded });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Adds an esbuild source marker, normalised: a package's is relative to the checkout (node_modules/x, or ../../y/node_modules/x when node_modules is a symlink out of it). */
function addSource(loaded: Set<string>, marker: string): void {
  const source = marker.includes('node_modules/') ? marker.slice(marker.lastIndexOf('node_modules/')) : marker;
  if (source.startsWith('src/') || source.startsWith('node_modules/')) loaded.add(source);
}

/**
 * The modules of the built scripts (`*.cjs`) that ran, from V8's coverage in `dir`: esbuild names
 * a lazily initialised module's initialiser after its source path (counted when it ran); a module
 * it hoisted into the script's top level has no initialiser and ran with the script.
 */
function initialisedInScripts(dir: string): string[] {
  const ran: string[] = [];
  for (const name of readdirSync(dir)) {
    const report = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> };
    for (const script of report.result) {
      if (!script.url.endsWith('.cjs')) continue;
      const initialisers = new Map(script.functions.filter((f) => /\.[cm]?[jt]s$/.test(f.functionName)).map((f) => [f.functionName, (f.ranges[0]?.count ?? 0) > 0]));
      for (const m of readFileSync(fileURLToPath(script.url), 'utf8').matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)) {
        const source = m[1] as string;
        if (initialisers.get(source) ?? true) ran.push(source);
      }
    }
  }
  return ran;
}

function packages(loaded: Set<string>): Set<string> {
  return new Set([...loaded].filter((s) => s.startsWith('node_modules/')).map((s) => s.split('/').slice(1, s.startsWith('node_modules/@') ? 3 : 2).join('/')));
}

describe('the built CLI loads only what its command needs', () => {
  it('warden --help loads no command and nothing of the policy engine', async () => {
    const r = await traced(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('check');
    expect(r.loaded.has('src/cli/main.ts')).toBe(true);
    for (const src of ['src/policy/compile.ts', 'src/policy/cel.ts', 'src/cli/check.ts', 'src/cli/mcp-proxy.ts', 'src/facets/shell.ts']) expect(r.loaded.has(src)).toBe(false);
    expect([...packages(r.loaded)]).toEqual(['commander']);
  });

  it('warden check with a warm cache does not load the policy compiler', async () => {
    const cache = join(dir, 'cache-check');
    const args = ['check', '--policy', join(FIX, 'policy.yaml'), '--request', join(FIX, 'allow.json'), '--now', '2026-03-01T12:00:00Z', '--json'];
    const cold = await traced(args, { env: { WARDEN_CACHE_DIR: cache } });
    expect(cold.code).toBe(0);
    expect(cold.loaded.has('src/policy/compile.ts')).toBe(true);
    const warm = await traced(args, { env: { WARDEN_CACHE_DIR: cache } });
    expect(warm.code).toBe(0);
    expect(JSON.parse(warm.stdout)).toEqual(JSON.parse(cold.stdout));
    expect(warm.loaded.has('src/policy/compile.ts')).toBe(false);
    expect(warm.loaded.has('src/policy/plan.ts')).toBe(true);
    expect(warm.loaded.has('src/policy/document.ts')).toBe(false);
    // No --audit: the audit sink is not loaded.
    expect(warm.loaded.has('src/audit/file-sink.ts')).toBe(false);
    expect(readdirSync(join(cache, 'policies')).filter((n) => n.endsWith('.plan'))).toHaveLength(1);
  });

  it('the hook with a warm cache loads neither the compiler nor commander nor the MCP SDK, and answers as with no cache', async () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, '.warden'), { recursive: true });
    writeFileSync(join(project, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY);
    const input = JSON.stringify({ session_id: 's', cwd: project, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git status' }, tool_use_id: 't1' });
    const env = { CLAUDE_PROJECT_DIR: project, WARDEN_HOOK_SERVER: 'off', WARDEN_CACHE_DIR: join(dir, 'cache-hook') };
    const uncached = await traced(['hook', 'claude-code'], { input, env: { ...env, WARDEN_CACHE: 'off' }, cwd: project });
    await traced(['hook', 'claude-code'], { input, env, cwd: project });
    const warm = await traced(['hook', 'claude-code'], { input, env, cwd: project });
    expect(warm.code).toBe(0);
    expect(warm.stdout).toBe(uncached.stdout);
    expect(warm.stdout).toContain('"permissionDecision":"allow"');
    expect(warm.loaded.has('src/policy/compile.ts')).toBe(false);
    expect(warm.loaded.has('src/cli/check.ts')).toBe(false);
    expect(packages(warm.loaded).has('commander')).toBe(false);
    expect(packages(warm.loaded).has('@modelcontextprotocol/sdk')).toBe(false);
    // The starter policy binds no SQL: the analyser and its function catalogs stay unloaded.
    for (const src of ['src/facets/sql.ts', 'src/facets/sql-catalog-postgres.ts', 'src/facets/sql-classify.ts']) expect(warm.loaded.has(src)).toBe(false);
    expect(warm.loaded.has('src/facets/sql-facts.ts')).toBe(true);
    for (const src of ['src/integrations/claude-code/handle.ts', 'src/policy/plan.ts', 'src/facets/shell.ts']) expect(warm.loaded.has(src)).toBe(true);
  });
});

/**
 * The built `warden` loads only what the command it runs needs. Checked with a module-load trace
 * (a Node loader hook that lists every file the process loads), never with timings: each loaded
 * chunk of the bundle is searched for the source markers esbuild writes (`// src/policy/compile.ts`,
 * `// node_modules/yaml/...`). The hook's engine is one script (dist/hook/in-process.cjs, run through
 * node:vm) whose modules initialise only when imported: for it, V8's function coverage
 * (NODE_V8_COVERAGE) says which modules' initialisers ran, each named by its source path.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The sources in one loaded file of the bundle (the markers esbuild writes), into `into`. */
function sourcesOf(file: string, into: Set<string>): void {
  if (!file.endsWith('.js')) return;
  for (const m of readFileSync(file, 'utf8').matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)) {
    // A package's marker is relative to the checkout: node_modules/x, or ../../y/node_modules/x
    // when node_modules is a symlink out of it.
    const marker = m[1] as string;
    const source = marker.includes('node_modules/') ? marker.slice(marker.lastIndexOf('node_modules/')) : marker;
    if (source.startsWith('src/') || source.startsWith('node_modules/')) into.add(source);
  }
}

/**
 * Runs an ES module script in the package folder `pkg` (so `agent-warden` resolves to the build)
 * under the tracer. The script appends `MARK` to $TRACE_OUT to split what it loaded into phases;
 * each phase lists only what that phase added.
 */
function tracedScript(pkg: string, script: string): Promise<{ code: number | null; stdout: string; stderr: string; phases: Set<string>[]; files: string[][] }> {
  const out = join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(out, '');
  const prelude = "import { appendFileSync as __mark } from 'node:fs'; const mark = () => __mark(process.env.TRACE_OUT, 'MARK\\n');";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tracer, '--input-type=module', '-e', `${prelude}\n${script}`], { cwd: pkg, env: { PATH: process.env.PATH ?? '', HOME: dir, TRACE_OUT: out } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const phases: Set<string>[] = [new Set()];
      const files: string[][] = [[]];
      for (const line of readFileSync(out, 'utf8').split('\n').filter((l) => l !== '')) {
        if (line === 'MARK') {
          phases.push(new Set());
          files.push([]);
        } else {
          sourcesOf(fileURLToPath(line), phases[phases.length - 1] as Set<string>);
          (files[files.length - 1] as string[]).push(fileURLToPath(line));
        }
      }
      resolve({ code, stdout, stderr, phases, files });
    });
  });
}

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
      // The hook's script is minified (no source comments): its sources come from the build's metafile.
      if (!script.url.endsWith('/hook/in-process.cjs')) continue;
      const meta = JSON.parse(readFileSync(join(dirname(dirname(dirname(main))), 'meta.json.hook-script.json'), 'utf8')) as { inputs: Record<string, unknown> };
      for (const source of Object.keys(meta.inputs)) if (initialisers.get(source) ?? true) ran.push(source);
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
    // A line without kubectl: the k8s facet and the YAML parser its manifests need stay unloaded.
    for (const src of ['src/facets/k8s.ts', 'src/facets/k8s-manifest.ts']) expect(warm.loaded.has(src)).toBe(false);
    expect(packages(warm.loaded).has('yaml')).toBe(false);
    for (const src of ['src/integrations/claude-code/handle.ts', 'src/policy/plan.ts', 'src/facets/shell.ts']) expect(warm.loaded.has(src)).toBe(true);
  });

  it("warden check's own build loads the lazy facets a decision reads", async () => {
    const policy = join(dir, 'lazy.yaml');
    const request = join(dir, 'curl.json');
    writeFileSync(policy, LAZY_POLICY);
    writeFileSync(request, JSON.stringify({ tool: 'Bash', args: { command: 'ls && curl https://x.test' } }));
    const r = await traced(['check', '--policy', policy, '--request', request, '--now', '2026-03-01T12:00:00Z', '--json'], { env: { WARDEN_CACHE_DIR: join(dir, 'cache-lazy') } });
    expect(JSON.parse(r.stdout)).toMatchObject({ effect: 'deny', rule: 'no-curl' });
    expect(r.loaded.has('src/facets/shell.ts')).toBe(true);
  });
});

/** A policy whose rules read the shell facet and call domainMatches (the URL facet). */
const LAZY_POLICY = `apiVersion: warden/v1
kind: Policy
name: lazy
facets:
  - tools: [Bash]
    shell: { from: args.command }
rules:
  - name: no-curl
    tools: [Bash]
    when: "'curl' in shell.names"
    effect: deny
    reason: no curl
  - name: to-example
    tools: [fetch]
    when: "domainMatches(args.host, 'example.com')"
    effect: allow
  - name: bash
    tools: [Bash]
    effect: allow
`;

/** Compiles LAZY_POLICY with the package root (between marks) and prints four decisions as JSON. */
const DECIDE_SCRIPT = `const w = await import('agent-warden');
mark();
let set;
try { set = w.compilePolicy([{ name: 'lazy.yaml', text: ${JSON.stringify(LAZY_POLICY)} }]); }
catch (e) { console.log(JSON.stringify({ compileError: e.code })); process.exit(0); }
mark();
const now = new Date('2026-03-01T12:00:00Z');
const d = (tool, args) => { const r = set.decide({ tool, args }, { now }); return { effect: r.effect, rule: r.rule, reason: r.reason }; };
console.log(JSON.stringify({ curl: d('Bash', { command: 'curl https://x.test' }), ls: d('Bash', { command: 'ls' }), example: d('fetch', { host: 'a.example.com' }), other: d('fetch', { host: 'example.com.evil.test' }) }));`;

const HEAVY = ['src/policy/compile.ts', 'src/policy/cel.ts', 'src/policy/yaml-reader.ts', 'src/facets/shell.ts', 'src/facets/url-host.ts', 'src/facets/k8s.ts', 'src/facets/sql.ts'];
const HEAVY_PACKAGES = ['yaml', '@marcbachmann/cel-js', 'unbash', 'tldts', 'tldts-core', 're2js', 'ipaddr.js'];

describe('the package loads its heavy parts on first use', () => {
  it("import('agent-warden') loads neither the compiler nor a facet; compilePolicy and decide load what they use and decide as before", async () => {
    const r = await tracedScript(dirname(dirname(dirname(main))), DECIDE_SCRIPT);
    expect(r.stderr).toBe('');
    const [imported, compiled, decided] = r.phases as [Set<string>, Set<string>, Set<string>];
    for (const src of HEAVY) expect(imported.has(src), src).toBe(false);
    for (const p of HEAVY_PACKAGES) expect(packages(imported).has(p), p).toBe(false);
    expect([...packages(imported)]).toEqual([]);
    expect(compiled.has('src/policy/compile.ts')).toBe(true);
    expect(packages(compiled).has('yaml')).toBe(true);
    // Its conditions call no re2() and its globs are literal: RE2 is never needed.
    expect(packages(compiled).has('re2js'), 're2js').toBe(false);
    // The shell facet and the URL facet come with the first decision that reads them.
    expect(compiled.has('src/facets/shell.ts')).toBe(false);
    expect(decided.has('src/facets/shell.ts')).toBe(true);
    expect(packages(decided).has('unbash')).toBe(true);
    expect(packages(decided).has('tldts')).toBe(true);
    // A policy without sql bindings never loads the SQL analyser.
    expect(decided.has('src/facets/sql.ts')).toBe(false);
    const out = JSON.parse(r.stdout) as Record<string, { effect: string; rule: string | null }>;
    expect(out.curl).toMatchObject({ effect: 'deny', rule: 'no-curl' });
    expect(out.ls).toMatchObject({ effect: 'allow', rule: 'bash' });
    expect(out.example).toMatchObject({ effect: 'allow', rule: 'to-example' });
    expect(out.other?.effect).toBe('deny');
  });

  it("import('agent-warden') loads the root's modules in a few files, not in one chunk per group of entries sharing them", async () => {
    const dist = dirname(dirname(main));
    const r = await tracedScript(dirname(dist), 'await import("agent-warden");');
    expect(r.code).toBe(0);
    // Node resolves, reads, compiles and links each file: the root's ~90 modules came in 48 chunks,
    // and now in its layers (scripts/build.mjs, buildCore), 9 today.
    const loaded = (r.files[0] as string[]).filter((f) => f.startsWith(dist)).map((f) => f.slice(dist.length + 1));
    expect(loaded).toContain('chunks/core.js');
    expect(loaded).toContain('chunks/base.js');
    expect(loaded.length, loaded.join(' ')).toBeLessThanOrEqual(12);
    // What the root evaluates is all in them: Governor, FileAuditSink and compilePolicy's wrapper.
    expect(r.phases[0]?.has('src/enforce/governor.ts')).toBe(true);
    expect(r.phases[0]?.has('src/audit/file-sink.ts')).toBe(true);
  });

  it.each([
    ['agent-warden/training', ['src/policy/compile.ts', 'src/facets/url-host.ts'], ['yaml', '@marcbachmann/cel-js', 'tldts']],
    ['agent-warden/compliance', ['src/policy/compile.ts'], ['yaml', '@marcbachmann/cel-js']],
    ['agent-warden/server', ['src/policy/compile.ts', 'src/policy/yaml-reader.ts'], ['yaml', '@marcbachmann/cel-js']],
    ['agent-warden/sandbox', ['src/facets/url-host.ts'], ['tldts']],
    ['agent-warden/claude-code', ['src/policy/compile.ts', 'src/facets/shell.ts'], ['yaml', 'unbash']],
  ])('import(%s) loads none of %j (packages %j)', async (spec, sources, pkgs) => {
    const r = await tracedScript(dirname(dirname(dirname(main))), `await import(${JSON.stringify(spec)});`);
    expect(r.code).toBe(0);
    const loaded = r.phases[0] as Set<string>;
    for (const src of sources) expect(loaded.has(src), src).toBe(false);
    for (const p of pkgs) expect(packages(loaded).has(p), p).toBe(false);
  });

  describe('a lazy module missing from the install fails closed', () => {
    let pkg = '';
    beforeAll(() => {
      // A copy of the build, so removing its files touches no other test.
      pkg = join(dir, 'broken');
      mkdirSync(pkg);
      cpSync(join(dirname(dirname(dirname(main))), 'dist'), join(pkg, 'dist'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), readFileSync(join(dirname(dirname(dirname(main))), 'package.json')));
      symlinkSync(join(dirname(dirname(dirname(main))), 'node_modules'), join(pkg, 'node_modules'), 'dir');
    });

    it('without the shell facet, a deny rule reading it denies with the load error as its reason, and the allow rules that read it do not allow', async () => {
      rmSync(join(pkg, 'dist', 'chunks', 'lazy-facets-shell.js'));
      const r = await tracedScript(pkg, DECIDE_SCRIPT);
      const out = JSON.parse(r.stdout) as Record<string, { effect: string; rule: string | null; reason: string }>;
      for (const call of ['curl', 'ls'] as const) {
        expect(out[call]?.effect).toBe('deny');
        expect(out[call]?.rule).toBe('no-curl');
        expect(out[call]?.reason).toContain('could not load its facets/shell module');
      }
      // The URL facet is still there: the rest of the set decides as usual.
      expect(out.example).toMatchObject({ effect: 'allow', rule: 'to-example' });
    });

    it('without the URL facet, domainMatches is an evaluation error and its allow rule does not allow', async () => {
      rmSync(join(pkg, 'dist', 'chunks', 'lazy-facets-url.js'));
      const r = await tracedScript(pkg, DECIDE_SCRIPT);
      const out = JSON.parse(r.stdout) as Record<string, { effect: string; rule: string | null }>;
      expect(out.example?.effect).toBe('deny');
      expect(out.other?.effect).toBe('deny');
    });

    it("without re2js's entry, a condition calling re2() is a load error at its pattern, and a policy without re2() compiles and decides", async () => {
      rmSync(join(pkg, 'dist', 'chunks', 'lazy-lib-re2.js'));
      const script = `const w = await import('agent-warden');
const policy = (when) => 'apiVersion: warden/v1\\nkind: Policy\\nname: p\\nrules:\\n  - name: r\\n    tools: [t]\\n    when: ' + JSON.stringify(when) + '\\n    effect: allow\\n';
const out = {};
try { w.compilePolicy([{ name: 'p.yaml', text: policy("re2(args.a, '^x+$')") }]); out.re2 = 'compiled'; }
catch (e) { out.re2 = e.issues.map((i) => ({ code: i.code, line: i.line, message: i.message })); }
const set = w.compilePolicy([{ name: 'p.yaml', text: policy("args.a == 'x'") }]);
out.plain = [set.decide({ tool: 't', args: { a: 'x' } }).effect, set.decide({ tool: 't', args: { a: 'y' } }).effect];
console.log(JSON.stringify(out));`;
      const r = await tracedScript(pkg, script);
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { re2: Array<{ code: string; line: number; message: string }> | string; plain: string[] };
      expect(Array.isArray(out.re2)).toBe(true);
      expect(out.re2).toHaveLength(1);
      expect(out.re2[0]).toMatchObject({ code: 'bad_pattern', line: 7 });
      expect((out.re2[0] as { message: string }).message).toContain('could not load its lib/re2 module');
      expect(out.plain).toEqual(['allow', 'deny']);
    });

    it('without the compiler, compilePolicy throws ERR_MODULE_LOAD and makes no set', async () => {
      rmSync(join(pkg, 'dist', 'chunks', 'lazy-policy-compile.js'));
      const r = await tracedScript(pkg, DECIDE_SCRIPT);
      expect(JSON.parse(r.stdout)).toEqual({ compileError: 'ERR_MODULE_LOAD' });
    });
  });
});

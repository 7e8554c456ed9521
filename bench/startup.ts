/**
 * `npm run bench -- startup`: what a short-lived Warden process costs, measured as users pay it
 * (real processes of the package build) beside the `node -e 0` floor measured in the same run.
 *
 * The package is built from the current sources (scripts/build.mjs) into a temporary directory,
 * so the figures are this checkout's. Rows: the Claude Code hook without its background server
 * (warm and cold compiled-policy cache), the hook answered by a warm server (for comparison),
 * `warden --help`, `warden check` of one request (warm cache), `import()` of the package and of
 * each subpath (time inside the process), the compile of the 1,000-rule bench policy (a fresh
 * process each time), and the runtime install (`npm pack`, then `npm install --omit=dev` of the
 * tarball in an empty folder). Every row prints with `uptime`'s load average: a loaded machine
 * moves every figure.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CLAUDE_CODE_STARTER_POLICY } from '../src/integrations/claude-code/starter-policy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = Number(process.env.STARTUP_RUNS ?? 20);

interface Row {
  name: string;
  median: number;
  p90: number;
  /** What the target is measured against: the floor (process rows) or nothing (in-process rows). */
  relative: boolean;
  target: number | null;
  unit: string;
}

function quantiles(xs: number[]): { median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? NaN, p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] ?? NaN };
}

function once(args: string[], input: string, env: Record<string, string>, cwd: string): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Wall time of whole processes; `check` validates each run's output. */
async function processRow(name: string, args: string[], opts: { input?: string; env: Record<string, string>; cwd: string; check?: (out: string) => boolean; target: number | null; warmup?: number }): Promise<Row> {
  for (let i = 0; i < (opts.warmup ?? 2); i++) await once(args, opts.input ?? '', opts.env, opts.cwd);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once(args, opts.input ?? '', opts.env, opts.cwd);
    if (r.code !== 0 || (opts.check && !opts.check(r.stdout))) throw new Error(`${name}: exit ${String(r.code)}: ${r.stdout}${r.stderr}`);
    times.push(r.ms);
  }
  return { name, ...quantiles(times), relative: true, target: opts.target, unit: 'ms' };
}

/** A number the child process prints (a time it measured inside itself). */
async function innerRow(name: string, script: string, env: Record<string, string>, cwd: string, target: number | null, runs = RUNS): Promise<Row> {
  const values: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const r = await once(['--input-type=module', '-e', script], '', env, cwd);
    if (r.code !== 0) throw new Error(`${name}: exit ${String(r.code)}: ${r.stderr}`);
    // The first run warms the file cache; it is not counted.
    if (i > 0) values.push(Number(r.stdout.trim()));
  }
  return { name, ...quantiles(values), relative: false, target, unit: 'ms' };
}

/** The 1,000-rule policy of bench/decide.ts ("compound conditions"), as the YAML a user would write. */
function thousandRules(): string {
  const rules = Array.from({ length: 1000 }, (_, i) => `  - name: r${i}\n    tools: [tool_${i}]\n    when: "args.amount > ${i % 500} && args.region == 'eu' && args.tier != 'free'"\n    effect: allow\n`).join('');
  return `apiVersion: warden/v1\nkind: Policy\nname: compound\nrules:\n${rules}`;
}

function duKiB(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function installSize(pkgDir: string, work: string): { totalMiB: number; packages: number; top: Array<[string, number]>; tarballKiB: number } {
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: pkgDir, encoding: 'utf8' }).trim().split('\n').pop() as string;
  const tarball = join(packDir, name);
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{"name":"startup-bench-app","version":"1.0.0","private":true}\n');
  execFileSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--silent', tarball], { cwd: app, stdio: 'ignore' });
  const nm = join(app, 'node_modules');
  const top: Array<[string, number]> = [];
  let packages = 0;
  for (const e of readdirSync(nm)) {
    if (e.startsWith('.')) continue;
    const names = e.startsWith('@') ? readdirSync(join(nm, e)).map((n) => `${e}/${n}`) : [e];
    for (const n of names) {
      packages++;
      top.push([n, duKiB(join(nm, n))]);
    }
  }
  top.sort((a, b) => b[1] - a[1]);
  return { totalMiB: duKiB(nm) / 1024, packages, top: top.slice(0, 8), tarballKiB: duKiB(tarball) };
}

function stopProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    // Already gone is fine; anything else is worth seeing.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') console.error(`could not stop the hook server ${pid}: ${String(e)}`);
  }
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/** Runs the startup bench. */
export async function run(): Promise<void> {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'warden-bench-startup-')));
  const pkg = join(work, 'pkg');
  const loadBefore = load();
  try {
    // The package as installed: dist from the current sources, package.json, and its dependencies.
    mkdirSync(pkg);
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--no-types', '--out', join(pkg, 'dist')], { stdio: 'inherit' });
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    const main = join(pkg, 'dist', 'cli', 'main.js');

    const project = join(work, 'project');
    mkdirSync(join(project, '.warden'), { recursive: true });
    writeFileSync(join(project, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY);
    const runtimeDir = join(work, 'runtime');
    mkdirSync(runtimeDir, { mode: 0o700 });
    const hookInput = JSON.stringify({ session_id: 'bench', cwd: project, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git status && npm test' }, tool_use_id: 't1' });
    const base = { PATH: process.env.PATH ?? '', HOME: work, CLAUDE_PROJECT_DIR: project, WARDEN_CACHE_DIR: join(work, 'cache'), WARDEN_HOOK_RUNTIME_DIR: runtimeDir };
    const allowed = (out: string): boolean => out.includes('"permissionDecision":"allow"');
    const request = join(work, 'request.json');
    // A tool the starter policy allows without the hook's facet bindings.
    writeFileSync(request, JSON.stringify({ tool: 'TodoWrite', args: { todos: [] } }));

    const rows: Row[] = [];
    const floor = await processRow('node -e 0 (the floor)', ['-e', '0'], { env: base, cwd: work, target: null });
    rows.push(floor);
    rows.push(await processRow('hook, no server, cache warm', [main, 'hook', 'claude-code'], { input: hookInput, env: { ...base, WARDEN_HOOK_SERVER: 'off' }, cwd: project, check: allowed, target: 100 }));
    rows.push(await processRow('hook, no server, cache cold (WARDEN_CACHE=off)', [main, 'hook', 'claude-code'], { input: hookInput, env: { ...base, WARDEN_HOOK_SERVER: 'off', WARDEN_CACHE: 'off' }, cwd: project, check: allowed, target: 250 }));
    // The first event starts the server; the warm-up runs wait for it to listen.
    await once([main, 'hook', 'claude-code'], hookInput, base, project);
    const deadline = Date.now() + 30_000;
    while (!readdirSync(runtimeDir).some((f) => f.endsWith('.sock')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    rows.push(await processRow('hook, answered by a warm hook server', [main, 'hook', 'claude-code'], { input: hookInput, env: base, cwd: project, check: allowed, target: null }));
    rows.push(await processRow('warden --help', [main, '--help'], { env: base, cwd: work, check: (o) => o.includes('check'), target: 60 }));
    rows.push(await processRow('warden check, one request, cache warm', [main, 'check', '--policy', join(project, '.warden', 'policy.yaml'), '--request', request, '--json'], { env: base, cwd: work, check: (o) => o.includes('"effect"'), target: 120 }));

    const exportsMap = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;
    for (const sub of Object.keys(exportsMap).filter((k) => k !== './package.json')) {
      const spec = sub === '.' ? 'agent-warden' : `agent-warden/${sub.slice(2)}`;
      rows.push(await innerRow(`import('${spec}')`, `const t = performance.now(); await import(${JSON.stringify(spec)}); console.log(performance.now() - t);`, base, pkg, sub === '.' ? 60 : 80, Math.min(RUNS, 10)));
    }

    // A subpath that wraps another library pays for loading it; an application that uses the adapter
    // has loaded that library already. These rows time the subpath with its library loaded first.
    const preloaded: Array<[string, string[]]> = [
      ['langchain', ['@langchain/core/tools', '@langchain/core/runnables', '@langchain/core/messages', '@langchain/core/callbacks/manager']],
      ['mcp', ['@modelcontextprotocol/sdk/server/index.js', '@modelcontextprotocol/sdk/client/index.js', '@modelcontextprotocol/sdk/types.js']],
    ];
    for (const [sub, libs] of preloaded) {
      const pre = libs.map((l) => `await import(${JSON.stringify(l)});`).join(' ');
      rows.push(await innerRow(`import('agent-warden/${sub}'), its library already loaded`, `${pre} const t = performance.now(); await import('agent-warden/${sub}'); console.log(performance.now() - t);`, base, pkg, 80, Math.min(RUNS, 10)));
    }

    const policyFile = join(work, 'thousand.yaml');
    writeFileSync(policyFile, thousandRules());
    // The root's compilePolicy loads the compiler (yaml, cel-js) on its first call; with `loaded`, a
    // one-rule compile does that first, so the row times the compile alone (the import rows time loading).
    const compileScript = (form: 'yaml' | 'document', loaded = false): string =>
      `import { readFileSync } from 'node:fs'; const { compilePolicy } = await import('agent-warden');
       const text = readFileSync(${JSON.stringify(policyFile)}, 'utf8');
       const doc = ${form === 'document' ? `(await import('yaml')).parse(text)` : 'null'};
       ${loaded ? `compilePolicy([{ name: 'one.yaml', text: 'apiVersion: warden/v1\\nkind: Policy\\nname: one\\nrules:\\n  - name: r\\n    tools: [t]\\n    when: "args.a > 1"\\n    effect: allow\\n' }]);` : ''}
       const t = performance.now();
       compilePolicy([${form === 'document' ? "{ name: 'compound', document: doc }" : "{ name: 'thousand.yaml', text }"}]);
       console.log(performance.now() - t);`;
    rows.push(await innerRow('compile, 1,000 rules from YAML text (fresh process)', compileScript('yaml'), base, pkg, 100, Math.min(RUNS, 10)));
    rows.push(await innerRow('compile, 1,000 rules from a document object, as bench/decide.ts (fresh process)', compileScript('document'), base, pkg, 100, Math.min(RUNS, 10)));
    rows.push(await innerRow('compile, 1,000 rules from YAML text, compiler loaded (fresh process)', compileScript('yaml', true), base, pkg, 100, Math.min(RUNS, 10)));
    rows.push(await innerRow('compile, 1,000 rules from a document object, compiler loaded (fresh process)', compileScript('document', true), base, pkg, 100, Math.min(RUNS, 10)));

    const loadAfter = load();
    console.log(`\n## Startup (${RUNS} runs per process row; load average before ${loadBefore}, after ${loadAfter}; ${process.version})`);
    const w = Math.max(...rows.map((r) => r.name.length));
    console.log(`${'case'.padEnd(w)}  ${'median'.padStart(8)}  ${'p90'.padStart(8)}  ${'- floor'.padStart(8)}  ${'target'.padStart(10)}  met`);
    for (const r of rows) {
      const over = r.relative && r !== floor ? r.median - floor.median : null;
      const measured = over ?? r.median;
      const target = r.target === null ? '' : r.relative ? `floor+${r.target}` : `${r.target}`;
      const met = r.target === null ? '' : measured <= r.target ? 'yes' : 'NO';
      console.log(`${r.name.padEnd(w)}  ${r.median.toFixed(1).padStart(8)}  ${r.p90.toFixed(1).padStart(8)}  ${over === null ? ''.padStart(8) : over.toFixed(1).padStart(8)}  ${target.padStart(10)}  ${met}`);
    }

    // The runtime install: the package as npm would publish it (dist, docs, examples, package.json).
    const publish = join(work, 'publish');
    mkdirSync(publish);
    for (const f of ['package.json', 'README.md']) copyFileSync(join(ROOT, f), join(publish, f));
    for (const d of ['docs', 'examples']) cpSync(join(ROOT, d), join(publish, d), { recursive: true });
    cpSync(join(pkg, 'dist'), join(publish, 'dist'), { recursive: true });
    if (existsSync(join(publish, 'dist'))) {
      const size = installSize(publish, work);
      console.log(`\nruntime install (npm pack, then npm install --omit=dev of the tarball): ${size.totalMiB.toFixed(1)} MiB in ${size.packages} packages (target 25 MB; tarball ${size.tarballKiB} KiB); load average ${load()}`);
      for (const [n, k] of size.top) console.log(`  ${(k / 1024).toFixed(1).padStart(6)} MiB  ${n}`);
    }
  } finally {
    for (const f of existsSync(join(work, 'runtime')) ? readdirSync(join(work, 'runtime')).filter((n) => n.endsWith('.sock.lock')) : []) {
      // Stop exactly the server this bench started (its pid is in the socket's lock file).
      const pid = Number(readFileSync(join(work, 'runtime', f), 'utf8').split(' ')[0]);
      if (Number.isSafeInteger(pid) && pid > 0) stopProcess(pid);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

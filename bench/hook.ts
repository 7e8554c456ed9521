/**
 * What one Claude Code hook invocation costs, measured as Claude Code pays it: a new process per
 * event (real spawns of the built CLI), the hook JSON on standard input, the starter policy, the
 * decision recorded (and fsynced) in the audit log before the answer.
 *
 * Cases: a bare `node -e 0` (the floor no Node hook can beat), the hook handled in its own process
 * (`--no-server`), the hook answered by a warm hook server, and the same without commander in
 * front (`runHookCli` called directly: what an entry that skips commander would save).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CLAUDE_CODE_STARTER_POLICY } from '../src/integrations/claude-code/starter-policy.js';
import { printTable, type Timing } from './stats.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const HOOK_CLI = fileURLToPath(new URL('../src/cli/hook.js', import.meta.url));
const RUNS = 50;

function spawnOnce(args: string[], input: string, env: Record<string, string>, cwd: string): Promise<{ ms: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, cwd });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, stdout }));
    child.stdin.end(input);
  });
}

async function timeRuns(name: string, args: string[], inputs: string[], env: Record<string, string>, cwd: string, expect: (stdout: string) => boolean): Promise<Timing> {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const r = await spawnOnce(args, inputs[i % inputs.length] as string, env, cwd);
    if (r.code !== 0 || !expect(r.stdout)) throw new Error(`${name}: run ${i} exited ${String(r.code)} with ${JSON.stringify(r.stdout)}`);
    times.push(r.ms);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    name,
    samples: RUNS,
    p50us: (times[Math.floor(RUNS * 0.5)] ?? 0) * 1000,
    p99us: (times[Math.min(RUNS - 1, Math.floor(RUNS * 0.99))] ?? 0) * 1000,
    opsPerSec: RUNS / (total / 1000),
  };
}

function stopProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    // Already gone is fine; anything else is worth seeing.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') console.error(`could not stop the hook server ${pid}: ${String(e)}`);
  }
}

/** Runs the hook bench. */
export async function run(): Promise<void> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-bench-hook-')));
  const runtime = join(dir, 'runtime');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  mkdirSync(join(dir, '.warden'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY);
  writeFileSync(join(dir, 'src', 'a.ts'), 'export {};\n');
  const base = { session_id: 'bench', transcript_path: join(dir, 't.jsonl'), cwd: dir, permission_mode: 'default' };
  const inputs = [
    { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git status && npm test' }, tool_use_id: 't1' },
    { ...base, hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: join(dir, 'src', 'a.ts') }, tool_use_id: 't2' },
    { ...base, hook_event_name: 'PreToolUse', tool_name: 'WebFetch', tool_input: { url: 'https://github.com/org/repo', prompt: 'read' }, tool_use_id: 't3' },
  ].map((i) => JSON.stringify(i));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', CLAUDE_PROJECT_DIR: dir, WARDEN_HOOK_RUNTIME_DIR: runtime, WARDEN_HOOK_SERVER_IDLE_MS: '120000' };
  const allowed = (out: string): boolean => out.includes('"permissionDecision":"allow"');
  const rows: Timing[] = [];
  try {
    rows.push(await timeRuns('node -e 0 (process floor)', ['-e', '0'], [''], env, dir, () => true));
    rows.push(await timeRuns('hook, in process (--no-server)', [MAIN, 'hook', 'claude-code', '--no-server'], inputs, env, dir, allowed));
    // The first call starts the server; wait until it listens.
    await spawnOnce([MAIN, 'hook', 'claude-code'], inputs[0] as string, env, dir);
    const deadline = Date.now() + 30_000;
    while (!readdirSync(runtime).some((f) => f.endsWith('.sock')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    rows.push(await timeRuns('hook, warm hook server', [MAIN, 'hook', 'claude-code'], inputs, env, dir, allowed));
    // What `warden hook` costs when the entry skips commander (runHookCli parses its own arguments).
    const direct = `const { runHookCli } = await import(${JSON.stringify(HOOK_CLI)}); process.exitCode = await runHookCli(['claude-code']);`;
    rows.push(await timeRuns('hook without commander (runHookCli), warm server', ['--input-type=module', '-e', direct], inputs, env, dir, allowed));
  } finally {
    for (const f of existsSync(runtime) ? readdirSync(runtime).filter((n) => n.endsWith('.sock.lock')) : []) {
      const pid = Number(readFileSync(join(runtime, f), 'utf8').split(' ')[0]);
      // Stop exactly the server this bench started (its pid is in the socket's lock file).
      if (Number.isSafeInteger(pid) && pid > 0) stopProcess(pid);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(`Claude Code hook, one new process per event (${RUNS} sequential runs each; times are per invocation)`, rows);
  console.log('Target (issue 6): a cold hook invocation under 150 ms (150,000 µs) on the development machine.');
}

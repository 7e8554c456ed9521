/**
 * What `realpath: true` costs a warm in-process Claude Code decision with the starter policy: the
 * same Bash and Read calls decided with the shell and path bindings resolving symlinks and without,
 * from a working directory seven levels deep. CPU time per decision (process.cpuUsage over many
 * repetitions), so a loaded machine inflates it less than wall-clock time.
 *
 * `node --expose-gc dist-bench/bench/run.js realpath` prints the table;
 * `node dist-bench/bench/realpath.js --cpu-us` prints one line of CPU µs per decision (for an
 * interleaved A/B driver that runs two builds in turn).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicyWithBindings } from '../src/policy/compile.js';
import { fsRealpathResolver } from '../src/enforce/realpath-resolver.js';
import { claudeCodeBindings, requestFor } from '../src/integrations/claude-code/mapping.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../src/integrations/claude-code/starter-policy.js';
import type { HookInput } from '../src/integrations/claude-code/hook-input.js';
import { measure, printTable, type Timing } from './stats.js';

const CALLS: [tool: string, input: Record<string, unknown>][] = [
  ['Bash', { command: 'git status && npm test' }],
  ['Bash', { command: 'cat src/a.ts | grep export > out.txt' }],
  ['Bash', { command: 'rm -rf build dist' }],
  ['Read', { file_path: 'src/a.ts' }],
];

interface Fixture {
  dir: string;
  decideAll: (realpath: boolean) => number;
}

function fixture(): Fixture {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-bench-realpath-')));
  const home = join(dir, 'home', 'dev');
  const project = join(home, 'code', 'org', 'repo');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'src', 'a.ts'), 'export {};\n');
  const sets = [true, false].map((realpath) =>
    compilePolicyWithBindings([{ name: 'policy.yaml', text: CLAUDE_CODE_STARTER_POLICY }], claudeCodeBindings({ root: project, home, realpath }), { resolver: fsRealpathResolver }),
  );
  const requests = CALLS.map(([tool, toolInput]) => {
    const input: HookInput = { hook_event_name: 'PreToolUse', session_id: 's1', cwd: project, tool_name: tool, tool_input: tool === 'Read' ? { file_path: join(project, String(toolInput.file_path)) } : toolInput, tool_use_id: 'toolu_1' };
    const { request, agent } = requestFor(input, { agentId: 'claude-code', projectDir: project });
    return { ...request, agent };
  });
  return {
    dir,
    decideAll: (realpath) => {
      const set = sets[realpath ? 0 : 1];
      let allowed = 0;
      for (const r of requests) if (set?.decide(r).effect === 'allow') allowed++;
      return allowed;
    },
  };
}

/** CPU µs per decision over `reps` rounds of every call. */
function cpuPerDecision(f: Fixture, realpath: boolean, reps: number): number {
  for (let i = 0; i < 200; i++) f.decideAll(realpath);
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f.decideAll(realpath);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / (reps * CALLS.length);
}

/** Runs the realpath bench. */
export async function run(): Promise<void> {
  const f = fixture();
  try {
    const rows: Timing[] = [];
    for (const realpath of [false, true]) {
      for (const [i, [tool, input]] of CALLS.entries()) {
        rows.push(measure(`${tool} ${JSON.stringify(input)}, realpath ${realpath}`, () => f.decideAll(realpath) + i, { samples: 2_000, warmup: 200, loopMs: 200 }));
      }
    }
    printTable(`Starter policy, warm in-process decisions (each row decides all ${CALLS.length} calls)`, rows);
    console.log(`CPU µs per decision: realpath false ${cpuPerDecision(f, false, 2_000).toFixed(1)}, realpath true ${cpuPerDecision(f, true, 2_000).toFixed(1)}`);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
  await Promise.resolve();
}

if (process.argv.includes('--cpu-us')) {
  const f = fixture();
  try {
    console.log(`${cpuPerDecision(f, false, 1_500).toFixed(2)} ${cpuPerDecision(f, true, 1_500).toFixed(2)}`);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}

/**
 * `warden hook claude-code` and `warden init claude-code` as Claude Code runs them: the built CLI
 * in a child process, real hook JSON on standard input, a real policy and audit log on disk.
 *
 * The CLI is compiled once into a private temporary directory (as test/cli/cli.test.ts does), so
 * the suite exercises the current sources and never touches dist/.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { verifyAuditLog } from '../../../src/audit/verify.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../../../src/integrations/claude-code/starter-policy.js';
import { HOOK_COMMAND } from '../../../src/integrations/claude-code/settings.js';

/** Each test starts real processes; a loaded machine takes seconds per Node start. */
const SLOW = { timeout: 180_000 };
let build = '';
let main = '';
const temps: string[] = [];

function tempDir(prefix = 'warden-hook-'): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  temps.push(d);
  return d;
}

beforeAll(() => {
  main = inject('wardenCli');
  build = join(main, '..', '..', '..');
}, 240_000);

afterAll(() => {
  for (const d of temps) {
    // A hook server started by a test holds <socket>.lock with its pid: stop exactly that process.
    if (d.includes('warden-hook-rt-')) for (const f of readdirSync(d).filter((n) => n.endsWith('.sock.lock'))) stopServer(join(d, f));
    rmSync(d, { recursive: true, force: true });
  }
  });

function stopServer(lockFile: string): void {
  const pid = Number(readFileSync(lockFile, 'utf8').split(' ')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input: string, env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** A clean environment: nothing of the outer shell's WARDEN_* or CLAUDE_* leaks in. */
function baseEnv(project: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', CLAUDE_PROJECT_DIR: project, WARDEN_HOOK_SERVER: 'off', ...extra };
}

function hook(project: string, input: unknown, opts: { args?: string[]; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  return run(process.execPath, [main, 'hook', 'claude-code', ...(opts.args ?? [])], text, baseEnv(project, opts.env), opts.cwd ?? project);
}

function warden(args: string[], cwd: string): Promise<Run> {
  return run(process.execPath, [main, ...args], '', { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, cwd);
}

/** A project directory with a policy (the starter by default) and a source file. */
function project(policy = CLAUDE_CODE_STARTER_POLICY): string {
  const d = tempDir();
  mkdirSync(join(d, '.warden'), { recursive: true });
  mkdirSync(join(d, 'src'), { recursive: true });
  writeFileSync(join(d, '.warden', 'policy.yaml'), policy);
  writeFileSync(join(d, 'src', 'a.ts'), 'export {};\n');
  return d;
}

function pre(dir: string, tool: string, toolInput: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: 'sess-1',
    transcript_path: join(dir, 'transcript.jsonl'),
    cwd: dir,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: toolInput,
    tool_use_id: 'toolu_01',
    ...extra,
  };
}

interface RecordLine {
  seq: number;
  type: 'decision' | 'outcome' | 'checkpoint';
  call?: string;
  tool?: string;
  agent: { id: string; labels?: Record<string, string> } | null;
  request: { tool: string; args: Record<string, unknown>; context?: Record<string, unknown> };
  decision: { effect: string; rule: string | null; reason: string };
  outcome?: { executed?: boolean; effect?: string; reason?: string; status?: string; error?: { name: string; message: string }; result?: unknown };
  redactions: Array<{ path: string; kind: string }>;
}

function records(dir: string, file = join(dir, '.warden', 'audit', 'claude-code.jsonl')): RecordLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RecordLine);
}

function permission(r: Run): { permissionDecision: string; permissionDecisionReason: string } {
  const out = (JSON.parse(r.stdout) as { hookSpecificOutput: { hookEventName: string; permissionDecision: string; permissionDecisionReason: string } }).hookSpecificOutput;
  expect(out.hookEventName).toBe('PreToolUse');
  return { permissionDecision: out.permissionDecision, permissionDecisionReason: out.permissionDecisionReason };
}

describe.concurrent('PreToolUse: deny, ask, allow', SLOW, () => {
  it('deny: prints the deny decision, exits 0, and the decision was recorded first', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'rm -rf /', description: 'clean up' }));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'Warden: Deletes outside the project are not allowed [rule no-deletes-outside-project of policy claude-code]' } })}\n`,
    );
    expect(r.stderr).toBe('');
    const [rec] = records(dir);
    expect(rec?.decision).toMatchObject({ effect: 'deny', rule: 'no-deletes-outside-project' });
    expect(rec?.request).toMatchObject({ tool: 'Bash', args: { command: 'rm -rf /', description: 'clean up' }, context: { host: 'claude-code', session: 'sess-1', callId: 'toolu_01', claudeCode: { event: 'PreToolUse', cwd: dir, projectDir: dir } } });
    expect(rec?.call).toBe('toolu_01');
    expect(rec?.outcome).toEqual({ executed: false, effect: 'deny', reason: 'Deletes outside the project are not allowed' });
  });

  it('require_approval: ask, with the reason Claude Code shows in its prompt', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'git push origin main' }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: 'Warden: git push needs your approval [rule git-push-needs-approval of policy claude-code]' },
    });
  });

  it('allow: only when the policy allows', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Read', { file_path: join(dir, 'src', 'a.ts') }));
    expect(permission(r)).toEqual({ permissionDecision: 'allow', permissionDecisionReason: 'Warden: Rule "file-tools" of policy "claude-code" allows this call.' });
  });

  it('warn: allow, and the reason says it is a warning', async () => {
    const dir = project(`apiVersion: warden/v1
kind: Policy
name: w
rules:
  - name: big-writes
    tools: [Write]
    when: "size(args.content) > 10"
    effect: warn
    reason: Large write
  - name: writes
    tools: [Write]
    effect: allow
`);
    const r = await hook(dir, pre(dir, 'Write', { file_path: join(dir, 'x'), content: 'x'.repeat(50) }));
    expect(permission(r)).toEqual({ permissionDecision: 'allow', permissionDecisionReason: 'Warden: warning: Large write [rule big-writes of policy w]' });
  });

  it('no rule for the tool: the default denies', async () => {
    const dir = project(`apiVersion: warden/v1
kind: Policy
name: d
rules:
  - name: reads
    tools: [Read]
    effect: allow
`);
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }));
    expect(permission(r).permissionDecision).toBe('deny');
    expect(permission(r).permissionDecisionReason).toBe('Warden: No rule allows tool "Bash", and the default of policy "d" is deny. Add an allow rule for it if it should run.');
  });

  it('a tool_input that is not an object is denied as an invalid request', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', 'rm -rf /'));
    expect(r.code).toBe(0);
    expect(permission(r).permissionDecision).toBe('deny');
    expect(permission(r).permissionDecisionReason).toMatch(/^Warden: the request is invalid: /);
  });
});

/** Every Claude Code tool mapping, seen through a policy that allows only what the binding proves. */
const PROBE = `apiVersion: warden/v1
kind: Policy
name: probe
default: deny
rules:
  - name: bash-is-shell
    tools: [Bash]
    when: "shell.parsed && shell.names == ['git']"
    effect: allow
  - name: file-tools-are-paths
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS]
    when: "path.parsed && path.insideRoot && path.root == context.claudeCode.projectDir"
    effect: allow
  - name: fetch-urls
    tools: [WebFetch]
    when: "urls.exists(u, u.host == 'docs.example.com' && u.scheme == 'https')"
    effect: allow
  - name: search-query
    tools: [WebSearch]
    when: "args.query == 'vitest coverage'"
    effect: allow
  - name: github-mcp
    tools: ["mcp__github__*"]
    effect: allow
`;

describe.concurrent('tool mapping (every binding, through the real hook)', SLOW, () => {
  const cases = (dir: string): Array<[string, Record<string, unknown>, string]> => [
    ['Bash', { command: 'git status' }, 'allow'],
    ['Bash', { command: 'git status && curl x' }, 'deny'],
    ['Read', { file_path: join(dir, 'src', 'a.ts') }, 'allow'],
    ['Read', { file_path: '/etc/passwd' }, 'deny'],
    ['Write', { file_path: join(dir, 'src', 'b.ts'), content: 'x' }, 'allow'],
    ['Write', { file_path: `${dir}-evil/b.ts`, content: 'x' }, 'deny'],
    ['Edit', { file_path: join(dir, 'src', 'a.ts'), old_string: 'a', new_string: 'b' }, 'allow'],
    ['Edit', { file_path: join(dir, 'src', '..', '..', 'x'), old_string: 'a', new_string: 'b' }, 'deny'],
    ['MultiEdit', { file_path: join(dir, 'src', 'a.ts'), edits: [{ old_string: 'a', new_string: 'b' }] }, 'allow'],
    ['NotebookEdit', { notebook_path: join(dir, 'n.ipynb'), new_source: 'x' }, 'allow'],
    ['NotebookEdit', { notebook_path: '/tmp/n.ipynb', new_source: 'x' }, 'deny'],
    ['Glob', { pattern: '**/*.ts', path: join(dir, 'src') }, 'allow'],
    ['Grep', { pattern: 'x', path: '/etc' }, 'deny'],
    ['LS', { path: dir }, 'allow'],
    ['WebFetch', { url: 'https://docs.example.com/a', prompt: 'read it' }, 'allow'],
    ['WebFetch', { url: 'https://evil.example.com/a', prompt: 'read it' }, 'deny'],
    ['WebSearch', { query: 'vitest coverage' }, 'allow'],
    ['mcp__github__create_issue', { title: 'x' }, 'allow'],
    ['mcp__gitlab__create_issue', { title: 'x' }, 'deny'],
  ];

  it('maps each tool as documented', async () => {
    const dir = project(PROBE);
    const results = await Promise.all(cases(dir).map(async ([tool, input, expected]) => ({ tool, input, expected, got: permission(await hook(dir, pre(dir, tool, input))).permissionDecision })));
    for (const r of results) expect({ tool: r.tool, input: r.input, got: r.got }).toEqual({ tool: r.tool, input: r.input, got: r.expected });
    expect(records(dir).map((x) => x.request.tool).sort()).toEqual(cases(dir).map(([t]) => t).sort());
    expect((await verifyAuditLog([join(dir, '.warden', 'audit', 'claude-code.jsonl')])).ok).toBe(true);
  });

  it('a symlink inside the project that points out is outside (realpath)', async () => {
    const dir = project(PROBE);
    const outside = tempDir();
    writeFileSync(join(outside, 'secret.txt'), 'x');
    symlinkSync(outside, join(dir, 'link'));
    const r = await hook(dir, pre(dir, 'Read', { file_path: join(dir, 'link', 'secret.txt') }));
    expect(permission(r).permissionDecision).toBe('deny');
  });

  it('the root is $CLAUDE_PROJECT_DIR, not the session cwd the shell may have moved to', async () => {
    const dir = project(PROBE);
    const r = await hook(dir, pre('/', 'Read', { file_path: '/etc/passwd' }, { cwd: '/' }));
    expect(permission(r).permissionDecision).toBe('deny');
    const inside = await hook(dir, pre(join(dir, 'src'), 'Read', { file_path: join(dir, 'src', 'a.ts') }, { cwd: join(dir, 'src') }));
    expect(permission(inside).permissionDecision).toBe('allow');
  });

  it('without $CLAUDE_PROJECT_DIR or --root, the session cwd is the root; --root overrides both', async () => {
    const dir = project(PROBE);
    const env = { CLAUDE_PROJECT_DIR: '', WARDEN_POLICY: join(dir, '.warden', 'policy.yaml'), WARDEN_AUDIT: join(dir, 'audit.jsonl') };
    const byCwd = await hook(dir, pre(join(dir, 'src'), 'Read', { file_path: join(dir, 'x.ts') }, { cwd: join(dir, 'src') }), { env });
    expect(permission(byCwd).permissionDecision).toBe('deny');
    const byRoot = await hook(dir, pre(join(dir, 'src'), 'Read', { file_path: join(dir, 'x.ts') }, { cwd: join(dir, 'src') }), { env, args: ['--root', dir] });
    expect(permission(byRoot).permissionDecision).toBe('allow');
    expect(records(dir, join(dir, 'audit.jsonl'))).toHaveLength(2);
  });

  it("a policy's own facets: binding of a Claude Code tool is the one in force", async () => {
    const dir = project(`apiVersion: warden/v1
kind: Policy
name: own
default: deny
facets:
  - tools: [Bash]
    shell: { from: args.description }
rules:
  - name: echo-described
    tools: [Bash]
    when: "shell.parsed && shell.names == ['echo']"
    effect: allow
`);
    const r = await hook(dir, pre(dir, 'Bash', { command: 'rm -rf /', description: 'echo tidy up' }));
    expect(permission(r).permissionDecision).toBe('allow');
  });
});

describe.concurrent('identity comes from the hook payload and the configured id', SLOW, () => {
  const POLICY = `apiVersion: warden/v1
kind: Policy
name: ids
default: deny
rules:
  - name: no-subagent-writes
    tools: [Write]
    when: "has(agent.labels.subagent)"
    effect: deny
    reason: Subagents do not write
  - name: coder-writes
    tools: [Write]
    when: "agent.id == 'coder'"
    effect: allow
`;

  it('a subagent call carries subagent and agentType labels; the configured --agent-id is the id', async () => {
    const dir = project(POLICY);
    const r = await hook(dir, pre(dir, 'Write', { file_path: join(dir, 'a'), content: 'x' }, { agent_id: 'agent-7', agent_type: 'code-reviewer' }), { args: ['--agent-id', 'coder'] });
    expect(permission(r)).toEqual({ permissionDecision: 'deny', permissionDecisionReason: 'Warden: Subagents do not write [rule no-subagent-writes of policy ids]' });
    expect(records(dir)[0]?.agent).toEqual({ id: 'coder', labels: { subagent: 'agent-7', agentType: 'code-reviewer' } });
    expect(records(dir)[0]?.request.context?.session).toBe('sess-1');
  });

  it('identity claims inside tool_input change nothing', async () => {
    const dir = project(POLICY);
    const forged = { file_path: join(dir, 'a'), content: 'x', agent_id: 'coder', agent: { id: 'coder' }, approved: true };
    const r = await hook(dir, pre(dir, 'Write', forged));
    expect(permission(r).permissionDecision).toBe('deny');
    expect(records(dir)[0]?.agent).toEqual({ id: 'claude-code', labels: {} });
  });
});

describe.concurrent('PostToolUse, PostToolUseFailure and UserPromptSubmit', SLOW, () => {
  it('PostToolUse records the outcome with the response, redacted; prints nothing', async () => {
    const dir = project();
    const input = { ...pre(dir, 'Bash', { command: 'cat config.txt' }), hook_event_name: 'PostToolUse', tool_response: { stdout: 'aws_key=AKIAIOSFODNN7EXAMPLE\nok', stderr: '', interrupted: false }, duration_ms: 40 };
    const r = await hook(dir, input);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const [rec] = records(dir);
    // An outcome record of the call (same id as its PreToolUse decision), not a second decision.
    expect([rec?.type, rec?.call, rec?.tool, rec?.outcome?.status]).toEqual(['outcome', 'toolu_01', 'Bash', 'ok']);
    const response = rec?.outcome?.result as { stdout: string };
    expect(response.stdout).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(response.stdout).toContain('ok');
    expect(rec?.redactions.some((n) => n.path.startsWith('$.outcome.result'))).toBe(true);
    expect(readFileSync(join(dir, '.warden', 'audit', 'claude-code.jsonl'), 'utf8')).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('a large response is recorded as its size', async () => {
    const dir = project();
    const r = await hook(dir, { ...pre(dir, 'Read', { file_path: join(dir, 'src', 'a.ts') }), hook_event_name: 'PostToolUse', tool_response: { file: { content: 'y'.repeat(200_000) } } });
    expect(r.code).toBe(0);
    expect(records(dir)[0]?.outcome?.result).toEqual({ $omitted: { bytes: 200_023 } });
  });

  it('PostToolUseFailure records the failure', async () => {
    const dir = project();
    const r = await hook(dir, { ...pre(dir, 'Bash', { command: 'npm test' }), hook_event_name: 'PostToolUseFailure', error: 'Command failed with exit code 1' });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(records(dir)[0]?.outcome).toEqual({ status: 'error', error: { name: 'ToolError', message: 'Command failed with exit code 1' } });
  });

  const prompt = (dir: string, text: string): Record<string, unknown> => ({ session_id: 'sess-1', transcript_path: join(dir, 't.jsonl'), cwd: dir, permission_mode: 'default', hook_event_name: 'UserPromptSubmit', prompt: text });

  it('a prompt no rule governs is recorded and goes on (no output: stdout would become context)', async () => {
    const dir = project();
    const r = await hook(dir, prompt(dir, 'refactor the parser'));
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const [rec] = records(dir);
    expect(rec?.request).toMatchObject({ tool: 'UserPromptSubmit', args: { prompt: 'refactor the parser' } });
    expect(rec?.decision).toMatchObject({ effect: 'allow', rule: null, reason: 'Prompts are recorded, not decided: no rule of the policy lists tool UserPromptSubmit.' });
    expect(rec?.outcome).toMatchObject({ executed: true });
  });

  const PROMPTS = `apiVersion: warden/v1
kind: Policy
name: prompts
default: deny
rules:
  - name: no-aws-keys
    tools: [UserPromptSubmit]
    when: "re2(args.prompt, r'AKIA[0-9A-Z]{16}')"
    effect: deny
    reason: Do not paste AWS keys into prompts
  - name: deploys-need-approval
    tools: [UserPromptSubmit]
    when: "args.prompt.contains('deploy')"
    effect: require_approval
    approvers: [lead]
  - name: prompts
    tools: [UserPromptSubmit]
    effect: allow
`;

  it('a prompt a rule denies is blocked with the documented output', async () => {
    const dir = project(PROMPTS);
    const r = await hook(dir, prompt(dir, 'use AKIAIOSFODNN7EXAMPLE to upload'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ decision: 'block', reason: 'Warden: Do not paste AWS keys into prompts [rule no-aws-keys of policy prompts]' })}\n`);
    const [rec] = records(dir);
    expect(rec?.outcome).toMatchObject({ executed: false, effect: 'deny' });
    expect(JSON.stringify(rec)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('a prompt that requires approval is blocked (a prompt cannot ask); an allowed one goes on', async () => {
    const dir = project(PROMPTS);
    const blocked = await hook(dir, prompt(dir, 'deploy to prod'));
    expect((JSON.parse(blocked.stdout) as { decision: string }).decision).toBe('block');
    const fine = await hook(dir, prompt(dir, 'write tests'));
    expect(fine).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe.concurrent('fail closed: exit 2, the reason on stderr, nothing on stdout', SLOW, () => {
  const failures: Array<[string, (dir: string) => { input: unknown; args?: string[]; env?: Record<string, string>; setup?: () => void }, string]> = [
    ['bad JSON', () => ({ input: '{"hook_event_name": "PreToolUse", ' }), 'is not valid JSON'],
    ['empty input', () => ({ input: '' }), 'the hook input is empty'],
    ['an event it does not handle', (dir) => ({ input: { ...pre(dir, 'Bash', {}), hook_event_name: 'Stop' } }), 'hook_event_name "Stop" is not handled'],
    ['a payload without tool_name', (dir) => ({ input: { ...pre(dir, 'Bash', {}), tool_name: undefined } }), 'tool_name must be a string'],
    ['a relative cwd', (dir) => ({ input: pre(dir, 'Bash', { command: 'ls' }, { cwd: 'repo' }) }), 'is not an absolute path'],
    ['a missing policy file', (dir) => ({ input: pre(dir, 'Bash', { command: 'ls' }), args: ['--policy', join(dir, 'nope.yaml')] }), 'nope.yaml'],
    ['an unreadable policy (a directory with no policy)', (dir) => ({ input: pre(dir, 'Bash', { command: 'ls' }), args: ['--policy', join(dir, 'src')] }), 'holds no .yaml'],
    [
      'an invalid policy',
      (dir) => ({
        input: pre(dir, 'Bash', { command: 'ls' }),
        setup: () => writeFileSync(join(dir, '.warden', 'policy.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: bad\nrules:\n  - name: r\n    effect: Allow\n'),
      }),
      'policy.yaml:6:13: error',
    ],
    [
      'an audit log that cannot be written',
      (dir) => ({ input: pre(dir, 'Read', { file_path: join(dir, 'src', 'a.ts') }), setup: () => writeFileSync(join(dir, 'blocker'), 'x'), args: ['--audit', join(dir, 'blocker', 'log.jsonl')] }),
      'blocker',
    ],
    ['an unknown host', (dir) => ({ input: pre(dir, 'Bash', { command: 'ls' }), args: [] as string[], env: {} }), ''],
  ];

  it.each(failures)('%s', async (name, make, message) => {
    const dir = project();
    const c = make(dir);
    c.setup?.();
    const r =
      name === 'an unknown host'
        ? await run(process.execPath, [main, 'hook', 'cursor'], JSON.stringify(c.input), baseEnv(dir), dir)
        : await hook(dir, c.input, { ...(c.args ? { args: c.args } : {}), ...(c.env ? { env: c.env } : {}) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^warden: /);
    expect(r.stderr).toContain(message);
    if (name !== 'an audit log that cannot be written') expect(records(dir)).toEqual([]);
  });

  it('an unknown option exits 2', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), { args: ['--polcy', 'x'] });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('the installed command fails closed when warden is not installed (exit 2, not a warning)', async () => {
    const dir = project();
    const r = await run('/bin/sh', ['-c', HOOK_COMMAND], JSON.stringify(pre(dir, 'Bash', { command: 'rm -rf /' })), baseEnv(dir), dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('concurrent hook processes share one gapless audit chain', SLOW, () => {
  it('10 hooks at once: 10 records, seq 1..10, and the chain verifies', async () => {
    const dir = project();
    const inputs = Array.from({ length: 10 }, (_, i) => pre(dir, 'Bash', { command: `echo ${i}` }, { tool_use_id: `toolu_${i}` }));
    const runs = await Promise.all(inputs.map((input) => hook(dir, input)));
    for (const r of runs) expect(permission(r).permissionDecision).toBe('allow');
    const recs = records(dir);
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(recs.map((r) => r.call).sort()).toEqual(inputs.map((i) => i.tool_use_id).sort());
    const verified = await verifyAuditLog([join(dir, '.warden', 'audit', 'claude-code.jsonl')]);
    expect(verified.ok).toBe(true);
  });
});

describe('the lock file across processes', SLOW, () => {
  it('6 processes x 40 read-modify-write increments under withFileLock lose no update', async () => {
    const dir = tempDir();
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    // The public subpath that exports it (the build bundles, so there is no per-file module).
    const lockModule = join(build, 'dist', 'integrations', 'claude-code', 'index.js');
    const script = `
      import { readFileSync, writeFileSync } from 'node:fs';
      const { withFileLock } = await import(${JSON.stringify(lockModule)});
      for (let i = 0; i < 40; i++) {
        await withFileLock(${JSON.stringify(`${counter}.lock`)}, async () => {
          const n = Number(readFileSync(${JSON.stringify(counter)}, 'utf8'));
          await new Promise((r) => setImmediate(r));
          writeFileSync(${JSON.stringify(counter)}, String(n + 1));
        }, { timeoutMs: 60000 });
      }`;
    const runs = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, ['--input-type=module', '-e', script], '', { PATH: process.env.PATH ?? '' }, dir)));
    for (const r of runs) expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(counter, 'utf8')).toBe('240');
    expect(existsSync(`${counter}.lock`)).toBe(false);
  });
});

describe('the hook server', SLOW, () => {
  it('the first hook answers in process and starts the server; later ones are answered by it, with the same answers and fresh policy reads', async () => {
    const dir = project();
    const runtime = tempDir('warden-hook-rt-');
    chmodSync(runtime, 0o700);
    const env = { WARDEN_HOOK_SERVER: 'on', WARDEN_HOOK_RUNTIME_DIR: runtime, WARDEN_HOOK_SERVER_IDLE_MS: '30000', WARDEN_HOOK_DEBUG: '1' };
    const input = pre(dir, 'Bash', { command: 'git push' });
    const first = await hook(dir, input, { env });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('warden: debug: handled in process (hook server starting at');
    const socket = /at (\S+)\)/.exec(first.stderr)?.[1] ?? '';
    const deadline = Date.now() + 30_000;
    while (!existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(socket)).toBe(true);

    const second = await hook(dir, input, { env });
    expect(second.stderr).toBe(`warden: debug: answered by the hook server at ${socket}\n`);
    expect(second.stdout).toBe(first.stdout);
    expect(permission(second).permissionDecision).toBe('ask');

    // The server reads the policy on every request: an edit is in force at once.
    writeFileSync(join(dir, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY.replace('effect: require_approval\n    approvers: [user]\n    reason: git push needs your approval', 'effect: deny\n    reason: No pushes today'));
    const edited = await hook(dir, input, { env });
    expect(edited.stderr).toContain('answered by the hook server');
    expect(permission(edited)).toEqual({ permissionDecision: 'deny', permissionDecisionReason: 'Warden: No pushes today [rule git-push-needs-approval of policy claude-code]' });

    // A broken policy fails closed through the server too.
    writeFileSync(join(dir, '.warden', 'policy.yaml'), 'apiVersion: warden/v1\nkind: Policy\n');
    const broken = await hook(dir, input, { env });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toContain('the policy did not load');

    expect(records(dir).map((r) => r.decision.effect)).toEqual(['require_approval', 'require_approval', 'deny']);
    expect((await verifyAuditLog([join(dir, '.warden', 'audit', 'claude-code.jsonl')])).ok).toBe(true);
  });

  it('a runtime directory other users could enter is not used (the hook runs in process)', async () => {
    const dir = project();
    const runtime = tempDir('warden-hook-rt-');
    chmodSync(runtime, 0o755);
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), { env: { WARDEN_HOOK_SERVER: 'on', WARDEN_HOOK_RUNTIME_DIR: runtime, WARDEN_HOOK_DEBUG: '1' } });
    expect(permission(r).permissionDecision).toBe('allow');
    expect(r.stderr).toBe('warden: debug: handled in process (no hook server)\n');
    expect(readdirSync(runtime)).toEqual([]);
  });
});

describe.concurrent('warden init claude-code', SLOW, () => {
  it('writes the hooks into .claude/settings.json and the starter policy', async () => {
    const dir = tempDir();
    const r = await warden(['init', 'claude-code', '--dir', dir], dir);
    expect(r.code).toBe(0);
    const settings = JSON.parse(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ type: string; command: string }> }>> };
    expect(Object.keys(settings.hooks)).toEqual(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit']);
    expect(settings.hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: HOOK_COMMAND }] }]);
    expect(settings.hooks.UserPromptSubmit).toEqual([{ hooks: [{ type: 'command', command: HOOK_COMMAND }] }]);
    expect(readFileSync(join(dir, '.warden', 'policy.yaml'), 'utf8')).toBe(CLAUDE_CODE_STARTER_POLICY);
    expect(readFileSync(join(dir, '.warden', '.gitignore'), 'utf8')).toContain('audit/');
    expect(r.stdout).toContain('npm install --save-dev agent-warden');
  });

  it('merges into existing settings without clobbering, and a second run changes nothing', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.claude'));
    const existing = { model: 'sonnet', permissions: { deny: ['Read(./secrets/**)'] }, hooks: { PreToolUse: [{ matcher: 'Edit|Write', hooks: [{ type: 'command', command: 'prettier --check' }] }], Notification: [{ hooks: [{ type: 'command', command: 'say hi' }] }] } };
    writeFileSync(join(dir, '.claude', 'settings.json'), JSON.stringify(existing));
    expect((await warden(['init', 'claude-code', '--dir', dir], dir)).code).toBe(0);
    const once = readFileSync(join(dir, '.claude', 'settings.json'), 'utf8');
    const merged = JSON.parse(once) as typeof existing & { hooks: Record<string, unknown[]> };
    expect(merged.model).toBe('sonnet');
    expect(merged.permissions).toEqual(existing.permissions);
    expect(merged.hooks.Notification).toEqual(existing.hooks.Notification);
    expect(merged.hooks.PreToolUse).toEqual([existing.hooks.PreToolUse[0], { matcher: '*', hooks: [{ type: 'command', command: HOOK_COMMAND }] }]);
    const again = await warden(['init', 'claude-code', '--dir', dir], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already runs the Warden hook');
    expect(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')).toBe(once);
  });

  it('keeps the settings file mode, and updates a symlinked settings file where it points', async () => {
    const dir = tempDir();
    const dotfiles = tempDir();
    mkdirSync(join(dir, '.claude'));
    writeFileSync(join(dotfiles, 'claude-settings.json'), '{"model":"opus"}', { mode: 0o600 });
    chmodSync(join(dotfiles, 'claude-settings.json'), 0o600);
    symlinkSync(join(dotfiles, 'claude-settings.json'), join(dir, '.claude', 'settings.json'));
    expect((await warden(['init', 'claude-code', '--dir', dir], dir)).code).toBe(0);
    expect(lstatSync(join(dir, '.claude', 'settings.json')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dotfiles, 'claude-settings.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dotfiles, 'claude-settings.json'), 'utf8'))).toMatchObject({ model: 'opus', hooks: { PreToolUse: [{ matcher: '*' }] } });
  });

  it('refuses settings that are not valid JSON and writes nothing', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.claude'));
    writeFileSync(join(dir, '.claude', 'settings.json'), '{ "model": "opus", }');
    const r = await warden(['init', 'claude-code', '--dir', dir], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not valid JSON');
    expect(r.stderr).toContain('Nothing was written');
    expect(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')).toBe('{ "model": "opus", }');
    expect(existsSync(join(dir, '.warden'))).toBe(false);
  });

  it('keeps an existing policy unless --force', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.warden'));
    writeFileSync(join(dir, '.warden', 'policy.yaml'), 'mine\n');
    const kept = await warden(['init', 'claude-code', '--dir', dir], dir);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('Kept the existing');
    expect(readFileSync(join(dir, '.warden', 'policy.yaml'), 'utf8')).toBe('mine\n');
    expect((await warden(['init', 'claude-code', '--dir', dir, '--force'], dir)).code).toBe(0);
    expect(readFileSync(join(dir, '.warden', 'policy.yaml'), 'utf8')).toBe(CLAUDE_CODE_STARTER_POLICY);
  });

  it('the installed command, run as Claude Code runs it, decides with the starter policy', async () => {
    const dir = tempDir();
    expect((await warden(['init', 'claude-code', '--dir', dir], dir)).code).toBe(0);
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(main, join(dir, 'node_modules', '.bin', 'warden'));
    chmodSync(main, 0o755);
    const settings = JSON.parse(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')) as { hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> } };
    const command = settings.hooks.PreToolUse[0]?.hooks[0]?.command ?? '';
    const r = await run('/bin/sh', ['-c', command], JSON.stringify(pre(dir, 'Read', { file_path: join(dir, '.env') })), baseEnv(dir), dir);
    expect(r.code).toBe(0);
    expect(permission(r)).toEqual({ permissionDecision: 'deny', permissionDecisionReason: 'Warden: Credential files (.env, ~/.ssh, ~/.aws, tokens, private keys, shell history) and the environment are off limits [rule no-credential-files of policy claude-code]' });
  });
});

/**
 * `warden hook claude-code --remote`: the real hook CLI decides through a real `warden serve`
 * process. The service's policy decides and its audit log records (the hook writes no log of its
 * own, and the agent is the token's subject); PostToolUse reaches the service as the call's
 * outcome. A service that is down, hangs, or refuses the token, and a missing or half configuration,
 * each block the call (exit 2 with the reason), or answer `ask` with --on-failure defer.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listAuditFiles } from '../../../src/audit/files.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: remote-hook
default: deny
rules:
  - name: allow-read
    tools: [Read]
    effect: allow
  - name: allow-prompts
    tools: [UserPromptSubmit]
    when: "!args.prompt.contains('exfiltrate')"
    effect: allow
  - name: no-shell
    tools: [Bash]
    effect: deny
    reason: No shell through this service
`;
const TOKEN = 'hook-token-0123456789abcdef0123456789';

let main: string;
let dir: string;
let project: string;
let serve: ChildProcessWithoutNullStreams;
let url: string;
let hung: NetServer;
let hungUrl: string;
const hungSockets: Socket[] = [];
let closedUrl: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hook(input: unknown, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, 'hook', 'claude-code', ...args], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', CLAUDE_PROJECT_DIR: project, WARDEN_HOOK_SERVER: 'off', ...env },
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(input));
  });
}

function pre(tool: string, toolInput: unknown, id: string): Record<string, unknown> {
  return { session_id: 'sess-r', transcript_path: join(project, 't.jsonl'), cwd: project, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: toolInput, tool_use_id: id };
}

const remote = (u = url): string[] => ['--remote', u, '--remote-token-file', join(dir, 'tokens')];

/** Every record of the service's audit log (decisions and outcomes), read from its files. */
async function serviceRecords(): Promise<Array<{ type: string; call?: string; tool?: string; agent?: { id: string }; request?: { tool: string }; decision?: { effect: string; rule: string | null }; outcome?: Record<string, unknown> }>> {
  const out = [];
  for (const file of await listAuditFiles(join(dir, 'audit'))) for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') out.push(JSON.parse(line) as { type: string; call?: string });
  return out;
}

async function listen(server: NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-hook-remote-'));
  project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  writeFileSync(join(dir, 'tokens'), `# the service's tokens\nhook-bot ${TOKEN}\n`);
  writeFileSync(join(dir, 'wrong-token'), 'not-the-token-0123456789abcdef\n');
  serve = spawn(process.execPath, [main, 'serve', '--policy', 'policy.yaml', '--listen', '127.0.0.1:0', '--token-file', 'tokens', '--audit', 'audit', '--store', 'memory:'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  url = await new Promise<string>((resolve, reject) => {
    serve.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/[^ ]+)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    serve.on('exit', (code) => reject(new Error(`warden serve exited ${code}: ${stderr}`)));
  });
  // A service that accepts connections and never answers.
  hung = createNetServer((s) => hungSockets.push(s));
  hungUrl = `http://127.0.0.1:${await listen(hung)}`;
  // A port nothing listens on.
  const probe = createNetServer();
  closedUrl = `http://127.0.0.1:${await listen(probe)}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  for (const s of hungSockets) s.destroy();
  await new Promise<void>((resolve) => hung?.close(() => resolve()) ?? resolve());
  if (serve !== undefined && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve.on('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('warden hook claude-code --remote', () => {
  it('a call the service allows is allowed, recorded in the service\'s log under the token\'s subject; the hook writes no log', async () => {
    const r = await hook(pre('Read', { file_path: join(project, 'a.txt') }, 'toolu_r1'), remote());
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow' } });
    const rec = (await serviceRecords()).find((x) => x.type === 'decision' && x.call === 'toolu_r1');
    expect(rec).toMatchObject({ request: { tool: 'Read' }, decision: { effect: 'allow', rule: 'allow-read' }, agent: { id: 'hook-bot' } });
    expect(existsSync(join(project, '.warden'))).toBe(false);
  });

  it('a call the service denies is denied with the service\'s reason', async () => {
    const r = await hook(pre('Bash', { command: 'ls' }, 'toolu_r2'), remote());
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string } };
    expect(out.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain('No shell through this service');
  });

  it('PostToolUse sends the outcome to the service, which records it against the call', async () => {
    await hook(pre('Read', { file_path: join(project, 'b.txt') }, 'toolu_r3'), remote());
    const r = await hook({ ...pre('Read', { file_path: join(project, 'b.txt') }, 'toolu_r3'), hook_event_name: 'PostToolUse', tool_response: { file: { content: 'hello' } } }, remote());
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const recs = (await serviceRecords()).filter((x) => x.call === 'toolu_r3');
    expect(recs.map((x) => x.type)).toEqual(['decision', 'outcome']);
    expect(recs[1]).toMatchObject({ tool: 'Read', agent: { id: 'hook-bot' }, outcome: { status: 'ok', result: { file: { content: 'hello' } } } });
  });

  it('prompts are decided by the service', async () => {
    const prompt = (text: string): Record<string, unknown> => ({ session_id: 'sess-r', transcript_path: join(project, 't.jsonl'), cwd: project, permission_mode: 'default', hook_event_name: 'UserPromptSubmit', prompt: text });
    expect(await hook(prompt('fix the tests'), remote())).toMatchObject({ code: 0, stdout: '' });
    const blocked = await hook(prompt('exfiltrate the keys'), remote());
    expect(blocked.code).toBe(0);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ decision: 'block' });
  });

  it('reads the service and token file from WARDEN_REMOTE_URL and WARDEN_REMOTE_TOKEN_FILE', async () => {
    const r = await hook(pre('Read', { file_path: join(project, 'c.txt') }, 'toolu_r4'), [], { WARDEN_REMOTE_URL: url, WARDEN_REMOTE_TOKEN_FILE: join(dir, 'tokens') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'allow' } });
  });

  // Fail closed: each blocks the call with exit 2 and says why.
  it.each([
    { name: 'a token the service refuses (401)', args: () => ['--remote', url, '--remote-token-file', join(dir, 'wrong-token')], says: 'HTTP 401' },
    { name: 'a service nothing listens for', args: () => remote(closedUrl), says: 'could not be reached' },
    { name: 'a service that never answers', args: () => [...remote(hungUrl), '--remote-timeout', '300'], says: 'did not answer within 300 ms' },
    { name: 'a token file that does not exist', args: () => ['--remote', url, '--remote-token-file', join(dir, 'missing')], says: 'cannot read the remote token file' },
    { name: '--remote without a token file', args: () => ['--remote', url], says: '--remote needs the service\'s bearer token' },
    { name: 'a token file without --remote', args: () => ['--remote-token-file', join(dir, 'tokens')], says: 'without the service' },
    { name: 'a remote URL that is not http(s)', args: () => remote('file:///etc/passwd'), says: 'must be http: or https:' },
  ])('blocks the call: $name', async ({ args, says }) => {
    const r = await hook(pre('Read', { file_path: join(project, 'a.txt') }, 'toolu_f'), args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(says);
  });

  it('an outcome the service cannot take blocks too (PostToolUse to a service nothing listens for)', async () => {
    const r = await hook({ ...pre('Read', { file_path: join(project, 'a.txt') }, 'toolu_o'), hook_event_name: 'PostToolUse', tool_response: { file: { content: 'x' } } }, remote(closedUrl));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('was not recorded: the decision service could not be reached');
  });

  it('with --on-failure defer, an unreachable service turns PreToolUse into ask', async () => {
    const r = await hook(pre('Read', { file_path: join(project, 'a.txt') }, 'toolu_d'), [...remote(closedUrl), '--on-failure', 'defer']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'ask' } });
  });

  it('--remote-timeout takes a positive number of milliseconds', async () => {
    const r = await hook(pre('Read', {}, 'toolu_u'), [...remote(), '--remote-timeout', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--remote-timeout needs a positive number');
  });
});

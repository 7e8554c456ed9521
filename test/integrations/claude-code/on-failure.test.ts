/**
 * `warden hook claude-code --on-failure block|defer`: what the hook answers when Warden itself
 * fails. The built CLI runs in a child process with real Claude Code hook JSON on standard input:
 * `block` (the default) exits 2, which Claude Code treats as a block; `defer` answers a failed
 * PreToolUse event with `ask`, so Claude Code asks the user. Neither ever answers `allow`, and a
 * policy's own decisions are the same in both modes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyFailureMode, failureModeOf } from '../../../src/integrations/claude-code/on-failure.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../../../src/integrations/claude-code/starter-policy.js';

const SLOW = { timeout: 180_000 };
let main = '';
const temps: string[] = [];

beforeAll(() => {
  main = inject('wardenCli');
});

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function project(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'warden-onfail-')));
  temps.push(d);
  mkdirSync(join(d, '.warden'), { recursive: true });
  mkdirSync(join(d, 'src'), { recursive: true });
  writeFileSync(join(d, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY);
  writeFileSync(join(d, 'src', 'a.ts'), 'export {};\n');
  return d;
}

function hook(dir: string, input: unknown, args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, 'hook', 'claude-code', ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', CLAUDE_PROJECT_DIR: dir, WARDEN_HOOK_SERVER: 'off', ...env }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/** A PreToolUse payload as Claude Code sends it. */
function pre(dir: string, tool: string, toolInput: unknown): Record<string, unknown> {
  return { session_id: 'sess-1', transcript_path: join(dir, 'transcript.jsonl'), cwd: dir, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: toolInput, tool_use_id: 'toolu_01' };
}

function decision(r: Run): string {
  return (JSON.parse(r.stdout) as { hookSpecificOutput: { permissionDecision: string } }).hookSpecificOutput.permissionDecision;
}

describe.concurrent('--on-failure with real hook payloads', SLOW, () => {
  const missing = (dir: string): string[] => ['--policy', join(dir, 'nope.yaml')];

  it('blocks by default when the policy is missing (exit 2, nothing on stdout)', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), missing(dir));
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('nope.yaml');
  });

  it('defer: a PreToolUse whose policy is missing is answered ask with the cause, exit 0', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), [...missing(dir), '--on-failure', 'defer']);
    expect(r.code).toBe(0);
    expect(decision(r)).toBe('ask');
    expect(r.stdout).toContain('nope.yaml');
    expect(r.stdout).toContain('--on-failure defer');
  });

  it('defer from $WARDEN_ON_FAILURE: an invalid policy is answered ask', async () => {
    const dir = project();
    writeFileSync(join(dir, '.warden', 'policy.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: bad\nrules:\n  - name: r\n    effect: Allow\n');
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), [], { WARDEN_ON_FAILURE: 'defer' });
    expect(r.code).toBe(0);
    expect(decision(r)).toBe('ask');
  });

  it('defer: an audit log that cannot be written is answered ask, not allow', async () => {
    const dir = project();
    writeFileSync(join(dir, 'blocker'), 'x');
    const r = await hook(dir, pre(dir, 'Read', { file_path: join(dir, 'src', 'a.ts') }), ['--audit', join(dir, 'blocker', 'log.jsonl'), '--on-failure=defer']);
    expect(r.code).toBe(0);
    expect(decision(r)).toBe('ask');
  });

  it('defer: input that is not JSON still blocks (it names no event to answer)', async () => {
    const dir = project();
    const r = await hook(dir, '{"hook_event_name": "PreToolUse", ', ['--on-failure', 'defer']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
  });

  it('defer: a failed UserPromptSubmit still blocks (Claude Code has no ask for prompts)', async () => {
    const dir = project();
    const r = await hook(dir, { session_id: 's', transcript_path: join(dir, 't.jsonl'), cwd: dir, permission_mode: 'default', hook_event_name: 'UserPromptSubmit', prompt: 'hi' }, [...missing(dir), '--on-failure', 'defer']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
  });

  it('defer does not change the policy: a denied call is still deny, an allowed one still allow', async () => {
    const dir = project();
    const denied = await hook(dir, pre(dir, 'Read', { file_path: join(dir, '.env') }), ['--on-failure', 'defer']);
    expect(denied.code).toBe(0);
    expect(decision(denied)).toBe('deny');
    const allowed = await hook(dir, pre(dir, 'Read', { file_path: join(dir, 'src', 'a.ts') }), ['--on-failure', 'defer']);
    expect(allowed.code).toBe(0);
    expect(decision(allowed)).toBe('allow');
  });

  it('refuses --on-failure allow as a usage error (exit 2)', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), ['--on-failure', 'allow']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('--on-failure needs block or defer');
  });

  it('an unknown $WARDEN_ON_FAILURE blocks a failure and says why', async () => {
    const dir = project();
    const r = await hook(dir, pre(dir, 'Bash', { command: 'ls' }), missing(dir), { WARDEN_ON_FAILURE: 'allow' });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('on-failure "allow" is neither block nor defer');
  });
});

const failed = { exitCode: 2, stdout: '', stderr: 'warden: the policy did not load\n' };

describe('applyFailureMode', () => {
  // What may be deferred: only a JSON object whose hook_event_name is exactly PreToolUse.
  const inputs: Array<[string, string, 'ask' | 'block']> = [
    ['a PreToolUse payload', JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash' }), 'ask'],
    ['a PreToolUse payload without a tool', JSON.stringify({ hook_event_name: 'PreToolUse' }), 'ask'],
    ['a PreToolUse payload with approved: true', JSON.stringify({ hook_event_name: 'PreToolUse', tool_input: { approved: true } }), 'ask'],
    ['a lower-case event name', JSON.stringify({ hook_event_name: 'pretooluse' }), 'block'],
    ['the event name nested', JSON.stringify({ event: { hook_event_name: 'PreToolUse' } }), 'block'],
    ['an array holding the payload', JSON.stringify([{ hook_event_name: 'PreToolUse' }]), 'block'],
    ['PostToolUse', JSON.stringify({ hook_event_name: 'PostToolUse' }), 'block'],
    ['UserPromptSubmit', JSON.stringify({ hook_event_name: 'UserPromptSubmit' }), 'block'],
    ['truncated JSON', '{"hook_event_name":"PreToolUse"', 'block'],
    ['empty input', '', 'block'],
    ['the name as a plain string', '"PreToolUse"', 'block'],
  ];
  it.each(inputs)('defer on %s → %s', (_name, text, expected) => {
    const r = applyFailureMode(failed, text, 'defer');
    if (expected === 'block') expect(r).toBe(failed);
    else {
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: expect.stringContaining('the policy did not load') } });
    }
  });

  it('leaves a success alone in defer mode and a failure alone in block mode', () => {
    const ok = { exitCode: 0, stdout: '{"hookSpecificOutput":{"permissionDecision":"deny"}}\n', stderr: '' };
    const text = JSON.stringify({ hook_event_name: 'PreToolUse' });
    expect(applyFailureMode(ok, text, 'defer')).toBe(ok);
    expect(applyFailureMode(failed, text, 'block')).toBe(failed);
  });

  it.each([
    [undefined, {}, 'block', null],
    ['defer', {}, 'defer', null],
    [undefined, { WARDEN_ON_FAILURE: 'defer' }, 'defer', null],
    ['block', { WARDEN_ON_FAILURE: 'defer' }, 'block', null],
    [undefined, { WARDEN_ON_FAILURE: 'allow' }, 'block', 'on-failure "allow" is neither block nor defer, so failures block'],
    [undefined, { WARDEN_ON_FAILURE: 'Defer' }, 'block', 'on-failure "Defer" is neither block nor defer, so failures block'],
  ] as const)('failureModeOf(%s, %j) is %s', (flag, env, mode, problem) => {
    expect(failureModeOf(flag, env)).toEqual({ mode, problem });
  });
});

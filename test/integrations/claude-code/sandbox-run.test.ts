/**
 * The Claude Code hook's "run it for you" mode: an allowed Bash call is run by the hook in the real
 * sandbox (bubblewrap on this machine) and answered `allow` with the command replaced by one that
 * replays the sandboxed output; a denied call is denied as always; a call the sandbox cannot take
 * is blocked, never left to run on the host.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, inject } from 'vitest';
import { HookRuntime, type HookConfig } from '../../../src/integrations/claude-code/handle.js';
import { replayCommand } from '../../../src/integrations/claude-code/sandbox-run.js';
import { parseHookArgs } from '../../../src/cli/hook.js';
import { runCli } from '../../helpers/cli.js';
import { freshDir, NO_BWRAP } from '../../sandbox/helpers.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: run-for-you
default: deny
facets:
  - tools: [Bash]
    shell: { from: args.command }
rules:
  - name: no-network-tools
    tools: [Bash]
    when: "shell.names.exists(n, n in ['curl', 'wget'])"
    effect: deny
    reason: Network tools are not available to the agent
  - name: the-rest
    tools: [Bash, Read]
    effect: allow
`;

function project(): { dir: string; config: HookConfig } {
  const dir = freshDir('warden-run-for-you-');
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  return { dir, config: { policyPaths: [join(dir, 'policy.yaml')], auditPath: join(dir, 'audit.jsonl'), agentId: 'claude-code', projectDir: dir, home: null, windows: false, sandbox: { network: 'none', timeMs: 30_000 } } };
}

const pre = (dir: string, tool: string, toolInput: Record<string, unknown>): string =>
  JSON.stringify({ session_id: 's1', transcript_path: join(dir, 't.jsonl'), cwd: dir, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: toolInput, tool_use_id: 'toolu_01' });

interface Answer {
  hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string; updatedInput?: Record<string, unknown> };
}

describe.skipIf(NO_BWRAP)('run it for you (real sandbox)', () => {
  it('runs an allowed Bash command in the sandbox and replaces it with a replay of its output and status', async () => {
    const { dir, config } = project();
    const r = await new HookRuntime().handle(pre(dir, 'Bash', { command: 'echo made > out.txt; test -d /root || echo sandboxed; cat /etc/shadow; echo to-stderr >&2; exit 3', description: 'try things', run_in_background: true, timeout: 9000 }), config);
    expect(r.exitCode).toBe(0);
    const answer = JSON.parse(r.stdout) as Answer;
    expect(answer.hookSpecificOutput.permissionDecision).toBe('allow');
    expect(answer.hookSpecificOutput.permissionDecisionReason).toContain("run by Warden in its sandbox, ring 2, network none");
    const updated = answer.hookSpecificOutput.updatedInput as Record<string, unknown>;
    expect(updated.description).toBe('try things');
    expect(updated.timeout).toBe(9000);
    expect(updated).not.toHaveProperty('run_in_background');
    // What Claude Code then runs on the host: only the replay.
    const command = updated.command as string;
    expect(command).toMatch(/^cat -- '\/[^']+\/stdout'; cat -- '\/[^']+\/stderr' >&2; rm -rf -- '\/[^']+'; exit 3$/);
    const replay = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    expect(replay.status).toBe(3);
    expect(replay.stdout).toBe('sandboxed\n');
    expect(replay.stderr).toContain('to-stderr');
    expect(replay.stderr).toMatch(/shadow/);
    // The workspace write happened (the project is writable at ring 2); the replay removed its files.
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('made\n');
    const outDir = /^cat -- '([^']+)\/stdout'/.exec(command)?.[1] as string;
    expect(existsSync(outDir)).toBe(false);
    // The decision and the sandboxed outcome are in the audit log.
    const lines = readFileSync(config.auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; outcome?: { result?: { sandbox?: { mechanism: string } } } });
    expect(lines.find((l) => l.type === 'outcome')?.outcome?.result?.sandbox?.mechanism).toBe('bubblewrap');
  });

  it('denies a denied command as always, and runs nothing', async () => {
    const { dir, config } = project();
    const r = await new HookRuntime().handle(pre(dir, 'Bash', { command: 'touch ran; curl https://example.com' }), config);
    const answer = JSON.parse(r.stdout) as Answer;
    expect(answer.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(answer.hookSpecificOutput.permissionDecisionReason).toContain('Network tools are not available');
    expect(answer.hookSpecificOutput.updatedInput).toBeUndefined();
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('leaves tools other than Bash to Claude Code', async () => {
    const { dir, config } = project();
    const r = await new HookRuntime().handle(pre(dir, 'Read', { file_path: join(dir, 'policy.yaml') }), config);
    const answer = JSON.parse(r.stdout) as Answer;
    expect(answer.hookSpecificOutput.permissionDecision).toBe('allow');
    expect(answer.hookSpecificOutput.updatedInput).toBeUndefined();
  });

  it('blocks the call when the sandbox cannot take the project directory (never runs it on the host)', async () => {
    const { dir, config } = project();
    const r = await new HookRuntime().handle(pre(dir, 'Bash', { command: 'echo hi' }), { ...config, projectDir: '/usr/share' });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('overlaps the system directory');
  });

  it('works through the built CLI with --sandbox (handled in process, no hook server)', async () => {
    const { dir } = project();
    const r = await runCli(inject('wardenCli'), ['hook', 'claude-code', '--sandbox', '--sandbox-timeout', '30000', '-p', join(dir, 'policy.yaml'), '--audit', join(dir, 'audit.jsonl')], { cwd: dir, input: pre(dir, 'Bash', { command: 'test -d /root || echo sandboxed-cli' }) });
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as Answer;
    const replay = spawnSync('/bin/sh', ['-c', answer.hookSpecificOutput.updatedInput?.command as string], { encoding: 'utf8' });
    expect(replay.stdout).toBe('sandboxed-cli\n');
    expect(replay.status).toBe(0);
  });
});

describe('run it for you: arguments and the replay command', () => {
  it.each([
    [['claude-code', '--sandbox'], { sandbox: { network: 'none', timeMs: 50_000 } }],
    [['claude-code', '--sandbox', '--sandbox-network', 'egress', '--sandbox-timeout=20000'], { sandbox: { network: 'egress', timeMs: 20_000 } }],
    [['claude-code', '--sandbox-network', 'egress', '--sandbox'], { sandbox: { network: 'egress', timeMs: 50_000 } }],
  ])('parses %j', (args, options) => {
    expect(parseHookArgs(args)).toEqual({ host: 'claude-code', options });
  });

  it.each([
    [['claude-code', '--sandbox-network', 'egress'], 'need --sandbox'],
    [['claude-code', '--sandbox', '--sandbox-network', 'host'], 'none or egress'],
    [['claude-code', '--sandbox', '--sandbox-timeout', '0'], 'positive number'],
    [['claude-code', '--sandbox', '--sandbox-timeout', 'soon'], 'positive number'],
  ])('refuses %j', (args, message) => {
    expect(parseHookArgs(args)).toEqual(expect.stringContaining(message));
  });

  it('quotes the directory so that no path can break out of the replay', () => {
    const dir = "/tmp/a'; touch /tmp/pwned; '";
    const out = spawnSync('/bin/sh', ['-c', `set -n; ${replayCommand(dir, 0)}`]);
    expect(out.status).toBe(0);
    expect(replayCommand(dir, 0)).toBe(`cat -- '/tmp/a'\\''; touch /tmp/pwned; '\\''/stdout'; cat -- '/tmp/a'\\''; touch /tmp/pwned; '\\''/stderr' >&2; rm -rf -- '/tmp/a'\\''; touch /tmp/pwned; '\\'''; exit 0`);
  });
});

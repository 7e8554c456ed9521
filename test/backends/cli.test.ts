/**
 * The warden command with Cedar and Rego files in a policy directory: check, explain, lint and the
 * Claude Code hook load their engines themselves, and a missing engine fails the load.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { runCli } from '../helpers/cli.js';

const main = inject('wardenCli');
const opa = findOpa();
if (!opa.ok && process.env.CI) throw new Error(opa.reason);
if (!opa.ok) console.warn(`test/backends/cli.test.ts skips its Rego cases: ${opa.reason}`);
if (opa.ok) process.env.WARDEN_OPA = opa.path;

function policyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cli-backends-'));
  writeFileSync(join(dir, 'base.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: base\nrules:\n  - { name: files, tools: [Write, write_file], effect: allow }\n');
  writeFileSync(join(dir, 'guards.cedar'), '@id("no-etc")\nforbid (principal, action, resource) when { context.args has path && context.args.path like "/etc/*" };\n');
  if (opa.ok) writeFileSync(join(dir, 'secrets.rego'), 'package secrets\nimport rego.v1\ndecision := {"effect": "deny", "rule": "no-keys"} if endswith(input.args.path, ".pem")\n');
  return dir;
}

describe('the warden command with Cedar and Rego files', () => {
  it('check decides with the Cedar document, naming it', async () => {
    const dir = policyDir();
    const run = await runCli(main, ['check', '--policy', dir, '--request', '-', '--json'], { input: JSON.stringify({ tool: 'write_file', args: { path: '/etc/passwd' } }) });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ effect: 'deny', policy: 'guards', rule: 'no-etc' });
    const ok = await runCli(main, ['check', '--policy', dir, '--request', '-', '--json'], { input: JSON.stringify({ tool: 'write_file', args: { path: '/tmp/a' } }) });
    expect(JSON.parse(ok.stdout)).toMatchObject({ effect: 'allow', policy: 'base' });
  });

  it.skipIf(!opa.ok)('check decides with the Rego document', async () => {
    const run = await runCli(main, ['check', '--policy', policyDir(), '--request', '-', '--json'], { input: JSON.stringify({ tool: 'write_file', args: { path: '/home/a/key.pem' } }) });
    expect(JSON.parse(run.stdout)).toMatchObject({ effect: 'deny', policy: 'secrets', rule: 'no-keys' });
  });

  it('lint loads the Cedar document and reports its errors at the file', async () => {
    const dir = policyDir();
    expect((await runCli(main, ['lint', dir])).code).toBe(0);
    writeFileSync(join(dir, 'broken.cedar'), 'forbid (principal, action, resource\n');
    const run = await runCli(main, ['lint', dir]);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('broken.cedar');
    expect(run.stdout + run.stderr).toContain('backend_error');
  });

  it('the Claude Code hook denies through a Cedar document', async () => {
    const dir = policyDir();
    const event = { session_id: 's1', transcript_path: '/tmp/t', cwd: dir, hook_event_name: 'PreToolUse', tool_name: 'Write', tool_input: { file_path: '/etc/hosts', content: 'x' } };
    writeFileSync(join(dir, 'guards.cedar'), '@id("no-etc-writes")\nforbid (principal, action == Action::"Write", resource) when { context.args has file_path && context.args.file_path like "/etc/*" };\n');
    const run = await runCli(main, ['hook', 'claude-code', '--policy', dir, '--no-server'], { input: JSON.stringify(event), cwd: dir });
    expect(run.stdout + run.stderr).toContain('no-etc-writes');
  });
});

/**
 * `warden acs` run as a user runs it: the built CLI in a child process, on files in a scratch
 * directory (the demo policy decides pre_tool_call).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_POLICY } from '../../src/cli/demo.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const main = inject('wardenCli');
let dir: string;
const warden = (args: string[]): Promise<CliRun> => runCli(main, args, { cwd: dir });

const MANIFEST = `agent_control_specification_version: 0.3.1-beta
policies:
  warden: { type: custom, adapter: warden }
intervention_points:
  pre_tool_call:
    tool_name_from: $snap.tool_call.name
    policy: { id: warden }
    policy_target: $snap.tool_call.args
tools:
  refund: { type: Tool }
  write_file: { type: Tool }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-acs-cli-'));
  await writeFile(join(dir, 'acs.yaml'), MANIFEST);
  await writeFile(join(dir, 'bad.yaml'), MANIFEST.replace('pre_tool_call:', 'on_token:'));
  await writeFile(join(dir, 'small.json'), JSON.stringify({ tool_call: { name: 'refund', args: { amount: 20 } } }));
  await writeFile(join(dir, 'big.json'), JSON.stringify({ tool_call: { name: 'refund', args: { amount: 900 } } }));
  await writeFile(join(dir, 'unknown.json'), JSON.stringify({ tool_call: { name: 'shell', args: { cmd: 'ls' } } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('warden acs', () => {
  it('validates a manifest and lists its intervention points', async () => {
    const r = await warden(['acs', 'acs.yaml', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, version: '0.3.1-beta', interventionPoints: ['pre_tool_call'], tools: ['refund', 'write_file'] });
  });

  it('refuses an invalid manifest with exit 2 and the reserved reason', async () => {
    const r = await warden(['acs', 'bad.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runtime_error:manifest_invalid: intervention_points.on_token is not an intervention point');
  });

  it('evaluates pre_tool_call under the demo policy: allow exits 0, escalate and fail-closed deny exit 1', async () => {
    const small = await warden(['acs', 'acs.yaml', '--point', 'pre_tool_call', '--snapshot', 'small.json', '--policy', DEMO_POLICY, '--json']);
    expect(small.code).toBe(0);
    expect(JSON.parse(small.stdout)).toMatchObject({ verdict: { decision: 'allow', reason: 'allow-small-refunds' }, actionIdentity: { input: expect.stringMatching(/^sha256:/) } });
    const big = await warden(['acs', 'acs.yaml', '--point', 'pre_tool_call', '--snapshot', 'big.json', '--policy', DEMO_POLICY]);
    expect(big.code).toBe(1);
    expect(big.stdout).toMatch(/^escalate \(refunds-over-limit\)/);
    const unknown = await warden(['acs', 'acs.yaml', '--point', 'pre_tool_call', '--snapshot', 'unknown.json', '--policy', DEMO_POLICY]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^deny \(runtime_error:tool_unknown\)/);
  });

  it('says what --point needs', async () => {
    const r = await warden(['acs', 'acs.yaml', '--point', 'pre_tool_call']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--point needs --snapshot <file> and --policy <paths...>');
  });
});

/** The runtime commands, run as the real CLI against a SQLite store in a temporary directory. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const cli = inject('wardenCli');
const dir = mkdtempSync(join(tmpdir(), 'warden-runtime-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => runCli(cli, args, { cwd: dir });

beforeAll(async () => {
  const ops = JSON.parse((await run('id', 'new', 'ops', '--json')).stdout) as { did: string };
  const lead = JSON.parse((await run('id', 'new', 'lead', '--json')).stdout) as { did: string };
  writeFileSync(join(dir, '.warden', 'runtime.json'), JSON.stringify({ store: 'sqlite:.warden/state.db', signers: [ops.did], approvers: [lead.did] }));
});

describe('warden kill / status / revive', () => {
  it('kills an agent, shows it in status, and revives it only with another approver\'s approval', async () => {
    expect((await run('status')).stdout).toContain('no kill state');
    const killed = await run('kill', 'agent:bot', '--reason', 'runaway loop', '--key', 'ops');
    expect(killed.code).toBe(0);
    expect(killed.stdout).toContain('epoch 1');
    const status = await run('status');
    expect(status.stdout).toMatch(/epoch 1, 1 active kill[\s\S]*agent bot: runaway loop/);
    const noApproval = await run('revive', 'agent:bot', '--reason', 'fixed', '--key', 'ops');
    expect(noApproval.code).toBe(2);
    expect(noApproval.stderr).toContain('--approval');
    expect((await run('revive', 'agent:bot', '--approve', '--key', 'ops', '--reason', 'fixed', '--out', 'self.json')).code).toBe(0);
    const self = await run('revive', 'agent:bot', '--approval', 'self.json', '--key', 'ops', '--reason', 'fixed');
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/not a trusted|someone else/);
    expect((await run('revive', 'agent:bot', '--approve', '--key', 'lead', '--reason', 'fixed', '--out', 'approval.json')).code).toBe(0);
    const revived = await run('revive', 'agent:bot', '--approval', 'approval.json', '--key', 'ops', '--reason', 'fixed');
    expect(revived.stdout).toContain('approved by did:key:');
    expect((await run('status')).stdout).toContain('0 active kill');
  });

  it('refuses a kill signed by a key that is not a configured signer (exit 2)', async () => {
    const r = await run('kill', 'all', '--reason', 'x', '--key', 'lead');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not one of the runtime signers');
  });
});

describe('warden trust / ring', () => {
  it('records events, shows and explains the score, and elevates with a signed, expiring grant', async () => {
    expect((await run('trust', 'show', 'coder')).stdout).toContain('coder: trust 0 (untrusted), ring 3, 0 events');
    expect((await run('trust', 'event', 'coder', 'baseline', '--value', '720', '--reason', 'reviewed')).code).toBe(0);
    expect((await run('trust', 'event', 'coder', 'violation', '--reason', 'wrote ~/.ssh')).stdout).toMatch(/trust now 6\d\d \(standard\)/);
    const explained = await run('trust', 'explain', 'coder');
    expect(explained.stdout).toMatch(/#1 baseline 720[\s\S]*#2 violation/);
    expect((await run('trust', 'event', 'coder', 'promote')).code).toBe(2);
    expect((await run('ring', 'elevate', 'coder', '--to', '0', '--for', '15m', '--reason', 'x', '--key', 'ops')).stderr).toContain('ring 0 is never granted');
    expect((await run('ring', 'elevate', 'coder', '--to', '1.0', '--for', '15m', '--reason', 'x', '--key', 'ops')).code).toBe(2);
    const elevated = await run('ring', 'elevate', 'coder', '--to', '1', '--for', '15m', '--reason', 'release', '--key', 'ops');
    expect(elevated.stdout).toContain('elevated to ring 1');
    expect((await run('ring', 'show', 'coder')).stdout).toMatch(/ring 1 .*elevated to 1/);
    expect((await run('ring', 'revoke', 'coder', '--reason', 'done')).code).toBe(0);
    expect((await run('ring', 'show', 'coder')).stdout).toMatch(/coder: ring 2 /);
  });
});

describe('warden ring elevate --policy', () => {
  it('puts the elevation to the policy first: allowed, denied, or (without a terminal) an approval nobody can give', async () => {
    writeFileSync(
      join(dir, 'elevations.yaml'),
      `apiVersion: warden/v1
kind: Policy
name: elevations
default: deny
rules:
  - name: short-ring-2
    tools: [warden.ring.elevate]
    when: "args.to == 2 && args.forMs <= 3600000"
    effect: allow
    reason: short ring-2 elevations are routine
  - name: ring-1-asks
    tools: [warden.ring.elevate]
    when: "args.to == 1"
    effect: require_approval
    approvers: [security-team]
    reason: ring 1 needs security's approval
`,
    );
    const ok = await run('ring', 'elevate', 'helper', '--to', '2', '--for', '30m', '--reason', 'triage', '--key', 'ops', '--policy', 'elevations.yaml');
    expect(ok.stdout).toContain('elevated to ring 2');
    const long = await run('ring', 'elevate', 'helper', '--to', '2', '--for', '2h', '--reason', 'triage', '--key', 'ops', '--policy', 'elevations.yaml');
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('The policy did not allow the elevation');
    const asks = await run('ring', 'elevate', 'helper', '--to', '1', '--for', '10m', '--reason', 'hotfix', '--key', 'ops', '--policy', 'elevations.yaml');
    expect(asks.code).toBe(2);
    expect(asks.stderr).toMatch(/Approval was not granted/);
    expect((await run('ring', 'show', 'helper')).stdout).toContain('elevated to 2');
  });
});

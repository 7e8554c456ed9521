/**
 * A deployment that satisfies every check, and ways to break each piece: a policy, a configuration,
 * an audit log written through the real file sink (decided by the real policy, checkpoints signed),
 * and a replay report.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { generateKeyPair, writeKeyPair } from '../../src/audit/keys.js';
import type { AgentIdentity, DecisionEvent } from '../../src/decision.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';

export const GOOD_POLICY = `apiVersion: warden/v1
kind: Policy
name: production
default: deny
facets:
  - tools: [run_command]
    shell: { from: args.command }
rules:
  - name: reads
    tools: [read_file]
    effect: allow
  - name: unparsable-shell
    tools: [run_command]
    when: "!shell.parsed || shell.dynamic"
    effect: deny
  - name: no-destructive-shell
    tools: [run_command]
    when: "shell.names.exists(n, n in ['rm', 'dd', 'mkfs', 'curl', 'wget', 'sh', 'bash', 'nc'])"
    effect: deny
  - name: shell
    tools: [run_command]
    effect: allow
  - name: known-hosts-only
    tools: [http_fetch]
    when: "urls.size() == 0 || urls.exists(u, !domainMatches(u.host, 'api.example.com'))"
    effect: deny
  - name: fetch
    tools: [http_fetch]
    effect: allow
  - name: refunds
    tools: [refund]
    when: "args.amount > 100"
    effect: require_approval
    approvers: [finance]
  - name: small-refunds
    tools: [refund]
    effect: allow
`;

export interface Deployment {
  dir: string;
  policy: string;
  config: string;
  audit: string;
  publicKey: string;
  replay: string;
}

export interface Variant {
  policy?: string;
  config?: (d: { log: string; key: string; pub: string }) => string;
  agent?: AgentIdentity | null;
  /** Record approvals with who answered. */
  approvalsBy?: boolean;
  /** Sign checkpoints. */
  sign?: boolean;
}

export function goodConfig({ log, key, pub }: { log: string; key: string; pub: string }): string {
  return `audit:\n  path: ${log}\n  fsync: always\n  signingKey: ${key}\n  publicKey: ${pub}\n  retentionDays: 200\nidentity:\n  required: true\nkillSwitch:\n  store: sqlite:.warden/state.db\n`;
}

const VERIFIED: AgentIdentity = { id: 'did:key:z6MkexampleAgent', roles: ['support'], verified: { method: 'did:key', issuer: 'did:key:z6MkexampleAgent' } as never };

/** Writes a deployment: policy, configuration, a signed audit log of real decisions, a replay report. */
export async function deployment(v: Variant = {}): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-compliance-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, v.policy ?? GOOD_POLICY);
  const keys = generateKeyPair();
  const key = join(dir, 'audit.key');
  const pub = join(dir, 'audit.pub');
  await writeKeyPair({ privateKeyPath: key, publicKeyPath: pub }, { keyPair: keys });
  const log = join(dir, 'audit', 'main.jsonl');
  const config = join(dir, 'warden.config.yaml');
  writeFileSync(config, (v.config ?? goodConfig)({ log, key, pub }));
  const set = await loadPolicyFiles([policy]);
  const sink = await openFileAuditSink({ path: log, ...(v.sign === false ? {} : { signingKey: keys.privateKey, checkpointEvery: 3 }) });
  const agent = v.agent === undefined ? VERIFIED : v.agent;
  const calls = [
    { tool: 'read_file', args: { path: '/srv/a.txt' } },
    { tool: 'run_command', args: { command: 'ls -la' } },
    { tool: 'run_command', args: { command: 'rm -rf /srv' } },
    { tool: 'http_fetch', args: { url: 'https://attacker.example/x' } },
    { tool: 'refund', args: { amount: 500, password: 'hunter2hunter2' } },
    { tool: 'refund', args: { amount: 10 } },
    { tool: 'unknown_tool', args: {} },
  ];
  for (const [i, request] of calls.entries()) {
    const ts = new Date(Date.UTC(2026, 5, 1, 12, 0, i)).toISOString();
    const decision = set.decide({ ...request, ...(agent ? { agent } : {}) }, { now: new Date(ts) });
    const event: DecisionEvent = { ts, agent, request, decision };
    if (decision.effect === 'require_approval') event.outcome = { executed: true, effect: 'allow', approval: { approved: true, reason: 'ok', requestDigest: `sha256:${'cd'.repeat(32)}`, ...(v.approvalsBy === false ? {} : { by: 'alice@finance' }) } as never };
    await sink.write(event);
  }
  await sink.close();
  const replay = join(dir, 'replay.json');
  writeFileSync(replay, JSON.stringify({ mode: 'recorded', candidate: { digest: set.digest, policies: ['production'] }, decisions: calls.length, changed: 0 }));
  return { dir, policy, config, audit: log, publicKey: pub, replay };
}

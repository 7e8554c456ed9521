/** `warden ring show|elevate|revoke`: an agent's execution ring and signed, expiring elevations. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { Governor } from '../enforce/governor.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { ELEVATE_TOOL, type ElevationAuthorizer } from '../runtime/elevation.js';
import { ioOf, runCommand, type Io } from './identity-io.js';
import { durationMs, loadKey, openRuntime, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden ring` and its subcommands.
 *
 * @example
 * ```ts
 * registerRingCommand(program); // warden ring elevate bot --to 1 --for 15m --reason "deploy" --key ops
 * ```
 */
export function registerRingCommand(program: Command): void {
  const ring = program.command('ring').description('execution rings 0-3: show, elevate (signed, expiring), revoke');
  runtimeFlags(ring.command('show').description("an agent's ring, and its elevation if any").argument('<agent>', 'the agent id').option('--json', 'print JSON')).action(async (agent: string, opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'ring show', async () => {
      const { runtime, store } = await openRuntime(opts, 'did:key:none');
      try {
        const facts = await runtime.enrich({ id: agent });
        const grant = await runtime.elevations.current(agent);
        if (opts.json === true) io.out(`${JSON.stringify({ agent, ...facts, elevation: grant })}\n`);
        else io.out(`${agent}: ring ${facts.ring} (tier ${facts.tier || 'n/a'}, trust ${facts.trust})${grant === null ? '' : `, elevated to ${grant.to} until ${new Date(grant.expiresAt).toISOString()} by ${grant.by}: ${grant.reason}`}\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
  runtimeFlags(
    ring
      .command('elevate')
      .description('grant an agent a more privileged ring (1-3) for a while, signed with --key')
      .argument('<agent>', 'the agent id')
      .requiredOption('--to <ring>', 'the ring: 1, 2 or 3 (ring 0 is never granted by elevation)')
      .requiredOption('--for <duration>', 'how long: 90s, 15m, 2h')
      .requiredOption('--reason <text>', 'why (recorded)')
      .option('--key <name>', 'the identity that signs (warden id new)')
      .option('--key-dir <dir>', 'the key store directory')
      .option('--policy <paths...>', `decide the elevation first, as tool ${ELEVATE_TOOL} with args { agent, to, forMs, reason }, under these policy files; a require_approval decision asks on the terminal`),
  ).action(async (agent: string, opts: RuntimeFlags & { to: string; for: string; reason: string; key?: string; keyDir?: string; policy?: string[] }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'ring elevate', async () => {
      const key = await loadKey(opts.key, opts.keyDir);
      const { runtime, store } = await openRuntime(opts, key.did);
      try {
        // The level is parsed strictly: "1.0", "01", "-1" or "one" are refused, never read as ring 1 or 0.
        const to = /^[0-3]$/.test(opts.to) ? Number(opts.to) : Number.NaN;
        const authorize = opts.policy === undefined ? undefined : await policyAuthorizer(opts.policy, key.did, io);
        const grant = await runtime.elevations.elevate(agent, { to, forMs: durationMs(opts.for, '--for'), reason: opts.reason, key, ...(authorize === undefined ? {} : { authorize }) });
        io.out(`${agent} elevated to ring ${grant.to} until ${new Date(grant.expiresAt).toISOString()} (grant ${grant.id})\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
  runtimeFlags(ring.command('revoke').description("revoke an agent's elevation").argument('<agent>', 'the agent id').requiredOption('--reason <text>', 'why (recorded)').option('--by <who>', 'who revokes', 'cli')).action(async (agent: string, opts: RuntimeFlags & { reason: string; by: string }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'ring revoke', async () => {
      const { runtime, store } = await openRuntime(opts, 'did:key:none');
      try {
        const revoked = await runtime.elevations.revoke(agent, { reason: opts.reason, by: opts.by });
        io.out(revoked ? `${agent}: elevation revoked\n` : `${agent} had no elevation\n`);
        return revoked ? 0 : 1;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
}

/**
 * Decides elevation requests under policy files, as the operator (the signing key's DID). A
 * `require_approval` decision is put to the person at the terminal (only the answer "yes"
 * approves); without a terminal it is refused.
 */
async function policyAuthorizer(paths: string[], operator: string, io: Io): Promise<ElevationAuthorizer> {
  const policy = await loadPolicyFiles(paths);
  const governor = new Governor({
    policy,
    agent: { id: operator },
    approvalHandler: async (ask) => {
      if (process.stdin.isTTY !== true) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${ask.decision.reason} (approvers: ${ask.approvers.join(", ")})\nApprove elevating ${String(ask.request.args.agent)} to ring ${String(ask.request.args.to)}? Type yes to approve: `);
        return answer.trim() === 'yes';
      } finally {
        rl.close();
      }
    },
  });
  return async (request) => {
    const verdict = await governor.check(request);
    if (!verdict.allowed) io.err(`warden ring elevate: the policy answered ${verdict.effect}: ${verdict.reason}\n`);
    return verdict;
  };
}

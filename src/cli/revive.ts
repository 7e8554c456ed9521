/**
 * `warden revive <target>`: lifts a kill, with the approval of someone else. The approver runs
 * `warden revive <target> --approve --key lead --reason ... > approval.json`; the operator then
 * runs `warden revive <target> --approval approval.json --key ops --reason ...`.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KillSwitch, parseKillTarget } from '../runtime/kill.js';
import type { SignedDocument } from '../runtime/signed.js';
import { ioOf, readJsonFile, runCommand, usage } from './identity-io.js';
import { loadKey, openRuntime, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden revive`.
 *
 * @example
 * ```ts
 * registerReviveCommand(program); // warden revive agent:bot --approval approval.json --key ops --reason "fixed"
 * ```
 */
export function registerReviveCommand(program: Command): void {
  runtimeFlags(
    program
      .command('revive')
      .description('lift a kill; needs an approval signed by another approver (make one with --approve)')
      .argument('<target>', 'all, agent:<id>, session:<id>, or an agent id')
      .requiredOption('--reason <text>', 'why (recorded)')
      .option('--key <name>', 'the identity that signs (warden id new)')
      .option('--key-dir <dir>', 'the key store directory')
      .option('--approve', 'sign an approval for this revival (as an approver) instead of reviving')
      .option('--out <file>', 'with --approve: write the approval here instead of standard output')
      .option('--approval <file>', 'the approval another approver signed'),
  ).action(async (target: string, opts: RuntimeFlags & { reason: string; key?: string; keyDir?: string; approve?: boolean; out?: string; approval?: string }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'revive', async () => {
      const key = await loadKey(opts.key, opts.keyDir);
      const t = parseKillTarget(target);
      if (opts.approve === true) {
        const approval = `${JSON.stringify(KillSwitch.approveRevival(key, t, opts.reason))}\n`;
        if (opts.out === undefined) io.out(approval);
        else writeFileSync(opts.out, approval, { mode: 0o600 });
        return 0;
      }
      if (opts.approval === undefined) throw usage('A revival needs --approval <file>, signed by another approver with warden revive <target> --approve --key <theirs>.');
      const approval = (await readJsonFile(opts.approval)) as SignedDocument;
      const { runtime, store } = await openRuntime(opts, key.did);
      try {
        const state = await runtime.kill.revive(t, { reason: opts.reason, key, approval });
        io.out(`revived ${target} (epoch ${state.epoch}, approved by ${state.revived?.approvedBy}); ${state.entries.length} active kill(s)\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
}

/**
 * `warden chaos run|stop|status`: chaos experiments for every process sharing the state store.
 * `run` decides the experiment under the policy (tool `warden.chaos.start`), signs it and adds it
 * to the store with its expiry; `stop` removes it, and it ends in every process at its next call.
 */
import type { Command } from 'commander';
import { Governor } from '../enforce/governor.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { loadSreFiles } from '../sre/documents.js';
import { readSharedExperiments, specOf, startSharedExperiment, stopSharedExperiments, type ChaosAuthorizer } from '../sre/shared-chaos.js';
import { ioOf, runCommand, usage } from './identity-io.js';
import { loadKey, openConfiguredStore, readRuntimeConfig, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden chaos` and its subcommands.
 *
 * @example
 * ```ts
 * registerChaosCommand(program); // warden chaos run chaos.yaml --policy policy.yaml --key ops --reason "game day"
 * ```
 */
export function registerChaosCommand(program: Command): void {
  const chaos = program.command('chaos').description('chaos experiments shared by every process on the state store: run (decided by the policy, signed, expiring), stop, status');
  runtimeFlags(
    chaos
      .command('run')
      .description('start a kind: ChaosExperiment from a file in every process on the store, if the policy allows tool warden.chaos.start')
      .argument('<file>', 'a YAML file with kind: ChaosExperiment documents')
      .requiredOption('--policy <paths...>', 'decide the start under these policy files, as tool warden.chaos.start with args { name, tools, agents, fault, fraction, durationMs, maxCalls }')
      .requiredOption('--reason <text>', 'why (recorded)')
      .option('--name <experiment>', 'which experiment of the file (needed when it declares several)')
      .option('--key <name>', 'the identity that signs the experiment (one of the runtime signers)')
      .option('--key-dir <dir>', 'the key store directory')
      .option('--json', 'print the started experiment as JSON'),
  ).action(async (file: string, opts: RuntimeFlags & { policy: string[]; reason: string; name?: string; key?: string; keyDir?: string; json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'chaos run', async () => {
      const key = await loadKey(opts.key, opts.keyDir);
      const { experiments } = await loadSreFiles([file]);
      const chosen = opts.name === undefined ? experiments : experiments.filter((e) => e.name === opts.name);
      if (chosen.length !== 1) throw usage(opts.name === undefined ? `${file} declares ${experiments.length} chaos experiments (${experiments.map((e) => e.name).join(', ') || 'none'}); name one with --name.` : `${file} declares no chaos experiment named ${JSON.stringify(opts.name)}.`);
      const config = await readRuntimeConfig(opts);
      const signers = config.signers ?? [key.did];
      const authorize = await policyAuthorizer(opts.policy, key.did);
      const store = await openConfiguredStore(opts, config);
      try {
        const started = await startSharedExperiment(store, specOf(chosen[0] as (typeof chosen)[number]), { key, signers, reason: opts.reason, authorize });
        io.out(opts.json === true ? `${JSON.stringify(started)}\n` : `started chaos experiment ${started.spec.name} (${started.id}) on ${store.location} until ${new Date(started.endsAt).toISOString()}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
  runtimeFlags(
    chaos
      .command('stop')
      .description('stop a running experiment (or all) in every process on the store; needs no permission')
      .argument('[name]', 'the experiment; all when absent')
      .requiredOption('--reason <text>', 'why (recorded)')
      .option('--by <who>', 'who stops it (recorded)', 'cli'),
  ).action(async (name: string | undefined, opts: RuntimeFlags & { reason: string; by: string }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'chaos stop', async () => {
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        const stopped = await stopSharedExperiments(store, { ...(name === undefined ? {} : { name }), reason: opts.reason, by: opts.by });
        if (stopped.length === 0) {
          io.out(name === undefined ? `no chaos experiment was running on ${store.location}\n` : `chaos experiment ${name} was not running on ${store.location}\n`);
          return name === undefined ? 0 : 1;
        }
        io.out(`stopped ${stopped.join(', ')} on ${store.location}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
  runtimeFlags(chaos.command('status').description('the experiments running on the store whose signatures verify').option('--json', 'print JSON')).action(async (opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'chaos status', async () => {
      const config = await readRuntimeConfig(opts);
      if (config.signers === undefined) throw usage('No runtime signers: list the DIDs that sign experiments in the runtime config ("signers": [...]).');
      const store = await openConfiguredStore(opts, config);
      try {
        const { experiments } = await readSharedExperiments(store, new Set(config.signers), store.now());
        const list = experiments.map((e) => e.experiment);
        if (opts.json === true) io.out(`${JSON.stringify(list)}\n`);
        else if (list.length === 0) io.out(`no chaos experiment is running on ${store.location}\n`);
        else for (const e of list) io.out(`${e.spec.name} (${e.id}) until ${new Date(e.endsAt).toISOString()}, started by ${e.by}: ${e.reason}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
}

/** Decides starts under policy files, as the operator (the signing key's DID). Only an allow starts one; a require_approval is refused here. */
async function policyAuthorizer(paths: string[], operator: string): Promise<ChaosAuthorizer> {
  const policy = await loadPolicyFiles(paths);
  const governor = new Governor({ policy, agent: { id: operator } });
  return async (request) => {
    const verdict = await governor.check(request);
    if (verdict.effect === 'require_approval') return { allowed: false, reason: `the policy asks for approval (${verdict.reason}), and warden chaos run takes no approvals: allow it for this operator instead` };
    return verdict;
  };
}

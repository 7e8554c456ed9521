/** `warden kill <agent|session:id|all>`: writes a signed kill to the store; every process denies from then on. */
import type { Command } from 'commander';
import { parseKillTarget, type KillTarget } from '../runtime/kill.js';
import { defineExperiment, type ExperimentSpec } from '../sre/chaos.js';
import { experimentsKilled, stopSharedExperiments } from '../sre/shared-chaos.js';
import { ioOf, runCommand } from './identity-io.js';
import { loadKey, openRuntime, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden kill`.
 *
 * @example
 * ```ts
 * registerKillCommand(program); // warden kill agent:bot --reason "runaway loop" --key ops
 * ```
 */
export function registerKillCommand(program: Command): void {
  runtimeFlags(
    program
      .command('kill')
      .description('kill an agent, a session or all: the next decision in every process is a deny, and in-flight calls are aborted')
      .argument('<target>', 'all, agent:<id>, session:<id>, or an agent id')
      .requiredOption('--reason <text>', 'why (shown in every denial)')
      .option('--key <name>', 'the identity that signs the kill state (warden id new)')
      .option('--key-dir <dir>', 'the key store directory')
      .option('--json', 'print the new kill state as JSON'),
  ).action(async (target: string, opts: RuntimeFlags & { reason: string; key?: string; keyDir?: string; json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'kill', async () => {
      const key = await loadKey(opts.key, opts.keyDir);
      const { runtime, store } = await openRuntime(opts, key.did);
      try {
        const parsed = parseKillTarget(target);
        const state = await runtime.kill.kill(parsed, { reason: opts.reason, key });
        // A kill also ends the chaos experiments it covers, on the store (processes that hold one end it on their next call too).
        const ended = await stopSharedExperiments(store, { reason: `ended by the kill of ${target}: ${opts.reason}`, by: key.did, where: (e) => coveredBy(e.spec, parsed) });
        io.out(opts.json === true ? `${JSON.stringify(state)}\n` : `killed ${target} (epoch ${state.epoch}); ${state.entries.length} active kill(s) in ${store.location}${ended.length === 0 ? '' : `; chaos experiments ended: ${ended.join(', ')}`}\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
}

/** Whether a kill covers an experiment (one whose spec cannot be read is ended: it is no longer trusted). */
function coveredBy(spec: ExperimentSpec, target: KillTarget): boolean {
  try {
    return experimentsKilled(defineExperiment(spec), [target]);
  } catch {
    return true;
  }
}

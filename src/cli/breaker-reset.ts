/** `warden breaker reset <name>`: an operator closes a breaker in every process sharing the store, signed and recorded. */
import type { Command } from 'commander';
import { resetSharedBreaker } from '../sre/shared-breaker.js';
import { ioOf, runCommand } from './identity-io.js';
import { loadKey, openConfiguredStore, readRuntimeConfig, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden breaker reset` to the `breaker` command.
 *
 * @example
 * ```ts
 * addBreakerReset(breaker); // warden breaker reset search --reason "upstream fixed" --key ops
 * ```
 */
export function addBreakerReset(breaker: Command): void {
  runtimeFlags(
    breaker
      .command('reset')
      .description('close a circuit breaker in every process on the state store (every tool it tracks, or one); the reset is signed and appended to the store\'s reset log')
      .argument('<name>', 'the breaker (kind: CircuitBreaker name)')
      .requiredOption('--reason <text>', 'why (recorded)')
      .option('--tool <tool>', 'only the instance of this tool (a per-tool breaker)')
      .option('--key <name>', 'the identity that signs the reset (one of the runtime signers)')
      .option('--key-dir <dir>', 'the key store directory')
      .option('--json', 'print the instances reset as JSON'),
  ).action(async (name: string, opts: RuntimeFlags & { reason: string; tool?: string; key?: string; keyDir?: string; json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'breaker reset', async () => {
      const key = await loadKey(opts.key, opts.keyDir);
      const config = await readRuntimeConfig(opts);
      const store = await openConfiguredStore(opts, config);
      try {
        const reset = await resetSharedBreaker(store, { name, ...(opts.tool === undefined ? {} : { tool: opts.tool }), reason: opts.reason, key, signers: config.signers ?? [key.did] });
        if (opts.json === true) io.out(`${JSON.stringify({ name, reset })}\n`);
        else io.out(reset.length === 0 ? `breaker ${name} was closed in ${store.location}; the reset is recorded\n` : `breaker ${name} reset (${reset.join(', ')}) in ${store.location}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
}

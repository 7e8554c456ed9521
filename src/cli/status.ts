/** `warden status`: the kill state in the store, verified. */
import type { Command } from 'commander';
import { ioOf, runCommand } from './identity-io.js';
import { openRuntime, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden status`.
 *
 * @example
 * ```ts
 * registerStatusCommand(program); // warden status --store sqlite:.warden/state.db
 * ```
 */
export function registerStatusCommand(program: Command): void {
  runtimeFlags(program.command('status').description('the kill state in the store: epoch, active kills, whether it verifies').option('--json', 'print JSON')).action(async (opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'status', async () => {
      const { runtime, store } = await openRuntime(opts);
      try {
        const reading = await runtime.kill.read();
        if (opts.json === true) {
          io.out(`${JSON.stringify({ store: store.location, ...reading })}\n`);
        } else if (!reading.ok) {
          io.out(`${store.location}: the kill state does NOT verify (${reading.error}); every decision is denied.\n`);
        } else if (reading.state === null) {
          io.out(`${store.location}: no kill state; nothing is killed.\n`);
        } else {
          io.out(`${store.location}: kill state epoch ${reading.state.epoch}, ${reading.state.entries.length} active kill(s)\n`);
          for (const e of reading.state.entries) io.out(`  ${e.scope}${e.id === '' ? '' : ` ${e.id}`}: ${e.reason} (epoch ${e.epoch}, ${new Date(e.at).toISOString()}, by ${e.by})\n`);
        }
        return reading.ok ? 0 : 1;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
}

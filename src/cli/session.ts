/** `warden session show <id>`: a session's flow labels, calls per tool and history, from the state store. */
import type { Command } from 'commander';
import { loadSession } from '../runtime/session.js';
import { ioOf, runCommand } from './identity-io.js';
import { openConfiguredStore, readRuntimeConfig, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden session show`.
 *
 * @example
 * ```ts
 * registerSessionCommand(program); // warden session show claude-session-1 --store sqlite:.warden/state.db
 * ```
 */
export function registerSessionCommand(program: Command): void {
  const session = program.command('session').description('session state: flow labels, calls per tool, history');
  runtimeFlags(session.command('show').argument('<id>', 'the session id (context.session)').description("a session's labels, calls and history").option('--json', 'print JSON')).action(async (id: string, opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'session show', async () => {
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        const { view, version } = await loadSession(store, id);
        if (opts.json === true) {
          io.out(`${JSON.stringify({ ...view, stored: version !== null })}\n`);
          return 0;
        }
        if (version === null) {
          io.out(`session ${id}: nothing stored (no call yet, or it expired)\n`);
          return 0;
        }
        io.out(`session ${id}\n  labels: ${view.labels.length === 0 ? '(none)' : view.labels.join(', ')}\n  calls: ${Object.entries(view.calls).map(([t, n]) => `${t} ${n}`).join(', ') || '(none)'}\n`);
        for (const h of view.history) io.out(`  ${h.at} ${h.tool}${h.labels.length > 0 ? ` +${h.labels.join(' +')}` : ''}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
}

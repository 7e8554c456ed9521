/** `warden trust show|explain|event`: an agent's trust score, how its events made it, and recording one. */
import type { Command } from 'commander';
import { TRUST_EVENT_KINDS, type TrustEventKind } from '../trust/events.js';
import { ioOf, runCommand, usage } from './identity-io.js';
import { openRuntime, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden trust` and its subcommands.
 *
 * @example
 * ```ts
 * registerTrustCommand(program); // warden trust show bot --store sqlite:.warden/state.db
 * ```
 */
export function registerTrustCommand(program: Command): void {
  const trust = program.command('trust').description('trust scores 0-1000: show, explain, record an event');
  runtimeFlags(trust.command('show').description("an agent's score, tier and ring").argument('<agent>', 'the agent id').option('--json', 'print JSON')).action(async (agent: string, opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'trust show', async () => {
      const { runtime, store } = await openRuntime(opts, 'did:key:none');
      try {
        const reading = await runtime.trust?.read(agent);
        const facts = await runtime.enrich({ id: agent });
        const out = { agent, score: facts.trust, tier: facts.tier, ring: facts.ring, events: reading?.events ?? 0 };
        io.out(opts.json === true ? `${JSON.stringify(out)}\n` : `${agent}: trust ${out.score} (${out.tier}), ring ${out.ring}, ${out.events} events\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
  runtimeFlags(trust.command('explain').description('every event of an agent and how it moved the score').argument('<agent>', 'the agent id').option('--json', 'print JSON')).action(async (agent: string, opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'trust explain', async () => {
      const { runtime, store } = await openRuntime(opts, 'did:key:none');
      try {
        const e = await runtime.trust?.explain(agent);
        if (e === undefined) throw usage('Trust scoring is off in this runtime config.');
        if (opts.json === true) {
          io.out(`${JSON.stringify(e)}\n`);
          return 0;
        }
        io.out(`${agent}: ${e.score} (${e.tier}) from ${e.steps.length} events\n`);
        for (const s of e.steps) {
          const what = s.event === null ? 'unreadable entry (counted as a violation)' : `${s.event.kind}${s.event.value === undefined ? '' : ` ${s.event.value}`} at ${new Date(s.event.ts).toISOString()}${s.event.reason === undefined ? '' : ` - ${s.event.reason}`}`;
          io.out(`  #${s.seq} ${what}: ${s.before.toFixed(1)} -> decayed ${s.decayed.toFixed(1)} -> ${s.after.toFixed(1)}\n`);
        }
        io.out(`  now: ${e.decayedToNow.toFixed(1)} -> ${e.score}\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
  runtimeFlags(
    trust
      .command('event')
      .description('record a trust event for an agent')
      .argument('<agent>', 'the agent id')
      .argument('<kind>', TRUST_EVENT_KINDS.join(' | '))
      .option('--value <n>', 'for baseline: the score to set (0-1000)')
      .option('--reason <text>', 'why (shown by explain)')
      .option('--by <who>', 'who reports it'),
  ).action(async (agent: string, kind: string, opts: RuntimeFlags & { value?: string; reason?: string; by?: string }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'trust event', async () => {
      if (!(TRUST_EVENT_KINDS as readonly string[]).includes(kind)) throw usage(`Unknown event kind ${JSON.stringify(kind)}; use one of ${TRUST_EVENT_KINDS.join(', ')}.`);
      if ((kind === 'baseline') !== (opts.value !== undefined)) throw usage('--value goes with baseline, and baseline needs --value.');
      const value = opts.value === undefined ? undefined : Number(opts.value);
      const { runtime, store } = await openRuntime(opts, 'did:key:none');
      try {
        const event = { kind: kind as TrustEventKind, ...(value === undefined ? {} : { value }), ...(opts.reason === undefined ? {} : { reason: opts.reason }), ...(opts.by === undefined ? {} : { by: opts.by }) };
        const seq = await runtime.trust?.record(agent, event);
        const reading = await runtime.trust?.read(agent);
        io.out(`recorded #${seq} ${kind} for ${agent}; trust now ${reading?.score} (${reading?.tier})\n`);
        return 0;
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
}

/** `warden saga list|show|compensate`: sagas and their journals in the state store. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { Pipeline } from '../enforce/pipeline.js';
import { compensateSaga, listSagaIds, type SagaTool } from '../runtime/saga.js';
import { readSagaJournal, verifySagaJournal } from '../runtime/saga-journal.js';
import { ioOf, runCommand, usage } from './identity-io.js';
import { openConfiguredStore, readRuntimeConfig, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

/**
 * Adds `warden saga list`, `warden saga show <id>` and `warden saga compensate <id>`.
 *
 * @example
 * ```ts
 * registerSagaCommand(program); // warden saga show order-42
 * ```
 */
export function registerSagaCommand(program: Command): void {
  const saga = program.command('saga').description('sagas: their journals, and compensating one');
  runtimeFlags(saga.command('list').description('every saga in the store and where it stands').option('--json', 'print JSON')).action(async (opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'saga list', async () => {
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        let bad = 0;
        const rows = [];
        for (const id of await listSagaIds(store)) {
          const entries = await readSagaJournal(store, id);
          const v = entries.length === 0 ? null : verifySagaJournal(id, entries);
          const status = v === null ? 'not begun' : 'error' in v ? `DOES NOT VERIFY: ${v.error}` : v.status;
          if (v !== null && 'error' in v) bad++;
          rows.push({ id, status, entries: entries.length });
        }
        if (opts.json === true) io.out(`${JSON.stringify(rows)}\n`);
        else for (const r of rows) io.out(`${r.id}: ${r.status} (${r.entries} entries)\n`);
        return bad > 0 ? 1 : 0;
      } finally {
        await store.close();
      }
    });
  });
  runtimeFlags(saga.command('show').argument('<id>', 'the saga id').description("a saga's journal, verified").option('--json', 'print JSON')).action(async (id: string, opts: RuntimeFlags & { json?: boolean }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'saga show', async () => {
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        const entries = await readSagaJournal(store, id);
        const v = verifySagaJournal(id, entries);
        if (opts.json === true) {
          io.out(`${JSON.stringify({ id, verified: !('error' in v), ...('error' in v ? { error: v.error } : { state: v }), entries })}\n`);
        } else {
          io.out('error' in v ? `saga ${id}: the journal does NOT verify: ${v.error}\n` : `saga ${id}: ${v.status}; steps started ${JSON.stringify(v.started)}, done ${JSON.stringify(v.done)}, compensated ${JSON.stringify(v.compensated)}\n`);
          for (const e of entries) io.out(`  ${e.seq} ${JSON.stringify(e.data)}\n`);
        }
        return 'error' in v ? 1 : 0;
      } finally {
        await store.close();
      }
    });
  });
  runtimeFlags(
    saga
      .command('compensate')
      .argument('<id>', 'the saga id')
      .description('compensate every step of a saga that started and is not compensated, in reverse order, each decided under the policy')
      .requiredOption('--policy <files...>', 'the policy that decides each compensation')
      .requiredOption('--tools <module>', 'an ES module exporting `tools`: the saga tools by name'),
  ).action(async (id: string, opts: RuntimeFlags & { policy: string[]; tools: string }, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'saga compensate', async () => {
      const mod = (await import(pathToFileURL(resolve(opts.tools)).href)) as { tools?: Record<string, SagaTool> };
      if (mod.tools === null || typeof mod.tools !== 'object') throw usage(`${opts.tools} does not export tools: { name: (args, context) => ... }.`);
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        const pipeline = new Pipeline({ policy: await loadPolicyFiles(opts.policy), agent: { id: 'warden-saga-cli' }, state: { store } });
        const r = await compensateSaga(id, { store, pipeline, tools: mod.tools });
        io.out(`saga ${id}: ${r.status}${r.pendingCompensations.length > 0 ? `; compensations still pending for steps ${JSON.stringify(r.pendingCompensations)}` : ''}\n`);
        return r.status === 'compensated' ? 0 : 1;
      } finally {
        await store.close();
      }
    });
  });
}

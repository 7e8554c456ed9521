/**
 * `warden approvals list|approve|deny`: the approval queue (what `warden serve` parks for
 * `require_approval`) from a terminal, against the same store (a SQLite file or PostgreSQL).
 * Whoever can run this against the store can answer as any name: `--as` is recorded, not verified;
 * keep the store's credentials to the people who may approve (the dashboard authenticates).
 */
import type { Command } from 'commander';
import { openApprovalQueue, type ApprovalItem } from '../server/approval-queue.js';
import { ioOf, runCommand, usage, type Io } from './identity-io.js';
import { openConfiguredStore, readRuntimeConfig, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

interface AnswerFlags extends RuntimeFlags {
  as?: string;
  role?: string[];
  note?: string;
  digest?: string;
  admin?: string[];
  json?: boolean;
}

/**
 * Adds `warden approvals` with `list`, `approve <id>` and `deny <id>`.
 *
 * @example
 * ```ts
 * registerApprovalsCommand(program); // warden approvals approve Xy3... --as alice --store sqlite:.warden/state.db
 * ```
 */
export function registerApprovalsCommand(program: Command): void {
  const approvals = program.command('approvals').description('the approval queue: list parked calls, approve or deny one (recording who)');
  runtimeFlags(approvals.command('list').description('pending approvals, oldest first, with their exact arguments').option('--limit <n>', 'at most this many (1-1000)', '100').option('--json', 'print JSON lines')).action(
    async (opts: RuntimeFlags & { limit: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'approvals list', async () => {
        const limit = Number(opts.limit);
        if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw usage(`--limit must be a whole number from 1 to 1000; got ${JSON.stringify(opts.limit)}.`);
        const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
        const queue = await openApprovalQueue({ store });
        try {
          const items = await queue.list({ limit });
          if (opts.json === true) for (const item of items) io.out(`${JSON.stringify(item)}\n`);
          else if (items.length === 0) io.out(`${store.location}: no pending approvals\n`);
          else for (const item of items) printItem(io, item);
          return 0;
        } finally {
          await queue.close();
          await store.close();
        }
      });
    },
  );
  for (const decision of ['approve', 'deny'] as const) {
    runtimeFlags(
      approvals
        .command(decision)
        .description(`${decision} one parked call; who answers is recorded in the call's audit record`)
        .argument('<id>', 'the approval id (warden approvals list)')
        .requiredOption('--as <name>', 'who answers (must be one of the approvers its rule names, or hold an admin role)')
        .option('--role <role...>', "the answerer's roles (a role named as an approver also qualifies)")
        .option('--admin <role...>', 'roles that may answer anything (as warden serve is configured)')
        .option('--note <text>', 'why (recorded)')
        .option('--digest <sha256>', 'the request digest you checked: refused when the parked call is for another')
        .option('--json', 'print the answered item as JSON'),
    ).action(async (id: string, opts: AnswerFlags, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, `approvals ${decision}`, async () => {
        const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
        const queue = await openApprovalQueue({ store, ...(opts.admin === undefined ? {} : { adminRoles: opts.admin }) });
        try {
          const item = await queue.answer(id, decision, {
            by: opts.as as string,
            ...(opts.role === undefined ? {} : { roles: opts.role }),
            ...(opts.note === undefined ? {} : { note: opts.note }),
            ...(opts.digest === undefined ? {} : { requestDigest: opts.digest }),
          });
          io.out(opts.json === true ? `${JSON.stringify(item)}\n` : `${item.status} ${item.id} (${item.tool}, ${item.requestDigest}) as ${item.answer?.by ?? ''}\n`);
          return 0;
        } finally {
          await queue.close();
          await store.close();
        }
      });
    });
  }
}

function printItem(io: Io, item: ApprovalItem): void {
  io.out(`${item.id}  ${item.tool}  caller ${item.caller ?? '(none)'}  rule ${item.rule ?? '(none)'}  expires ${new Date(item.expiresAt).toISOString()}\n`);
  io.out(`  approvers: ${item.approvers.join(', ')}\n`);
  io.out(`  digest:    ${item.requestDigest}\n`);
  // JSON text: newlines and control characters in arguments are escaped, so a value cannot forge lines of this listing.
  io.out(`  args:      ${JSON.stringify(item.args)}\n`);
  if (item.context !== null) io.out(`  context:   ${JSON.stringify(item.context)}\n`);
}

/** `warden id rotate [name]`: replaces a key, signing a rotation statement with the old key. */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createIdentity } from '../identity/agent-key.js';
import { FileKeyStore } from '../identity/key-store.js';
import { rotateKey } from '../identity/rotation.js';
import { REVOCATIONS_FILE, revokeInList } from './id-revoke.js';
import { DEFAULT_IDENTITY_DIR, ioOf, runCommand, usage } from './identity-io.js';

/**
 * Adds `warden id rotate [name] [--reason <text>] [--revoke-by <keeper>] [--dir <dir>] [--json]`.
 *
 * @example
 * ```ts
 * registerIdRotate(program.command('id'));
 * ```
 */
export function registerIdRotate(id: Command): void {
  id.command('rotate')
    .description('replace a key: the old key signs a statement naming the new one (countersigned by it); the old key is kept, retired')
    .argument('[name]', 'the key\'s name in the store', 'default')
    .option('--reason <text>', 'why (recorded in the statement)')
    .option('--revoke-by <keeper>', `also revoke the old DID in the revocation list kept by this identity (<dir>/${REVOCATIONS_FILE})`)
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { reason?: string; revokeBy?: string; dir: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'id rotate', async () => {
        if (opts.revokeBy === name) throw usage('--revoke-by names the key being rotated; the revocation list must be kept by another identity.');
        const store = new FileKeyStore(opts.dir);
        const previous = await store.load(name);
        const keeper = opts.revokeBy === undefined ? undefined : await store.load(opts.revokeBy);
        const next = createIdentity();
        const now = new Date();
        const statement = rotateKey(previous, next, { now, ...(opts.reason === undefined ? {} : { reason: opts.reason }) });
        const stamp = now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15);
        const retired = `${name}.retired-${stamp}`;
        const statementFile = join(opts.dir, `${name}.rotation-${stamp}.json`);
        await writeFile(statementFile, `${JSON.stringify(statement, null, 2)}\n`, { mode: 0o644 });
        await store.rename(name, retired);
        await store.save(name, next);
        const list = keeper === undefined ? null : await revokeInList(join(opts.dir, REVOCATIONS_FILE), keeper, previous.did, opts.reason ?? `rotated to ${next.did}`, now);
        if (opts.json === true) io.out(`${JSON.stringify({ name, previous: previous.did, next: next.did, statement: statementFile, retired, revoked: list !== null })}\n`);
        else {
          io.out(`Rotated ${name}\n  previous  ${previous.did}  (kept as ${retired})\n  next      ${next.did}\n  statement ${statementFile}  (signed by both keys; check it with verifyRotation())\n`);
          io.out(list === null ? `\nThe old DID is not revoked; revoke it with \`warden id revoke ${previous.did} --by <keeper>\` once nothing needs it.\n` : `  revoked   ${previous.did} in ${join(opts.dir, REVOCATIONS_FILE)} (version ${list.sequence})\n`);
        }
        return 0;
      });
    });
}

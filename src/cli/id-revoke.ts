/** `warden id revoke <id>`: adds a DID or a UCAN CID to the signed revocation list. */
import type { Command } from 'commander';
import { lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentKey } from '../identity/agent-key.js';
import { FileKeyStore } from '../identity/key-store.js';
import { addRevocation, createRevocationList, verifyRevocationList, type RevocationList } from '../identity/rotation.js';
import { DEFAULT_IDENTITY_DIR, ioOf, readJsonFile, runCommand, usage } from './identity-io.js';

/** The revocation list's file in a key store directory. */
export const REVOCATIONS_FILE = 'revocations.json';

/**
 * Adds `id` to the revocation list at `file`, kept (signed) by `keeper`; creates the list when
 * there is none. Returns the new list.
 */
export async function revokeInList(file: string, keeper: AgentKey, id: string, reason: string | undefined, now: Date): Promise<RevocationList> {
  const entry = reason === undefined ? { id, at: now.toISOString() } : { id, at: now.toISOString(), reason };
  let list: RevocationList;
  const exists = await lstat(file).then(
    () => true,
    () => false,
  );
  if (!exists) list = createRevocationList(keeper, [entry], { now });
  else {
    const existing = await readJsonFile(file);
    verifyRevocationList(existing, { issuer: keeper.did });
    list = addRevocation(existing as RevocationList, keeper, entry, now);
  }
  await writeFile(file, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o644 });
  return list;
}

/**
 * Adds `warden id revoke <id> [--by <name>] [--reason <text>] [--dir <dir>] [--list <file>] [--json]`.
 *
 * @example
 * ```ts
 * registerIdRevoke(program.command('id'));
 * ```
 */
export function registerIdRevoke(id: Command): void {
  id.command('revoke')
    .description('revoke a DID or a UCAN delegation (by CID) in the signed revocation list verifiers check')
    .argument('<id>', 'the DID or CID to revoke')
    .option('--by <name>', 'the identity that keeps (signs) the list', 'default')
    .option('--reason <text>', 'why')
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--list <file>', `the revocation list (default <dir>/${REVOCATIONS_FILE})`)
    .option('--json', 'print the result as JSON')
    .action(async (target: string, opts: { by: string; reason?: string; dir: string; list?: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'id revoke', async () => {
        if (!/^(did:[a-z0-9]+:\S+|b[a-z2-7]{20,}|z[1-9A-HJ-NP-Za-km-z]{20,})$/.test(target)) throw usage(`${JSON.stringify(target)} is neither a DID nor a CID.`);
        const keeper = await new FileKeyStore(opts.dir).load(opts.by);
        const file = opts.list ?? join(opts.dir, REVOCATIONS_FILE);
        const list = await revokeInList(file, keeper, target, opts.reason, new Date());
        if (opts.json === true) io.out(`${JSON.stringify({ revoked: target, list: file, issuer: list.issuer, sequence: list.sequence })}\n`);
        else io.out(`Revoked ${target}\n  list      ${file} (version ${list.sequence}, signed by ${list.issuer})\n\nVerifiers load it with verifyRevocationList(list, { issuer: '${list.issuer}' }).\n`);
        return 0;
      });
    });
}

/** `warden id new [name]`: creates an Ed25519 identity (a did:key) in the key store. */
import type { Command } from 'commander';
import { createIdentity } from '../identity/agent-key.js';
import { FileKeyStore } from '../identity/key-store.js';
import { DEFAULT_IDENTITY_DIR, ioOf, runCommand } from './identity-io.js';

/**
 * Adds `warden id new [name] [--dir <dir>] [--json]` to the `id` command.
 *
 * @example
 * ```ts
 * registerIdNew(program.command('id'));
 * ```
 */
export function registerIdNew(id: Command): void {
  id.command('new')
    .description('create an Ed25519 identity (did:key) and keep its key in a 0600 file')
    .argument('[name]', 'the key\'s name in the store', 'default')
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { dir: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'id new', async () => {
        const store = new FileKeyStore(opts.dir);
        const key = createIdentity();
        await store.save(name, key);
        const path = store.pathOf(name);
        if (opts.json === true) io.out(`${JSON.stringify({ name, did: key.did, keyId: key.keyId, file: path })}\n`);
        else io.out(`Created ${name}: ${key.did}\n  key file  ${path}  (mode 0600; keep it out of version control)\n\nShow it with \`warden id show ${name}\`; rotate it with \`warden id rotate ${name}\`.\n`);
        return 0;
      });
    });
}

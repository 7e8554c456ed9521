/** `warden id show [name]`: prints an identity's DID, key id, public JWK and (optionally) DID document. */
import type { Command } from 'commander';
import { toBase64url } from '../identity/bytes.js';
import { didKeyDocument } from '../identity/did-key.js';
import { FileKeyStore } from '../identity/key-store.js';
import { DEFAULT_IDENTITY_DIR, ioOf, runCommand } from './identity-io.js';

/**
 * Adds `warden id show [name] [--dir <dir>] [--document] [--json]` to the `id` command.
 *
 * @example
 * ```ts
 * registerIdShow(program.command('id'));
 * ```
 */
export function registerIdShow(id: Command): void {
  id.command('show')
    .description('print an identity\'s DID, key id and public key (never the private key)')
    .argument('[name]', 'the key\'s name in the store', 'default')
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--document', 'also print the DID document')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { dir: string; document?: boolean; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'id show', async () => {
        const key = await new FileKeyStore(opts.dir).load(name);
        const publicKeyJwk = { kty: 'OKP', crv: 'Ed25519', x: toBase64url(key.publicKey) };
        const result: Record<string, unknown> = { name, did: key.did, keyId: key.keyId, publicKeyJwk };
        if (opts.document === true) result.document = didKeyDocument(key.did);
        if (opts.json === true) io.out(`${JSON.stringify(result)}\n`);
        else {
          io.out(`${name}\n  did         ${key.did}\n  key id      ${key.keyId}\n  public JWK  ${JSON.stringify(publicKeyJwk)}\n`);
          if (opts.document === true) io.out(`${JSON.stringify(result.document, null, 2)}\n`);
        }
        return 0;
      });
    });
}

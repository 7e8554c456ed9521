/** `warden id new|show|rotate|revoke`: agent identities (did:key) and their keys. */
import type { Command } from 'commander';
import { registerIdNew } from './id-new.js';
import { registerIdRevoke } from './id-revoke.js';
import { registerIdRotate } from './id-rotate.js';
import { registerIdShow } from './id-show.js';

/**
 * Adds `warden id` and its subcommands to a commander program.
 *
 * @example
 * ```ts
 * const program = new Command('warden');
 * registerIdCommand(program);
 * await program.parseAsync(['node', 'warden', 'id', 'new', 'bot']);
 * ```
 */
export function registerIdCommand(program: Command): void {
  const id = program.command('id').description('agent identities: Ed25519 keys named by did:key, rotation and revocation');
  registerIdNew(id);
  registerIdShow(id);
  registerIdRotate(id);
  registerIdRevoke(id);
}

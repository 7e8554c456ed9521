/** `warden token verify`: agent tokens. */
import type { Command } from 'commander';
import { registerTokenVerify } from './token-verify.js';

/**
 * Adds `warden token` and its subcommands to a commander program.
 *
 * @example
 * ```ts
 * registerTokenCommand(new Command('warden'));
 * ```
 */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('agent tokens (JWT, Entra ID, DPoP)');
  registerTokenVerify(token);
}

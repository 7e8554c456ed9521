/** `warden ucan delegate|invoke|verify`: UCAN 1.0 delegation. */
import type { Command } from 'commander';
import { registerUcanDelegate } from './ucan-delegate.js';
import { registerUcanInvoke } from './ucan-invoke.js';
import { registerUcanVerify } from './ucan-verify.js';

/**
 * Adds `warden ucan` and its subcommands to a commander program.
 *
 * @example
 * ```ts
 * registerUcanCommand(new Command('warden'));
 * ```
 */
export function registerUcanCommand(program: Command): void {
  const ucan = program.command('ucan').description('UCAN 1.0 delegation: delegate, invoke, verify');
  registerUcanDelegate(ucan);
  registerUcanInvoke(ucan);
  registerUcanVerify(ucan);
}

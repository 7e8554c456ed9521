/**
 * `warden keygen`: writes the Ed25519 key pair that signs audit checkpoints.
 */
import type { Command, OutputConfiguration } from 'commander';
import { join } from 'node:path';
import { messageOf } from '../audit/io.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, writeKeyPair } from '../audit/keys.js';
import { WardenError } from '../errors.js';

/** Where keys go unless `--out` says otherwise (git-ignored by Warden's own checkout). */
const DEFAULT_KEY_DIR = join('.warden', 'keys');

/**
 * Adds `warden keygen [--out <dir>] [--force]` to a commander program: writes
 * `warden-audit.key` (mode 0600) and `warden-audit.pub`, and prints what to do next. Exit 0 on
 * success, 1 when a key file exists (without `--force`) or cannot be written.
 *
 * @example
 * ```ts
 * const program = new Command('warden');
 * registerKeygenCommand(program);
 * await program.parseAsync(['node', 'warden', 'keygen', '--out', '.warden/keys']);
 * ```
 */
export function registerKeygenCommand(program: Command): void {
  program
    .command('keygen')
    .description('create the Ed25519 key pair that signs audit checkpoints')
    .option('--out <dir>', `directory to write ${PRIVATE_KEY_FILE} and ${PUBLIC_KEY_FILE} into`, DEFAULT_KEY_DIR)
    .option('--force', 'replace existing key files (checkpoints signed by the old key then need the old .pub to verify)')
    .action(async (opts: { out: string; force?: boolean }, command: Command) => {
      const config: OutputConfiguration = command.configureOutput();
      const out = config.writeOut ?? ((s: string) => void process.stdout.write(s));
      const err = config.writeErr ?? ((s: string) => void process.stderr.write(s));
      try {
        const { privateKeyPath, publicKeyPath, keyId } = await writeKeyPair(opts.out, { force: opts.force === true });
        out(
          [
            `Wrote an Ed25519 key pair for signing audit checkpoints (key id ${keyId}):`,
            `  private key  ${privateKeyPath}  (mode 0600; keep it secret, on the host that writes the log, out of version control)`,
            `  public key   ${publicKeyPath}  (give it to whoever verifies the log)`,
            '',
            'Next:',
            `  1. Pass the private key to the audit sink: openFileAuditSink({ path: '.warden/audit', signingKey: await loadPrivateKey('${privateKeyPath}') })`,
            `  2. Verify the log and its signatures:     warden audit verify .warden/audit --pubkey ${publicKeyPath}`,
            '  3. Anchor the signed head elsewhere:       warden audit head .warden/audit',
            '',
          ].join('\n'),
        );
        process.exitCode = 0;
      } catch (e) {
        err(`warden keygen: ${messageOf(e)}\n`);
        if (!(e instanceof WardenError)) err(`Check that ${opts.out} is writable.\n`);
        process.exitCode = 1;
      }
    });
}

/** `warden ucan delegate`: issues a UCAN 1.0 delegation (root, or re-delegating a proof). */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { toBase64url } from '../identity/bytes.js';
import { FileKeyStore } from '../identity/key-store.js';
import { delegateUcan } from '../identity/ucan/build.js';
import { DEFAULT_IDENTITY_DIR, ioOf, jsonFlag, readUcanFile, runCommand, timeFlag } from './identity-io.js';

interface Options {
  to: string;
  cmd: string;
  as: string;
  sub?: string;
  pol?: string;
  exp: string;
  nbf?: string;
  proof?: string;
  out?: string;
  dir: string;
  json?: boolean;
}

/**
 * Adds `warden ucan delegate --to <did> --cmd <command> [...]` to the `ucan` command.
 *
 * @example
 * ```ts
 * registerUcanDelegate(program.command('ucan'));
 * ```
 */
export function registerUcanDelegate(ucan: Command): void {
  ucan
    .command('delegate')
    .description('delegate a command to another DID (a root delegation, or --proof to re-delegate one; a delegation cannot widen its proof)')
    .requiredOption('--to <did>', 'the audience: who receives the authority')
    .requiredOption('--cmd <command>', 'the command delegated (e.g. /crm/read)')
    .option('--as <name>', 'the issuing identity in the key store', 'default')
    .option('--sub <did>', 'the subject (default: the issuer, or the proof\'s subject; "null" for a powerline)')
    .option('--pol <json>', 'the policy: a JSON list of statements', '[]')
    .option('--exp <when>', 'expiry: a duration from now (1h, 7d), an ISO time, or never', '24h')
    .option('--nbf <when>', 'not before: a duration from now or an ISO time')
    .option('--proof <file>', 'the delegation being re-delegated (its audience must be --as)')
    .option('--out <file>', 'write the DAG-CBOR envelope here')
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--json', 'print the result as JSON (with the envelope in base64)')
    .action(async (opts: Options, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'ucan delegate', async () => {
        const now = new Date();
        const issuer = await new FileKeyStore(opts.dir).load(opts.as);
        const proof = opts.proof === undefined ? undefined : await readUcanFile(opts.proof);
        const token = delegateUcan(issuer, {
          audience: opts.to,
          command: opts.cmd,
          policy: jsonFlag(opts.pol ?? '[]', '--pol') as unknown[],
          expiration: timeFlag(opts.exp, now, '--exp'),
          ...(opts.nbf === undefined ? {} : { notBefore: timeFlag(opts.nbf, now, '--nbf') }),
          ...(opts.sub === undefined ? {} : { subject: opts.sub === 'null' ? null : opts.sub }),
          ...(proof === undefined ? {} : { proof }),
        });
        if (opts.out !== undefined) await writeFile(opts.out, token.bytes);
        if (opts.json === true) io.out(`${JSON.stringify({ cid: token.cid, issuer: issuer.did, audience: opts.to, command: opts.cmd, envelope: toBase64url(token.bytes), ...(opts.out === undefined ? {} : { file: opts.out }) })}\n`);
        else io.out(`Delegated ${opts.cmd} from ${issuer.did} to ${opts.to}\n  cid  ${token.cid}\n${opts.out === undefined ? `  envelope (base64url) ${toBase64url(token.bytes)}\n` : `  file ${opts.out}\n`}`);
        return 0;
      });
    });
}

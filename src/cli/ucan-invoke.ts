/** `warden ucan invoke`: signs a UCAN 1.0 invocation naming its proof chain. */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { toBase64url } from '../identity/bytes.js';
import { FileKeyStore } from '../identity/key-store.js';
import { invokeUcan } from '../identity/ucan/build.js';
import { DEFAULT_IDENTITY_DIR, ioOf, jsonFlag, readUcanFile, runCommand, timeFlag, usage } from './identity-io.js';

interface Options {
  sub: string;
  cmd: string;
  args: string;
  proof?: string[];
  as: string;
  aud?: string;
  exp: string;
  out?: string;
  dir: string;
  json?: boolean;
}

/**
 * Adds `warden ucan invoke --sub <did> --cmd <command> --args <json> [--proof <file>...]`.
 *
 * @example
 * ```ts
 * registerUcanInvoke(program.command('ucan'));
 * ```
 */
export function registerUcanInvoke(ucan: Command): void {
  ucan
    .command('invoke')
    .description('sign an invocation of a command on a subject, with its delegation chain (root first)')
    .requiredOption('--sub <did>', 'the subject invoked')
    .requiredOption('--cmd <command>', 'the command (e.g. /crm/read)')
    .option('--args <json>', 'the arguments, a JSON object', '{}')
    .option('--proof <files...>', 'the delegations, root first')
    .option('--as <name>', 'the invoking identity in the key store', 'default')
    .option('--aud <did>', 'the executor, when it is not the subject')
    .option('--exp <when>', 'expiry: a duration from now (5m, 1h) or an ISO time', '5m')
    .option('--out <file>', 'write the DAG-CBOR envelope here')
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--json', 'print the result as JSON (with the envelope in base64)')
    .action(async (opts: Options, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'ucan invoke', async () => {
        const args = jsonFlag(opts.args, '--args');
        if (args === null || typeof args !== 'object' || Array.isArray(args)) throw usage('--args must be a JSON object.');
        const issuer = await new FileKeyStore(opts.dir).load(opts.as);
        const proofs = await Promise.all((opts.proof ?? []).map(readUcanFile));
        const token = invokeUcan(issuer, { subject: opts.sub, command: opts.cmd, args: args as Record<string, unknown>, proofs, expiration: timeFlag(opts.exp, new Date(), '--exp'), ...(opts.aud === undefined ? {} : { audience: opts.aud }) });
        if (opts.out !== undefined) await writeFile(opts.out, token.bytes);
        if (opts.json === true) io.out(`${JSON.stringify({ cid: token.cid, issuer: issuer.did, subject: opts.sub, command: opts.cmd, envelope: toBase64url(token.bytes), ...(opts.out === undefined ? {} : { file: opts.out }) })}\n`);
        else io.out(`Invocation of ${opts.cmd} on ${opts.sub} by ${issuer.did}\n  cid  ${token.cid}\n${opts.out === undefined ? `  envelope (base64url) ${toBase64url(token.bytes)}\n` : `  file ${opts.out}\n`}`);
        return 0;
      });
    });
}

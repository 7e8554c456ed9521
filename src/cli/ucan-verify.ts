/** `warden ucan verify <invocation>`: validates an invocation and its proof chain. */
import type { Command } from 'commander';
import { verifyUcanInvocation } from '../identity/ucan/verify.js';
import { ioOf, nowFlag, readUcanFile, runCommand, usage } from './identity-io.js';

interface Options {
  proof?: string[];
  audience?: string;
  maxDepth?: string;
  now?: string;
  json?: boolean;
}

/**
 * Adds `warden ucan verify <invocation> [--proof <file>...] [--audience <did>] [--now <iso>] [--json]`.
 *
 * @example
 * ```ts
 * registerUcanVerify(program.command('ucan'));
 * ```
 */
export function registerUcanVerify(ucan: Command): void {
  ucan
    .command('verify')
    .description('validate a UCAN invocation against its delegations (exit 0 valid, 1 not, with the spec\'s error name)')
    .argument('<invocation>', 'the invocation file (DAG-CBOR or its base64), or - for standard input')
    .option('--proof <files...>', 'the delegations it names')
    .option('--audience <did>', 'this executor\'s DID (the invocation must be addressed to it)')
    .option('--max-depth <n>', 'most delegations in the chain', '8')
    .option('--now <iso>', 'validate as of this time (default now)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: Options, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'ucan verify', async () => {
        const maxDepth = Number(opts.maxDepth ?? '8');
        if (!Number.isSafeInteger(maxDepth) || maxDepth < 0) throw usage('--max-depth must be a whole number.');
        const invocation = await readUcanFile(file);
        const proofs = await Promise.all((opts.proof ?? []).map(readUcanFile));
        const r = verifyUcanInvocation(invocation, proofs, { now: nowFlag(opts.now), maxDepth, ...(opts.audience === undefined ? {} : { audience: opts.audience }) });
        if (opts.json === true) {
          io.out(`${JSON.stringify(r.ok ? { ok: true, cid: r.invocation.cid, issuer: r.invocation.issuer, subject: r.invocation.subject, command: r.invocation.command, depth: r.depth, chain: r.chain.map(({ cid, issuer, audience, subject, command }) => ({ cid, issuer, audience, subject, command })) } : r)}\n`);
        } else if (r.ok) {
          io.out(`VALID  ${r.invocation.command} on ${r.invocation.subject} by ${r.invocation.issuer}\n  depth ${r.depth}\n${r.chain.map((l, i) => `  ${i}. ${l.issuer} -> ${l.audience}  ${l.command}  (${l.cid})\n`).join('')}`);
        } else {
          io.out(`INVALID  ${r.error.name}: ${r.error.message}\n`);
        }
        return r.ok ? 0 : 1;
      });
    });
}

/** `warden token verify <token>`: verifies an agent token (and its DPoP proof) offline, against a key or key set file. */
import type { Command } from 'commander';
import { verifyDpopProof } from '../identity/dpop.js';
import { createEntraVerifier } from '../identity/entra.js';
import type { JsonWebKeySet, PublicJwk } from '../identity/jwk.js';
import { MemoryReplayStore } from '../identity/replay-store.js';
import { createTokenVerifier, type VerifiedToken } from '../identity/token.js';
import { ioOf, nowFlag, readBytes, readJsonFile, runCommand, usage } from './identity-io.js';

interface Options {
  issuer?: string[];
  audience?: string[];
  alg?: string[];
  jwks?: string;
  key?: string;
  entraTenant?: string;
  dpop?: string;
  method?: string;
  url?: string;
  now?: string;
  clockTolerance?: string;
  json?: boolean;
}

/**
 * Adds `warden token verify <token|-> [...]` to the `token` command.
 *
 * @example
 * ```ts
 * registerTokenVerify(program.command('token'));
 * ```
 */
export function registerTokenVerify(token: Command): void {
  token
    .command('verify')
    .description('verify an agent JWT (exit 0 valid, 1 not): signature, algorithm allowlist, issuer, audience, expiry; with --dpop also its proof')
    .argument('<token>', 'the token, or - to read it from standard input')
    .option('--issuer <iss...>', 'the trusted issuer(s)')
    .option('--audience <aud...>', 'this verifier\'s audience(s)')
    .option('--alg <alg...>', 'accepted algorithms (asymmetric only)', ['EdDSA'])
    .option('--jwks <file>', 'the issuer\'s JSON Web Key Set (a file; no network)')
    .option('--key <file>', 'the issuer\'s public key as a JWK file')
    .option('--entra-tenant <tid>', 'verify as an Entra ID token pinned to this tenant (with --audience and --jwks)')
    .option('--dpop <proof>', 'a DPoP proof that must accompany the token (with --method and --url)')
    .option('--method <method>', 'the HTTP method the DPoP proof is for')
    .option('--url <url>', 'the URL the DPoP proof is for')
    .option('--clock-tolerance <seconds>', 'leeway for exp/nbf/iat')
    .option('--now <iso>', 'verify as of this time (default now)')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: Options, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'token verify', async () => {
        const text = (input === '-' ? Buffer.from(await readBytes('-')).toString('utf8') : input).trim();
        const now = nowFlag(opts.now);
        if ((opts.jwks === undefined) === (opts.key === undefined)) throw usage('Give the issuer\'s keys with exactly one of --jwks <file> and --key <file>.');
        const keys = opts.jwks !== undefined ? { jwks: (await readJsonFile(opts.jwks)) as JsonWebKeySet } : { key: (await readJsonFile(opts.key as string)) as PublicJwk };
        const tolerance = opts.clockTolerance === undefined ? {} : { clockTolerance: Number(opts.clockTolerance) };
        let verified: VerifiedToken;
        if (opts.entraTenant !== undefined) {
          if (opts.jwks === undefined || opts.audience === undefined) throw usage('--entra-tenant needs --audience and --jwks (the tenant\'s keys, saved from its discovery/v2.0/keys).');
          verified = await createEntraVerifier({ tenantId: opts.entraTenant, audience: opts.audience, jwks: keys.jwks as JsonWebKeySet, ...tolerance })(text, now);
        } else {
          verified = await createTokenVerifier({ algorithms: opts.alg ?? ['EdDSA'], ...keys, ...(opts.issuer === undefined ? {} : { issuer: opts.issuer }), ...(opts.audience === undefined ? {} : { audience: opts.audience }), ...tolerance })(text, now);
        }
        let jkt: string | null = null;
        if (opts.dpop !== undefined) {
          if (opts.method === undefined || opts.url === undefined) throw usage('--dpop needs --method and --url (the request the proof was made for).');
          const proof = await verifyDpopProof(opts.dpop, { method: opts.method, url: opts.url, accessToken: text, ...(verified.boundJkt === null ? {} : { jkt: verified.boundJkt }), replay: new MemoryReplayStore(), now });
          if (verified.boundJkt === null) throw usage('The token is not bound to a key (no cnf.jkt); a DPoP proof proves nothing about it.');
          jkt = proof.jkt;
        }
        const result = { valid: true, agent: verified.agentId, onBehalfOf: verified.onBehalfOf, issuer: verified.issuer, keyId: verified.keyId, boundJkt: verified.boundJkt, dpopJkt: jkt, claims: verified.claims };
        if (opts.json === true) io.out(`${JSON.stringify(result)}\n`);
        else io.out(`VALID  agent ${verified.agentId}${verified.onBehalfOf === null ? '' : ` (acting for ${verified.onBehalfOf})`}\n  issuer  ${verified.issuer}\n  key     ${verified.keyId ?? '(no kid)'}\n${verified.boundJkt === null ? '' : `  bound   cnf.jkt ${verified.boundJkt}${jkt === null ? ' (no DPoP proof checked)' : ' (DPoP proof verified)'}\n`}`);
        return 0;
      });
    });
}

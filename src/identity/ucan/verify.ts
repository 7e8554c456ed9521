/**
 * UCAN 1.0 invocation validation: the invocation and every delegation of its proof chain are
 * decoded, their signatures checked (an issuer whose key cannot be resolved fails: it is never
 * skipped), revocations checked, time bounds checked at execution time, principals aligned
 * (aud -> iss from the subject to the invoker), one subject throughout, every command under its
 * parent's, every link's time bounds inside its parent's, and the arguments matched against every
 * link's policy. Synchronous: Ed25519 through node:crypto.
 */
import type { KeyObject } from 'node:crypto';
import { publicKeyFromDidKey } from '../did-key.js';
import { publicKeyFromRaw } from '../ed25519.js';
import { commandCovers } from './command.js';
import { cidOf, decodeEnvelope, DELEGATION_TAGS, envelopeSignatureValid, INVOCATION_TAGS, type Envelope } from './envelope.js';
import { UcanError, type UcanErrorName } from './errors.js';
import { baseDid, readDelegation, readInvocation, type DelegationFields } from './fields.js';
import { policyMatches, type UcanPolicy } from './policy.js';

/**
 * Options of {@link verifyUcanInvocation}.
 *
 * @example
 * ```ts
 * const options: UcanVerifyOptions = { now: new Date(), maxDepth: 4, audience: 'did:key:z6MkExecutor' };
 * ```
 */
export interface UcanVerifyOptions {
  /** Execution time. */
  now: Date;
  /** Most delegations in a chain; default 8. */
  maxDepth?: number;
  /** This executor's DID: the invocation's `aud` (or, without one, its `sub`) must be it. */
  audience?: string;
  /** Revoked delegations (by CID) and principals (by DID). */
  revocations?: { isRevoked(id: string): boolean };
  /** Keys of issuers that are not did:key (a did:web resolved beforehand), as raw Ed25519 keys. */
  resolveKey?: (did: string) => readonly Uint8Array[] | undefined;
}

/**
 * One delegation of a verified chain.
 *
 * @example
 * ```ts
 * const link: UcanLink = result.chain[0];
 * ```
 */
export interface UcanLink {
  cid: string;
  issuer: string;
  audience: string;
  subject: string | null;
  command: string;
  policy: UcanPolicy;
  expiration: number | null;
  notBefore: number | null;
}

/**
 * What {@link verifyUcanInvocation} returns.
 *
 * @example
 * ```ts
 * const r: UcanVerification = verifyUcanInvocation(bytes, proofs, { now: new Date() });
 * if (!r.ok) console.log(r.error.name, r.error.message);
 * ```
 */
export type UcanVerification =
  | {
      ok: true;
      invocation: { cid: string; issuer: string; subject: string; audience: string | null; command: string; args: Record<string, unknown>; expiration: number | null; issuedAt: number | null; nonce: Uint8Array };
      /** The delegations, root first. */
      chain: UcanLink[];
      depth: number;
      /** What the chain grants, narrowed by every link. */
      capabilities: { subject: string; command: string; policy: UcanPolicy };
    }
  | { ok: false; error: { name: UcanErrorName; message: string } };

/**
 * Validates a UCAN invocation against its proofs (each a DAG-CBOR envelope; the invocation's `prf`
 * names them by CID, root first).
 *
 * @example
 * ```ts
 * const result = verifyUcanInvocation(invocationBytes, [rootBytes, childBytes], { now: new Date() });
 * if (result.ok) console.log(result.invocation.issuer, result.capabilities.command);
 * ```
 */
export function verifyUcanInvocation(invocationBytes: Uint8Array, proofBytes: readonly Uint8Array[], options: UcanVerifyOptions): UcanVerification {
  try {
    return { ok: true, ...validate(invocationBytes, proofBytes, options) };
  } catch (e) {
    if (e instanceof UcanError) return { ok: false, error: { name: e.name, message: e.message } };
    // invariant: anything unexpected is still a failed validation, never an allow.
    return { ok: false, error: { name: 'InvalidClaim', message: `The UCAN could not be validated: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

function validate(invocationBytes: Uint8Array, proofBytes: readonly Uint8Array[], options: UcanVerifyOptions): Omit<Extract<UcanVerification, { ok: true }>, 'ok'> {
  if (!(options?.now instanceof Date) || Number.isNaN(options.now.getTime())) throw new UcanError('InvalidClaim', 'Validation needs the execution time: { now: Date }.');
  const now = Math.floor(options.now.getTime() / 1000);
  const maxDepth = options.maxDepth ?? 8;
  if (!Array.isArray(proofBytes)) throw new UcanError('InvalidClaim', 'The proofs must be a list of DAG-CBOR envelopes.');

  const invEnvelope = decodeEnvelope(invocationBytes, INVOCATION_TAGS);
  const inv = readInvocation(invEnvelope.payload, 'invocation');
  checkSignature(invEnvelope, inv.iss, 'the invocation', options);
  checkRevoked(options, invEnvelope.cid, inv.iss, 'the invocation');
  checkTime(inv, now, 'The invocation');

  if (inv.prf.length === 0 && baseDid(inv.iss) !== baseDid(inv.sub)) {
    throw new UcanError('InvalidClaim', `The invocation has no proof, so its issuer must be its subject; ${inv.iss} is not ${inv.sub}.`);
  }
  if (inv.prf.length > maxDepth) throw new UcanError('InvalidClaim', `The proof chain has ${inv.prf.length} delegations; the limit is ${maxDepth}.`);

  const byCid = new Map<string, Uint8Array>();
  for (const b of proofBytes.slice(0, 64)) {
    // The CID is of the bytes as given; they are decoded (and refused if malformed) only when named.
    if (b instanceof Uint8Array) byCid.set(cidOf(b), b);
  }
  const chain: Array<{ env: Envelope; d: DelegationFields }> = inv.prf.map((cid, i) => {
    const bytes = byCid.get(cid);
    if (bytes === undefined) throw new UcanError('UnavailableProof', `The proof ${cid} (link ${i}) was not provided.`);
    const env = decodeEnvelope(bytes, DELEGATION_TAGS);
    const d = readDelegation(env.payload, `proof ${i}`);
    checkSignature(env, d.iss, `proof ${i} (${env.cid})`, options);
    checkRevoked(options, env.cid, d.iss, `proof ${i}`);
    return { env, d };
  });
  chain.forEach(({ d }, i) => checkTime(d, now, `Proof ${i}`));

  let subject = inv.sub;
  if (chain.length > 0) {
    const root = (chain[0] as { d: DelegationFields }).d;
    if (root.sub === null) throw new UcanError('InvalidClaim', 'The root delegation has a null subject (a powerline cannot be a root: there is no subject to delegate from).');
    if (baseDid(root.iss) !== baseDid(root.sub)) throw new UcanError('InvalidSubject', `The root delegation is issued by ${root.iss}, not by its subject ${root.sub}.`);
    subject = root.sub;
    // Principal alignment: each link's audience issues the next; the last's audience invokes.
    for (let i = 0; i < chain.length; i++) {
      const d = (chain[i] as { d: DelegationFields }).d;
      const nextIssuer = i + 1 < chain.length ? (chain[i + 1] as { d: DelegationFields }).d.iss : inv.iss;
      if (baseDid(d.aud) !== baseDid(nextIssuer)) {
        throw new UcanError('InvalidAudience', i + 1 < chain.length ? `Proof ${i} is delegated to ${d.aud}, but proof ${i + 1} is issued by ${nextIssuer}.` : `The last proof is delegated to ${d.aud}, but the invocation is issued by ${inv.iss}.`);
      }
    }
    // One subject throughout (a powerline link takes the subject before it).
    for (let i = 1; i < chain.length; i++) {
      const d = (chain[i] as { d: DelegationFields }).d;
      if (d.sub !== null && baseDid(d.sub) !== baseDid(subject)) throw new UcanError('InvalidSubject', `Proof ${i} is about ${d.sub}, but the chain is about ${subject}.`);
    }
    if (baseDid(inv.sub) !== baseDid(subject)) throw new UcanError('InvalidSubject', `The invocation is about ${inv.sub}, but its proofs are about ${subject}.`);
    // No link widens: commands narrow, time bounds stay inside the parent's.
    for (let i = 1; i < chain.length; i++) {
      const parent = (chain[i - 1] as { d: DelegationFields }).d;
      const child = (chain[i] as { d: DelegationFields }).d;
      if (!commandCovers(parent.cmd, child.cmd)) throw new UcanError('InvalidClaim', `Proof ${i} widens the command: ${child.cmd} is not under ${parent.cmd}.`);
      if (parent.exp !== null && (child.exp === null || child.exp > parent.exp)) throw new UcanError('InvalidClaim', `Proof ${i} widens the time bounds: it expires ${child.exp ?? 'never'}, after its parent (${parent.exp}).`);
      if (parent.nbf !== null && (child.nbf === null || child.nbf < parent.nbf)) throw new UcanError('InvalidClaim', `Proof ${i} widens the time bounds: it starts ${child.nbf ?? 'at the epoch'}, before its parent (${parent.nbf}).`);
    }
    const last = (chain[chain.length - 1] as { d: DelegationFields }).d;
    if (!commandCovers(last.cmd, inv.cmd)) throw new UcanError('InvalidClaim', `The invocation's command ${inv.cmd} is not under the delegated ${last.cmd}.`);
  }
  const audience = inv.aud ?? inv.sub;
  if (options.audience !== undefined && baseDid(audience) !== baseDid(options.audience)) {
    throw new UcanError('InvalidAudience', `The invocation is addressed to ${audience}, not to this executor ${options.audience}.`);
  }
  const policy: UcanPolicy = [];
  chain.forEach(({ d }, i) => {
    if (!policyMatches(d.pol, inv.args)) throw new UcanError('MatchError', `The invocation's arguments do not satisfy the policy of proof ${i}.`);
    policy.push(...d.pol);
  });

  return {
    invocation: { cid: invEnvelope.cid, issuer: inv.iss, subject: inv.sub, audience: inv.aud, command: inv.cmd, args: inv.args, expiration: inv.exp, issuedAt: inv.iat, nonce: inv.nonce },
    chain: chain.map(({ env, d }) => ({ cid: env.cid, issuer: d.iss, audience: d.aud, subject: d.sub, command: d.cmd, policy: d.pol, expiration: d.exp, notBefore: d.nbf })),
    depth: chain.length,
    capabilities: { subject, command: inv.cmd, policy },
  };
}

function checkSignature(env: Envelope, issuer: string, what: string, options: UcanVerifyOptions): void {
  const keys = keysOf(issuer, options);
  // invariant: an issuer whose key cannot be resolved fails validation; its signature is never skipped.
  if (keys.length === 0) throw new UcanError('InvalidSignature', `The issuer ${issuer} of ${what} cannot be resolved to a key, so its signature cannot be checked (unknown issuer).`);
  if (!keys.some((k) => envelopeSignatureValid(env, k))) throw new UcanError('InvalidSignature', `The signature of ${what} does not verify with its issuer ${issuer} (or its varsig header is not Ed25519 over DAG-CBOR).`);
}

function keysOf(issuer: string, options: UcanVerifyOptions): KeyObject[] {
  if (issuer.startsWith('did:key:')) {
    try {
      return [publicKeyFromRaw(publicKeyFromDidKey(issuer))];
    } catch {
      return [];
    }
  }
  const raw = options.resolveKey?.(baseDid(issuer)) ?? [];
  const out: KeyObject[] = [];
  for (const k of raw) {
    try {
      out.push(publicKeyFromRaw(k));
    } catch {
      // a malformed resolved key verifies nothing
    }
  }
  return out;
}

function checkRevoked(options: UcanVerifyOptions, cid: string, issuer: string, what: string): void {
  const r = options.revocations;
  if (r === undefined) return;
  if (r.isRevoked(cid)) throw new UcanError('InvalidClaim', `${what} (${cid}) is revoked.`);
  if (r.isRevoked(baseDid(issuer))) throw new UcanError('InvalidClaim', `The issuer ${issuer} of ${what} is revoked.`);
}

function checkTime(t: { exp: number | null; nbf: number | null }, now: number, what: string): void {
  if (t.exp !== null && now > t.exp) throw new UcanError('Expired', `${what} expired at ${t.exp} (now ${now}).`);
  if (t.nbf !== null && now < t.nbf) throw new UcanError('TooEarly', `${what} is not valid before ${t.nbf} (now ${now}).`);
}


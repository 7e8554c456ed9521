/**
 * Making UCANs: a root delegation (issued by the subject), a further delegation (checked against
 * its parent so it cannot widen authority), and an invocation naming its proof chain by CID.
 */
import type { AgentKey } from '../agent-key.js';
import { randomNonce } from '../bytes.js';
import { publicKeyFromDidKey } from '../did-key.js';
import { publicKeyFromRaw } from '../ed25519.js';
import { checkCommand, commandCovers } from './command.js';
import { cidLink, cidOf, decodeEnvelope, DELEGATION_TAGS, encodeEnvelope, envelopeSignatureValid } from './envelope.js';
import { UcanError } from './errors.js';
import { baseDid, readDelegation } from './fields.js';
import { checkPolicy, type UcanPolicy } from './policy.js';

/**
 * An encoded UCAN: the envelope's bytes and its CID.
 *
 * @example
 * ```ts
 * const { bytes, cid } = issueUcan(me, { audience: peer.did, command: '/crm', expiration: null });
 * ```
 */
export interface UcanToken {
  bytes: Uint8Array;
  cid: string;
}

/** A time: seconds since the epoch, a Date, or null (never expires). */
type Time = number | Date | null;

/**
 * What to delegate.
 *
 * @example
 * ```ts
 * const d: DelegationSpec = { audience: peer.did, command: '/crm/read', policy: [['==', '.region', 'eu']], expiration: new Date(Date.now() + 3600_000) };
 * ```
 */
export interface DelegationSpec {
  audience: string;
  /** The subject; default the issuer (a root delegation). `null` is a powerline. With a proof, default the proof's subject. */
  subject?: string | null;
  command: string;
  policy?: UcanPolicy;
  /** When it expires (required: pass null explicitly for "never"). */
  expiration: Time;
  notBefore?: Time;
  nonce?: Uint8Array;
  meta?: Record<string, unknown>;
  /** The delegation this one re-delegates (its audience must be the issuer). */
  proof?: Uint8Array;
}

/**
 * A root delegation: the issuer delegates authority over itself.
 *
 * @example
 * ```ts
 * const root = issueUcan(alice, { audience: bob.did, command: '/msg', expiration: null });
 * ```
 */
export function issueUcan(issuer: AgentKey, spec: Omit<DelegationSpec, 'subject' | 'proof'>): UcanToken {
  return delegateUcan(issuer, { ...spec, subject: issuer.did });
}

/**
 * A delegation; with `proof`, one that re-delegates it, refused if it would widen the command, the
 * time bounds or change the subject.
 *
 * @example
 * ```ts
 * const child = delegateUcan(bob, { audience: carol.did, command: '/msg/send', expiration: null, proof: root.bytes });
 * ```
 * @throws UcanError naming what is wrong.
 */
export function delegateUcan(issuer: AgentKey, spec: DelegationSpec): UcanToken {
  const command = checkCommand(spec.command, 'command');
  const policy = checkPolicy(spec.policy ?? [], 'policy');
  const exp = seconds(spec.expiration, 'expiration');
  const nbf = spec.notBefore === undefined || spec.notBefore === null ? null : seconds(spec.notBefore, 'notBefore');
  let subject = spec.subject === undefined ? issuer.did : spec.subject;
  if (spec.proof !== undefined) {
    const env = decodeEnvelope(spec.proof, DELEGATION_TAGS);
    const parent = readDelegation(env.payload, 'proof');
    if (!parent.iss.startsWith('did:key:') || !envelopeSignatureValid(env, publicKeyFromRaw(publicKeyFromDidKey(parent.iss)))) throw new UcanError('InvalidSignature', 'The proof does not verify with its issuer.');
    if (baseDid(parent.aud) !== issuer.did) throw new UcanError('InvalidAudience', `The proof is delegated to ${parent.aud}, not to ${issuer.did}; only its audience can re-delegate it.`);
    if (spec.subject === undefined) subject = parent.sub;
    if (subject !== null && parent.sub !== null && baseDid(subject) !== baseDid(parent.sub)) throw new UcanError('InvalidSubject', `The proof is about ${parent.sub}; a delegation from it cannot be about ${subject}.`);
    if (!commandCovers(parent.cmd, command)) throw new UcanError('InvalidClaim', `${command} is not under the proof's ${parent.cmd}: a delegation cannot widen the command.`);
    if (parent.exp !== null && (exp === null || exp > parent.exp)) throw new UcanError('InvalidClaim', `The delegation would outlive its proof (which expires at ${parent.exp}).`);
    if (parent.nbf !== null && (nbf === null || nbf < parent.nbf)) throw new UcanError('InvalidClaim', `The delegation would start before its proof (not before ${parent.nbf}).`);
  } else if (subject !== null && baseDid(subject) !== issuer.did) {
    throw new UcanError('InvalidSubject', `Without a proof only the subject itself (or a powerline, subject null) can delegate; ${issuer.did} is not ${subject}.`);
  }
  const payload: Record<string, unknown> = { iss: issuer.did, aud: did(spec.audience, 'audience'), sub: subject, cmd: command, pol: policy, nonce: spec.nonce ?? randomNonce(12), exp };
  if (nbf !== null) payload.nbf = nbf;
  if (spec.meta !== undefined) payload.meta = spec.meta;
  const bytes = encodeEnvelope(issuer.privateKey, 'ucan/dlg@1.0.0', payload);
  return { bytes, cid: cidOf(bytes) };
}

/**
 * What to invoke.
 *
 * @example
 * ```ts
 * const i: InvocationSpec = { subject: alice.did, command: '/msg/send', args: { to: 'bob@example.com' }, proofs: [root.bytes], expiration: new Date(Date.now() + 60_000) };
 * ```
 */
export interface InvocationSpec {
  subject: string;
  command: string;
  args: Record<string, unknown>;
  /** The delegation chain, root first. */
  proofs: Uint8Array[];
  /** When it expires (required; null for never, which a Warden pipeline refuses). */
  expiration: Time;
  /** The executor, when it is not the subject. */
  audience?: string;
  issuedAt?: Time;
  nonce?: Uint8Array;
  meta?: Record<string, unknown>;
}

/**
 * An invocation, naming its proofs by CID.
 *
 * @example
 * ```ts
 * const inv = invokeUcan(carol, { subject: alice.did, command: '/msg/send', args: {}, proofs: [root.bytes, child.bytes], expiration: new Date(Date.now() + 60_000) });
 * ```
 */
export function invokeUcan(issuer: AgentKey, spec: InvocationSpec): UcanToken {
  const payload: Record<string, unknown> = {
    iss: issuer.did,
    sub: did(spec.subject, 'subject'),
    cmd: checkCommand(spec.command, 'command'),
    args: spec.args,
    prf: spec.proofs.map((p) => cidLink(p)),
    nonce: spec.nonce ?? randomNonce(12),
    exp: seconds(spec.expiration, 'expiration'),
  };
  if (spec.audience !== undefined) payload.aud = did(spec.audience, 'audience');
  if (spec.issuedAt !== undefined && spec.issuedAt !== null) payload.iat = seconds(spec.issuedAt, 'issuedAt');
  if (spec.meta !== undefined) payload.meta = spec.meta;
  const bytes = encodeEnvelope(issuer.privateKey, 'ucan/inv@1.0.0', payload);
  return { bytes, cid: cidOf(bytes) };
}

function seconds(t: Time | undefined, what: string): number | null {
  if (t === undefined) throw new UcanError('InvalidClaim', `${what} is required (null for never).`);
  if (t === null) return null;
  const n = t instanceof Date ? Math.floor(t.getTime() / 1000) : t;
  if (!Number.isSafeInteger(n)) throw new UcanError('InvalidClaim', `${what} must be whole seconds since the epoch or a Date.`);
  return n;
}

function did(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^did:[a-z0-9]+:/.test(v)) throw new UcanError('InvalidClaim', `${what} must be a DID; got ${JSON.stringify(v)}.`);
  return v;
}

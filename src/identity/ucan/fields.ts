/** Reading UCAN payload fields: each required field present with its type, or InvalidClaim. */
import { CID } from 'multiformats/cid';
import { checkCommand } from './command.js';
import { UcanError } from './errors.js';
import { checkPolicy, type UcanPolicy } from './policy.js';

/**
 * A delegation's payload, read and checked.
 *
 * @example
 * ```ts
 * const d: DelegationFields = readDelegation(envelope.payload);
 * ```
 */
export interface DelegationFields {
  iss: string;
  aud: string;
  sub: string | null;
  cmd: string;
  pol: UcanPolicy;
  nonce: Uint8Array;
  exp: number | null;
  nbf: number | null;
}

/**
 * An invocation's payload, read and checked.
 *
 * @example
 * ```ts
 * const i: InvocationFields = readInvocation(envelope.payload);
 * ```
 */
export interface InvocationFields {
  iss: string;
  sub: string;
  aud: string | null;
  cmd: string;
  args: Record<string, unknown>;
  /** The proofs' CIDs, as text. */
  prf: string[];
  nonce: Uint8Array;
  exp: number | null;
  iat: number | null;
  nbf: number | null;
}

const DID = /^did:[a-z0-9]+:[A-Za-z0-9._%:#-]{1,2000}$/;

export function readDelegation(p: Record<string, unknown>, where: string): DelegationFields {
  return {
    iss: did(p.iss, `${where}.iss`),
    aud: did(p.aud, `${where}.aud`),
    sub: p.sub === null ? null : did(p.sub, `${where}.sub`),
    cmd: checkCommand(p.cmd, `${where}.cmd`),
    pol: checkPolicy(p.pol, `${where}.pol`),
    nonce: bytes(p.nonce, `${where}.nonce`),
    exp: expiry(p, where),
    nbf: optionalTime(p.nbf, `${where}.nbf`),
  };
}

export function readInvocation(p: Record<string, unknown>, where: string): InvocationFields {
  const prf = p.prf;
  if (!Array.isArray(prf) || prf.some((c) => CID.asCID(c) === null)) throw new UcanError('InvalidClaim', `${where}.prf must be a list of CIDs.`);
  const args = p.args;
  if (args === null || typeof args !== 'object' || Array.isArray(args) || args instanceof Uint8Array || CID.asCID(args) !== null) throw new UcanError('InvalidClaim', `${where}.args must be a map.`);
  return {
    iss: did(p.iss, `${where}.iss`),
    sub: did(p.sub, `${where}.sub`),
    aud: p.aud === undefined ? null : did(p.aud, `${where}.aud`),
    cmd: checkCommand(p.cmd, `${where}.cmd`),
    args: args as Record<string, unknown>,
    prf: prf.map((c) => (CID.asCID(c) as CID).toString()),
    nonce: bytes(p.nonce, `${where}.nonce`),
    exp: expiry(p, where),
    iat: optionalTime(p.iat, `${where}.iat`),
    nbf: optionalTime(p.nbf, `${where}.nbf`),
  };
}

function did(v: unknown, where: string): string {
  if (typeof v !== 'string' || !DID.test(v)) throw new UcanError('InvalidClaim', `${where} must be a DID; got ${JSON.stringify(v)?.slice(0, 80)}.`);
  return v;
}

function bytes(v: unknown, where: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new UcanError('InvalidClaim', `${where} must be bytes.`);
  return v;
}

function expiry(p: Record<string, unknown>, where: string): number | null {
  // `exp` is required; an explicit null means "never expires".
  if (!Object.prototype.hasOwnProperty.call(p, 'exp')) throw new UcanError('InvalidClaim', `${where}.exp is required (null for no expiry).`);
  return p.exp === null ? null : time(p.exp, `${where}.exp`);
}

function optionalTime(v: unknown, where: string): number | null {
  return v === undefined ? null : time(v, where);
}

function time(v: unknown, where: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new UcanError('InvalidClaim', `${where} must be an integer number of seconds within 2^53.`);
  return n;
}

/** A DID without its fragment (alignment ignores fragments). */
export function baseDid(did: string): string {
  const i = did.indexOf('#');
  return i === -1 ? did : did.slice(0, i);
}

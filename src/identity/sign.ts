/**
 * Signatures over canonical JSON (RFC 8785) with a domain-separation prefix per purpose: what is
 * signed is `agent-warden/sig/v1` NL purpose NL canonical-json, so a signature made for one purpose
 * never verifies for another, nor as a JWS (whose signing input starts `eyJ`) or a UCAN (whose
 * starts with a CBOR array header).
 */
import type { KeyObject } from 'node:crypto';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import type { AgentKey } from './agent-key.js';
import { fromBase64url, toBase64url } from './bytes.js';
import { publicKeyFromDidKey } from './did-key.js';
import { publicKeyFromRaw, signBytes, verifyBytes } from './ed25519.js';

/** The fixed first line of every signed message. */
export const SIGNATURE_DOMAIN = 'agent-warden/sig/v1';

/** A purpose: lower-case dotted words, at most 64 characters (`agent-message`, `app.login`). */
const PURPOSE = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

/** The purposes Warden itself signs with; a caller's own purposes are any other. */
export const RESERVED_PURPOSES = Object.freeze(['agent-message', 'key-rotation', 'revocation-list'] as const);

/**
 * The exact bytes signed for `purpose` and `payload`.
 *
 * @example
 * ```ts
 * signingInput('app.login', { n: 1 }).toString(); // 'agent-warden/sig/v1\napp.login\n{"n":1}'
 * ```
 * @throws WardenError `ERR_OPTIONS` for a malformed purpose; `ERR_CANONICAL_JSON` for a payload with no canonical form.
 */
export function signingInput(purpose: string, payload: unknown): Buffer {
  checkPurpose(purpose);
  return Buffer.from(`${SIGNATURE_DOMAIN}\n${purpose}\n${canonicalJson(payload)}`, 'utf8');
}

/**
 * Signs `payload` for `purpose`; returns the Ed25519 signature, base64url.
 *
 * @example
 * ```ts
 * const sig = sign(me, 'app.login', { user: 'ada', at: 1767225600 });
 * ```
 */
export function sign(key: AgentKey | KeyObject, purpose: string, payload: unknown): string {
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  return toBase64url(signBytes(privateKey, signingInput(purpose, payload)));
}

/**
 * True when `signature` is the signature of `payload` for exactly `purpose` by `signer` (a raw
 * 32-byte public key, a KeyObject, or an Ed25519 did:key). False for anything else: another
 * purpose, another payload, a malformed signature or key.
 *
 * @example
 * ```ts
 * verify(me.did, 'app.login', { user: 'ada', at: 1767225600 }, sig); // true
 * verify(me.did, 'app.logout', { user: 'ada', at: 1767225600 }, sig); // false
 * ```
 */
export function verify(signer: Uint8Array | KeyObject | string, purpose: string, payload: unknown, signature: string): boolean {
  try {
    const key = typeof signer === 'string' ? publicKeyFromRaw(publicKeyFromDidKey(signer)) : signer instanceof Uint8Array ? publicKeyFromRaw(signer) : signer;
    return verifyBytes(key, signingInput(purpose, payload), fromBase64url(signature, 'the signature'));
  } catch {
    return false;
  }
}

function checkPurpose(purpose: string): void {
  if (typeof purpose !== 'string' || purpose.length > 64 || !PURPOSE.test(purpose)) {
    throw new WardenError('ERR_OPTIONS', `A signature purpose is lower-case dotted words of at most 64 characters (e.g. "app.login"); got ${JSON.stringify(purpose)}.`);
  }
}

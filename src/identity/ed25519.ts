/**
 * Ed25519 through node:crypto (OpenSSL), never a JavaScript implementation: raw 32-byte keys to
 * KeyObjects and back, signing and verifying.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { WardenError } from '../errors.js';
import { asBuffer } from './bytes.js';

// The fixed DER prefixes of an Ed25519 PKCS#8 private key and SPKI public key (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The private key of a 32-byte Ed25519 seed (RFC 8032's secret key). */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new WardenError('ERR_IDENTITY_KEY', `An Ed25519 seed is 32 bytes; got ${seed instanceof Uint8Array ? `${seed.length} bytes` : typeof seed}.`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The KeyObject of a raw 32-byte Ed25519 public key. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new WardenError('ERR_IDENTITY_KEY', `An Ed25519 public key is 32 bytes; got ${raw instanceof Uint8Array ? `${raw.length} bytes` : typeof raw}.`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The raw 32 bytes of an Ed25519 public key (or of a private key's public half). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  assertEd25519(pub);
  return new Uint8Array(pub.export({ type: 'spki', format: 'der' }).subarray(SPKI_PREFIX.length));
}

/** The 32-byte seed of an Ed25519 private key. */
export function seedOf(key: KeyObject): Uint8Array {
  if (key.type !== 'private') throw new WardenError('ERR_IDENTITY_KEY', 'A private Ed25519 key is needed here; got a public key.');
  assertEd25519(key);
  return new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }).subarray(PKCS8_PREFIX.length));
}

/** Throws unless the key is Ed25519. */
export function assertEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') throw new WardenError('ERR_IDENTITY_KEY', `Warden identities are Ed25519 keys; got ${key.asymmetricKeyType ?? 'a secret key'}.`);
}

/** Signs bytes with an Ed25519 private key. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, asBuffer(data), privateKey));
}

/** True when `signature` is an Ed25519 signature of `data` by `publicKey`; false for anything else, never a throw. */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return nodeVerify(null, asBuffer(data), publicKey, asBuffer(signature));
  } catch {
    return false;
  }
}

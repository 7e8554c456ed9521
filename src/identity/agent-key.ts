/**
 * An agent's own identity: an Ed25519 key pair named by its did:key.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { didKeyFromPublicKey } from './did-key.js';
import { assertEd25519, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey } from './ed25519.js';

/**
 * An agent's key pair and the DID it is known by. The private key is a node:crypto KeyObject (it
 * serializes to `{}`, so it does not leak into logs or records by accident).
 *
 * @example
 * ```ts
 * const me: AgentKey = createIdentity();
 * console.log(me.did); // did:key:z6Mk...
 * ```
 */
export interface AgentKey {
  /** `did:key:z6Mk...` */
  readonly did: string;
  /** The DID URL of the key: `<did>#<fingerprint>`. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

/**
 * A fresh Ed25519 identity.
 *
 * @example
 * ```ts
 * const { did } = createIdentity();
 * ```
 */
export function createIdentity(): AgentKey {
  return identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/**
 * The identity of a 32-byte Ed25519 seed (deterministic: the same seed gives the same DID).
 *
 * @example
 * ```ts
 * identityFromSeed(new Uint8Array(32)).did; // 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'
 * ```
 */
export function identityFromSeed(seed: Uint8Array): AgentKey {
  return identityFromPrivateKey(privateKeyFromSeed(seed));
}

/**
 * The identity of an Ed25519 private KeyObject.
 *
 * @example
 * ```ts
 * const me = identityFromPrivateKey(createPrivateKey(pem));
 * ```
 * @throws WardenError `ERR_IDENTITY_KEY` for another kind of key.
 */
export function identityFromPrivateKey(privateKey: KeyObject): AgentKey {
  assertEd25519(privateKey);
  const publicKey = rawPublicKey(privateKey);
  const did = didKeyFromPublicKey(publicKey);
  return Object.freeze({ did, keyId: `${did}#${did.slice('did:key:'.length)}`, publicKey, privateKey });
}

/** The KeyObject of a raw public key (a small re-export for callers holding bytes). */
export { publicKeyFromRaw };

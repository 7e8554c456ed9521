/**
 * did:key for Ed25519 (the W3C CCG did:key method): `did:key:z` + base58btc(0xed 0x01 + 32-byte
 * public key), so every Ed25519 DID starts `did:key:z6Mk`. Pure: no I/O.
 */
import { base58btc } from 'multiformats/bases/base58';
import { WardenError } from '../errors.js';
import { toBase64url } from './bytes.js';
import { privateKeyFromSeed, rawPublicKey } from './ed25519.js';

/** The multicodec of an Ed25519 public key (0xed), as its unsigned varint. */
const ED25519_PUB = [0xed, 0x01] as const;
/** The multicodec of an X25519 public key (0xec), as its unsigned varint. */
const X25519_PUB = [0xec, 0x01] as const;
/** Longest did:key accepted (an Ed25519 one is 56 characters; a fragment may follow). */
const MAX_DID_LENGTH = 256;

/**
 * The did:key of a raw 32-byte Ed25519 public key.
 *
 * @example
 * ```ts
 * didKeyFromPublicKey(new Uint8Array(32)); // 'did:key:z6Mk...'
 * ```
 * @throws WardenError `ERR_DID` when the key is not 32 bytes.
 */
export function didKeyFromPublicKey(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new WardenError('ERR_DID', `An Ed25519 did:key encodes a 32-byte public key; got ${publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : typeof publicKey}.`);
  return `did:key:${multibaseKey(ED25519_PUB, publicKey)}`;
}

/**
 * The did:key of the Ed25519 key pair made from a 32-byte seed.
 *
 * @example
 * ```ts
 * didKeyFromSeed(new Uint8Array(32)); // 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'
 * ```
 */
export function didKeyFromSeed(seed: Uint8Array): string {
  return didKeyFromPublicKey(rawPublicKey(privateKeyFromSeed(seed)));
}

/**
 * The raw Ed25519 public key a did:key names. A fragment (`#z6Mk...`) is accepted when it names the
 * same key.
 *
 * @example
 * ```ts
 * const key = publicKeyFromDidKey('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'); // 32 bytes
 * ```
 * @throws WardenError `ERR_DID` for anything but an Ed25519 did:key.
 */
export function publicKeyFromDidKey(did: string): Uint8Array {
  if (typeof did !== 'string' || did.length > MAX_DID_LENGTH) throw new WardenError('ERR_DID', 'A did:key is a string of at most 256 characters.');
  const hash = did.indexOf('#');
  const base = hash === -1 ? did : did.slice(0, hash);
  if (!base.startsWith('did:key:z')) throw new WardenError('ERR_DID', `${JSON.stringify(did)} is not a did:key in base58btc (did:key:z...).`);
  const fingerprint = base.slice('did:key:'.length);
  if (hash !== -1 && did.slice(hash + 1) !== fingerprint) throw new WardenError('ERR_DID', `The fragment of ${JSON.stringify(did)} names another key than the DID.`);
  let bytes: Uint8Array;
  try {
    bytes = base58btc.decode(fingerprint);
  } catch (e) {
    throw new WardenError('ERR_DID', `${JSON.stringify(did)} is not valid base58btc: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (bytes[0] !== ED25519_PUB[0] || bytes[1] !== ED25519_PUB[1]) {
    throw new WardenError('ERR_DID', `${JSON.stringify(did)} is not an Ed25519 key (multicodec 0xed); Warden verifies Ed25519 did:key identities only.`);
  }
  if (bytes.length !== 34) throw new WardenError('ERR_DID', `${JSON.stringify(did)} holds ${bytes.length - 2} key bytes; an Ed25519 key is 32.`);
  return bytes.slice(2);
}

/** True when `did` is a well-formed Ed25519 did:key. */
export function isEd25519DidKey(did: unknown): did is string {
  if (typeof did !== 'string') return false;
  try {
    publicKeyFromDidKey(did);
    return true;
  } catch {
    return false;
  }
}

/**
 * The DID document of an Ed25519 did:key, as the W3C CCG method derives it: the Ed25519
 * verification method (authentication, assertion, capability invocation and delegation) and the
 * X25519 key agreement key converted from it. Keys are written in base58 (`Ed25519VerificationKey2018`,
 * the default) or as JWKs (`JsonWebKey2020`, with `{ keyFormat: 'jwk' }`).
 *
 * @example
 * ```ts
 * const doc = didKeyDocument('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp');
 * doc.verificationMethod[0].publicKeyBase58; // '4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS'
 * ```
 */
export function didKeyDocument(did: string, options: { keyFormat?: 'base58' | 'jwk' } = {}): DidKeyDocument {
  const publicKey = publicKeyFromDidKey(did);
  const base = did.split('#')[0] as string;
  const fingerprint = base.slice('did:key:'.length);
  const x25519 = x25519FromEd25519(publicKey);
  const agreement = multibaseKey(X25519_PUB, x25519);
  const vm = `${base}#${fingerprint}`;
  const ka = `${base}#${agreement}`;
  const relationships = { assertionMethod: [vm], authentication: [vm], capabilityInvocation: [vm], capabilityDelegation: [vm], keyAgreement: [ka] };
  if (options.keyFormat === 'jwk') {
    return {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: base,
      verificationMethod: [
        { id: vm, type: 'JsonWebKey2020', controller: base, publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: toBase64url(publicKey) } },
        { id: ka, type: 'JsonWebKey2020', controller: base, publicKeyJwk: { kty: 'OKP', crv: 'X25519', x: toBase64url(x25519) } },
      ],
      ...relationships,
    };
  }
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/ed25519-2018/v1', 'https://w3id.org/security/suites/x25519-2019/v1'],
    id: base,
    verificationMethod: [
      { id: vm, type: 'Ed25519VerificationKey2018', controller: base, publicKeyBase58: base58btc.encode(publicKey).slice(1) },
      { id: ka, type: 'X25519KeyAgreementKey2019', controller: base, publicKeyBase58: base58btc.encode(x25519).slice(1) },
    ],
    ...relationships,
  };
}

/**
 * A did:key's DID document (see {@link didKeyDocument}).
 *
 * @example
 * ```ts
 * const doc: DidKeyDocument = didKeyDocument(did);
 * ```
 */
export interface DidKeyDocument {
  '@context': string[];
  id: string;
  verificationMethod: Array<{ id: string; type: string; controller: string; publicKeyBase58?: string; publicKeyJwk?: { kty: 'OKP'; crv: string; x: string } }>;
  assertionMethod: string[];
  authentication: string[];
  capabilityInvocation: string[];
  capabilityDelegation: string[];
  keyAgreement: string[];
}

function multibaseKey(codec: readonly [number, number], key: Uint8Array): string {
  const bytes = new Uint8Array(2 + key.length);
  bytes[0] = codec[0];
  bytes[1] = codec[1];
  bytes.set(key, 2);
  return base58btc.encode(bytes);
}

// Curve25519's prime, 2^255 - 19.
const P = (1n << 255n) - 19n;

/** The X25519 public key of an Ed25519 public key: u = (1 + y) / (1 - y) mod p (RFC 7748's birational map). */
function x25519FromEd25519(edPublic: Uint8Array): Uint8Array {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(edPublic[i] as number);
  y &= (1n << 255n) - 1n; // the top bit is the sign of x
  const u = mod((1n + y) * inverse(mod(1n - y)));
  const out = new Uint8Array(32);
  let v = u;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function inverse(a: bigint): bigint {
  // Fermat: a^(p-2) mod p.
  let result = 1n;
  let base = a;
  let e = P - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % P;
    base = (base * base) % P;
    e >>= 1n;
  }
  return result;
}

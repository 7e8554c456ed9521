/**
 * DID documents as Warden reads them: the verification methods that hold an Ed25519 key, and which
 * relationship (authentication, assertion, ...) each one is listed under. Pure: no I/O.
 */
import { base58btc } from 'multiformats/bases/base58';
import { WardenError } from '../errors.js';
import { fromBase64url } from './bytes.js';

/**
 * A verification method of a DID document.
 *
 * @example
 * ```ts
 * const vm: VerificationMethod = { id: 'did:web:example.com#key-1', type: 'Multikey', controller: 'did:web:example.com', publicKeyMultibase: 'z6Mk...' };
 * ```
 */
export interface VerificationMethod {
  id: string;
  type: string;
  controller: string;
  publicKeyBase58?: string;
  publicKeyMultibase?: string;
  publicKeyJwk?: Record<string, unknown>;
}

/**
 * A DID document (W3C DID Core), with the members Warden reads.
 *
 * @example
 * ```ts
 * const doc: DidDocument = { id: 'did:web:example.com', verificationMethod: [vm], assertionMethod: [vm.id] };
 * ```
 */
export interface DidDocument {
  '@context'?: unknown;
  id: string;
  verificationMethod?: VerificationMethod[];
  authentication?: Array<string | VerificationMethod>;
  assertionMethod?: Array<string | VerificationMethod>;
  capabilityInvocation?: Array<string | VerificationMethod>;
  capabilityDelegation?: Array<string | VerificationMethod>;
  keyAgreement?: Array<string | VerificationMethod>;
}

/**
 * A verification relationship of a DID document.
 *
 * @example
 * ```ts
 * const rel: VerificationRelationship = 'assertionMethod';
 * ```
 */
export type VerificationRelationship = 'authentication' | 'assertionMethod' | 'capabilityInvocation' | 'capabilityDelegation';

/**
 * An Ed25519 key of a DID document: the verification method's id and its raw public key.
 *
 * @example
 * ```ts
 * const [{ id, publicKey }] = ed25519KeysOf(doc, 'assertionMethod');
 * ```
 */
export interface DidKeyEntry {
  id: string;
  publicKey: Uint8Array;
}

const MAX_METHODS = 64;

/**
 * Checks that a parsed JSON value is a DID document for `did` (its `id` must be exactly `did`: a
 * document served for another DID is refused) and returns it.
 *
 * @example
 * ```ts
 * const doc = parseDidDocument(JSON.parse(text), 'did:web:example.com');
 * ```
 * @throws WardenError `ERR_DID`
 */
export function parseDidDocument(value: unknown, did: string): DidDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WardenError('ERR_DID', `The DID document of ${did} is not a JSON object.`);
  const doc = value as Record<string, unknown>;
  if (doc.id !== did) throw new WardenError('ERR_DID', `The DID document fetched for ${did} is for ${JSON.stringify(doc.id)}; refusing it.`);
  const methods = doc.verificationMethod;
  if (methods !== undefined && (!Array.isArray(methods) || methods.length > MAX_METHODS)) throw new WardenError('ERR_DID', `verificationMethod of ${did} must be a list of at most ${MAX_METHODS} methods.`);
  for (const m of (methods ?? []) as unknown[]) checkMethod(m, did);
  for (const rel of ['authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation', 'keyAgreement']) {
    const list = doc[rel];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length > MAX_METHODS) throw new WardenError('ERR_DID', `${rel} of ${did} must be a list of at most ${MAX_METHODS} entries.`);
    for (const entry of list as unknown[]) if (typeof entry !== 'string') checkMethod(entry, did);
  }
  return doc as unknown as DidDocument;
}

function checkMethod(m: unknown, did: string): void {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new WardenError('ERR_DID', `A verification method of ${did} is not an object.`);
  const r = m as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.type !== 'string' || typeof r.controller !== 'string') throw new WardenError('ERR_DID', `A verification method of ${did} lacks id, type or controller.`);
}

/**
 * The Ed25519 keys a DID document lists under a relationship (default `assertionMethod`, the one
 * that signs statements). Methods whose controller is another DID are skipped: a document cannot
 * lend itself someone else's key.
 *
 * @example
 * ```ts
 * const keys = ed25519KeysOf(doc, 'authentication');
 * ```
 */
export function ed25519KeysOf(doc: DidDocument, relationship: VerificationRelationship = 'assertionMethod'): DidKeyEntry[] {
  const byId = new Map<string, VerificationMethod>();
  for (const m of doc.verificationMethod ?? []) byId.set(absoluteId(m.id, doc.id), m);
  const out: DidKeyEntry[] = [];
  for (const entry of doc[relationship] ?? []) {
    const method = typeof entry === 'string' ? byId.get(absoluteId(entry, doc.id)) : entry;
    if (method === undefined || method.controller !== doc.id) continue;
    const publicKey = ed25519KeyOf(method);
    if (publicKey !== null) out.push({ id: absoluteId(method.id, doc.id), publicKey });
  }
  return out;
}

function absoluteId(id: string, did: string): string {
  return id.startsWith('#') ? `${did}${id}` : id;
}

/** The raw Ed25519 key of a verification method, or null when it holds another kind of key. */
function ed25519KeyOf(m: VerificationMethod): Uint8Array | null {
  try {
    if ((m.type === 'Ed25519VerificationKey2018' || m.type === 'Ed25519VerificationKey2020') && typeof m.publicKeyBase58 === 'string') {
      const raw = base58btc.decode(`z${m.publicKeyBase58}`);
      return raw.length === 32 ? raw : null;
    }
    if ((m.type === 'Multikey' || m.type === 'Ed25519VerificationKey2020') && typeof m.publicKeyMultibase === 'string') {
      const bytes = base58btc.decode(m.publicKeyMultibase);
      return bytes.length === 34 && bytes[0] === 0xed && bytes[1] === 0x01 ? bytes.slice(2) : null;
    }
    if (m.type === 'JsonWebKey2020' || m.type === 'JsonWebKey') {
      const jwk = m.publicKeyJwk;
      if (jwk === undefined || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || jwk.d !== undefined) return null;
      const raw = fromBase64url(jwk.x, 'publicKeyJwk.x');
      return raw.length === 32 ? raw : null;
    }
  } catch {
    return null;
  }
  return null;
}

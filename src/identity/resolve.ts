/**
 * One resolver for the DID methods Warden accepts: did:key (computed, no I/O) and did:web (fetched
 * through an injected fetch). Any other method is refused, never guessed.
 */
import { WardenError } from '../errors.js';
import { ed25519KeysOf, type DidDocument, type VerificationRelationship } from './did-document.js';
import { didKeyDocument, publicKeyFromDidKey } from './did-key.js';
import { resolveDidWeb, type DidWebOptions } from './did-web.js';

/**
 * Resolves a DID to its DID document: did:key locally, did:web with `options.fetch`.
 *
 * @example
 * ```ts
 * const doc = await resolveDid('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp');
 * const web = await resolveDid('did:web:example.com', { fetch });
 * ```
 * @throws WardenError `ERR_DID` for another method, a malformed DID or a failed fetch.
 */
export async function resolveDid(did: string, options: DidWebOptions = {}): Promise<DidDocument> {
  if (typeof did === 'string' && did.startsWith('did:key:')) return didKeyDocument(did) as DidDocument;
  if (typeof did === 'string' && did.startsWith('did:web:')) return resolveDidWeb(did, options);
  throw new WardenError('ERR_DID', `${JSON.stringify(did)} is not a DID Warden can resolve (did:key or did:web).`);
}

/**
 * The Ed25519 keys a DID speaks with for a relationship: the did:key's own key, or those a did:web
 * document lists.
 *
 * @example
 * ```ts
 * const keys = await didPublicKeys('did:web:example.com', 'assertionMethod', { fetch });
 * ```
 */
export async function didPublicKeys(did: string, relationship: VerificationRelationship, options: DidWebOptions = {}): Promise<Uint8Array[]> {
  const base = did.split('#')[0] as string;
  if (base.startsWith('did:key:')) return [publicKeyFromDidKey(did)];
  const doc = await resolveDid(base, options);
  const keys = ed25519KeysOf(doc, relationship);
  if (keys.length === 0) throw new WardenError('ERR_DID', `The DID document of ${base} lists no Ed25519 key under ${relationship}.`);
  return keys.map((k) => k.publicKey);
}

/** Signing a bundle's manifest with an Ed25519 key. */
import { sign, type KeyObject } from 'node:crypto';
import { keyIdOf, toPrivateKey } from '../audit/keys.js';
import { signingInput, type PolicyBundle } from './bundle-format.js';

/**
 * Signs the bundle's manifest (domain-separated canonical JSON) and returns the bundle with the
 * signature added; a signature by the same key is replaced. Files are not re-hashed here: build
 * the bundle with {@link bundleOf} or `warden bundle build`.
 *
 * @example
 * ```ts
 * const signed = signBundle(await buildBundle(['policies/'], 4), await loadPrivateKey('warden-audit.key'));
 * ```
 * @throws WardenError `ERR_AUDIT_KEY` when the key is not an Ed25519 private key.
 */
export function signBundle(bundle: PolicyBundle, privateKey: KeyObject | string): PolicyBundle {
  const key = toPrivateKey(privateKey, 'the bundle signing key');
  const keyid = keyIdOf(key);
  const signature = sign(null, signingInput(bundle.manifest), key).toString('base64url');
  return { ...bundle, signatures: [...bundle.signatures.filter((s) => s.keyid !== keyid), { keyid, algorithm: 'Ed25519', signature }] };
}

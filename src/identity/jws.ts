/**
 * Compact JWS verification, synchronous, through node:crypto: the signature check DPoP proofs need
 * on every call, without a round trip through WebCrypto's thread pool. The algorithm comes from an
 * explicit allowlist (asymmetric only) and the key must be of exactly the algorithm's type, so a
 * public key can never stand in as an HMAC secret and `none` is never accepted.
 */
import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { fromBase64url } from './bytes.js';
import { IdentityError } from './errors.js';

interface AlgSpec {
  keyType: 'ed25519' | 'ec' | 'rsa';
  curve?: string;
  hash: string | null;
  pss?: number;
}

/** The algorithms this verifier knows, with the key each one needs. */
const ALGORITHMS: Record<string, AlgSpec> = {
  EdDSA: { keyType: 'ed25519', hash: null },
  Ed25519: { keyType: 'ed25519', hash: null },
  ES256: { keyType: 'ec', curve: 'prime256v1', hash: 'sha256' },
  ES384: { keyType: 'ec', curve: 'secp384r1', hash: 'sha384' },
  ES512: { keyType: 'ec', curve: 'secp521r1', hash: 'sha512' },
  RS256: { keyType: 'rsa', hash: 'sha256' },
  RS384: { keyType: 'rsa', hash: 'sha384' },
  RS512: { keyType: 'rsa', hash: 'sha512' },
  PS256: { keyType: 'rsa', hash: 'sha256', pss: 32 },
  PS384: { keyType: 'rsa', hash: 'sha384', pss: 48 },
  PS512: { keyType: 'rsa', hash: 'sha512', pss: 64 },
};

const PART = /^[A-Za-z0-9_-]+$/;

/**
 * A verified compact JWS: its protected header and payload.
 *
 * @example
 * ```ts
 * const { header, payload } = verifyCompactJws(jws, key, ['EdDSA']);
 * ```
 */
export interface VerifiedJws {
  header: Record<string, unknown>;
  payload: Buffer;
}

/**
 * Reads a compact JWS's protected header without verifying anything (to pick the key).
 *
 * @example
 * ```ts
 * const header = readJwsHeader(jws); // { alg: 'EdDSA', typ: 'dpop+jwt', jwk: {...} }
 * ```
 * @throws IdentityError `malformed`
 */
export function readJwsHeader(jws: string): Record<string, unknown> {
  const dot = typeof jws === 'string' ? jws.indexOf('.') : -1;
  if (dot <= 0 || !PART.test(jws.slice(0, dot))) throw new IdentityError('malformed', 'Not a compact JWS (header.payload.signature).');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(fromBase64url(jws.slice(0, dot), 'the JWS header')).toString('utf8'));
  } catch (e) {
    if (e instanceof IdentityError) throw e;
    throw new IdentityError('malformed', 'The JWS header is not JSON.');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new IdentityError('malformed', 'The JWS header is not a JSON object.');
  return header as Record<string, unknown>;
}

/**
 * Verifies a compact JWS with `key` under an algorithm allowlist.
 *
 * @example
 * ```ts
 * const { payload } = verifyCompactJws(token, publicKey, ['EdDSA', 'ES256']);
 * ```
 * @throws IdentityError `malformed`, `algorithm`, `key` or `signature`.
 */
export function verifyCompactJws(jws: string, key: KeyObject, algorithms: readonly string[]): VerifiedJws {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3 || !PART.test(parts[1] as string) || !PART.test(parts[2] as string)) throw new IdentityError('malformed', 'Not a compact JWS (three base64url parts).');
  const header = readJwsHeader(jws);
  const alg = header.alg;
  const spec = typeof alg === 'string' && algorithms.includes(alg) ? ALGORITHMS[alg] : undefined;
  if (spec === undefined) throw new IdentityError('algorithm', `The algorithm ${JSON.stringify(alg)} is not allowed (allowed: ${algorithms.join(', ')}).`);
  if (header.crit !== undefined || header.b64 !== undefined) throw new IdentityError('malformed', 'The JWS uses header extensions (crit, b64) this verifier does not understand.');
  // invariant: the key is of exactly the algorithm's type, and public (no key confusion).
  if (key.type !== 'public' || key.asymmetricKeyType !== spec.keyType || (spec.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== spec.curve)) {
    throw new IdentityError('key', `A ${String(alg)} signature needs a public ${spec.curve ?? spec.keyType} key; got a ${key.type} ${key.asymmetricKeyType ?? 'secret'} key.`);
  }
  if (spec.keyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new IdentityError('key', `An RSA key of ${key.asymmetricKeyDetails?.modulusLength ?? 0} bits is too weak; at least 2048 bits are required.`);
  const signature = Buffer.from(fromBase64url(parts[2] as string, 'the JWS signature'));
  const input = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
  let ok: boolean;
  try {
    ok =
      spec.keyType === 'ec'
        ? nodeVerify(spec.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature)
        : spec.pss !== undefined
          ? nodeVerify(spec.hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pss }, signature)
          : nodeVerify(spec.hash, input, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new IdentityError('signature', 'The JWS signature does not verify with the key.');
  return { header, payload: Buffer.from(fromBase64url(parts[1] as string, 'the JWS payload')) };
}

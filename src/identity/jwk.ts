/**
 * JSON Web Keys: the RFC 7638 thumbprint (what DPoP's `jkt` is) and the checks a public key must
 * pass before it verifies anything.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { toBase64url, sha256 } from './bytes.js';
import { IdentityError } from './errors.js';

/** The members that make a JWK private (or symmetric): none may appear in a key that verifies. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The members RFC 7638 hashes, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * A JSON Web Key, as far as Warden reads one.
 *
 * @example
 * ```ts
 * const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
 * ```
 */
export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid?: string;
  alg?: string;
  use?: string;
  [member: string]: unknown;
}

/**
 * A JSON Web Key Set.
 *
 * @example
 * ```ts
 * const jwks: JsonWebKeySet = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] };
 * ```
 */
export interface JsonWebKeySet {
  keys: PublicJwk[];
}

/**
 * The claims of a JWT.
 *
 * @example
 * ```ts
 * const claims: JwtClaims = { iss: 'https://idp.example', sub: 'agent-7', exp: 1767225600 };
 * ```
 */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/**
 * The protected header of a JWS.
 *
 * @example
 * ```ts
 * const header: JwsHeader = { alg: 'EdDSA', kid: 'k1' };
 * ```
 */
export interface JwsHeader {
  alg?: string;
  kid?: string;
  typ?: string;
  [parameter: string]: unknown;
}

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK, base64url.
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }); // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 * ```
 * @throws IdentityError `key` when a required member is missing or the key type is unknown.
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  const members = THUMBPRINT_MEMBERS[String(jwk?.kty)];
  if (members === undefined) throw new IdentityError('key', `A thumbprint needs an EC, OKP or RSA key; got kty ${JSON.stringify(jwk?.kty)}.`);
  let json = '{';
  for (const m of members) {
    const v = jwk[m];
    if (typeof v !== 'string' || v === '') throw new IdentityError('key', `The ${String(jwk.kty)} key lacks its "${m}" member.`);
    json += `${json === '{' ? '' : ','}${JSON.stringify(m)}:${JSON.stringify(v)}`;
  }
  return toBase64url(sha256(`${json}}`));
}

/**
 * Throws unless `jwk` is a public EC, OKP or RSA key with no private member.
 *
 * @example
 * ```ts
 * assertPublicJwk(header.jwk, 'the DPoP proof\'s jwk');
 * ```
 * @throws IdentityError `key`
 */
export function assertPublicJwk(jwk: unknown, where: string): asserts jwk is PublicJwk {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new IdentityError('key', `${where} is not a JSON Web Key object.`);
  const k = jwk as Record<string, unknown>;
  if (k.kty === 'oct') throw new IdentityError('key', `${where} is a symmetric key (kty "oct"); only public keys verify.`);
  if (!(String(k.kty) in THUMBPRINT_MEMBERS)) throw new IdentityError('key', `${where} has kty ${JSON.stringify(k.kty)}; expected EC, OKP or RSA.`);
  for (const m of PRIVATE_MEMBERS) {
    if (Object.prototype.hasOwnProperty.call(k, m)) throw new IdentityError('key', `${where} contains the private member "${m}"; a verifying key must be public.`);
  }
}

/**
 * A node:crypto public KeyObject from a public JWK (checked with {@link assertPublicJwk}).
 *
 * @example
 * ```ts
 * const key = publicKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * ```
 */
export function publicKeyFromJwk(jwk: unknown, where = 'the key'): KeyObject {
  assertPublicJwk(jwk, where);
  try {
    return createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (e) {
    throw new IdentityError('key', `${where} is not a usable public key: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

/**
 * Agent tokens: JWTs verified with jose against an explicit algorithm allowlist (asymmetric only:
 * never `none`, never an HMAC algorithm, so a public key can never be used as an HMAC secret), a
 * pinned issuer and audience, and a key or key set. The agent is the token's actor (`act.sub`,
 * on a user-delegated token) or else its subject.
 */
import type { KeyObject } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { WardenError } from '../errors.js';
import { IdentityError, messageOf, type IdentityFailure } from './errors.js';
import { publicKeyFromJwk, type JsonWebKeySet, type JwsHeader, type JwtClaims, type PublicJwk } from './jwk.js';
import { checkJwks, RemoteJwks } from './jwks.js';
import { MAX_TOKEN_LENGTH } from './token-limits.js';

/** The asymmetric JWS algorithms an allowlist may name. */
export const ASYMMETRIC_ALGORITHMS = Object.freeze(['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const);

export { MAX_TOKEN_LENGTH };

/**
 * Options of {@link verifyAgentToken}.
 *
 * @example
 * ```ts
 * const options: AgentTokenOptions = { issuer: 'https://idp.example', audience: 'warden', algorithms: ['EdDSA'], jwks };
 * ```
 */
export interface AgentTokenOptions {
  /** The issuer (`iss`) trusted, or several. Strongly recommended. */
  issuer?: string | string[];
  /** The audience (`aud`) this verifier is, or several. Strongly recommended. */
  audience?: string | string[];
  /** The algorithms accepted: asymmetric only. `EdDSA` and `Ed25519` both name Ed25519 and each admits the other. */
  algorithms: string[];
  /** The issuer's key set: `{ keys: [...] }` or a {@link RemoteJwks}. Give this or `key`. */
  jwks?: JsonWebKeySet | RemoteJwks;
  /** The issuer's one public key, as a JWK. Give this or `jwks`. */
  key?: PublicJwk;
  /** Refuse tokens whose `iat` is older than this (seconds, or a jose duration such as `'10m'`). */
  maxTokenAge?: number | string;
  /** Leeway for `exp`, `nbf` and `iat` (seconds, or a duration); default 0. */
  clockTolerance?: number | string;
  /** The expected `typ` header (e.g. `at+jwt`), when the issuer sets one. */
  typ?: string;
  /** Claims that must be present besides `exp` (always required). */
  requiredClaims?: string[];
  /** The time to verify at; default now. */
  now?: Date;
}

/**
 * A verified token.
 *
 * @example
 * ```ts
 * const { agentId, issuer, keyId, claims } = await verifyAgentToken(token, options);
 * ```
 */
export interface VerifiedToken {
  /** `act.sub` when the token is user-delegated to an actor, else `sub`. */
  agentId: string;
  /** The user the agent acts for, when the agent came from `act`. */
  onBehalfOf: string | null;
  issuer: string;
  /** The `kid` of the key that signed, when the header names one. */
  keyId: string | null;
  /** The DPoP key thumbprint the token is bound to (`cnf.jkt`), when it is. */
  boundJkt: string | null;
  claims: JwtClaims;
  header: JwsHeader;
}

const OPTION_KEYS = ['issuer', 'audience', 'algorithms', 'jwks', 'key', 'maxTokenAge', 'clockTolerance', 'typ', 'requiredClaims', 'now'];

/**
 * Verifies an agent's JWT.
 *
 * @example
 * ```ts
 * const verified = await verifyAgentToken(token, { issuer: 'https://idp.example', audience: 'warden', algorithms: ['EdDSA'], key: issuerJwk });
 * console.log(verified.agentId);
 * ```
 * @throws WardenError `ERR_OPTIONS` for unsafe options (no allowlist, `none`, an HMAC algorithm, a private key);
 *   IdentityError for a token that does not verify (its `reason` says why).
 */
export async function verifyAgentToken(token: string, options: AgentTokenOptions): Promise<VerifiedToken> {
  return createTokenVerifier(options)(token, options.now ?? new Date());
}

/**
 * A token verifier with its options checked (and its key imported) once, for verifying many tokens.
 *
 * @example
 * ```ts
 * const check = createTokenVerifier({ issuer, audience, algorithms: ['EdDSA'], key });
 * const verified = await check(token, new Date());
 * ```
 */
export function createTokenVerifier(options: AgentTokenOptions): (token: string, now: Date) => Promise<VerifiedToken> {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'Token options are an object: { issuer, audience, algorithms, jwks | key }.');
  for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) throw new WardenError('ERR_OPTIONS', `Unknown token option ${JSON.stringify(k)}; the options are ${OPTION_KEYS.join(', ')}.`);
  const algorithms = checkAlgorithms(options.algorithms);
  const getKey = keyResolver(options);
  const verifyOptions: JWTVerifyOptions = { algorithms, requiredClaims: ['exp', ...(options.requiredClaims ?? [])] };
  if (options.issuer !== undefined) verifyOptions.issuer = options.issuer;
  if (options.audience !== undefined) verifyOptions.audience = options.audience;
  if (options.maxTokenAge !== undefined) verifyOptions.maxTokenAge = options.maxTokenAge;
  if (options.clockTolerance !== undefined) verifyOptions.clockTolerance = options.clockTolerance;
  if (options.typ !== undefined) verifyOptions.typ = options.typ;
  return async (token, now) => {
    preflight(token, algorithms);
    let result: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      result = await jwtVerify(token, getKey as JWTVerifyGetKey, { ...verifyOptions, currentDate: now });
    } catch (e) {
      throw fromJose(e);
    }
    return describe(result.payload as JwtClaims, result.protectedHeader as JwsHeader);
  };
}

/** The allowlist, checked: non-empty, asymmetric algorithms only, Ed25519's two names admitting each other. */
export function checkAlgorithms(algorithms: unknown): string[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new WardenError('ERR_OPTIONS', `algorithms must list the accepted algorithms explicitly (e.g. ['EdDSA']); a verifier never accepts whatever the token says.`);
  const out = new Set<string>();
  for (const a of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a as string)) {
      throw new WardenError('ERR_OPTIONS', `The algorithm ${JSON.stringify(a)} is not accepted: use asymmetric signatures (${ASYMMETRIC_ALGORITHMS.join(', ')}); never "none" or an HMAC algorithm.`);
    }
    out.add(a as string);
    if (a === 'EdDSA') out.add('Ed25519');
    if (a === 'Ed25519') out.add('EdDSA');
  }
  return [...out];
}

function keyResolver(options: AgentTokenOptions): KeyObject | JWTVerifyGetKey {
  const { jwks, key } = options;
  if ((jwks === undefined) === (key === undefined)) throw new WardenError('ERR_OPTIONS', 'Give exactly one of jwks (a key set or RemoteJwks) and key (a public JWK).');
  if (key !== undefined) {
    try {
      return publicKeyFromJwk(key, 'options.key');
    } catch (e) {
      throw new WardenError('ERR_OPTIONS', messageOf(e));
    }
  }
  if (jwks instanceof RemoteJwks) return ((header: JwsHeader, token: unknown) => jwks.getKey(header, token)) as JWTVerifyGetKey;
  try {
    return createLocalJWKSet(checkJwks(jwks, 1000, 'options.jwks') as unknown as JSONWebKeySet);
  } catch (e) {
    throw new WardenError('ERR_OPTIONS', messageOf(e));
  }
}

/** Cheap checks before any key work, with reasons a caller can act on. */
function preflight(token: string, algorithms: readonly string[]): void {
  if (typeof token !== 'string' || token.length === 0) throw new IdentityError('malformed', 'The token is empty or not a string.');
  if (token.length > MAX_TOKEN_LENGTH) throw new IdentityError('malformed', `The token is ${token.length} characters; the limit is ${MAX_TOKEN_LENGTH}.`);
  let header: JwsHeader;
  try {
    header = decodeProtectedHeader(token);
  } catch (e) {
    throw new IdentityError('malformed', `The token is not a compact JWS: ${messageOf(e)}.`);
  }
  if (token.split('.').length !== 3) throw new IdentityError('malformed', 'The token is not a compact JWS (three dot-separated parts).');
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw new IdentityError('algorithm', `The token's algorithm ${JSON.stringify(header.alg)} is not allowed (allowed: ${algorithms.join(', ')}).`);
  }
  if (header.crit !== undefined) throw new IdentityError('malformed', `The token marks header parameters critical (${JSON.stringify(header.crit)}) that this verifier does not understand.`);
}

function describe(claims: JwtClaims, header: JwsHeader): VerifiedToken {
  const act = claims.act as { sub?: unknown } | undefined;
  const actor = act !== null && typeof act === 'object' && typeof act.sub === 'string' && act.sub !== '' ? act.sub : null;
  const sub = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : null;
  const agentId = actor ?? sub;
  if (agentId === null) throw new IdentityError('claim', 'The token names no agent: it has neither an `act.sub` (actor) nor a `sub` claim.');
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  return {
    agentId,
    onBehalfOf: actor !== null ? sub : null,
    issuer: typeof claims.iss === 'string' ? claims.iss : '',
    keyId: typeof header.kid === 'string' ? header.kid : null,
    boundJkt: cnf !== null && typeof cnf === 'object' && typeof cnf.jkt === 'string' ? cnf.jkt : null,
    claims,
    header,
  };
}

const JOSE_REASONS: Record<string, IdentityFailure> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWKS_NO_MATCHING_KEY: 'key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'key',
  ERR_JWK_INVALID: 'key',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
};

const CLAIM_REASONS: Record<string, IdentityFailure> = { iss: 'issuer', aud: 'audience', nbf: 'not_yet_valid', iat: 'expired', typ: 'type', exp: 'claim' };

/** A jose error as an IdentityError with the reason a caller switches on. */
export function fromJose(e: unknown): Error {
  if (e instanceof IdentityError || e instanceof WardenError) return e;
  const code = (e as { code?: string }).code ?? '';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = String((e as { claim?: string }).claim);
    const reason = (e as { reason?: string }).reason === 'missing' ? 'claim' : (CLAIM_REASONS[claim] ?? 'claim');
    return new IdentityError(reason, `The token's "${claim}" claim failed: ${messageOf(e)}.`, { cause: e });
  }
  return new IdentityError(JOSE_REASONS[code] ?? 'malformed', `The token did not verify: ${messageOf(e)}.`, { cause: e });
}

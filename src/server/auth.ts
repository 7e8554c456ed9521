/**
 * Who is calling the service: a bearer token in the Authorization header, either one of a list of
 * static tokens (compared in constant time) or a JWT verified with jose (an asymmetric key, a key
 * set from a file or an https URL, or an HMAC secret; issuer and audience always checked). The
 * verified subject is the caller's identity; nothing in a request body can identify a caller.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { jwtVerify } from 'jose';
import type { AgentIdentity } from '../decision.js';
import { WardenError } from '../errors.js';
import type { JsonWebKeySet, PublicJwk } from '../identity/jwk.js';
import type { RemoteJwks } from '../identity/jwks.js';
import { MAX_TOKEN_LENGTH } from '../identity/token-limits.js';
import type { VerifiedToken } from '../identity/token.js';
import { lazyModule } from '../lib/lazy-module.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { frozenValue } from '../lib/snapshot.js';
import { VerifiedTokenCache } from './token-cache.js';

/** The JWT verifier (and jose, and the JWKS client) loads when JWT verification is configured, not with the subpath. */
const tokenModule = lazyModule<typeof import('../identity/token.js')>('identity/token');
const jwksModule = lazyModule<typeof import('../identity/jwks.js')>('identity/jwks');

/**
 * How callers authenticate. Give `tokens`, `jwt`, or both; a service without either refuses to start.
 *
 * @example
 * ```ts
 * const auth: ServerAuthOptions = { tokens: [{ subject: 'ci-agent', token: process.env.WARDEN_TOKEN! }], jwt: { issuer: 'https://idp.example', audience: 'warden', jwks: 'https://idp.example/jwks.json' } };
 * ```
 */
export interface ServerAuthOptions {
  /** Static bearer tokens, each naming the subject a caller presenting it is. At least 16 characters each. */
  tokens?: ReadonlyArray<{ subject: string; token: string }>;
  jwt?: ServerJwtOptions;
}

/**
 * JWT verification: exactly one of `jwks`, `key` and `secret`.
 *
 * @example
 * ```ts
 * const jwt: ServerJwtOptions = { issuer: 'https://idp.example', audience: 'warden', key: issuerPublicJwk, algorithms: ['EdDSA'] };
 * ```
 */
export interface ServerJwtOptions {
  issuer: string | string[];
  audience: string | string[];
  /** A key set, an https URL serving one (fetched and cached), or a RemoteJwks configured by the caller (its fetch, TTL, clock). */
  jwks?: JsonWebKeySet | string | RemoteJwks;
  /** One public key, as a JWK. */
  key?: PublicJwk;
  /** A shared HMAC secret (at least 32 bytes); tokens then use HS256, HS384 or HS512. */
  secret?: Uint8Array;
  /** Accepted algorithms; default `['EdDSA', 'ES256', 'RS256']` for keys, `['HS256']` for a secret. */
  algorithms?: string[];
  /** Leeway for exp/nbf in seconds; default 0. */
  clockTolerance?: number;
}

/** The outcome of authenticating one request. */
export type AuthResult = { ok: true; agent: AgentIdentity } | { ok: false; reason: string };

/** Verifies the bearer token of a request. */
export type Authenticator = (req: IncomingMessage, now: Date) => Promise<AuthResult>;

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
/** RFC 6750 `b64token`, after exactly one space. The scheme is case-insensitive (RFC 9110). */
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const STATIC_ISSUER = 'warden-serve:token-file';

/**
 * Builds the authenticator for a service.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator({ tokens: [{ subject: 'bot', token: 'x'.repeat(32) }] });
 * const result = await authenticate(req, new Date());
 * ```
 * @throws WardenError `ERR_SERVER` when neither tokens nor jwt is configured, or either is malformed.
 */
export function createAuthenticator(options: ServerAuthOptions): Authenticator {
  rejectUnknownKeys(options, ['tokens', 'jwt'], 'ERR_SERVER', 'auth options');
  const statics = staticTokens(options.tokens);
  const jwt = options.jwt === undefined ? null : jwtCheck(options.jwt);
  if (statics.length === 0 && jwt === null) throw new WardenError('ERR_SERVER', 'The service needs a way to authenticate callers: static tokens (--token-file) or JWT verification (--jwt-jwks, --jwt-key or --jwt-secret-file with --jwt-issuer and --jwt-audience).');
  // The static token each connection was last accepted with. A keep-alive caller sends the same
  // token with every request; comparing it with what the same connection sent before reveals
  // nothing that caller did not send itself, so it is compared plainly (no hash, no constant-time
  // loop over the configured tokens). Static tokens do not expire while the service runs.
  const acceptedOn = new WeakMap<object, { token: string; agent: AgentIdentity }>();
  return async (req, now) => {
    const token = bearerOf(req);
    if (typeof token !== 'string') return token;
    const socket: object | null = typeof req.socket === 'object' ? req.socket : null;
    const accepted = socket === null ? undefined : acceptedOn.get(socket);
    if (accepted !== undefined && accepted.token === token) return { ok: true, agent: accepted.agent };
    if (statics.length > 0) {
      const agent = matchStatic(statics, token);
      if (agent !== null) {
        if (socket !== null) acceptedOn.set(socket, { token, agent });
        return { ok: true, agent };
      }
      if (jwt === null) return { ok: false, reason: 'the bearer token is not one of the configured tokens' };
    }
    if (jwt === null || token.split('.').length !== 3) return { ok: false, reason: 'the bearer token is not a known token or a JWT' };
    // A token verified a moment ago, still within its exp/nbf and under the same key set, is not verified again.
    const key = VerifiedTokenCache.keyOf(token);
    const generation = jwt.generation();
    const known = jwt.cache.get(key, now, generation);
    if (known !== null) return { ok: true, agent: known };
    try {
      const v = await jwt.verify(token, now);
      // One frozen identity per token, made once: the pipeline then copies and serializes it once, as for a static token.
      const agent = frozenValue<AgentIdentity>({ id: v.agentId, verified: { method: 'bearer', issuer: v.issuer, keyId: v.keyId } });
      jwt.cache.set(key, { agent, exp: v.claims.exp as number, ...(v.claims.nbf !== undefined ? { nbf: v.claims.nbf } : {}) }, now, generation);
      return { ok: true, agent };
    } catch (e) {
      return { ok: false, reason: `the bearer token did not verify: ${e instanceof Error ? e.message : String(e)}` };
    }
  };
}

/** The token of the request's one Authorization header, or why there is none. */
function bearerOf(req: IncomingMessage): string | { ok: false; reason: string } {
  let count = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === 'authorization') count++;
  if (count === 0) return { ok: false, reason: 'no Authorization header' };
  if (count > 1) return { ok: false, reason: 'more than one Authorization header' };
  const value = req.headers.authorization ?? '';
  if (value.length > MAX_TOKEN_LENGTH + 16) return { ok: false, reason: 'the Authorization header is too long' };
  const m = BEARER.exec(value);
  if (m === null) return { ok: false, reason: 'the Authorization header is not "Bearer <token>"' };
  return m[1] as string;
}

interface StaticToken {
  /** The identity a caller presenting the token is: one frozen object per token, made once (the pipeline then copies and serializes it once, not per call). */
  agent: AgentIdentity;
  hash: Buffer;
}

function staticTokens(given: ServerAuthOptions['tokens']): StaticToken[] {
  if (given === undefined) return [];
  if (!Array.isArray(given)) throw new WardenError('ERR_SERVER', 'tokens must be a list of { subject, token }.');
  return given.map((t: { subject?: unknown; token?: unknown }, i) => {
    if (typeof t?.subject !== 'string' || !/^[A-Za-z0-9._:@/-]{1,200}$/.test(t.subject)) throw new WardenError('ERR_SERVER', `Token ${i + 1} has no usable subject (letters, digits and ._:@/- only).`);
    if (typeof t.token !== 'string' || t.token.length < 16 || !/^[A-Za-z0-9\-._~+/]+=*$/.test(t.token)) throw new WardenError('ERR_SERVER', `The token of ${t.subject} must be at least 16 characters of base64url/token68 text.`);
    return { agent: frozenValue<AgentIdentity>({ id: t.subject, verified: { method: 'bearer', issuer: STATIC_ISSUER, keyId: null } }), hash: sha256(t.token) };
  });
}

/** Compares the presented token with every configured one, always all of them, in constant time. */
function matchStatic(statics: readonly StaticToken[], token: string): AgentIdentity | null {
  const presented = sha256(token);
  let found: AgentIdentity | null = null;
  for (const s of statics) if (timingSafeEqual(s.hash, presented) && found === null) found = s.agent;
  return found;
}

function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/** A JWT verifier, the generation of its key set (it changes when a fetched key set is replaced), and its memory of verified tokens. */
interface JwtCheck {
  verify: (token: string, now: Date) => Promise<VerifiedToken>;
  generation: () => number;
  cache: VerifiedTokenCache;
}

function jwtCheck(o: ServerJwtOptions): JwtCheck {
  const { verify, jwks } = jwtVerifier(o);
  // jwks is set only for a key-set verifier, whose module jwtVerifier has already loaded.
  const remote = jwks !== undefined && jwks instanceof jwksModule().RemoteJwks ? jwks : null;
  return { verify, generation: remote === null ? () => 0 : () => remote.generation, cache: new VerifiedTokenCache({ clockToleranceSeconds: o.clockTolerance ?? 0 }) };
}

function jwtVerifier(o: ServerJwtOptions): { verify: (token: string, now: Date) => Promise<VerifiedToken>; jwks: RemoteJwks | JsonWebKeySet | undefined } {
  rejectUnknownKeys(o, ['issuer', 'audience', 'jwks', 'key', 'secret', 'algorithms', 'clockTolerance'], 'ERR_SERVER', 'jwt options');
  if (o.issuer === undefined || o.audience === undefined) throw new WardenError('ERR_SERVER', 'JWT verification needs both an issuer and an audience (--jwt-issuer, --jwt-audience).');
  const given = [o.jwks, o.key, o.secret].filter((x) => x !== undefined).length;
  if (given !== 1) throw new WardenError('ERR_SERVER', 'JWT verification needs exactly one of a key set (jwks), a public key (key) and an HMAC secret (secret).');
  const tolerance = o.clockTolerance ?? 0;
  if (o.secret !== undefined) return { verify: hmacVerifier(o.secret, o.issuer, o.audience, o.algorithms ?? ['HS256'], tolerance), jwks: undefined };
  // Loaded here, outside the try: a verifier that cannot load is ERR_MODULE_LOAD, and no authenticator is made.
  const { createTokenVerifier } = tokenModule();
  const { RemoteJwks } = jwksModule();
  const jwks = typeof o.jwks === 'string' ? new RemoteJwks(o.jwks) : o.jwks;
  try {
    const verify = createTokenVerifier({
      issuer: o.issuer,
      audience: o.audience,
      algorithms: o.algorithms ?? ['EdDSA', 'ES256', 'RS256'],
      clockTolerance: tolerance,
      ...(jwks !== undefined ? { jwks } : {}),
      ...(o.key !== undefined ? { key: o.key } : {}),
    });
    return { verify, jwks };
  } catch (e) {
    throw new WardenError('ERR_SERVER', `The JWT settings are not usable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function hmacVerifier(secret: Uint8Array, issuer: string | string[], audience: string | string[], algorithms: string[], clockTolerance: number): (token: string, now: Date) => Promise<VerifiedToken> {
  if (!(secret instanceof Uint8Array) || secret.byteLength < 32) throw new WardenError('ERR_SERVER', 'The JWT HMAC secret must be at least 32 bytes.');
  if (algorithms.length === 0 || algorithms.some((a) => !HMAC_ALGORITHMS.includes(a))) throw new WardenError('ERR_SERVER', `With an HMAC secret the algorithms are ${HMAC_ALGORITHMS.join(', ')}; got ${algorithms.join(', ')}.`);
  const key = new Uint8Array(secret);
  return async (token, now) => {
    if (token.length > MAX_TOKEN_LENGTH) throw new Error(`the token is over ${MAX_TOKEN_LENGTH} characters`);
    let result: Awaited<ReturnType<typeof jwtVerify>>;
    // jose loads with the first token, not with the server (a service with static tokens never needs it);
    // one that cannot load rejects the token.
    const jose = await import('jose');
    try {
      result = await jose.jwtVerify(token, key, { algorithms, issuer, audience, requiredClaims: ['exp', 'sub'], currentDate: now, clockTolerance });
    } catch (e) {
      throw tokenModule().fromJose(e);
    }
    const sub = result.payload.sub;
    if (typeof sub !== 'string' || sub === '') throw new Error('the token names no subject');
    return { agentId: sub, onBehalfOf: null, issuer: String(result.payload.iss), keyId: typeof result.protectedHeader.kid === 'string' ? result.protectedHeader.kid : null, boundJkt: null, claims: result.payload as VerifiedToken['claims'], header: result.protectedHeader as VerifiedToken['header'] };
  };
}

/**
 * Parses a token file: one `<subject> <token>` per line; blank lines and `#` comments skipped.
 *
 * @example
 * ```ts
 * parseTokenFile('ci-agent 3q2-7wEAAQ_tokenvalue-xyz\n'); // [{ subject: 'ci-agent', token: '3q2-7wEAAQ_tokenvalue-xyz' }]
 * ```
 * @throws WardenError `ERR_SERVER` for a line that is not a subject and a token.
 */
export function parseTokenFile(text: string, where = 'the token file'): Array<{ subject: string; token: string }> {
  const out: Array<{ subject: string; token: string }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const parts = t.split(/\s+/);
    if (parts.length !== 2) throw new WardenError('ERR_SERVER', `Line ${i + 1} of ${where} is not "<subject> <token>".`);
    out.push({ subject: parts[0] as string, token: parts[1] as string });
  });
  return out;
}

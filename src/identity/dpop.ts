/**
 * DPoP proofs (RFC 9449): every check of section 4.3, then the `jti` remembered in a bounded replay
 * store that fails closed when full. The replay check runs last, so only proofs that verified can
 * take a place in the store.
 */
import type { KeyObject } from 'node:crypto';
import { WardenError } from '../errors.js';
import { sha256, toBase64url } from './bytes.js';
import { IdentityError } from './errors.js';
import { assertPublicJwk, jwkThumbprint, publicKeyFromJwk, type JwtClaims, type PublicJwk } from './jwk.js';
import { readJwsHeader, verifyCompactJws } from './jws.js';
import { defaultReplayStore, replayKey, type ReplayStore } from './replay-store.js';
import { checkAlgorithms } from './token.js';

/** Longest proof read. */
export const MAX_PROOF_LENGTH = 8 * 1024;

/**
 * Options of {@link verifyDpopProof}.
 *
 * @example
 * ```ts
 * const options: DpopOptions = { method: 'POST', url: 'https://api.example/tools/refund', accessToken, now: new Date() };
 * ```
 */
export interface DpopOptions {
  /** The HTTP method of the request that carried the proof. */
  method: string;
  /** The URL of that request (query and fragment are ignored, as the RFC says). */
  url: string;
  /** The access token presented with the proof: `ath` must be its hash. */
  accessToken?: string;
  /** The thumbprint the access token is bound to (`cnf.jkt`): the proof's key must have it. */
  jkt?: string;
  /** The nonce the server issued (`DPoP-Nonce`), or those still accepted, or a check; the proof must carry one. */
  nonce?: string | readonly string[] | ((nonce: string) => boolean);
  /** Where `jti`s are remembered; default the process-wide store. */
  replay?: ReplayStore;
  /** The time to check at. */
  now: Date;
  /** How old a proof may be (its `iat`), in seconds; default 60. */
  maxAgeSeconds?: number;
  /** How far in the future `iat` may be (clock skew), in seconds; default 5. */
  clockSkewSeconds?: number;
  /** Accepted algorithms; default Ed25519 (both names), ES256, ES384, PS256, RS256. */
  algorithms?: string[];
}

/**
 * A verified DPoP proof.
 *
 * @example
 * ```ts
 * const { jkt, jti } = await verifyDpopProof(proof, options);
 * ```
 */
export interface VerifiedDpopProof {
  /** The RFC 7638 thumbprint of the proof's key. */
  jkt: string;
  jwk: PublicJwk;
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  alg: string;
  claims: JwtClaims;
}

const OPTION_KEYS = ['method', 'url', 'accessToken', 'jkt', 'nonce', 'replay', 'now', 'maxAgeSeconds', 'clockSkewSeconds', 'algorithms'];
const DEFAULT_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'];

/**
 * Verifies a DPoP proof JWT for one request (RFC 9449 section 4.3).
 *
 * @example
 * ```ts
 * const proof = await verifyDpopProof(req.headers.dpop, { method: req.method, url: 'https://api.example/x', accessToken, jkt: token.boundJkt, now: new Date() });
 * ```
 * @throws IdentityError naming the failed check; WardenError `ERR_OPTIONS` for unsafe options.
 */
export async function verifyDpopProof(proof: string, options: DpopOptions): Promise<VerifiedDpopProof> {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'DPoP options are an object: { method, url, now, ... }.');
  for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) throw new WardenError('ERR_OPTIONS', `Unknown DPoP option ${JSON.stringify(k)}; the options are ${OPTION_KEYS.join(', ')}.`);
  const { method, now } = options;
  if (typeof method !== 'string' || method === '') throw new WardenError('ERR_OPTIONS', 'method must be the request\'s HTTP method.');
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new WardenError('ERR_OPTIONS', 'now must be a valid Date.');
  const target = normalizeHtu(options.url);
  if (target === null) throw new WardenError('ERR_OPTIONS', `url must be the request's absolute http(s) URL; got ${JSON.stringify(options.url)}.`);
  const algorithms = checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS);
  const maxAge = options.maxAgeSeconds ?? 60;
  const skew = options.clockSkewSeconds ?? 5;
  if (!(maxAge > 0) || !(skew >= 0)) throw new WardenError('ERR_OPTIONS', 'maxAgeSeconds must be positive and clockSkewSeconds not negative.');

  // (2) a single well-formed JWT.
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > MAX_PROOF_LENGTH || proof.split('.').length !== 3) {
    throw new IdentityError('malformed', `The DPoP proof is not one compact JWT of at most ${MAX_PROOF_LENGTH} characters.`);
  }
  const header = readJwsHeader(proof);
  // (4) typ, (5) an allowed asymmetric alg, never none, (7) a public jwk.
  if (header.typ !== 'dpop+jwt') throw new IdentityError('type', `The DPoP proof's typ is ${JSON.stringify(header.typ)}; it must be "dpop+jwt".`);
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw new IdentityError('algorithm', `The DPoP proof's algorithm ${JSON.stringify(header.alg)} is not allowed (allowed: ${algorithms.join(', ')}).`);
  assertPublicJwk(header.jwk, 'The DPoP proof\'s jwk header');
  const jwk = header.jwk as PublicJwk;
  const jkt = jwkThumbprint(jwk);
  // (6) the signature, with the embedded key (synchronously, through node:crypto).
  const { payload } = verifyCompactJws(proof, embeddedKey(jkt, jwk), algorithms);
  let claims: JwtClaims;
  try {
    claims = JSON.parse(payload.toString('utf8')) as JwtClaims;
  } catch {
    throw new IdentityError('malformed', 'The DPoP proof\'s payload is not JSON.');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new IdentityError('malformed', 'The DPoP proof\'s payload is not a JSON object.');
  const nowSeconds = now.getTime() / 1000;
  if (typeof claims.exp === 'number' && claims.exp < nowSeconds) throw new IdentityError('expired', 'The DPoP proof has expired (exp).');
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + skew) throw new IdentityError('not_yet_valid', 'The DPoP proof is not valid yet (nbf).');
  // (3) the required claims.
  const { jti, htm, htu, iat } = claims as { jti?: unknown; htm?: unknown; htu?: unknown; iat?: unknown };
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 512) throw new IdentityError('claim', 'The DPoP proof lacks a jti (or it is over 512 characters).');
  if (typeof htm !== 'string' || typeof htu !== 'string') throw new IdentityError('claim', 'The DPoP proof lacks htm or htu.');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new IdentityError('claim', 'The DPoP proof lacks a numeric iat.');
  // (8) htm, (9) htu after normalization, query and fragment ignored.
  if (htm !== method) throw new IdentityError('method', `The DPoP proof is for ${JSON.stringify(htm)}, not ${JSON.stringify(method)}.`);
  if (normalizeHtu(htu) !== target) throw new IdentityError('url', `The DPoP proof is for ${JSON.stringify(htu)}, not ${JSON.stringify(options.url)}.`);
  // (10) the server's nonce.
  if (options.nonce !== undefined) {
    const n = (claims as { nonce?: unknown }).nonce;
    const ok = typeof n === 'string' && (typeof options.nonce === 'function' ? options.nonce(n) === true : typeof options.nonce === 'string' ? n === options.nonce : options.nonce.includes(n));
    if (!ok) throw new IdentityError('nonce', 'The DPoP proof does not carry the nonce the server issued.');
  }
  // (11) iat inside the window.
  const nowS = now.getTime() / 1000;
  if (iat > nowS + skew) throw new IdentityError('not_yet_valid', `The DPoP proof was issued in the future (iat ${iat}).`);
  if (iat < nowS - maxAge) throw new IdentityError('expired', `The DPoP proof is older than ${maxAge} s (iat ${iat}).`);
  // (12) bound to the access token and to the key it is bound to.
  if (options.accessToken !== undefined) {
    const ath = (claims as { ath?: unknown }).ath;
    if (typeof ath !== 'string' || ath !== toBase64url(sha256(options.accessToken))) throw new IdentityError('binding', 'The DPoP proof\'s ath is not the hash of the access token presented with it.');
  }
  if (options.jkt !== undefined && options.jkt !== jkt) throw new IdentityError('binding', 'The access token is bound to another key than the one that signed the DPoP proof (cnf.jkt).');
  // jti unique within the window: last, so a proof that failed any check never takes a place.
  const verdict = await (options.replay ?? defaultReplayStore()).remember(replayKey('dpop', jkt, jti), Math.ceil((iat + maxAge) * 1000) + 1, now.getTime());
  if (verdict === 'replayed') throw new IdentityError('replayed', `The DPoP proof ${JSON.stringify(jti)} was already used.`);
  if (verdict !== 'fresh') throw new IdentityError('replay_store_full', 'The DPoP replay store is full of live entries; denying rather than forgetting one.');
  return { jkt, jwk, jti, htm, htu, iat, alg: header.alg, claims };
}

/** Imported proof keys by thumbprint: a client signs many proofs with one key. Bounded; cleared when full. */
const keyCache = new Map<string, KeyObject>();

function embeddedKey(jkt: string, jwk: PublicJwk): KeyObject {
  let key = keyCache.get(jkt);
  if (key === undefined) {
    key = publicKeyFromJwk(jwk, 'The DPoP proof\'s jwk header');
    if (keyCache.size >= 1024) keyCache.clear();
    keyCache.set(jkt, key);
  }
  return key;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * An http(s) URL without query and fragment, after RFC 3986 syntax- and scheme-based normalization
 * (case of scheme and host, default port, dot segments, percent-encoding); null when it is not one.
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://Server.Example.COM:443/a/../token?x=1'); // 'https://server.example.com/token'
 * ```
 */
export function normalizeHtu(u: unknown): string | null {
  if (typeof u !== 'string' || u.length > 8192) return null;
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return null;
  const path = url.pathname.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Dashboard login through an OpenID Connect provider: the authorization-code flow with PKCE (S256),
 * a state and a nonce, the ID token verified with jose against the keys the provider publishes
 * (discovery, then its jwks_uri). The dashboard's own session cookie is SameSite=Strict, so it is
 * not sent on the provider's cross-site redirect back: the flow keeps its state, nonce and PKCE
 * verifier in a separate short-lived, signed SameSite=Lax cookie scoped to the callback, and the
 * callback lands the session with a same-site refresh.
 *
 * Every way a login can fail is one of {@link OidcFailure}: no session, a page naming the failure
 * code and nothing the provider or the token said, and one {@link OidcLoginEvent} for the log.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';

/**
 * Why an OIDC login failed (the `reason` of an {@link OidcError}, and the code on the error page).
 *
 * - `state`: the callback's state is missing, altered, expired, already used, or its cookie is.
 * - `provider_error`: the provider redirected back with an error (the person declined, for example).
 * - `issuer_mismatch`: the callback's `iss` parameter, the discovery document or the ID token names another issuer.
 * - `code_rejected`: the token endpoint refused the code (replayed, altered, issued to another client, wrong PKCE verifier).
 * - `token_invalid`: the token response or the ID token is malformed.
 * - `signature`: the ID token's signature does not verify with the provider's published keys.
 * - `algorithm`: the ID token is signed with an algorithm not allowed (`none`, HS256, ...).
 * - `audience`: the ID token is for another client (`aud`, or `azp` with several audiences).
 * - `expired`: the ID token expired (or is not yet valid).
 * - `nonce`: the ID token's nonce is not this login's.
 * - `no_role`: the token carries no role the dashboard grants: no access (403).
 * - `issuer_unreachable`: discovery, the token endpoint or the key set could not be fetched in time.
 * - `login_capacity`: too many logins are in flight; try again shortly.
 *
 * @example
 * ```ts
 * const r: OidcFailure = 'nonce';
 * ```
 */
export type OidcFailure = 'state' | 'provider_error' | 'issuer_mismatch' | 'code_rejected' | 'token_invalid' | 'signature' | 'algorithm' | 'audience' | 'expired' | 'nonce' | 'no_role' | 'issuer_unreachable' | 'login_capacity';

/**
 * A failed OIDC login: code `ERR_OIDC`, `reason` one of {@link OidcFailure}.
 *
 * @example
 * ```ts
 * if (e instanceof OidcError && e.reason === 'no_role') status = 403;
 * ```
 */
export class OidcError extends WardenError {
  readonly reason: OidcFailure;
  /** The dashboard name (`oidc:<sub>`) when the ID token verified before the login was refused (no role), else null. */
  readonly subject: string | null;
  constructor(reason: OidcFailure, message: string, options?: { cause?: unknown; subject?: string }) {
    super('ERR_OIDC', message, options);
    this.name = 'OidcError';
    this.reason = reason;
    this.subject = options?.subject ?? null;
  }
}

/**
 * What one login attempt came to, for the log (never a token, a code or a claim beyond the subject).
 *
 * @example
 * ```ts
 * const e: OidcLoginEvent = { ok: false, code: 'ERR_OIDC', reason: 'nonce', message: 'The ID token is not for this login (nonce).', subject: null, roles: [] };
 * ```
 */
export interface OidcLoginEvent {
  ok: boolean;
  code: 'ERR_OIDC' | null;
  reason: OidcFailure | null;
  message: string;
  /** The dashboard name (`oidc:<sub>`) once the ID token verified, else null. */
  subject: string | null;
  roles: readonly string[];
}

/**
 * Options of the dashboard's OIDC login (`createDashboard({ oidc })`).
 *
 * @example
 * ```ts
 * const oidc: DashboardOidcOptions = {
 *   issuer: 'https://login.example.com',
 *   clientId: 'warden-dashboard',
 *   clientSecret: process.env.OIDC_CLIENT_SECRET,
 *   redirectUri: 'https://warden.example.com/ui/oidc/callback',
 *   rolesClaim: 'groups',
 *   roleMap: { 'warden-approvers': ['finance'], 'warden-ops': ['kill'], 'warden-viewers': ['viewer'] },
 * };
 * ```
 */
export interface DashboardOidcOptions {
  /** The issuer URL exactly as the provider's discovery document names it (https; http only for a loopback host). */
  issuer: string;
  /** The client id registered at the provider; ID tokens must name it as their audience. */
  clientId: string;
  /** The client secret (sent as HTTP Basic to the token endpoint); absent: a public client, PKCE only. */
  clientSecret?: string;
  /** The callback URL registered at the provider: the dashboard's `<prefix>/oidc/callback`, absolute. */
  redirectUri: string;
  /** The claim holding the person's roles: a name or a dotted path (`realm_access.roles`); default `roles`. */
  rolesClaim?: string;
  /** Claim value to dashboard roles. Given: only mapped values count. Absent: claim values are the roles. */
  roleMap?: Readonly<Record<string, readonly string[]>>;
  /** The scopes asked for (default `openid profile`); must include `openid`. */
  scope?: string;
  /** Signature algorithms accepted for ID tokens (default RS256, PS256, ES256, EdDSA); never `none` nor HMAC. */
  algorithms?: readonly string[];
  /** How long discovery, the token endpoint and the key set may take (default 5000 ms). */
  timeoutMs?: number;
  /** Told about every login attempt, successful or not (default: a line on stderr). */
  onLogin?: (event: OidcLoginEvent) => void;
  /** The fetch to use for discovery, the token endpoint and the key set; default the global fetch. */
  fetch?: typeof fetch;
}

/** A verified OIDC login: the dashboard name and roles the session carries. */
export interface OidcIdentity {
  name: string;
  roles: string[];
}

/** What the state cookie carries (signed by the dashboard). */
export interface OidcPending {
  state: string;
  nonce: string;
  verifier: string;
  expires: number;
}

const KEYS = ['issuer', 'clientId', 'clientSecret', 'redirectUri', 'rolesClaim', 'roleMap', 'scope', 'algorithms', 'timeoutMs', 'onLogin', 'fetch'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** How long a login may take between leaving for the provider and coming back. */
export const OIDC_PENDING_MS = 10 * 60_000;
/** Most logins in flight (states remembered as used for their window); beyond it logins are refused, never forgotten early. */
const MAX_PENDING = 10_000;
const MAX_ROLES = 20;
const DISCOVERY_TTL_MS = 3_600_000;

interface Discovery {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  /** The provider says it names itself in every authorization response (RFC 9207): then `iss` must be there. */
  issInResponse: boolean;
}

/**
 * The OIDC client of the dashboard: builds the authorization redirect and turns a callback into an
 * identity, or throws an {@link OidcError}.
 *
 * @example
 * ```ts
 * const client = new OidcClient(options);
 * const { url, pending } = await client.begin(Date.now());
 * const who = await client.finish(new URL(callbackUrl).searchParams, pending, Date.now());
 * ```
 */
export class OidcClient {
  readonly issuer: string;
  readonly #o: DashboardOidcOptions;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #algorithms: string[];
  readonly #rolesPath: string[];
  readonly #scope: string;
  #discovery: { at: number; value: Promise<Discovery> } | null = null;
  /** States already used (or begun), until their window ends: a callback is accepted once. */
  readonly #used = new Map<string, number>();

  constructor(options: DashboardOidcOptions) {
    if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'oidc options are { issuer, clientId, redirectUri, ... }.');
    rejectUnknownKeys(options, KEYS, 'ERR_OPTIONS', 'dashboard oidc options');
    this.issuer = checkUrl(options.issuer, 'oidc issuer');
    if (this.issuer !== options.issuer) throw new WardenError('ERR_OPTIONS', `Give the oidc issuer exactly as the provider names it (${JSON.stringify(options.issuer)} normalizes to ${JSON.stringify(this.issuer)}).`);
    checkUrl(options.redirectUri, 'oidc redirectUri');
    if (typeof options.clientId !== 'string' || options.clientId === '' || options.clientId.length > 500) throw new WardenError('ERR_OPTIONS', 'The oidc clientId is the client id registered at the provider.');
    if (options.clientSecret !== undefined && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) throw new WardenError('ERR_OPTIONS', 'The oidc clientSecret, when given, is a non-empty string.');
    const rolesClaim = options.rolesClaim ?? 'roles';
    if (typeof rolesClaim !== 'string' || !/^[\w:/-]+(\.[\w:/-]+)*$/.test(rolesClaim)) throw new WardenError('ERR_OPTIONS', `The oidc rolesClaim is a claim name or dotted path; got ${JSON.stringify(rolesClaim)}.`);
    this.#rolesPath = rolesClaim.split('.');
    if (options.roleMap !== undefined) {
      if (options.roleMap === null || typeof options.roleMap !== 'object' || Array.isArray(options.roleMap)) throw new WardenError('ERR_OPTIONS', 'The oidc roleMap maps claim values to lists of dashboard roles.');
      for (const [k, v] of Object.entries(options.roleMap)) {
        if (!Array.isArray(v) || v.length === 0 || v.some((r) => typeof r !== 'string' || r === '' || r.length > 200)) throw new WardenError('ERR_OPTIONS', `The oidc roleMap entry ${JSON.stringify(k)} must list at least one dashboard role.`);
      }
    }
    this.#scope = options.scope ?? 'openid profile';
    if (typeof this.#scope !== 'string' || !this.#scope.split(' ').includes('openid')) throw new WardenError('ERR_OPTIONS', 'The oidc scope must include openid.');
    this.#algorithms = [...(options.algorithms ?? ['RS256', 'PS256', 'ES256', 'EdDSA'])];
    // invariant: only asymmetric algorithms: `none` and HMAC (keyed with a public key) never verify an ID token here.
    if (this.#algorithms.length === 0 || this.#algorithms.some((a) => !ASYMMETRIC.includes(a))) throw new WardenError('ERR_OPTIONS', `oidc algorithms are asymmetric JWS algorithms (${ASYMMETRIC.join(', ')}).`);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    if (!Number.isSafeInteger(this.#timeoutMs) || this.#timeoutMs < 1 || this.#timeoutMs > 60_000) throw new WardenError('ERR_OPTIONS', 'oidc timeoutMs is a whole number of milliseconds from 1 to 60000.');
    if (options.onLogin !== undefined && typeof options.onLogin !== 'function') throw new WardenError('ERR_OPTIONS', 'oidc onLogin is a function.');
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new WardenError('ERR_OPTIONS', 'oidc fetch is a function.');
    this.#o = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Tells the configured listener (default: stderr) how a login went. */
  report(event: OidcLoginEvent): void {
    try {
      if (this.#o.onLogin !== undefined) this.#o.onLogin(event);
      else process.stderr.write(`warden dashboard: OIDC login ${event.ok ? `of ${event.subject ?? ''} with roles ${event.roles.join(',')}` : `refused (${event.code}:${event.reason}): ${event.message}`}\n`);
    } catch {
      // a listener that throws does not change the login's outcome
    }
  }

  /**
   * Starts a login: fresh state, nonce and PKCE verifier, and the provider's authorization URL.
   *
   * @throws OidcError `issuer_unreachable` when discovery fails; `login_capacity` when too many logins are in flight.
   */
  async begin(now: number): Promise<{ url: string; pending: OidcPending }> {
    const d = await this.#discover(now);
    this.#prune(now);
    if (this.#used.size >= MAX_PENDING) throw new OidcError('login_capacity', 'Too many logins are in progress; try again in a few minutes.');
    const pending: OidcPending = { state: random(), nonce: random(), verifier: random(), expires: now + OIDC_PENDING_MS };
    const url = new URL(d.authorizationEndpoint);
    const q = url.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', this.#o.clientId);
    q.set('redirect_uri', this.#o.redirectUri);
    q.set('scope', this.#scope);
    q.set('state', pending.state);
    q.set('nonce', pending.nonce);
    q.set('code_challenge', createHash('sha256').update(pending.verifier).digest('base64url'));
    q.set('code_challenge_method', 'S256');
    return { url: url.href, pending };
  }

  /**
   * Finishes a login from the callback's query and the pending login its cookie carried.
   *
   * @throws OidcError naming the check that failed.
   */
  async finish(query: URLSearchParams, pending: OidcPending | null, now: number): Promise<OidcIdentity> {
    const state = query.get('state');
    if (pending === null || pending.expires <= now) throw new OidcError('state', 'This login has no (or an expired) login cookie; start the login again.');
    if (state === null || !equal(state, pending.state)) throw new OidcError('state', 'The login response does not belong to this login (state); start the login again.');
    this.#prune(now);
    // invariant: a state is accepted once; a replayed callback (even with its cookie) is refused.
    if (this.#used.has(state)) throw new OidcError('state', 'This login response was already used; start the login again.');
    if (this.#used.size >= MAX_PENDING) throw new OidcError('login_capacity', 'Too many logins are in progress; try again in a few minutes.');
    this.#used.set(state, pending.expires);
    const d = await this.#discover(now);
    const iss = query.get('iss');
    // RFC 9207: the response names its issuer (mix-up defence); a provider that promises to must not leave it out.
    if ((iss !== null && iss !== this.issuer) || (iss === null && d.issInResponse)) throw new OidcError('issuer_mismatch', 'The login response came from another issuer than the one configured.');
    if (query.get('error') !== null) throw new OidcError('provider_error', 'The identity provider did not log you in.');
    const code = query.get('code');
    if (code === null || code === '' || code.length > 4096) throw new OidcError('code_rejected', 'The login response carries no authorization code.');
    const idToken = await this.#exchange(d, code, pending.verifier);
    const claims = await this.#verify(d, idToken, pending.nonce, now);
    if (typeof claims.sub !== 'string' || claims.sub === '' || claims.sub.length > 255) throw new OidcError('token_invalid', 'The ID token names no subject.');
    const roles = this.#roles(claims);
    const name = `oidc:${claims.sub}`;
    if (roles.length === 0) throw new OidcError('no_role', 'Your account has no role for this dashboard; ask an administrator to grant one.', { subject: name });
    return { name, roles };
  }

  async #exchange(d: Discovery, code: string, verifier: string): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.#o.redirectUri, code_verifier: verifier, client_id: this.#o.clientId });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.#o.clientSecret !== undefined) headers.authorization = `Basic ${Buffer.from(`${formEncode(this.#o.clientId)}:${formEncode(this.#o.clientSecret)}`).toString('base64')}`;
    let status: number;
    let parsed: unknown;
    try {
      const res = await this.#fetch(d.tokenEndpoint, { method: 'POST', headers, body: body.toString(), redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs) });
      status = res.status;
      const text = await res.text();
      if (text.length > 256 * 1024) throw new OidcError('token_invalid', 'The token response is too large.');
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    } catch (e) {
      if (e instanceof OidcError) throw e;
      throw new OidcError('issuer_unreachable', 'The identity provider\'s token endpoint could not be reached.', { cause: e });
    }
    if (status === 400 || status === 401) throw new OidcError('code_rejected', 'The identity provider refused the authorization code.');
    if (status !== 200) throw new OidcError('issuer_unreachable', `The identity provider's token endpoint answered HTTP ${status}.`);
    const idToken = (parsed as { id_token?: unknown } | null)?.id_token;
    if (typeof idToken !== 'string' || idToken === '') throw new OidcError('token_invalid', 'The token response carries no ID token.');
    return idToken;
  }

  async #verify(d: Discovery, idToken: string, nonce: string, now: number): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, d.jwks, { issuer: this.issuer, audience: this.#o.clientId, algorithms: this.#algorithms, currentDate: new Date(now), clockTolerance: 30, requiredClaims: ['sub', 'iat', 'exp'] }));
    } catch (e) {
      throw joseFailure(e);
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.#o.clientId) throw new OidcError('audience', 'The ID token is for another client (azp).');
    if (payload.azp !== undefined && payload.azp !== this.#o.clientId) throw new OidcError('audience', 'The ID token is for another client (azp).');
    if (typeof payload.nonce !== 'string' || !equal(payload.nonce, nonce)) throw new OidcError('nonce', 'The ID token is not for this login (nonce).');
    return payload;
  }

  #roles(claims: JWTPayload): string[] {
    let v: unknown = claims;
    for (const key of this.#rolesPath) v = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '' && x.length <= 200) : [];
    const map = this.#o.roleMap;
    const roles = new Set<string>();
    for (const value of values) {
      if (map === undefined) roles.add(value);
      else if (Object.hasOwn(map, value)) for (const r of map[value] as readonly string[]) roles.add(r);
    }
    return [...roles].slice(0, MAX_ROLES);
  }

  #discover(now: number): Promise<Discovery> {
    if (this.#discovery !== null && now - this.#discovery.at < DISCOVERY_TTL_MS) return this.#discovery.value;
    const value = this.#fetchDiscovery();
    this.#discovery = { at: now, value };
    // A failed discovery is not kept: the next login asks again.
    value.catch(() => {
      if (this.#discovery?.value === value) this.#discovery = null;
    });
    return value;
  }

  async #fetchDiscovery(): Promise<Discovery> {
    let doc: Record<string, unknown>;
    try {
      const res = await this.#fetch(`${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > 256 * 1024) throw new Error('the discovery document is too large');
      doc = JSON.parse(text) as Record<string, unknown>;
      if (doc === null || typeof doc !== 'object') throw new Error('the discovery document is not an object');
    } catch (e) {
      throw new OidcError('issuer_unreachable', 'The identity provider could not be reached (discovery).', { cause: e });
    }
    // invariant: the document names exactly the configured issuer (OpenID Connect Discovery 1.0, section 4.3).
    if (doc.issuer !== this.issuer) throw new OidcError('issuer_mismatch', 'The identity provider\'s discovery document names another issuer.');
    const endpoint = (name: string): string => {
      const v = doc[name];
      let href: string;
      try {
        href = checkUrl(v, name);
      } catch {
        throw new OidcError('issuer_unreachable', `The identity provider's discovery document has no usable ${name}.`);
      }
      // invariant: an https issuer's endpoints are https too (no downgrade to a loopback http listener).
      if (this.issuer.startsWith('https:') && !href.startsWith('https:')) throw new OidcError('issuer_unreachable', `The identity provider's ${name} is not https.`);
      return href;
    };
    const methods = doc.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) throw new OidcError('issuer_unreachable', 'The identity provider does not support PKCE with S256.');
    const jwksUri = endpoint('jwks_uri');
    const fetchImpl = this.#fetch;
    return {
      authorizationEndpoint: endpoint('authorization_endpoint'),
      tokenEndpoint: endpoint('token_endpoint'),
      issInResponse: doc.authorization_response_iss_parameter_supported === true,
      jwks: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.#timeoutMs, cooldownDuration: 30_000, [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, { ...init, redirect: 'error' }) }),
    };
  }

  #prune(now: number): void {
    for (const [state, expires] of this.#used) if (expires <= now) this.#used.delete(state);
  }
}

/** A jose verification error as the failure it means. */
function joseFailure(e: unknown): OidcError {
  const code = (e as { code?: unknown } | null)?.code;
  const claim = (e as { claim?: unknown } | null)?.claim;
  if (e instanceof joseErrors.JWTExpired) return new OidcError('expired', 'The ID token has expired.', { cause: e });
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'iss') return new OidcError('issuer_mismatch', 'The ID token was issued by another issuer.', { cause: e });
    if (claim === 'aud') return new OidcError('audience', 'The ID token is for another client (aud).', { cause: e });
    if (claim === 'nbf' || claim === 'iat') return new OidcError('expired', 'The ID token is not valid at this time.', { cause: e });
    return new OidcError('token_invalid', 'The ID token lacks a required claim.', { cause: e });
  }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JOSE_NOT_SUPPORTED') return new OidcError('algorithm', 'The ID token is signed with an algorithm that is not allowed.', { cause: e });
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return new OidcError('signature', 'The ID token\'s signature does not verify with the provider\'s keys.', { cause: e });
  if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || e instanceof TypeError || (e instanceof Error && e.name === 'AbortError')) return new OidcError('issuer_unreachable', 'The identity provider\'s keys could not be fetched.', { cause: e });
  return new OidcError('token_invalid', 'The ID token is malformed.', { cause: e });
}

/** A URL that is https, or http to a loopback host; returns its href. */
function checkUrl(value: unknown, what: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new WardenError('ERR_OPTIONS', `The ${what} ${JSON.stringify(value)} is not a URL.`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (typeof value !== 'string' || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) || url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new WardenError('ERR_OPTIONS', `The ${what} must be an https URL (http only on a loopback host) without credentials or fragment; got ${JSON.stringify(value)}.`);
  }
  return url.href === `${value}/` ? value : url.href;
}

/** RFC 6749 section 2.3.1: client credentials are form-encoded before HTTP Basic. */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}

function random(): string {
  return randomBytes(32).toString('base64url');
}

function equal(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

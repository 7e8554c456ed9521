/**
 * Dashboard login: configured tokens (compared in constant time), a session cookie signed with
 * HMAC-SHA256 (HttpOnly, SameSite=Strict, Secure over TLS), and per-session CSRF tokens derived
 * from the session's random id. The cookie carries only the login's name, a fingerprint of its
 * token, an id and an expiry: roles are read from the configuration on every request, so removing
 * or re-keying a login ends its sessions.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { WardenError } from '../errors.js';
import type { OidcIdentity, OidcPending } from './oidc.js';

/**
 * One login: a name (recorded as who answered or killed), its secret token, and its roles.
 *
 * @example
 * ```ts
 * const l: DashboardLogin = { name: 'alice', token: process.env.ALICE_TOKEN!, roles: ['finance', 'kill'] };
 * ```
 */
export interface DashboardLogin {
  name: string;
  /** At least 16 characters; give each person their own. */
  token: string;
  roles?: readonly string[];
}

/** A logged-in user, as a request carries it. */
export interface SessionUser {
  name: string;
  roles: readonly string[];
  /** The CSRF token every form of this session must send back. */
  csrf: string;
}

const COOKIE = 'warden_session';
const LOGIN_COOKIE = 'warden_login';
const OIDC_COOKIE = 'warden_oidc';

/** Logins, signing and checking of sessions. */
export class Sessions {
  readonly #logins: ReadonlyMap<string, { login: DashboardLogin; digest: Buffer; fingerprint: string }>;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #secure: boolean | 'auto';
  readonly #path: string;
  readonly #oidc: boolean;

  /** `oidc`: people may also log in through an OIDC provider, so the token logins may be empty. */
  constructor(logins: readonly DashboardLogin[], secret: string | Uint8Array | undefined, ttlMs: number, secure: boolean | 'auto', path: string, oidc = false) {
    if (!Array.isArray(logins) || (logins.length === 0 && !oidc)) throw new WardenError('ERR_OPTIONS', 'The dashboard needs at least one login ({ name, token, roles }); it has no anonymous access.');
    const map = new Map<string, { login: DashboardLogin; digest: Buffer; fingerprint: string }>();
    const tokens = new Set<string>();
    for (const login of logins) {
      if (login === null || typeof login !== 'object') throw new WardenError('ERR_OPTIONS', 'Each dashboard login is { name, token, roles? }.');
      for (const key of Object.keys(login)) if (!['name', 'token', 'roles'].includes(key)) throw new WardenError('ERR_OPTIONS', `Unknown key ${JSON.stringify(key)} in a dashboard login; the keys are name, token, roles.`);
      if (typeof login.name !== 'string' || !/^[\w.@+-]{1,100}$/.test(login.name)) throw new WardenError('ERR_OPTIONS', `A dashboard login name is 1-100 letters, digits and . @ + - _; got ${JSON.stringify(login.name)}.`);
      if (typeof login.token !== 'string' || login.token.length < 16 || login.token.length > 1024) throw new WardenError('ERR_OPTIONS', `The token of dashboard login ${login.name} must be 16 to 1024 characters.`);
      if (map.has(login.name)) throw new WardenError('ERR_OPTIONS', `Two dashboard logins are named ${login.name}.`);
      if (tokens.has(login.token)) throw new WardenError('ERR_OPTIONS', `Dashboard login ${login.name} shares its token with another login; give each its own.`);
      const roles = login.roles ?? [];
      if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string' || r === '' || r.length > 200)) throw new WardenError('ERR_OPTIONS', `The roles of dashboard login ${login.name} must be a list of names.`);
      tokens.add(login.token);
      const digest = createHash('sha256').update(login.token).digest();
      map.set(login.name, { login: { name: login.name, token: login.token, roles: [...roles] }, digest, fingerprint: digest.subarray(0, 12).toString('base64url') });
    }
    this.#logins = map;
    if (secret !== undefined && (typeof secret === 'string' ? Buffer.byteLength(secret) : (secret as Uint8Array).byteLength) < 32) {
      throw new WardenError('ERR_OPTIONS', 'The dashboard session secret must be at least 32 bytes.');
    }
    // Without a configured secret, sessions last as long as this process (and one instance only).
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret as string);
    this.#ttlMs = ttlMs;
    this.#secure = secure;
    this.#path = path;
    this.#oidc = oidc;
  }

  /** The login whose token this is, or null (every configured token is compared, in constant time). */
  check(token: string): DashboardLogin | null {
    const given = createHash('sha256').update(String(token)).digest();
    let found: DashboardLogin | null = null;
    for (const { login, digest } of this.#logins.values()) if (timingSafeEqual(given, digest)) found = login;
    return found;
  }

  /** The Set-Cookie value starting a session for `login`. */
  start(req: IncomingMessage, login: DashboardLogin, now: number): string {
    const entry = this.#logins.get(login.name);
    const payload = Buffer.from(JSON.stringify({ n: login.name, f: entry?.fingerprint ?? '', s: randomBytes(16).toString('base64url'), e: now + this.#ttlMs })).toString('base64url');
    return this.#cookie(req, COOKIE, `${payload}.${this.#mac('session', payload)}`, Math.floor(this.#ttlMs / 1000));
  }

  /**
   * The Set-Cookie value starting a session for a person the OIDC provider vouched for: the cookie
   * carries their roles (signed), since no configuration lists them.
   */
  startOidc(req: IncomingMessage, who: OidcIdentity, now: number): string {
    const payload = Buffer.from(JSON.stringify({ n: who.name, o: 1, r: who.roles, s: randomBytes(16).toString('base64url'), e: now + this.#ttlMs })).toString('base64url');
    return this.#cookie(req, COOKIE, `${payload}.${this.#mac('session', payload)}`, Math.floor(this.#ttlMs / 1000));
  }

  /**
   * The Set-Cookie value holding a login in progress at the OIDC provider: SameSite=Lax (it must
   * come back on the provider's cross-site redirect), scoped to the callback, signed, short-lived.
   */
  oidcPendingCookie(req: IncomingMessage, pending: OidcPending, now: number): string {
    const payload = Buffer.from(JSON.stringify({ t: pending.state, n: pending.nonce, v: pending.verifier, e: pending.expires })).toString('base64url');
    return this.#cookie(req, OIDC_COOKIE, `${payload}.${this.#mac('oidc-pending', payload)}`, Math.max(0, Math.floor((pending.expires - now) / 1000)), 'Lax', `${this.#path}/oidc`);
  }

  /** The login in progress the request's OIDC cookie carries, or null (none, a bad signature, malformed). */
  oidcPending(req: IncomingMessage): OidcPending | null {
    const value = cookieOf(req, OIDC_COOKIE);
    if (value === null) return null;
    const dot = value.indexOf('.');
    if (dot < 1) return null;
    const payload = value.slice(0, dot);
    if (!safeEqual(value.slice(dot + 1), this.#mac('oidc-pending', payload))) return null;
    try {
      const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { t?: unknown; n?: unknown; v?: unknown; e?: unknown };
      if (typeof p.t !== 'string' || typeof p.n !== 'string' || typeof p.v !== 'string' || typeof p.e !== 'number') return null;
      return { state: p.t, nonce: p.n, verifier: p.v, expires: p.e };
    } catch {
      return null;
    }
  }

  /** The Set-Cookie value removing the OIDC login cookie. */
  oidcPendingEnd(req: IncomingMessage): string {
    return this.#cookie(req, OIDC_COOKIE, '', 0, 'Lax', `${this.#path}/oidc`);
  }

  /** The Set-Cookie value ending the session. */
  end(req: IncomingMessage): string {
    return this.#cookie(req, COOKIE, '', 0);
  }

  /** The logged-in user of a request, or null (no cookie, a bad signature, expired, or a login that no longer exists). */
  user(req: IncomingMessage, now: number): SessionUser | null {
    const value = cookieOf(req, COOKIE);
    if (value === null) return null;
    const dot = value.indexOf('.');
    if (dot < 1) return null;
    const payload = value.slice(0, dot);
    if (!safeEqual(value.slice(dot + 1), this.#mac('session', payload))) return null;
    let parsed: { n?: unknown; f?: unknown; s?: unknown; e?: unknown; o?: unknown; r?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      return null;
    }
    if (typeof parsed.n !== 'string' || typeof parsed.s !== 'string' || typeof parsed.e !== 'number' || parsed.e <= now) return null;
    if (parsed.o === 1) {
      // invariant: an OIDC session has a role (no role was refused at login) and a name no token login can have.
      if (!this.#oidc || !parsed.n.startsWith('oidc:') || !Array.isArray(parsed.r) || parsed.r.length === 0 || parsed.r.some((r) => typeof r !== 'string')) return null;
      return { name: parsed.n, roles: parsed.r as string[], csrf: this.#mac('csrf', parsed.s) };
    }
    const entry = this.#logins.get(parsed.n);
    if (entry === undefined || entry.fingerprint !== parsed.f) return null;
    return { name: entry.login.name, roles: entry.login.roles ?? [], csrf: this.#mac('csrf', parsed.s) };
  }

  /** A pre-login CSRF pair: the cookie to set and the token the login form carries. */
  loginForm(req: IncomingMessage): { cookie: string; csrf: string } {
    const nonce = cookieOf(req, LOGIN_COOKIE) ?? randomBytes(16).toString('base64url');
    return { cookie: this.#cookie(req, LOGIN_COOKIE, nonce, 3600), csrf: this.#mac('login', nonce) };
  }

  /** Whether a login form's CSRF token matches the request's login cookie. */
  loginCsrfOk(req: IncomingMessage, csrf: string | null): boolean {
    const nonce = cookieOf(req, LOGIN_COOKIE);
    return nonce !== null && csrf !== null && safeEqual(csrf, this.#mac('login', nonce));
  }

  #mac(purpose: string, value: string): string {
    return createHmac('sha256', this.#key).update(`warden-dashboard:${purpose}:${value}`).digest('base64url');
  }

  #cookie(req: IncomingMessage, name: string, value: string, maxAge: number, sameSite: 'Strict' | 'Lax' = 'Strict', path = this.#path): string {
    const secure = this.#secure === 'auto' ? (req.socket as TLSSocket).encrypted === true : this.#secure;
    return `${name}=${value}; Path=${path}; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
  }
}

/** Compares two strings in constant time (for equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieOf(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_.-]{1,4096}$/.test(v) ? v : null;
    }
  }
  return null;
}

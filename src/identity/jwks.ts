/**
 * A remote JSON Web Key Set with a bounded cache: keys are fetched (through an injected or the
 * global fetch), kept for a TTL, refetched once when a token names an unknown key, served stale
 * while a refetch fails, and refused once older than a hard maximum staleness: verification then
 * fails closed instead of trusting keys that may have been revoked long ago.
 */
import type { KeyObject, webcrypto } from 'node:crypto';
import { createLocalJWKSet, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import { WardenError } from '../errors.js';
import { assertPublicJwk, type JsonWebKeySet, type JwsHeader } from './jwk.js';
import { IdentityError, messageOf } from './errors.js';

type KeyGetter = ReturnType<typeof createLocalJWKSet>;

/** The fetch a key set calls (WHATWG fetch's shape). */
export type JwksFetch = (url: string, init: { redirect: 'error'; signal: AbortSignal; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/**
 * Options of {@link RemoteJwks}.
 *
 * @example
 * ```ts
 * const options: RemoteJwksOptions = { ttlMs: 600_000, maxStaleMs: 3_600_000 };
 * ```
 */
export interface RemoteJwksOptions {
  /** The fetch to use; default the global fetch. */
  fetch?: JwksFetch;
  /** How long fetched keys are used without asking again; default 10 minutes. */
  ttlMs?: number;
  /** After this age keys are never used, even when a refetch fails (fail closed); default 1 hour. */
  maxStaleMs?: number;
  /** A token naming an unknown key refetches at most this often; default 30 seconds. */
  cooldownMs?: number;
  /** Give up on one fetch after this long; default 5000 ms. */
  timeoutMs?: number;
  /** Largest key set read; default 256 KiB. */
  maxBytes?: number;
  /** Most keys in the set; default 100. */
  maxKeys?: number;
  /** The clock; default the system clock. */
  clock?: () => Date;
}

const OPTION_KEYS = ['fetch', 'ttlMs', 'maxStaleMs', 'cooldownMs', 'timeoutMs', 'maxBytes', 'maxKeys', 'clock'];

/**
 * A JWKS at an https URL, cached with a TTL and a hard maximum staleness.
 *
 * @example
 * ```ts
 * const jwks = new RemoteJwks('https://login.example.com/.well-known/jwks.json', { ttlMs: 600_000 });
 * await verifyAgentToken(token, { issuer: 'https://login.example.com', audience: 'warden', algorithms: ['EdDSA'], jwks });
 * ```
 */
export class RemoteJwks {
  readonly url: string;
  readonly #fetch: JwksFetch;
  readonly #ttl: number;
  readonly #maxStale: number;
  readonly #cooldown: number;
  readonly #timeout: number;
  readonly #maxBytes: number;
  readonly #maxKeys: number;
  readonly #clock: () => Date;
  #cache: { getter: KeyGetter; fetchedAt: number } | null = null;
  #inflight: Promise<void> | null = null;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #generation = 0;

  constructor(url: string, options: RemoteJwksOptions = {}) {
    for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) throw new WardenError('ERR_OPTIONS', `Unknown RemoteJwks option ${JSON.stringify(k)}; the options are ${OPTION_KEYS.join(', ')}.`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new WardenError('ERR_OPTIONS', `The JWKS URL ${JSON.stringify(url)} is not a URL.`);
    }
    if (parsed.protocol !== 'https:') throw new WardenError('ERR_OPTIONS', `The JWKS URL must be https; got ${JSON.stringify(url)}.`);
    this.url = parsed.href;
    const fetch = options.fetch ?? (globalThis.fetch as unknown as JwksFetch | undefined);
    if (typeof fetch !== 'function') throw new WardenError('ERR_OPTIONS', 'No fetch is available: pass { fetch }.');
    this.#fetch = fetch;
    this.#ttl = positive(options.ttlMs ?? 600_000, 'ttlMs');
    this.#maxStale = positive(options.maxStaleMs ?? 3_600_000, 'maxStaleMs');
    if (this.#maxStale < this.#ttl) throw new WardenError('ERR_OPTIONS', 'maxStaleMs must be at least ttlMs.');
    this.#cooldown = positive(options.cooldownMs ?? 30_000, 'cooldownMs');
    this.#timeout = positive(options.timeoutMs ?? 5000, 'timeoutMs');
    this.#maxBytes = positive(options.maxBytes ?? 256 * 1024, 'maxBytes');
    this.#maxKeys = positive(options.maxKeys ?? 100, 'maxKeys');
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * The key for a JWS header (jose's key-resolver signature), refetching once for an unknown `kid`.
   *
   * @example
   * ```ts
   * await jwtVerify(token, (header, jws) => jwks.getKey(header, jws), { algorithms: ['RS256'] });
   * ```
   */
  async getKey(header: JwsHeader, token: unknown): Promise<webcrypto.CryptoKey | KeyObject> {
    const getter = await this.#current(false);
    const h = header as JWSHeaderParameters;
    const t = token as FlattenedJWSInput;
    try {
      return await getter(h, t);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || this.#clock().getTime() - this.#lastAttempt < this.#cooldown) throw e;
      return (await this.#current(true))(h, t);
    }
  }

  /**
   * Counts the key sets fetched so far: it changes whenever a fetched set replaces the one in use
   * (which may have dropped a key), so what was verified under an older generation is verified again.
   *
   * @example
   * ```ts
   * const before = jwks.generation;
   * await jwks.refresh();
   * if (jwks.generation !== before) forgetVerifiedTokens();
   * ```
   */
  get generation(): number {
    return this.#generation;
  }

  /** Fetches the key set now (a failure leaves the cached copy in place). */
  async refresh(): Promise<void> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #current(force: boolean): Promise<KeyGetter> {
    const now = this.#clock().getTime();
    const cached = this.#cache;
    if (!force && cached !== null && now - cached.fetchedAt < this.#ttl) return cached.getter;
    try {
      await this.refresh();
      return (this.#cache as unknown as { getter: KeyGetter }).getter;
    } catch (e) {
      // invariant: a stale copy serves only inside maxStaleMs; past it, verification fails closed.
      if (cached !== null && now - cached.fetchedAt <= this.#maxStale) return cached.getter;
      throw new IdentityError('unavailable', `The key set ${this.url} cannot be fetched (${messageOf(e)}) and no copy younger than ${this.#maxStale} ms is cached; denying.`, { cause: e });
    }
  }

  async #load(): Promise<void> {
    this.#lastAttempt = this.#clock().getTime();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeout);
    let text: string;
    try {
      const res = await this.#fetch(this.url, { redirect: 'error', signal: controller.signal, headers: { accept: 'application/json, application/jwk-set+json' } });
      if (!res.ok) throw new Error(`it answered HTTP ${res.status}`);
      text = await res.text();
    } finally {
      clearTimeout(timer);
    }
    if (Buffer.byteLength(text) > this.#maxBytes) throw new Error(`the key set is over ${this.#maxBytes} bytes`);
    const jwks = checkJwks(JSON.parse(text) as unknown, this.#maxKeys, this.url);
    this.#cache = { getter: createLocalJWKSet(jwks as unknown as JSONWebKeySet), fetchedAt: this.#clock().getTime() };
    this.#generation++;
  }
}

/**
 * Checks a key set: `{ keys: [...] }`, at most `maxKeys` public keys (a set that publishes a
 * private or symmetric key is refused whole).
 *
 * @example
 * ```ts
 * const jwks = checkJwks(JSON.parse(text), 100, 'jwks.json');
 * ```
 */
export function checkJwks(value: unknown, maxKeys: number, where: string): JsonWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (value === null || typeof value !== 'object' || !Array.isArray(keys)) throw new IdentityError('key', `${where} is not a JSON Web Key Set ({ "keys": [...] }).`);
  if (keys.length > maxKeys) throw new IdentityError('key', `${where} has ${keys.length} keys; the limit is ${maxKeys}.`);
  keys.forEach((k, i) => assertPublicJwk(k, `key ${i} of ${where}`));
  return value as JsonWebKeySet;
}

function positive(n: number, name: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new WardenError('ERR_OPTIONS', `${name} must be a positive number; got ${String(n)}.`);
  return n;
}

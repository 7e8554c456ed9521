/**
 * The service's memory of bearer JWTs it verified, so a caller presenting the same token again is
 * not put through signature verification on every request (it costs more than the decision). A
 * remembered token is accepted only while everything that made it verify still holds: its `exp`
 * and `nbf` at the time asked (with the same leeway, and the same whole-second arithmetic, as the
 * verifier), the same key set generation (a refetched key set, which may have dropped the signing
 * key, forgets every token), and at most `maxAgeMs` since it was verified, so each token goes back
 * through the verifier (and the key set through its refresh) at least that often. A clock that ran
 * backwards, or any doubt, means "not remembered": the caller verifies again. Failures are never
 * remembered. Entries are keyed by the token's SHA-256, so no lookup compares secret text.
 */
import { hash } from 'node:crypto';
import type { AgentIdentity } from '../decision.js';

/**
 * Limits of a {@link VerifiedTokenCache}.
 *
 * @example
 * ```ts
 * const options: VerifiedTokenCacheOptions = { maxEntries: 10_000, maxAgeMs: 10_000, clockToleranceSeconds: 0 };
 * ```
 */
export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered (the oldest is forgotten first); default 10,000. */
  maxEntries?: number;
  /** Longest a verification is reused, in ms; default 10,000. */
  maxAgeMs?: number;
  /** The verifier's leeway for exp and nbf, in seconds (the same number it was given); default 0. */
  clockToleranceSeconds?: number;
}

/**
 * What a verification established about a token: who it names, and its validity window in seconds
 * since the epoch (`nbf` absent when the token has none).
 *
 * @example
 * ```ts
 * const v: VerifiedTokenFacts = { agent, exp: 1_900_000_000 };
 * ```
 */
export interface VerifiedTokenFacts {
  agent: AgentIdentity;
  exp: number;
  nbf?: number;
}

interface Entry extends VerifiedTokenFacts {
  verifiedAt: number;
  generation: number;
}

/**
 * Remembers verified bearer tokens, within their validity (see the module comment).
 *
 * @example
 * ```ts
 * const cache = new VerifiedTokenCache({ clockToleranceSeconds: 0 });
 * const key = VerifiedTokenCache.keyOf(token);
 * const agent = cache.get(key, now, keySetGeneration) ?? verifyAndRemember();
 * ```
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #tolerance: number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.#maxEntries = Math.max(0, Math.floor(options.maxEntries ?? 10_000));
    this.#maxAgeMs = Math.max(0, options.maxAgeMs ?? 10_000);
    this.#tolerance = options.clockToleranceSeconds ?? 0;
  }

  /**
   * The cache key of a token: its SHA-256 (hex).
   *
   * @example
   * ```ts
   * VerifiedTokenCache.keyOf('eyJhbGciOi...'); // '3b1f...'
   * ```
   */
  static keyOf(token: string): string {
    return hash('sha256', token, 'hex');
  }

  /**
   * The agent a remembered token names, when it is still valid at `now` under `generation`; else
   * null (and the entry is forgotten).
   *
   * @example
   * ```ts
   * const agent = cache.get(VerifiedTokenCache.keyOf(token), new Date(), 0);
   * ```
   */
  get(key: string, now: Date, generation: number): AgentIdentity | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    const ms = now.getTime();
    // As jose judges them: whole seconds, exp exclusive, nbf inclusive, both with the leeway.
    const seconds = Math.floor(ms / 1000);
    const valid =
      entry.generation === generation &&
      ms >= entry.verifiedAt &&
      ms - entry.verifiedAt < this.#maxAgeMs &&
      entry.exp > seconds - this.#tolerance &&
      (entry.nbf === undefined || entry.nbf <= seconds + this.#tolerance);
    if (valid) return entry.agent;
    this.#entries.delete(key);
    return null;
  }

  /**
   * Remembers a token the verifier accepted at `now` under key set `generation`. Facts without a
   * finite numeric `exp` (or with a non-numeric `nbf`) are not remembered.
   *
   * @example
   * ```ts
   * cache.set(VerifiedTokenCache.keyOf(token), { agent, exp: claims.exp }, now, generation);
   * ```
   */
  set(key: string, facts: VerifiedTokenFacts, now: Date, generation: number): void {
    if (this.#maxEntries === 0 || this.#maxAgeMs === 0) return;
    if (typeof facts.exp !== 'number' || !Number.isFinite(facts.exp)) return;
    if (facts.nbf !== undefined && (typeof facts.nbf !== 'number' || !Number.isFinite(facts.nbf))) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { agent: facts.agent, exp: facts.exp, ...(facts.nbf !== undefined ? { nbf: facts.nbf } : {}), verifiedAt: now.getTime(), generation });
  }

  /** How many tokens are remembered. */
  get size(): number {
    return this.#entries.size;
  }
}

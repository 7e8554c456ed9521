/**
 * Verification failures: one error class whose `reason` says which check failed, so a caller (and
 * the pipeline's record) can tell an expired token from a replayed proof without parsing messages.
 */
import { WardenError } from '../errors.js';

/**
 * Every reason a credential can fail verification, with what it means.
 *
 * @example
 * ```ts
 * console.log(IDENTITY_FAILURES.replayed);
 * ```
 */
export const IDENTITY_FAILURES = Object.freeze({
  malformed: 'The credential is not well formed (not a compact JWT, not a DAG-CBOR envelope, a missing or mistyped field).',
  algorithm: 'The algorithm is not on the allowlist (`none`, an HMAC algorithm, or one the verifier was not configured for).',
  signature: 'The signature does not verify with the key it names.',
  key: 'The key is missing, private where it must be public, of the wrong type, or not in the key set.',
  expired: 'The credential expired (or was issued too long ago for the verifier).',
  not_yet_valid: 'The credential is not valid yet (`nbf` or `iat` in the future beyond the clock tolerance).',
  issuer: 'The issuer is not the one the verifier trusts.',
  audience: 'The credential is for another audience.',
  tenant: 'The token comes from another Entra tenant than the pinned one.',
  type: 'The credential has the wrong type (`typ`).',
  claim: 'A required claim is missing or malformed.',
  method: 'The DPoP proof was made for another HTTP method.',
  url: 'The DPoP proof was made for another URL.',
  nonce: 'The nonce does not match the one the server issued.',
  replayed: 'The proof, message or invocation was already used inside its validity window.',
  replay_store_full: 'The replay store is full of entries still inside their window; failing closed rather than forgetting one.',
  binding: 'The credential is not bound to the key that presented it (DPoP `ath` or `cnf.jkt`, a UCAN bound to another call).',
  purpose: 'The signature was made for another purpose (domain separation).',
  revoked: 'The key, identity or delegation is revoked.',
  unknown_issuer: 'The signer cannot be resolved to a key, so its signature cannot be checked.',
  recipient: 'The message is addressed to someone else.',
  digest: 'The payload does not match the digest that was signed.',
  unavailable: 'A key set or DID document needed for verification cannot be fetched, and no fresh enough copy is cached.',
  required: 'A verified identity is required and none was presented.',
  unsupported: 'The credential is of a kind the verifier was not configured to accept.',
} as const);

/**
 * One of {@link IDENTITY_FAILURES}.
 *
 * @example
 * ```ts
 * const reason: IdentityFailure = 'expired';
 * ```
 */
export type IdentityFailure = keyof typeof IDENTITY_FAILURES;

/**
 * A credential that did not verify. Its `code` is `ERR_IDENTITY`; its `reason` names the check.
 *
 * @example
 * ```ts
 * try { await verifyAgentToken(token, options); }
 * catch (e) { if (e instanceof IdentityError && e.reason === 'expired') console.log('refresh the token'); }
 * ```
 */
export class IdentityError extends WardenError {
  /** Which check failed: one of {@link IDENTITY_FAILURES}. */
  readonly reason: IdentityFailure;

  constructor(reason: IdentityFailure, message: string, options?: { cause?: unknown }) {
    super('ERR_IDENTITY', message, options);
    this.name = 'IdentityError';
    this.reason = reason;
  }
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

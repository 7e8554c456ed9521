/**
 * Supply-chain verification failures: one error code (`ERR_SUPPLY`) whose `reason` names the check
 * that failed, as `ERR_IDENTITY` does, so a caller, a policy and the audit record can tell a
 * tampered file from a revoked publisher without parsing messages.
 */
import { WardenError } from '../errors.js';

/**
 * Every reason a plugin, a package or a server can fail verification, with what it means.
 *
 * @example
 * ```ts
 * console.log(SUPPLY_FAILURES.file_changed);
 * ```
 */
export const SUPPLY_FAILURES = Object.freeze({
  malformed: 'The manifest, bundle or server.json is not well formed (not JSON, a repeated or prototype key, a missing or mistyped field).',
  unsafe_path: 'A path in the manifest or the plugin directory is unsafe: absolute, with `..`, `.` or empty segments, a backslash, or a symlink.',
  too_large: 'A file, a directory or a list is over its limit.',
  signature: 'The manifest signature does not verify with the publisher key it names (tampered manifest, or signed by another key).',
  publisher: 'The publisher is not on the accepted-publishers list.',
  revoked: 'The publisher key is on the revocation list.',
  file_changed: 'A file differs from the hash the manifest records.',
  file_missing: 'A file the manifest lists is not in the plugin directory.',
  file_unlisted: 'The plugin directory holds a file the manifest does not list (added after signing).',
  lockfile: 'The plugin has no readable package-lock.json (lockfileVersion 2 or 3) to compare its dependencies with.',
  dependency_changed: 'A resolved dependency has another version or integrity hash than the one signed.',
  dependency_added: 'The lockfile resolves a dependency the signed manifest does not list (added after signing).',
  dependency_removed: 'The signed manifest lists a dependency the lockfile no longer resolves.',
  entry: 'An entry point is not one of the signed files.',
  tool_definition: 'A started server lists a tool whose name or definition (description, schemas, annotations) is not one its signed manifest records.',
  trust_root: 'The Sigstore trusted root is missing or malformed.',
  bundle: 'The Sigstore bundle is malformed or of a kind not accepted (not a DSSE in-toto attestation with a certificate).',
  provenance_signature: 'The Sigstore bundle does not verify: its signature, transparency-log entry or certificate chain is invalid.',
  certificate_expired: 'The signing certificate was not valid at the signing time recorded in the log (expired, not yet valid, or outside the CA validity window of the trusted root).',
  issuer: 'The certificate was issued for another OIDC issuer than the policy accepts.',
  repository: 'The provenance names another source repository than the policy accepts.',
  workflow: 'The provenance was built by another workflow than the policy accepts.',
  ref: 'The provenance was built from another git ref than the policy accepts.',
  subject: 'The certificate identity (subject) is not the one the policy accepts.',
  digest: 'The attested digest is not the digest of the tarball given (tampered or another tarball).',
  package: 'The attestation is for another package or version than the tarball holds.',
  namespace: "The server.json namespace does not match the verified identity (the provenance repository's owner or the signing publisher's namespaces).",
  missing_dependency: 'The sigstore packages needed to verify provenance are not installed.',
} as const);

/**
 * One of {@link SUPPLY_FAILURES}.
 *
 * @example
 * ```ts
 * const reason: SupplyFailure = 'revoked';
 * ```
 */
export type SupplyFailure = keyof typeof SUPPLY_FAILURES;

/**
 * A plugin, package or server that did not verify. Its `code` is `ERR_SUPPLY`; its `reason` names
 * the check.
 *
 * @example
 * ```ts
 * try { await loadVerifiedPlugin('plugins/weather', options); }
 * catch (e) { if (e instanceof SupplyError && e.reason === 'file_changed') console.error(e.message); }
 * ```
 */
export class SupplyError extends WardenError {
  /** Which check failed: one of {@link SUPPLY_FAILURES}. */
  readonly reason: SupplyFailure;

  constructor(reason: SupplyFailure, message: string, options?: { cause?: unknown }) {
    super('ERR_SUPPLY', message, options);
    this.name = 'SupplyError';
    this.reason = reason;
  }
}

/**
 * The outcome of a verification: what verified, or which check failed and why. Never thrown.
 *
 * @example
 * ```ts
 * const r: Failed = { ok: false, code: 'ERR_SUPPLY', reason: 'revoked', message: 'The publisher did:key:z6Mk... is revoked.' };
 * ```
 */
export interface Failed {
  ok: false;
  code: 'ERR_SUPPLY';
  reason: SupplyFailure;
  message: string;
}

/**
 * A Failed result of a SupplyError, or of anything else thrown (as `malformed`).
 *
 * @example
 * ```ts
 * failedOf(new SupplyError('revoked', 'revoked')).reason; // 'revoked'
 * ```
 */
export function failedOf(e: unknown): Failed {
  if (e instanceof SupplyError) return { ok: false, code: 'ERR_SUPPLY', reason: e.reason, message: e.message };
  return { ok: false, code: 'ERR_SUPPLY', reason: 'malformed', message: e instanceof Error ? e.message : String(e) };
}

/**
 * The policy bundle format: one JSON file holding policy files (and data files under `data/`), a manifest of their SHA-256
 * hashes and a revision, and Ed25519 signatures over the manifest (in the spirit of OPA's
 * `.signatures.json`: the signature covers the file list and hashes, and the files are checked
 * against it).
 *
 * ```json
 * {"apiVersion":"warden/v1","kind":"PolicyBundle",
 *  "manifest":{"revision":3,"files":[{"name":"policies/refunds.yaml","hash":"<hex>","algorithm":"SHA-256"}]},
 *  "files":{"policies/refunds.yaml":"apiVersion: warden/v1\n..."},
 *  "signatures":[{"keyid":"<hex>","algorithm":"Ed25519","signature":"<base64url>"}]}
 * ```
 *
 * A signature signs `BUNDLE_SIGNATURE_DOMAIN` followed by the canonical JSON of the manifest, so a
 * bundle signature can never be replayed as any other Warden signature (or the other way round).
 */
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { API_VERSION } from '../policy/api-version.js';

/** The `kind` of a bundle document. */
export const BUNDLE_KIND = 'PolicyBundle';

/** Prefix of every signed bundle manifest (domain separation). */
export const BUNDLE_SIGNATURE_DOMAIN = 'agent-warden policy-bundle manifest v1\n';

/** Largest bundle read, in bytes. */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

/** Most files in one bundle. */
export const MAX_BUNDLE_FILES = 10_000;

/**
 * Why a bundle was refused, one per check (the `reason` of a {@link BundleError}).
 *
 * @example
 * ```ts
 * const r: BundleFailure = 'file_hash_mismatch';
 * ```
 */
export type BundleFailure =
  /** Not a complete bundle document: truncated, not JSON, repeated keys, missing or unknown members. */
  | 'malformed'
  /** Larger than the limit, or too many files. */
  | 'too_large'
  /** No signature at all. */
  | 'unsigned'
  /** No signature by the key the service trusts. */
  | 'unknown_key'
  /** A signature by the trusted key's id that does not verify over this manifest. */
  | 'bad_signature'
  /** A file whose content does not hash to what the manifest lists. */
  | 'file_hash_mismatch'
  /** A file the signed manifest does not list (added after signing). */
  | 'unlisted_file'
  /** A file the signed manifest lists that the bundle does not hold. */
  | 'missing_file'
  /** A revision older than (or equal to, with other content) the bundle in force. */
  | 'revision_downgrade'
  /** Verified, but a data file is not JSON or YAML plain data. */
  | 'data_invalid'
  /** Verified, but its policies do not compile. */
  | 'policy_invalid'
  /** It could not be read or downloaded. */
  | 'unreadable';

/**
 * A bundle that was refused, and why.
 *
 * @example
 * ```ts
 * try { verifyBundle(text, key); } catch (e) { if (e instanceof BundleError) console.log(e.reason); }
 * ```
 */
export class BundleError extends WardenError {
  readonly reason: BundleFailure;

  constructor(reason: BundleFailure, message: string, options?: { cause?: unknown }) {
    super('ERR_BUNDLE', message, options);
    this.name = 'BundleError';
    this.reason = reason;
  }
}

/**
 * One listed file.
 *
 * @example
 * ```ts
 * const f: BundleFileEntry = { name: 'policies/a.yaml', hash: sha256Hex(text), algorithm: 'SHA-256' };
 * ```
 */
export interface BundleFileEntry {
  name: string;
  /** Lowercase hex SHA-256 of the file's UTF-8 bytes. */
  hash: string;
  algorithm: 'SHA-256';
}

/**
 * What a signature covers: the revision and every file with its hash, sorted by name.
 *
 * @example
 * ```ts
 * const m: BundleManifest = { revision: 3, files: [{ name: 'policies/a.yaml', hash: '…', algorithm: 'SHA-256' }] };
 * ```
 */
export interface BundleManifest {
  /** A positive integer that grows with every release; the service refuses a lower one. */
  revision: number;
  files: BundleFileEntry[];
}

/**
 * One signature.
 *
 * @example
 * ```ts
 * const s: BundleSignature = { keyid: keyIdOf(publicKey), algorithm: 'Ed25519', signature: 'base64url…' };
 * ```
 */
export interface BundleSignature {
  /** The signing key's id (`keyIdOf` from agent-warden/audit: SHA-256 of its raw public key). */
  keyid: string;
  algorithm: 'Ed25519';
  /** base64url Ed25519 signature over `BUNDLE_SIGNATURE_DOMAIN` + canonical JSON of the manifest. */
  signature: string;
}

/**
 * A whole bundle.
 *
 * @example
 * ```ts
 * const bundle: PolicyBundle = JSON.parse(readFileSync('policy.bundle.json', 'utf8'));
 * ```
 */
export interface PolicyBundle {
  apiVersion: typeof API_VERSION;
  kind: typeof BUNDLE_KIND;
  manifest: BundleManifest;
  files: Record<string, string>;
  signatures: BundleSignature[];
}

/** A file name inside a bundle: relative, `/`-separated, no empty, `.` or `..` segment. */
export const BUNDLE_FILE_NAME = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/**
 * The bytes a signature signs: the domain prefix, then the manifest's canonical JSON.
 *
 * @example
 * ```ts
 * const ok = verify(null, signingInput(bundle.manifest), publicKey, Buffer.from(sig.signature, 'base64url'));
 * ```
 */
export function signingInput(manifest: BundleManifest): Buffer {
  return Buffer.from(BUNDLE_SIGNATURE_DOMAIN + canonicalJson(manifest), 'utf8');
}

/**
 * The text of a bundle (canonical JSON and a newline), as `warden bundle` writes it.
 *
 * @example
 * ```ts
 * writeFileSync('policy.bundle.json', bundleText(signBundle(bundleOf(files, 3), privateKey)));
 * ```
 */
export function bundleText(bundle: PolicyBundle): string {
  return `${canonicalJson(bundle)}\n`;
}

/**
 * Verifying a bundle: its text is parsed strictly, the manifest signature is checked against the
 * trusted key, and every file is checked against the signed manifest (none missing, none added,
 * none altered). Only then are its policies and data files handed out.
 */
import { verify, type KeyObject } from 'node:crypto';
import { keyIdOf, toPublicKey } from '../audit/keys.js';
import { sha256Hex } from '../lib/hash.js';
import { parseJsonText } from '../lib/json-text.js';
import { API_VERSION } from '../policy/api-version.js';
import { bundleDataPath, isBundleDataFile } from './bundle-data.js';
import { BUNDLE_FILE_NAME, BUNDLE_KIND, BundleError, MAX_BUNDLE_BYTES, MAX_BUNDLE_FILES, signingInput, type BundleManifest, type PolicyBundle } from './bundle-format.js';

/**
 * A verified bundle: its revision, manifest digest, and policy sources.
 *
 * @example
 * ```ts
 * const { revision, sources } = verifyBundle(text, publicKey);
 * ```
 */
export interface VerifiedBundle {
  revision: number;
  /** `sha256:<hex>` of the signed manifest's canonical text (the same manifest always has the same id). */
  manifestDigest: string;
  keyid: string;
  /** The policy files, as `{ name, text }` in manifest order. */
  sources: Array<{ name: string; text: string }>;
  /** The data files (under `data/`), as `{ name, text }` in manifest order; checked like the policy files, parsed at activation. */
  data: Array<{ name: string; text: string }>;
}

const TOP_KEYS = ['apiVersion', 'kind', 'manifest', 'files', 'signatures'];
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verifies a bundle's text against the one public key trusted to sign bundles.
 *
 * @example
 * ```ts
 * const verified = verifyBundle(readFileSync('policy.bundle.json', 'utf8'), await loadPublicKey('bundle.pub'));
 * console.log(verified.revision);
 * ```
 * @throws BundleError whose `reason` names the check that failed: `too_large`, `malformed`,
 *   `unsigned`, `unknown_key`, `bad_signature`, `unlisted_file`, `missing_file`, `file_hash_mismatch`
 *   (and `malformed` for a data file whose name is not a data path).
 */
export function verifyBundle(text: string | Uint8Array, publicKey: KeyObject | string): VerifiedBundle {
  const key = toPublicKey(publicKey, 'the bundle verification key');
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
  if (size > MAX_BUNDLE_BYTES) throw new BundleError('too_large', `The bundle is ${size} bytes, over the ${MAX_BUNDLE_BYTES}-byte limit.`);
  const bundle = parseBundle(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  if (bundle.signatures.length === 0) throw new BundleError('unsigned', 'The bundle carries no signature; sign it with warden bundle sign.');
  const keyid = keyIdOf(key);
  const mine = bundle.signatures.filter((s) => s.keyid === keyid);
  if (mine.length === 0) throw new BundleError('unknown_key', `The bundle is not signed by the trusted key ${keyid} (it is signed by ${bundle.signatures.map((s) => s.keyid).join(', ')}).`);
  const input = signingInput(bundle.manifest);
  const good = mine.some((s) => {
    try {
      return verify(null, input, key, Buffer.from(s.signature, 'base64url'));
    } catch {
      return false;
    }
  });
  if (!good) throw new BundleError('bad_signature', `The signature by ${keyid} does not verify over the bundle manifest: the manifest changed after signing, or the signature is forged.`);
  const listed = new Map(bundle.manifest.files.map((f) => [f.name, f.hash]));
  for (const name of Object.keys(bundle.files)) {
    if (!listed.has(name)) throw new BundleError('unlisted_file', `The bundle holds ${JSON.stringify(name)}, which the signed manifest does not list (added after signing).`);
  }
  const sources: Array<{ name: string; text: string }> = [];
  const data: Array<{ name: string; text: string }> = [];
  for (const entry of bundle.manifest.files) {
    if (!Object.prototype.hasOwnProperty.call(bundle.files, entry.name)) throw new BundleError('missing_file', `The signed manifest lists ${JSON.stringify(entry.name)}, which the bundle does not hold.`);
    const content = bundle.files[entry.name] as string;
    if (sha256Hex(content) !== entry.hash) throw new BundleError('file_hash_mismatch', `${JSON.stringify(entry.name)} does not match its SHA-256 in the signed manifest (it was altered after signing).`);
    if (isBundleDataFile(entry.name)) {
      bundleDataPath(entry.name);
      data.push({ name: entry.name, text: content });
    } else {
      sources.push({ name: entry.name, text: content });
    }
  }
  if (sources.length === 0) throw new BundleError('malformed', 'The bundle holds data files but no policy file; a bundle needs at least one policy.');
  return { revision: bundle.manifest.revision, manifestDigest: `sha256:${sha256Hex(input)}`, keyid, sources, data };
}

/**
 * Parses bundle text strictly (no repeated keys, exactly the documented members).
 *
 * @example
 * ```ts
 * const bundle = parseBundle(readFileSync('policy.bundle.json', 'utf8'));
 * ```
 * @throws BundleError `malformed` (or `too_large` for too many files).
 */
export function parseBundle(text: string): PolicyBundle {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new BundleError('malformed', `The bundle is not complete JSON with unique keys (${parsed.error}); it may be truncated.`);
  const o = parsed.value as Record<string, unknown>;
  const bad = (why: string): BundleError => new BundleError('malformed', `The bundle ${why}.`);
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad('is not a JSON object');
  const unknown = Object.keys(o).find((k) => !TOP_KEYS.includes(k));
  if (unknown !== undefined) throw bad(`has the unknown member ${JSON.stringify(unknown)}`);
  if (o.apiVersion !== API_VERSION || o.kind !== BUNDLE_KIND) throw bad(`is not a ${API_VERSION} ${BUNDLE_KIND}`);
  const manifest = manifestOf(o.manifest);
  const files = o.files as Record<string, unknown>;
  if (files === null || typeof files !== 'object' || Array.isArray(files)) throw bad('has no files object');
  const names = Object.keys(files);
  if (names.length > MAX_BUNDLE_FILES) throw new BundleError('too_large', `The bundle holds ${names.length} files, over the limit of ${MAX_BUNDLE_FILES}.`);
  for (const name of names) {
    if (!BUNDLE_FILE_NAME.test(name)) throw bad(`holds a file named ${JSON.stringify(name)}, which is not a relative / separated name`);
    if (typeof files[name] !== 'string') throw bad(`holds ${JSON.stringify(name)} as something other than text`);
  }
  const signatures = o.signatures;
  if (!Array.isArray(signatures)) throw bad('has no signatures list');
  for (const s of signatures as unknown[]) {
    const sig = s as Record<string, unknown>;
    if (sig === null || typeof sig !== 'object' || Object.keys(sig).length !== 3 || typeof sig.keyid !== 'string' || sig.algorithm !== 'Ed25519' || typeof sig.signature !== 'string') {
      throw bad('has a signature that is not { keyid, algorithm: "Ed25519", signature }');
    }
  }
  return { apiVersion: API_VERSION, kind: BUNDLE_KIND, manifest, files: files as Record<string, string>, signatures: signatures as PolicyBundle['signatures'] };
}

function manifestOf(value: unknown): BundleManifest {
  const bad = (why: string): BundleError => new BundleError('malformed', `The bundle manifest ${why}.`);
  const m = value as Record<string, unknown>;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw bad('is missing');
  if (Object.keys(m).some((k) => k !== 'revision' && k !== 'files')) throw bad('has members other than revision and files');
  if (!Number.isSafeInteger(m.revision) || (m.revision as number) < 1) throw bad('revision is not a positive whole number');
  if (!Array.isArray(m.files) || m.files.length === 0) throw bad('lists no files');
  if (m.files.length > MAX_BUNDLE_FILES) throw new BundleError('too_large', `The bundle manifest lists ${m.files.length} files, over the limit of ${MAX_BUNDLE_FILES}.`);
  const seen = new Set<string>();
  for (const f of m.files as unknown[]) {
    const e = f as Record<string, unknown>;
    if (e === null || typeof e !== 'object' || Object.keys(e).length !== 3 || typeof e.name !== 'string' || !BUNDLE_FILE_NAME.test(e.name) || typeof e.hash !== 'string' || !HEX64.test(e.hash) || e.algorithm !== 'SHA-256') {
      throw bad('has an entry that is not { name, hash: <64 hex>, algorithm: "SHA-256" }');
    }
    if (seen.has(e.name)) throw bad(`lists ${JSON.stringify(e.name)} twice`);
    seen.add(e.name);
  }
  return { revision: m.revision as number, files: m.files as BundleManifest['files'] };
}

/**
 * The policy manifest: a small JSON file, written after the policy files, naming the digest of the
 * exact set they must form. A PolicyStore given a manifest activates a set only when its digest is
 * the one the manifest names, so a policy read half-written (or mid-deploy, one file new and one
 * old) is never served, however long the writer pauses.
 *
 * ```json
 * {"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"sha256:<64 hex digits>"}
 * ```
 *
 * The digest is `PolicySet.digest`: SHA-256 over the sorted SHA-256 digests of the source texts,
 * so it does not depend on file names or order. `warden manifest <paths...>` prints or writes it.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WardenError } from '../errors.js';
import { parseJsonText } from '../lib/json-text.js';
import { API_VERSION } from '../policy/api-version.js';

/** The `kind` of a manifest document. */
export const MANIFEST_KIND = 'PolicyManifest';

/** Largest manifest read, in bytes (a manifest is about 120). */
const MAX_MANIFEST_BYTES = 64 * 1024;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const KEYS = ['apiVersion', 'kind', 'digest'];

/**
 * A parsed manifest.
 *
 * @example
 * ```ts
 * const m: PolicyManifest = { apiVersion: 'warden/v1', kind: 'PolicyManifest', digest: set.digest };
 * ```
 */
export interface PolicyManifest {
  apiVersion: typeof API_VERSION;
  kind: typeof MANIFEST_KIND;
  /** The `PolicySet.digest` the policy files must have. */
  digest: string;
}

/**
 * The text of a manifest naming `digest` (one line of JSON and a newline).
 *
 * @example
 * ```ts
 * policyManifestText(set.digest); // '{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"sha256:…"}\n'
 * ```
 * @throws WardenError `ERR_POLICY_MANIFEST` when `digest` is not `sha256:` and 64 hex digits.
 */
export function policyManifestText(digest: string): string {
  if (!DIGEST.test(digest)) throw new WardenError('ERR_POLICY_MANIFEST', `${JSON.stringify(digest)} is not a policy digest (sha256: and 64 lowercase hex digits).`);
  return `${JSON.stringify({ apiVersion: API_VERSION, kind: MANIFEST_KIND, digest })}\n`;
}

/**
 * Reads and checks a manifest: JSON without repeated keys, exactly the keys `apiVersion`, `kind`
 * and `digest`, with the right values.
 *
 * @example
 * ```ts
 * const { digest } = await readPolicyManifest('policies.manifest.json');
 * ```
 * @throws WardenError `ERR_POLICY_MANIFEST` saying what is wrong.
 */
export async function readPolicyManifest(path: string): Promise<PolicyManifest> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_MANIFEST_BYTES) throw new WardenError('ERR_POLICY_MANIFEST', `The policy manifest ${path} is over ${MAX_MANIFEST_BYTES} bytes; a manifest is one short line of JSON.`);
      text = buf.toString('utf8', 0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_POLICY_MANIFEST', `Cannot read the policy manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Write it (warden manifest) after the policy files.`, { cause: e });
  }
  return parsePolicyManifest(text, path);
}

/**
 * Parses manifest text (see {@link readPolicyManifest}); `where` names it in messages.
 *
 * @example
 * ```ts
 * parsePolicyManifest(policyManifestText(set.digest), 'inline').digest === set.digest; // true
 * ```
 * @throws WardenError `ERR_POLICY_MANIFEST` saying what is wrong.
 */
export function parsePolicyManifest(text: string, where: string): PolicyManifest {
  const bad = (why: string): WardenError =>
    new WardenError('ERR_POLICY_MANIFEST', `The policy manifest ${where} ${why}. A manifest is {"apiVersion":"${API_VERSION}","kind":"${MANIFEST_KIND}","digest":"sha256:..."}; write it with warden manifest.`);
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw bad(`is not JSON with unique keys (${parsed.error}); it may be half-written`);
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('is not a JSON object');
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !KEYS.includes(k));
  if (unknown !== undefined) throw bad(`has the unknown key ${JSON.stringify(unknown)}`);
  if (o.apiVersion !== API_VERSION) throw bad(`has apiVersion ${JSON.stringify(o.apiVersion)}, not "${API_VERSION}"`);
  if (o.kind !== MANIFEST_KIND) throw bad(`has kind ${JSON.stringify(o.kind)}, not "${MANIFEST_KIND}"`);
  if (typeof o.digest !== 'string' || !DIGEST.test(o.digest)) throw bad(`has digest ${JSON.stringify(o.digest)}, not sha256: and 64 lowercase hex digits`);
  return { apiVersion: API_VERSION, kind: MANIFEST_KIND, digest: o.digest };
}

/**
 * Writes a manifest atomically: a temporary file in the same directory, flushed, then renamed over
 * `path`, so a reader sees the old manifest or the new one, never part of one.
 *
 * @example
 * ```ts
 * await writePolicyManifest('policies.manifest.json', (await loadPolicyFiles(['policies/'])).digest);
 * ```
 * @throws WardenError `ERR_POLICY_MANIFEST` when the digest is malformed or the file cannot be written.
 */
export async function writePolicyManifest(path: string, digest: string): Promise<void> {
  const text = policyManifestText(digest);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw new WardenError('ERR_POLICY_MANIFEST', `Cannot write the policy manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, { cause: e });
  }
}

/**
 * Verifying a plugin directory against its signed manifest, in an order where each check can
 * trust the ones before it: the manifest parses strictly; its signature verifies with the key it
 * names (purpose `plugin-manifest`); that key is an accepted publisher and not revoked; the
 * lockfile resolves exactly the signed dependencies; every file on disk is listed, every listed
 * file is on disk, and each one's SHA-256, recomputed now, is the signed one. The first failure is
 * the result, with its reason; nothing is loaded either way.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verify } from '../identity/sign.js';
import type { Revocations } from '../identity/rotation.js';
import { failedOf, SupplyError, type Failed } from './errors.js';
import { fileDigest, pluginFiles } from './files.js';
import { lockedDependencies } from './lockfile.js';
import { MANIFEST_FILE, MANIFEST_PURPOSE, MAX_MANIFEST_BYTES, parseManifest, signedBody, type PluginManifest, type PluginPermissions } from './manifest.js';

/**
 * A publisher whose plugins are accepted: its did:key, and the MCP registry namespaces
 * (`io.github.acme`) it may publish servers under.
 *
 * @example
 * ```ts
 * const p: AcceptedPublisher = { did: 'did:key:z6Mk...', namespaces: ['io.github.acme'] };
 * ```
 */
export interface AcceptedPublisher {
  did: string;
  namespaces?: string[];
}

/**
 * Options of {@link verifyPlugin}.
 *
 * @example
 * ```ts
 * const options: VerifyPluginOptions = { publishers: [{ did: acme.did }], revocations: verifyRevocationList(list, { issuer: ops.did }) };
 * ```
 */
export interface VerifyPluginOptions {
  /** The accepted publishers. An empty list accepts no one. */
  publishers: ReadonlyArray<AcceptedPublisher | string>;
  /** Revoked keys (identity's verified revocation list). */
  revocations?: Revocations;
}

/**
 * A plugin that verified: its manifest, publisher and declared permissions.
 *
 * @example
 * ```ts
 * const r = await verifyPlugin(dir, options);
 * if (r.ok) console.log(r.publisher, r.permissions.egress);
 * ```
 */
export interface VerifiedPlugin {
  ok: true;
  manifest: PluginManifest;
  publisher: string;
  permissions: PluginPermissions;
  /** The accepted publisher's namespaces (for an MCP server.json). */
  namespaces: string[];
}

/**
 * Verifies the plugin in `dir` against `dir/warden-plugin.json`. Never throws: a failure is a
 * result with `ok: false`, the code `ERR_SUPPLY` and the reason of the check that failed.
 *
 * @example
 * ```ts
 * const r = await verifyPlugin('plugins/weather', { publishers: [acme.did] });
 * if (!r.ok) console.error(r.reason, r.message); // 'file_changed', 'dist/index.js differs from ...'
 * ```
 */
export async function verifyPlugin(dir: string, options: VerifyPluginOptions): Promise<VerifiedPlugin | Failed> {
  try {
    return await verifyOrThrow(dir, options);
  } catch (e) {
    return failedOf(e);
  }
}

async function verifyOrThrow(dir: string, options: VerifyPluginOptions): Promise<VerifiedPlugin> {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.publishers)) throw new SupplyError('publisher', 'Give the accepted publishers (publishers: [did, ...]); without them no plugin verifies.');
  let text: string;
  try {
    const bytes = await readFile(join(dir, MANIFEST_FILE));
    if (bytes.length > MAX_MANIFEST_BYTES) throw new SupplyError('too_large', `${MANIFEST_FILE} is over ${MAX_MANIFEST_BYTES} bytes.`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof SupplyError) throw e;
    throw new SupplyError('malformed', `${join(dir, MANIFEST_FILE)} cannot be read (${e instanceof Error ? e.message : String(e)}); sign the plugin with warden plugin sign.`, { cause: e });
  }
  const manifest = parseManifest(text);
  if (!verify(manifest.publisher, MANIFEST_PURPOSE, signedBody(manifest), manifest.signature)) {
    throw new SupplyError('signature', `The manifest signature does not verify with its publisher ${manifest.publisher}: the manifest was changed after signing, or signed by another key.`);
  }
  const accepted = options.publishers.map((p) => (typeof p === 'string' ? { did: p } : p)).find((p) => p.did === manifest.publisher);
  if (accepted === undefined) throw new SupplyError('publisher', `The publisher ${manifest.publisher} is not an accepted publisher; add its did:key to the accepted publishers if you trust it.`);
  if (options.revocations?.isRevoked(manifest.publisher) === true) throw new SupplyError('revoked', `The publisher ${manifest.publisher} is revoked.`);
  await checkDependencies(dir, manifest);
  await checkFiles(dir, manifest);
  return { ok: true, manifest, publisher: manifest.publisher, permissions: manifest.permissions, namespaces: [...(accepted.namespaces ?? [])] };
}

async function checkDependencies(dir: string, manifest: PluginManifest): Promise<void> {
  const locked = await lockedDependencies(dir);
  for (const [path, dep] of Object.entries(locked)) {
    const signed = Object.hasOwn(manifest.dependencies, path) ? manifest.dependencies[path] : undefined;
    if (signed === undefined) throw new SupplyError('dependency_added', `package-lock.json resolves ${path}@${dep.version}, which the signed manifest does not list (added after signing).`);
    if (signed.version !== dep.version || signed.integrity !== dep.integrity) {
      throw new SupplyError('dependency_changed', `${path} is ${dep.version} (${dep.integrity}) in package-lock.json, but ${signed.version} (${signed.integrity}) was signed.`);
    }
  }
  for (const path of Object.keys(manifest.dependencies)) {
    if (!Object.hasOwn(locked, path)) throw new SupplyError('dependency_removed', `The signed manifest lists ${path}, which package-lock.json no longer resolves.`);
  }
}

async function checkFiles(dir: string, manifest: PluginManifest): Promise<void> {
  const onDisk = await pluginFiles(dir);
  const listed = new Set(Object.keys(manifest.files));
  for (const f of onDisk) if (!listed.has(f)) throw new SupplyError('file_unlisted', `${f} is in the plugin directory but not in the signed manifest (added after signing).`);
  const present = new Set(onDisk);
  for (const [f, digest] of Object.entries(manifest.files)) {
    if (!present.has(f)) throw new SupplyError('file_missing', `${f} is listed in the signed manifest but is not in the plugin directory.`);
    const now = await fileDigest(dir, f);
    if (now !== digest) throw new SupplyError('file_changed', `${f} differs from the signed manifest (${now}, signed ${digest}).`);
  }
}

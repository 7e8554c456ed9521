/**
 * Verifying what an MCP upstream server will run, before it runs: a plugin directory against its
 * signed manifest, or an npm tarball against its Sigstore provenance, and the server's
 * `server.json` namespace against the identity that verified. The result is the facts rules read
 * as `context.plugin`; a failure is a SupplyError and the server is not started.
 */
import { readFile } from 'node:fs/promises';
import { IdentityError } from '../identity/errors.js';
import { verifyRevocationList, type Revocations } from '../identity/rotation.js';
import { parseJsonText } from '../lib/json-text.js';
import { SupplyError } from './errors.js';
import type { PluginFacts } from './facts.js';
import type { PluginTool } from './manifest.js';
import { verifyNpmProvenance, type AcceptedIdentity } from './provenance.js';
import { checkNamespace, parseServerJson } from './server-json.js';
import { verifyPlugin, type AcceptedPublisher } from './verify-plugin.js';

/**
 * What to verify an upstream server against: `plugin` (a directory with warden-plugin.json) or
 * `npm` (a tarball and its provenance bundle), and optionally its `server.json`.
 *
 * @example
 * ```ts
 * const v: UpstreamVerification = { plugin: { dir: 'servers/weather', publishers: [{ did: acme.did, namespaces: ['io.github.acme'] }] }, serverJson: 'servers/weather/server.json' };
 * ```
 */
export interface UpstreamVerification {
  plugin?: { dir: string; publishers: ReadonlyArray<AcceptedPublisher | string>; revocations?: Revocations };
  npm?: { tarball: string; bundle: string; identities: readonly AcceptedIdentity[]; trustedRoot?: unknown };
  /** A server.json whose namespace must match the verified identity. */
  serverJson?: string;
}

/**
 * What verified: the facts for `context.plugin`, and for a signed plugin the tool definitions its
 * manifest records (the gateway holds the started server's tool list to them).
 *
 * @example
 * ```ts
 * const v: VerifiedUpstream = { facts, tools: [{ name: 'forecast', definition: 'sha256:...' }] };
 * ```
 */
export interface VerifiedUpstream {
  facts: PluginFacts;
  tools: PluginTool[] | null;
}

/**
 * Verifies an upstream; returns the facts for `context.plugin` and the signed tool definitions.
 *
 * @example
 * ```ts
 * const { facts } = await verifyUpstream({ plugin: { dir: 'servers/weather', publishers: [acme.did] } });
 * facts.publisher; // 'did:key:z6Mk...'
 * ```
 * @throws SupplyError with the reason of the failed check.
 */
export async function verifyUpstream(spec: UpstreamVerification): Promise<VerifiedUpstream> {
  if (spec === null || typeof spec !== 'object' || (spec.plugin === undefined) === (spec.npm === undefined)) {
    throw new SupplyError('malformed', 'Verify an upstream against exactly one of plugin (a signed plugin directory) and npm (a tarball with its provenance bundle).');
  }
  const server = spec.serverJson === undefined ? null : parseServerJson(await readText(spec.serverJson, 'server.json'));
  if (spec.plugin !== undefined) {
    const r = await verifyPlugin(spec.plugin.dir, { publishers: spec.plugin.publishers, ...(spec.plugin.revocations ? { revocations: spec.plugin.revocations } : {}) });
    if (!r.ok) throw new SupplyError(r.reason, `${spec.plugin.dir}: ${r.message}`);
    if (server !== null) checkNamespace(server, { publisher: r.publisher, namespaces: r.namespaces });
    return { facts: { verified: true, publisher: r.publisher, name: r.manifest.name, version: r.manifest.pluginVersion, permissions: r.permissions }, tools: r.manifest.tools };
  }
  const npm = spec.npm as NonNullable<UpstreamVerification['npm']>;
  const tarball = await readFile(npm.tarball).catch((e: unknown) => {
    throw new SupplyError('malformed', `${npm.tarball}: cannot read the tarball (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  });
  const r = await verifyNpmProvenance({ tarball, bundle: await readText(npm.bundle, 'the provenance bundle'), identities: npm.identities, ...(npm.trustedRoot !== undefined ? { trustedRoot: npm.trustedRoot } : {}) });
  if (!r.ok) throw new SupplyError(r.reason, `${npm.tarball}: ${r.message}`);
  if (server !== null) {
    if (r.identity.repository === undefined) throw new SupplyError('namespace', `The provenance of ${npm.tarball} names no source repository, so it proves no server.json namespace.`);
    checkNamespace(server, { repository: r.identity.repository });
  }
  const pkg = r.package as { name: string; version: string };
  return { facts: { verified: true, publisher: r.identity.repository ?? r.identity.subject, name: pkg.name, version: pkg.version, permissions: { tools: [], egress: [], paths: [] } }, tools: null };
}

/**
 * Reads and verifies a signed revocation list file (identity's format) kept by `issuer`.
 *
 * @example
 * ```ts
 * const revocations = await readRevocations('revoked.json', ops.did);
 * ```
 * @throws SupplyError `revoked` naming why the list itself cannot be trusted.
 */
export async function readRevocations(file: string, issuer: string): Promise<Revocations> {
  const r = parseJsonText(await readText(file, 'the revocation list'));
  if (!r.ok) throw new SupplyError('malformed', `${file}: the revocation list is not valid JSON: ${r.error}.`);
  try {
    return verifyRevocationList(r.value, { issuer });
  } catch (e) {
    throw new SupplyError('revoked', `${file}: the revocation list does not verify (${e instanceof IdentityError ? e.reason : 'error'}: ${e instanceof Error ? e.message : String(e)}), so no publisher can be trusted.`, { cause: e });
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > 64 * 1024 * 1024) throw new SupplyError('too_large', `${file}: ${what} is over 64 MiB.`);
    return bytes.toString('utf8');
  } catch (e) {
    if (e instanceof SupplyError) throw e;
    throw new SupplyError('malformed', `${file}: cannot read ${what} (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
}

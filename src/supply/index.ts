/**
 * Supply chain: signed plugin manifests (every file and every locked dependency hashed, signed by
 * the publisher's did:key), npm Sigstore provenance verified offline against accepted identities,
 * MCP server identity (server.json namespaces held to what verified), facts for the policy, and
 * loading that happens only after verification.
 *
 * @example
 * ```ts
 * import { signPlugin, verifyPlugin, loadVerifiedPlugin } from 'agent-warden/supply';
 * await signPlugin('plugins/weather', spec, acme, { now: new Date() });
 * const { module } = await loadVerifiedPlugin('plugins/weather', { publishers: [acme.did] });
 * ```
 */
export { SupplyError, SUPPLY_FAILURES } from './errors.js';
export type { SupplyFailure, Failed } from './errors.js';
export { parseManifest, checkManifest, checkRelativePath, toolDefinitionDigest, MANIFEST_FILE, MANIFEST_KIND, MANIFEST_PURPOSE } from './manifest.js';
export type { PluginManifest, PluginTool, PluginPermissions, PluginDependency } from './manifest.js';
export { pluginFiles, fileDigest } from './files.js';
export { lockedDependencies } from './lockfile.js';
export { signPlugin } from './sign-plugin.js';
export type { PluginSpec } from './sign-plugin.js';
export { verifyPlugin } from './verify-plugin.js';
export type { AcceptedPublisher, VerifyPluginOptions, VerifiedPlugin } from './verify-plugin.js';
export { loadVerifiedPlugin } from './load-plugin.js';
export type { LoadPluginOptions } from './load-plugin.js';
export { verifyProvenance, verifyNpmProvenance } from './provenance.js';
export type { AcceptedIdentity, ProvenanceIdentity, VerifiedProvenance, ProvenanceOptions } from './provenance.js';
export { PUBLIC_GOOD_TRUSTED_ROOT } from './sigstore-trusted-root.js';
export { tarballPackage } from './tarball.js';
export { parseServerJson, checkNamespace } from './server-json.js';
export type { ServerJson, VerifiedIdentity } from './server-json.js';
export { permissionPolicy, pluginFacts } from './facts.js';
export type { PluginFacts } from './facts.js';
export { verifyUpstream, readRevocations } from './upstream-verify.js';
export type { UpstreamVerification, VerifiedUpstream } from './upstream-verify.js';
export { TOOL_DEFINITION_FIELDS } from './tool-definition.js';

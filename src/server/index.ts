/**
 * `agent-warden/server`: the decision service (`warden serve`), its remote client, and signed
 * policy bundles. See docs/server.md.
 */
export { createDecisionServer } from './decision-server.js';
export type { DecisionServer, DecisionServerOptions, ServerMount } from './decision-server.js';
export { createAuthenticator, parseTokenFile } from './auth.js';
export type { ServerAuthOptions, ServerJwtOptions, AuthResult, Authenticator } from './auth.js';
export { remoteGovernor, RemoteGovernor } from './remote-governor.js';
export type { RemoteGovernorOptions } from './remote-governor.js';
export { ROUTES, openApiDocument } from './routes.js';
export type { RouteSpec } from './routes.js';
export { ActivePolicy } from './active-policy.js';
export type { ActivePolicyStatus, PolicyWatchOptions } from './active-policy.js';
export { BundleError, bundleText, BUNDLE_KIND, BUNDLE_SIGNATURE_DOMAIN, MAX_BUNDLE_BYTES } from './bundle-format.js';
export type { BundleFailure, BundleManifest, BundleFileEntry, BundleSignature, PolicyBundle } from './bundle-format.js';
export { bundleOf, buildBundle } from './bundle-build.js';
export { signBundle } from './bundle-sign.js';
export { verifyBundle, parseBundle } from './bundle-verify.js';
export { bundleDataPath, BUNDLE_DATA_PREFIX } from './bundle-data.js';
export type { VerifiedBundle } from './bundle-verify.js';
export type { ServerErrorCode } from './http-io.js';

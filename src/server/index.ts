/**
 * `agent-warden/server`: the decision service (`warden serve`), its remote client, and signed
 * policy bundles. See docs/server.md.
 */
import { WardenError } from '../errors.js';
import type { DecisionServer, DecisionServerOptions } from './decision-server.js';

/**
 * Creates the decision service: loads the policy (or the first bundle), opens the sink and the
 * state store, and builds the pipeline. Call `listen()` to serve. The service itself (HTTP
 * handling, the store, metrics) loads with the first call, not when this subpath is imported.
 *
 * @example
 * ```ts
 * const server = await createDecisionServer({ policy: ['policies/'], auth: { tokens: [{ subject: 'ci', token: 'a-long-random-token-1234' }] }, port: 0 });
 * console.log((await server.listen()).url);
 * ```
 * @throws WardenError `ERR_SERVER` for bad options, `ERR_MODULE_LOAD` when the service (a file of
 *   the install) cannot be loaded; PolicyLoadError when the given policy files do not load.
 */
export async function createDecisionServer(options: DecisionServerOptions): Promise<DecisionServer> {
  let service: typeof import('./decision-server.js');
  try {
    service = await import('./decision-server.js');
  } catch (e) {
    throw new WardenError('ERR_MODULE_LOAD', `Warden could not load its decision service: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}. The install is incomplete or damaged; reinstall agent-warden.`, { cause: e });
  }
  return service.createDecisionServer(options);
}
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

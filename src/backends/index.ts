/**
 * `agent-warden/backends`: the engines for Cedar and Rego documents in a Warden policy set.
 *
 * loadPolicyFiles() and the warden command attach them on their own when a source holds a
 * `kind: CedarPolicy` or `kind: RegoPolicy` document (or is a .cedar or .rego file); pass them
 * yourself to compilePolicy().
 *
 * @example
 * ```ts
 * import { compilePolicy } from 'agent-warden';
 * import { cedarBackend } from 'agent-warden/backends';
 * const set = compilePolicy(sources, { backends: { cedar: await cedarBackend() } });
 * ```
 */
export { cedarBackend, CEDAR_PACKAGE } from './cedar.js';
export { regoBackend, OPA_WASM_PACKAGE, type RegoBackendOptions, type RegoWasmCache } from './rego.js';
export type { BackendDocument, BackendEvaluator, BackendFactory, BackendInput, BackendLanguage, BackendVerdict, PolicyBackends } from '../policy/backend.js';

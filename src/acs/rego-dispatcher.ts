/**
 * The specification's own mapping for `type: rego` policies (section 12.1): the bound query is
 * evaluated with the canonical policy input as `input`, and its value is the verdict-shaped
 * output. Evaluated in-process: each (policy, query) pair the manifest binds is compiled to
 * WebAssembly once, at construction, by `opa build -t wasm`, and run with
 * `@open-policy-agent/opa-wasm` (the optional peer the Rego backend uses). Never a process per
 * evaluation.
 */
import { createRequire } from 'node:module';
import { compileRegoToWasm } from '../backends/rego.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { AcsPolicyDispatcher } from './evaluate.js';
import type { AcsManifest } from './manifest.js';

/**
 * Options of {@link acsRegoDispatcher}.
 *
 * @example
 * ```ts
 * const options: AcsRegoOptions = { modules: { p: 'package acs\nverdict := {"decision": "allow"}' }, opa: '/usr/local/bin/opa' };
 * ```
 */
export interface AcsRegoOptions {
  /** The Rego module of each `type: rego` policy the manifest defines, by policy id. */
  modules: Readonly<Record<string, string>>;
  /** The opa binary that compiles the modules; default `WARDEN_OPA`. */
  opa?: string;
}

interface Loaded {
  entrypoints: Record<string, number>;
  evaluate(input: unknown, entrypoint: number): Array<{ result: unknown }>;
}

/**
 * Compiles every rego policy the manifest binds and returns the dispatcher that evaluates them.
 *
 * @example
 * ```ts
 * const policy = acsRegoDispatcher(manifest, { modules: { p: regoText } });
 * evaluateAcs(manifest, request, { policy });
 * ```
 * @throws WardenError `ERR_ACS_MANIFEST` when a bound rego policy has no module or does not
 *   compile; `ERR_MISSING_DEPENDENCY` without opa-wasm or an opa binary; `ERR_OPTIONS` for an unknown option.
 */
export function acsRegoDispatcher(manifest: AcsManifest, options: AcsRegoOptions): AcsPolicyDispatcher {
  rejectUnknownKeys(options, ['modules', 'opa'], 'ERR_OPTIONS', 'acsRegoDispatcher options');
  const opa = options.opa ?? process.env.WARDEN_OPA;
  if (opa === undefined || opa === '') throw new WardenError('ERR_MISSING_DEPENDENCY', 'ACS rego policies are compiled to WebAssembly by the opa binary: pass { opa: <path> } or set WARDEN_OPA.');
  let opaWasm: { loadPolicySync(wasm: Uint8Array): Loaded };
  try {
    opaWasm = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof opaWasm;
  } catch (e) {
    throw new WardenError('ERR_MISSING_DEPENDENCY', 'ACS rego policies need the optional package @open-policy-agent/opa-wasm. Install it beside agent-warden: npm install @open-policy-agent/opa-wasm@^1.10.0', { cause: e });
  }
  const compiled = new Map<string, { policy: Loaded; entry: number }>();
  for (const point of manifest.interventionPoints.values()) {
    const id = point.policy.id;
    const def = manifest.policies.get(id);
    if (def?.type !== 'rego') continue;
    const query = (point.policy.query ?? def.query) as string;
    const key = `${id}\0${query}`;
    if (compiled.has(key)) continue;
    const module = Object.hasOwn(options.modules, id) ? options.modules[id] : undefined;
    if (typeof module !== 'string') throw new WardenError('ERR_ACS_MANIFEST', `runtime_error:manifest_invalid: policies.${id} is a rego policy and options.modules has no module for it.`);
    if (!/^data(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(query)) throw new WardenError('ERR_ACS_MANIFEST', `runtime_error:manifest_invalid: the query of policy ${id} (${query}) is not data.<package>.<rule>.`);
    const entrypoint = query.slice('data.'.length).replaceAll('.', '/');
    let policy: Loaded;
    try {
      policy = opaWasm.loadPolicySync(compileRegoToWasm(opa, module, entrypoint));
    } catch (e) {
      throw new WardenError('ERR_ACS_MANIFEST', `runtime_error:manifest_invalid: policy ${id}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const entry = policy.entrypoints[entrypoint];
    if (entry === undefined) throw new WardenError('ERR_ACS_MANIFEST', `runtime_error:manifest_invalid: policy ${id}'s module has no rule ${query}.`);
    compiled.set(key, { policy, entry });
  }
  return (invocation, policyId) => {
    const found = compiled.get(`${policyId}\0${String(invocation.query)}`);
    if (found === undefined) throw new Error(`policy ${policyId} is not a compiled rego policy`);
    const results = found.policy.evaluate(invocation.input, found.entry);
    if (!Array.isArray(results) || results.length !== 1) return undefined; // undefined or conflicting: policy_output_invalid
    return (results[0] as { result: unknown }).result;
  };
}

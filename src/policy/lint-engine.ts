/**
 * What `agent-warden/lint` loads on the first lint or conversion (src/lib/lazy-module.ts): the
 * compiler, the checks and the facets they read, with the YAML and CEL parsers. Importing the
 * subpath loads only the findings' format, SARIF and the policy diff.
 */
export { lintPolicy, analyzePolicySet } from './lint.js';
export { convertAgtPolicies } from './agt-convert.js';

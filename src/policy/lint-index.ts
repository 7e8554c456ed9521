/**
 * `agent-warden/lint`: policies checked like code, from a program. Static analysis with SARIF
 * output, the comparison of two policy versions (rules and the decisions that move), and the
 * conversion of Agent Governance Toolkit policies to warden/v1. Everything here is pure.
 *
 * The analysis itself (the compiler, the checks, the YAML and CEL parsers) loads on the first
 * {@link lintPolicy}, {@link analyzePolicySet} or {@link convertAgtPolicies} (src/policy/lint-engine.ts),
 * not when this subpath is imported.
 *
 * @example
 * ```ts
 * import { lintPolicy, toSarif } from 'agent-warden/lint';
 * const report = lintPolicy([{ name: 'policy.yaml', text }]);
 * const sarif = toSarif(report.findings, { version: '0.1.0' });
 * ```
 */
import { lazyModule } from '../lib/lazy-module.js';
import type { AgtConversion } from './agt-convert.js';
import type { PolicySource } from './compile.js';
import type { LintFinding, LintOptions, LintReport } from './lint-findings.js';
import type { PolicySet } from './policy-set.js';

export { formatFinding, LINT_CHECKS, type LintCheck, type LintFinding, type LintOptions, type LintReport, type LintSeverity } from './lint-findings.js';
export { toSarif, type SarifLevel, type SarifLog, type SarifOptions, type SarifResult, type SarifRule, type SarifRun } from './sarif.js';
export { diffPolicySets, diffDecisions } from './policy-diff.js';
export type { PolicyDiff, RuleChange, RuleField, RuleSnapshot, DiffRequest, DecisionRef, DecisionMove, DecisionDiff } from './policy-diff.js';
export type { AgtConversion } from './agt-convert.js';

const engine = lazyModule<typeof import('./lint-engine.js')>('policy/lint-engine');

/**
 * Compiles `sources` and analyzes them: every load error (when they do not load), every compile
 * warning, and the findings of {@link analyzePolicySet}. Never throws for a bad policy.
 *
 * @example
 * ```ts
 * const report = lintPolicy([{ name: 'policy.yaml', text: fs.readFileSync('policy.yaml', 'utf8') }]);
 * for (const f of report.findings) console.log(formatFinding(f));
 * ```
 * @throws WardenError `ERR_OPTIONS` for an unknown option; `ERR_MODULE_LOAD` when the analysis
 *   (a file of the install) cannot be loaded.
 */
export function lintPolicy(sources: readonly PolicySource[], options?: LintOptions | null): LintReport {
  return engine().lintPolicy(sources, options);
}

/**
 * The findings of the checks on a compiled set and the sources it was compiled from (what
 * {@link lintPolicy} reports besides load errors and compile warnings).
 *
 * @example
 * ```ts
 * const set = compilePolicy(sources);
 * const findings = analyzePolicySet(set, sources, { maxComparisons: 100_000 });
 * ```
 * @throws WardenError `ERR_MODULE_LOAD` when the analysis (a file of the install) cannot be loaded.
 */
export function analyzePolicySet(set: PolicySet, sources: readonly PolicySource[], options?: LintOptions | null): LintFinding[] {
  return engine().analyzePolicySet(set, sources, options);
}

/**
 * Converts AGT policy sources into equivalent `warden/v1` YAML. Every source document must be an
 * AGT policy; the whole input must load (as compilePolicy loads it) before anything is converted.
 *
 * @example
 * ```ts
 * const { text } = convertAgtPolicies([{ name: 'agt.yaml', text: agtYaml }]);
 * const set = compilePolicy([{ name: 'converted.yaml', text }]); // decides as the AGT file does
 * ```
 * @throws PolicyLoadError when a source is not an AGT policy or does not load; WardenError
 *   `ERR_MODULE_LOAD` when the converter (a file of the install) cannot be loaded.
 */
export function convertAgtPolicies(sources: readonly PolicySource[]): AgtConversion {
  return engine().convertAgtPolicies(sources);
}

/**
 * Static analysis of policies (`warden lint`): compile the sources, then report every load error,
 * every compile warning and the findings of the checks (lint-analyze.ts and the files it names).
 * SARIF output is in sarif.ts, the comparison of two sets (`warden diff`) in policy-diff.ts; both
 * are re-exported here so this stays the one entry for lint, SARIF and diff.
 *
 * Everything here is pure: it reads a compiled PolicySet and the sources it was compiled from,
 * and returns findings. The checks reason conservatively about tool scopes: a rule is reported as
 * overridden only when the overriding rule provably covers every tool it names, never on a guess.
 */
import { rejectUnknownKeys } from '../lib/options.js';
import { compilePolicyForAnalysis, type PolicySource } from './compile.js';
import { COMPILE_OPTION_KEYS, compileOptionsOf } from './compile-options.js';
import { PolicyLoadError } from './issues.js';
import { analyzePolicySet } from './lint-analyze.js';
import { cmp, type LintFinding, type LintOptions, type LintReport, type LintSeverity } from './lint-findings.js';
import type { PolicySet } from './policy-set.js';

export { analyzePolicySet } from './lint-analyze.js';
export { formatFinding, LINT_CHECKS, type LintCheck, type LintFinding, type LintOptions, type LintReport, type LintSeverity } from './lint-findings.js';
export { toSarif, type SarifLevel, type SarifLog, type SarifOptions, type SarifResult, type SarifRule, type SarifRun } from './sarif.js';
export {
  diffDecisions,
  diffPolicySets,
  type DecisionDiff,
  type DecisionMove,
  type DecisionRef,
  type DiffRequest,
  type PolicyDiff,
  type RuleChange,
  type RuleField,
  type RuleSnapshot,
} from './policy-diff.js';

const LINT_OPTION_KEYS = [...COMPILE_OPTION_KEYS, 'maxComparisons', 'bindings'];

/**
 * Compiles `sources` and analyzes them: every load error (when they do not load), every compile
 * warning, and the findings of {@link analyzePolicySet}. Never throws for a bad policy.
 *
 * @example
 * ```ts
 * const report = lintPolicy([{ name: 'policy.yaml', text: fs.readFileSync('policy.yaml', 'utf8') }]);
 * for (const f of report.findings) console.log(formatFinding(f));
 * ```
 */
export function lintPolicy(sources: readonly PolicySource[], options?: LintOptions | null): LintReport {
  options ??= {};
  rejectUnknownKeys(options, LINT_OPTION_KEYS, 'ERR_OPTIONS', 'lint options');
  let set: PolicySet;
  try {
    set = compilePolicyForAnalysis(sources, compileOptionsOf(options), options.bindings ?? []);
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) throw e;
    return report(false, 0, [...e.issues]);
  }
  return report(true, set.rules.length, [...set.warnings, ...analyzePolicySet(set, sources, options)]);
}

function report(loaded: boolean, rules: number, findings: LintFinding[]): LintReport {
  findings.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.col - b.col || cmp(a.code, b.code) || cmp(a.message, b.message));
  const count = (s: LintSeverity): number => findings.filter((f) => f.severity === s).length;
  return { loaded, rules, findings, errors: count('error'), warnings: count('warning'), infos: count('info') };
}

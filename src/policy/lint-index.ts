/**
 * `agent-warden/lint`: policies checked like code, from a program. Static analysis with SARIF
 * output, the comparison of two policy versions (rules and the decisions that move), and the
 * conversion of Agent Governance Toolkit policies to warden/v1. Everything here is pure.
 *
 * @example
 * ```ts
 * import { lintPolicy, toSarif } from 'agent-warden/lint';
 * const report = lintPolicy([{ name: 'policy.yaml', text }]);
 * const sarif = toSarif(report.findings, { version: '0.1.0' });
 * ```
 */
export {
  lintPolicy,
  analyzePolicySet,
  formatFinding,
  LINT_CHECKS,
  toSarif,
  diffPolicySets,
  diffDecisions,
  type LintCheck,
  type LintFinding,
  type LintOptions,
  type LintReport,
  type LintSeverity,
  type SarifLevel,
  type SarifLog,
  type SarifOptions,
  type SarifResult,
  type SarifRule,
  type SarifRun,
} from './lint.js';
export type { PolicyDiff, RuleChange, RuleField, RuleSnapshot, DiffRequest, DecisionRef, DecisionMove, DecisionDiff } from './policy-diff.js';
export { convertAgtPolicies, type AgtConversion } from './agt-convert.js';

/**
 * Policy tests: cases (Warden `PolicyTest` documents or Agent Governance Toolkit fixtures) run
 * against a compiled PolicySet, with reports for people, JSON and JUnit.
 *
 * @example
 * ```ts
 * import { loadPolicyTestFiles, runPolicyTests, formatPolicyTestText } from './testing/index.js';
 * const set = await loadPolicyFiles(['policy.yaml']);
 * const { cases } = await loadPolicyTestFiles(['policy.test.yaml']);
 * const run = runPolicyTests(set, cases);
 * for (const line of formatPolicyTestText(run)) console.log(line);
 * ```
 */
export type { PolicyTestCase, PolicyTestExpectation, PolicyTestFormat, PolicyTestMismatch, PolicyTestResult, PolicyTestRun } from './types.js';
export { parsePolicyTests, PolicyTestLoadError, type ParsedPolicyTests } from './cases.js';
export { loadPolicyTestFiles, isTestFileName, MAX_TEST_CASES, MAX_TEST_FILES, type LoadedPolicyTests } from './load.js';
export { runPolicyTests, type PolicyTestRunOptions } from './run.js';
export {
  formatPolicyTestText,
  formatPolicyTestJunit,
  formatLoadErrorJunit,
  policyTestRunJson,
  describeExpectation,
  describeDecision,
  type PolicyTestRunJson,
  type PolicyTestResultJson,
} from './report.js';
export { AGT_VERDICTS, AGT_VERDICT_EFFECT, type AgtVerdict } from './formats.js';
export { POLICY_TEST_KIND } from './formats.js';
export { parseTestTime } from './time.js';

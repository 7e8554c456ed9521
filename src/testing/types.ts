/** The data of policy tests: cases in, results out. */
import type { Decision, Effect, Request } from '../decision.js';
import type { SourcePos } from '../policy/source-pos.js';

/**
 * Where a case came from: Warden's `PolicyTest` documents or an Agent Governance Toolkit fixture.
 *
 * @example
 * ```ts
 * if (testCase.format === 'agt') console.log('from an AGT fixture');
 * ```
 */
export type PolicyTestFormat = 'warden' | 'agt';

/**
 * What a case expects of the decision.
 *
 * @example
 * ```ts
 * const expect: PolicyTestExpectation = { effect: 'deny', rule: null, reason: 'No rule' };
 * ```
 */
export interface PolicyTestExpectation {
  effect: Effect;
  /** The deciding rule; `null` expects the default (or a request error) to decide; absent is not checked. */
  rule?: string | null;
  /** Text the decision's reason must contain (case-sensitive); absent is not checked. */
  reason?: string;
  /** For AGT fixtures: the verdict as written (`log` is expected as `allow`). */
  verdict?: string;
}

/**
 * One test case: a request, the time rules see, and the expected decision.
 *
 * @example
 * ```ts
 * const c: PolicyTestCase = {
 *   name: 'reads are allowed',
 *   request: { tool: 'read_file', args: { path: '/workspace/a.txt' } },
 *   expect: { effect: 'allow', rule: 'allow-read-only-tools' },
 * };
 * ```
 */
export interface PolicyTestCase {
  name: string;
  request: Request;
  /** The time conditions see as `now`; when absent, the run's default (if any). */
  now?: Date;
  expect: PolicyTestExpectation;
  /** Where the case is written, when it was read from a file. */
  where?: SourcePos;
  /** The file's test name (`name:` of a PolicyTest document), else the file. */
  suite?: string;
  format?: PolicyTestFormat;
}

/**
 * One way a decision differed from what a case expected.
 *
 * @example
 * ```ts
 * const m: PolicyTestMismatch = { field: 'rule', expected: 'allow-reads', got: null };
 * ```
 */
export interface PolicyTestMismatch {
  field: 'effect' | 'rule' | 'reason';
  expected: string | null;
  got: string | null;
}

/**
 * The outcome of one case.
 *
 * @example
 * ```ts
 * if (!result.passed) console.log(result.case.name, result.mismatches);
 * ```
 */
export interface PolicyTestResult {
  case: PolicyTestCase;
  passed: boolean;
  decision: Decision;
  /** Empty exactly when the case passed. */
  mismatches: PolicyTestMismatch[];
  /** For a failed case: every rule that applied to the request (`policy/rule`), the decider first. */
  matchedRules?: string[];
}

/**
 * The outcome of a run of cases against one PolicySet.
 *
 * @example
 * ```ts
 * const run = runPolicyTests(set, cases);
 * process.exitCode = run.failed > 0 ? 1 : 0;
 * ```
 */
export interface PolicyTestRun {
  results: PolicyTestResult[];
  passed: number;
  failed: number;
  /** The digest of the policy sources the cases ran against. */
  policyDigest: string;
}

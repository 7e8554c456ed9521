/** Running test cases against a compiled PolicySet. Pure: no I/O, no clock. */
import { WardenError } from '../errors.js';
import type { PolicySet } from '../policy/policy-set.js';
import { EFFECTS, type Decision } from '../decision.js';
import type { PolicyTestCase, PolicyTestMismatch, PolicyTestResult, PolicyTestRun } from './types.js';

/**
 * Options for a run.
 *
 * @example
 * ```ts
 * runPolicyTests(set, cases, { now: new Date('2026-01-01T00:00:00Z') });
 * ```
 */
export interface PolicyTestRunOptions {
  /** The time rules see for cases that give no `now`. Without it such cases decide with no time (rules reading `now` fail closed). */
  now?: Date;
}

/**
 * Decides every case against the set and compares with what it expects: the effect always, the
 * deciding rule when `expect.rule` is given (`null`: the default decided), and that the reason
 * contains `expect.reason` when given. A failed case also lists every rule that applied.
 *
 * @example
 * ```ts
 * const set = await loadPolicyFiles(['policy.yaml']);
 * const { cases } = await loadPolicyTestFiles(['policy.test.yaml']);
 * const run = runPolicyTests(set, cases);
 * console.log(`${run.passed} passed, ${run.failed} failed`);
 * ```
 * @throws WardenError (`ERR_POLICY_TEST_CASE`) when a case is not a case (no name, request or valid expected effect).
 */
export function runPolicyTests(set: PolicySet, cases: readonly PolicyTestCase[], options?: PolicyTestRunOptions | null): PolicyTestRun {
  if (!Array.isArray(cases)) throw new WardenError('ERR_POLICY_TEST_CASE', 'runPolicyTests takes a list of cases.');
  const results: PolicyTestResult[] = [];
  let passed = 0;
  for (const [i, c] of cases.entries()) {
    checkCase(c, i);
    const now = c.now ?? options?.now;
    const decideOptions = now === undefined ? {} : { now };
    const decision = set.decide(c.request, decideOptions);
    const mismatches = compare(c, decision);
    const result: PolicyTestResult = { case: c, passed: mismatches.length === 0, decision, mismatches };
    if (result.passed) passed++;
    else result.matchedRules = matchedRules(set, c, decideOptions, decision);
    results.push(result);
  }
  return { results, passed, failed: results.length - passed, policyDigest: set.digest };
}

function compare(c: PolicyTestCase, d: Decision): PolicyTestMismatch[] {
  const out: PolicyTestMismatch[] = [];
  if (d.effect !== c.expect.effect) out.push({ field: 'effect', expected: c.expect.effect, got: d.effect });
  if (c.expect.rule !== undefined && d.rule !== c.expect.rule) out.push({ field: 'rule', expected: c.expect.rule, got: d.rule });
  if (c.expect.reason !== undefined && !d.reason.includes(c.expect.reason)) out.push({ field: 'reason', expected: c.expect.reason, got: d.reason });
  return out;
}

/** The rules that applied, the deciding one first: what a reader needs to see why a case failed. */
function matchedRules(set: PolicySet, c: PolicyTestCase, options: { now?: Date }, decision: Decision): string[] {
  const names = set
    .explain(c.request, options)
    .rules.filter((r) => r.status === 'matched' || (r.status === 'error' && r.appliedOnError === true))
    .map((r) => ({ name: `${r.policy}/${r.rule}`, decides: r.rule === decision.rule && r.policy === decision.policy }));
  return [...names.filter((n) => n.decides), ...names.filter((n) => !n.decides)].map((n) => n.name);
}

function checkCase(c: PolicyTestCase, i: number): void {
  const bad = (what: string): never => {
    throw new WardenError('ERR_POLICY_TEST_CASE', `Case ${i} ${what}.`);
  };
  if (c === null || typeof c !== 'object') bad('is not an object');
  if (typeof c.name !== 'string' || c.name.length === 0) bad('has no name');
  if (c.expect === null || typeof c.expect !== 'object' || !EFFECTS.includes(c.expect.effect)) bad(`("${c.name}") expects no valid effect; use one of ${EFFECTS.join(', ')}`);
  if (c.expect.rule !== undefined && c.expect.rule !== null && typeof c.expect.rule !== 'string') bad(`("${c.name}") expects a rule that is not a string or null`);
  if (c.expect.reason !== undefined && typeof c.expect.reason !== 'string') bad(`("${c.name}") expects a reason that is not a string`);
  if (c.now !== undefined && !(c.now instanceof Date && !Number.isNaN(c.now.getTime()))) bad(`("${c.name}") has a now that is not a valid Date`);
}

/** Running cases against a PolicySet: pass, fail, and what a failure says. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { parsePolicyTests } from '../../src/testing/cases.js';
import { runPolicyTests } from '../../src/testing/run.js';
import type { PolicyTestCase } from '../../src/testing/types.js';

const FIX = fileURLToPath(new URL('../fixtures/testing/', import.meta.url));
const set = compilePolicy([{ name: 'policy.yaml', text: readFileSync(`${FIX}policy.yaml`, 'utf8') }]);

function casesIn(file: string): PolicyTestCase[] {
  const { cases, issues } = parsePolicyTests(file, readFileSync(`${FIX}${file}`, 'utf8'));
  expect(issues).toEqual([]);
  return cases;
}

describe('runPolicyTests', () => {
  it('passes every case whose decision matches', () => {
    const run = runPolicyTests(set, casesIn('pass.test.yaml'));
    expect(run.results.map((r) => [r.case.name, r.passed, r.mismatches])).toEqual([
      ['reads are allowed', true, []],
      ['env files are denied', true, []],
      ['unknown tools fall to the default', true, []],
      ['deploys before the freeze are allowed', true, []],
      ['bots deploy to staging only', true, []],
    ]);
    expect([run.passed, run.failed, run.policyDigest]).toEqual([5, 0, set.digest]);
    expect(run.results.every((r) => r.matchedRules === undefined)).toBe(true);
  });

  it('names each mismatch: the effect, the rule, the reason', () => {
    const run = runPolicyTests(set, casesIn('fail.test.yaml'));
    expect([run.passed, run.failed]).toEqual([1, 3]);
    expect(run.results.map((r) => r.mismatches)).toEqual([
      [{ field: 'effect', expected: 'allow', got: 'deny' }],
      [{ field: 'rule', expected: 'allow-reads', got: 'no-env-files' }],
      [{ field: 'reason', expected: 'approval', got: 'Secrets stay secret' }],
      [],
    ]);
  });

  it('lists every rule that applied to a failed case, the deciding one first', () => {
    const [first] = runPolicyTests(set, casesIn('fail.test.yaml')).results;
    expect(first?.matchedRules).toEqual(['shop/no-env-files', 'shop/allow-reads']);
    expect(first?.decision).toMatchObject({ effect: 'deny', rule: 'no-env-files', policy: 'shop', reason: 'Secrets stay secret' });
  });

  const base = { name: 'c', request: { tool: 'read_file', args: { path: '/srv/.env' } } };
  it.each([
    ['an expected null rule when a rule decided', { ...base, expect: { effect: 'deny' as const, rule: null } }, [{ field: 'rule', expected: null, got: 'no-env-files' }]],
    ['an expected rule when the default decided', { name: 'c', request: { tool: 'nope', args: {} }, expect: { effect: 'deny' as const, rule: 'r' } }, [{ field: 'rule', expected: 'r', got: null }]],
    ['a reason in another case', { ...base, expect: { effect: 'deny' as const, reason: 'secrets' } }, [{ field: 'reason', expected: 'secrets', got: 'Secrets stay secret' }]],
    [
      'all three at once',
      { ...base, expect: { effect: 'allow' as const, rule: 'allow-reads', reason: 'allows' } },
      [
        { field: 'effect', expected: 'allow', got: 'deny' },
        { field: 'rule', expected: 'allow-reads', got: 'no-env-files' },
        { field: 'reason', expected: 'allows', got: 'Secrets stay secret' },
      ],
    ],
  ])('fails %s', (_what, c, mismatches) => {
    const [r] = runPolicyTests(set, [c as PolicyTestCase]).results;
    expect(r?.passed).toBe(false);
    expect(r?.mismatches).toEqual(mismatches);
  });

  it('passes a case expecting the default (rule null) when no rule applied', () => {
    const [r] = runPolicyTests(set, [{ name: 'd', request: { tool: 'nope', args: {} }, expect: { effect: 'deny', rule: null, reason: 'No rule allows tool "nope"' } }]).results;
    expect(r?.passed).toBe(true);
  });

  describe('time', () => {
    const deploy: PolicyTestCase = { name: 'deploy', request: { tool: 'deploy', args: {}, agent: { id: 'a' } }, expect: { effect: 'allow', rule: 'deploys-before-freeze' } };
    it('uses the case time first', () => {
      const r = runPolicyTests(set, [{ ...deploy, now: new Date('2026-12-24T00:00:00Z') }], { now: new Date('2026-01-01T00:00:00Z') }).results[0];
      expect(r?.decision.rule).toBeNull();
      expect(r?.passed).toBe(false);
    });
    it('uses the run time for a case without one', () => {
      expect(runPolicyTests(set, [deploy], { now: new Date('2026-01-01T00:00:00Z') }).results[0]?.passed).toBe(true);
    });
    it('decides with no time at all when neither gives one, so a rule reading now fails closed', () => {
      const r = runPolicyTests(set, [deploy]).results[0];
      expect(r?.passed).toBe(false);
      expect(r?.decision.effect).toBe('deny');
      expect(r?.decision.errors.map((e) => [e.code, e.rule])).toEqual([['condition_error', 'deploys-before-freeze']]);
    });
  });

  it('shows a malformed request as refused (rule null, reason invalid_request), so a case can pin that', () => {
    const bad = { name: 'bad', request: { tool: '', args: {} }, expect: { effect: 'deny', rule: null, reason: 'invalid_request' } } as PolicyTestCase;
    expect(runPolicyTests(set, [bad]).results[0]?.passed).toBe(true);
  });

  it('an empty set denies every case that expects anything else', () => {
    const empty = compilePolicy([]);
    const r = runPolicyTests(empty, [{ name: 'x', request: { tool: 'read_file', args: {} }, expect: { effect: 'allow' } }]);
    expect([r.passed, r.failed, r.results[0]?.decision.effect]).toEqual([0, 1, 'deny']);
  });

  it.each([
    ['a list that is not a list', 'nope' as unknown as PolicyTestCase[], 'takes a list'],
    ['a case without a name', [{ name: '', request: { tool: 't', args: {} }, expect: { effect: 'allow' } }], 'has no name'],
    ['an effect that does not exist', [{ name: 'c', request: { tool: 't', args: {} }, expect: { effect: 'permit' } }], 'expects no valid effect'],
    ['a rule that is a number', [{ name: 'c', request: { tool: 't', args: {} }, expect: { effect: 'allow', rule: 3 } }], 'not a string or null'],
    ['an invalid date', [{ name: 'c', request: { tool: 't', args: {} }, expect: { effect: 'allow' }, now: new Date('x') }], 'not a valid Date'],
  ])('refuses %s with ERR_POLICY_TEST_CASE', (_what, cases, says) => {
    let caught: unknown;
    try {
      runPolicyTests(set, cases as PolicyTestCase[]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('ERR_POLICY_TEST_CASE');
    expect((caught as WardenError).message).toContain(says);
  });
});

describe('AGT fixtures decide as they expect', () => {
  it('maps every fixture onto a request the policy decides as the fixture says', async () => {
    const agtSet = await loadPolicyFiles([`${FIX}agt/policy.yaml`]);
    const cases = ['allow_select.json', 'deny_prod_sql.json', 'mixed.test.yaml'].flatMap((f) => parsePolicyTests(f, readFileSync(`${FIX}agt/${f}`, 'utf8')).cases);
    const run = runPolicyTests(agtSet, cases);
    expect(run.results.map((r) => [r.case.name, r.decision.effect, r.decision.rule, r.passed])).toEqual([
      ['allow-select-production', 'allow', 'production-reads', true],
      ['deny-production-sql', 'deny', 'deny-prod-sql', true],
      ['external-api-denied', 'deny', 'restrict-external-api', true],
      ['internal-api-allowed', 'allow', 'allow-internal-api', true],
      ['payment-waits-for-finance', 'require_approval', 'approve-payments', true],
      ['payment-from-unknown-identity', 'deny', 'unknown-payer', true],
      ['bulk-export-warns', 'warn', 'warn-bulk-export', true],
      ['searches-are-logged', 'allow', 'allow-search', true],
    ]);
  });

  it('fails a log fixture when the policy warns, since log means the call goes through unflagged', async () => {
    const agtSet = await loadPolicyFiles([`${FIX}agt/policy.yaml`]);
    const [c] = parsePolicyTests('f.json', '{"id":"x","input":{"action":{"type":"export","args":{"rows":5000}}},"expected_verdict":"log"}').cases;
    const [r] = runPolicyTests(agtSet, c ? [c] : []).results;
    expect(r?.mismatches).toEqual([{ field: 'effect', expected: 'allow', got: 'warn' }]);
  });

  it('takes identity only from agent_did: an agent_id inside the parameters identifies no one', async () => {
    const agtSet = await loadPolicyFiles([`${FIX}agt/policy.yaml`]);
    const [c] = parsePolicyTests('f.json', '{"id":"x","input":{"action":"payment","parameters":{"agent_did":"did:web:billing","amount":1}},"expected_verdict":"require_approval"}').cases;
    const [r] = runPolicyTests(agtSet, c ? [c] : []).results;
    expect([r?.decision.effect, r?.decision.rule, r?.passed]).toEqual(['deny', 'unknown-payer', false]);
  });
});

/** The three reports of a run: text, JSON and JUnit XML. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { parsePolicyTests } from '../../src/testing/cases.js';
import { describeDecision, describeExpectation, formatLoadErrorJunit, formatPolicyTestJunit, formatPolicyTestText, policyTestRunJson, xml } from '../../src/testing/report.js';
import { runPolicyTests } from '../../src/testing/run.js';
import type { PolicyTestRun } from '../../src/testing/types.js';

const FIX = fileURLToPath(new URL('../fixtures/testing/', import.meta.url));
const set = compilePolicy([{ name: 'policy.yaml', text: readFileSync(`${FIX}policy.yaml`, 'utf8') }]);
const D = set.digest;

function runOf(file: string, text = readFileSync(`${FIX}${file}`, 'utf8')): PolicyTestRun {
  return runPolicyTests(set, parsePolicyTests(file, text).cases);
}

describe('the text report', () => {
  it('shows each failure with where, expected, got, reason, mismatches and matched rules, then a summary', () => {
    expect(formatPolicyTestText(runOf('fail.test.yaml'), { files: 1 })).toEqual([
      'FAIL  expects allow but the env rule denies',
      '      at        fail.test.yaml:5:5',
      '      expected  allow',
      '      got       deny, rule no-env-files (policy shop)',
      '      reason    Secrets stay secret',
      '      mismatch  effect: expected allow, got deny',
      '      matched   shop/no-env-files, shop/allow-reads',
      '',
      'FAIL  right effect, wrong rule',
      '      at        fail.test.yaml:9:5',
      '      expected  deny, rule allow-reads',
      '      got       deny, rule no-env-files (policy shop)',
      '      reason    Secrets stay secret',
      '      mismatch  rule: expected allow-reads, got no-env-files',
      '      matched   shop/no-env-files, shop/allow-reads',
      '',
      'FAIL  right effect and rule, wrong reason',
      '      at        fail.test.yaml:13:5',
      '      expected  deny, rule no-env-files, reason containing "approval"',
      '      got       deny, rule no-env-files (policy shop)',
      '      reason    Secrets stay secret',
      '      mismatch  reason: expected text "approval", got "Secrets stay secret"',
      '      matched   shop/no-env-files, shop/allow-reads',
      '',
      `FAILED: 1 passed, 3 failed (4 cases in 1 file; policy ${D})`,
    ]);
  });

  it('shows condition errors and a default decision', () => {
    const text = 'apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: no time\n    request: { tool: deploy }\n    expect: { effect: allow, rule: deploys-before-freeze }\n';
    const lines = formatPolicyTestText(runOf('t.test.yaml', text));
    expect(lines.slice(0, 7)).toEqual([
      'FAIL  no time',
      '      at        t.test.yaml:4:5',
      '      expected  allow, rule deploys-before-freeze',
      '      got       deny, decided by the default (no rule) of policy shop',
      '      reason    No rule allows tool "deploy", and the default of policy "shop" is deny. Add an allow rule for it if it should run.',
      '      mismatch  effect: expected allow, got deny',
      '      mismatch  rule: expected deploys-before-freeze, got (no rule: the default)',
    ]);
    expect(lines[7]).toMatch(/^ {6}error {5}\[condition_error\] rule deploys-before-freeze: /);
  });

  it('lists passing cases only when verbose, and says OK when all passed', () => {
    const run = runOf('pass.test.yaml');
    expect(formatPolicyTestText(run)).toEqual([`OK: 5 passed, 0 failed (5 cases; policy ${D})`]);
    expect(formatPolicyTestText(run, { verbose: true, files: 2 })).toEqual([
      'PASS  reads are allowed  (pass.test.yaml:5:5)',
      'PASS  env files are denied  (pass.test.yaml:9:5)',
      'PASS  unknown tools fall to the default  (pass.test.yaml:13:5)',
      'PASS  deploys before the freeze are allowed  (pass.test.yaml:17:5)',
      'PASS  bots deploy to staging only  (pass.test.yaml:26:5)',
      `OK: 5 passed, 0 failed (5 cases in 2 files; policy ${D})`,
    ]);
  });

  it.each([
    [{ effect: 'deny' as const }, 'deny'],
    [{ effect: 'deny' as const, rule: null }, 'deny, decided by the default (no rule)'],
    [{ effect: 'allow' as const, rule: 'r', reason: 'a "b"' }, 'allow, rule r, reason containing "a \\"b\\""'],
    [{ effect: 'allow' as const, verdict: 'log' }, 'allow (AGT verdict log)'],
  ])('describes the expectation %j', (e, text) => {
    expect(describeExpectation(e)).toBe(text);
  });

  it('describes a decision by a rule and by the default', () => {
    expect(describeDecision(set.decide({ tool: 'read_x', args: {} }))).toBe('allow, rule allow-reads (policy shop)');
    expect(describeDecision(set.decide({ tool: 'x', args: {} }))).toBe('deny, decided by the default (no rule) of policy shop');
  });
});

describe('the JSON report', () => {
  it('has the summary, the files, and for each case where it is, what it expected and what was decided', () => {
    const json = policyTestRunJson(runOf('fail.test.yaml'), ['fail.test.yaml']);
    expect(Object.keys(json)).toEqual(['passed', 'failed', 'total', 'policyDigest', 'files', 'results']);
    expect(json).toMatchObject({ passed: 1, failed: 3, total: 4, policyDigest: D, files: ['fail.test.yaml'] });
    expect(json.results[1]).toEqual({
      name: 'right effect, wrong rule',
      suite: 'shop-failing',
      file: 'fail.test.yaml',
      line: 9,
      col: 5,
      format: 'warden',
      passed: false,
      expected: { effect: 'deny', rule: 'allow-reads' },
      got: { effect: 'deny', rule: 'no-env-files', policy: 'shop', reason: 'Secrets stay secret', errors: [] },
      mismatches: [{ field: 'rule', expected: 'allow-reads', got: 'no-env-files' }],
      matchedRules: ['shop/no-env-files', 'shop/allow-reads'],
    });
    expect(json.results[3]).toEqual({
      name: 'passes among failures',
      suite: 'shop-failing',
      file: 'fail.test.yaml',
      line: 17,
      col: 5,
      format: 'warden',
      passed: true,
      expected: { effect: 'allow' },
      got: { effect: 'allow', rule: 'allow-reads', policy: 'shop', reason: 'Rule "allow-reads" of policy "shop" allows this call.', errors: [] },
      mismatches: [],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('marks AGT cases and keeps the verdict as written', () => {
    const json = policyTestRunJson(runOf('f.json', '{"id":"x","input":{"action":"read_x"},"expected_verdict":"log"}'));
    expect(json.results[0]).toMatchObject({ name: 'x', format: 'agt', passed: true, expected: { effect: 'allow', verdict: 'log' }, file: 'f.json', line: 1, col: 1 });
  });

  it('gives nulls for where a hand-built case has no position', () => {
    const run = runPolicyTests(set, [{ name: 'h', request: { tool: 'read_x', args: {} }, expect: { effect: 'allow' } }]);
    expect(policyTestRunJson(run).results[0]).toMatchObject({ suite: null, file: null, line: null, col: null, format: 'warden' });
  });
});

describe('the JUnit report', () => {
  it('has one suite per file, one test case per case, and a failure with the decision for each failed case', () => {
    const a = parsePolicyTests('pass.test.yaml', readFileSync(`${FIX}pass.test.yaml`, 'utf8')).cases.slice(0, 1);
    const b = parsePolicyTests('fail.test.yaml', readFileSync(`${FIX}fail.test.yaml`, 'utf8')).cases.slice(1, 2);
    expect(formatPolicyTestJunit(runPolicyTests(set, [...a, ...b]))).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="warden test" tests="2" failures="1" errors="0">',
        '  <testsuite name="shop-passing" file="pass.test.yaml" tests="1" failures="0" errors="0" skipped="0">',
        `    <properties><property name="policyDigest" value="${D}"/></properties>`,
        '    <testcase name="reads are allowed" classname="shop-passing" file="pass.test.yaml" line="5"/>',
        '  </testsuite>',
        '  <testsuite name="shop-failing" file="fail.test.yaml" tests="1" failures="1" errors="0" skipped="0">',
        `    <properties><property name="policyDigest" value="${D}"/></properties>`,
        '    <testcase name="right effect, wrong rule" classname="shop-failing" file="fail.test.yaml" line="9">',
        '      <failure type="decision_mismatch" message="rule: expected allow-reads, got no-env-files">at fail.test.yaml:9:5',
        'expected: deny, rule allow-reads',
        'got: deny, rule no-env-files (policy shop)',
        'reason: Secrets stay secret',
        'matched: shop/no-env-files, shop/allow-reads</failure>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('escapes names, so a case name cannot break the XML', () => {
    const run = runPolicyTests(set, [{ name: 'a <b> & "c" \'d\'\u0001\n', request: { tool: 'x', args: {} }, expect: { effect: 'allow' } }]);
    const out = formatPolicyTestJunit(run);
    expect(out).toContain('<testcase name="a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;\\u0001&#10;" classname="(in memory)">');
    expect(out).not.toContain('<b>');
  });

  it('reports a run that could not start as one errored case listing every issue', () => {
    const issues = [
      { severity: 'error' as const, code: 'unknown_key', file: 'a.test.yaml', line: 3, col: 5, message: 'Unknown key "expcet" <here>' },
      { severity: 'warning' as const, code: 'strategy_ignored', file: 'f.json', line: 1, col: 2, message: 'w' },
    ];
    expect(formatLoadErrorJunit(issues)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="warden test" tests="1" failures="0" errors="1">',
        '  <testsuite name="warden test" tests="1" failures="0" errors="1" skipped="0">',
        '    <testcase name="load policy and cases" classname="warden test">',
        '      <error type="invalid_input" message="1 error loading the policy or the cases; nothing was run">a.test.yaml:3:5: error[unknown_key]: Unknown key &quot;expcet&quot; &lt;here&gt;',
        'f.json:1:2: warning[strategy_ignored]: w</error>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
});

describe('xml escaping', () => {
  it.each([
    ['markup', '<a href="x">&\'</a>', false, '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;'],
    ['line breaks in an attribute', 'a\nb\tc\rd', false, 'a&#10;b&#9;c&#13;d'],
    ['line breaks in content', 'a\nb\tc\rd', true, 'a\nb\tc&#13;d'],
    ['control characters XML cannot carry', 'a\u0000b\u001bc\u007f', false, 'a\\u0000b\\u001bc\u007f'],
    ['a lone surrogate', 'a\ud800b', false, 'a\\ud800b'],
    ['a surrogate pair', 'a😀b', false, 'a😀b'],
    ['non-characters', 'a\ufffeb\uffff', false, 'a\\ufffeb\\uffff'],
  ])('escapes %s', (_what, text, content, out) => {
    expect(xml(text, content)).toBe(out);
  });
});

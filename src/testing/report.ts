/** Reports of a test run: for a person, as JSON, and as JUnit XML for CI. Pure string building. */
import { formatIssue, type PolicyIssue } from '../policy/issues.js';
import type { Decision } from '../decision.js';
import type { PolicyTestCase, PolicyTestExpectation, PolicyTestResult, PolicyTestRun } from './types.js';

/** `file:line:col` of a case, or its suite when it was not read from a file. */
function whereOf(c: PolicyTestCase): string {
  return c.where ? `${c.where.file}:${c.where.line}:${c.where.col}` : (c.suite ?? '(in memory)');
}

/**
 * The expectation in words: `allow, rule allow-reads, reason containing "x"`.
 *
 * @example
 * ```ts
 * describeExpectation({ effect: 'deny', rule: null }); // 'deny, decided by the default (no rule)'
 * ```
 */
export function describeExpectation(e: PolicyTestExpectation): string {
  const parts = [e.verdict === undefined ? e.effect : `${e.effect} (AGT verdict ${e.verdict})`];
  if (e.rule === null) parts.push('decided by the default (no rule)');
  else if (e.rule !== undefined) parts.push(`rule ${e.rule}`);
  if (e.reason !== undefined) parts.push(`reason containing ${JSON.stringify(e.reason)}`);
  return parts.join(', ');
}

/**
 * The decision in words: `deny, rule no-secrets (policy starter)`.
 *
 * @example
 * ```ts
 * describeDecision(decision); // 'deny, decided by the default (no rule) of policy starter'
 * ```
 */
export function describeDecision(d: Decision): string {
  return d.rule === null ? `${d.effect}, decided by the default (no rule)${d.policy ? ` of policy ${d.policy}` : ''}` : `${d.effect}, rule ${d.rule} (policy ${d.policy ?? '?'})`;
}

/**
 * The run for a person: each failure with where it is written, what was expected, what was
 * decided and by which rule, the reason and any condition errors; then a summary line.
 * With `verbose`, passing cases are listed too.
 *
 * @example
 * ```ts
 * for (const line of formatPolicyTestText(run, { files: 2 })) console.log(line);
 * ```
 */
export function formatPolicyTestText(run: PolicyTestRun, options?: { verbose?: boolean; files?: number } | null): string[] {
  const out: string[] = [];
  for (const r of run.results) {
    if (r.passed) {
      if (options?.verbose) out.push(`PASS  ${r.case.name}  (${whereOf(r.case)})`);
      continue;
    }
    out.push(`FAIL  ${r.case.name}`);
    out.push(`      at        ${whereOf(r.case)}`);
    out.push(`      expected  ${describeExpectation(r.case.expect)}`);
    out.push(`      got       ${describeDecision(r.decision)}`);
    out.push(`      reason    ${r.decision.reason}`);
    for (const m of r.mismatches) {
      const show = (v: string | null): string => (v === null ? '(no rule: the default)' : m.field === 'reason' ? JSON.stringify(v) : v);
      out.push(`      mismatch  ${m.field}: expected ${m.field === 'reason' ? 'text ' : ''}${show(m.expected)}, got ${show(m.got)}`);
    }
    for (const e of r.decision.errors) out.push(`      error     [${e.code}]${e.rule ? ` rule ${e.rule}:` : ''} ${e.message}`);
    if (r.matchedRules && r.matchedRules.length > 0) out.push(`      matched   ${r.matchedRules.join(', ')}`);
    out.push('');
  }
  const total = run.results.length;
  const files = options?.files === undefined ? '' : ` in ${options.files} file${options.files === 1 ? '' : 's'}`;
  out.push(`${run.failed === 0 ? 'OK' : 'FAILED'}: ${run.passed} passed, ${run.failed} failed (${total} case${total === 1 ? '' : 's'}${files}; policy ${run.policyDigest})`);
  return out;
}

/**
 * One case in the JSON report.
 *
 * @example
 * ```ts
 * const first: PolicyTestResultJson | undefined = policyTestRunJson(run).results[0];
 * ```
 */
export interface PolicyTestResultJson {
  name: string;
  suite: string | null;
  file: string | null;
  line: number | null;
  col: number | null;
  format: string;
  passed: boolean;
  expected: PolicyTestExpectation;
  got: { effect: string; rule: string | null; policy: string | null; reason: string; errors: Decision['errors'] };
  mismatches: PolicyTestResult['mismatches'];
  matchedRules?: string[];
}

/**
 * The JSON report of a run.
 *
 * @example
 * ```ts
 * const json: PolicyTestRunJson = policyTestRunJson(run, files);
 * ```
 */
export interface PolicyTestRunJson {
  passed: number;
  failed: number;
  total: number;
  policyDigest: string;
  files: string[];
  results: PolicyTestResultJson[];
}

/**
 * The run as plain JSON data (what `warden test --json` prints).
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(policyTestRunJson(run, files), null, 2));
 * ```
 */
export function policyTestRunJson(run: PolicyTestRun, files: readonly string[] = []): PolicyTestRunJson {
  return {
    passed: run.passed,
    failed: run.failed,
    total: run.results.length,
    policyDigest: run.policyDigest,
    files: [...files],
    results: run.results.map((r) => {
      const d = r.decision;
      const out: PolicyTestResultJson = {
        name: r.case.name,
        suite: r.case.suite ?? null,
        file: r.case.where?.file ?? null,
        line: r.case.where?.line ?? null,
        col: r.case.where?.col ?? null,
        format: r.case.format ?? 'warden',
        passed: r.passed,
        expected: { ...r.case.expect },
        got: { effect: d.effect, rule: d.rule, policy: d.policy, reason: d.reason, errors: d.errors },
        mismatches: r.mismatches,
      };
      if (r.matchedRules) out.matchedRules = r.matchedRules;
      return out;
    }),
  };
}

/**
 * The run as JUnit XML: one `<testsuite>` per case file, one `<testcase>` per case, a
 * `<failure>` with the expected and actual decision for each failed case.
 *
 * @example
 * ```ts
 * await writeFile('warden-junit.xml', formatPolicyTestJunit(run));
 * ```
 */
export function formatPolicyTestJunit(run: PolicyTestRun): string {
  const suites = new Map<string, PolicyTestResult[]>();
  for (const r of run.results) {
    const key = r.case.where?.file ?? r.case.suite ?? '(in memory)';
    const list = suites.get(key) ?? [];
    list.push(r);
    suites.set(key, list);
  }
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="warden test" tests="${run.results.length}" failures="${run.failed}" errors="0">`];
  for (const [file, results] of suites) {
    const failures = results.filter((r) => !r.passed).length;
    const name = results[0]?.case.suite ?? file;
    lines.push(`  <testsuite name="${xml(name)}" file="${xml(file)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0">`);
    lines.push(`    <properties><property name="policyDigest" value="${xml(run.policyDigest)}"/></properties>`);
    for (const r of results) {
      const attrs = `name="${xml(r.case.name)}" classname="${xml(name)}"${r.case.where ? ` file="${xml(r.case.where.file)}" line="${r.case.where.line}"` : ''}`;
      if (r.passed) {
        lines.push(`    <testcase ${attrs}/>`);
        continue;
      }
      const message = r.mismatches.map((m) => `${m.field}: expected ${m.expected ?? '(default)'}, got ${m.got ?? '(default)'}`).join('; ');
      const body = [
        `at ${whereOf(r.case)}`,
        `expected: ${describeExpectation(r.case.expect)}`,
        `got: ${describeDecision(r.decision)}`,
        `reason: ${r.decision.reason}`,
        ...r.decision.errors.map((e) => `error: [${e.code}]${e.rule ? ` rule ${e.rule}:` : ''} ${e.message}`),
        ...(r.matchedRules && r.matchedRules.length > 0 ? [`matched: ${r.matchedRules.join(', ')}`] : []),
      ].join('\n');
      lines.push(`    <testcase ${attrs}>`);
      lines.push(`      <failure type="decision_mismatch" message="${xml(message)}">${xml(body, true)}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/**
 * A JUnit report for a run that could not start (an invalid policy or case file): one errored
 * test case listing every issue, so CI shows why nothing ran.
 *
 * @example
 * ```ts
 * console.log(formatLoadErrorJunit(error.issues));
 * ```
 */
export function formatLoadErrorJunit(issues: readonly PolicyIssue[]): string {
  const errors = issues.filter((i) => i.severity === 'error');
  const message = `${errors.length} error${errors.length === 1 ? '' : 's'} loading the policy or the cases; nothing was run`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites name="warden test" tests="1" failures="0" errors="1">',
    '  <testsuite name="warden test" tests="1" failures="0" errors="1" skipped="0">',
    '    <testcase name="load policy and cases" classname="warden test">',
    `      <error type="invalid_input" message="${xml(message)}">${xml(issues.map(formatIssue).join('\n'), true)}</error>`,
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Escapes text for an XML 1.0 attribute (or, with `content`, element text, where tabs and line
 * breaks stay as they are). Characters XML 1.0 cannot carry at all
 * (most control characters, lone surrogates, U+FFFE/U+FFFF) are written as `\uXXXX` text.
 *
 * @example
 * ```ts
 * xml('a<b & "c"'); // 'a&lt;b &amp; &quot;c&quot;'
 * ```
 */
export function xml(text: string, content = false): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const n = text.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) {
        out += text[i] ?? '';
        out += text[i + 1] ?? '';
        i++;
        continue;
      }
    }
    const ch = text[i] ?? '';
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (c === 0x0d || ((c === 0x09 || c === 0x0a) && !content)) out += `&#${c};`;
    else if (c === 0x09 || c === 0x0a) out += ch;
    else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

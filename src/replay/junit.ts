/**
 * Replay as JUnit XML for CI: one testcase per changed (or indeterminate) decision, failing for the
 * classes in `--fail-on`, and one summary testcase.
 *
 * Testcases are produced one at a time ({@link junitTestcase}), so a writer can stream millions of
 * them to disk and put the totals in the header afterwards ({@link junitDocument}).
 */
import { failingClass, directionOf, type FailOn } from './fail-on.js';
import { printable, thousands } from './format.js';
import type { DecisionSummary, ReplayChange, ReplayReport } from './replay.js';

/**
 * Escapes text for an XML attribute or element (XML 1.0): markup characters as entities, and
 * characters XML cannot carry at all as `\uXXXX` text.
 *
 * @example
 * ```ts
 * xmlText('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 * ```
 */
export function xmlText(s: string): string {
  return printable(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function who(d: DecisionSummary): string {
  if (d.rule === null) return d.policy === null ? 'no rule (invalid request)' : `the default of policy ${d.policy}`;
  return `rule ${d.rule} (policy ${d.policy ?? '?'})`;
}

/**
 * One testcase: its XML and whether it fails (or is skipped: an indeterminate record that
 * `--fail-on` does not list).
 *
 * @example
 * ```ts
 * const { xml, failed } = junitTestcase(change, ['deny-to-allow']);
 * ```
 */
export function junitTestcase(change: ReplayChange, failOn: readonly FailOn[]): { xml: string; failed: boolean; skipped: boolean } {
  const e = change.example;
  const cls = change.status === 'indeterminate' ? 'indeterminate' : (directionOf(e.kind) ?? 'other');
  const name = `${e.seq === null ? '' : `seq ${e.seq} `}${e.tool}: ${change.status === 'indeterminate' ? 'indeterminate' : e.kind.replace('->', ' -> ')}`;
  const detail =
    change.status === 'indeterminate'
      ? [`recorded ${e.before.effect} by ${who(e.before)}`, `hidden: ${(e.indeterminate?.hidden ?? []).join(', ')}`, e.indeterminate?.reason ?? '']
      : [`was ${e.before.effect} by ${who(e.before)}`, `now ${e.after.effect} by ${who(e.after)}: ${e.after.reason}`];
  const body = [...detail, `time ${e.ts}`, `agent ${e.agent ?? '(none)'}`, `args ${e.args}`].map(xmlText).join('\n');
  const failing = failingClass({ status: change.status, kind: e.kind }, failOn);
  let inner: string;
  if (failing !== null) inner = `<failure type="${failing}" message="${xmlText(`${name} (--fail-on ${failing})`)}">${body}</failure>`;
  else if (change.status === 'indeterminate') inner = `<skipped message="${xmlText('a rule evaluated for this decision reads redacted data')}"/><system-out>${body}</system-out>`;
  else inner = `<system-out>${body}</system-out>`;
  return {
    xml: `    <testcase classname="warden.replay.${cls}" name="${xmlText(name)}" time="0">${inner}</testcase>\n`,
    failed: failing !== null,
    skipped: failing === null && change.status === 'indeterminate',
  };
}

/**
 * The document around streamed testcases: `head`, then the testcases, then `tail`. The head holds
 * the totals (the streamed ones plus the summary testcase it contains).
 *
 * @example
 * ```ts
 * const { head, tail } = junitDocument(report, failOn, { tests, failures, skipped });
 * process.stdout.write(head + testcasesXml + tail);
 * ```
 */
export function junitDocument(
  report: ReplayReport,
  failOn: readonly FailOn[],
  streamed: { tests: number; failures: number; skipped: number },
): { head: string; tail: string } {
  const malformedFails = failOn.includes('malformed') && report.malformed > 0;
  const summaryName = `replay: ${thousands(report.decisions)} decisions, ${thousands(report.changed)} changed, ${thousands(report.indeterminate)} indeterminate, ${thousands(report.malformed)} malformed`;
  const summaryBody = [
    `candidate ${report.candidate.policies.join(', ')} ${report.candidate.digest}`,
    ...(report.baseline === null ? ['compared with the recorded decisions'] : [`baseline ${report.baseline.policies.join(', ')} ${report.baseline.digest}`]),
    `unchanged ${report.unchanged}`,
    ...Object.entries(report.changes).map(([k, n]) => `${k} ${n ?? 0}`),
    ...report.malformedExamples.map((m) => `malformed ${m.file ?? ''}${m.line !== null ? `:${m.line}` : ''}${m.seq !== null ? ` seq ${m.seq}` : ''}: ${m.message}`),
  ]
    .map(xmlText)
    .join('\n');
  const summary = malformedFails
    ? `<failure type="malformed" message="${xmlText(`${thousands(report.malformed)} ${report.malformed === 1 ? 'line is not a record' : 'lines are not records'} (--fail-on malformed)`)}">${summaryBody}</failure>`
    : `<system-out>${summaryBody}</system-out>`;
  const tests = streamed.tests + 1;
  const failures = streamed.failures + (malformedFails ? 1 : 0);
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="${streamed.skipped}"`;
  const head =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="warden replay" ${counts}>\n` +
    `  <testsuite name="warden replay" ${counts}>\n` +
    `    <testcase classname="warden.replay" name="${xmlText(summaryName)}" time="0">${summary}</testcase>\n`;
  return { head, tail: '  </testsuite>\n</testsuites>\n' };
}

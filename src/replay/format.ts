/**
 * Replay reports for people: a terminal report and a Markdown report for a pull-request comment.
 *
 * Every string that came from a record or a policy goes through {@link printable} (terminal) or a
 * code span (Markdown), so a recorded argument cannot move the cursor, reorder text with bidi
 * controls, break a table, or mention someone in a PR comment.
 */
import type { FailOn } from './fail-on.js';
import { replayFailures } from './fail-on.js';
import type { ChangeKind, DecisionSummary, ReplayExample, ReplayReport } from './replay.js';

/**
 * Escapes what a terminal, XML or Markdown would interpret as other than text: control characters
 * (C0, C1, DEL), bidirectional controls, line and paragraph separators, lone surrogates and
 * non-characters, as `\uXXXX`.
 *
 * @example
 * ```ts
 * printable('a\u001b[2Jb'); // 'a\\u001b[2Jb'
 * ```
 */
export function printable(s: string): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let unsafe = c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c || c === 0x2028 || c === 0x2029 || c === 0xfffe || c === 0xffff;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) width = 2;
      else unsafe = true;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      unsafe = true;
    }
    if (unsafe) {
      out += `${s.slice(plainFrom, i)}\\u${c.toString(16).padStart(4, '0')}`;
      plainFrom = i + 1;
    }
    i += width - 1;
  }
  return plainFrom === 0 ? s : out + s.slice(plainFrom);
}

/**
 * An integer with thousands separators: `1,234,567`.
 *
 * @example
 * ```ts
 * thousands(100000); // '100,000'
 * ```
 */
export function thousands(n: number): string {
  const s = String(Math.trunc(n));
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return neg ? `-${out}` : out;
}

function plural(n: number, word: string): string {
  return `${thousands(n)} ${word}${n === 1 ? '' : 's'}`;
}

function kindLabel(kind: ChangeKind): string {
  return kind.replace('->', ' -> ');
}

function who(d: DecisionSummary): string {
  if (d.rule === null) return d.policy === null ? 'no rule (the request was refused as invalid)' : `the default of policy ${printable(d.policy)}`;
  return `rule ${printable(d.rule)} (policy ${printable(d.policy ?? '?')})`;
}

function setLine(info: { digest: string; policies: string[] }): string {
  return `${info.policies.map(printable).join(', ') || '(no policy)'} (${info.digest.slice(0, 19)}…)`;
}

/**
 * Options of the report formatters.
 *
 * @example
 * ```ts
 * const options: FormatOptions = { failOn: ['deny-to-allow'] };
 * ```
 */
export interface FormatOptions {
  /** The `--fail-on` classes, to state whether the report fails them. */
  failOn?: readonly FailOn[];
}

/**
 * The terminal report: the summary, then the changed decisions grouped by the rule that now
 * decides them, then indeterminate records and malformed lines.
 *
 * @example
 * ```ts
 * process.stdout.write(formatReplayText(report, { failOn: ['deny-to-allow'] }));
 * ```
 */
export function formatReplayText(report: ReplayReport, options: FormatOptions = {}): string {
  const lines: string[] = [];
  const span = report.firstTs === null ? '' : ` (${printable(report.firstTs)} .. ${printable(report.lastTs ?? '')})`;
  lines.push(`Replayed ${plural(report.decisions, 'decision')}${span} against ${report.mode === 'recorded' ? 'the recorded decisions' : 'the baseline policy'}.`);
  lines.push(`candidate: ${setLine(report.candidate)}`);
  if (report.baseline !== null) lines.push(`baseline:  ${setLine(report.baseline)}`);
  lines.push('');
  const row = (label: string, n: number, note = ''): string => `${label.padEnd(28)}${thousands(n).padStart(12)}${note === '' ? '' : `   ${note}`}`;
  lines.push(row('lines read', report.read));
  lines.push(row('  decisions', report.decisions));
  lines.push(row('  checkpoints (skipped)', report.checkpoints));
  lines.push(row('  malformed', report.malformed, report.malformed > 0 ? 'not records; run `warden audit verify`' : ''));
  lines.push(row('unchanged', report.unchanged, report.unchangedOtherRule > 0 ? `${thousands(report.unchangedOtherRule)} now decided by another rule` : ''));
  lines.push(row('changed', report.changed));
  for (const [kind, n] of Object.entries(report.changes)) lines.push(row(`  ${kindLabel(kind as ChangeKind)}`, n ?? 0));
  lines.push(row('indeterminate', report.indeterminate, report.indeterminate > 0 ? 'a rule evaluated for the decision reads redacted data' : ''));
  if (report.sessions.rebuilt > 0) lines.push(row('sessions rebuilt', report.sessions.rebuilt, report.sessions.dropped > 0 ? `${thousands(report.sessions.dropped)} dropped past the limit: their later calls were decided from an empty session` : ''));

  if (report.groups.length > 0) {
    lines.push('', 'Changed decisions by the rule that now decides them:');
    for (const g of report.groups) {
      const kinds = Object.entries(g.changes)
        .map(([k, n]) => `${kindLabel(k as ChangeKind)} ${thousands(n ?? 0)}`)
        .join(', ');
      lines.push('', `${g.effect.toUpperCase()} by ${who(g)}: ${plural(g.count, 'decision')} (${kinds})`);
      for (const e of g.examples) lines.push(...exampleText(e));
      if (g.count > g.examples.length) lines.push(`    … and ${thousands(g.count - g.examples.length)} more`);
    }
  }
  if (report.indeterminateExamples.length > 0) {
    lines.push('', `Indeterminate (first ${report.indeterminateExamples.length} of ${thousands(report.indeterminate)}):`);
    for (const e of report.indeterminateExamples) lines.push(...exampleText(e));
  }
  if (report.malformedExamples.length > 0) {
    lines.push('', `Malformed (first ${report.malformedExamples.length} of ${thousands(report.malformed)}):`);
    for (const m of report.malformedExamples) {
      const where = m.file !== null ? `${printable(m.file)}${m.line !== null ? `:${m.line}` : ''}` : m.seq !== null ? `seq ${m.seq}` : '(item)';
      lines.push(`  ${where}: ${printable(m.message)}`);
    }
  }
  if (options.failOn !== undefined && options.failOn.length > 0) {
    const failures = replayFailures(report, options.failOn);
    lines.push('');
    if (failures.length === 0) lines.push(`OK: nothing that --fail-on ${options.failOn.join(',')} fails.`);
    for (const f of failures) lines.push(`FAIL ${f}`);
  }
  return `${lines.join('\n')}\n`;
}

function exampleText(e: ReplayExample): string[] {
  const out = [
    `  ${e.seq === null ? '' : `seq ${e.seq}  `}${printable(e.ts)}  ${printable(e.tool)}${e.agent === null ? '' : `  agent ${printable(e.agent)}`}`,
    `    args ${printable(e.args)}`,
  ];
  if (e.indeterminate !== undefined) {
    out.push(`    recorded ${e.before.effect} by ${who(e.before)}`, `    hidden: ${e.indeterminate.hidden.map(printable).join(', ')}; ${printable(e.indeterminate.reason)}`);
  } else {
    out.push(`    was ${e.before.effect} by ${who(e.before)}; now ${e.after.effect}: ${printable(e.after.reason)}`);
  }
  return out;
}

/**
 * A Markdown code span that shows `s` literally, also inside a table cell (pipes escaped) and
 * without mentions or links (code spans are not parsed).
 *
 * @example
 * ```ts
 * codeSpan('a|b'); // '`a\\|b`'
 * ```
 */
export function codeSpan(s: string): string {
  const text = printable(s).replace(/\|/g, '\\|');
  if (text === '') return '""';
  let longest = 0;
  let run = 0;
  for (const ch of text) {
    run = ch === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function mdWho(d: DecisionSummary): string {
  if (d.rule === null) return d.policy === null ? 'invalid request' : `default of ${codeSpan(d.policy)}`;
  return `${codeSpan(d.rule)} (${codeSpan(d.policy ?? '?')})`;
}

/**
 * The Markdown report, for a pull-request comment: a summary table, changes by kind, then one
 * section per deciding rule with a table of examples.
 *
 * @example
 * ```ts
 * await writeFile('replay.md', formatReplayMarkdown(report, { failOn: ['deny-to-allow'] }));
 * ```
 */
export function formatReplayMarkdown(report: ReplayReport, options: FormatOptions = {}): string {
  const out: string[] = [];
  out.push('## Policy replay', '');
  const against = report.mode === 'recorded' ? 'the recorded decisions' : `the baseline policy ${report.baseline?.policies.map(codeSpan).join(', ') ?? ''} (${codeSpan(report.baseline?.digest ?? '')})`;
  out.push(
    `**${thousands(report.changed)} of ${plural(report.decisions, 'decision')} change** under the candidate policy ${report.candidate.policies.map(codeSpan).join(', ')} (${codeSpan(report.candidate.digest)}), compared with ${against}.`,
  );
  if (report.firstTs !== null) out.push(`Records from ${codeSpan(report.firstTs)} to ${codeSpan(report.lastTs ?? '')}.`);
  if (options.failOn !== undefined && options.failOn.length > 0) {
    const failures = replayFailures(report, options.failOn);
    out.push('', failures.length === 0 ? `**Passes** \`--fail-on ${options.failOn.join(',')}\`.` : `**Fails** \`--fail-on ${options.failOn.join(',')}\`:`);
    for (const f of failures) out.push(`- ${f}`);
  }
  out.push('', '| | decisions |', '|---|---:|');
  out.push(`| Replayed | ${thousands(report.decisions)} |`);
  out.push(`| Unchanged | ${thousands(report.unchanged)} |`);
  out.push(`| Changed | ${thousands(report.changed)} |`);
  for (const [kind, n] of Object.entries(report.changes)) out.push(`| &nbsp;&nbsp;${kind.replace('->', ' → ')} | ${thousands(n ?? 0)} |`);
  out.push(`| Indeterminate (a rule reads redacted data) | ${thousands(report.indeterminate)} |`);
  out.push(`| Checkpoints (skipped) | ${thousands(report.checkpoints)} |`);
  out.push(`| Malformed lines | ${thousands(report.malformed)} |`);

  for (const g of report.groups) {
    out.push('', `### Now ${g.effect} by ${mdWho(g)}: ${plural(g.count, 'decision')}`, '');
    out.push(
      Object.entries(g.changes)
        .map(([k, n]) => `${k.replace('->', ' → ')}: ${thousands(n ?? 0)}`)
        .join(' · '),
    );
    if (g.examples.length > 0) out.push('', ...exampleTable(g.examples, false));
    if (g.count > g.examples.length) out.push('', `… and ${thousands(g.count - g.examples.length)} more.`);
  }
  if (report.indeterminateExamples.length > 0) {
    out.push('', `### Indeterminate: ${plural(report.indeterminate, 'decision')}`, '');
    out.push('A rule evaluated for these decisions reads data the audit log redacted, so replay cannot tell what the candidate decides.', '');
    out.push(...exampleTable(report.indeterminateExamples, true));
  }
  if (report.malformedExamples.length > 0) {
    out.push('', `### Malformed: ${plural(report.malformed, 'line')}`, '', '| where | problem |', '|---|---|');
    for (const m of report.malformedExamples) {
      const where = m.file !== null ? `${m.file}${m.line !== null ? `:${m.line}` : ''}` : m.seq !== null ? `seq ${m.seq}` : '(item)';
      out.push(`| ${codeSpan(where)} | ${codeSpan(m.message)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

function exampleTable(examples: readonly ReplayExample[], indeterminate: boolean): string[] {
  const rows = indeterminate ? ['| seq | time | tool | agent | args | recorded | why |', '|---:|---|---|---|---|---|---|'] : ['| seq | time | tool | agent | args | before | reason now |', '|---:|---|---|---|---|---|---|'];
  for (const e of examples) {
    const last = indeterminate ? codeSpan(e.indeterminate?.reason ?? '') : codeSpan(e.after.reason);
    rows.push(
      `| ${e.seq ?? ''} | ${codeSpan(e.ts)} | ${codeSpan(e.tool)} | ${e.agent === null ? '' : codeSpan(e.agent)} | ${codeSpan(e.args)} | ${e.before.effect} by ${mdWho(e.before)} | ${last} |`,
    );
  }
  return rows;
}

/**
 * A compliance report as Markdown (for people) and as a static HTML page (for auditors' browsers).
 */
import { CATALOGS } from './catalogs.js';
import { SIX_MONTHS_DAYS } from './config.js';
import { FRAMEWORK_IDS, type CheckId, type ComplianceReport, type ControlFinding, type EvidenceRef } from './types.js';

const MARK: Record<ControlFinding['status'], string> = { satisfied: 'satisfied', 'not-satisfied': 'NOT satisfied', manual: 'manual' };

/**
 * One evidence reference as a line of text.
 *
 * @example
 * ```ts
 * evidenceText({ kind: 'config', file: 'w.yaml', key: 'audit.retentionDays', value: 200, note: 'retention' }); // 'config w.yaml audit.retentionDays = 200: retention'
 * ```
 */
export function evidenceText(e: EvidenceRef): string {
  switch (e.kind) {
    case 'policy':
      return `policy ${e.policy}${e.rule ? ` rule ${e.rule}` : ''} (${e.source}, ${e.digest}): ${e.note}`;
    case 'config':
      return `config ${e.file} ${e.key} = ${JSON.stringify(e.value)}: ${e.note}`;
    case 'audit':
      return `audit ${e.stream} seq ${e.seq} ${e.hash}${e.checkpoint ? ` (covered by signed checkpoint seq ${e.checkpoint.seq}, key ${e.checkpoint.keyId})` : ''}: ${e.note}`;
    case 'file':
      return `file ${e.file} (${e.digest}): ${e.note}`;
  }
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/**
 * The report as Markdown: a summary per framework, then each control with its checks and the
 * evidence they cite.
 *
 * @example
 * ```ts
 * process.stdout.write(reportMarkdown(report));
 * ```
 */
export function reportMarkdown(report: ComplianceReport): string {
  const out: string[] = ['# Warden compliance report', '', `Generated ${report.generatedAt}.`, ''];
  const i = report.inputs;
  out.push('## Inputs', '');
  out.push(`- Policy: ${i.policy ? `${i.policy.paths.join(', ')} (${i.policy.digest})` : 'none'}`);
  out.push(`- Configuration: ${i.config ? `${i.config.file} (${i.config.digest})` : 'none'}`);
  out.push(`- Audit log: ${i.audit ? `${i.audit.path}, stream ${i.audit.stream ?? '-'}, ${i.audit.records} records, ${i.audit.intact ? 'verifies' : `DOES NOT VERIFY (${i.audit.firstBad ?? ''})`}` : 'none'}`);
  out.push(`- Replay reports: ${i.replayReports.length > 0 ? i.replayReports.join(', ') : 'none'}`, '');
  for (const framework of report.frameworks) {
    const catalog = CATALOGS[framework];
    const findings = report.findings.filter((f) => f.framework === framework);
    const count = (s: ControlFinding['status']): number => findings.filter((f) => f.status === s).length;
    out.push(`## ${catalog.title} (${catalog.version})`, '', `Source: ${catalog.source}`, '');
    out.push(`${count('satisfied')} satisfied, ${count('not-satisfied')} not satisfied, ${count('manual')} manual.`, '');
    out.push('| control | title | status | why |', '|---|---|---|---|');
    for (const f of findings) out.push(`| ${cell(f.control.id)} | ${cell(f.control.title)} | ${MARK[f.status]} | ${cell(f.reason)} |`);
    out.push('');
    for (const f of findings) {
      out.push(`### ${f.control.id} ${f.control.title}: ${MARK[f.status]}`, '', `Defined in: ${f.control.source}`, '');
      for (const c of f.checks) {
        out.push(`- **${c.title}** (${c.id}): ${c.status === 'satisfied' ? 'satisfied' : 'NOT satisfied'}. ${c.reason}`);
        for (const e of c.evidence) out.push(`  - ${evidenceText(e)}`);
      }
      out.push(`- Not checked by Warden: ${f.control.notChecked}`, '');
    }
  }
  return `${out.join('\n')}\n`;
}

/** What each check looks at, for the catalog tables of the documentation. */
export const CHECK_DESCRIPTIONS: Readonly<Record<CheckId, string>> = Object.freeze({
  'policy.default-deny': 'a tool no rule names is denied',
  'policy.destructive-gated': 'destructive shell commands and SQL (rm -rf, curl | sh, dd, DROP/DELETE/TRUNCATE) are denied or need approval, for every tool bound to the shell or sql facet or named as a shell',
  'policy.egress-restricted': 'a fetch to an unknown host, and curl from a shell tool, are denied or need approval',
  'policy.approvers-named': 'some rule requires approval, and every such rule names approvers',
  'config.audit-enabled': 'the configuration names the audit log (audit.path)',
  'config.audit-durable': 'audit.fsync is not never',
  'config.audit-signed': 'audit.signingKey is set (the audit checks verify the signatures)',
  'config.retention-six-months': `audit.retentionDays is at least ${SIX_MONTHS_DAYS}`,
  'config.redaction': 'every decision record went through the redactor',
  'config.identity-required': 'identity.required is true',
  'config.kill-switch': 'a kill switch store is configured and reachable (Warden cannot probe one yet: never satisfied)',
  'audit.intact': 'the log verifies: hash chain and checkpoint signatures, with the public key',
  'audit.attributed': 'every decision names an identity (verified, when required) and the policy digest',
  'audit.approvals-recorded': 'every approval is bound to the request digest and records who answered',
  'audit.decisions-match-policy': 'recorded decisions made under the policy in force re-decide identically',
  'replay.before-rollout': 'a warden replay report covers the policy in force',
});

/**
 * The catalogs as Markdown tables: each control, what Warden checks for it, and what it does not
 * (docs/compliance.md holds exactly this; a test keeps them equal).
 *
 * @example
 * ```ts
 * console.log(catalogMarkdown());
 * ```
 */
export function catalogMarkdown(): string {
  const out: string[] = [];
  for (const id of FRAMEWORK_IDS) {
    const c = CATALOGS[id];
    out.push(`### ${c.title} (\`${id}\`, ${c.version})`, '', `Source: ${c.source}`, '', '| control | title | Warden checks | not checked by Warden |', '|---|---|---|---|');
    for (const k of c.controls) {
      const checks = k.checks.length === 0 ? 'manual: no check' : k.checks.map((x) => `\`${x}\`: ${CHECK_DESCRIPTIONS[x]}`).join('; ');
      out.push(`| ${cell(k.id)} | ${cell(k.title)} | ${cell(checks)} | ${cell(k.notChecked)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/**
 * The report as one static HTML page (no scripts, no external resources): each finding with its
 * status, reasons and evidence; ids link findings to their checks.
 *
 * @example
 * ```ts
 * writeFileSync('report.html', reportHtml(report));
 * ```
 */
export function reportHtml(report: ComplianceReport): string {
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
    '<title>Warden compliance report</title>',
    '<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3rem .5rem;vertical-align:top}.satisfied{color:#060}.not-satisfied{color:#a00;font-weight:bold}.manual{color:#555}code{font-size:.9em}</style>',
    '</head><body>',
    `<h1>Warden compliance report</h1><p>Generated <time>${escapeHtml(report.generatedAt)}</time>.</p>`,
  ];
  const i = report.inputs;
  parts.push('<h2>Inputs</h2><ul>');
  parts.push(`<li>Policy: ${i.policy ? `${escapeHtml(i.policy.paths.join(', '))} <code>${escapeHtml(i.policy.digest)}</code>` : 'none'}</li>`);
  parts.push(`<li>Configuration: ${i.config ? `${escapeHtml(i.config.file)} <code>${escapeHtml(i.config.digest)}</code>` : 'none'}</li>`);
  parts.push(`<li>Audit log: ${i.audit ? `${escapeHtml(i.audit.path)}, ${i.audit.records} records, ${i.audit.intact ? 'verifies' : `<strong class="not-satisfied">does not verify: ${escapeHtml(i.audit.firstBad ?? '')}</strong>`}` : 'none'}</li>`);
  parts.push('</ul>');
  for (const framework of report.frameworks) {
    const catalog = CATALOGS[framework];
    parts.push(`<h2>${escapeHtml(catalog.title)} (${escapeHtml(catalog.version)})</h2><table><thead><tr><th>Control</th><th>Title</th><th>Status</th><th>Why</th></tr></thead><tbody>`);
    for (const f of report.findings.filter((x) => x.framework === framework)) {
      const anchor = `${framework}-${f.control.token}`;
      parts.push(`<tr id="${escapeHtml(anchor)}" data-status="${f.status}"><td><a href="#${escapeHtml(anchor)}">${escapeHtml(f.control.id)}</a></td><td>${escapeHtml(f.control.title)}</td><td class="${f.status}">${escapeHtml(MARK[f.status])}</td><td>${escapeHtml(f.reason)}`);
      if (f.checks.length > 0) {
        parts.push('<ul>');
        for (const c of f.checks) {
          parts.push(`<li><a href="#check-${escapeHtml(c.id)}">${escapeHtml(c.title)}</a>: <span class="${c.status}">${c.status === 'satisfied' ? 'satisfied' : 'not satisfied'}</span></li>`);
        }
        parts.push('</ul>');
      }
      parts.push('</td></tr>');
    }
    parts.push('</tbody></table>');
  }
  parts.push('<h2>Checks and evidence</h2>');
  for (const c of report.checks) {
    parts.push(`<section id="check-${escapeHtml(c.id)}"><h3>${escapeHtml(c.title)} <small>(${escapeHtml(c.id)})</small>: <span class="${c.status}">${c.status === 'satisfied' ? 'satisfied' : 'not satisfied'}</span></h3><p>${escapeHtml(c.reason)}</p>`);
    if (c.evidence.length > 0) parts.push(`<ul>${c.evidence.map((e) => `<li><code>${escapeHtml(evidenceText(e))}</code></li>`).join('')}</ul>`);
    parts.push('</section>');
  }
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}

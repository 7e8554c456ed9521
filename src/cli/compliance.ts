/** `warden compliance report`: a compliance report built from the policy, the configuration and the audit log. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { WardenError } from '../errors.js';
import { EXIT, reportFatal } from './output.js';

const FORMATS = ['md', 'json', 'oscal', 'html'] as const;
const FRAMEWORKS = ['owasp-asi', 'eu-ai-act', 'hipaa', 'soc2', 'all'] as const;

interface ReportOptions {
  framework: string;
  policy?: string[];
  audit?: string;
  config?: string;
  replayReport?: string[];
  format: string;
  out?: string;
  now?: string;
}

/**
 * Registers `warden compliance`.
 *
 * @example
 * ```ts
 * registerComplianceCommand(program); // warden compliance report --framework all --policy policy.yaml --audit .warden/audit/main.jsonl
 * ```
 */
export function registerComplianceCommand(program: Command): void {
  const compliance = program.command('compliance').description('Compliance reports built from evidence: the policy, the deployment configuration and the audit log.');
  compliance
    .command('report')
    .description(
      'Report which controls of a framework have positive evidence. A control is satisfied only when every check for it found evidence; no evidence is "not satisfied", organisational controls are "manual". Exit 0 when every checked control is satisfied, 1 when one is not, 2 on an input error.',
    )
    .option('--framework <name>', `owasp-asi, eu-ai-act, hipaa, soc2 or all`, 'all')
    .option('--policy <paths...>', 'policy files or directories in force')
    .option('--audit <path>', "the audit log (a stream's .jsonl file or its directory)")
    .option('--config <file>', 'the deployment configuration (YAML or JSON; see docs/compliance.md)')
    .option('--replay-report <files...>', 'JSON reports of warden replay --json run before rollouts')
    .option('--format <format>', 'md, json, oscal (OSCAL 1.1.2 assessment results) or html', 'md')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .option('--now <time>', 'the report time (ISO-8601); default the current time')
    .action(async (opts: ReportOptions) => {
      process.exitCode = await runReport(opts);
    });
}

async function runReport(opts: ReportOptions): Promise<number> {
  try {
    if (!(FORMATS as readonly string[]).includes(opts.format)) throw new WardenError('ERR_OPTIONS', `--format "${opts.format}" is not one of ${FORMATS.join(', ')}.`);
    if (!(FRAMEWORKS as readonly string[]).includes(opts.framework)) throw new WardenError('ERR_OPTIONS', `--framework "${opts.framework}" is not one of ${FRAMEWORKS.join(', ')}.`);
    const now = opts.now === undefined ? new Date() : new Date(opts.now);
    if (Number.isNaN(now.getTime())) throw new WardenError('ERR_OPTIONS', `--now "${opts.now ?? ''}" is not an ISO-8601 time.`);
    const { complianceReport, reportHtml, reportMarkdown, reportOscal } = await import('../compliance/index.js');
    const report = await complianceReport({
      ...(opts.framework === 'all' ? {} : { frameworks: [opts.framework as 'owasp-asi'] }),
      ...(opts.policy !== undefined ? { policy: opts.policy } : {}),
      ...(opts.audit !== undefined ? { audit: opts.audit } : {}),
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      ...(opts.replayReport !== undefined ? { replayReports: opts.replayReport } : {}),
      now,
    });
    const text =
      opts.format === 'md' ? reportMarkdown(report) : opts.format === 'html' ? reportHtml(report) : `${JSON.stringify(opts.format === 'oscal' ? reportOscal(report) : report, null, 2)}\n`;
    if (opts.out !== undefined) await writeFile(opts.out, text);
    else process.stdout.write(text);
    return report.findings.some((f) => f.status === 'not-satisfied') ? EXIT.denied : EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

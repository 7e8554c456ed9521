/** `warden lint`: load errors, warnings and static-analysis findings for policy files. */
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { readPolicySources, withLanguageEngines } from '../enforce/load-files.js';
import { PolicyLoadError } from '../policy/issues.js';
import { lintPolicy } from '../policy/lint.js';
import { formatFinding, type LintReport } from '../policy/lint-findings.js';
import { toSarif } from '../policy/sarif.js';
import { VERSION } from '../version.js';
import { EXIT, reportFatal } from './output.js';
import { hostSetup } from './host-bindings.js';
import type { FacetBinding } from '../facets/bindings.js';

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

interface LintOptions {
  format?: string;
  json?: boolean;
  strict?: boolean;
  host?: string;
  root?: string;
}

/** Registers `warden lint`. */
export function registerLintCommand(program: Command): void {
  program
    .command('lint')
    .description('Check policy files: load errors, warnings and static analysis, each with file:line:col and a fix. Exit 1 on errors (and on warnings with --strict).')
    .argument('<paths...>', 'policy files or directories')
    .option('--format <format>', 'text (default), json, or sarif (SARIF 2.1.0, for code scanning)')
    .option('--json', 'the same as --format json')
    .option('--strict', 'exit 1 on warnings too (infos never fail)')
    .option('--host <host>', 'analyse the policy as this host decides it, with the facet bindings it supplies (claude-code)')
    .option('--root <dir>', 'with --host: the project directory (default: the working directory)')
    .action(async (paths: string[], opts: LintOptions) => {
      process.exitCode = await runLint(paths, opts);
    });
}

async function runLint(paths: string[], opts: LintOptions): Promise<number> {
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  if (!(FORMATS as readonly string[]).includes(format)) {
    console.error(`warden lint: --format "${format}" is not one of ${FORMATS.join(', ')}.`);
    return EXIT.invalid;
  }
  let bindings: FacetBinding[] = [];
  if (opts.host !== undefined) {
    const setup = await hostSetup(opts.host, opts.root);
    if (typeof setup === 'string') {
      console.error(`warden lint: ${setup}`);
      return EXIT.invalid;
    }
    bindings = setup.bindings;
  }
  let report: LintReport;
  try {
    const { sources, backends } = await withLanguageEngines(await readPolicySources(paths), null);
    report = lintPolicy(sources, backends !== undefined ? { backends, bindings } : { bindings });
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) return reportFatal(e);
    // A missing or unreadable file is a finding like any other load error.
    const findings = [...e.issues];
    report = { loaded: false, rules: 0, findings, errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length, infos: 0 };
  }
  print(report, format as Format);
  return report.errors > 0 || (opts.strict === true && report.warnings > 0) ? EXIT.denied : EXIT.ok;
}

function print(report: LintReport, format: Format): void {
  if (format === 'json') {
    const { errors, warnings, infos, rules, loaded, findings } = report;
    console.log(JSON.stringify({ errors, warnings, infos, rules, loaded, issues: findings }));
    return;
  }
  if (format === 'sarif') {
    console.log(JSON.stringify(toSarif(report.findings, { version: VERSION, uriOf: artifactUri }), null, 2));
    return;
  }
  for (const f of report.findings) console.log(formatFinding(f));
  const { errors, warnings, infos } = report;
  const notes = infos > 0 ? `, ${infos} note(s)` : '';
  if (errors > 0) console.log(`\n${errors} error(s), ${warnings} warning(s)${notes}. The policy does not load until the errors are fixed.`);
  else if (warnings > 0 || infos > 0) console.log(`\nThe policy loads (${report.rules} rules), with ${warnings} warning(s)${notes} worth a look.`);
  else console.log(`OK: the policy loads (${report.rules} rules), no findings.`);
}

/** Code scanning wants paths relative to the repository: files under the working directory are written relative to it. */
function artifactUri(file: string): string {
  if (file.startsWith('(')) return encodeURIComponent(file);
  const rel = isAbsolute(file) ? relative(process.cwd(), file) : file;
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return pathToFileURL(file).href;
  return rel.split(sep).join('/').split('/').map(encodeURIComponent).join('/');
}

/** `warden lint`: load errors and warnings for policy files. */
import type { Command } from 'commander';
import { readPolicySources } from '../enforce/load-files.js';
import { compilePolicy } from '../policy/compile.js';
import { PolicyLoadError, formatIssue, type PolicyIssue } from '../policy/issues.js';
import { EXIT, reportFatal } from './output.js';

/** Registers `warden lint`. */
export function registerLintCommand(program: Command): void {
  program
    .command('lint')
    .description('Check policy files: every load error and warning with file:line:col. Exit 1 on errors.')
    .argument('<paths...>', 'policy files or directories')
    .option('--json', 'print findings as JSON')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      process.exitCode = await runLint(paths, opts);
    });
}

async function runLint(paths: string[], opts: { json?: boolean }): Promise<number> {
  let issues: PolicyIssue[];
  let rules = 0;
  try {
    const set = compilePolicy(await readPolicySources(paths));
    issues = [...set.warnings];
    rules = set.rules.length;
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) return reportFatal(e);
    issues = e.issues;
  }
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  if (opts.json) {
    console.log(JSON.stringify({ errors, warnings, issues }));
  } else {
    for (const i of issues) console.log(formatIssue(i));
    if (errors > 0) console.log(`\n${errors} error(s), ${warnings} warning(s). The policy does not load until the errors are fixed.`);
    else if (warnings > 0) console.log(`\nThe policy loads (${rules} rules), with ${warnings} warning(s) worth a look.`);
    else console.log(`OK: the policy loads (${rules} rules), no findings.`);
  }
  return errors > 0 ? EXIT.denied : EXIT.ok;
}

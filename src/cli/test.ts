/** `warden test`: run policy test cases (Warden or AGT format) against policies, for CI. */
import type { Command } from 'commander';
import { WardenError } from '../errors.js';
import { compileReadSources, loadPolicyFiles, readPolicySources } from '../enforce/load-files.js';
import { hostSetup, withHostContext, type HostSetup } from './host-bindings.js';
import { formatIssue, PolicyLoadError, type PolicyIssue } from '../policy/issues.js';
import type { PolicySet } from '../policy/policy-set.js';
import { PolicyTestLoadError } from '../testing/cases.js';
import { loadPolicyTestFiles, type LoadedPolicyTests } from '../testing/load.js';
import { formatLoadErrorJunit, formatPolicyTestJunit, formatPolicyTestText, policyTestRunJson } from '../testing/report.js';
import { runPolicyTests } from '../testing/run.js';
import { parseTestTime } from '../testing/time.js';
import { EXIT, reportFatal } from './output.js';

interface TestOptions {
  cases: string[];
  json?: boolean;
  junit?: boolean;
  now?: string;
  verbose?: boolean;
  host?: string;
  root?: string;
}

/** Registers `warden test`. */
export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description('Run test cases against policies. Exit 0 all passed, 1 a case failed, 2 invalid policy or case files.')
    .argument('<policy...>', 'policy files or directories')
    .requiredOption('-c, --cases <paths...>', 'case files, or directories searched for *.test.yaml, *.test.yml, *.test.json')
    .option('--json', 'print the results as JSON')
    .option('--junit', 'print the results as JUnit XML')
    .option('--now <time>', 'the time rules see for cases that give no now (RFC 3339, e.g. 2026-01-31T12:00:00Z)')
    .option('-v, --verbose', 'list passing cases too')
    .option('--host <host>', 'decide as this host does: its facet bindings and the context it gives requests (claude-code)')
    .option('--root <dir>', 'with --host: the project directory (default: the working directory)')
    .action(async (policy: string[], opts: TestOptions) => {
      process.exitCode = await runTest(policy, opts);
    });
}

async function runTest(policyPaths: string[], opts: TestOptions): Promise<number> {
  if (opts.json && opts.junit) return usage('Give --json or --junit, not both.');
  let now: Date | undefined;
  if (opts.now !== undefined) {
    const t = parseTestTime(opts.now);
    if (typeof t === 'string') return usage(`--now: ${t}.`);
    now = t;
  }
  // Both are loaded before either is reported, so one run shows every error.
  let set: PolicySet | null = null;
  let loaded: LoadedPolicyTests | null = null;
  const issues: PolicyIssue[] = [];
  let other: unknown = null;
  let host: HostSetup | null = null;
  if (opts.host !== undefined) {
    const setup = await hostSetup(opts.host, opts.root);
    if (typeof setup === 'string') return usage(setup);
    host = setup;
  }
  try {
    set = host === null ? await loadPolicyFiles(policyPaths) : (await compileReadSources(await readPolicySources(policyPaths), {}, host.bindings)).set;
  } catch (e) {
    if (e instanceof PolicyLoadError) issues.push(...e.issues);
    else other = e;
  }
  try {
    loaded = await loadPolicyTestFiles(opts.cases);
  } catch (e) {
    if (e instanceof PolicyTestLoadError) issues.push(...e.issues);
    else other ??= e;
  }
  if (other !== null) return reportFatal(other);
  if (!set || !loaded) return invalid(issues, opts);

  for (const w of loaded.warnings) console.error(formatIssue(w));
  const context = host?.context;
  const cases = context === undefined ? loaded.cases : loaded.cases.map((c) => ({ ...c, request: withHostContext(c.request, context) }));
  const run = runPolicyTests(set, cases as typeof loaded.cases, now === undefined ? {} : { now });
  if (opts.json) console.log(JSON.stringify(policyTestRunJson(run, loaded.files), null, 2));
  else if (opts.junit) process.stdout.write(formatPolicyTestJunit(run));
  else for (const line of formatPolicyTestText(run, { verbose: opts.verbose === true, files: loaded.files.length })) console.log(line);
  return run.failed > 0 ? EXIT.denied : EXIT.ok;
}

function invalid(issues: PolicyIssue[], opts: TestOptions): number {
  for (const i of issues) console.error(formatIssue(i));
  const n = issues.filter((i) => i.severity === 'error').length;
  console.error(`\nThe policy or the test cases did not load (${n} error${n === 1 ? '' : 's'}); no case was run. Fix the errors above and run again.`);
  if (opts.json) console.log(JSON.stringify({ error: 'invalid_input', issues }, null, 2));
  else if (opts.junit) process.stdout.write(formatLoadErrorJunit(issues));
  return EXIT.invalid;
}

function usage(message: string): number {
  return reportFatal(new WardenError('ERR_USAGE', message));
}

/**
 * `warden training report`: violations per rule across a training run's audit stream(s) and how
 * they change over checkpoints, as a text table (or JSON) and an SVG plot. Exit 0; 2 for a usage
 * error, a policy that does not load, or input that cannot be read.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { WardenError } from '../errors.js';
import { PolicyLoadError } from '../policy/issues.js';
import { formatTrainingReport, trainingReport, trainingReportSvg } from '../training/report.js';
import { EXIT, reportFatal } from './output.js';
import { readShaping, readTrajectories, TRAJECTORY_FORMATS } from './trajectory-input.js';

interface ReportCliOptions {
  policy: string[];
  reference: string[];
  shaping?: string;
  from: string;
  svg?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Registers `warden training` and its `report` subcommand.
 *
 * @example
 * ```ts
 * const program = new Command('warden');
 * registerTrainingCommand(program);
 * await program.parseAsync(['node', 'warden', 'training', 'report', '--svg', 'v.svg', '.warden/audit/training-run-7.jsonl']);
 * ```
 */
export function registerTrainingCommand(program: Command): void {
  const training = program.command('training').description('Training governance: reports over training runs (see docs/training.md).');
  training
    .command('report')
    .description('Violations per rule across a training run and over its checkpoints: a text table (or --json) and an SVG plot (--svg). Exit 0, or 2 on a usage, policy or input error.')
    .argument('<run-audit...>', "the run's audit logs (files or directories), or trajectory files with --from jsonl|otlp")
    .option('-p, --policy <path>', 're-decide every call under this policy (file or directory; repeat) instead of counting the recorded decisions', collect, [])
    .option('--reference <path>', 'a policy with flow rules (repeat for several files): sequences the --policy allowed step by step and it denies are reported as gaps', collect, [])
    .option('--shaping <file>', 'reward shaping (JSON or YAML), for the kinds of violation counted with --policy')
    .option('--from <format>', `input format: ${TRAJECTORY_FORMATS.join(', ')}`, 'audit')
    .option('--svg <file>', 'write the plot (violations per episode by checkpoint) to this SVG file')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample: warden training report --policy policy.yaml --reference examples/policies/flow-guards.yaml --svg violations.svg .warden/audit/training-run-7.jsonl')
    .action(async (inputs: string[], opts: ReportCliOptions) => {
      process.exitCode = await runReport(inputs, opts);
    });
}

async function runReport(inputs: string[], opts: ReportCliOptions): Promise<number> {
  try {
    if (opts.reference.length > 0 && opts.policy.length === 0) throw new WardenError('ERR_USAGE', 'A gap is a sequence the training policy allowed and the reference denies: give the training policy with --policy as well.');
    const shaping = await readShaping(opts.shaping);
    const trajectories = await readTrajectories(inputs, opts.from);
    const policy = opts.policy.length > 0 ? await loadPolicyFiles(opts.policy) : undefined;
    const reference = opts.reference.length > 0 ? await loadPolicyFiles(opts.reference) : undefined;
    const report = trainingReport(trajectories, { ...(policy ? { policy } : {}), ...(reference ? { reference } : {}), shaping });
    if (opts.svg !== undefined) await writeFile(opts.svg, trainingReportSvg(report));
    if (opts.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(formatTrainingReport(report));
    return EXIT.ok;
  } catch (e) {
    if (e instanceof WardenError && !(e instanceof PolicyLoadError)) {
      process.stderr.write(`warden training report: ${e.message}\n`);
      return EXIT.invalid;
    }
    return reportFatal(e);
  }
}

/**
 * `warden reward`: scores trajectories under a policy, the one production enforces, and prints each
 * trajectory's reward with every penalty itemized (rule, severity, call). Exit 0; 2 for a usage
 * error, a policy that does not load, or input that is not trajectories.
 */
import type { Command } from 'commander';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { WardenError } from '../errors.js';
import { PolicyLoadError } from '../policy/issues.js';
import { policyReward, type RewardResult } from '../training/reward.js';
import { EXIT, reportFatal } from './output.js';
import { readShaping, readTrajectories, TRAJECTORY_FORMATS } from './trajectory-input.js';

interface RewardCliOptions {
  policy: string[];
  shaping?: string;
  from: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Registers `warden reward`.
 *
 * @example
 * ```ts
 * const program = new Command('warden');
 * registerRewardCommand(program);
 * await program.parseAsync(['node', 'warden', 'reward', '--policy', 'p.yaml', 'trajectories.jsonl']);
 * ```
 */
export function registerRewardCommand(program: Command): void {
  program
    .command('reward')
    .description('Score trajectories under a policy: a penalty per deny (by rule severity), per approval required, per limit or flow-rule violation, optionally ending at a critical rule. Deterministic and itemized. Exit 0, or 2 on a usage, policy or input error.')
    .argument('<trajectories...>', 'trajectory files (- for standard input), or audit logs with --from audit')
    .option('-p, --policy <path>', 'the policy: a file or directory; repeat for several', collect, [])
    .option('--shaping <file>', 'reward shaping, JSON or YAML (severities, penalties, terminateOn; see docs/training.md)')
    .option('--from <format>', `input format: ${TRAJECTORY_FORMATS.join(', ')}`, 'jsonl')
    .option('--json', 'print the rewards as JSON')
    .addHelpText('after', '\nExample: warden reward --policy policy.yaml --shaping shaping.yaml episodes.jsonl')
    .action(async (inputs: string[], opts: RewardCliOptions) => {
      process.exitCode = await runReward(inputs, opts);
    });
}

async function runReward(inputs: string[], opts: RewardCliOptions): Promise<number> {
  try {
    if (opts.policy.length === 0) throw new WardenError('ERR_USAGE', 'Give the policy: --policy <file|dir> (repeat for several files).');
    const shaping = await readShaping(opts.shaping);
    const trajectories = await readTrajectories(inputs, opts.from);
    const policy = await loadPolicyFiles(opts.policy);
    const results = trajectories.map((t) => policyReward(t, policy, shaping));
    if (opts.json === true) process.stdout.write(`${JSON.stringify({ policyDigest: policy.digest, trajectories: results }, null, 2)}\n`);
    else process.stdout.write(formatRewards(results));
    return EXIT.ok;
  } catch (e) {
    if (e instanceof WardenError && !(e instanceof PolicyLoadError)) {
      process.stderr.write(`warden reward: ${e.message}\n`);
      return EXIT.invalid;
    }
    return reportFatal(e);
  }
}

/** Each trajectory's reward, then its items, one per line. */
function formatRewards(results: readonly RewardResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.trajectory}${r.checkpoint === null ? '' : ` (checkpoint ${r.checkpoint})`}: reward ${r.reward} = task ${r.task} - penalty ${r.penalty}`);
    for (const i of r.items) out.push(`  call ${i.index} (step ${i.step}, ${i.tool}): ${i.kind} ${i.rule} [${i.severity}] -${i.penalty}: ${i.reason.replace(/\s+/g, ' ')}`);
    if (r.terminated !== null) out.push(`  terminated at call ${r.terminated.index} on ${r.terminated.rule}: -${r.terminated.penalty}`);
  }
  if (results.length === 0) out.push('(no trajectories)');
  return `${out.join('\n')}\n`;
}

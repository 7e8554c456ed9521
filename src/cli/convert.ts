/** `warden convert`: AGT (Agent Governance Toolkit) policies as equivalent warden/v1 documents. */
import type { Command } from 'commander';
import { readPolicySources } from '../enforce/load-files.js';
import { convertAgtPolicies } from '../policy/agt-convert.js';
import { formatIssue } from '../policy/issues.js';
import { EXIT, reportFatal } from './output.js';

/**
 * Registers `warden convert`.
 *
 * @example
 * ```ts
 * registerConvertCommand(program); // warden convert agt-policy.yaml > policy.yaml
 * ```
 */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('Print AGT policies (apiVersion governance.toolkit/v1) as equivalent warden/v1 YAML that decides the same. Exit 2 when a file is not an AGT policy or does not load.')
    .argument('<paths...>', 'AGT policy files or directories')
    .action(async (paths: string[]) => {
      process.exitCode = await runConvert(paths);
    });
}

async function runConvert(paths: string[]): Promise<number> {
  try {
    const result = convertAgtPolicies(await readPolicySources(paths));
    for (const w of result.warnings) console.error(formatIssue(w));
    process.stdout.write(result.text);
    return EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

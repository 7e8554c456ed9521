/**
 * `warden acs <manifest>`: validates an Agent Control Specification manifest, and with `--point`
 * evaluates one intervention point for a snapshot, with a Warden policy set as the policy.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { evaluateAcs, loadAcsManifest, wardenAcsDispatcher } from '../acs/index.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { WardenError } from '../errors.js';
import { ioOf, runCommand, usage } from './identity-io.js';

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new WardenError('ERR_INPUT', `Cannot read the ${what} ${path}: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

/**
 * Adds `warden acs <manifest> [--point <name> --snapshot <file> --policy <paths...>] [--mode] [--json]`.
 * Exit codes: 0 valid / allow, warn or transform; 1 deny or escalate; 2 an invalid manifest or usage.
 *
 * @example
 * ```ts
 * registerAcsCommand(new Command('warden'));
 * ```
 */
export function registerAcsCommand(program: Command): void {
  program
    .command('acs')
    .description('validate an Agent Control Specification manifest; with --point, evaluate one intervention point under a Warden policy set')
    .argument('<manifest>', 'the ACS manifest (YAML or JSON)')
    .option('--point <name>', 'the intervention point to evaluate (pre_tool_call for a Warden policy set)')
    .option('--snapshot <file>', 'the snapshot JSON for --point')
    .option('--policy <paths...>', 'Warden policy files or directories that decide the point')
    .option('--mode <mode>', 'enforce or evaluate_only', 'enforce')
    .option('--json', 'print the result as JSON')
    .action(async (manifestPath: string, opts: { point?: string; snapshot?: string; policy?: string[]; mode: string; json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'acs', async () => {
        const manifest = loadAcsManifest(await readText(manifestPath, 'manifest'));
        if (opts.point === undefined) {
          const points = [...manifest.interventionPoints.keys()];
          if (opts.json === true) io.out(`${JSON.stringify({ valid: true, version: manifest.version, interventionPoints: points, policies: [...manifest.policies.keys()], tools: [...manifest.tools.keys()] })}\n`);
          else io.out(`${manifestPath}: valid ACS manifest (version ${manifest.version}); intervention points: ${points.join(', ')}\n`);
          return 0;
        }
        if (opts.snapshot === undefined || opts.policy === undefined) throw usage('--point needs --snapshot <file> and --policy <paths...>.');
        if (opts.mode !== 'enforce' && opts.mode !== 'evaluate_only') throw usage(`--mode is enforce or evaluate_only, not ${JSON.stringify(opts.mode)}.`);
        let snapshot: unknown;
        try {
          snapshot = JSON.parse(await readText(opts.snapshot, 'snapshot'));
        } catch (e) {
          if (e instanceof WardenError) throw e;
          throw new WardenError('ERR_INPUT', `The snapshot ${opts.snapshot} is not JSON: ${e instanceof Error ? e.message : String(e)}.`);
        }
        const set = await loadPolicyFiles(opts.policy);
        const result = evaluateAcs(manifest, { interventionPoint: opts.point, snapshot, mode: opts.mode }, { policy: wardenAcsDispatcher(set) });
        const v = result.verdict;
        if (opts.json === true) {
          io.out(`${JSON.stringify({ verdict: v, transformed: result.transformed, actionIdentity: result.actionIdentity, policyInvoked: result.policyInvoked })}\n`);
        } else {
          io.out(`${v.decision}${v.reason !== null ? ` (${v.reason})` : ''}${v.message !== null ? `: ${v.message}` : ''}\n`);
          if (result.transformed !== null) io.out(`transformed policy target: ${JSON.stringify(result.transformed.value)}\n`);
          if (result.actionIdentity !== null) io.out(`action identity: ${result.actionIdentity.enforced}\n`);
        }
        return v.decision === 'deny' || v.decision === 'escalate' ? 1 : 0;
      });
    });
}

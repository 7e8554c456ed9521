/** `warden manifest`: the policy manifest a strict PolicyStore activates against. */
import type { Command } from 'commander';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { policyManifestText, writePolicyManifest } from '../enforce/policy-manifest.js';
import { EXIT, reportFatal } from './output.js';

/**
 * Registers `warden manifest`.
 *
 * @example
 * ```ts
 * registerManifestCommand(program); // warden manifest policies/ --out policies.manifest.json
 * ```
 */
export function registerManifestCommand(program: Command): void {
  program
    .command('manifest')
    .description('Load the policy files (they must load) and print, or write atomically with --out, the manifest naming their digest. Write it after the policy files: a PolicyStore given the manifest activates only that exact policy. Exit 2 when the policy does not load.')
    .argument('<paths...>', 'policy files or directories, as the PolicyStore is given them')
    .option('--out <file>', 'write the manifest to this file (temporary file + rename) instead of printing it')
    .action(async (paths: string[], opts: { out?: string }) => {
      process.exitCode = await runManifest(paths, opts.out);
    });
}

async function runManifest(paths: string[], out: string | undefined): Promise<number> {
  try {
    const set = await loadPolicyFiles(paths);
    if (out === undefined) {
      process.stdout.write(policyManifestText(set.digest));
    } else {
      await writePolicyManifest(out, set.digest);
      console.error(`Wrote ${out}: ${set.digest} (${set.policies.length} polic${set.policies.length === 1 ? 'y' : 'ies'}, ${set.rules.length} rules).`);
    }
    return EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

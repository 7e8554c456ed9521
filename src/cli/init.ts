/** `warden init [target]`: scaffold a starter policy (default) or an integration's files. */
import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { INIT_TARGETS } from './init-targets.js';
import { EXIT, reportFatal } from './output.js';

/** Registers `warden init`. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(`Write starter files. Targets: ${Object.keys(INIT_TARGETS).join(', ')} (default policy).`)
    .argument('[target]', 'what to scaffold', 'policy')
    .option('-d, --dir <dir>', 'directory to write into', '.')
    .option('-f, --force', 'overwrite existing files')
    .action(async (name: string, opts: { dir: string; force?: boolean }) => {
      try {
        const load = INIT_TARGETS[name];
        if (!load) {
          console.error(`Unknown init target "${name}". Choose one of: ${Object.keys(INIT_TARGETS).join(', ')}.`);
          process.exitCode = EXIT.invalid;
          return;
        }
        await mkdir(opts.dir, { recursive: true });
        process.exitCode = await (await load()).run({ dir: opts.dir, force: opts.force === true });
      } catch (e) {
        process.exitCode = reportFatal(e);
      }
    });
}

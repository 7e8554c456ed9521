/** `warden init`: write a commented starter policy. */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT, reportFatal } from './output.js';
import { STARTER_POLICY } from './templates/starter-policy.js';

/** Registers `warden init`. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('Write a commented starter policy (policy.yaml) to start from.')
    .option('-d, --dir <dir>', 'directory to write into', '.')
    .option('-f, --force', 'overwrite an existing policy.yaml')
    .action(async (opts: { dir: string; force?: boolean }) => {
      try {
        const file = join(opts.dir, 'policy.yaml');
        if (!opts.force && (await exists(file))) {
          console.error(`${file} already exists; nothing was written. Use --force to overwrite it, or --dir to write elsewhere.`);
          process.exitCode = EXIT.denied;
          return;
        }
        await mkdir(opts.dir, { recursive: true });
        await writeFile(file, STARTER_POLICY, { mode: 0o644 });
        console.log(`Wrote ${file}.`);
        console.log(`Next: edit it, then run  warden lint ${file}  and  warden check --policy ${file} --request request.json`);
        process.exitCode = EXIT.ok;
      } catch (e) {
        process.exitCode = reportFatal(e);
      }
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

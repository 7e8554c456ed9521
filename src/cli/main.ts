#!/usr/bin/env node
/** The `warden` command line. Each subcommand lives in its own file, thin over the library. */
import { Command } from 'commander';
import { registerAuditCommand } from './audit.js';
import { registerCheckCommand } from './check.js';
import { registerDemoCommand } from './demo.js';
import { registerExplainCommand } from './explain.js';
import { registerInitCommand } from './init.js';
import { registerKeygenCommand } from './keygen.js';
import { registerLintCommand } from './lint.js';
import { EXIT } from './output.js';
import { VERSION } from '../version.js';

// A reader that stops early (`warden audit query ... | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const program = new Command();
program
  .name('warden')
  .description('Runtime governance for AI agents: a fail-closed policy decision before every tool call.')
  .version(VERSION)
  .showHelpAfterError('(run warden --help for usage)')
  .exitOverride((err) => {
    // Usage errors exit 2, like an invalid policy or request; help and version exit 0.
    process.exit(err.exitCode === 0 ? 0 : EXIT.invalid);
  });

registerCheckCommand(program);
registerLintCommand(program);
registerExplainCommand(program);
registerInitCommand(program);
registerDemoCommand(program);
registerAuditCommand(program);
registerKeygenCommand(program);

await program.parseAsync(process.argv);

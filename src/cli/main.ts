#!/usr/bin/env node
/** The `warden` command line. Each subcommand lives in its own file, thin over the library. */
import { Command } from 'commander';
import { registerCheckCommand } from './check.js';
import { registerDemoCommand } from './demo.js';
import { registerExplainCommand } from './explain.js';
import { registerInitCommand } from './init.js';
import { registerLintCommand } from './lint.js';
import { EXIT } from './output.js';
import { VERSION } from '../version.js';

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

await program.parseAsync(process.argv);

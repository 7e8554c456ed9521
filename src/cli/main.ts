#!/usr/bin/env node
/** The `warden` command line. Each subcommand lives in its own file, thin over the library. */
import { enableCodeCache } from './code-cache.js';
import { chosenCommand, COMMANDS, registerCommandList } from './commands.js';
import { EXIT } from './output.js';
import { VERSION } from '../version.js';

// Before any command's code loads, so its compiled bytecode comes from (and goes to) the cache.
enableCodeCache(process.env);

declare const __WARDEN_HOOK_BUNDLE__: string | undefined;
declare const __WARDEN_CHECK_BUNDLE__: string | undefined;

// The Claude Code hook runs once per tool call: it skips the argument parser entirely, and the
// package build gives it a bundle of its own (scripts/build.mjs; from the sources, hook.ts itself).
if (process.argv[2] === 'hook') {
  const hook: { runHook(args: readonly string[]): Promise<number> } =
    typeof __WARDEN_HOOK_BUNDLE__ === 'string' ? await import(new URL(__WARDEN_HOOK_BUNDLE__, import.meta.url).href) : { runHook: async (args) => (await import('./hook.js')).runHookCli(args) };
  process.exitCode = await hook.runHook(process.argv.slice(3));
} else if (process.argv[2] === 'check' && (await runCheckPlain()) !== null) {
  // Decided without commander: `warden check` in its plain form (see runCheckPlain in check.ts).
} else {
  await runCommandLine();
}

/**
 * `warden check` with its arguments in the plain form, run without loading commander; null
 * (nothing run) for any other form, which commander then parses as for every command.
 */
async function runCheckPlain(): Promise<number | null> {
  const check: typeof import('./check.js') =
    typeof __WARDEN_CHECK_BUNDLE__ === 'string' ? await import(new URL(__WARDEN_CHECK_BUNDLE__, import.meta.url).href) : await import('./check.js');
  if (check.parseCheckPlain(process.argv.slice(3)) === null) return null;
  endQuietlyOnEpipe();
  const code = await check.runCheckPlain(process.argv.slice(3));
  if (code !== null) process.exitCode = code;
  return code;
}

/** A reader that stops early (`warden audit query ... | head`) is not an error. */
function endQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

async function runCommandLine(): Promise<void> {
  const { Command } = await import('commander');

  endQuietlyOnEpipe();

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

  // Load only the command being run; the others are listed from the table without loading them.
  const chosen = chosenCommand(process.argv.slice(2));
  if (chosen) {
    try {
      (await chosen.load())(program);
    } catch (e) {
      // A command that cannot load (an optional package missing) says why, once, and exits 2.
      process.stderr.write(`warden: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT.invalid;
      return;
    }
  }
  registerCommandList(program, COMMANDS.filter((c) => c !== chosen));

  await program.parseAsync(process.argv);
}

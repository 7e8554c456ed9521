/**
 * The entry of the hook's own bundle (`dist/hook/main.js`, built by scripts/build.mjs beside the
 * package's): `warden hook` runs once per tool call, and a build with this one entry puts what a
 * hook event loads into a few chunks instead of the ~50 small ones the package's shared split
 * makes (each costs a resolution and a module instantiation). The compiler, the detectors and
 * the hook server client stay behind dynamic imports, in chunks of their own.
 *
 * `dist/cli/main.js` imports this after it has turned the V8 code cache on.
 */
import { runHookCli } from './hook.js';

/**
 * Runs `warden hook <host> [options]` given the arguments after `hook`; returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runHook(['claude-code']);
 * ```
 */
export async function runHook(args: readonly string[]): Promise<number> {
  return runHookCli(args);
}

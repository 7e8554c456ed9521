/**
 * One hook event handled in this process (no hook server answered): the decision engine, the
 * compiled-policy cache and the audit log. The built hook runs this module as a script of its own
 * with a code cache (in-process-script.ts); from the sources or the shared build it is imported.
 */
import { HookRuntime, type HookConfig, type HookResult } from './handle.js';
import { compiledPolicyCacheFromEnv, type CacheStatus } from '../../enforce/compiled-cache.js';

/**
 * Handles one event given as Claude Code's JSON text, with the compiled-policy cache `env` names.
 * `onPolicyCache`, when given, is told afterwards what that cache did on each policy load (see
 * CompiledPolicyCache.statuses; empty when no cache was used).
 *
 * @example
 * ```ts
 * const r = await handleInProcess(stdinText, resolveHookConfig({}, process.env, process.cwd()), process.env);
 * ```
 */
export async function handleInProcess(text: string, config: HookConfig, env: Readonly<Record<string, string | undefined>>, onPolicyCache?: (statuses: readonly CacheStatus[]) => void): Promise<HookResult> {
  const compiledCache = compiledPolicyCacheFromEnv(env);
  const runtime = new HookRuntime({ compiledCache });
  try {
    return await runtime.handle(text, config);
  } finally {
    // A network store (Redis, PostgreSQL) would keep this one-event process alive.
    await runtime.close();
    // What the compiled-policy cache did (none: it was off or unusable), for the script's code cache.
    onPolicyCache?.(compiledCache?.statuses ?? []);
  }
}

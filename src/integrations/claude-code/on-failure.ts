/**
 * What the Claude Code hook answers when Warden itself fails (the policy does not load, the audit
 * log cannot be written, the hook server breaks, the input is not a hook input): `block` (the
 * default) exits 2, which Claude Code treats as a block; `defer` answers a PreToolUse event with
 * `ask`, so Claude Code puts the call to the user in its own permission prompt. Neither ever
 * allows. This module is on the hook's cold path, so it imports nothing heavy.
 */
import type { HookResult } from './handle.js';

/**
 * The hook's failure mode: `block` (deny, fail closed) or `defer` (Claude Code asks the user).
 *
 * @example
 * ```ts
 * const mode: HookFailureMode = 'defer';
 * ```
 */
export type HookFailureMode = 'block' | 'defer';

const MODES: readonly HookFailureMode[] = ['block', 'defer'];

/**
 * The failure mode from `--on-failure`, else `$WARDEN_ON_FAILURE`, else `block`. A value that is
 * neither `block` nor `defer` is `block`, with the reason to show.
 *
 * @example
 * ```ts
 * failureModeOf(undefined, { WARDEN_ON_FAILURE: 'defer' }); // { mode: 'defer', problem: null }
 * failureModeOf(undefined, { WARDEN_ON_FAILURE: 'allow' }).mode; // 'block'
 * ```
 */
export function failureModeOf(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): { mode: HookFailureMode; problem: string | null } {
  const given = flag ?? env.WARDEN_ON_FAILURE;
  if (given === undefined || given === '') return { mode: 'block', problem: null };
  if ((MODES as readonly string[]).includes(given)) return { mode: given as HookFailureMode, problem: null };
  return { mode: 'block', problem: `on-failure "${given}" is neither block nor defer, so failures block` };
}

/**
 * Applies the failure mode to a hook's result. Only a failure (exit code 2) of a PreToolUse event
 * whose input is a JSON object naming it is deferred: Claude Code ignores `ask` on other events, and
 * input that does not parse names no event to answer. Everything else is returned as it is.
 *
 * @example
 * ```ts
 * applyFailureMode({ exitCode: 2, stdout: '', stderr: 'warden: the policy did not load\n' }, '{"hook_event_name":"PreToolUse"}', 'defer').stdout;
 * // '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask",...}}\n'
 * ```
 */
export function applyFailureMode(result: HookResult, inputText: string, mode: HookFailureMode): HookResult {
  if (result.exitCode !== 2 || mode !== 'defer' || !isPreToolUse(inputText)) return result;
  const cause = result.stderr.split('\n').map((l) => l.replace(/^warden: /, '').trim()).filter((l) => l !== '').join(' ') || 'an internal error';
  const reason = `Warden could not decide this call (${clip(cause, 400)}); it asks you instead because the hook runs with --on-failure defer.`;
  // invariant: a failure is never answered allow; `ask` leaves the call to the user.
  const answer = { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: reason } };
  return { exitCode: 0, stdout: `${JSON.stringify(answer)}\n`, stderr: result.stderr };
}

function isPreToolUse(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && (v as Record<string, unknown>).hook_event_name === 'PreToolUse';
  } catch {
    return false;
  }
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

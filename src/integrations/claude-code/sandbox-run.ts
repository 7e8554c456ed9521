/**
 * The hook's "run it for you" mode (`warden hook claude-code --sandbox`): for a Bash call, the
 * PreToolUse hook decides the command and, when the policy allows it, runs it itself in Warden's
 * sandbox (agent-warden/sandbox, ring 2) instead of letting Claude Code run it on the host.
 *
 * How the result reaches Claude: a PreToolUse hook cannot return a tool result, but it can allow
 * the call with `updatedInput`, replacing the command. The hook writes the sandboxed run's output
 * to a private directory and answers `allow` with the command replaced by one that prints that
 * output and exits with the run's status (`cat` of two files, `rm`, `exit N`). Claude Code runs
 * that replacement on the host; Claude sees the sandboxed output and status as the Bash result,
 * and the transcript shows the replaced command, so the rewrite is visible. The limits of this
 * (what still runs on the host, time-outs, approvals) are in docs/integrations/claude-code.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentIdentity } from '../../decision.js';
import type { Pipeline } from '../../enforce/pipeline.js';
import { preToolUseOutput, reasonText } from './output.js';

/**
 * How the hook runs Bash commands itself; absent or null: it does not (Claude Code runs them).
 *
 * @example
 * ```ts
 * const s: HookSandboxConfig = { network: 'egress', timeMs: 50_000 };
 * ```
 */
export interface HookSandboxConfig {
  /** `none`: offline; `egress`: only what the policy allows for the `egress` tool (docs/sandbox.md). */
  network: 'none' | 'egress';
  /** The run's time limit; keep it below the hook's `timeout` in Claude Code's settings (60 s by default). */
  timeMs: number;
}

/** Quotes a path for sh. */
function quoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command Claude Code runs in place of the original: prints the saved output and exits with
 * the run's status, removing the files.
 *
 * @example
 * ```ts
 * replayCommand('/tmp/warden-run-abc', 3); // "cat -- '/tmp/warden-run-abc/stdout'; cat -- '/tmp/warden-run-abc/stderr' >&2; rm -rf -- '/tmp/warden-run-abc'; exit 3"
 * ```
 */
export function replayCommand(dir: string, status: number): string {
  const d = quoted(dir);
  const f = (name: string): string => quoted(join(dir, name));
  return `cat -- ${f('stdout')}; cat -- ${f('stderr')} >&2; rm -rf -- ${d}; exit ${status}`;
}

/**
 * Decides a Bash call and, when allowed, runs it in the sandbox; returns the PreToolUse answer
 * (one line of JSON) and whether the decision was recorded. Allowed but not run (no usable sandbox,
 * a set-up failure) is answered `deny` with the reason: the command never runs unsandboxed.
 *
 * @example
 * ```ts
 * const { stdout } = await runBashInSandbox(pipeline, request, agent, '/repo', { network: 'none', timeMs: 50_000 });
 * ```
 */
export async function runBashInSandbox(
  pipeline: Pipeline,
  request: { tool: string; args: unknown; context: Record<string, unknown> },
  agent: AgentIdentity,
  workspace: string,
  config: HookSandboxConfig,
): Promise<{ stdout: string; recorded: boolean; reason: string }> {
  // Loaded here: only this mode pays for the sandbox module.
  const { createSandbox } = await import('../../sandbox/sandbox.js');
  const sandbox = createSandbox({ pipeline, workspace, ring: 2, network: config.network, limits: { timeMs: config.timeMs } });
  try {
    const r = await sandbox.exec(request, { agent });
    const line = (o: unknown): string => `${JSON.stringify(o)}\n`;
    if (!r.verdict.allowed) return { stdout: line(preToolUseOutput(r.verdict)), recorded: r.verdict.recorded, reason: r.verdict.reason };
    if (!r.ran) {
      const why = `Warden: the policy allows this command, but it could not run in Warden's sandbox, so it was not run (${r.error?.code ?? 'ERR_SANDBOX_SETUP'}: ${r.error?.message ?? 'unknown reason'})`;
      return { stdout: line({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: why } }), recorded: r.verdict.recorded, reason: why };
    }
    const dir = mkdtempSync(join(tmpdir(), 'warden-run-'));
    writeFileSync(join(dir, 'stdout'), r.stdout, { mode: 0o600 });
    const note = r.limit !== null ? `\nwarden: the ${r.limit} limit of the sandbox was reached; the run was killed.\n` : r.truncated ? '\nwarden: output past the limit was dropped.\n' : '';
    writeFileSync(join(dir, 'stderr'), `${r.stderr}${note}`, { mode: 0o600 });
    const status = r.exitCode ?? 137;
    const original = (request.args ?? {}) as Record<string, unknown>;
    // invariant: nothing of the original call runs on the host: the command is replaced and it is never run in the background.
    const updatedInput: Record<string, unknown> = { ...original, command: replayCommand(dir, status) };
    delete updatedInput.run_in_background;
    const where = `ring 2, network ${r.profile.network}`;
    return {
      stdout: line({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow', permissionDecisionReason: `${reasonText(r.verdict)} (run by Warden in its sandbox, ${where}; the output shown is that run's)`, updatedInput } }),
      recorded: r.verdict.recorded,
      reason: r.verdict.reason,
    };
  } finally {
    await sandbox.close();
  }
}

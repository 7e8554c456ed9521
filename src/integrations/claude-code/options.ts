/**
 * The hook's command-line options and environment, resolved to absolute paths. This module is on
 * the hook's cold path, so it imports nothing heavy.
 */
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { HookConfig } from './handle.js';
import { DEFAULT_AGENT_ID } from './constants.js';
import type { HookSandboxConfig } from './sandbox-run.js';

/** The default policy file, relative to the project directory. */
export const DEFAULT_POLICY_PATH = join('.warden', 'policy.yaml');

/** The default audit log, relative to the project directory. */
export const DEFAULT_AUDIT_PATH = join('.warden', 'audit', 'claude-code.jsonl');

/**
 * `warden hook claude-code` options as given on the command line.
 *
 * @example
 * ```ts
 * const opts: HookCommandOptions = { policy: ['.warden/policy.yaml'], agentId: 'coder' };
 * ```
 */
export interface HookCommandOptions {
  policy?: string[];
  audit?: string;
  agentId?: string;
  /** The project directory (root of the path facet). */
  root?: string;
  /** The session state store url (`sqlite:<file>`, `redis://...`, `postgres://...`): results marked untrusted reach the session's next calls. */
  state?: string;
  /** `--sandbox`: run allowed Bash commands in Warden's sandbox (never through the hook server). */
  sandbox?: HookSandboxConfig;
  /** `--result-model <config.json>`: a tier 3 ONNX model's configuration, run on every PostToolUse response. */
  resultModel?: string;
}

/**
 * Resolves the hook's configuration. The project directory is `--root`, else
 * `$CLAUDE_PROJECT_DIR` (which Claude Code sets for hooks), else null (the input's `cwd`).
 * Policy: `--policy`, else `$WARDEN_POLICY` (paths separated by the platform's path delimiter),
 * else `<project>/.warden/policy.yaml`. Audit log: `--audit`, else `$WARDEN_AUDIT`, else
 * `<project>/.warden/audit/claude-code.jsonl`. Relative command-line paths resolve against the
 * working directory; relative environment paths and defaults against the project directory
 * (the working directory when there is none). Session state: `--state`, else `$WARDEN_STATE`, else
 * none; a relative `sqlite:` path resolves like the audit log. Tier 3 result model: `--result-model`,
 * else `$WARDEN_RESULT_MODEL`, else none; a relative path resolves like the audit log.
 *
 * @example
 * ```ts
 * resolveHookConfig({}, { CLAUDE_PROJECT_DIR: '/repo' }, '/repo/src').policyPaths; // ['/repo/.warden/policy.yaml']
 * ```
 */
export function resolveHookConfig(opts: HookCommandOptions, env: Readonly<Record<string, string | undefined>>, cwd: string): HookConfig {
  const projectEnv = env.CLAUDE_PROJECT_DIR;
  const projectDir = opts.root !== undefined ? resolve(cwd, opts.root) : projectEnv !== undefined && isAbsolute(projectEnv) ? resolve(projectEnv) : null;
  const base = projectDir ?? cwd;
  const fromEnv = (v: string | undefined): string[] =>
    (v ?? '')
      .split(delimiter)
      .filter((p) => p !== '')
      .map((p) => resolve(base, p));
  const policyPaths = opts.policy !== undefined && opts.policy.length > 0 ? opts.policy.map((p) => resolve(cwd, p)) : fromEnv(env.WARDEN_POLICY);
  const auditPath = opts.audit !== undefined ? resolve(cwd, opts.audit) : env.WARDEN_AUDIT ? resolve(base, env.WARDEN_AUDIT) : resolve(base, DEFAULT_AUDIT_PATH);
  const stateUrl = opts.state ?? (env.WARDEN_STATE === '' ? undefined : env.WARDEN_STATE);
  const state = stateUrl === undefined ? null : stateUrl.startsWith('sqlite:') ? `sqlite:${resolve(opts.state !== undefined ? cwd : base, stateUrl.slice('sqlite:'.length))}` : stateUrl;
  const modelPath = opts.resultModel !== undefined ? resolve(cwd, opts.resultModel) : env.WARDEN_RESULT_MODEL ? resolve(base, env.WARDEN_RESULT_MODEL) : null;
  return {
    policyPaths: policyPaths.length > 0 ? policyPaths : [resolve(base, DEFAULT_POLICY_PATH)],
    auditPath,
    agentId: opts.agentId ?? DEFAULT_AGENT_ID,
    projectDir,
    home: safeHome(),
    windows: process.platform === 'win32',
    state,
    ...(modelPath !== null ? { resultModel: modelPath } : {}),
    ...(opts.sandbox !== undefined ? { sandbox: { ...opts.sandbox } } : {}),
  };
}

function safeHome(): string | null {
  try {
    const h = homedir();
    return isAbsolute(h) ? h : null;
  } catch {
    // No home directory (a system account): `~` paths are then never inside the project.
    return null;
  }
}

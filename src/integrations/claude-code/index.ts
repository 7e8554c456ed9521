/**
 * The Claude Code integration (`agent-warden/claude-code`): the command hook's pieces, for hosts
 * that embed the decision themselves (an Agent SDK hook callback) or build their own entry.
 *
 * @example
 * ```ts
 * import { HookRuntime } from 'agent-warden/claude-code';
 * const runtime = new HookRuntime();
 * const { exitCode, stdout, stderr } = await runtime.handle(stdinText, {
 *   policyPaths: ['/repo/.warden/policy.yaml'], auditPath: '/repo/.warden/audit/claude-code.jsonl',
 *   agentId: 'claude-code', projectDir: '/repo', home: '/home/dev', windows: false,
 * });
 * ```
 */
export { HookRuntime, governsPrompts, fatalText, type HookConfig, type HookResult } from './handle.js';
export {
  parseHookInput,
  parseHookText,
  HOOK_EVENTS,
  MAX_HOOK_INPUT_BYTES,
  type HookEventName,
  type HookBase,
  type HookInput,
  type PreToolUseInput,
  type PostToolUseInput,
  type PostToolUseFailureInput,
  type UserPromptSubmitInput,
} from './hook-input.js';
export {
  agentOf,
  boundedResponse,
  claudeCodeBindings,
  requestFor,
  CLAUDE_CODE_FACET_SOURCES,
  DEFAULT_AGENT_ID,
  MAX_RECORDED_RESPONSE_BYTES,
  PROMPT_TOOL,
  type BindingOptions,
  type RequestOptions,
} from './mapping.js';
export { permissionDecisionOf, preToolUseOutput, promptOutput, reasonText, type PreToolUseOutput, type PromptBlockOutput } from './output.js';
export { PolicyCache } from './policy-cache.js';
export { LockedAuditLog } from './audit-log.js';
export { withFileLock, type FileLockOptions } from '../../audit/file-lock.js';
export { resolveHookConfig, DEFAULT_AUDIT_PATH, DEFAULT_POLICY_PATH, type HookCommandOptions } from './options.js';
export { runClaudeCodeHook, DEFAULT_SERVER_IDLE_MS, type HookIo, type HookRunOptions } from './client.js';
export { applyFailureMode, failureModeOf, type HookFailureMode } from './on-failure.js';
export { mergeClaudeSettings, HOOK_COMMAND, INSTALLED_EVENTS, type SettingsMerge } from './settings.js';
export { CLAUDE_CODE_STARTER_POLICY } from './starter-policy.js';

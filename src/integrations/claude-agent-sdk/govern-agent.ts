/**
 * Claude Agent SDK adapter: the SDK's own in-process hooks and `canUseTool`, governed. A
 * PreToolUse hook decides every tool call (allow, or deny with the policy's reason); a call the
 * policy requires approval for is answered `ask`, so the SDK asks through `canUseTool`, where your
 * own `canUseTool` (the person) answers and Warden binds the answer to the exact call that was
 * paused. PostToolUse and PostToolUseFailure record the outcome under the tool use id.
 *
 * Only types come from `@anthropic-ai/claude-agent-sdk`: importing this module loads nothing of it.
 */
import { observedResult } from '../host/scanned-outcome.js';
import type { CanUseTool, HookCallback, HookCallbackMatcher, HookEvent, HookInput, PermissionResult } from '@anthropic-ai/claude-agent-sdk';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { CallInput, DecidedCall } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { decidedArgs } from '../host/run-decided.js';
import { approvalOptions } from '../host/shared-pending.js';

/**
 * Options of {@link governClaudeAgent}.
 *
 * @example
 * ```ts
 * const options: GovernClaudeAgentOptions = { governor, canUseTool: askInSlack, approver: 'alice@example.com' };
 * ```
 */
export interface GovernClaudeAgentOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /**
   * Your own `canUseTool`: how a person is asked. Called for every call the policy requires
   * approval for (and for any call the SDK asks about that Warden did not pause). Without it, the
   * Governor's blocking approval handler is asked instead.
   */
  canUseTool?: CanUseTool;
  /** The identity your application authenticated for this session (default: the Governor's). */
  agent?: AgentIdentity;
  /** Extra context for every request (the adapter sets `host` and `callId` over it). */
  context?: Record<string, unknown>;
  /** Who answers through `canUseTool` (the signed-in user); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for `canUseTool` (default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
}

/**
 * What {@link governClaudeAgent} returns: spread it into `query()`'s options.
 *
 * @example
 * ```ts
 * const { hooks, canUseTool }: GovernedClaudeAgent = governClaudeAgent({ governor });
 * ```
 */
export interface GovernedClaudeAgent {
  hooks: Partial<Record<HookEvent, HookCallbackMatcher[]>>;
  canUseTool: CanUseTool;
}

const OPTION_KEYS = ['governor', 'canUseTool', 'agent', 'context', 'approver', 'pendingApprovals'];
const HOST = 'claude-agent-sdk';

/**
 * Returns the hooks and `canUseTool` that put a Governor in front of every tool call of a Claude
 * Agent SDK `query()` (built-in tools and MCP tools alike; tool name as the SDK names it, args =
 * the tool input, context = `{ host: 'claude-agent-sdk', callId: tool use id }`):
 * - PreToolUse (`onFailure: 'block'`, so a failing hook blocks the call): `allow` for calls the
 *   policy allows, `deny` with the policy's reason (the model sees it), and `ask` for calls the
 *   policy requires approval for (the pause is recorded).
 * - `canUseTool`: asks your `canUseTool`; its `allow` is Warden's approval only for the exact
 *   input that was paused (an `updatedInput` that changes it is a denial), and is recorded with
 *   `approver`; its `deny` is recorded as a rejection.
 * - PostToolUse / PostToolUseFailure: the outcome, under the tool use id.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options.
 * @example
 * ```ts
 * import { query } from '@anthropic-ai/claude-agent-sdk';
 * import { governClaudeAgent } from 'agent-warden/claude-agent-sdk';
 *
 * for await (const message of query({ prompt: 'Refund order 42', options: { ...governClaudeAgent({ governor, canUseTool: askAPerson }) } })) console.log(message.type);
 * ```
 */
export function governClaudeAgent(options: GovernClaudeAgentOptions): GovernedClaudeAgent {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'governClaudeAgent options');
  const governor = options.governor;
  if (!governor || typeof governor.pipeline?.decide !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  if (options.canUseTool !== undefined && typeof options.canUseTool !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'canUseTool must be your function that asks a person: (toolName, input, options) => PermissionResult.');
  const pending = approvalOptions(governor, options);
  const ask = options.canUseTool;
  const by = options.approver !== undefined ? { by: options.approver } : {};

  const inputOf = (tool: string, args: unknown, callId: string | undefined, extra: Partial<CallInput> = {}): CallInput => ({
    request: { tool, args, context: { ...options.context, host: HOST, ...(callId !== undefined ? { callId } : {}) } },
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...extra,
  });

  const preToolUse: HookCallback = async (input: HookInput, toolUseID) => {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const callId = input.tool_use_id ?? toolUseID;
    const { verdict } = await governor.pipeline.decide(inputOf(input.tool_name, input.tool_input, callId, { approval: 'defer' }));
    if (verdict.effect === 'require_approval' && verdict.recorded && callId !== undefined) {
      await pending.put(pendingKey(input.tool_name, callId), verdict.requestDigest);
      return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: `Warden: ${verdict.policyDecision.reason}` } };
    }
    if (verdict.allowed) return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow', permissionDecisionReason: `Warden: ${verdict.reason}` } };
    return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: new GovernanceDenied(input.tool_name, verdict).message } };
  };

  const outcome: HookCallback = async (input: HookInput, toolUseID) => {
    if (input.hook_event_name !== 'PostToolUse' && input.hook_event_name !== 'PostToolUseFailure') return {};
    const call = input.tool_use_id ?? toolUseID;
    if (call === undefined) return {};
    if (input.hook_event_name === 'PostToolUse') await observedResult(governor.pipeline, { call, tool: input.tool_name }, input.tool_response, false);
    else await governor.pipeline.observe({ call, tool: input.tool_name }, { status: input.is_interrupt === true ? 'aborted' : 'error', error: { name: 'ToolError', message: String(input.error ?? '') } });
    return {};
  };

  const answerOf = (tool: string, decided: DecidedCall, message?: string): PermissionResult => {
    const verdict = decided.verdict;
    if (verdict.allowed && decided.snapshot !== null) return { behavior: 'allow', updatedInput: decidedArgs(decided) };
    return { behavior: 'deny', message: message ?? new GovernanceDenied(tool, verdict).message };
  };

  const canUseTool: CanUseTool = async (toolName, input, opts) => {
    const callId = typeof opts?.toolUseID === 'string' ? opts.toolUseID : undefined;
    let digest = callId !== undefined ? await pending.take(pendingKey(toolName, callId)) : undefined;
    if (typeof digest !== 'string') {
      // The SDK asks about a call Warden did not pause (its own permission rules): decide it here.
      const decided = await governor.pipeline.decide(inputOf(toolName, input, callId, { approval: 'defer' }));
      if (decided.verdict.effect !== 'require_approval' || !decided.verdict.recorded) return answerOf(toolName, decided);
      digest = decided.verdict.requestDigest;
    }
    if (ask === undefined) return answerOf(toolName, await governor.pipeline.decide(inputOf(toolName, input, callId, { approval: 'handler' })));
    const via = `claude-agent-sdk canUseTool ${callId ?? '(no tool use id)'}`;
    let answer: PermissionResult | null;
    try {
      answer = await ask(toolName, input, opts);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return answerOf(toolName, await governor.pipeline.decide(inputOf(toolName, input, callId, { hostApproval: { requestDigest: digest, via: `${via} (it failed: ${why})`, approved: false, ...by } })));
    }
    if (answer?.behavior !== 'allow') {
      const message = typeof (answer as { message?: unknown } | undefined)?.message === 'string' ? (answer as { message: string }).message : undefined;
      return answerOf(toolName, await governor.pipeline.decide(inputOf(toolName, input, callId, { hostApproval: { requestDigest: digest, via, approved: false, ...by } })), message);
    }
    // invariant: the approval covers the input that was paused; an updatedInput that changes it is another request.
    const args = answer.updatedInput ?? input;
    return answerOf(toolName, await governor.pipeline.decide(inputOf(toolName, args, callId, { hostApproval: { requestDigest: digest, via, ...by } })));
  };

  return {
    hooks: {
      PreToolUse: [{ hooks: [preToolUse], onFailure: 'block' }],
      PostToolUse: [{ hooks: [outcome] }],
      PostToolUseFailure: [{ hooks: [outcome] }],
    },
    canUseTool,
  };
}

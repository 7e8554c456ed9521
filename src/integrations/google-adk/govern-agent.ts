/**
 * Google Agent Development Kit (`@google/adk`, TypeScript) adapter: an `LlmAgent`'s own
 * `beforeToolCallback` and `afterToolCallback`, governed. A denied call is answered with the
 * policy's reason as the tool's error and never runs; a call the policy requires approval for asks
 * through ADK's own tool confirmation (`requestConfirmation`: the run returns an
 * `adk_request_confirmation` call, and the client answers with its function response), bound to the
 * exact call that was paused.
 *
 * Only types come from `@google/adk`: importing this module loads nothing of it.
 */
import { observedResult } from '../host/scanned-outcome.js';
import type { BaseTool, Context } from '@google/adk';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { CallInput } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { approvalOptions } from '../host/shared-pending.js';

/**
 * Options of {@link governAdkAgent}.
 *
 * @example
 * ```ts
 * const options: GovernAdkAgentOptions = { governor, approver: 'alice@example.com' };
 * ```
 */
export interface GovernAdkAgentOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /** The identity your application authenticated for these runs (default: the Governor's). */
  agent?: AgentIdentity;
  /** Extra context for every request (the adapter sets `host` and `callId` over it). Keep it the same between a pause and its resume. */
  context?: Record<string, unknown>;
  /** Who answers the confirmations of these runs (the signed-in user); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for their confirmation (default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
}

/**
 * What {@link governAdkAgent} returns: the callbacks to spread into `new LlmAgent({ ... })`, and
 * `tools()`, which marks the agent's tools as gated on confirmation for the calls Warden paused
 * (ADK resumes a confirmed call only for a tool that gates on confirmation).
 *
 * @example
 * ```ts
 * const warden: GovernedAdkAgent = governAdkAgent({ governor });
 * const agent = new LlmAgent({ name: 'support', model, tools: warden.tools([refund]), ...warden.callbacks });
 * ```
 */
export interface GovernedAdkAgent {
  callbacks: {
    beforeToolCallback: (params: { tool: BaseTool; args: Record<string, unknown>; context: Context }) => Promise<Record<string, unknown> | undefined>;
    afterToolCallback: (params: { tool: BaseTool; args: Record<string, unknown>; context: Context; response: Record<string, unknown> }) => Promise<Record<string, unknown> | undefined>;
  };
  tools<T extends BaseTool>(tools: readonly T[]): T[];
}

const OPTION_KEYS = ['governor', 'agent', 'context', 'approver', 'pendingApprovals'];
const HOST = 'google-adk';
/** What the paused call answers meanwhile (as ADK's own FunctionTool does when it asks). */
const PAUSED = 'Warden: this tool call needs approval; it runs once the confirmation approves it.';

/**
 * Returns `beforeToolCallback` and `afterToolCallback` for an ADK `LlmAgent` that put a Governor
 * in front of every tool call (tool name = the tool's name, args = the call's arguments, context =
 * `{ host: 'google-adk', callId: functionCallId }`):
 * - allowed: the tool runs; its outcome is recorded by `afterToolCallback`.
 * - denied: the tool does not run; the model receives `{ error: 'Warden denied "<tool>": <reason>' }`.
 * - approval required: the pause is recorded and the call asks ADK's tool confirmation; when the
 *   run resumes with the confirmation's function response, `confirmed: true` is the approval for
 *   exactly the paused call (recorded with `approver`), and anything else a rejection.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options.
 * @example
 * ```ts
 * import { LlmAgent } from '@google/adk';
 * import { governAdkAgent } from 'agent-warden/google-adk';
 *
 * const warden = governAdkAgent({ governor });
 * const agent = new LlmAgent({ name: 'support', model, tools: warden.tools([refund]), ...warden.callbacks });
 * ```
 */
export function governAdkAgent(options: GovernAdkAgentOptions): GovernedAdkAgent {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'governAdkAgent options');
  const governor = options.governor;
  if (!governor || typeof governor.pipeline?.decide !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  const pending = approvalOptions(governor, options);
  // Calls paused here, for ADK's resume check (checkRequireConfirmation), and calls allowed here, so
  // that afterToolCallback records outcomes only of calls that ran; both bounded, oldest dropped.
  const paused = new Set<string>();
  const running = new Set<string>();
  const remember = (set: Set<string>, key: string): void => {
    if (set.size >= 10_000) set.delete(set.values().next().value as string);
    set.add(key);
  };
  const by = options.approver !== undefined ? { by: options.approver } : {};
  const inputOf = (tool: string, args: unknown, callId: string | undefined, extra: Partial<CallInput> = {}): CallInput => ({
    request: { tool, args, context: { ...options.context, host: HOST, ...(callId !== undefined ? { callId } : {}) } },
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...extra,
  });

  const beforeToolCallback: GovernedAdkAgent['callbacks']['beforeToolCallback'] = async ({ tool, args, context }) => {
    const name = tool.name;
    const callId = typeof context?.functionCallId === 'string' ? context.functionCallId : undefined;
    const confirmation = context?.toolConfirmation;
    let decided;
    if (confirmation !== undefined && callId !== undefined) {
      // The resume: the person's confirmation is the approval, for exactly the call that was paused.
      const digest = await pending.take(pendingKey(name, callId));
      paused.delete(pendingKey(name, callId));
      decided = await governor.pipeline.decide(inputOf(name, args, callId, { hostApproval: { requestDigest: typeof digest === 'string' ? digest : '', via: `google-adk tool confirmation ${callId}`, approved: confirmation.confirmed === true, ...by } }));
      context.toolConfirmation = undefined;
    } else {
      decided = await governor.pipeline.decide(inputOf(name, args, callId, { approval: 'defer' }));
      const verdict = decided.verdict;
      if (verdict.effect === 'require_approval' && verdict.recorded && callId !== undefined && typeof context.requestConfirmation === 'function') {
        await pending.put(pendingKey(name, callId), verdict.requestDigest);
        remember(paused, pendingKey(name, callId));
        context.requestConfirmation({ hint: `Warden: ${verdict.policyDecision.reason}`, payload: { warden: { call: verdict.call, requestDigest: verdict.requestDigest, rule: verdict.policyDecision.rule, approvers: verdict.policyDecision.approvers } } });
        // As ADK's own FunctionTool does when it asks: the model is not asked to summarize the pause.
        context.actions.skipSummarization = true;
        return { error: PAUSED };
      }
    }
    if (decided.verdict.allowed) {
      if (callId !== undefined) remember(running, pendingKey(name, callId));
      return undefined;
    }
    return { error: new GovernanceDenied(name, decided.verdict).message };
  };

  const afterToolCallback: GovernedAdkAgent['callbacks']['afterToolCallback'] = async ({ tool, context, response }) => {
    const call = typeof context?.functionCallId === 'string' ? context.functionCallId : undefined;
    if (call !== undefined && running.delete(pendingKey(tool.name, call))) await observedResult(governor.pipeline, { call, tool: tool.name }, response, false);
    return undefined;
  };

  const tools = <T extends BaseTool>(list: readonly T[]): T[] => {
    if (!Array.isArray(list)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'tools() needs the array of tools you give the LlmAgent.');
    return list.map((tool) => {
      // A view of the tool whose confirmation gate also covers the calls Warden paused.
      const own = tool.checkRequireConfirmation.bind(tool);
      const view = Object.create(tool) as T;
      view.checkRequireConfirmation = async (args, context) => (typeof context?.functionCallId === 'string' && paused.has(pendingKey(tool.name, context.functionCallId))) || own(args, context);
      return view;
    });
  };

  return { callbacks: { beforeToolCallback, afterToolCallback }, tools };
}

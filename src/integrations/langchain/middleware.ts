/**
 * LangChain v1 agent middleware: `wardenMiddleware({ governor })` for `createAgent`. Its
 * `wrapToolCall` decides every tool call before the tool runs; a policy's `require_approval` pauses
 * the graph with LangGraph's `interrupt()` (a human-in-the-loop request in the shape of LangChain's
 * own `humanInTheLoopMiddleware`, resumed with `new Command({ resume: { decisions: [...] } })`),
 * and a denial answers the tool call with a `ToolMessage` carrying the reason and `status: "error"`.
 *
 * Only types come from `langchain`; `ToolMessage` comes from `@langchain/core` (already this
 * subpath's peer), loaded when a middleware is made (./core.ts), not when this module is imported.
 */
import type { ToolMessage } from '@langchain/core/messages';
import type { AgentMiddleware } from 'langchain';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { CallInput, DecidedCall } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { runDecided, type ResultShape } from '../host/run-decided.js';
import { approvalOptions } from '../host/shared-pending.js';
import { langchainMessages } from './core.js';

/**
 * Options of {@link wardenMiddleware}.
 *
 * @example
 * ```ts
 * const options: WardenMiddlewareOptions = { governor, approver: 'alice@example.com' };
 * ```
 */
export interface WardenMiddlewareOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /**
   * `tool-message` (default): a denied call is answered with a `ToolMessage` (`status: "error"`,
   * the policy's reason as content) and the agent goes on. `throw`: the run fails with GovernanceDenied.
   */
  onDeny?: 'tool-message' | 'throw';
  /** The identity your application authenticated for these calls (default: the Governor's). */
  agent?: AgentIdentity;
  /** Extra context for every request (the middleware sets `host` and `callId` over it). Keep it the same between a pause and its resume. */
  context?: Record<string, unknown>;
  /**
   * `host` (default): `require_approval` pauses the graph with `interrupt()` (a checkpointer is
   * needed to resume). `handler`: the Governor's blocking approval handler is asked instead.
   */
  approval?: 'host' | 'handler';
  /** Who answers the interrupts of these runs (the signed-in user); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for their answer (default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
}

/**
 * What the middleware's `interrupt()` carries: LangChain's human-in-the-loop request (so UIs built
 * for `humanInTheLoopMiddleware` show it), plus what Warden decided.
 *
 * @example
 * ```ts
 * const ask = result.__interrupt__?.[0]?.value as WardenInterrupt;
 * console.log(ask.actionRequests[0].name, ask.warden.reason);
 * ```
 */
export interface WardenInterrupt {
  actionRequests: Array<{ name: string; args: Record<string, unknown>; description: string }>;
  reviewConfigs: Array<{ actionName: string; allowedDecisions: Array<'approve' | 'reject'> }>;
  warden: { call: string; requestDigest: string; rule: string | null; policy: string | null; reason: string; approvers: readonly string[] };
}

interface ToolCallLike {
  id?: string;
  name: string;
  args: Record<string, unknown>;
}
interface RequestLike {
  toolCall: ToolCallLike;
  runtime?: { interrupt?: (value: unknown) => unknown };
}
type Handler = (request: RequestLike) => unknown;

const OPTION_KEYS = ['governor', 'onDeny', 'agent', 'context', 'approval', 'approver', 'pendingApprovals'];
// LangChain brands middleware with this global symbol (createMiddleware); set here so nothing of langchain loads.
const MIDDLEWARE_BRAND = Symbol.for('AgentMiddleware');

/**
 * Agent middleware for LangChain v1's `createAgent` that governs every tool call of the agent
 * (tool name = the tool call's name, args = its arguments, context = `{ host: 'langchain', callId }`).
 * An allowed call runs with a copy of exactly the arguments that were decided, and its outcome is
 * recorded. A call the policy requires approval for calls LangGraph's `interrupt()` with a
 * {@link WardenInterrupt}; resume with `new Command({ resume: { decisions: [{ type: 'approve' }] } })`
 * (or `{ type: 'reject', message }`). The answer counts only for the exact request that was
 * paused, and is recorded with `approver`.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options.
 * @example
 * ```ts
 * import { createAgent } from 'langchain';
 * import { MemorySaver } from '@langchain/langgraph';
 * import { wardenMiddleware } from 'agent-warden/langchain';
 *
 * const agent = createAgent({ model, tools: [refund], middleware: [wardenMiddleware({ governor })], checkpointer: new MemorySaver() });
 * ```
 */
export function wardenMiddleware(options: WardenMiddlewareOptions): AgentMiddleware {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'wardenMiddleware options');
  const governor = options.governor;
  if (!governor || typeof governor.pipeline?.decide !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  const onDeny = options.onDeny ?? 'tool-message';
  if (onDeny !== 'tool-message' && onDeny !== 'throw') throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be "tool-message" or "throw"; got ${JSON.stringify(onDeny)}.`);
  const approval = options.approval ?? 'host';
  if (approval !== 'host' && approval !== 'handler') throw new WardenError('ERR_INTEGRATION_OPTIONS', `approval must be "host" or "handler"; got ${JSON.stringify(approval)}.`);
  const pending = approvalOptions(governor, options);
  const by = options.approver !== undefined ? { by: options.approver } : {};
  // Loaded now (not at import): a missing @langchain/core fails here, before the agent runs a tool.
  const { ToolMessage } = langchainMessages();

  const inputOf = (call: ToolCallLike, extra: Partial<CallInput> = {}): CallInput => ({
    request: { tool: call.name, args: call.args, context: { ...options.context, host: 'langchain', ...(typeof call.id === 'string' ? { callId: call.id } : {}) } },
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...extra,
  });

  /** Pauses with interrupt() and turns the person's answer into the call's decision; interrupt()'s own throw (the pause) propagates. */
  const ask = async (request: RequestLike, key: string, digest: string, payload: WardenInterrupt, fresh: boolean): Promise<DecidedCall> => {
    const interrupt = request.runtime?.interrupt;
    if (typeof interrupt !== 'function') {
      await pending.take(key);
      return governor.pipeline.decide(inputOf(request.toolCall, { hostApproval: { requestDigest: digest, via: 'langchain interrupt()', approved: false } }));
    }
    let answer: unknown;
    try {
      answer = interrupt(payload);
    } catch (e) {
      // The pause itself (GraphInterrupt): keep waiting for the answer.
      await pending.put(key, digest);
      throw e;
    }
    // An answer on the first ask means the resume was meant for a pause this process never made
    // (it was made elsewhere, or its record is gone): nothing binds it to what a person was shown.
    if (fresh) await pending.take(key);
    const decision = decisionOf(answer);
    const via = `langchain interrupt() resume${decision.message !== undefined ? ` (${decision.message.slice(0, 100)})` : ''}`;
    return governor.pipeline.decide(inputOf(request.toolCall, { hostApproval: { requestDigest: fresh ? '' : digest, via, approved: decision.approved, ...by } }));
  };

  const wrapToolCall = async (request: RequestLike, handler: Handler): Promise<unknown> => {
    const call = request.toolCall;
    const name = call.name;
    let decided: DecidedCall;
    if (approval === 'handler' || typeof call.id !== 'string') {
      decided = await governor.pipeline.decide(inputOf(call));
    } else {
      const key = pendingKey(name, call.id);
      const paused = await pending.take(key);
      if (typeof paused === 'string') {
        // The node runs again on resume: the pause was recorded; ask() reads the answer.
        decided = await ask(request, key, paused, payloadOf(call, paused, null), false);
      } else {
        decided = await governor.pipeline.decide(inputOf(call, { approval: 'defer' }));
        const verdict = decided.verdict;
        if (verdict.effect === 'require_approval' && verdict.recorded) {
          await pending.put(key, verdict.requestDigest);
          decided = await ask(request, key, verdict.requestDigest, payloadOf(call, verdict.requestDigest, decided), true);
        }
      }
    }
    const verdict = decided.verdict;
    if (!verdict.allowed || decided.snapshot === null) {
      const denied = new GovernanceDenied(name, verdict);
      if (onDeny === 'throw') throw denied;
      return new ToolMessage({ content: denied.message, tool_call_id: call.id ?? '', name, status: 'error' });
    }
    return runDecided(governor, decided, name, (args) => handler({ ...request, toolCall: { ...call, args } }), TOOL_MESSAGE_SHAPE);
  };

  return { [MIDDLEWARE_BRAND]: true, name: 'warden', wrapToolCall } as unknown as AgentMiddleware;
}

/**
 * What the model reads of a tool's result is a ToolMessage's content: that is what is scanned and,
 * when the policy redacts the tool's secrets, replaced in a new ToolMessage with the same fields.
 * Another result (a LangGraph Command) is scanned whole and cannot be rewritten: one that carries a
 * secret the policy wants redacted is refused instead.
 */
const TOOL_MESSAGE_SHAPE: ResultShape<unknown> = {
  read: (result) => (langchainMessages().ToolMessage.isInstance(result) ? result.content : result),
  write: (result, redacted) => {
    const { ToolMessage } = langchainMessages();
    if (!ToolMessage.isInstance(result)) throw new WardenError('ERR_DETECT_LIMIT', 'The tool returned a LangGraph Command carrying a secret the policy redacts (results.redactSecrets); Warden cannot rewrite a Command, so it was withheld. Return a ToolMessage or text.');
    return new ToolMessage({
      content: redacted as ToolMessage['content'],
      tool_call_id: result.tool_call_id,
      ...(result.name !== undefined ? { name: result.name } : {}),
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.id !== undefined ? { id: result.id } : {}),
      ...(result.artifact !== undefined ? { artifact: result.artifact as unknown } : {}),
      additional_kwargs: result.additional_kwargs,
      response_metadata: result.response_metadata,
    });
  },
};

function payloadOf(call: ToolCallLike, digest: string, decided: DecidedCall | null): WardenInterrupt {
  const v = decided?.verdict;
  const reason = v?.policyDecision.reason ?? 'Warden requires approval for this call';
  return {
    actionRequests: [{ name: call.name, args: call.args, description: reason }],
    reviewConfigs: [{ actionName: call.name, allowedDecisions: ['approve', 'reject'] }],
    warden: { call: v?.call ?? call.id ?? '', requestDigest: digest, rule: v?.policyDecision.rule ?? null, policy: v?.policyDecision.policy ?? null, reason, approvers: v?.policyDecision.approvers ?? [] },
  };
}

/** The person's answer, read strictly: only `{ decisions: [{ type: 'approve' }] }` approves. */
function decisionOf(answer: unknown): { approved: boolean; message?: string } {
  const decisions = (answer as { decisions?: unknown } | null)?.decisions;
  const first: unknown = Array.isArray(decisions) && decisions.length === 1 ? decisions[0] : undefined;
  const type = (first as { type?: unknown } | undefined)?.type;
  const message = (first as { message?: unknown } | undefined)?.message;
  if (type === 'approve') return { approved: true };
  return { approved: false, ...(typeof message === 'string' ? { message } : {}) };
}

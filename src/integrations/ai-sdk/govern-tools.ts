/**
 * Vercel AI SDK adapter (`ai` 6 and 7): every tool handed to generateText / streamText (or a
 * ToolLoopAgent) is decided, approved and recorded by a Governor before it runs, through the SDK's
 * own mechanisms: a policy's `require_approval` pauses the call with the SDK's `needsApproval`
 * (a `tool-approval-request` part; the run resumes with a `tool-approval-response`), and a denial
 * reaches the model as `execution-denied` with the policy's reason.
 *
 * Only types come from `ai`: importing this module loads nothing of the AI SDK.
 */
import type { Tool, ToolSet } from 'ai';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { DecidedCall } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { EarlyDecisions } from '../host/early-decisions.js';
import { runDecided, runDecidedStream } from '../host/run-decided.js';
import { approvalOptions } from '../host/shared-pending.js';

/**
 * What a denied call becomes.
 * - `execution-denied` (default): the SDK's own denial: the model receives an `execution-denied`
 *   tool result with the policy's reason, and the run goes on.
 * - `error-result`: the SDK's tool error (a `tool-error` part whose `error` is the GovernanceDenied);
 *   the model sees the reason as the tool's error text.
 * - `throw`: the run ends: generateText rejects, and streamText's stream and result promises fail,
 *   with the GovernanceDenied, before the model is called again.
 */
export type AiSdkDenyMode = 'execution-denied' | 'error-result' | 'throw';

/**
 * Options of {@link governTools}.
 *
 * @example
 * ```ts
 * const options: GovernToolsOptions = { governor, agent: { id: 'support-bot' }, approver: session.user.email };
 * ```
 */
export interface GovernToolsOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /** Default `execution-denied`. */
  onDeny?: AiSdkDenyMode;
  /** The identity your application authenticated for these calls (default: the Governor's). */
  agent?: AgentIdentity;
  /**
   * Extra context for every request (the adapter sets `host` and `callId` over it; see
   * docs/context.md). Keep it the same between a paused call and its resume: an approval covers
   * the exact request, context included.
   */
  context?: Record<string, unknown>;
  /**
   * Tools that have no `execute` here (provider-executed tools, tools the client runs) and so
   * cannot be governed by Warden. They are passed through unchanged; any other tool without
   * `execute` is refused, so a tool cannot slip past the policy unnoticed.
   */
  passThrough?: readonly string[];
  /**
   * `host` (default): a call the policy requires approval for is paused with the SDK's own
   * approval flow, and runs only after a `tool-approval-response` that approves it, for exactly
   * the request that was paused. `handler`: the Governor's blocking approval handler is asked
   * inside the tool call instead (for hosts without a chat UI to answer).
   */
  approval?: 'host' | 'handler';
  /** Who answers the approval responses in these calls' messages (the signed-in user); recorded with the approval. */
  approver?: string;
  /**
   * Where paused calls wait for their approval (default: in this process, shared by every
   * governTools of the same Governor). Pass a shared store when a resume can reach another process.
   */
  pendingApprovals?: PendingApprovals;
}

/** What the SDK hands `execute` and `needsApproval` (the members both majors share). */
interface CallOptions {
  toolCallId?: string;
  messages?: readonly unknown[];
}
type ExecuteFunction = (input: unknown, options: CallOptions) => unknown;
type NeedsApprovalFunction = (input: unknown, options: CallOptions) => boolean | PromiseLike<boolean>;
type ToModelOutput = (call: { output: unknown; toolCallId?: string; input?: unknown }) => unknown;

interface Config {
  governor: Governor;
  onDeny: AiSdkDenyMode;
  agent: AgentIdentity | undefined;
  context: Record<string, unknown> | undefined;
  approval: 'host' | 'handler';
  approver: string | undefined;
  pending: PendingApprovals;
  early: EarlyDecisions;
}

const OPTION_KEYS = ['governor', 'onDeny', 'agent', 'context', 'passThrough', 'approval', 'approver', 'pendingApprovals'];
const DENY_MODES: readonly AiSdkDenyMode[] = ['execution-denied', 'error-result', 'throw'];

/**
 * Returns a copy of an AI SDK `tools` object in which every tool is governed. For each call
 * (tool name = the key, args = the tool input, context = `{ host: 'ai-sdk', callId }`):
 * - `needsApproval` asks the Governor first. A policy's `require_approval` is recorded as such and
 *   pauses the call (the SDK returns a `tool-approval-request`); a tool's own `needsApproval` is
 *   still asked for calls the policy allows.
 * - `execute` runs only an allowed call, with a copy of exactly the input that was decided. A
 *   paused call runs only once an approving `tool-approval-response` for it is in the messages,
 *   and only if its request is the one that was paused (same digest); the approval is recorded
 *   with `approver`.
 * - A denied call never runs; the model sees the policy's reason (see {@link AiSdkDenyMode}).
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options, `ERR_UNGOVERNED_TOOL` for a tool
 *   without `execute` that is not listed in `passThrough`.
 * @example
 * ```ts
 * import { generateText, stepCountIs } from 'ai';
 * import { governTools } from 'agent-warden/ai-sdk';
 *
 * const result = await generateText({
 *   model,
 *   tools: governTools({ refund: refundTool, send_email: emailTool }, { governor }),
 *   stopWhen: stepCountIs(5),
 *   prompt: 'Refund order 42',
 * });
 * ```
 */
export function governTools<TOOLS extends ToolSet>(tools: TOOLS, options: GovernToolsOptions): TOOLS {
  const config = configOf(options);
  if (tools === null || typeof tools !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'governTools needs the tools object you pass to generateText/streamText.');
  const passThrough = new Set(options.passThrough ?? []);
  // A null prototype: a tool name like "constructor" or "toString" finds nothing inherited.
  const out = Object.create(null) as Record<string, Tool>;
  for (const [name, tool] of Object.entries(tools as Record<string, Tool>)) {
    if (typeof tool?.execute !== 'function') {
      if (passThrough.has(name)) {
        out[name] = tool;
        continue;
      }
      throw new WardenError(
        'ERR_UNGOVERNED_TOOL',
        `Tool "${name}" has no execute function, so Warden cannot govern it (it runs at the provider or in the client). List it in passThrough to use it ungoverned.`,
      );
    }
    out[name] = governTool(name, tool, config);
  }
  return out as TOOLS;
}

function configOf(options: GovernToolsOptions): Config {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'governTools options');
  const governor = options.governor;
  if (!governor || typeof governor.wrap !== 'function' || typeof governor.check !== 'function' || typeof governor.pipeline?.decide !== 'function') {
    throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  }
  const onDeny = options.onDeny ?? 'execution-denied';
  if (!DENY_MODES.includes(onDeny)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be one of ${DENY_MODES.join(', ')}; got ${JSON.stringify(onDeny)}.`);
  const approval = options.approval ?? 'host';
  if (approval !== 'host' && approval !== 'handler') throw new WardenError('ERR_INTEGRATION_OPTIONS', `approval must be "host" or "handler"; got ${JSON.stringify(approval)}.`);
  return { governor, onDeny, agent: options.agent, context: options.context, approval, approver: options.approver, pending: approvalOptions(governor, options), early: new EarlyDecisions() };
}

function governTool(name: string, tool: Tool, config: Config): Tool {
  const { governor, onDeny } = config;
  const original = tool.execute as unknown as ExecuteFunction;
  const own = tool.needsApproval as boolean | NeedsApprovalFunction | undefined;
  const streaming = isAsyncGeneratorFunction(original);
  // Denials handed to toModelOutput; only objects made here are recognized.
  const denials = new WeakMap<object, GovernanceDenied>();

  const inputOf = (input: unknown, options: CallOptions | undefined): ReturnType<typeof hostRequest> => {
    const callId = typeof options?.toolCallId === 'string' ? { callId: options.toolCallId } : {};
    return hostRequest(name, input, { ...config.context, host: 'ai-sdk', ...callId }, config.agent);
  };
  const keyOf = (options: CallOptions | undefined): string | undefined => (typeof options?.toolCallId === 'string' ? pendingKey(name, options.toolCallId) : undefined);

  /** The decision `execute` acts on: one made by needsApproval for this very input, or made now. */
  const decision = async (input: unknown, options: CallOptions | undefined): Promise<DecidedCall> => {
    const key = keyOf(options);
    if (key !== undefined) {
      const early = config.early.take(key, textOf(input));
      if (early !== undefined) return early;
    }
    const call = inputOf(input, options);
    const answer = config.approval === 'host' && key !== undefined ? approvalAnswer(options?.messages, options?.toolCallId as string) : undefined;
    if (answer?.approved === true) {
      const digest = await config.pending.take(key as string);
      const by = config.approver !== undefined ? { by: config.approver } : {};
      return governor.pipeline.decide({ ...call, hostApproval: { requestDigest: typeof digest === 'string' ? digest : '', via: `ai-sdk tool-approval-response ${answer.approvalId}`, ...by } });
    }
    return governor.pipeline.decide(call);
  };

  const denialOf = (decided: DecidedCall): object => {
    const denied = new GovernanceDenied(name, decided.verdict);
    if (onDeny === 'error-result') throw denied;
    const output = Object.freeze({ warden: 'denied', tool: name, reason: decided.verdict.reason });
    denials.set(output, denied);
    return output;
  };

  let execute: ExecuteFunction;
  if (streaming) {
    execute = (input, options) =>
      (async function* governedStream() {
        const decided = await decision(input, options);
        if (!decided.verdict.allowed || decided.snapshot === null) {
          yield denialOf(decided);
          return;
        }
        yield* runDecidedStream(governor, decided, name, (args) => original.call(tool, args, options) as AsyncIterable<unknown>);
      })();
  } else {
    execute = async (input, options) => {
      const decided = await decision(input, options);
      if (!decided.verdict.allowed || decided.snapshot === null) return denialOf(decided);
      // The SDK streams an AsyncIterable only when execute returns it synchronously; after an
      // asynchronous decision that is no longer possible, so the last value is the output, and
      // it is that value (never the iterable object) the result scan reads and may redact.
      return runDecided(governor, decided, name, async (args) => {
        const result: unknown = await original.call(tool, args, options);
        return isAsyncIterable(result) ? await lastOf(result) : result;
      });
    };
  }

  const governed: Tool = { ...tool, execute: execute as Tool['execute'] };

  if (config.approval === 'host') {
    const needsApproval: NeedsApprovalFunction = async (input, options) => {
      const key = keyOf(options);
      // A resume: the person's answer is in the messages (ai 7 asks again); execute decides with it.
      if (key !== undefined && approvalAnswer(options?.messages, options?.toolCallId as string) !== undefined) return true;
      const decided = await governor.pipeline.decide({ ...inputOf(input, options), approval: 'defer' });
      const verdict = decided.verdict;
      if (verdict.effect === 'require_approval' && verdict.recorded && key !== undefined) {
        await config.pending.put(key, verdict.requestDigest);
        return true;
      }
      if (key !== undefined) config.early.put(key, textOf(input), decided);
      if (!verdict.allowed) return false;
      return typeof own === 'function' ? (await own.call(tool, input, options)) === true : own === true;
    };
    governed.needsApproval = needsApproval as Tool['needsApproval'];
  }

  if (onDeny !== 'error-result') {
    const ownOutput = tool.toModelOutput as ToModelOutput | undefined;
    const toModelOutput: ToModelOutput = (call) => {
      const denied = call.output !== null && typeof call.output === 'object' ? denials.get(call.output) : undefined;
      if (denied !== undefined) {
        if (onDeny === 'throw') throw denied;
        return { type: 'execution-denied', reason: denied.decision.reason };
      }
      if (ownOutput) return ownOutput(call);
      // The SDK's own conversion when a tool has no toModelOutput.
      const output = call.output;
      return typeof output === 'string' ? { type: 'text', value: output } : { type: 'json', value: output ?? null };
    };
    governed.toModelOutput = toModelOutput as Tool['toModelOutput'];
  }
  return governed;
}

/** The person's answer to the approval request of `callId` in the SDK's messages, if there is one. */
function approvalAnswer(messages: readonly unknown[] | undefined, callId: string): { approved: boolean; approvalId: string } | undefined {
  if (!Array.isArray(messages)) return undefined;
  const asked = new Set<string>();
  for (const part of partsOf(messages, 'assistant')) {
    if (part.type === 'tool-approval-request' && part.toolCallId === callId && typeof part.approvalId === 'string') asked.add(part.approvalId);
  }
  let answer: { approved: boolean; approvalId: string } | undefined;
  for (const part of partsOf(messages, 'tool')) {
    if (part.type === 'tool-approval-response' && typeof part.approvalId === 'string' && asked.has(part.approvalId)) answer = { approved: part.approved === true, approvalId: part.approvalId };
  }
  return answer;
}

function* partsOf(messages: readonly unknown[], role: string): Generator<Record<string, unknown>> {
  for (const message of messages) {
    const m = message as { role?: unknown; content?: unknown } | null;
    if (m === null || typeof m !== 'object' || m.role !== role || !Array.isArray(m.content)) continue;
    for (const part of m.content as unknown[]) if (part !== null && typeof part === 'object') yield part as Record<string, unknown>;
  }
}

/** The input's canonical text; '' when it has none (such an input is never matched, and is decided again). */
function textOf(input: unknown): string {
  try {
    return canonicalJson(input);
  } catch {
    return '';
  }
}

function isAsyncGeneratorFunction(fn: unknown): boolean {
  return (Object.getPrototypeOf(fn) as { constructor?: { name?: string } } | null)?.constructor?.name === 'AsyncGeneratorFunction';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

async function lastOf(values: AsyncIterable<unknown>): Promise<unknown> {
  let last: unknown;
  for await (const value of values) last = value;
  return last;
}

/** An adapter's per-call input for the pipeline: the request, and the identity the application authenticated. */
function hostRequest(tool: string, args: unknown, context: Record<string, unknown>, agent: AgentIdentity | undefined): { request: { tool: string; args: unknown; context: Record<string, unknown> }; agent?: AgentIdentity } {
  return { request: { tool, args, context }, ...(agent !== undefined ? { agent } : {}) };
}

/**
 * OpenAI Agents JS adapter: function tools governed through the SDK's own mechanisms. A policy's
 * `require_approval` pauses the run with the tool's `needsApproval` (a run interruption, answered
 * with `state.approve()` / `state.reject()` and resumed with `run(agent, state)`), a denial is the
 * SDK's tool input guardrail (`rejectContent`, or `throwException` to end the run), and the tool's
 * `invoke` is bound to the guardrail's decision so that no path runs a call the Governor did not
 * allow.
 *
 * Only types come from `@openai/agents`: importing this module loads nothing of the SDK.
 */
import { observedResult, withheldError } from '../host/scanned-outcome.js';
import { performance } from 'node:perf_hooks';
import type { FunctionTool, RunContext, Tool, ToolGuardrailFunctionOutput, ToolInputGuardrailDefinition } from '@openai/agents';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { CallInput, DecidedCall } from '../../enforce/pipeline.js';
import type { Verdict } from '../../enforce/verdict.js';
import { WardenError } from '../../errors.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { sha256Hex } from '../../lib/hash.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { EarlyDecisions } from '../host/early-decisions.js';
import { approvalOptions } from '../host/shared-pending.js';

/**
 * What a denied call becomes.
 * - `reject-content` (default): the guardrail rejects the call with the reason as its message;
 *   the tool does not run, the model receives the message as the tool's output, the run goes on.
 * - `throw`: the guardrail's `throwException`: the run fails with the SDK's
 *   `ToolInputGuardrailTripwireTriggered`, whose `result.output.outputInfo.warden` holds the decision.
 */
export type OpenAIAgentsDenyMode = 'reject-content' | 'throw';

/**
 * Options of {@link governFunctionTools}.
 *
 * @example
 * ```ts
 * const options: GovernFunctionToolsOptions = { governor, approver: 'alice@example.com', passThrough: ['web_search'] };
 * ```
 */
export interface GovernFunctionToolsOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /** Default `reject-content`. */
  onDeny?: OpenAIAgentsDenyMode;
  /** The identity your application authenticated for these calls (default: the Governor's). */
  agent?: AgentIdentity;
  /** Extra context for every request (the adapter sets `host` and `callId` over it; see docs/context.md). Keep it the same between a pause and its resume. */
  context?: Record<string, unknown>;
  /**
   * Names of tools that are not function tools (hosted tools such as web search, computer, shell
   * and apply-patch tools) to pass through ungoverned. Any other non-function tool is refused.
   */
  passThrough?: readonly string[];
  /**
   * Guardrail decisions kept for the tool call they allowed (default 1024). When full, the oldest
   * is dropped; its call is then decided again when it runs (recorded twice, never unchecked).
   */
  maxPendingDecisions?: number;
  /**
   * `host` (default): a call the policy requires approval for interrupts the run through the tool's
   * `needsApproval`; it runs only after `state.approve()` for it, and only if it is the exact
   * request that was paused. `handler`: the Governor's blocking approval handler is asked inside
   * the guardrail instead.
   */
  approval?: 'host' | 'handler';
  /** Who answers the interruptions of these runs (the signed-in user); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for their approval (default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
}

type AnyFunctionTool<C> = FunctionTool<C, never, unknown>;
type InvokeArgs<C> = Parameters<FunctionTool<C>['invoke']>;
type Details<C> = InvokeArgs<C>[2];
type NeedsApproval<C> = (runContext: RunContext<C>, input: unknown, callId?: string) => Promise<boolean>;

/** Guardrail allows waiting for their call to run, keyed by tool, call id and exact arguments, with the call ids they were recorded under. */
/** A call the guardrail allowed: its recorded id, and whether the policy redacts secrets in its result. */
interface AllowedCall {
  call: string;
  redact: boolean;
}

class AllowedCalls {
  readonly #max: number;
  readonly #calls = new Map<string, AllowedCall[]>();

  constructor(max: number) {
    this.#max = max;
  }

  add(key: string, call: AllowedCall): void {
    if (this.#calls.size >= this.#max && !this.#calls.has(key)) {
      const oldest = this.#calls.keys().next();
      if (!oldest.done) this.#calls.delete(oldest.value);
    }
    const list = this.#calls.get(key) ?? [];
    list.push(call);
    this.#calls.set(key, list);
  }

  /** The allowed call of one add() of the same key, once. */
  take(key: string): AllowedCall | undefined {
    const list = this.#calls.get(key);
    const call = list?.shift();
    if (list !== undefined && list.length === 0) this.#calls.delete(key);
    return call;
  }
}

interface Config {
  governor: Governor;
  onDeny: OpenAIAgentsDenyMode;
  agent: AgentIdentity | undefined;
  context: Record<string, unknown> | undefined;
  approval: 'host' | 'handler';
  approver: string | undefined;
  pending: PendingApprovals;
  early: EarlyDecisions;
  allowed: AllowedCalls;
}

const OPTION_KEYS = ['governor', 'onDeny', 'agent', 'context', 'passThrough', 'maxPendingDecisions', 'approval', 'approver', 'pendingApprovals'];
const DENY_MODES: readonly OpenAIAgentsDenyMode[] = ['reject-content', 'throw'];
const DEFAULT_MAX_PENDING = 1024;
const GUARDRAIL_NAME = 'warden';

/**
 * Returns the tools with every function tool governed. For each call (tool name = the tool's name,
 * args = the JSON arguments; anything that is not a JSON object is `{ "0": value }`; context =
 * `{ host: 'openai-agents', callId }`):
 * - `needsApproval` asks the Governor first: a policy's `require_approval` is recorded as such and
 *   interrupts the run (`result.interruptions`); the tool's own `needsApproval` is still asked for
 *   calls the policy allows.
 * - A Warden tool input guardrail (after the tool's own) allows the call, or rejects it with the
 *   policy's reason. After `state.approve()`, it decides again with the approval, which counts only
 *   for the exact request that was paused, and is recorded with `approver`.
 * - `invoke` runs only a call the guardrail allowed with exactly those arguments; a call that
 *   reaches `invoke` any other way is decided there first. Its outcome is recorded.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options, `ERR_UNGOVERNED_TOOL` for a
 *   non-function tool not listed in `passThrough`.
 * @example
 * ```ts
 * import { Agent, run } from '@openai/agents';
 * import { governFunctionTools } from 'agent-warden/openai-agents';
 *
 * const agent = new Agent({ name: 'support', model, tools: governFunctionTools([refund, lookupOrder], { governor }) });
 * let result = await run(agent, 'Refund order 42');
 * for (const item of result.interruptions) result.state.approve(item); // after a person said yes
 * result = await run(agent, result.state);
 * ```
 */
export function governFunctionTools<C = unknown>(tools: readonly Tool<C>[], options: GovernFunctionToolsOptions): Tool<C>[] {
  const config = configOf(options);
  if (!Array.isArray(tools)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'governFunctionTools needs an array of tools.');
  const passThrough = new Set(options.passThrough ?? []);
  return tools.map((t) => {
    if (t?.type === 'function' && typeof t.invoke === 'function') return governFunctionTool(t as AnyFunctionTool<C>, config) as Tool<C>;
    const name = typeof t?.name === 'string' ? t.name : '(unnamed)';
    if (passThrough.has(name)) return t;
    throw new WardenError(
      'ERR_UNGOVERNED_TOOL',
      `Tool "${name}" (${String(t?.type)}) is not a function tool, so Warden cannot govern it (it runs at the provider or through another executor). List it in passThrough to use it ungoverned.`,
    );
  });
}

function configOf(options: GovernFunctionToolsOptions): Config {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'governFunctionTools options');
  const governor = options.governor;
  if (!governor || typeof governor.check !== 'function' || typeof governor.pipeline?.decide !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  const onDeny = options.onDeny ?? 'reject-content';
  if (!DENY_MODES.includes(onDeny)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be one of ${DENY_MODES.join(', ')}; got ${JSON.stringify(onDeny)}.`);
  const max = options.maxPendingDecisions ?? DEFAULT_MAX_PENDING;
  if (!Number.isSafeInteger(max) || max < 1) throw new WardenError('ERR_INTEGRATION_OPTIONS', `maxPendingDecisions must be a positive integer; got ${String(max)}.`);
  const approval = options.approval ?? 'host';
  if (approval !== 'host' && approval !== 'handler') throw new WardenError('ERR_INTEGRATION_OPTIONS', `approval must be "host" or "handler"; got ${JSON.stringify(approval)}.`);
  return { governor, onDeny, agent: options.agent, context: options.context, approval, approver: options.approver, pending: approvalOptions(governor, options), early: new EarlyDecisions(max), allowed: new AllowedCalls(max) };
}

function governFunctionTool<C>(tool: AnyFunctionTool<C>, config: Config): AnyFunctionTool<C> {
  const { governor } = config;
  const name = tool.name;
  const original = tool.invoke;
  const own = tool.needsApproval as unknown as NeedsApproval<C> | boolean | undefined;
  const bindingKey = (callId: string, args: string): string => `${name}\u0000${callId}\u0000${sha256Hex(args)}`;
  const callInput = (args: Record<string, unknown>, callId: string | undefined, extra: Partial<CallInput> = {}): CallInput => ({
    request: { tool: name, args, context: { ...config.context, host: 'openai-agents', ...(callId !== undefined ? { callId } : {}) } },
    ...(config.agent !== undefined ? { agent: config.agent } : {}),
    ...extra,
  });
  const decide = (args: Record<string, unknown>, callId: string | undefined): Promise<DecidedCall> => governor.pipeline.decide(callInput(args, callId));
  const message = (verdict: Verdict): string => new GovernanceDenied(name, verdict).message;
  const approvedByHost = (context: unknown, callId: string | undefined): boolean | undefined => {
    const ctx = context as Partial<RunContext<C>> | undefined;
    if (callId === undefined || typeof ctx?.isToolApproved !== 'function') return undefined;
    return ctx.isToolApproved({ toolName: name, callId });
  };

  const guardrail: ToolInputGuardrailDefinition<C> = {
    type: 'tool_input',
    name: GUARDRAIL_NAME,
    run: async ({ context, toolCall }): Promise<ToolGuardrailFunctionOutput> => {
      const raw = typeof toolCall?.arguments === 'string' ? toolCall.arguments : '';
      const callId = typeof toolCall?.callId === 'string' ? toolCall.callId : undefined;
      const args = argsOf(raw);
      let decided = callId !== undefined ? config.early.take(pendingKey(name, callId), textOf(args)) : undefined;
      if (decided === undefined) {
        if (config.approval === 'host' && approvedByHost(context, callId) === true) {
          // The person approved this call in the run state: that answer is the approval, bound to the paused request.
          const digest = await config.pending.take(pendingKey(name, callId as string));
          const by = config.approver !== undefined ? { by: config.approver } : {};
          decided = await governor.pipeline.decide(callInput(args, callId, { hostApproval: { requestDigest: typeof digest === 'string' ? digest : '', via: `openai-agents state.approve ${callId as string}`, ...by } }));
        } else {
          decided = await decide(args, callId);
        }
      }
      const verdict = decided.verdict;
      const outputInfo = { warden: summary(verdict) };
      if (verdict.allowed) {
        if (callId !== undefined) config.allowed.add(bindingKey(callId, raw), { call: verdict.call, redact: verdict.policyDecision.redactSecrets === true });
        return { behavior: { type: 'allow' }, outputInfo };
      }
      if (config.onDeny === 'throw') return { behavior: { type: 'throwException' }, outputInfo };
      return { behavior: { type: 'rejectContent', message: message(verdict) }, outputInfo };
    },
  };

  const runObserved = async ({ call, redact }: AllowedCall, runContext: InvokeArgs<C>[0], input: string, details: Details<C> | undefined): Promise<unknown> => {
    const started = performance.now();
    let result: unknown;
    try {
      result = await original.call(tool, runContext, input, details);
    } catch (e) {
      await governor.pipeline.observe({ call, tool: name }, { status: 'error', durationMs: performance.now() - started, error: e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) } });
      throw e;
    }
    // The observe stage scans and records the result (it never throws).
    const scanned = await observedResult(governor.pipeline, { call, tool: name }, result, redact, performance.now() - started);
    // The policy redacts secrets in this tool's results: the model gets the redacted copy, or an error when it could not be scanned.
    if (scanned.withheld) throw withheldError(name);
    return scanned.value;
  };

  const invoke = async (runContext: InvokeArgs<C>[0], input: string, details?: Details<C>): Promise<unknown> => {
    const callId = typeof details?.toolCall?.callId === 'string' ? details.toolCall.callId : undefined;
    // invariant: the guardrail's allow covers only this tool, this call id and these exact arguments.
    const allowedAs = callId !== undefined && typeof input === 'string' ? config.allowed.take(bindingKey(callId, input)) : undefined;
    if (allowedAs !== undefined) return await runObserved(allowedAs, runContext, input, details);
    const { verdict } = await decide(argsOf(typeof input === 'string' ? input : ''), callId);
    if (verdict.allowed) return await runObserved({ call: verdict.call, redact: verdict.policyDecision.redactSecrets === true }, runContext, input, details);
    if (config.onDeny === 'throw') throw new GovernanceDenied(name, verdict);
    return message(verdict);
  };

  const governed: AnyFunctionTool<C> = { ...tool, inputGuardrails: [...(tool.inputGuardrails ?? []), guardrail], invoke: invoke as AnyFunctionTool<C>['invoke'] };

  if (config.approval === 'host') {
    const needsApproval: NeedsApproval<C> = async (runContext, input, callId) => {
      // Already answered in the run state (a resume, or a restored state re-asking): the guardrail decides with the answer.
      if (approvedByHost(runContext, callId) !== undefined) return true;
      const args = argsOfValue(input);
      const decided = await governor.pipeline.decide(callInput(args, callId, { approval: 'defer' }));
      const verdict = decided.verdict;
      if (verdict.effect === 'require_approval' && verdict.recorded && callId !== undefined) {
        await config.pending.put(pendingKey(name, callId), verdict.requestDigest);
        return true;
      }
      if (callId !== undefined) config.early.put(pendingKey(name, callId), textOf(args), decided);
      if (!verdict.allowed) return false;
      return typeof own === 'function' ? (await own.call(tool, runContext, input, callId)) === true : own === true;
    };
    governed.needsApproval = needsApproval as unknown as AnyFunctionTool<C>['needsApproval'];
  }
  return governed;
}

/** The model's JSON arguments as Request args; anything that is not a JSON object is `{ "0": value }`. */
function argsOf(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: the policy sees the raw text, and the tool's own parser will refuse it anyway.
    return { '0': text };
  }
  return argsOfValue(value);
}

function argsOfValue(value: unknown): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { '0': value };
}

function textOf(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return '';
  }
}

function summary(verdict: Verdict): { effect: string; rule: string | null; policy: string | null; reason: string } {
  return { effect: verdict.effect, rule: verdict.rule, policy: verdict.policy, reason: verdict.reason };
}

/**
 * OpenAI Agents JS adapter: function tools governed through the SDK's own tool input guardrails,
 * with the tool's `invoke` bound to the guardrail's decision so that no path runs a call the
 * Governor did not allow.
 *
 * Only types come from `@openai/agents`: importing this module loads nothing of the SDK.
 */
import type { FunctionTool, Tool, ToolGuardrailFunctionOutput, ToolInputGuardrailDefinition } from '@openai/agents';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import type { Verdict } from '../../enforce/verdict.js';
import { WardenError } from '../../errors.js';
import { sha256Hex } from '../../lib/hash.js';

/**
 * What a denied call becomes.
 * - `reject-content` (default): the guardrail rejects the call with the reason as its message;
 *   the tool does not run, the model receives the message as the tool's output, the run goes on.
 * - `throw`: the run fails: `run()` rejects with the SDK's `ToolCallError`, whose `error` is the
 *   GovernanceDenied.
 */
export type OpenAIAgentsDenyMode = 'reject-content' | 'throw';

/**
 * Options of {@link governFunctionTools}.
 *
 * @example
 * ```ts
 * const options: GovernFunctionToolsOptions = { governor, onDeny: 'throw', passThrough: ['web_search'] };
 * ```
 */
export interface GovernFunctionToolsOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log. */
  governor: Governor;
  /** Default `reject-content`. */
  onDeny?: OpenAIAgentsDenyMode;
  /** Extra context for every request (the adapter sets `host` and `callId` over it; see docs/context.md). */
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
}

type AnyFunctionTool<C> = FunctionTool<C, never, unknown>;
type InvokeArgs<C> = Parameters<FunctionTool<C>['invoke']>;
type Details<C> = InvokeArgs<C>[2];

/** Guardrail decisions waiting for their call to run, keyed by tool, call id and exact arguments. */
class PendingDecisions {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  add(key: string): void {
    if (this.#counts.size >= this.#max && !this.#counts.has(key)) {
      const oldest = this.#counts.keys().next();
      if (!oldest.done) this.#counts.delete(oldest.value);
    }
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** True once for each add() of the same key. */
  take(key: string): boolean {
    const n = this.#counts.get(key);
    if (n === undefined) return false;
    if (n <= 1) this.#counts.delete(key);
    else this.#counts.set(key, n - 1);
    return true;
  }
}

const DENY_MODES: readonly OpenAIAgentsDenyMode[] = ['reject-content', 'throw'];
const DEFAULT_MAX_PENDING = 1024;
const GUARDRAIL_NAME = 'warden';

/**
 * Returns the tools with every function tool governed. A Warden tool input guardrail (run after
 * any guardrails the tool already has) asks the Governor to decide the call (tool name = the
 * tool's name, args = the parsed JSON arguments; anything that is not a JSON object is
 * `{ "0": value }`; context = `{ host: 'openai-agents', callId }`), calls the approval
 * handler when the policy requires approval, and records the decision. The tool's `invoke` runs only
 * a call the guardrail allowed with exactly those arguments; a call that reaches `invoke` any other
 * way (invoked directly, arguments the guardrail never saw) is decided there first.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options, `ERR_UNGOVERNED_TOOL` for a
 *   non-function tool not listed in `passThrough`.
 * @example
 * ```ts
 * import { Agent, run } from '@openai/agents';
 * import { governFunctionTools } from 'agent-warden/openai-agents';
 *
 * const agent = new Agent({ name: 'support', tools: governFunctionTools([refund, lookupOrder], { governor }) });
 * const result = await run(agent, 'Refund order 42');
 * ```
 */
export function governFunctionTools<C = unknown>(tools: readonly Tool<C>[], options: GovernFunctionToolsOptions): Tool<C>[] {
  const governor = options?.governor;
  if (!governor || typeof governor.check !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  const onDeny = options.onDeny ?? 'reject-content';
  if (!DENY_MODES.includes(onDeny)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be one of ${DENY_MODES.join(', ')}; got ${JSON.stringify(onDeny)}.`);
  const max = options.maxPendingDecisions ?? DEFAULT_MAX_PENDING;
  if (!Number.isSafeInteger(max) || max < 1) throw new WardenError('ERR_INTEGRATION_OPTIONS', `maxPendingDecisions must be a positive integer; got ${String(max)}.`);
  if (!Array.isArray(tools)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'governFunctionTools needs an array of tools.');
  const passThrough = new Set(options.passThrough ?? []);
  const pending = new PendingDecisions(max);

  return tools.map((t) => {
    if (t?.type === 'function' && typeof t.invoke === 'function') return governFunctionTool(t as AnyFunctionTool<C>, governor, onDeny, options.context, pending) as Tool<C>;
    const name = typeof t?.name === 'string' ? t.name : '(unnamed)';
    if (passThrough.has(name)) return t;
    throw new WardenError(
      'ERR_UNGOVERNED_TOOL',
      `Tool "${name}" (${String(t?.type)}) is not a function tool, so Warden cannot govern it (it runs at the provider or through another executor). List it in passThrough to use it ungoverned.`,
    );
  });
}

function governFunctionTool<C>(tool: AnyFunctionTool<C>, governor: Governor, onDeny: OpenAIAgentsDenyMode, extra: Record<string, unknown> | undefined, pending: PendingDecisions): AnyFunctionTool<C> {
  const name = tool.name;
  const original = tool.invoke;
  const keyOf = (callId: string, args: string): string => `${name}\u0000${callId}\u0000${sha256Hex(args)}`;
  const decide = (args: string, callId: string | undefined): Promise<Verdict> =>
    governor.check({ tool: name, args: argsOf(args), context: { ...extra, host: 'openai-agents', ...(callId !== undefined ? { callId } : {}) } });
  const message = (verdict: Verdict): string => new GovernanceDenied(name, verdict).message;

  const guardrail: ToolInputGuardrailDefinition<C> = {
    type: 'tool_input',
    name: GUARDRAIL_NAME,
    run: async ({ toolCall }): Promise<ToolGuardrailFunctionOutput> => {
      const args = typeof toolCall?.arguments === 'string' ? toolCall.arguments : '';
      const callId = typeof toolCall?.callId === 'string' ? toolCall.callId : undefined;
      const verdict = await decide(args, callId);
      const outputInfo = { warden: summary(verdict) };
      if (verdict.allowed) {
        if (callId !== undefined) pending.add(keyOf(callId, args));
        return { behavior: { type: 'allow' }, outputInfo };
      }
      if (onDeny === 'throw') throw new GovernanceDenied(name, verdict);
      return { behavior: { type: 'rejectContent', message: message(verdict) }, outputInfo };
    },
  };

  const invoke = async (runContext: InvokeArgs<C>[0], input: string, details?: Details<C>): Promise<unknown> => {
    const callId = typeof details?.toolCall?.callId === 'string' ? details.toolCall.callId : undefined;
    // invariant: the guardrail's allow covers only this tool, this call id and these exact arguments.
    if (callId !== undefined && typeof input === 'string' && pending.take(keyOf(callId, input))) return await original.call(tool, runContext, input, details);
    const verdict = await decide(typeof input === 'string' ? input : '', callId);
    if (verdict.allowed) return await original.call(tool, runContext, input, details);
    if (onDeny === 'throw') throw new GovernanceDenied(name, verdict);
    return message(verdict);
  };

  return { ...tool, inputGuardrails: [...(tool.inputGuardrails ?? []), guardrail], invoke: invoke as AnyFunctionTool<C>['invoke'] };
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
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { '0': value };
}

function summary(verdict: Verdict): { effect: string; rule: string | null; policy: string | null; reason: string } {
  return { effect: verdict.effect, rule: verdict.rule, policy: verdict.policy, reason: verdict.reason };
}

/**
 * LangChain.js / LangGraph.js adapter: tools whose every invocation is decided, approved and
 * recorded by a Governor first. The governed tools keep their name, description and schema, so
 * they drop into `model.bindTools`, a LangGraph `ToolNode` or `createReactAgent` unchanged.
 *
 * This module uses `@langchain/core` (an optional peer dependency), loaded when a tool is first
 * governed (./core.ts); Warden's root entry point does not import this module.
 */
import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import type { RunnableToolLike } from '@langchain/core/runnables';
import type { StructuredTool, StructuredToolInterface, ToolRunnableConfig } from '@langchain/core/tools';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import type { PendingApprovals } from '../../enforce/pending-approvals.js';
import { WardenError } from '../../errors.js';
import { langchainMessages, langchainTools } from './core.js';
import { wardenMiddleware } from './middleware.js';

/**
 * What a denied call becomes.
 * - `tool-message` (default): when the tool was called with a tool call (as `ToolNode` and agents
 *   do), a `ToolMessage` with `status: "error"` whose content is the reason; the model reads it and
 *   the graph goes on. Called with plain arguments, there is no message to answer, so it throws.
 * - `throw`: the tool throws GovernanceDenied. A `ToolNode` with `handleToolErrors: true` (its
 *   default) turns that into its own error ToolMessage; with `handleToolErrors: false` it ends the run.
 */
export type LangChainDenyMode = 'tool-message' | 'throw';

/** A tool LangGraph's `ToolNode` accepts. */
export type LangChainTool = StructuredToolInterface | RunnableToolLike;

/**
 * Options of {@link governLangChainTools}.
 *
 * @example
 * ```ts
 * const options: GovernLangChainToolsOptions = { governor, onDeny: 'throw', context: { tenant: 'acme' } };
 * ```
 */
export interface GovernLangChainToolsOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log. */
  governor: Governor;
  /** Default `tool-message`. */
  onDeny?: LangChainDenyMode;
  /** Extra context for every request (the adapter sets `host` and `callId` over it; see docs/context.md). */
  context?: Record<string, unknown>;
  /**
   * LangGraph's `interrupt` (`import { interrupt } from '@langchain/langgraph'`). Given, a call the
   * policy requires approval for pauses the graph natively, exactly as {@link wardenMiddleware}
   * does (a human-in-the-loop request; resume with `new Command({ resume: { decisions: [{ type: 'approve' }] } })`;
   * the graph needs a checkpointer), instead of asking the Governor's blocking approval handler.
   */
  interrupt?: (value: unknown) => unknown;
  /** Who answers the interrupts (with `interrupt`); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for their answer (with `interrupt`; default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
}

type CallTool = (input: unknown, runManager: CallbackManagerForToolRun | undefined, config: ToolRunnableConfig | undefined) => unknown;

const DENY_MODES: readonly LangChainDenyMode[] = ['tool-message', 'throw'];

/**
 * Returns governed copies of LangChain tools (from `tool()`, `StructuredTool` subclasses,
 * `DynamicTool`s or `runnable.asTool()`). Each invocation is decided after the tool's schema has
 * parsed the input and before the tool's own code runs: tool name = the tool's name, args = the
 * parsed input (a non-object input, like a `DynamicTool`'s string, is `{ "0": input }`), context =
 * `{ host: 'langchain', callId }`. The tool runs with a copy of exactly the decided input.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options, `ERR_UNGOVERNED_TOOL` for an entry
 *   that cannot be invoked (a provider tool definition, a plain object).
 * @example
 * ```ts
 * import { createReactAgent } from '@langchain/langgraph/prebuilt';
 * import { governLangChainTools } from 'agent-warden/langchain';
 *
 * const agent = createReactAgent({ llm, tools: governLangChainTools([refund, lookupOrder], { governor }) });
 * ```
 */
export function governLangChainTools(tools: readonly LangChainTool[], options: GovernLangChainToolsOptions): StructuredTool[] {
  const { governor, onDeny } = checkOptions(options);
  if (!Array.isArray(tools)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'governLangChainTools needs an array of tools.');
  const paused = pausingOf(options, onDeny);
  return tools.map((t) => governOne(t, governor, onDeny, options.context, paused));
}

/**
 * Returns a governed copy of one LangChain tool. See {@link governLangChainTools}.
 *
 * @example
 * ```ts
 * const governedRefund = governLangChainTool(refund, { governor });
 * await governedRefund.invoke({ order: 'A-1', amount: 5 });
 * ```
 */
export function governLangChainTool(tool: LangChainTool, options: GovernLangChainToolsOptions): StructuredTool {
  const { governor, onDeny } = checkOptions(options);
  return governOne(tool, governor, onDeny, options.context, pausingOf(options, onDeny));
}

/** The native pause: the middleware's own wrapToolCall, handed LangGraph's interrupt as its runtime. */
type Pausing = (toolCall: { id: string; name: string; args: Record<string, unknown> }, run: (args: Record<string, unknown>) => Promise<unknown>) => Promise<unknown>;

function pausingOf(options: GovernLangChainToolsOptions, onDeny: LangChainDenyMode): Pausing | null {
  if (options.interrupt === undefined) {
    if (options.approver !== undefined || options.pendingApprovals !== undefined) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'approver and pendingApprovals apply to interrupts: pass interrupt from @langchain/langgraph too.');
    return null;
  }
  if (typeof options.interrupt !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', "interrupt must be LangGraph's interrupt function (import { interrupt } from '@langchain/langgraph').");
  const interrupt = options.interrupt;
  const middleware = wardenMiddleware({
    governor: options.governor,
    onDeny,
    ...(options.context !== undefined ? { context: options.context } : {}),
    ...(options.approver !== undefined ? { approver: options.approver } : {}),
    ...(options.pendingApprovals !== undefined ? { pendingApprovals: options.pendingApprovals } : {}),
  }) as unknown as { wrapToolCall: (request: unknown, handler: (request: { toolCall: { args: Record<string, unknown> } }) => unknown) => Promise<unknown> };
  return (toolCall, run) => middleware.wrapToolCall({ toolCall, runtime: { interrupt } }, (request) => run(request.toolCall.args));
}

function governOne(tool: LangChainTool, governor: Governor, onDeny: LangChainDenyMode, extra: Record<string, unknown> | undefined, pausing: Pausing | null = null): StructuredTool {
  const name = (tool as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || name.length === 0) throw new WardenError('ERR_UNGOVERNED_TOOL', 'A tool without a name cannot be governed.');
  const callTool = callerOf(tool, name);
  const fields = tool as Partial<StructuredToolInterface> & {
    responseFormat?: 'content' | 'content_and_artifact';
    verboseParsingErrors?: boolean;
    defaultConfig?: ToolRunnableConfig;
    metadata?: Record<string, unknown>;
    tags?: string[];
  };
  const responseFormat = fields.responseFormat ?? 'content';
  // Loaded now (not at import): a missing @langchain/core fails here, before any governed tool exists.
  const { DynamicStructuredTool, DynamicTool, Tool } = langchainTools();
  const { ToolMessage } = langchainMessages();

  const func = async (input: unknown, runManager?: CallbackManagerForToolRun, config?: ToolRunnableConfig): Promise<unknown> => {
    const toolCallId = typeof config?.toolCall?.id === 'string' ? config.toolCall.id : undefined;
    if (pausing !== null && toolCallId !== undefined && input !== null && typeof input === 'object' && !Array.isArray(input)) {
      // Inside a graph (a tool call to answer): the middleware's decide, interrupt() and resume, running the decided arguments.
      const answer = await pausing({ id: toolCallId, name, args: input as Record<string, unknown> }, (args) => Promise.resolve(callTool(args, runManager, config)));
      return answer instanceof ToolMessage && responseFormat === 'content_and_artifact' ? [answer, undefined] : answer;
    }
    const context = { ...extra, host: 'langchain', ...(toolCallId !== undefined ? { callId: toolCallId } : {}) };
    // Only a denial of this call (before the body started) is translated; a GovernanceDenied thrown
    // by the tool's own body (a nested governed call) propagates as the tool's error.
    let started = false;
    const run = governor.wrap(
      name,
      async (args: unknown) => {
        started = true;
        return await callTool(args, runManager, config);
      },
      { context, mode: 'async' },
    );
    try {
      return await run(input);
    } catch (e) {
      if (started || !(e instanceof GovernanceDenied) || onDeny === 'throw' || toolCallId === undefined) throw e;
      const message = new ToolMessage({
        content: e.message,
        tool_call_id: toolCallId,
        name,
        status: 'error',
        artifact: { warden: { effect: e.decision.effect, rule: e.decision.rule, policy: e.decision.policy, reason: e.decision.reason } },
      });
      // A content-and-artifact tool must return a pair; a ToolMessage as its content is passed on as is.
      return responseFormat === 'content_and_artifact' ? [message, undefined] : message;
    }
  };

  const common = {
    name,
    description: typeof fields.description === 'string' ? fields.description : `${name} tool`,
    func: func as never,
    returnDirect: fields.returnDirect ?? false,
    responseFormat,
    ...(fields.verboseParsingErrors !== undefined ? { verboseParsingErrors: fields.verboseParsingErrors } : {}),
    ...(fields.defaultConfig !== undefined ? { defaultConfig: fields.defaultConfig } : {}),
    ...(fields.metadata !== undefined ? { metadata: fields.metadata } : {}),
    ...(fields.tags !== undefined ? { tags: fields.tags } : {}),
    ...(fields.extras !== undefined ? { extras: fields.extras } : {}),
  };
  // A string tool stays one: its invoke also accepts a bare string, which a structured tool refuses.
  if (tool instanceof Tool) return new DynamicTool(common);
  return new DynamicStructuredTool({ ...common, schema: fields.schema as never });
}

/**
 * How to run the original tool on already-parsed input: a StructuredTool's `_call` (what its own
 * invoke runs after parsing, so the input is not parsed twice); any other runnable tool's invoke.
 */
function callerOf(tool: LangChainTool, name: string): CallTool {
  const structured = tool as unknown as { _call?: unknown; lc_namespace?: unknown };
  if (Array.isArray(structured.lc_namespace) && typeof structured._call === 'function') {
    const call = structured._call as CallTool;
    return (input, runManager, config) => call.call(tool, input, runManager, config);
  }
  const invocable = tool as unknown as { invoke?: unknown };
  if (typeof invocable.invoke === 'function') {
    const invoke = invocable.invoke as (input: unknown, config?: ToolRunnableConfig) => unknown;
    return (input, _runManager, config) => invoke.call(tool, input, config);
  }
  throw new WardenError('ERR_UNGOVERNED_TOOL', `Tool "${name}" cannot be invoked here (a provider-side tool definition or a plain object), so Warden cannot govern it.`);
}

function checkOptions(options: GovernLangChainToolsOptions | undefined): { governor: Governor; onDeny: LangChainDenyMode } {
  const governor = options?.governor;
  if (!governor || typeof governor.wrap !== 'function' || typeof governor.check !== 'function') {
    throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  }
  const onDeny = options.onDeny ?? 'tool-message';
  if (!DENY_MODES.includes(onDeny)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be one of ${DENY_MODES.join(', ')}; got ${JSON.stringify(onDeny)}.`);
  return { governor, onDeny };
}

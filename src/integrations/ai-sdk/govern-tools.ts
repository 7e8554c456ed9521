/**
 * Vercel AI SDK adapter: every `execute` of the tools handed to generateText / streamText (or a
 * ToolLoopAgent) is decided, approved and recorded by a Governor before it runs.
 *
 * Only types come from `ai`: importing this module loads nothing of the AI SDK.
 */
import type { Tool, ToolExecutionOptions, ToolSet } from 'ai';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { WardenError } from '../../errors.js';

/**
 * What a denied call becomes.
 * - `error-result`: the AI SDK's own tool error (a `tool-error` part whose `error` is the
 *   GovernanceDenied); the model sees the reason as the tool's error text and the run goes on.
 * - `throw`: the run ends: generateText rejects, and streamText's stream and result promises fail,
 *   with the GovernanceDenied, before the model is called again.
 */
export type AiSdkDenyMode = 'error-result' | 'throw';

/**
 * Options of {@link governTools}.
 *
 * @example
 * ```ts
 * const options: GovernToolsOptions = { governor, onDeny: 'throw', passThrough: ['web_search'] };
 * ```
 */
export interface GovernToolsOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log. */
  governor: Governor;
  /** Default `error-result`. */
  onDeny?: AiSdkDenyMode;
  /** Extra context for every request (the adapter sets `host` and `callId` over it; see docs/context.md). */
  context?: Record<string, unknown>;
  /**
   * Tools that have no `execute` here (provider-executed tools, tools the client runs) and so
   * cannot be governed by Warden. They are passed through unchanged; any other tool without
   * `execute` is refused, so a tool cannot slip past the policy unnoticed.
   */
  passThrough?: readonly string[];
}

type ExecuteFunction = (input: unknown, options: ToolExecutionOptions) => unknown;
type ToModelOutput = NonNullable<Tool['toModelOutput']>;

const DENY_MODES: readonly AiSdkDenyMode[] = ['error-result', 'throw'];

/**
 * Returns a copy of an AI SDK `tools` object in which every tool's `execute` is governed: the
 * Governor decides the call (tool name = the key, args = the tool input, context =
 * `{ host: 'ai-sdk', callId }`), asks its approval handler when the policy requires
 * approval, and records the decision, all before `execute` starts. `execute` receives a copy of
 * exactly the input that was decided.
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
  const governor = checkGovernor(options);
  const onDeny = options.onDeny ?? 'error-result';
  if (!DENY_MODES.includes(onDeny)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be one of ${DENY_MODES.join(', ')}; got ${JSON.stringify(onDeny)}.`);
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
    out[name] = governTool(name, tool, governor, onDeny, options.context);
  }
  return out as TOOLS;
}

function governTool(name: string, tool: Tool, governor: Governor, onDeny: AiSdkDenyMode, extra: Record<string, unknown> | undefined): Tool {
  const original = tool.execute as unknown as ExecuteFunction;
  const streaming = isAsyncGeneratorFunction(original);
  // Denials handed to toModelOutput in `throw` mode; only objects made here are recognized.
  const denials = new WeakMap<object, GovernanceDenied>();

  const contextOf = (options: ToolExecutionOptions | undefined): Record<string, unknown> => ({
    ...extra,
    host: 'ai-sdk',
    ...(typeof options?.toolCallId === 'string' ? { callId: options.toolCallId } : {}),
  });
  const denialOutput = (denied: GovernanceDenied): object => {
    const output = Object.freeze({ warden: 'denied', tool: name, reason: denied.decision.reason });
    denials.set(output, denied);
    return output;
  };

  let execute: ExecuteFunction;
  if (streaming) {
    execute = (input, options) =>
      (async function* governedStream() {
        let started = false;
        const run = governor.wrap(
          name,
          (args: unknown) => {
            started = true;
            return original.call(tool, args, options) as AsyncIterable<unknown>;
          },
          { context: contextOf(options), mode: 'async-generator' },
        );
        try {
          yield* run(input) as AsyncIterable<unknown>;
        } catch (e) {
          if (started || !(e instanceof GovernanceDenied) || onDeny !== 'throw') throw e;
          yield denialOutput(e);
        }
      })();
  } else {
    execute = async (input, options) => {
      // Only a denial of this call (before the body started) is translated; a GovernanceDenied thrown
      // by the tool's own body (a nested governed call) propagates as the tool's error.
      let started = false;
      const run = governor.wrap(
        name,
        async (args: unknown) => {
          started = true;
          return await original.call(tool, args, options);
        },
        { context: contextOf(options), mode: 'async' },
      );
      try {
        const result = await run(input);
        // The SDK streams an AsyncIterable only when execute returns it synchronously; after an
        // asynchronous decision that is no longer possible, so the last value is the output.
        return isAsyncIterable(result) ? await lastOf(result) : result;
      } catch (e) {
        if (started || !(e instanceof GovernanceDenied) || onDeny !== 'throw') throw e;
        return denialOutput(e);
      }
    };
  }

  const governed: Tool = { ...tool, execute: execute as Tool['execute'] };
  if (onDeny === 'throw') {
    const own = tool.toModelOutput;
    const toModelOutput: ToModelOutput = (call) => {
      const denied = call.output !== null && typeof call.output === 'object' ? denials.get(call.output as object) : undefined;
      if (denied) throw denied;
      if (own) return own(call);
      // The SDK's own conversion when a tool has no toModelOutput.
      const output: unknown = call.output;
      return typeof output === 'string' ? { type: 'text', value: output } : { type: 'json', value: (output ?? null) as never };
    };
    governed.toModelOutput = toModelOutput;
  }
  return governed;
}

function checkGovernor(options: GovernToolsOptions | undefined): Governor {
  const governor = options?.governor;
  if (!governor || typeof governor.wrap !== 'function' || typeof governor.check !== 'function') {
    throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  }
  return governor;
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

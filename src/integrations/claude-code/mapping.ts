/**
 * Claude Code's tools as Warden sees them: the facet bindings the hook supplies for Claude Code's
 * built-in tools, and the Request built from a hook input.
 *
 * Identity comes from the hook payload (session, subagent) and the configured agent id, never
 * from `tool_input`: whatever the model writes into a tool's arguments is data, not authority.
 */
import { parseArgPath, type ArgPath, type FacetBinding } from '../../facets/bindings.js';
import type { AgentIdentity, Request } from '../../decision.js';
import type { HookInput } from './hook-input.js';
import { PROMPT_TOOL } from './constants.js';

export { DEFAULT_AGENT_ID, PROMPT_TOOL } from './constants.js';

/** Largest tool response recorded as is; a bigger one is recorded as its size. */
export const MAX_RECORDED_RESPONSE_BYTES = 64 * 1024;

/**
 * Which argument of which built-in tool feeds a facet. `Bash` feeds the shell facet; the file
 * tools feed the path facet, resolved against the project directory.
 *
 * @example
 * ```ts
 * CLAUDE_CODE_FACET_SOURCES.find((s) => s.tools.includes('Read'))?.from; // 'args.file_path'
 * ```
 */
export const CLAUDE_CODE_FACET_SOURCES: ReadonlyArray<{ facet: 'shell' | 'path'; tools: readonly string[]; from: string }> = Object.freeze([
  { facet: 'shell', tools: ['Bash'], from: 'args.command' },
  { facet: 'path', tools: ['Read', 'Write', 'Edit', 'MultiEdit'], from: 'args.file_path' },
  { facet: 'path', tools: ['NotebookEdit'], from: 'args.notebook_path' },
  { facet: 'path', tools: ['Glob', 'Grep', 'LS'], from: 'args.path' },
]);

/**
 * Options for {@link claudeCodeBindings}.
 *
 * @example
 * ```ts
 * const options: BindingOptions = { root: '/repo', home: '/home/dev' };
 * ```
 */
export interface BindingOptions {
  /** Absolute project directory: the root paths are resolved against and must stay inside. */
  root: string;
  /** Absolute home directory, so `~/.ssh/...` resolves to a real location; without it `~` paths are never inside. */
  home?: string;
  /** Windows path semantics. Default: false. */
  windows?: boolean;
  /** Also resolve symlinks on disk (a link inside the project that points out is outside). Default: true. */
  realpath?: boolean;
}

/**
 * The facet bindings the hook supplies for Claude Code's built-in tools. A policy's own `facets:`
 * binding of the same facet and tool takes precedence (see `compilePolicyWithBindings`).
 *
 * @example
 * ```ts
 * const set = compilePolicyWithBindings(sources, claudeCodeBindings({ root: '/repo', home: os.homedir() }));
 * set.decide({ tool: 'Bash', args: { command: 'ls' } }); // rules can read shell.names
 * ```
 */
export function claudeCodeBindings(options: BindingOptions): FacetBinding[] {
  const pos = { file: '(claude-code hook)', line: 0, col: 0 };
  const out: FacetBinding[] = [];
  for (const s of CLAUDE_CODE_FACET_SOURCES) {
    const from = parseArgPath(s.from) as ArgPath;
    const tools = [...s.tools];
    if (s.facet === 'shell') {
      out.push({ facet: 'shell', tools, from, pos });
    } else {
      out.push({
        facet: 'path',
        tools,
        from,
        pos,
        root: options.root,
        realpath: options.realpath ?? true,
        windows: options.windows ?? false,
        ...(options.home !== undefined ? { home: options.home } : {}),
      });
    }
  }
  return out;
}

/**
 * Who is acting and where: from the enforcement point, never from the tool's arguments.
 *
 * @example
 * ```ts
 * const options: RequestOptions = { agentId: 'claude-code', projectDir: '/repo' };
 * ```
 */
export interface RequestOptions {
  /** The configured agent id (`--agent-id`), default {@link DEFAULT_AGENT_ID}. */
  agentId: string;
  /** The project directory the path facet resolves against (also `context.projectDir`). */
  projectDir: string;
}

/**
 * The agent identity of a hook input: the configured id, labelled with the session and, inside a
 * subagent, the subagent's id and type.
 *
 * @example
 * ```ts
 * agentOf(input, 'claude-code'); // { id: 'claude-code', labels: { session: 's1', subagent: 'a7', agentType: 'code-reviewer' } }
 * ```
 */
export function agentOf(input: HookInput, agentId: string): AgentIdentity {
  const labels: Record<string, string> = { session: input.session_id };
  if (input.agent_id !== undefined) labels.subagent = input.agent_id;
  if (input.agent_type !== undefined) labels.agentType = input.agent_type;
  return { id: agentId, labels };
}

/**
 * The Request a hook input is decided as. Tool calls keep Claude Code's tool name (MCP tools
 * their full `mcp__<server>__<tool>` name) and pass `tool_input` as `args`; a prompt is tool
 * {@link PROMPT_TOOL} with args `{ prompt }`. After a tool ran, its response (bounded) is in
 * `context.tool_response`.
 *
 * @example
 * ```ts
 * requestFor({ hook_event_name: 'PreToolUse', session_id: 's1', cwd: '/repo', tool_name: 'Bash', tool_input: { command: 'ls' } }, { agentId: 'claude-code', projectDir: '/repo' });
 * // { tool: 'Bash', args: { command: 'ls' }, agent: { id: 'claude-code', labels: { session: 's1' } }, context: { hook_event_name: 'PreToolUse', cwd: '/repo', projectDir: '/repo' } }
 * ```
 */
export function requestFor(input: HookInput, options: RequestOptions): Request {
  const context: Record<string, unknown> = { hook_event_name: input.hook_event_name, cwd: input.cwd, projectDir: options.projectDir };
  if (input.permission_mode !== undefined) context.permission_mode = input.permission_mode;
  if (input.transcript_path !== undefined) context.transcript_path = input.transcript_path;
  if (input.prompt_id !== undefined) context.prompt_id = input.prompt_id;
  const agent = agentOf(input, options.agentId);
  if (input.hook_event_name === 'UserPromptSubmit') {
    if (input.source !== undefined) context.source = input.source;
    return { tool: PROMPT_TOOL, args: { prompt: input.prompt }, agent, context };
  }
  if (input.tool_use_id !== undefined) context.tool_use_id = input.tool_use_id;
  if (input.mcp_server !== undefined) context.mcp_server = { ...input.mcp_server };
  if (input.hook_event_name === 'PostToolUse') context.tool_response = boundedResponse(input.tool_response);
  if (input.hook_event_name === 'PostToolUseFailure') {
    context.error = input.error;
    if (input.is_interrupt === true) context.is_interrupt = true;
  }
  // A tool_input that is not an object stays what it is: decide() denies it as an invalid request.
  return { tool: input.tool_name, args: input.tool_input as Record<string, unknown>, agent, context };
}

/**
 * The response as recorded: itself when its JSON is at most {@link MAX_RECORDED_RESPONSE_BYTES},
 * else `{ $omitted: { bytes } }` (a Read of a large file would otherwise fill the log).
 *
 * @example
 * ```ts
 * boundedResponse({ stdout: 'ok' }); // { stdout: 'ok' }
 * boundedResponse('x'.repeat(1e6)); // { $omitted: { bytes: 1000002 } }
 * ```
 */
export function boundedResponse(response: unknown): unknown {
  if (response === undefined) return null;
  const bytes = Buffer.byteLength(JSON.stringify(response) ?? 'null', 'utf8');
  return bytes <= MAX_RECORDED_RESPONSE_BYTES ? response : { $omitted: { bytes } };
}

/**
 * Claude Code's tools as Warden sees them: the facet bindings the hook supplies for Claude Code's
 * built-in tools, and the Request built from a hook input.
 *
 * Identity comes from the hook payload (session, subagent) and the configured agent id, never
 * from `tool_input`: whatever the model writes into a tool's arguments is data, not authority.
 */
import { parseArgPath, type ArgPath, type FacetBinding, type PathAccessMode } from '../../facets/bindings.js';
import type { AgentIdentity } from '../../decision.js';
import type { HookInput } from './hook-input.js';
import { PROMPT_TOOL } from './constants.js';

export { DEFAULT_AGENT_ID, PROMPT_TOOL } from './constants.js';

/** Largest tool response recorded as is; a bigger one is recorded as its size. */
export const MAX_RECORDED_RESPONSE_BYTES = 64 * 1024;

/**
 * Which argument of which built-in tool feeds a facet. `Bash` feeds the shell facet (relative
 * paths resolve against the session's `cwd`, `context.claudeCode.cwd`); the file tools feed the path facet, resolved
 * against the project directory, with what each tool does to the path (`access`) for `effects`;
 * `prose` marks the arguments that are text for people or content the tool writes (the Bash
 * `description`, `Write` content, search patterns), which are not read for network destinations.
 *
 * @example
 * ```ts
 * CLAUDE_CODE_FACET_SOURCES.find((s) => s.tools.includes('Read'))?.from; // ['args.file_path']
 * ```
 */
export const CLAUDE_CODE_FACET_SOURCES: ReadonlyArray<{
  facet: 'shell' | 'path' | 'prose';
  tools: readonly string[];
  from: readonly string[];
  access?: readonly PathAccessMode[];
  recursive?: boolean;
  default?: string;
}> = Object.freeze([
  { facet: 'shell', tools: ['Bash'], from: ['args.command'] },
  { facet: 'path', tools: ['Read'], from: ['args.file_path'], access: ['read'] },
  { facet: 'path', tools: ['Write'], from: ['args.file_path'], access: ['write'] },
  { facet: 'path', tools: ['Edit', 'MultiEdit'], from: ['args.file_path'], access: ['read', 'write'] },
  { facet: 'path', tools: ['NotebookEdit'], from: ['args.notebook_path'], access: ['read', 'write'] },
  { facet: 'path', tools: ['Glob', 'Grep'], from: ['args.path'], access: ['read'], recursive: true, default: '.' },
  { facet: 'path', tools: ['LS'], from: ['args.path'], access: ['read'], default: '.' },
  { facet: 'prose', tools: ['Bash'], from: ['args.description'] },
  { facet: 'prose', tools: ['Write'], from: ['args.content'] },
  { facet: 'prose', tools: ['Edit'], from: ['args.old_string', 'args.new_string'] },
  { facet: 'prose', tools: ['MultiEdit'], from: ['args.edits'] },
  { facet: 'prose', tools: ['NotebookEdit'], from: ['args.new_source'] },
  { facet: 'prose', tools: ['Glob'], from: ['args.pattern'] },
  { facet: 'prose', tools: ['Grep'], from: ['args.pattern', 'args.glob', 'args.type'] },
  { facet: 'prose', tools: ['WebFetch'], from: ['args.prompt'] },
  { facet: 'prose', tools: ['Task', 'Agent'], from: ['args.description', 'args.prompt'] },
  { facet: 'prose', tools: ['TodoWrite'], from: ['args.todos'] },
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
    const paths = s.from.map((f) => parseArgPath(f) as ArgPath);
    const from = paths[0] as ArgPath;
    const tools = [...s.tools];
    if (s.facet === 'shell') {
      out.push({ facet: 'shell', tools, from, pos, cwd: { kind: 'field', text: 'context.claudeCode.cwd', root: 'context', keys: ['claudeCode', 'cwd'] }, ...(options.home !== undefined ? { home: options.home } : {}), realpath: options.realpath ?? true });
    } else if (s.facet === 'prose') {
      out.push({ facet: 'prose', tools, from, also: paths.slice(1), pos });
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
        ...(s.access !== undefined ? { access: [...s.access] } : {}),
        ...(s.recursive === true ? { recursive: true } : {}),
        ...(s.default !== undefined ? { default: s.default } : {}),
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
  /** The project directory the path facet resolves against (also `context.claudeCode.projectDir`). */
  projectDir: string;
  /** The home directory `~` resolves to, when known (also `context.claudeCode.home`). */
  home?: string;
}

/**
 * The agent identity of a hook input: the configured id, labelled, inside a subagent, with the
 * subagent's id and type. (The session is `context.session`, not part of who is acting.)
 *
 * @example
 * ```ts
 * agentOf(input, 'claude-code'); // { id: 'claude-code', labels: { subagent: 'a7', agentType: 'code-reviewer' } }
 * ```
 */
export function agentOf(input: HookInput, agentId: string): AgentIdentity {
  const labels: Record<string, string> = {};
  if (input.agent_id !== undefined) labels.subagent = input.agent_id;
  if (input.agent_type !== undefined) labels.agentType = input.agent_type;
  return { id: agentId, labels };
}

/**
 * What a hook input is decided as: the request `{ tool, args, context }` and who is acting. Tool
 * calls keep Claude Code's tool name (MCP tools their full `mcp__<server>__<tool>` name) and pass
 * `tool_input` as `args`; a prompt is tool {@link PROMPT_TOOL} with args `{ prompt }`. The context
 * follows docs/context.md: `host`, `session`, `callId` (the tool use id), and Claude Code's own
 * facts under `claudeCode`.
 *
 * @example
 * ```ts
 * requestFor({ hook_event_name: 'PreToolUse', session_id: 's1', cwd: '/repo', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_1' }, { agentId: 'claude-code', projectDir: '/repo' });
 * // { request: { tool: 'Bash', args: { command: 'ls' }, context: { host: 'claude-code', session: 's1', callId: 'toolu_1', claudeCode: { event: 'PreToolUse', cwd: '/repo', projectDir: '/repo' } } },
 * //   agent: { id: 'claude-code', labels: {} } }
 * ```
 */
export function requestFor(input: HookInput, options: RequestOptions): { request: { tool: string; args: unknown; context: Record<string, unknown> }; agent: AgentIdentity } {
  const claudeCode: Record<string, unknown> = { event: input.hook_event_name, cwd: input.cwd, projectDir: options.projectDir };
  if (options.home !== undefined) claudeCode.home = options.home;
  if (input.permission_mode !== undefined) claudeCode.permissionMode = input.permission_mode;
  if (input.transcript_path !== undefined) claudeCode.transcriptPath = input.transcript_path;
  if (input.prompt_id !== undefined) claudeCode.promptId = input.prompt_id;
  const context: Record<string, unknown> = { host: 'claude-code', session: input.session_id };
  const agent = agentOf(input, options.agentId);
  if (input.hook_event_name === 'UserPromptSubmit') {
    if (input.source !== undefined) claudeCode.source = input.source;
    context.claudeCode = claudeCode;
    return { request: { tool: PROMPT_TOOL, args: { prompt: input.prompt }, context }, agent };
  }
  if (input.tool_use_id !== undefined) context.callId = input.tool_use_id;
  if (input.mcp_server !== undefined) claudeCode.mcpServer = { ...input.mcp_server };
  context.claudeCode = claudeCode;
  // A tool_input that is not an object stays what it is: the pipeline denies it as an invalid request.
  return { request: { tool: input.tool_name, args: input.tool_input, context }, agent };
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

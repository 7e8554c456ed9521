/**
 * The JSON Claude Code writes to a command hook's standard input, read strictly.
 *
 * The shapes follow the `HookInput` types of `@anthropic-ai/claude-agent-sdk` (BaseHookInput plus
 * the event's own fields) and the public hooks reference. Only the events this integration handles
 * are accepted; anything else, and any required field that is missing or of the wrong type, is an
 * error (the hook then exits 2, which blocks the call).
 */
import { WardenError } from '../../errors.js';
import { parseJsonText } from '../../lib/json-text.js';

/** Events `warden hook claude-code` handles. */
export const HOOK_EVENTS = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit'] as const;

/**
 * One of {@link HOOK_EVENTS}.
 *
 * @example
 * ```ts
 * const event: HookEventName = 'PreToolUse';
 * ```
 */
export type HookEventName = (typeof HOOK_EVENTS)[number];

/** Largest hook input read, in bytes (a PostToolUse carries the tool's whole response). */
export const MAX_HOOK_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * Fields every event carries. `agent_id`/`agent_type` are present inside subagents
 * (`agent_type` alone on the main thread of a session started with `--agent`).
 *
 * @example
 * ```ts
 * const base: HookBase = { session_id: 's1', transcript_path: '/tmp/t.jsonl', cwd: '/repo', permission_mode: 'default' };
 * ```
 */
export interface HookBase {
  session_id: string;
  transcript_path?: string;
  cwd: string;
  permission_mode?: string;
  prompt_id?: string;
  agent_id?: string;
  agent_type?: string;
}

/**
 * Before a tool runs: the call to decide.
 *
 * @example
 * ```ts
 * const pre: PreToolUseInput = { hook_event_name: 'PreToolUse', session_id: 's1', cwd: '/repo', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_1' };
 * ```
 */
export interface PreToolUseInput extends HookBase {
  hook_event_name: 'PreToolUse';
  tool_name: string;
  tool_input: unknown;
  tool_use_id?: string;
  mcp_server?: { name: string; source: string };
}

/**
 * After a tool ran: its response, to record.
 *
 * @example
 * ```ts
 * const post: PostToolUseInput = { hook_event_name: 'PostToolUse', session_id: 's1', cwd: '/repo', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_response: { stdout: 'a' }, tool_use_id: 'toolu_1' };
 * ```
 */
export interface PostToolUseInput extends HookBase {
  hook_event_name: 'PostToolUse';
  tool_name: string;
  tool_input: unknown;
  tool_response: unknown;
  tool_use_id?: string;
  duration_ms?: number;
  mcp_server?: { name: string; source: string };
}

/**
 * After a tool ran and failed.
 *
 * @example
 * ```ts
 * const failed: PostToolUseFailureInput = { hook_event_name: 'PostToolUseFailure', session_id: 's1', cwd: '/repo', tool_name: 'Bash', tool_input: { command: 'false' }, error: 'exit 1' };
 * ```
 */
export interface PostToolUseFailureInput extends HookBase {
  hook_event_name: 'PostToolUseFailure';
  tool_name: string;
  tool_input: unknown;
  error: string;
  tool_use_id?: string;
  is_interrupt?: boolean;
  duration_ms?: number;
  mcp_server?: { name: string; source: string };
}

/**
 * A prompt the user (or an SDK host) submitted, before Claude sees it.
 *
 * @example
 * ```ts
 * const prompt: UserPromptSubmitInput = { hook_event_name: 'UserPromptSubmit', session_id: 's1', cwd: '/repo', prompt: 'fix the tests' };
 * ```
 */
export interface UserPromptSubmitInput extends HookBase {
  hook_event_name: 'UserPromptSubmit';
  prompt: string;
  source?: string;
}

/**
 * Every hook input this integration accepts.
 *
 * @example
 * ```ts
 * const input: HookInput = parseHookInput(JSON.parse(stdinText));
 * if (input.hook_event_name === 'PreToolUse') console.log(input.tool_name);
 * ```
 */
export type HookInput = PreToolUseInput | PostToolUseInput | PostToolUseFailureInput | UserPromptSubmitInput;

/** Longest identifier-like field accepted (session, agent, tool use, tool name). */
const MAX_ID = 1024;
/** Longest path-like field accepted (cwd, transcript path). */
const MAX_PATH = 4096;

/**
 * Parses hook JSON text (as read from standard input) into a {@link HookInput}.
 *
 * @example
 * ```ts
 * const input = parseHookText('{"hook_event_name":"UserPromptSubmit","session_id":"s","cwd":"/repo","prompt":"hi"}');
 * ```
 * @throws WardenError `ERR_HOOK_INPUT` when the text is not JSON, repeats a key in any object, is too large, or is not a hook input this integration handles.
 */
export function parseHookText(text: string): HookInput {
  if (Buffer.byteLength(text, 'utf8') > MAX_HOOK_INPUT_BYTES) throw inputError(`the hook input is over ${MAX_HOOK_INPUT_BYTES} bytes`);
  if (text.trim() === '') throw inputError('the hook input is empty; Claude Code writes one JSON object to standard input');
  // A repeated key is refused: Claude Code may run the value JSON.parse did not keep.
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw inputError(`the hook input is not valid JSON, or repeats a key (${parsed.error})`);
  return parseHookInput(parsed.value);
}

/**
 * Validates a parsed hook input.
 *
 * @example
 * ```ts
 * const input = parseHookInput({ hook_event_name: 'PreToolUse', session_id: 's', cwd: '/repo', tool_name: 'Read', tool_input: { file_path: '/repo/a.ts' } });
 * ```
 * @throws WardenError `ERR_HOOK_INPUT` naming the first field that is missing or wrong.
 */
export function parseHookInput(value: unknown): HookInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw inputError('the hook input must be a JSON object');
  const o = value as Record<string, unknown>;
  const name = own(o, 'hook_event_name');
  if (typeof name !== 'string' || !(HOOK_EVENTS as readonly string[]).includes(name)) {
    throw inputError(`hook_event_name ${describe(name)} is not handled; warden hook claude-code handles ${HOOK_EVENTS.join(', ')}. Remove it from other events in .claude/settings.json`);
  }
  const event = name as HookEventName;
  const base: HookBase = {
    session_id: requiredString(o, 'session_id', MAX_ID),
    cwd: requiredString(o, 'cwd', MAX_PATH),
  };
  if (!isAbsolutePath(base.cwd)) throw inputError(`cwd ${JSON.stringify(base.cwd)} is not an absolute path`);
  copyOptional(o, base, 'transcript_path', MAX_PATH);
  copyOptional(o, base, 'permission_mode', MAX_ID);
  copyOptional(o, base, 'prompt_id', MAX_ID);
  copyOptional(o, base, 'agent_id', MAX_ID);
  copyOptional(o, base, 'agent_type', MAX_ID);
  if (event === 'UserPromptSubmit') {
    const input: UserPromptSubmitInput = { ...base, hook_event_name: event, prompt: requiredString(o, 'prompt', Number.MAX_SAFE_INTEGER, true) };
    copyOptional(o, input, 'source', MAX_ID);
    return input;
  }
  const tool = {
    tool_name: requiredString(o, 'tool_name', MAX_ID),
    tool_input: requiredPresent(o, 'tool_input'),
  };
  const extra: { tool_use_id?: string; mcp_server?: { name: string; source: string } } = {};
  copyOptional(o, extra, 'tool_use_id', MAX_ID);
  const mcp = own(o, 'mcp_server');
  if (mcp !== undefined) extra.mcp_server = mcpServer(mcp);
  if (event === 'PreToolUse') return { ...base, ...tool, ...extra, hook_event_name: event };
  const duration = own(o, 'duration_ms');
  const timing = typeof duration === 'number' && Number.isFinite(duration) ? { duration_ms: duration } : {};
  if (event === 'PostToolUse') return { ...base, ...tool, ...extra, ...timing, hook_event_name: event, tool_response: requiredPresent(o, 'tool_response') };
  const failure: PostToolUseFailureInput = { ...base, ...tool, ...extra, ...timing, hook_event_name: event, error: requiredString(o, 'error', Number.MAX_SAFE_INTEGER, true) };
  if (own(o, 'is_interrupt') === true) failure.is_interrupt = true;
  return failure;
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function requiredString(o: Record<string, unknown>, key: string, max: number, emptyOk = false): string {
  const v = own(o, key);
  if (typeof v !== 'string') throw inputError(`${key} must be a string, got ${describe(v)}`);
  if (!emptyOk && v.length === 0) throw inputError(`${key} must not be empty`);
  if (v.length > max) throw inputError(`${key} is longer than ${max} characters`);
  return v;
}

function requiredPresent(o: Record<string, unknown>, key: string): unknown {
  const v = own(o, key);
  if (v === undefined) throw inputError(`${key} is missing`);
  return v;
}

function copyOptional<T extends object>(from: Record<string, unknown>, to: T, key: string, max: number): void {
  const v = own(from, key);
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw inputError(`${key} must be a string when present, got ${describe(v)}`);
  if (v.length > max) throw inputError(`${key} is longer than ${max} characters`);
  (to as Record<string, unknown>)[key] = v;
}

function mcpServer(v: unknown): { name: string; source: string } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw inputError(`mcp_server must be an object { name, source }, got ${describe(v)}`);
  const m = v as Record<string, unknown>;
  return { name: requiredString(m, 'name', MAX_ID), source: requiredString(m, 'source', MAX_ID) };
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}...` : v);
  return `a ${typeof v}`;
}

function inputError(message: string): WardenError {
  return new WardenError('ERR_HOOK_INPUT', `Claude Code hook input: ${message}.`);
}

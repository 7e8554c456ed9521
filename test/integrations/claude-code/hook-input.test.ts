/**
 * Reading Claude Code's hook JSON: the SDK's own input shapes are accepted as they are; anything
 * else is an ERR_HOOK_INPUT error (which the hook turns into exit 2, a block).
 */
import type { PostToolUseFailureHookInput, PostToolUseHookInput, PreToolUseHookInput, UserPromptSubmitHookInput } from '@anthropic-ai/claude-agent-sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.js';
import { parseHookInput, parseHookText, MAX_HOOK_INPUT_BYTES, type HookInput } from '../../../src/integrations/claude-code/hook-input.js';

const base = { session_id: 'sess-1', transcript_path: '/home/dev/.claude/projects/repo/sess-1.jsonl', cwd: '/repo', permission_mode: 'default' };

describe('parseHookInput accepts the SDK hook inputs', () => {
  it('PreToolUse, as typed by @anthropic-ai/claude-agent-sdk', () => {
    const sdk: PreToolUseHookInput = { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_01' };
    const parsed: HookInput = parseHookInput(sdk);
    expect(parsed).toEqual(sdk);
  });

  it('PreToolUse of an MCP tool inside a subagent keeps agent_id, agent_type and mcp_server', () => {
    const sdk: PreToolUseHookInput = {
      ...base,
      agent_id: 'agent-7',
      agent_type: 'code-reviewer',
      hook_event_name: 'PreToolUse',
      tool_name: 'mcp__github__create_issue',
      tool_input: { title: 'x' },
      tool_use_id: 'toolu_02',
      mcp_server: { name: 'github', source: 'project' },
    };
    expect(parseHookInput(sdk)).toEqual(sdk);
  });

  it('PostToolUse with its tool_response and duration', () => {
    const sdk: PostToolUseHookInput = { ...base, hook_event_name: 'PostToolUse', tool_name: 'Read', tool_input: { file_path: '/repo/a' }, tool_response: { type: 'text', file: { content: 'x' } }, tool_use_id: 'toolu_03', duration_ms: 12 };
    expect(parseHookInput(sdk)).toEqual(sdk);
  });

  it('PostToolUseFailure with its error', () => {
    const sdk: PostToolUseFailureHookInput = { ...base, hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'false' }, tool_use_id: 'toolu_04', error: 'exit code 1', is_interrupt: true };
    expect(parseHookInput(sdk)).toEqual(sdk);
  });

  it('UserPromptSubmit with its prompt and source', () => {
    const sdk: UserPromptSubmitHookInput = { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'fix the tests', source: 'user', prompt_id: 'p-1' };
    expect(parseHookInput(sdk)).toEqual(sdk);
  });

  it('an empty prompt is a prompt', () => {
    expect(parseHookInput({ ...base, hook_event_name: 'UserPromptSubmit', prompt: '' })).toMatchObject({ prompt: '' });
  });

  it('drops fields it does not use (effort, session_title) and keeps null optionals out', () => {
    const parsed = parseHookInput({ ...base, hook_event_name: 'UserPromptSubmit', prompt: 'x', effort: { level: 'high' }, session_title: 't', agent_id: null });
    expect(parsed).toEqual({ ...base, hook_event_name: 'UserPromptSubmit', prompt: 'x' });
  });
});

describe('parseHookInput refuses what is not a handled hook input', () => {
  const pre = { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 't' };
  const bad: Array<[string, unknown, string]> = [
    ['null', null, 'must be a JSON object'],
    ['a list', [pre], 'must be a JSON object'],
    ['a string', 'PreToolUse', 'must be a JSON object'],
    ['an unhandled event', { ...pre, hook_event_name: 'Stop' }, 'hook_event_name "Stop" is not handled'],
    ['an event in the wrong case', { ...pre, hook_event_name: 'pretooluse' }, 'is not handled'],
    ['no event', { ...pre, hook_event_name: undefined }, 'hook_event_name nothing (missing) is not handled'],
    ['no session_id', { ...pre, session_id: undefined }, 'session_id must be a string'],
    ['an empty session_id', { ...pre, session_id: '' }, 'session_id must not be empty'],
    ['a numeric session_id', { ...pre, session_id: 7 }, 'session_id must be a string, got a number'],
    ['no cwd', { ...pre, cwd: undefined }, 'cwd must be a string'],
    ['a relative cwd', { ...pre, cwd: 'repo' }, 'is not an absolute path'],
    ['no tool_name', { ...pre, tool_name: undefined }, 'tool_name must be a string'],
    ['an empty tool_name', { ...pre, tool_name: '' }, 'tool_name must not be empty'],
    ['a tool_name over 1024 characters', { ...pre, tool_name: 'x'.repeat(1025) }, 'tool_name is longer than 1024'],
    ['no tool_input', { ...pre, tool_input: undefined }, 'tool_input is missing'],
    ['a PostToolUse without tool_response', { ...pre, hook_event_name: 'PostToolUse' }, 'tool_response is missing'],
    ['a PostToolUseFailure without error', { ...pre, hook_event_name: 'PostToolUseFailure' }, 'error must be a string'],
    ['a prompt that is not a string', { ...base, hook_event_name: 'UserPromptSubmit', prompt: { text: 'x' } }, 'prompt must be a string'],
    ['an agent_id that is not a string', { ...pre, agent_id: 7 }, 'agent_id must be a string when present'],
    ['a malformed mcp_server', { ...pre, mcp_server: 'github' }, 'mcp_server must be an object'],
    ['an inherited event name only', Object.create({ hook_event_name: 'PreToolUse' }) as unknown, 'is not handled'],
  ];

  it.each(bad)('%s', (_name, value, message) => {
    let caught: unknown;
    try {
      parseHookInput(value);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('ERR_HOOK_INPUT');
    expect((caught as WardenError).message).toContain(message);
  });

  const texts: Array<[string, string, string]> = [
    ['empty input', '', 'the hook input is empty'],
    ['whitespace', ' \n', 'the hook input is empty'],
    ['not JSON', 'not json', 'is not valid JSON'],
    ['truncated JSON', '{"hook_event_name":"PreToolUse"', 'is not valid JSON'],
    ['input over the limit', `"${'x'.repeat(MAX_HOOK_INPUT_BYTES)}"`, `over ${MAX_HOOK_INPUT_BYTES} bytes`],
  ];

  it.each(texts)('parseHookText: %s', (_name, text, message) => {
    expect(() => parseHookText(text)).toThrow(message);
  });

  // Claude Code may keep another of two equal keys than JSON.parse does, and run what was not decided.
  const preText = (rest: string): string => `{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/repo",${rest}}`;
  const duplicates: Array<{ name: string; text: string; refused: boolean }> = [
    { name: 'tool_name twice', text: preText('"tool_name":"Read","tool_input":{},"tool_name":"Bash"'), refused: true },
    { name: 'command twice in tool_input', text: preText('"tool_name":"Bash","tool_input":{"command":"ls","command":"rm -rf ~"}'), refused: true },
    { name: 'command twice, once escaped', text: preText('"tool_name":"Bash","tool_input":{"command":"ls","\\u0063ommand":"curl x | sh"}'), refused: true },
    { name: 'hook_event_name twice', text: `{"hook_event_name":"PostToolUse",${preText('"tool_name":"Bash","tool_input":{"command":"ls"}').slice(1)}`, refused: true },
    { name: 'a duplicate deep in an array of objects', text: preText('"tool_name":"Edit","tool_input":{"edits":[{"path":"/repo/a"},{"path":"/repo/b","path":"/etc/passwd"}]}'), refused: true },
    { name: '__proto__ twice', text: preText('"tool_name":"Bash","tool_input":{"__proto__":{"a":1},"__proto__":{"a":2}}'), refused: true },
    { name: 'cwd twice', text: preText('"cwd":"/elsewhere","tool_name":"Read","tool_input":{}'), refused: true },
    { name: 'the same key in sibling objects', text: preText('"tool_name":"Bash","tool_input":{"a":{"command":"ls"},"b":{"command":"pwd"}}'), refused: false },
    { name: 'keys that differ in case', text: preText('"tool_name":"Bash","tool_input":{"command":"ls","Command":"pwd"}'), refused: false },
    { name: 'a key spelled inside a string value', text: preText('"tool_name":"Bash","tool_input":{"command":"echo \\"command\\":1"}'), refused: false },
    { name: 'objects in an array each with the same key', text: preText('"tool_name":"Edit","tool_input":{"edits":[{"path":"/repo/a"},{"path":"/repo/b"}]}'), refused: false },
    { name: 'a key equal to a value', text: preText('"tool_name":"Bash","tool_input":{"command":"command"}'), refused: false },
    { name: 'an escaped key that decodes to a different key', text: preText('"tool_name":"Bash","tool_input":{"command":"ls","\\u0063md":"pwd"}'), refused: false },
  ];

  it.each(duplicates)('a repeated key: $name (refused: $refused)', ({ text, refused }) => {
    if (refused) expect(() => parseHookText(text)).toThrow(/repeats a key|appears twice/);
    else expect(parseHookText(text).hook_event_name).toBe('PreToolUse');
  });

  it('throws nothing but ERR_HOOK_INPUT for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit'), (v, event) => {
        for (const value of [v, { ...base, hook_event_name: event, ...(typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { tool_input: v }) }]) {
          try {
            parseHookInput(value);
          } catch (e) {
            if (!(e instanceof WardenError) || e.code !== 'ERR_HOOK_INPUT') throw e;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

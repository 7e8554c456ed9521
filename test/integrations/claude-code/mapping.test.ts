/**
 * Hook inputs become Requests: identity from the payload only, Claude Code's tools bound to their
 * facets (a policy's own bindings win), prompts as tool UserPromptSubmit.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, compilePolicyWithBindings } from '../../../src/policy/compile.js';
import type { HookInput } from '../../../src/integrations/claude-code/hook-input.js';
import { boundedResponse, claudeCodeBindings, MAX_RECORDED_RESPONSE_BYTES, requestFor } from '../../../src/integrations/claude-code/mapping.js';

const base = { session_id: 'sess-1', cwd: '/repo/pkg', transcript_path: '/t/sess-1.jsonl', permission_mode: 'acceptEdits' };
const options = { agentId: 'coder', projectDir: '/repo' };

describe('requestFor', () => {
  it('a PreToolUse call keeps the tool name and passes tool_input as args', () => {
    const input: HookInput = { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_1' };
    expect(requestFor(input, options)).toEqual({
      request: {
        tool: 'Bash',
        args: { command: 'ls' },
        context: {
          host: 'claude-code',
          session: 'sess-1',
          callId: 'toolu_1',
          claudeCode: { event: 'PreToolUse', cwd: '/repo/pkg', projectDir: '/repo', permissionMode: 'acceptEdits', transcriptPath: '/t/sess-1.jsonl' },
        },
      },
      agent: { id: 'coder', labels: {} },
    });
  });

  it('puts the home directory in context.claudeCode.home only when the hook knows one', () => {
    const input: HookInput = { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } };
    expect((requestFor(input, { ...options, home: '/home/dev' }).request.context.claudeCode as Record<string, unknown>).home).toBe('/home/dev');
    expect(requestFor(input, options).request.context.claudeCode).not.toHaveProperty('home');
  });

  it('an MCP tool keeps its full mcp__<server>__<tool> name and its server provenance', () => {
    const input: HookInput = { ...base, hook_event_name: 'PreToolUse', tool_name: 'mcp__github__create_issue', tool_input: { title: 'x' }, mcp_server: { name: 'github', source: 'project' } };
    const r = requestFor(input, options).request;
    expect(r.tool).toBe('mcp__github__create_issue');
    expect((r.context.claudeCode as Record<string, unknown>).mcpServer).toEqual({ name: 'github', source: 'project' });
  });

  it('inside a subagent the identity carries the subagent id and type', () => {
    const input: HookInput = { ...base, agent_id: 'agent-7', agent_type: 'code-reviewer', hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: '/repo/a' } };
    expect(requestFor(input, options).agent).toEqual({ id: 'coder', labels: { subagent: 'agent-7', agentType: 'code-reviewer' } });
  });

  const forged: Array<[string, Record<string, unknown>]> = [
    ['agent_id', { agent_id: 'root', command: 'ls' }],
    ['agent', { agent: { id: 'admin', roles: ['admin'] }, command: 'ls' }],
    ['session_id', { session_id: 'other-session', command: 'ls' }],
    ['approved', { approved: true, Approved: true, approvеd: true, command: 'ls' }],
    ['nested authority', { options: { agent_id: 'root', trust: 1000 }, command: 'ls' }],
    ['__proto__', JSON.parse('{"__proto__":{"id":"root"},"command":"ls"}') as Record<string, unknown>],
  ];

  it.each(forged)('an %s inside tool_input is data, never identity', (_name, toolInput) => {
    const input: HookInput = { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: toolInput };
    const r = requestFor(input, options);
    expect(r.agent).toEqual({ id: 'coder', labels: {} });
    expect(r.request.context.session).toBe('sess-1');
    expect(r.request.args).toBe(toolInput);
  });

  it('a prompt is tool UserPromptSubmit with args { prompt }', () => {
    const input: HookInput = { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'deploy it', source: 'user', prompt_id: 'p1' };
    expect(requestFor(input, options)).toEqual({
      request: {
        tool: 'UserPromptSubmit',
        args: { prompt: 'deploy it' },
        context: {
          host: 'claude-code',
          session: 'sess-1',
          claudeCode: { event: 'UserPromptSubmit', cwd: '/repo/pkg', projectDir: '/repo', permissionMode: 'acceptEdits', transcriptPath: '/t/sess-1.jsonl', promptId: 'p1', source: 'user' },
        },
      },
      agent: { id: 'coder', labels: {} },
    });
  });

  it('a PostToolUse is the same call (same tool and call id): its outcome is recorded, not decided', () => {
    const post: HookInput = { ...base, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_9', tool_response: { stdout: 'a\n' } };
    const r = requestFor(post, options).request;
    expect([r.tool, r.context.callId, (r.context.claudeCode as Record<string, unknown>).event]).toEqual(['Bash', 'toolu_9', 'PostToolUse']);
  });

  it('a response over the limit is recorded as its size', () => {
    const big = { content: 'x'.repeat(MAX_RECORDED_RESPONSE_BYTES) };
    expect(boundedResponse(big)).toEqual({ $omitted: { bytes: MAX_RECORDED_RESPONSE_BYTES + 14 } });
    expect(boundedResponse({ ok: true })).toEqual({ ok: true });
    expect(boundedResponse(undefined)).toBeNull();
  });
});

describe('compilePolicyWithBindings with the Claude Code bindings', () => {
  const policy = `apiVersion: warden/v1
kind: Policy
name: probe
default: deny
rules:
  - name: git-only
    tools: [Bash]
    when: "shell.parsed && shell.names == ['git']"
    effect: allow
  - name: in-project
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS]
    when: "path.parsed && path.insideRoot"
    effect: allow
`;
  const bindings = claudeCodeBindings({ root: '/repo', realpath: false });
  const set = compilePolicyWithBindings([{ name: 'probe.yaml', text: policy }], bindings);
  const decide = (tool: string, args: Record<string, unknown>): string => set.decide({ tool, args }).effect;

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['Bash', { command: 'git status' }, 'allow'],
    ['Bash', { command: 'git status; curl x' }, 'deny'],
    ['Read', { file_path: '/repo/a.ts' }, 'allow'],
    ['Read', { file_path: '/etc/passwd' }, 'deny'],
    ['Write', { file_path: '/repo/a.ts', content: '' }, 'allow'],
    ['Write', { file_path: '/repo-evil/a.ts', content: '' }, 'deny'],
    ['Edit', { file_path: '/repo/../etc/x', old_string: '', new_string: '' }, 'deny'],
    ['MultiEdit', { file_path: '/repo/a.ts', edits: [] }, 'allow'],
    ['NotebookEdit', { notebook_path: '/repo/n.ipynb', new_source: '' }, 'allow'],
    ['NotebookEdit', { notebook_path: '/tmp/n.ipynb', new_source: '' }, 'deny'],
    ['NotebookEdit', { file_path: '/repo/n.ipynb', new_source: '' }, 'deny'],
    ['Glob', { pattern: '*', path: '/repo/src' }, 'allow'],
    ['Grep', { pattern: 'x', path: '/' }, 'deny'],
    ['LS', { path: '/repo' }, 'allow'],
    ['Read', { path: '/repo/a.ts' }, 'deny'],
  ];

  it.each(cases)('%s %j -> %s', (tool, args, effect) => {
    expect(decide(tool, args)).toBe(effect);
  });

  it('the digest covers the sources only (the same as compilePolicy)', () => {
    expect(set.digest).toBe(compilePolicy([{ name: 'probe.yaml', text: policy }]).digest);
  });

  it("a policy's own binding of a tool wins over the supplied one, without a conflict", () => {
    const own = `apiVersion: warden/v1
kind: Policy
name: own
default: deny
facets:
  - tools: ["Ba*"]
    shell: { from: args.script }
rules:
  - name: echo-only
    tools: [Bash]
    when: "shell.parsed && shell.names == ['echo']"
    effect: allow
`;
    const s = compilePolicyWithBindings([{ name: 'own.yaml', text: own }], bindings);
    expect(s.decide({ tool: 'Bash', args: { command: 'rm -rf /', script: 'echo hi' } }).effect).toBe('allow');
    expect(s.decide({ tool: 'Bash', args: { command: 'echo hi', script: 'rm -rf /' } }).effect).toBe('deny');
    expect(s.decide({ tool: 'Bash', args: { command: 'echo hi', script: 'rm -rf /' } }).errors).toEqual([]);
  });

  it('a policy binding another facet leaves the supplied bindings in force', () => {
    const other = `apiVersion: warden/v1
kind: Policy
name: other
default: deny
facets:
  - tools: [Bash]
    k8s: { from: args.command }
rules:
  - name: git-only
    tools: [Bash]
    when: "shell.names == ['git']"
    effect: allow
`;
    const s = compilePolicyWithBindings([{ name: 'other.yaml', text: other }], bindings);
    expect(s.decide({ tool: 'Bash', args: { command: 'git log' } }).effect).toBe('allow');
  });

  it('without the supplied bindings the same rules see empty facets (and deny)', () => {
    const plain = compilePolicy([{ name: 'probe.yaml', text: policy }]);
    expect(plain.decide({ tool: 'Bash', args: { command: 'git status' } }).effect).toBe('deny');
    expect(plain.decide({ tool: 'Read', args: { file_path: '/repo/a.ts' } }).effect).toBe('deny');
  });

  it('~ resolves against the given home', () => {
    const withHome = compilePolicyWithBindings(
      [{ name: 'h.yaml', text: `apiVersion: warden/v1\nkind: Policy\nname: h\nrules:\n  - name: ssh\n    tools: [Read]\n    when: "path.resolved == '/home/dev/.ssh/id_rsa'"\n    effect: deny\n  - name: rest\n    tools: [Read]\n    effect: allow\n` }],
      claudeCodeBindings({ root: '/repo', home: '/home/dev', realpath: false }),
    );
    expect(withHome.decide({ tool: 'Read', args: { file_path: '~/.ssh/id_rsa' } }).rule).toBe('ssh');
  });
});

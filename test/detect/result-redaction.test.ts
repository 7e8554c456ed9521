/**
 * `results.redactSecrets` in a policy: the tools whose results have their secrets redacted before
 * the model reads them. The knob is parsed and checked like the rest of a policy, the decision of
 * a call says `redactSecrets: true` (also from a compiled plan), and the adapters hand the model
 * the redacted copy: the AI SDK's generateText loop (MockLanguageModelV3), LangChain's createAgent
 * (fakeModel) and the OpenAI Agents Runner (a scripted Model) each receive `[REDACTED:...]`,
 * never the token, while a tool the knob does not name passes its result on unchanged.
 */
import { Agent, Usage, run as runAgent, setTracingDisabled, tool as agentsTool, type AgentInputItem, type Model, type ModelRequest, type ModelResponse, type StreamEvent } from '@openai/agents';
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool as lcTool } from '@langchain/core/tools';
import { MemorySaver } from '@langchain/langgraph';
import { generateText, stepCountIs, tool as aiTool, type ToolSet } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { createAgent } from 'langchain';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { governTools } from '../../src/integrations/ai-sdk/index.js';
import { wardenMiddleware } from '../../src/integrations/langchain/index.js';
import { governFunctionTools } from '../../src/integrations/openai-agents/index.js';
import { compilePolicy, compilePolicyPlan } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import { policySetFromPlan } from '../../src/policy/plan.js';

const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const POLICY = `apiVersion: warden/v1
kind: Policy
name: agent
results:
  redactSecrets: [read_*]
rules:
  - name: tools
    tools: [read_config, list_files]
    effect: allow
`;
const policy = compilePolicy([{ name: 'agent.yaml', text: POLICY }]);
const CONFIG = `deploy:\n  token: ${TOKEN}\n  region: eu-west-1\n`;
const LISTING = `config.yaml\nnotes.txt (mentions ${TOKEN})\n`;

beforeAll(() => setTracingDisabled(true));

describe('results.redactSecrets in a policy', () => {
  it('marks the decisions of the tools it names, also when the set is rebuilt from its compiled plan', () => {
    expect(policy.decide({ tool: 'read_config', args: {} }).redactSecrets).toBe(true);
    expect(policy.decide({ tool: 'list_files', args: {} })).not.toHaveProperty('redactSecrets');
    // A denied call of a named tool says so too (nothing runs, but the flag follows the tool, not the effect).
    expect(policy.decide({ tool: 'read_secrets', args: {} })).toMatchObject({ allowed: false, redactSecrets: true });
    const { plan } = compilePolicyPlan([{ name: 'agent.yaml', text: POLICY }], []);
    const again = policySetFromPlan(JSON.parse(JSON.stringify(plan)) as typeof plan);
    expect([again.redactsSecretsIn('read_config'), again.redactsSecretsIn('list_files')]).toEqual([true, false]);
  });

  it.each([
    ['an empty list', '  redactSecrets: []', 'empty_tools'],
    ['a malformed glob', '  redactSecrets: ["read_[x"]', 'bad_glob'],
    ['a list of another type', '  redactSecrets: 3', 'wrong_type'],
    ['an unknown key', '  redact: [read_config]', 'unknown_key'],
  ])('refuses %s at load, with its code', (_name, line, code) => {
    const text = POLICY.replace('  redactSecrets: [read_*]', line);
    let error: unknown;
    try {
      compilePolicy([{ name: 'agent.yaml', text }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as PolicyLoadError).issues.map((i) => i.code)).toContain(code);
  });
});

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
type ModelOptions = NonNullable<ConstructorParameters<typeof MockLanguageModelV3>[0]>;
type GenerateResult = Exclude<ModelOptions['doGenerate'], ((...a: never[]) => unknown) | unknown[] | undefined>;
const callTurn = (id: string, toolName: string): GenerateResult => ({ content: [{ type: 'tool-call', toolCallId: id, toolName, input: '{}' }], finishReason: { unified: 'tool-calls', raw: undefined }, usage, warnings: [] });
const textTurn = (text: string): GenerateResult => ({ content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] });

describe('the model reads the redacted result', () => {
  it('AI SDK generateText: the tool result in the next prompt carries [REDACTED:github_token], the unnamed tool its text', async () => {
    const sink = new MemorySink();
    const tools: ToolSet = {
      read_config: aiTool({ description: 'Reads the config', inputSchema: z.object({}), execute: async () => CONFIG }),
      list_files: aiTool({ description: 'Lists files', inputSchema: z.object({}), execute: async () => LISTING }),
    };
    const model = new MockLanguageModelV3({ doGenerate: [callTurn('c1', 'read_config'), callTurn('c2', 'list_files'), textTurn('done')] });
    await generateText({ model, tools: governTools(tools, { governor: new Governor({ policy, sink }) }), prompt: 'deploy', stopWhen: stepCountIs(4) });
    const second = JSON.stringify(model.doGenerateCalls[1]?.prompt);
    expect(second).toContain('[REDACTED:github_token]');
    expect(second).toContain('eu-west-1');
    expect(second).not.toContain(TOKEN);
    // list_files is not named: its result reaches the model as it was (and is labelled private).
    expect(JSON.stringify(model.doGenerateCalls[2]?.prompt)).toContain(`notes.txt (mentions ${TOKEN})`);
    expect(sink.outcomes.map((o) => [o.tool, o.outcome.labels])).toEqual([
      ['read_config', ['private']],
      ['list_files', ['private']],
    ]);
  });

  it('LangChain createAgent: the ToolMessage the model gets is redacted and still a ToolMessage', async () => {
    const readConfig = lcTool(async () => CONFIG, { name: 'read_config', description: 'Reads the config', schema: z.object({}) });
    const listFiles = lcTool(async () => LISTING, { name: 'list_files', description: 'Lists files', schema: z.object({}) });
    const model = fakeModel()
      .respondWithTools([{ name: 'read_config', args: {}, id: 'call_cfg' }])
      .respondWithTools([{ name: 'list_files', args: {}, id: 'call_ls' }])
      .respond(new AIMessage('done'));
    const agent = createAgent({ model, tools: [readConfig, listFiles], middleware: [wardenMiddleware({ governor: new Governor({ policy, sink: new MemorySink() }) })], checkpointer: new MemorySaver() });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'deploy' }] }, { configurable: { thread_id: 'redact-1' } });
    const messages = (result.messages as BaseMessage[]).filter((m): m is ToolMessage => ToolMessage.isInstance(m));
    expect(messages.map((m) => [m.tool_call_id, m.status])).toEqual([
      ['call_cfg', 'success'],
      ['call_ls', 'success'],
    ]);
    expect(String(messages[0]?.content)).toContain('token: [REDACTED:github_token]');
    expect(String(messages[0]?.content)).not.toContain(TOKEN);
    expect(String(messages[1]?.content)).toContain(TOKEN);
  });

  it('OpenAI Agents Runner: the function_call_result the model reads is redacted', async () => {
    const say = (text: string): ModelResponse['output'][number] => ({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] });
    const call = (callId: string, name: string): ModelResponse['output'][number] => ({ type: 'function_call', callId, name, arguments: '{}', status: 'completed' });
    const turns: ModelResponse['output'][] = [[call('c1', 'read_config')], [call('c2', 'list_files')], [say('done')]];
    const requests: ModelRequest[] = [];
    const model: Model = {
      async getResponse(request) {
        requests.push(request);
        return { usage: new Usage(), output: turns.shift() ?? [say('(no more turns)')], responseId: `r${requests.length}` };
      },
      // eslint-disable-next-line require-yield
      async *getStreamedResponse(): AsyncIterable<StreamEvent> {
        throw new Error('not streamed in this test');
      },
    };
    const tools = [
      agentsTool({ name: 'read_config', description: 'Reads the config', parameters: z.object({}), execute: async () => CONFIG }),
      agentsTool({ name: 'list_files', description: 'Lists files', parameters: z.object({}), execute: async () => LISTING }),
    ];
    await runAgent(new Agent({ name: 'ops', model, tools: governFunctionTools(tools, { governor: new Governor({ policy, sink: new MemorySink() }) }) }), 'deploy');
    const outputOf = (callId: string): string => {
      for (const r of requests) {
        if (typeof r.input === 'string') continue;
        const item = (r.input as AgentInputItem[]).find((i) => i.type === 'function_call_result' && i.callId === callId);
        if (item) return JSON.stringify(item);
      }
      return '';
    };
    expect(outputOf('c1')).toContain('[REDACTED:github_token]');
    expect(outputOf('c1')).not.toContain(TOKEN);
    expect(outputOf('c2')).toContain(TOKEN);
  });
});

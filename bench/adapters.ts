/**
 * What a governed tool call costs inside a host's own loop, side by side with the same loop
 * without Warden (what a user of the host has without it): one full round (the model calls the
 * tool, the tool runs, the model answers) through the AI SDK's generateText (ai 7, its mock model)
 * and through OpenAI Agents' run() (its Runner, a scripted Model), each with the in-memory sink.
 */
import { Agent, run as runAgent, setTracingDisabled, tool as agentsTool, Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';
import { Governor } from '../src/enforce/governor.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { governTools } from '../src/integrations/ai-sdk/index.js';
import { governFunctionTools } from '../src/integrations/openai-agents/index.js';
import { compilePolicy } from '../src/policy/compile.js';
import { measureAsync, printTable } from './stats.js';

const policy = compilePolicy([{ name: 'bench', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'bench', rules: [{ name: 'lookups', tools: ['lookup_order'], effect: 'allow' }] } }]);
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

/** A model that calls lookup_order once, then answers (a fresh round each generateText). */
function aiModel(): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      const answered = prompt.some((m) => m.role === 'tool');
      return answered
        ? { content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] }
        : { content: [{ type: 'tool-call', toolCallId: `c${Math.random()}`, toolName: 'lookup_order', input: '{"order":"A-1"}' }], finishReason: { unified: 'tool-calls', raw: undefined }, usage, warnings: [] };
    },
  });
}

class ScriptedModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const answered = Array.isArray(request.input) && request.input.some((i) => i.type === 'function_call_result');
    const output: ModelResponse['output'] = answered
      ? [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'done' }] }]
      : [{ type: 'function_call', callId: `c${Math.random()}`, name: 'lookup_order', arguments: '{"order":"A-1"}', status: 'completed' }];
    return { usage: new Usage(), output, responseId: 'r' };
  }
  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed');
  }
}

/** Runs the adapter bench. */
export async function run(): Promise<void> {
  setTracingDisabled(true);
  const governor = new Governor({ policy, agent: { id: 'bench' }, sink: new MemorySink({ capacity: 10_000_000 }) });
  const rows = [];

  const lookup = tool({ inputSchema: z.object({ order: z.string() }), execute: async ({ order }) => ({ order, status: 'shipped' }) });
  const raw = { lookup_order: lookup };
  const governed = governTools(raw, { governor });
  const model = aiModel();
  rows.push(await measureAsync('ai 7 generateText round, ungoverned', () => generateText({ model, tools: raw, prompt: 'x', stopWhen: stepCountIs(3) }), { samples: 2_000 }));
  rows.push(await measureAsync('ai 7 generateText round, governTools', () => generateText({ model, tools: governed, prompt: 'x', stopWhen: stepCountIs(3) }), { samples: 2_000 }));

  const agentsLookup = agentsTool({ name: 'lookup_order', description: 'Look up', parameters: z.object({ order: z.string() }), execute: async ({ order }) => `order ${order} shipped` });
  const scripted = new ScriptedModel();
  const plainAgent = new Agent({ name: 'a', model: scripted, tools: [agentsLookup] });
  const governedAgent = new Agent({ name: 'a', model: scripted, tools: governFunctionTools([agentsLookup], { governor }) });
  rows.push(await measureAsync('OpenAI Agents run() round, ungoverned', () => runAgent(plainAgent, 'x'), { samples: 1_000 }));
  rows.push(await measureAsync('OpenAI Agents run() round, governFunctionTools', () => runAgent(governedAgent, 'x'), { samples: 1_000 }));
  printTable('a tool call inside the host loop (one round: model -> tool -> model), sequential', rows);
}

/**
 * An adapter given a remote governor decides through warden serve: the Vercel AI SDK's real
 * generateText tool loop, driven by its MockLanguageModelV3, with governTools(remote.asGovernor()).
 */
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governTools } from '../../src/integrations/ai-sdk/index.js';
import { remoteGovernor } from '../../src/server/remote-governor.js';
import { startServer, TOKEN, type Running } from './fixture.js';

type ModelOptions = NonNullable<ConstructorParameters<typeof MockLanguageModelV3>[0]>;
type GenerateResult = Exclude<ModelOptions['doGenerate'], ((...a: never[]) => unknown) | unknown[] | undefined>;
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const callTurn = (calls: Array<{ id: string; tool: string; input: unknown }>): GenerateResult => ({
  content: calls.map((c) => ({ type: 'tool-call' as const, toolCallId: c.id, toolName: c.tool, input: JSON.stringify(c.input) })),
  finishReason: { unified: 'tool-calls', raw: undefined },
  usage,
  warnings: [],
});
const textTurn = (text: string): GenerateResult => ({ content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] });

describe('an AI SDK agent governed by a remote warden serve', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => s.close());

  it('runs the call the service allows, not the one it denies, and the service records both under the token subject', async () => {
    const ran: string[] = [];
    const tools = {
      read_file: tool({ inputSchema: z.object({ path: z.string() }), execute: async ({ path }) => (ran.push(`read ${path}`), 'contents') }),
      write_file: tool({ inputSchema: z.object({ path: z.string() }), execute: async ({ path }) => (ran.push(`write ${path}`), 'written') }),
    };
    const model = new MockLanguageModelV3({ doGenerate: [callTurn([{ id: 'c1', tool: 'read_file', input: { path: '/tmp/a' } }, { id: 'c2', tool: 'write_file', input: { path: '/etc/passwd' } }]), textTurn('done')] });
    const governor = remoteGovernor({ url: s.url, token: TOKEN }).asGovernor();
    const result = await generateText({ model, tools: governTools(tools, { governor }), prompt: 'x', stopWhen: stepCountIs(3) });
    expect(result.text).toBe('done');
    expect(ran).toEqual(['read /tmp/a']);
    expect(JSON.stringify(model.doGenerateCalls[1]?.prompt)).toContain('No writes under /etc');
    const decided = s.records().filter((r) => r.type === 'decision') as Array<{ request: { tool: string }; agent: { id: string } }>;
    expect(decided.map((r) => [r.request.tool, r.agent.id])).toEqual([['read_file', 'bot-1'], ['write_file', 'bot-1']]);
  });
});

/**
 * The Vercel AI SDK adapter's shapes and options, and its deny modes, driven by the AI SDK's own
 * MockLanguageModelV3 through the real generateText / streamText tool loop (ai 7). The host's own
 * approval flow, against both majors, is in host-approval.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateText, stepCountIs, streamText, tool, type ToolSet } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GovernanceDenied } from '../../../src/enforce/denied.js';
import { Governor } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { WardenError } from '../../../src/errors.js';
import { governTools } from '../../../src/integrations/ai-sdk/index.js';
import { compilePolicy } from '../../../src/policy/compile.js';

const POLICY = `
apiVersion: warden/v1
kind: Policy
name: shop
default: deny
rules:
  - name: lookups
    tools: [lookup_order]
    effect: allow
  - name: no-big-refunds
    tools: [refund]
    when: "args.amount > 100"
    effect: deny
    reason: Refunds over 100 are never made by agents
  - name: approve-refunds
    tools: [refund]
    when: "args.amount > 10"
    effect: require_approval
    approvers: [finance]
  - name: small-refunds
    tools: [refund]
    effect: allow
`;
const policy = compilePolicy([{ name: 'shop.yaml', text: POLICY }]);

type ModelOptions = NonNullable<ConstructorParameters<typeof MockLanguageModelV3>[0]>;
type GenerateResult = Exclude<ModelOptions['doGenerate'], ((...a: never[]) => unknown) | unknown[] | undefined>;
type StreamResult = Exclude<ModelOptions['doStream'], ((...a: never[]) => unknown) | unknown[] | undefined>;

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

function callTurn(calls: Array<{ id: string; tool: string; input: unknown }>): GenerateResult {
  return {
    content: calls.map((c) => ({ type: 'tool-call' as const, toolCallId: c.id, toolName: c.tool, input: JSON.stringify(c.input) })),
    finishReason: { unified: 'tool-calls', raw: undefined },
    usage,
    warnings: [],
  };
}
const textTurn = (text: string): GenerateResult => ({ content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] });

function streamTurn(calls: Array<{ id: string; tool: string; input: unknown }>, text?: string): StreamResult {
  const parts: unknown[] = [{ type: 'stream-start', warnings: [] }];
  for (const c of calls) parts.push({ type: 'tool-call', toolCallId: c.id, toolName: c.tool, input: JSON.stringify(c.input) });
  if (text !== undefined) parts.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: text }, { type: 'text-end', id: 't' });
  parts.push({ type: 'finish', finishReason: { unified: calls.length > 0 ? 'tool-calls' : 'stop', raw: undefined }, usage });
  return { stream: convertArrayToReadableStream(parts) } as StreamResult;
}

/** The shop's tools, each counting how often its body really ran. */
function shopTools(): { tools: ToolSet; ran: { refund: number; lookup: number; report: number } } {
  const ran = { refund: 0, lookup: 0, report: 0 };
  const tools = {
    refund: tool({
      description: 'Refund an order',
      inputSchema: z.object({ order: z.string(), amount: z.number() }),
      execute: async ({ order, amount }) => {
        ran.refund++;
        return `refunded ${amount} on ${order}`;
      },
    }),
    lookup_order: tool({
      description: 'Look up an order',
      inputSchema: z.object({ order: z.string() }),
      execute: ({ order }) => {
        ran.lookup++;
        return { order, status: 'shipped' };
      },
    }),
    // A streaming tool: preliminary results, then the final one.
    sales_report: tool({
      description: 'Build a report',
      inputSchema: z.object({ region: z.string() }),
      execute: async function* ({ region }) {
        ran.report++;
        yield { status: 'working', region };
        yield { status: 'done', region };
      },
    }),
  };
  return { tools, ran };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-ai-sdk-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('governTools with generateText and the AI SDK mock model', () => {
  it("onDeny: 'throw' ends the run with GovernanceDenied before the model is called again", async () => {
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const { tools, ran } = shopTools();
    const model = new MockLanguageModelV3({ doGenerate: [callTurn([{ id: 'c1', tool: 'refund', input: { order: 'A', amount: 500 } }]), textTurn('never')] });
    const run = generateText({ model, tools: governTools(tools, { governor, onDeny: 'throw' }), prompt: 'x', stopWhen: stepCountIs(3) });
    const error: unknown = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect((error as GovernanceDenied).decision).toMatchObject({ effect: 'deny', rule: 'no-big-refunds' });
    expect(ran.refund).toBe(0);
    expect(model.doGenerateCalls).toHaveLength(1);
  });

  it("onDeny: 'throw' still runs allowed calls and keeps a tool's own toModelOutput", async () => {
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const tools = {
      lookup_order: tool({
        inputSchema: z.object({ order: z.string() }),
        execute: async ({ order }) => ({ order }),
        toModelOutput: ({ output }) => ({ type: 'text', value: `order ${output.order} is fine` }),
      }),
    };
    const model = new MockLanguageModelV3({ doGenerate: [callTurn([{ id: 'c1', tool: 'lookup_order', input: { order: 'Z' } }]), textTurn('ok')] });
    const result = await generateText({ model, tools: governTools(tools, { governor, onDeny: 'throw' }), prompt: 'x', stopWhen: stepCountIs(3) });
    expect(result.text).toBe('ok');
    expect(JSON.stringify(model.doGenerateCalls[1]?.prompt)).toContain('order Z is fine');
  });
});

describe('governTools with streamText', () => {
  it("onDeny: 'throw' fails the stream and the result promises with GovernanceDenied", async () => {
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const { tools, ran } = shopTools();
    const model = new MockLanguageModelV3({ doStream: [streamTurn([{ id: 'c1', tool: 'refund', input: { order: 'A', amount: 500 } }]), streamTurn([], 'never')] });
    const result = streamText({ model, tools: governTools(tools, { governor, onDeny: 'throw' }), prompt: 'x', stopWhen: stepCountIs(3), onError: () => undefined });
    const consumed: unknown = await (async () => {
      for await (const part of result.fullStream) void part;
    })().catch((e: unknown) => e);
    expect(consumed).toBeInstanceOf(GovernanceDenied);
    expect(await Promise.resolve(result.text).catch((e: unknown) => e)).toBeInstanceOf(GovernanceDenied);
    expect(ran.refund).toBe(0);
    expect(model.doStreamCalls).toHaveLength(1);
  });
});

describe('governTools options and shapes', () => {
  const governor = new Governor({ policy, agent: { id: 'bot' } });
  const providerTool = { type: 'provider', id: 'acme.web_search', args: {}, inputSchema: z.object({}) } as unknown as ToolSet[string];

  it('refuses a tool without execute unless it is listed in passThrough', () => {
    expect(() => governTools({ web_search: providerTool }, { governor })).toThrow(expect.objectContaining({ code: 'ERR_UNGOVERNED_TOOL' }) as Error);
    const tools = governTools({ web_search: providerTool }, { governor, passThrough: ['web_search'] });
    expect(tools.web_search).toBe(providerTool);
  });

  it('still governs a tool with execute even when it is listed in passThrough', async () => {
    let ran = 0;
    const tools = governTools({ delete_account: tool({ inputSchema: z.object({}), execute: async () => ++ran }) }, { governor, passThrough: ['delete_account'] });
    await expect(Promise.resolve(tools.delete_account?.execute?.({}, { toolCallId: 'x', messages: [], context: {} }))).resolves.toMatchObject({ warden: 'denied', tool: 'delete_account' });
    expect(ran).toBe(0);
  });

  const badOptions: Array<{ name: string; options: unknown }> = [
    { name: 'no governor', options: {} },
    { name: 'a governor that is not one', options: { governor: { check: true } } },
    { name: 'a typo in onDeny', options: { governor, onDeny: 'error_result' } },
    { name: 'onDeny allow', options: { governor, onDeny: 'allow' } },
  ];
  it.each(badOptions)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ options }) => {
    let error: unknown;
    try {
      governTools({}, options as Parameters<typeof governTools>[1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('ERR_INTEGRATION_OPTIONS');
  });

  it('keeps description and schema, puts the policy in front of needsApproval, and looks up nothing inherited', () => {
    const original = tool({ description: 'Refund', inputSchema: z.object({ amount: z.number() }), needsApproval: true, execute: async () => 1 });
    const tools = governTools({ refund: original }, { governor });
    expect(tools.refund).toMatchObject({ description: 'Refund', inputSchema: original.inputSchema });
    expect(typeof tools.refund?.needsApproval).toBe('function');
    expect(governTools({ refund: original }, { governor, approval: 'handler' }).refund?.needsApproval).toBe(true);
    expect(tools.refund?.execute).not.toBe(original.execute);
    expect((tools as Record<string, unknown>).toString).toBeUndefined();
    expect((tools as Record<string, unknown>).constructor).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('a tool named %s is governed under that name like any other', async (name) => {
    let ran = 0;
    const sink = new MemorySink();
    const raw: Record<string, ToolSet[string]> = {};
    Object.defineProperty(raw, name, { value: tool({ inputSchema: z.object({}), execute: async () => ++ran }), enumerable: true });
    const tools = governTools(raw, { governor: new Governor({ policy, sink }) }) as Record<string, ToolSet[string] | undefined>;
    expect(Object.keys(tools)).toEqual([name]);
    await expect(Promise.resolve(tools[name]?.execute?.({}, { toolCallId: 'c', messages: [], context: {} }))).resolves.toMatchObject({ warden: 'denied', tool: name });
    expect(ran).toBe(0);
    expect(sink.events.map((e) => e.request.tool)).toEqual([name]);
  });

  it('passes the tool exactly the input that was decided, and its own options', async () => {
    const seen: unknown[] = [];
    const sink = new MemorySink();
    const g = new Governor({ policy, sink, agent: { id: 'bot' } });
    const tools = governTools({ lookup_order: tool({ inputSchema: z.object({ order: z.string() }), execute: async (input, options) => seen.push(input, options.toolCallId) }) }, { governor: g, context: { tenant: 't1' } });
    const input = { order: 'Q' };
    await tools.lookup_order?.execute?.(input, { toolCallId: 'call-9', messages: [], context: {} });
    expect(seen).toEqual([{ order: 'Q' }, 'call-9']);
    expect(sink.events[0]?.request.context).toEqual({ tenant: 't1', host: 'ai-sdk', callId: 'call-9' });
  });
});

describe('cost when unused', () => {
  const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
  /** Every module reached from `entry` through value (not type-only) imports: relative ones followed, bare ones collected. */
  function valueImports(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
      const specifiers: string[] = [];
      const walk = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
          const named = node.importClause?.namedBindings;
          const allTypes = !node.importClause?.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
          if (!allTypes) specifiers.push(node.moduleSpecifier.text);
        } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
          specifiers.push(node.moduleSpecifier.text);
        } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
          specifiers.push(node.arguments[0].text);
        }
        ts.forEachChild(node, walk);
      };
      walk(source);
      for (const s of specifiers) {
        if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
        else packages.add(s);
      }
    };
    visit(entry);
    return { files, packages };
  }
  const FRAMEWORKS = ['ai', 'ai/', '@ai-sdk/', '@langchain/', 'langchain', '@openai/agents', 'openai', '@anthropic-ai/', '@google/adk', '@google/genai', '@azure/'];
  const isFramework = (p: string): boolean => FRAMEWORKS.some((f) => (f.endsWith('/') ? p.startsWith(f) : p === f || p.startsWith(`${f}/`)));

  it("importing Warden's root entry point loads no agent framework and no adapter", () => {
    const { files, packages } = valueImports(join(SRC, 'index.ts'));
    expect([...packages].filter(isFramework)).toEqual([]);
    expect([...files].filter((f) => f.includes(`${join('src', 'integrations')}`))).toEqual([]);
  });

  it.each(['ai-sdk', 'openai-agents', 'claude-agent-sdk', 'google-adk', 'azure-ai-agents'])('the %s adapter itself loads nothing of its framework at runtime (types only)', (adapter) => {
    const { packages } = valueImports(join(SRC, `integrations/${adapter}/index.ts`));
    expect([...packages].filter(isFramework)).toEqual([]);
  });

  it('the LangChain subpath loads @langchain/core only (its peer), never langchain or LangGraph', () => {
    const { packages } = valueImports(join(SRC, 'integrations/langchain/index.ts'));
    expect([...packages].filter(isFramework).every((p) => p.startsWith('@langchain/core/'))).toBe(true);
  });
});

describe("approval: 'handler' (the blocking handler, inside the call)", () => {
  it('arguments changed while approval is pending are not run', async () => {
    const sink = new MemorySink();
    const input = { order: 'A', amount: 50 };
    const governor = new Governor({
      policy,
      sink,
      approvalHandler: () => {
        input.amount = 5000;
        return true;
      },
    });
    let ran = 0;
    const tools = governTools({ refund: tool({ inputSchema: z.object({ order: z.string(), amount: z.number() }), execute: async () => ++ran }) }, { governor, approval: 'handler', onDeny: 'error-result' });
    const error: unknown = await Promise.resolve(tools.refund?.execute?.(input, { toolCallId: 'c1', messages: [], context: {} })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect((error as GovernanceDenied).decision.reason).toContain('changed while approval was pending');
    expect(ran).toBe(0);
  });
});

describe('streaming tool outputs', () => {
  it("onDeny: 'throw' also ends the run for a denied streaming tool, whose body never starts", async () => {
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const { tools, ran } = shopTools();
    const model = new MockLanguageModelV3({ doGenerate: [callTurn([{ id: 'c1', tool: 'sales_report', input: { region: 'us' } }]), textTurn('never')] });
    const error: unknown = await generateText({ model, tools: governTools(tools, { governor, onDeny: 'throw' }), prompt: 'x', stopWhen: stepCountIs(3) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect(ran.report).toBe(0);
  });

  it('an execute that returns an AsyncIterable from a plain function gives its last value as the output', async () => {
    const governor = new Governor({ policy });
    async function* progress(): AsyncGenerator<string> {
      yield 'half';
      yield 'all';
    }
    const tools = governTools({ lookup_order: tool({ inputSchema: z.object({ order: z.string() }), execute: () => progress() }) }, { governor });
    const model = new MockLanguageModelV3({ doGenerate: [callTurn([{ id: 'c1', tool: 'lookup_order', input: { order: 'A' } }]), textTurn('ok')] });
    const result = await generateText({ model, tools, prompt: 'x', stopWhen: stepCountIs(3) });
    const part = result.steps[0]?.content.find((p) => p.type === 'tool-result');
    expect(part?.type === 'tool-result' && part.output).toBe('all');
  });
});

/**
 * The LangChain.js / LangGraph.js adapter, driven through LangGraph's real createReactAgent and
 * ToolNode by a scripted chat model (a BaseChatModel subclass: the fakes in
 * @langchain/core/utils/testing cannot play a tool call followed by a final answer), recording
 * into the real file audit sink.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { RunnableLambda } from '@langchain/core/runnables';
import { DynamicTool, tool } from '@langchain/core/tools';
import { Command, MemorySaver, MessagesAnnotation, StateGraph, interrupt } from '@langchain/langgraph';
import { ToolNode, createReactAgent } from '@langchain/langgraph/prebuilt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openFileAuditSink } from '../../../src/audit/file-sink.js';
import { listAuditFiles } from '../../../src/audit/files.js';
import { verifyAuditLog } from '../../../src/audit/verify.js';
import { GovernanceDenied } from '../../../src/enforce/denied.js';
import { Governor, type ApprovalHandler, type ApprovalRequest } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { WardenError } from '../../../src/errors.js';
import { governLangChainTool, governLangChainTools, type LangChainTool } from '../../../src/integrations/langchain/index.js';
import { compilePolicy } from '../../../src/policy/compile.js';

const POLICY = `
apiVersion: warden/v1
kind: Policy
name: shop
default: deny
rules:
  - name: lookups
    tools: [lookup_order, shout]
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

/** A chat model that answers with the scripted messages in order, and records what it was sent. */
class ScriptedChatModel extends BaseChatModel {
  readonly seen: BaseMessage[][] = [];
  readonly #turns: AIMessage[];

  constructor(turns: AIMessage[]) {
    super({});
    this.#turns = [...turns];
  }

  _llmType(): string {
    return 'scripted';
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.seen.push(messages);
    const message = this.#turns.shift() ?? new AIMessage('(no more turns)');
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }

  override bindTools(): this {
    return this;
  }
}

const callsTurn = (calls: Array<{ id: string; name: string; args: Record<string, unknown> }>): AIMessage =>
  new AIMessage({ content: '', tool_calls: calls.map((c) => ({ ...c, type: 'tool_call' as const })) });

function shopTools(): { tools: LangChainTool[]; ran: { refund: number; lookup: number } } {
  const ran = { refund: 0, lookup: 0 };
  const refund = tool(
    async ({ order, amount }) => {
      ran.refund++;
      return `refunded ${amount} on ${order}`;
    },
    { name: 'refund', description: 'Refund an order', schema: z.object({ order: z.string(), amount: z.number() }) },
  );
  const lookup = tool(
    async ({ order }) => {
      ran.lookup++;
      return `order ${order} shipped`;
    },
    { name: 'lookup_order', description: 'Look up an order', schema: z.object({ order: z.string() }) },
  );
  return { tools: [refund, lookup], ran };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-langchain-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface AuditLine {
  type: string;
  agent: { id: string } | null;
  request: { tool: string; args: Record<string, unknown>; context?: Record<string, unknown> };
  decision: { effect: string; rule: string | null };
  outcome?: { executed: boolean; effect?: string; approval?: { approved: boolean } };
}

describe('governLangChainTools in a LangGraph createReactAgent', () => {
  it('runs allowed calls, answers denied ones with an error ToolMessage, routes approvals, and records every call', async () => {
    const logPath = join(dir, 'audit.jsonl');
    const sink = await openFileAuditSink({ path: logPath, fsync: 'never' });
    const asked: ApprovalRequest[] = [];
    const approvalHandler: ApprovalHandler = (ask) => {
      asked.push(ask);
      return ask.request.args.order === 'A-approve';
    };
    const governor = new Governor({ policy, sink, agent: { id: 'graph-agent', roles: ['support'] }, approvalHandler });
    const { tools, ran } = shopTools();
    const llm = new ScriptedChatModel([
      callsTurn([
        { id: 'c-small', name: 'refund', args: { order: 'A-small', amount: 5 } },
        { id: 'c-big', name: 'refund', args: { order: 'A-big', amount: 500 } },
        { id: 'c-yes', name: 'refund', args: { order: 'A-approve', amount: 50 } },
        { id: 'c-no', name: 'refund', args: { order: 'A-refuse', amount: 50 } },
        { id: 'c-look', name: 'lookup_order', args: { order: 'A-small' } },
      ]),
      new AIMessage('all done'),
    ]);
    const agent = createReactAgent({ llm, tools: governLangChainTools(tools, { governor }) });
    const out = await agent.invoke({ messages: [{ role: 'user', content: 'sort out the refunds' }] });
    await sink.close();

    expect(ran).toEqual({ refund: 2, lookup: 1 });
    const toolMessages = new Map(out.messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m)).map((m) => [m.tool_call_id, m]));
    expect(['c-small', 'c-big', 'c-yes', 'c-no', 'c-look'].map((id) => toolMessages.get(id)?.status)).toEqual(['success', 'error', 'success', 'error', 'success']);
    expect(toolMessages.get('c-big')?.content).toBe('Warden denied "refund": Refunds over 100 are never made by agents');
    expect(toolMessages.get('c-big')?.artifact).toEqual({ warden: { effect: 'deny', rule: 'no-big-refunds', policy: 'shop', reason: 'Refunds over 100 are never made by agents' } });
    expect(String(toolMessages.get('c-small')?.content)).toBe('refunded 5 on A-small');
    expect(out.messages.at(-1)?.content).toBe('all done');
    // The model's second turn saw the denial.
    expect(llm.seen[1]?.some((m) => ToolMessage.isInstance(m) && m.status === 'error' && String(m.content).includes('Refunds over 100'))).toBe(true);

    expect(asked.map((a) => [a.request.args.order, a.request.context?.callId, a.request.context?.host]).sort()).toEqual([
      ['A-approve', 'c-yes', 'langchain'],
      ['A-refuse', 'c-no', 'langchain'],
    ]);

    expect((await verifyAuditLog(await listAuditFiles(logPath))).ok).toBe(true);
    const lines = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditLine)
      .filter((l) => l.type === 'decision');
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((l) => l.agent?.id))).toEqual(new Set(['graph-agent']));
    const byCall = new Map(lines.map((l) => [l.request.context?.callId, l]));
    expect(byCall.get('c-small')?.outcome).toMatchObject({ executed: true, effect: 'allow' });
    expect(byCall.get('c-big')?.decision).toMatchObject({ effect: 'deny', rule: 'no-big-refunds' });
    expect(byCall.get('c-big')?.outcome).toMatchObject({ executed: false });
    expect(byCall.get('c-yes')?.outcome).toMatchObject({ executed: true, approval: { approved: true } });
    expect(byCall.get('c-no')?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false } });
    expect(byCall.get('c-look')?.request).toMatchObject({ tool: 'lookup_order', args: { order: 'A-small' }, context: { host: 'langchain' } });
  });

  it('a tool the policy does not name is denied by default and never runs', async () => {
    let ran = 0;
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const wipe = tool(async () => String(++ran), { name: 'delete_account', description: 'Delete', schema: z.object({ id: z.string() }) });
    const llm = new ScriptedChatModel([callsTurn([{ id: 'c1', name: 'delete_account', args: { id: 'u1' } }]), new AIMessage('ok')]);
    const out = await createReactAgent({ llm, tools: governLangChainTools([wipe], { governor }) }).invoke({ messages: [{ role: 'user', content: 'x' }] });
    expect(ran).toBe(0);
    expect(out.messages.find((m) => ToolMessage.isInstance(m))).toMatchObject({ status: 'error' });
  });
});

describe("onDeny: 'throw' in a ToolNode", () => {
  function graphWith(tools: LangChainTool[], handleToolErrors: boolean) {
    return new StateGraph(MessagesAnnotation).addNode('tools', new ToolNode(tools, { handleToolErrors })).addEdge('__start__', 'tools').compile();
  }
  const bigRefund = { messages: [callsTurn([{ id: 'c1', name: 'refund', args: { order: 'A', amount: 500 } }])] };

  it('with handleToolErrors: false the graph run rejects with GovernanceDenied', async () => {
    const { tools, ran } = shopTools();
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const error: unknown = await graphWith(governLangChainTools(tools, { governor, onDeny: 'throw' }), false)
      .invoke(bigRefund)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect((error as GovernanceDenied).decision.rule).toBe('no-big-refunds');
    expect(ran.refund).toBe(0);
  });

  it("with handleToolErrors: true ToolNode turns the denial into its own error ToolMessage", async () => {
    const { tools, ran } = shopTools();
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const out = await graphWith(governLangChainTools(tools, { governor, onDeny: 'throw' }), true).invoke(bigRefund);
    const message = out.messages.at(-1);
    expect(ToolMessage.isInstance(message) && message.status).toBe('error');
    expect(String(message?.content)).toContain('Warden denied "refund": Refunds over 100 are never made by agents');
    expect(ran.refund).toBe(0);
  });

  it('the default tool-message mode answers with the error ToolMessage even when ToolNode does not handle errors', async () => {
    const { tools, ran } = shopTools();
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const out = await graphWith(governLangChainTools(tools, { governor }), false).invoke(bigRefund);
    expect(out.messages.at(-1)).toMatchObject({ status: 'error', tool_call_id: 'c1', content: 'Warden denied "refund": Refunds over 100 are never made by agents' });
    expect(ran.refund).toBe(0);
  });
});

describe('governed tools invoked directly', () => {
  it('return the tool result when allowed and throw GovernanceDenied when not (there is no tool call to answer)', async () => {
    const { tools, ran } = shopTools();
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, agent: { id: 'bot' } });
    const [refund] = governLangChainTools(tools, { governor });
    expect(await refund?.invoke({ order: 'A', amount: 5 })).toBe('refunded 5 on A');
    await expect(refund?.invoke({ order: 'A', amount: 500 })).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran.refund).toBe(1);
    expect(sink.events.map((e) => [e.request.args.amount, e.outcome?.executed, e.request.context])).toEqual([
      [5, true, { host: 'langchain' }],
      [500, false, { host: 'langchain' }],
    ]);
  });

  it('an invalid input is refused by the schema before any decision is made', async () => {
    const { tools, ran } = shopTools();
    const sink = new MemorySink();
    const refund = governLangChainTool(tools[0] as LangChainTool, { governor: new Governor({ policy, sink }) });
    await expect(refund.invoke({ order: 'A', amount: 'lots' } as never)).rejects.toThrow(/did not match expected schema/);
    expect(sink.events).toHaveLength(0);
    expect(ran.refund).toBe(0);
  });

  it('govern a string DynamicTool with its input as args "0"', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const shout = new DynamicTool({ name: 'shout', description: 'Upper-case', func: async (s: string) => s.toUpperCase() });
    const governed = governLangChainTool(shout, { governor });
    expect(await governed.invoke('hey')).toBe('HEY');
    expect(sink.events[0]?.request.args).toEqual({ '0': 'hey' });
  });

  it('govern a runnable turned into a tool with asTool()', async () => {
    const sink = new MemorySink();
    let ran = 0;
    const governor = new Governor({ policy, sink });
    const asTool = RunnableLambda.from(async (input: { order: string }) => {
      ran++;
      return `looked up ${input.order}`;
    }).asTool({ name: 'lookup_order', description: 'Look up', schema: z.object({ order: z.string() }) });
    const governed = governLangChainTool(asTool, { governor });
    expect(await governed.invoke({ order: 'Z' })).toBe('looked up Z');
    const denied = governLangChainTool(
      RunnableLambda.from(async () => ++ran).asTool({ name: 'delete_account', description: 'x', schema: z.object({ id: z.string() }) }),
      { governor },
    );
    await expect(denied.invoke({ id: 'u' })).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran).toBe(1);
  });

  it('a content_and_artifact tool is answered with the error ToolMessage too', async () => {
    let ran = 0;
    const governor = new Governor({ policy });
    const refund = tool(async () => [`ok ${++ran}`, { raw: true }], { name: 'refund', description: 'x', schema: z.object({ order: z.string(), amount: z.number() }), responseFormat: 'content_and_artifact' });
    const governed = governLangChainTool(refund, { governor });
    const denied = await governed.invoke({ name: 'refund', args: { order: 'A', amount: 900 }, id: 'c9', type: 'tool_call' });
    expect(denied).toMatchObject({ status: 'error', tool_call_id: 'c9' });
    const allowed = await governed.invoke({ name: 'refund', args: { order: 'A', amount: 1 }, id: 'c10', type: 'tool_call' });
    expect(allowed).toMatchObject({ status: 'success', content: 'ok 1', artifact: { raw: true } });
    expect(ran).toBe(1);
  });
});

describe('governLangChainTools shapes and options', () => {
  const governor = new Governor({ policy });

  it('keeps name, description, schema and returnDirect', () => {
    const original = tool(async () => 'x', { name: 'lookup_order', description: 'Look up an order', schema: z.object({ order: z.string() }), returnDirect: true });
    const [governed] = governLangChainTools([original], { governor });
    expect(governed).toMatchObject({ name: 'lookup_order', description: 'Look up an order', returnDirect: true });
    expect(governed?.schema).toBe(original.schema);
  });

  it('refuses what cannot be invoked', () => {
    const notATool = { name: 'web_search', schema: { type: 'object', properties: {} } } as unknown as LangChainTool;
    expect(() => governLangChainTools([notATool], { governor })).toThrow(expect.objectContaining({ code: 'ERR_UNGOVERNED_TOOL' }) as Error);
    expect(() => governLangChainTools([{} as LangChainTool], { governor })).toThrow(expect.objectContaining({ code: 'ERR_UNGOVERNED_TOOL' }) as Error);
  });

  const badOptions: Array<{ name: string; options: unknown }> = [
    { name: 'no governor', options: {} },
    { name: 'a typo in onDeny', options: { governor, onDeny: 'toolMessage' } },
    { name: 'onDeny ignore', options: { governor, onDeny: 'ignore' } },
  ];
  it.each(badOptions)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ options }) => {
    let error: unknown;
    try {
      governLangChainTools([], options as Parameters<typeof governLangChainTools>[1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('ERR_INTEGRATION_OPTIONS');
  });
});

describe('side doors on a governed LangChain tool', () => {
  const doors: Array<{ name: string; call: (t: LangChainTool & { batch: (i: unknown[]) => Promise<unknown>; stream: (i: unknown) => Promise<AsyncIterable<unknown>> }) => Promise<unknown> }> = [
    { name: 'invoke', call: (t) => t.invoke({ order: 'A', amount: 500 }) },
    { name: 'batch', call: (t) => t.batch([{ order: 'A', amount: 500 }, { order: 'B', amount: 900 }]) },
    {
      name: 'stream',
      call: async (t) => {
        for await (const chunk of await t.stream({ order: 'A', amount: 500 })) void chunk;
      },
    },
    { name: 'invoke with a tool call', call: (t) => t.invoke({ name: 'refund', args: { order: 'A', amount: 500 }, id: 'c1', type: 'tool_call' }) },
  ];
  it.each(doors)('$name is decided first and a denied call never runs', async ({ call }) => {
    const { tools, ran } = shopTools();
    const sink = new MemorySink();
    const [refund] = governLangChainTools(tools, { governor: new Governor({ policy, sink }) });
    await call(refund as never).catch((e: unknown) => e);
    expect(ran.refund).toBe(0);
    expect(sink.events.length).toBeGreaterThan(0);
    expect(sink.events.every((e) => e.outcome?.executed === false)).toBe(true);
  });

  it('arguments changed while approval is pending are not run', async () => {
    const { tools, ran } = shopTools();
    let seen: Record<string, unknown> | undefined;
    const governor = new Governor({
      policy,
      approvalHandler: (ask) => {
        seen = ask.request.args as Record<string, unknown>;
        return true;
      },
    });
    // A tool whose parsed input object is shared with code that changes it during the approval.
    const shared = { order: 'A', amount: 50 };
    const [refund] = governLangChainTools(tools, { governor });
    const governed = refund as unknown as { func: (input: unknown) => Promise<unknown> };
    const pending = governed.func(shared);
    shared.amount = 5000;
    await expect(pending).rejects.toBeInstanceOf(GovernanceDenied);
    expect(seen).toEqual({ order: 'A', amount: 50 });
    expect(ran.refund).toBe(0);
  });
});

describe('governLangChainTools with LangGraph interrupt(): approvals pause the graph natively', () => {
  function graph(tools: LangChainTool[]) {
    return new StateGraph(MessagesAnnotation).addNode('tools', new ToolNode(tools)).addEdge('__start__', 'tools').compile({ checkpointer: new MemorySaver() });
  }
  const thread = (id: string) => ({ configurable: { thread_id: id } });
  const midRefund = (args: Record<string, unknown> = { order: 'M', amount: 50 }) => ({ messages: [callsTurn([{ id: 'call_mid', name: 'refund', args }])] });

  it('pauses with a human-in-the-loop interrupt; an approving resume runs exactly that call, recorded with who approved', async () => {
    const { tools, ran } = shopTools();
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, agent: { id: 'bot' } });
    const g = graph(governLangChainTools(tools, { governor, interrupt, approver: 'alice' }));
    const first = await g.invoke(midRefund(), thread('i1'));
    const ask = (first as { __interrupt__?: Array<{ value: { actionRequests: unknown[]; warden: { call: string; requestDigest: string } } }> }).__interrupt__?.[0]?.value;
    expect(ask?.actionRequests).toEqual([{ name: 'refund', args: { order: 'M', amount: 50 }, description: expect.any(String) }]);
    expect(ask?.warden.call).toBe('call_mid');
    expect(ran.refund).toBe(0);
    const second = await g.invoke(new Command({ resume: { decisions: [{ type: 'approve' }] } }), thread('i1'));
    expect(ran.refund).toBe(1);
    expect(String(second.messages.at(-1)?.content)).toBe('refunded 50 on M');
    expect(sink.events.map((e) => [e.call, e.outcome?.effect, e.outcome?.executed, e.outcome?.approval?.by])).toEqual([
      ['call_mid', 'require_approval', false, undefined],
      ['call_mid', 'allow', true, 'alice'],
    ]);
    expect(sink.events[1]?.outcome?.approval?.requestDigest).toBe(ask?.warden.requestDigest);
  });

  it('a rejecting resume answers with an error ToolMessage and never runs the call', async () => {
    const { tools, ran } = shopTools();
    const governor = new Governor({ policy, sink: new MemorySink(), agent: { id: 'bot' } });
    const g = graph(governLangChainTools(tools, { governor, interrupt }));
    await g.invoke(midRefund(), thread('i2'));
    const second = await g.invoke(new Command({ resume: { decisions: [{ type: 'reject', message: 'no' }] } }), thread('i2'));
    const message = second.messages.at(-1) as ToolMessage;
    expect(message.status).toBe('error');
    expect(String(message.content)).toContain('Warden denied "refund"');
    expect(ran.refund).toBe(0);
  });

  // Adversarial: approval flags in the arguments do not approve; benign small refunds are not paused.
  const rows: Array<{ name: string; args: Record<string, unknown>; resume: unknown; runs: boolean }> = [
    { name: 'approved: true in the arguments, rejected by the person', args: { order: 'N', amount: 50, approved: true }, resume: { decisions: [{ type: 'reject' }] }, runs: false },
    { name: 'a resume that is not a decision list', args: { order: 'N', amount: 50 }, resume: { approved: true }, runs: false },
    { name: 'a resume approving twice', args: { order: 'N', amount: 50 }, resume: { decisions: [{ type: 'approve' }, { type: 'approve' }] }, runs: false },
    { name: 'a resume with type Approve', args: { order: 'N', amount: 50 }, resume: { decisions: [{ type: 'Approve' }] }, runs: false },
    { name: 'a plain approval', args: { order: 'N', amount: 50 }, resume: { decisions: [{ type: 'approve' }] }, runs: true },
  ];
  it.each(rows)('$name → runs: $runs', async ({ args, resume, runs }) => {
    const { tools, ran } = shopTools();
    const governor = new Governor({ policy, sink: new MemorySink(), agent: { id: 'bot' } });
    const g = graph(governLangChainTools(tools, { governor, interrupt }));
    const id = `i-${Math.random().toString(36).slice(2)}`;
    await g.invoke(midRefund(args), thread(id));
    await g.invoke(new Command({ resume }), thread(id));
    expect(ran.refund).toBe(runs ? 1 : 0);
  });

  it('an allowed call runs at once, and a denied one is answered with the reason, without any interrupt', async () => {
    const { tools, ran } = shopTools();
    const governor = new Governor({ policy, sink: new MemorySink(), agent: { id: 'bot' } });
    const g = graph(governLangChainTools(tools, { governor, interrupt }));
    const out = await g.invoke({ messages: [callsTurn([{ id: 'c_small', name: 'refund', args: { order: 'S', amount: 5 } }, { id: 'c_big', name: 'refund', args: { order: 'B', amount: 500 } }])] }, thread('i3'));
    expect((out as { __interrupt__?: unknown }).__interrupt__).toBeUndefined();
    expect(ran.refund).toBe(1);
    expect(out.messages.slice(-2).map((m) => String(m.content))).toEqual(['refunded 5 on S', expect.stringContaining('Refunds over 100 are never made by agents')]);
  });

  it('refuses approver without interrupt, and an interrupt that is not a function', () => {
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    expect(() => governLangChainTools([], { governor, approver: 'alice' })).toThrow(expect.objectContaining({ code: 'ERR_INTEGRATION_OPTIONS' }));
    expect(() => governLangChainTools([], { governor, interrupt: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INTEGRATION_OPTIONS' }));
  });
});

/**
 * `wardenMiddleware` in LangChain v1's real `createAgent` graph (langchain 1.5, LangGraph 1.x) with
 * LangChain's own fake chat model (`fakeModel` from `@langchain/core/testing`) and LangGraph's
 * MemorySaver: allowed calls run with the decided arguments, denials answer with an error
 * ToolMessage carrying the reason, and `require_approval` pauses with `interrupt()` and resumes
 * with `Command({ resume })`, bound to the exact call that was paused.
 */
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GovernanceDenied } from '../../../src/enforce/denied.js';
import { Governor } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { wardenMiddleware, type WardenInterrupt, type WardenMiddlewareOptions } from '../../../src/integrations/langchain/index.js';
import { compilePolicy } from '../../../src/policy/compile.js';

const policy = compilePolicy([
  {
    name: 'shop.yaml',
    text: `
apiVersion: warden/v1
kind: Policy
name: shop
default: deny
rules:
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
    reason: Refunds over 10 need finance
  - name: small-refunds
    tools: [refund]
    effect: allow
`,
  },
]);

function setup(options: Omit<WardenMiddlewareOptions, 'governor'> = {}, toolCalls: Array<{ name: string; args: Record<string, unknown>; id: string }> = []) {
  const sink = new MemorySink();
  const governor = new Governor({ policy, sink, agent: { id: 'support-agent' } });
  const ran: unknown[] = [];
  const refund = tool(
    async (input: { order: string; amount: number }) => {
      ran.push(input);
      return `refunded ${input.amount} on ${input.order}`;
    },
    { name: 'refund', description: 'Refund an order', schema: z.object({ order: z.string(), amount: z.number() }) },
  );
  const model = fakeModel().respondWithTools(toolCalls).respond(new AIMessage('done'));
  const agent = createAgent({ model, tools: [refund], middleware: [wardenMiddleware({ governor, ...options })], checkpointer: new MemorySaver() });
  return { sink, governor, ran, agent, model };
}

const toolMessages = (messages: BaseMessage[]): ToolMessage[] => messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m));
const thread = (id: string) => ({ configurable: { thread_id: id } });

describe('wardenMiddleware with createAgent', () => {
  it('runs an allowed call with the decided arguments and records the decision and its outcome under the tool call id', async () => {
    const { sink, ran, agent } = setup({}, [{ name: 'refund', args: { order: 'A', amount: 5 }, id: 'call_small' }]);
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'refund A' }] }, thread('t1'));
    expect(ran).toEqual([{ order: 'A', amount: 5 }]);
    expect(toolMessages(result.messages).map((m) => [m.tool_call_id, m.content, m.status])).toEqual([['call_small', 'refunded 5 on A', 'success']]);
    expect(sink.events.map((e) => [e.call, e.decision.rule, e.outcome?.executed, e.agent?.id])).toEqual([['call_small', 'small-refunds', true, 'support-agent']]);
    expect(sink.outcomes.map((o) => [o.call, o.outcome.status])).toEqual([['call_small', 'ok']]);
  });

  it('a denied call never runs: the model gets a ToolMessage with the reason and status error', async () => {
    const { sink, ran, agent, model } = setup({}, [{ name: 'refund', args: { order: 'B', amount: 500 }, id: 'call_big' }]);
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'refund B' }] }, thread('t2'));
    expect(ran).toEqual([]);
    const [message] = toolMessages(result.messages);
    expect(message?.status).toBe('error');
    expect(message?.content).toBe('Warden denied "refund": Refunds over 100 are never made by agents');
    expect(JSON.stringify(model.calls.at(-1)?.messages)).toContain('Refunds over 100 are never made by agents');
    expect(sink.events.map((e) => [e.call, e.decision.rule, e.outcome?.executed])).toEqual([['call_big', 'no-big-refunds', false]]);
  });

  it("onDeny: 'throw' fails the run, with GovernanceDenied as the cause", async () => {
    const { ran, agent } = setup({ onDeny: 'throw' }, [{ name: 'refund', args: { order: 'B', amount: 500 }, id: 'call_big' }]);
    const error: unknown = await agent.invoke({ messages: [{ role: 'user', content: 'x' }] }, thread('t3')).catch((e: unknown) => e);
    // LangChain wraps a middleware's error in its MiddlewareError; the cause is Warden's denial.
    const cause = (error as { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(GovernanceDenied);
    expect((cause as GovernanceDenied).decision.rule).toBe('no-big-refunds');
    expect(ran).toEqual([]);
  });

  it('require_approval interrupts with a human-in-the-loop request; an approving resume runs exactly that call, recorded with who approved', async () => {
    const { sink, ran, agent } = setup({ approver: 'alice@example.com' }, [{ name: 'refund', args: { order: 'C', amount: 50 }, id: 'call_mid' }]);
    const first = await agent.invoke({ messages: [{ role: 'user', content: 'refund C' }] }, thread('t4'));
    const interrupt = first.__interrupt__?.[0]?.value as WardenInterrupt | undefined;
    expect(interrupt?.actionRequests).toEqual([{ name: 'refund', args: { order: 'C', amount: 50 }, description: 'Refunds over 10 need finance' }]);
    expect(interrupt?.warden).toMatchObject({ call: 'call_mid', rule: 'approve-refunds', approvers: ['finance'] });
    expect(ran).toEqual([]);
    expect(sink.events.map((e) => [e.call, e.decision.effect, e.outcome?.executed])).toEqual([['call_mid', 'require_approval', false]]);

    const second = await agent.invoke(new Command({ resume: { decisions: [{ type: 'approve' }] } }), thread('t4'));
    expect(ran).toEqual([{ order: 'C', amount: 50 }]);
    expect(toolMessages(second.messages).map((m) => m.content)).toEqual(['refunded 50 on C']);
    expect(sink.events).toHaveLength(2);
    expect(sink.events[1]?.outcome).toMatchObject({ executed: true, effect: 'allow', approval: { approved: true, by: 'alice@example.com', requestDigest: interrupt?.warden.requestDigest } });
    expect(sink.outcomes.map((o) => [o.call, o.outcome.status])).toEqual([['call_mid', 'ok']]);
  });

  it('a rejecting resume never runs the call, and the rejection is recorded with who answered', async () => {
    const { sink, ran, agent } = setup({ approver: 'bob' }, [{ name: 'refund', args: { order: 'C', amount: 50 }, id: 'call_mid' }]);
    await agent.invoke({ messages: [{ role: 'user', content: 'refund C' }] }, thread('t5'));
    const second = await agent.invoke(new Command({ resume: { decisions: [{ type: 'reject', message: 'not today' }] } }), thread('t5'));
    expect(ran).toEqual([]);
    const [message] = toolMessages(second.messages);
    expect(message?.status).toBe('error');
    expect(String(message?.content)).toContain('rejected through langchain interrupt() resume (not today)');
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false, by: 'bob' } });
  });

  it('two calls paused in one step each get their own interrupt, answered by interrupt id', async () => {
    const { sink, ran, agent } = setup({}, [
      { name: 'refund', args: { order: 'D', amount: 50 }, id: 'call_d' },
      { name: 'refund', args: { order: 'E', amount: 60 }, id: 'call_e' },
    ]);
    const first = await agent.invoke({ messages: [{ role: 'user', content: 'refund D and E' }] }, thread('t9'));
    const interrupts = (first.__interrupt__ ?? []) as Array<{ id?: string; value: WardenInterrupt }>;
    expect(interrupts.map((i) => i.value.warden.call).sort()).toEqual(['call_d', 'call_e']);
    const resume = Object.fromEntries(interrupts.map((i) => [i.id as string, { decisions: [{ type: i.value.warden.call === 'call_d' ? 'approve' : 'reject' }] }]));
    await agent.invoke(new Command({ resume }), thread('t9'));
    expect(ran).toEqual([{ order: 'D', amount: 50 }]);
    const last = new Map(sink.events.map((e) => [e.call, e.outcome]));
    expect(last.get('call_d')).toMatchObject({ executed: true, approval: { approved: true } });
    expect(last.get('call_e')).toMatchObject({ executed: false, approval: { approved: false } });
  });

  // Each answer other than exactly one { type: 'approve' } is a rejection.
  const answers: Array<{ name: string; resume: unknown }> = [
    { name: 'a bare true', resume: true },
    { name: 'the string "approve"', resume: 'approve' },
    { name: 'an edit decision', resume: { decisions: [{ type: 'edit', editedAction: { name: 'refund', args: { order: 'C', amount: 5000 } } }] } },
    { name: 'two approvals for one call', resume: { decisions: [{ type: 'approve' }, { type: 'approve' }] } },
    { name: 'Approve with a capital', resume: { decisions: [{ type: 'Approve' }] } },
    { name: 'no decisions', resume: { decisions: [] } },
  ];
  it.each(answers)('a resume with $name does not run the call', async ({ resume }) => {
    const { sink, ran, agent } = setup({}, [{ name: 'refund', args: { order: 'C', amount: 50 }, id: 'call_mid' }]);
    await agent.invoke({ messages: [{ role: 'user', content: 'refund C' }] }, thread('t6'));
    await agent.invoke(new Command({ resume }), thread('t6'));
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny' });
  });

  it('a resume whose pause was lost (another process, no shared store) is denied', async () => {
    const sink = new MemorySink();
    const ran: unknown[] = [];
    const refund = tool(async (input: { order: string; amount: number }) => ran.push(input), { name: 'refund', description: 'Refund', schema: z.object({ order: z.string(), amount: z.number() }) });
    const checkpointer = new MemorySaver();
    const model = fakeModel().respondWithTools([{ name: 'refund', args: { order: 'C', amount: 50 }, id: 'call_mid' }]).respond(new AIMessage('done'));
    const first = createAgent({ model, tools: [refund], middleware: [wardenMiddleware({ governor: new Governor({ policy, sink }) })], checkpointer });
    await first.invoke({ messages: [{ role: 'user', content: 'x' }] }, thread('t7'));
    const second = createAgent({ model, tools: [refund], middleware: [wardenMiddleware({ governor: new Governor({ policy, sink }) })], checkpointer });
    await second.invoke(new Command({ resume: { decisions: [{ type: 'approve' }] } }), thread('t7'));
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome?.approval?.reason).toContain('matches no paused call');
  });

  it("approval: 'handler' asks the Governor's blocking handler and never interrupts", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, approvalHandler: () => true });
    const ran: unknown[] = [];
    const refund = tool(async (input: { order: string; amount: number }) => String(ran.push(input)), { name: 'refund', description: 'Refund', schema: z.object({ order: z.string(), amount: z.number() }) });
    const model = fakeModel().respondWithTools([{ name: 'refund', args: { order: 'C', amount: 50 }, id: 'call_mid' }]).respond(new AIMessage('done'));
    const agent = createAgent({ model, tools: [refund], middleware: [wardenMiddleware({ governor, approval: 'handler' })], checkpointer: new MemorySaver() });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'x' }] }, thread('t8'));
    expect(result.__interrupt__).toBeUndefined();
    expect(ran).toEqual([{ order: 'C', amount: 50 }]);
  });

  const bad: Array<{ name: string; options: unknown }> = [
    { name: 'no governor', options: {} },
    { name: 'an unknown onDeny', options: { onDeny: 'tool_message' } },
    { name: 'an unknown approval mode', options: { approval: 'interrupt' } },
    { name: 'an unknown key', options: { interruptOn: {} } },
  ];
  it.each(bad)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ name, options }) => {
    const governor = new Governor({ policy });
    const given = name === 'no governor' ? options : { governor, ...(options as object) };
    expect(() => wardenMiddleware(given as WardenMiddlewareOptions)).toThrow(expect.objectContaining({ code: 'ERR_INTEGRATION_OPTIONS' }) as Error);
  });
});

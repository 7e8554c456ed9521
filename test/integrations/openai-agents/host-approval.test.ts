/**
 * The OpenAI Agents JS adapter in the SDK's own approval flow, against the current release (0.20)
 * and 0.14, each through its real Runner with a scripted Model (the SDK's own Model interface): a
 * policy's `require_approval` interrupts the run, `state.approve()` / `state.reject()` answer it
 * (also across a RunState serialized to a string and restored), and the approval counts only for
 * the exact call that was paused.
 */
import * as current from '@openai/agents';
import * as v014 from 'openai-agents-v014';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Governor } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { governFunctionTools } from '../../../src/integrations/openai-agents/index.js';
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
  - name: small-refunds
    tools: [refund]
    effect: allow
`,
  },
]);

type Sdk = typeof current;
const SDKS: Array<{ name: string; sdk: Sdk }> = [
  { name: '@openai/agents 0.20', sdk: current },
  { name: '@openai/agents 0.14', sdk: v014 as unknown as Sdk },
];

type Output = current.ModelResponse['output'];
const call = (callId: string, name: string, args: unknown): Output[number] => ({ type: 'function_call', callId, name, arguments: JSON.stringify(args), status: 'completed' });
const say = (text: string): Output[number] => ({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] });

function scripted(sdk: Sdk, turns: Output[]): current.Model & { requests: current.ModelRequest[] } {
  const queue = [...turns];
  const requests: current.ModelRequest[] = [];
  return {
    requests,
    async getResponse(request) {
      requests.push(request);
      return { usage: new sdk.Usage(), output: queue.shift() ?? [say('(no more turns)')], responseId: `r${requests.length}` };
    },
    async *getStreamedResponse(request) {
      const response = await this.getResponse(request);
      yield { type: 'response_started' };
      // The stream's item type is narrower than ModelResponse's; these scripted items are all output items.
      yield { type: 'response_done', response: { id: response.responseId ?? 'r', usage: { requests: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 }, output: response.output } } as current.StreamEvent;
    },
  };
}

function outputFor(model: { requests: current.ModelRequest[] }, callId: string): unknown {
  for (const request of model.requests) {
    if (typeof request.input === 'string') continue;
    const item = (request.input as current.AgentInputItem[]).find((i) => i.type === 'function_call_result' && i.callId === callId);
    if (item && item.type === 'function_call_result') return item.output;
  }
  return undefined;
}

function refundTool(sdk: Sdk): { tool: current.Tool; ran: unknown[] } {
  const ran: unknown[] = [];
  const tool = sdk.tool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ order: z.string(), amount: z.number() }),
    execute: async (input) => {
      ran.push(input);
      return `refunded ${input.amount} on ${input.order}`;
    },
  });
  return { tool, ran };
}

describe.each(SDKS)('governFunctionTools with $name', ({ sdk }) => {
  sdk.setTracingDisabled(true);

  it('require_approval interrupts the run; state.approve() resumes it and runs exactly that call, recorded with who approved', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, agent: { id: 'support-agent' } });
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-mid', 'refund', { order: 'A', amount: 50 })], [say('refunded')]]);
    const agent = new sdk.Agent({ name: 'support', model, tools: governFunctionTools([tool], { governor, approver: 'alice@example.com' }) });
    const first = await sdk.run(agent, 'refund A');
    expect(first.interruptions.map((i) => (i.rawItem as { callId?: string }).callId)).toEqual(['c-mid']);
    expect(ran).toEqual([]);
    expect(sink.events.map((e) => [e.call, e.decision.effect, e.outcome?.executed])).toEqual([['c-mid', 'require_approval', false]]);

    first.state.approve(first.interruptions[0] as Parameters<typeof first.state.approve>[0]);
    const second = await sdk.run(agent, first.state);
    expect(second.finalOutput).toBe('refunded');
    expect(ran).toEqual([{ order: 'A', amount: 50 }]);
    expect(sink.events).toHaveLength(2);
    expect(sink.events[1]?.call).toBe('c-mid');
    expect(sink.events[1]?.outcome).toMatchObject({ executed: true, effect: 'allow', approval: { approved: true, by: 'alice@example.com' } });
    expect(sink.outcomes.map((o) => [o.call, o.outcome.status])).toEqual([['c-mid', 'ok']]);
  });

  it('a streamed run is interrupted the same way and resumes streamed after state.approve()', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-mid', 'refund', { order: 'A', amount: 50 })], [say('refunded')]]);
    const agent = new sdk.Agent({ name: 'support', model, tools: governFunctionTools([tool], { governor, approver: 'dana' }) });
    const first = await sdk.run(agent, 'refund A', { stream: true });
    for await (const event of first) void event;
    await first.completed;
    expect(first.interruptions).toHaveLength(1);
    expect(ran).toEqual([]);
    first.state.approve(first.interruptions[0] as Parameters<typeof first.state.approve>[0]);
    const second = await sdk.run(agent, first.state, { stream: true });
    for await (const event of second) void event;
    await second.completed;
    expect(second.finalOutput).toBe('refunded');
    expect(ran).toEqual([{ order: 'A', amount: 50 }]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: true, approval: { approved: true, by: 'dana' } });
  });

  it('the approval survives a RunState serialized to a string and restored (a resume in a later request)', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-mid', 'refund', { order: 'A', amount: 50 })], [say('refunded')]]);
    const agent = new sdk.Agent({ name: 'support', model, tools: governFunctionTools([tool], { governor }) });
    const first = await sdk.run(agent, 'refund A');
    const saved = first.state.toString();
    // Later: the tools are wrapped afresh and the state is restored from the string.
    const agent2 = new sdk.Agent({ name: 'support', model, tools: governFunctionTools([tool], { governor, approver: 'bob' }) });
    const state = await sdk.RunState.fromString(agent2, saved);
    state.approve(state.getInterruptions()[0] as Parameters<typeof state.approve>[0]);
    await sdk.run(agent2, state);
    expect(ran).toEqual([{ order: 'A', amount: 50 }]);
    expect(sink.events.at(-1)?.outcome?.approval).toMatchObject({ approved: true, by: 'bob' });
  });

  it('arguments changed in a restored state after the pause are denied, not run', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-mid', 'refund', { order: 'A', amount: 50 })], [say('ok')]]);
    const agent = new sdk.Agent({ name: 'support', model, tools: governFunctionTools([tool], { governor }) });
    const first = await sdk.run(agent, 'refund A');
    // The serialized state is edited (as a client holding it could): the paused call's amount is raised.
    const tampered = first.state.toString().replaceAll('\\"amount\\":50', '\\"amount\\":99');
    expect(tampered).not.toBe(first.state.toString());
    // Both SDK versions restore the edited state; Warden's binding is what stops it.
    const state = await sdk.RunState.fromString(agent, tampered);
    state.approve(state.getInterruptions()[0] as Parameters<typeof state.approve>[0]);
    await sdk.run(agent, state);
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false } });
    expect(sink.events.at(-1)?.outcome?.approval?.reason).toContain('different request');
    expect(outputFor(model, 'c-mid')).toMatchObject({ text: expect.stringContaining('Approval was not granted') as string });
  });

  it("state.reject() is the SDK's own rejection: the call never runs and the model is told", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-mid', 'refund', { order: 'A', amount: 50 })], [say('not refunded')]]);
    const agent = new sdk.Agent({ name: 'support', model, tools: governFunctionTools([tool], { governor }) });
    const first = await sdk.run(agent, 'refund A');
    first.state.reject(first.interruptions[0] as Parameters<typeof first.state.reject>[0]);
    const second = await sdk.run(agent, first.state);
    expect(second.finalOutput).toBe('not refunded');
    expect(ran).toEqual([]);
    expect(outputFor(model, 'c-mid')).toBeDefined();
  });

  it('a resume whose pause was lost (another process, no shared store) is denied', async () => {
    const sink = new MemorySink();
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-mid', 'refund', { order: 'A', amount: 50 })], [say('ok')]]);
    const first = await sdk.run(new sdk.Agent({ name: 's', model, tools: governFunctionTools([tool], { governor: new Governor({ policy, sink }) }) }), 'refund A');
    const saved = first.state.toString();
    // Another process: another Governor, so another in-process store of pauses.
    const agent2 = new sdk.Agent({ name: 's', model, tools: governFunctionTools([tool], { governor: new Governor({ policy, sink }) }) });
    const state = await sdk.RunState.fromString(agent2, saved);
    state.approve(state.getInterruptions()[0] as Parameters<typeof state.approve>[0]);
    await sdk.run(agent2, state);
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome?.approval?.reason).toContain('matches no paused call');
    expect(outputFor(model, 'c-mid')).toMatchObject({ text: expect.stringContaining('Approval was not granted') as string });
  });

  it('a denied call is rejected with the reason and never offered for approval; an allowed one runs without pausing', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const { tool, ran } = refundTool(sdk);
    const model = scripted(sdk, [[call('c-big', 'refund', { order: 'B', amount: 500 }), call('c-small', 'refund', { order: 'S', amount: 5 })], [say('done')]]);
    const result = await sdk.run(new sdk.Agent({ name: 's', model, tools: governFunctionTools([tool], { governor }) }), 'x');
    expect(result.interruptions).toHaveLength(0);
    expect(ran).toEqual([{ order: 'S', amount: 5 }]);
    expect(outputFor(model, 'c-big')).toMatchObject({ text: 'Warden denied "refund": Refunds over 100 are never made by agents' });
    // One decision per call: needsApproval's decision is the one the guardrail and invoke act on.
    expect(sink.events.map((e) => [e.call, e.decision.rule, e.outcome?.executed]).sort()).toEqual([
      ['c-big', 'no-big-refunds', false],
      ['c-small', 'small-refunds', true],
    ]);
  });
});

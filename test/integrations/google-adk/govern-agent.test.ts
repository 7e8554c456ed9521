/**
 * The Google ADK adapter in ADK's real runner (`InMemoryRunner`, `LlmAgent`, `FunctionTool`), driven
 * by a scripted model written against ADK's own model interface (`BaseLlm`, how ADK runs any model):
 * allowed calls run, denied ones answer with the reason, and `require_approval` asks through ADK's
 * tool confirmation and resumes with the confirmation's function response.
 */
import { BaseLlm, FunctionTool, InMemoryRunner, LlmAgent, type BaseLlmConnection, type Event, type LlmRequest, type LlmResponse } from '@google/adk';
import type { Content } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Governor } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { governAdkAgent, type GovernAdkAgentOptions } from '../../../src/integrations/google-adk/index.js';
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

type Turn = Array<{ id: string; name: string; args: Record<string, unknown> }> | string;

/** Plays scripted turns; a turn after a function response that is not scripted says "done". */
class ScriptedLlm extends BaseLlm {
  readonly requests: LlmRequest[] = [];
  readonly #turns: Turn[];
  constructor(turns: Turn[]) {
    super({ model: 'scripted' });
    this.#turns = [...turns];
  }
  async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    this.requests.push(request);
    const turn = this.#turns.shift() ?? 'done';
    const content: Content = typeof turn === 'string' ? { role: 'model', parts: [{ text: turn }] } : { role: 'model', parts: turn.map((c) => ({ functionCall: { id: c.id, name: c.name, args: c.args } })) };
    yield { content, turnComplete: true };
  }
  connect(): Promise<BaseLlmConnection> {
    return Promise.reject(new Error('live connections are not scripted'));
  }
}

function setup(turns: Turn[], options: Omit<GovernAdkAgentOptions, 'governor'> = {}) {
  const sink = new MemorySink();
  const governor = new Governor({ policy, sink, agent: { id: 'adk-agent' } });
  const ran: unknown[] = [];
  const refund = new FunctionTool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ order: z.string(), amount: z.number() }),
    execute: async (input) => {
      ran.push(input);
      return { refunded: input.amount, order: input.order };
    },
  });
  const model = new ScriptedLlm(turns);
  const warden = governAdkAgent({ governor, ...options });
  const agent = new LlmAgent({ name: 'support', model, instruction: 'help', tools: warden.tools([refund]), ...warden.callbacks });
  const runner = new InMemoryRunner({ agent, appName: 'shop' });
  return { sink, ran, model, runner };
}

async function turn(runner: InMemoryRunner, sessionId: string, message: Content): Promise<Event[]> {
  const events: Event[] = [];
  for await (const event of runner.runAsync({ userId: 'u1', sessionId, newMessage: message })) events.push(event);
  return events;
}

async function session(runner: InMemoryRunner): Promise<string> {
  return (await runner.sessionService.createSession({ appName: 'shop', userId: 'u1' })).id;
}

/** What the model got back as the function response for a call id. */
function responseFor(model: ScriptedLlm, id: string): unknown {
  for (const request of model.requests) {
    for (const content of request.contents ?? []) {
      for (const part of content.parts ?? []) if (part.functionResponse?.id === id) return part.functionResponse.response;
    }
  }
  return undefined;
}

function confirmationCall(events: Event[]): { id: string; args: Record<string, unknown> } | undefined {
  for (const e of events) {
    for (const part of e.content?.parts ?? []) {
      if (part.functionCall?.name === 'adk_request_confirmation') return { id: part.functionCall.id ?? '', args: (part.functionCall.args ?? {}) as Record<string, unknown> };
    }
  }
  return undefined;
}

describe('governAdkAgent with the ADK runner', () => {
  it('runs an allowed call and answers a denied one with the reason, recording both under the function call id', async () => {
    const { sink, ran, model, runner } = setup([
      [
        { id: 'fc-small', name: 'refund', args: { order: 'A', amount: 5 } },
        { id: 'fc-big', name: 'refund', args: { order: 'B', amount: 500 } },
      ],
      'done',
    ]);
    await turn(runner, await session(runner), { role: 'user', parts: [{ text: 'refunds' }] });
    expect(ran).toEqual([{ order: 'A', amount: 5 }]);
    expect(responseFor(model, 'fc-big')).toEqual({ error: 'Warden denied "refund": Refunds over 100 are never made by agents' });
    expect(sink.events.map((e) => [e.call, e.decision.rule, e.outcome?.executed, e.agent?.id]).sort()).toEqual([
      ['fc-big', 'no-big-refunds', false, 'adk-agent'],
      ['fc-small', 'small-refunds', true, 'adk-agent'],
    ]);
    expect(sink.outcomes.map((o) => [o.call, o.outcome.status])).toEqual([['fc-small', 'ok']]);
  });

  it('require_approval asks through tool confirmation; a confirming response runs exactly that call, recorded with who approved', async () => {
    const { sink, ran, runner } = setup([[{ id: 'fc-mid', name: 'refund', args: { order: 'C', amount: 50 } }], 'done'], { approver: 'alice@example.com' });
    const id = await session(runner);
    const first = await turn(runner, id, { role: 'user', parts: [{ text: 'refund C' }] });
    const ask = confirmationCall(first);
    expect(ask?.id).toBeTruthy();
    expect(ran).toEqual([]);
    expect(sink.events.map((e) => [e.call, e.decision.effect, e.outcome?.executed])).toEqual([['fc-mid', 'require_approval', false]]);
    await turn(runner, id, { role: 'user', parts: [{ functionResponse: { id: ask?.id, name: 'adk_request_confirmation', response: { confirmed: true } } }] });
    expect(ran).toEqual([{ order: 'C', amount: 50 }]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: true, effect: 'allow', approval: { approved: true, by: 'alice@example.com' } });
  });

  it('a refusing confirmation never runs the call and is recorded as a rejection', async () => {
    const { sink, ran, runner } = setup([[{ id: 'fc-mid', name: 'refund', args: { order: 'C', amount: 50 } }], 'done'], { approver: 'bob' });
    const id = await session(runner);
    const ask = confirmationCall(await turn(runner, id, { role: 'user', parts: [{ text: 'refund C' }] }));
    await turn(runner, id, { role: 'user', parts: [{ functionResponse: { id: ask?.id, name: 'adk_request_confirmation', response: { confirmed: false } } }] });
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false, by: 'bob' } });
  });

  it('a confirmation that reaches a process which did not pause the call fails closed: the run is refused and the tool never runs', async () => {
    const first = setup([[{ id: 'fc-mid', name: 'refund', args: { order: 'C', amount: 50 } }], 'done']);
    const id = await session(first.runner);
    const ask = confirmationCall(await turn(first.runner, id, { role: 'user', parts: [{ text: 'refund C' }] }));
    // The same session, resumed through tools governed by another Governor (another process).
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const warden = governAdkAgent({ governor });
    const ran: unknown[] = [];
    const refund = new FunctionTool({ name: 'refund', description: 'Refund', parameters: z.object({ order: z.string(), amount: z.number() }), execute: async (input) => ran.push(input) });
    const agent = new LlmAgent({ name: 'support', model: new ScriptedLlm(['done']), instruction: 'help', tools: warden.tools([refund]), ...warden.callbacks });
    const runner = new InMemoryRunner({ agent, appName: 'shop' });
    (runner as unknown as { sessionService: unknown }).sessionService = first.runner.sessionService;
    const error: unknown = await turn(runner, id, { role: 'user', parts: [{ functionResponse: { id: ask?.id, name: 'adk_request_confirmation', response: { confirmed: true } } }] }).catch((e: unknown) => e);
    expect(ran).toEqual([]);
    expect(first.ran).toEqual([]);
    expect(String(error)).toContain('confirmation_not_required');
  });

  it("a tool's own confirmation gate still applies to calls Warden did not pause", async () => {
    const warden = governAdkAgent({ governor: new Governor({ policy }) });
    const gated = new FunctionTool({ name: 'refund', description: 'Refund', parameters: z.object({ order: z.string(), amount: z.number() }), requireConfirmation: true, execute: async () => 'x' });
    const [view] = warden.tools([gated]);
    expect(await view?.checkRequireConfirmation({ order: 'A', amount: 1 })).toBe(true);
    const plain = new FunctionTool({ name: 'refund', description: 'Refund', parameters: z.object({ order: z.string(), amount: z.number() }), execute: async () => 'x' });
    const [plainView] = warden.tools([plain]);
    expect(await plainView?.checkRequireConfirmation({ order: 'A', amount: 1 })).toBe(false);
    expect(plainView?.name).toBe('refund');
  });

  const bad: Array<{ name: string; options: unknown }> = [
    { name: 'no governor', options: {} },
    { name: 'an empty approver', options: { approver: '' } },
    { name: 'an unknown key', options: { onDeny: 'throw' } },
  ];
  it.each(bad)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ name, options }) => {
    const given = name === 'no governor' ? options : { governor: new Governor({ policy }), ...(options as object) };
    expect(() => governAdkAgent(given as GovernAdkAgentOptions)).toThrow(expect.objectContaining({ code: 'ERR_INTEGRATION_OPTIONS' }) as Error);
  });
});

/**
 * The OpenAI Agents JS adapter, driven through the SDK's real Runner by a scripted Model (the
 * SDK's own Model interface: a custom model is how the SDK runs without the network), recording
 * into the real file audit sink.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Agent,
  RunContext,
  ToolCallError,
  ToolInputGuardrailTripwireTriggered,
  Usage,
  run,
  setTracingDisabled,
  tool,
  webSearchTool,
  type AgentInputItem,
  type FunctionTool,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type StreamEvent,
  type Tool,
} from '@openai/agents';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openFileAuditSink } from '../../../src/audit/file-sink.js';
import { listAuditFiles } from '../../../src/audit/files.js';
import { verifyAuditLog } from '../../../src/audit/verify.js';
import { GovernanceDenied } from '../../../src/enforce/denied.js';
import { Governor, type ApprovalHandler, type ApprovalRequest } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { WardenError } from '../../../src/errors.js';
import { governFunctionTools } from '../../../src/integrations/openai-agents/index.js';
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

type Output = ModelResponse['output'];
const call = (callId: string, name: string, args: unknown): Output[number] => ({ type: 'function_call', callId, name, arguments: JSON.stringify(args), status: 'completed' });
const say = (text: string): Output[number] => ({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] });

/** Plays the scripted turns in order and keeps every request it was sent. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  readonly #turns: Output[];

  constructor(turns: Output[]) {
    this.#turns = [...turns];
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return { usage: new Usage(), output: this.#turns.shift() ?? [say('(no more turns)')], responseId: `r${this.requests.length}` };
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const response = await this.getResponse(request);
    yield { type: 'response_started' };
    // The stream's item type is narrower than ModelResponse's; these scripted items are all output items.
    yield { type: 'response_done', response: { id: response.responseId ?? 'r', usage: { requests: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 }, output: response.output } } as StreamEvent;
  }
}

/** What the model got back for a call id on its later turns. */
function outputFor(model: ScriptedModel, callId: string): unknown {
  for (const request of model.requests) {
    if (typeof request.input === 'string') continue;
    const item = (request.input as AgentInputItem[]).find((i) => i.type === 'function_call_result' && i.callId === callId);
    if (item && item.type === 'function_call_result') return item.output;
  }
  return undefined;
}

function shopTools(): { tools: Tool[]; ran: { refund: number; lookup: number } } {
  const ran = { refund: 0, lookup: 0 };
  const refund = tool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ order: z.string(), amount: z.number() }),
    execute: async ({ order, amount }) => {
      ran.refund++;
      return `refunded ${amount} on ${order}`;
    },
  });
  const lookup = tool({
    name: 'lookup_order',
    description: 'Look up an order',
    parameters: z.object({ order: z.string() }),
    execute: async ({ order }) => {
      ran.lookup++;
      return `order ${order} shipped`;
    },
  });
  return { tools: [refund, lookup], ran };
}

beforeAll(() => {
  setTracingDisabled(true);
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-openai-agents-'));
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

describe('governFunctionTools with the Runner and a scripted model', () => {
  it("runs allowed calls, rejects denied ones through the guardrail, routes approvals to the handler (approval: 'handler'), and records every call", async () => {
    const logPath = join(dir, 'audit.jsonl');
    const sink = await openFileAuditSink({ path: logPath, fsync: 'never' });
    const asked: ApprovalRequest[] = [];
    const approvalHandler: ApprovalHandler = (ask) => {
      asked.push(ask);
      return ask.request.args.order === 'A-approve';
    };
    const governor = new Governor({ policy, sink, agent: { id: 'support-agent', roles: ['support'] }, approvalHandler });
    const { tools, ran } = shopTools();
    const model = new ScriptedModel([
      [
        call('c-small', 'refund', { order: 'A-small', amount: 5 }),
        call('c-big', 'refund', { order: 'A-big', amount: 500 }),
        call('c-yes', 'refund', { order: 'A-approve', amount: 50 }),
        call('c-no', 'refund', { order: 'A-refuse', amount: 50 }),
        call('c-look', 'lookup_order', { order: 'A-small' }),
      ],
      [say('all done')],
    ]);
    const agent = new Agent({ name: 'support', model, tools: governFunctionTools(tools, { governor, approval: 'handler' }) });
    const result = await run(agent, 'sort out the refunds');
    await sink.close();

    expect(result.finalOutput).toBe('all done');
    expect(ran).toEqual({ refund: 2, lookup: 1 });
    expect(outputFor(model, 'c-small')).toMatchObject({ type: 'text', text: 'refunded 5 on A-small' });
    expect(outputFor(model, 'c-big')).toMatchObject({ type: 'text', text: 'Warden denied "refund": Refunds over 100 are never made by agents' });
    expect(outputFor(model, 'c-no')).toMatchObject({ type: 'text', text: expect.stringContaining('Approval was not granted') as string });

    // The SDK reports Warden's guardrail results like any other tool input guardrail.
    const wardenResults = result.toolInputGuardrailResults.filter((r) => r.guardrail.name === 'warden');
    expect(wardenResults).toHaveLength(5);
    expect(wardenResults.map((r) => r.output.behavior.type).sort()).toEqual(['allow', 'allow', 'allow', 'rejectContent', 'rejectContent']);
    expect(wardenResults.map((r) => (r.output.outputInfo as { warden: { rule: string | null } }).warden.rule)).toContain('no-big-refunds');

    expect(asked.map((a) => [a.request.args.order, a.request.context?.callId, a.request.context?.host]).sort()).toEqual([
      ['A-approve', 'c-yes', 'openai-agents'],
      ['A-refuse', 'c-no', 'openai-agents'],
    ]);

    expect((await verifyAuditLog(await listAuditFiles(logPath))).ok).toBe(true);
    const lines = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditLine)
      .filter((l) => l.type === 'decision');
    // One decision per call: the guardrail's allow is what invoke runs on, not a second decision.
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((l) => l.agent?.id))).toEqual(new Set(['support-agent']));
    const byCall = new Map(lines.map((l) => [l.request.context?.callId, l]));
    expect(byCall.get('c-small')?.outcome).toMatchObject({ executed: true, effect: 'allow' });
    expect(byCall.get('c-big')?.decision).toMatchObject({ effect: 'deny', rule: 'no-big-refunds' });
    expect(byCall.get('c-big')?.outcome).toMatchObject({ executed: false });
    expect(byCall.get('c-yes')?.outcome).toMatchObject({ executed: true, approval: { approved: true } });
    expect(byCall.get('c-no')?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false } });
    expect(byCall.get('c-look')?.request).toMatchObject({ tool: 'lookup_order', args: { order: 'A-small' }, context: { host: 'openai-agents' } });
  });

  it('governs a streamed run the same way', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, agent: { id: 'streamer' } });
    const { tools, ran } = shopTools();
    const model = new ScriptedModel([[call('c1', 'refund', { order: 'S', amount: 1 }), call('c2', 'refund', { order: 'S', amount: 999 })], [say('ok')]]);
    const result = await run(new Agent({ name: 'a', model, tools: governFunctionTools(tools, { governor }) }), 'x', { stream: true });
    for await (const event of result) void event;
    await result.completed;
    expect(result.finalOutput).toBe('ok');
    expect(ran.refund).toBe(1);
    expect(sink.events.map((e) => [e.request.context?.callId, e.outcome?.executed, e.agent?.id])).toEqual([
      ['c1', true, 'streamer'],
      ['c2', false, 'streamer'],
    ]);
  });

  it('a tool the policy does not name is denied by default and never runs', async () => {
    let ran = 0;
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const wipe = tool({ name: 'delete_account', description: 'Delete', parameters: z.object({ id: z.string() }), execute: async () => String(++ran) });
    const model = new ScriptedModel([[call('c1', 'delete_account', { id: 'u1' })], [say('ok')]]);
    await run(new Agent({ name: 'a', model, tools: governFunctionTools([wipe], { governor }) }), 'x');
    expect(ran).toBe(0);
    expect(outputFor(model, 'c1')).toMatchObject({ text: expect.stringContaining('Warden denied "delete_account"') as string });
  });

  it("onDeny: 'throw' fails the run with the guardrail's throwException tripwire carrying the decision", async () => {
    const governor = new Governor({ policy, agent: { id: 'bot' } });
    const { tools, ran } = shopTools();
    const model = new ScriptedModel([[call('c1', 'refund', { order: 'A', amount: 500 })], [say('never')]]);
    const error: unknown = await run(new Agent({ name: 'a', model, tools: governFunctionTools(tools, { governor, onDeny: 'throw' }) }), 'x').catch((e: unknown) => e);
    // The SDK reports a tool's failure as ToolCallError; its error is the guardrail's tripwire.
    expect(error).toBeInstanceOf(ToolCallError);
    const tripwire = (error as ToolCallError).error;
    expect(tripwire).toBeInstanceOf(ToolInputGuardrailTripwireTriggered);
    const info = (tripwire as ToolInputGuardrailTripwireTriggered).result.output.outputInfo as { warden: { rule: string; reason: string } };
    expect(info.warden).toMatchObject({ rule: 'no-big-refunds', reason: 'Refunds over 100 are never made by agents' });
    expect(ran.refund).toBe(0);
    expect(model.requests).toHaveLength(1);
  });

  it("a tool's own guardrail that rejects first keeps the call from running (Warden decided it earlier, in needsApproval)", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    let ran = 0;
    const guarded = tool({
      name: 'lookup_order',
      description: 'x',
      parameters: z.object({ order: z.string() }),
      execute: async () => String(++ran),
      inputGuardrails: [{ name: 'own', run: async () => ({ behavior: { type: 'rejectContent', message: 'own guardrail says no' } }) }],
    });
    const model = new ScriptedModel([[call('c1', 'lookup_order', { order: 'Z' })], [say('ok')]]);
    await run(new Agent({ name: 'a', model, tools: governFunctionTools([guarded], { governor }) }), 'x');
    expect(ran).toBe(0);
    expect(sink.events.map((e) => e.decision.rule)).toEqual(['lookups']);
    expect(sink.outcomes).toHaveLength(0);
    expect(outputFor(model, 'c1')).toMatchObject({ text: 'own guardrail says no' });
  });

  it("a tool's own needsApproval is not asked for a call the policy denies: it is rejected, never offered for approval", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, agent: { id: 'bot' } });
    let ran = 0;
    const gated = tool({ name: 'refund', description: 'x', parameters: z.object({ order: z.string(), amount: z.number() }), needsApproval: true, execute: async () => String(++ran) });
    const model = new ScriptedModel([[call('c1', 'refund', { order: 'A', amount: 500 })], [say('ok')]]);
    const agent = new Agent({ name: 'a', model, tools: governFunctionTools([gated], { governor }) });
    const first = await run(agent, 'x');
    expect(first.interruptions).toHaveLength(0);
    expect(ran).toBe(0);
    expect(outputFor(model, 'c1')).toMatchObject({ text: 'Warden denied "refund": Refunds over 100 are never made by agents' });
    expect(sink.events.map((e) => [e.decision.rule, e.outcome?.executed])).toEqual([['no-big-refunds', false]]);
  });
});

describe('the invoke binding', () => {
  const runContext = new RunContext();
  const details = (callId: string, args: string) => ({ toolCall: { type: 'function_call' as const, callId, name: 'refund', arguments: args } });
  const wardenGuardrail = (t: FunctionTool) => {
    const g = t.inputGuardrails?.find((x) => x.name === 'warden');
    if (!g) throw new Error('no warden guardrail');
    return g;
  };
  const agent = new Agent({ name: 'a' });

  it('runs a direct call the policy allows and answers a denied one with the reason (never running it)', async () => {
    const sink = new MemorySink();
    const { tools, ran } = shopTools();
    const [refund] = governFunctionTools(tools, { governor: new Governor({ policy, sink }) }) as FunctionTool[];
    expect(await refund?.invoke(runContext, JSON.stringify({ order: 'A', amount: 5 }))).toBe('refunded 5 on A');
    expect(await refund?.invoke(runContext, JSON.stringify({ order: 'A', amount: 500 }))).toBe('Warden denied "refund": Refunds over 100 are never made by agents');
    expect(ran.refund).toBe(1);
    expect(sink.events).toHaveLength(2);
  });

  it("throws GovernanceDenied from a direct call in 'throw' mode", async () => {
    const { tools, ran } = shopTools();
    const [refund] = governFunctionTools(tools, { governor: new Governor({ policy }), onDeny: 'throw' }) as FunctionTool[];
    await expect(refund?.invoke(runContext, JSON.stringify({ order: 'A', amount: 500 }))).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran.refund).toBe(0);
  });

  const rebinding: Array<{ name: string; decidedArgs: unknown; runArgs: unknown; callId: string; runs: number; decisions: number }> = [
    { name: 'the exact call the guardrail allowed runs without a second decision', decidedArgs: { order: 'A', amount: 5 }, runArgs: { order: 'A', amount: 5 }, callId: 'c1', runs: 1, decisions: 1 },
    { name: 'other arguments under the same call id are decided again (and denied)', decidedArgs: { order: 'A', amount: 5 }, runArgs: { order: 'A', amount: 500 }, callId: 'c1', runs: 0, decisions: 2 },
    { name: 'the same arguments re-spaced are decided again (allowed)', decidedArgs: { order: 'A', amount: 5 }, runArgs: ' {"order":"A","amount":5}', callId: 'c1', runs: 1, decisions: 2 },
  ];
  it.each(rebinding)('$name', async ({ decidedArgs, runArgs, callId, runs, decisions }) => {
    const sink = new MemorySink();
    const { tools, ran } = shopTools();
    const [refund] = governFunctionTools(tools, { governor: new Governor({ policy, sink }) }) as FunctionTool[];
    const decided = JSON.stringify(decidedArgs);
    const out = await wardenGuardrail(refund as FunctionTool).run({ context: runContext, agent, toolCall: details(callId, decided).toolCall });
    expect(out.behavior.type).toBe('allow');
    const input = typeof runArgs === 'string' ? runArgs : JSON.stringify(runArgs);
    await refund?.invoke(runContext, input, details(callId, input));
    expect(ran.refund).toBe(runs);
    expect(sink.events).toHaveLength(decisions);
  });

  it('an allow is used once: running the same call twice decides the second time', async () => {
    const sink = new MemorySink();
    const { tools, ran } = shopTools();
    const [refund] = governFunctionTools(tools, { governor: new Governor({ policy, sink }) }) as FunctionTool[];
    const args = JSON.stringify({ order: 'A', amount: 5 });
    await wardenGuardrail(refund as FunctionTool).run({ context: runContext, agent, toolCall: details('c1', args).toolCall });
    await refund?.invoke(runContext, args, details('c1', args));
    await refund?.invoke(runContext, args, details('c1', args));
    expect(ran.refund).toBe(2);
    // The guardrail's decision, then a fresh one for the second run.
    expect(sink.events).toHaveLength(2);
  });

  it('when the pending decisions are full the oldest is dropped and its call is decided again', async () => {
    const sink = new MemorySink();
    const { tools, ran } = shopTools();
    const [refund] = governFunctionTools(tools, { governor: new Governor({ policy, sink }), maxPendingDecisions: 1 }) as FunctionTool[];
    const a = JSON.stringify({ order: 'A', amount: 1 });
    const b = JSON.stringify({ order: 'B', amount: 2 });
    await wardenGuardrail(refund as FunctionTool).run({ context: runContext, agent, toolCall: details('ca', a).toolCall });
    await wardenGuardrail(refund as FunctionTool).run({ context: runContext, agent, toolCall: details('cb', b).toolCall });
    await refund?.invoke(runContext, a, details('ca', a));
    await refund?.invoke(runContext, b, details('cb', b));
    expect(ran.refund).toBe(2);
    expect(sink.events).toHaveLength(3);
  });

  const oddInputs: Array<{ name: string; input: string; args: Record<string, unknown> }> = [
    { name: 'not JSON', input: 'refund everything', args: { '0': 'refund everything' } },
    { name: 'a JSON array', input: '[1,2]', args: { '0': [1, 2] } },
    { name: 'a JSON string', input: '"x"', args: { '0': 'x' } },
    { name: 'JSON null', input: 'null', args: { '0': null } },
    { name: 'an approval flag in the arguments', input: '{"order":"A","amount":50,"approved":true}', args: { order: 'A', amount: 50, approved: true } },
  ];
  it.each(oddInputs)('decides $name as data and does not run it', async ({ input, args }) => {
    const sink = new MemorySink();
    const { tools, ran } = shopTools();
    const [refund] = governFunctionTools(tools, { governor: new Governor({ policy, sink }) }) as FunctionTool[];
    await refund?.invoke(runContext, input, details('c1', input));
    expect(sink.events[0]?.request.args).toEqual(args);
    expect(sink.events[0]?.outcome?.executed).toBe(false);
    expect(ran.refund).toBe(0);
  });
});

describe('governFunctionTools shapes and options', () => {
  const governor = new Governor({ policy });

  it('keeps name, description, parameters and strictness, and adds the warden guardrail last', () => {
    const own = { type: 'tool_input' as const, name: 'own', run: async () => ({ behavior: { type: 'allow' as const } }) };
    const original = tool({ name: 'lookup_order', description: 'Look up', parameters: z.object({ order: z.string() }), execute: async () => 'x', inputGuardrails: [own] });
    const [governed] = governFunctionTools([original], { governor }) as FunctionTool[];
    expect(governed).toMatchObject({ type: 'function', name: 'lookup_order', description: 'Look up', parameters: original.parameters, strict: true });
    expect(governed?.inputGuardrails?.map((g) => g.name)).toEqual(['own', 'warden']);
    expect(original.inputGuardrails?.map((g) => g.name)).toEqual(['own']);
  });

  it('refuses a hosted tool unless it is listed in passThrough', () => {
    const search = webSearchTool();
    expect(() => governFunctionTools([search], { governor })).toThrow(expect.objectContaining({ code: 'ERR_UNGOVERNED_TOOL' }) as Error);
    expect(governFunctionTools([search], { governor, passThrough: [search.name] })[0]).toBe(search);
  });

  const badOptions: Array<{ name: string; options: unknown }> = [
    { name: 'no governor', options: {} },
    { name: 'a typo in onDeny', options: { governor, onDeny: 'rejectContent' } },
    { name: 'a zero maxPendingDecisions', options: { governor, maxPendingDecisions: 0 } },
    { name: 'a NaN maxPendingDecisions', options: { governor, maxPendingDecisions: Number.NaN } },
  ];
  it.each(badOptions)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ options }) => {
    let error: unknown;
    try {
      governFunctionTools([], options as Parameters<typeof governFunctionTools>[1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('ERR_INTEGRATION_OPTIONS');
  });
});

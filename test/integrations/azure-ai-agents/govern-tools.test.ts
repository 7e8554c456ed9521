/**
 * The Azure AI Foundry Agents adapter with the real `@azure/ai-agents` client (`AgentsClient`,
 * its REST pipeline, bearer-token policy and (de)serializers) against a local HTTPS server that
 * speaks the service's run and tool-output shapes (test/helpers/fake-azure-agents.ts): allowed
 * calls run and their outputs are submitted, denied ones never run and the model gets the reason,
 * `require_approval` leaves the run waiting in requires_action until a person's answer, bound to
 * the exact call, and every call lands in the audit log under its tool call id.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentsClient, RunStreamEvent, type ThreadRun } from '@azure/ai-agents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../../src/audit/file-sink.js';
import type { DecisionEvent } from '../../../src/decision.js';
import type { ApprovalHandler } from '../../../src/enforce/approval.js';
import { GovernanceDenied } from '../../../src/enforce/denied.js';
import { Governor } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { MemoryPendingApprovals } from '../../../src/enforce/pending-approvals.js';
import { governAzureTools, type AzureFunction, type GovernAzureToolsOptions } from '../../../src/integrations/azure-ai-agents/index.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { startFakeAzureAgents, TOKEN, type FakeAzureAgents, type RawToolCall, type Step } from '../../helpers/fake-azure-agents.js';

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
  - name: lookups
    tools: [lookup_order, explode]
    effect: allow
`,
  },
]);

/** A static token: what the client's bearer policy sends; the server checks it. */
const credential: ConstructorParameters<typeof AgentsClient>[1] = { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };

let dir = '';
let service: FakeAzureAgents;
let client: AgentsClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-azure-'));
  service = await startFakeAzureAgents(dir);
  // No retries: a scripted failure is answered once, as the test means it.
  client = new AgentsClient(service.endpoint, credential, { agent: service.agent as never, retryOptions: { maxRetries: 0 } });
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  service.fail = null;
  service.answerWithOtherRun = false;
});

const fn = (id: string, name: string, args: Record<string, unknown> | string): RawToolCall => ({ id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } });

function shop() {
  const ran: Array<[string, Record<string, unknown>]> = [];
  const tools: Record<string, AzureFunction> = {
    refund: (args) => {
      ran.push(['refund', args]);
      return `refunded ${String(args.amount)} on ${String(args.order)}`;
    },
    lookup_order: (args) => {
      ran.push(['lookup_order', args]);
      return { order: args.order, status: 'shipped' };
    },
    explode: () => {
      ran.push(['explode', {}]);
      throw new Error('the warehouse is on fire');
    },
  };
  return { ran, tools };
}

/** A thread and a run whose model plays `script`. */
async function start(script: Step[]): Promise<{ threadId: string; runId: string }> {
  service.nextScript = script;
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.id, 'asst_fake');
  return { threadId: thread.id, runId: run.id };
}

/** The model's last message: the tool outputs it was given. */
async function modelSaw(threadId: string): Promise<string> {
  const texts: string[] = [];
  for await (const m of client.messages.list(threadId)) for (const c of m.content) if (c.type === 'text') texts.push((c as { text: { value: string } }).text.value);
  return texts.join('\n');
}

function setup(options: Omit<GovernAzureToolsOptions, 'governor' | 'tools'> = {}, approvalHandler?: ApprovalHandler) {
  const sink = new MemorySink();
  const governor = new Governor({ policy, sink, agent: { id: 'foundry-agent' }, ...(approvalHandler ? { approvalHandler } : {}) });
  const { ran, tools } = shop();
  const warden = governAzureTools({ governor, tools, ...options });
  return { sink, governor, ran, tools, warden };
}

const fast = { pollIntervalMs: 0 };

describe('governAzureTools with the real AgentsClient', () => {
  it('runs an allowed call and submits its output; a denied call never runs and the model gets the reason; both land in the audit log under their tool call ids', async () => {
    const path = join(dir, 'audit.jsonl');
    const sink = await openFileAuditSink({ path, fsync: 'never' });
    const governor = new Governor({ policy, sink, agent: { id: 'foundry-agent' } });
    const { ran, tools } = shop();
    const warden = governAzureTools({ governor, tools });
    const { threadId, runId } = await start([{ toolCalls: [fn('call_small', 'refund', { order: 'A', amount: 5 }), fn('call_big', 'refund', { order: 'B', amount: 500 }), fn('call_look', 'lookup_order', { order: 'A' })] }, 'end']);

    const result = await warden.run(client, { threadId, runId }, fast);
    await sink.close();

    expect(result.paused).toEqual([]);
    expect(result.run.status).toBe('completed');
    expect(ran).toEqual([
      ['refund', { order: 'A', amount: 5 }],
      ['lookup_order', { order: 'A' }],
    ]);
    expect(service.runs.get(runId)?.submitted).toEqual([
      [
        { tool_call_id: 'call_small', output: 'refunded 5 on A' },
        { tool_call_id: 'call_big', output: 'Warden denied "refund": Refunds over 100 are never made by agents' },
        { tool_call_id: 'call_look', output: '{"order":"A","status":"shipped"}' },
      ],
    ]);
    expect(await modelSaw(threadId)).toBe('outputs seen: call_small=refunded 5 on A | call_big=Warden denied "refund": Refunds over 100 are never made by agents | call_look={"order":"A","status":"shipped"}');

    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; call?: string; decision?: { rule: string | null; effect: string }; request?: { context?: Record<string, unknown> }; outcome?: { status?: string } });
    const decisions = lines.filter((l) => l.type === 'decision').map((l) => [l.call, l.decision?.rule, l.decision?.effect, l.request?.context?.host, l.request?.context?.session]);
    expect(decisions).toEqual([
      ['call_small', 'small-refunds', 'allow', 'azure-ai-agents', threadId],
      ['call_big', 'no-big-refunds', 'deny', 'azure-ai-agents', threadId],
      ['call_look', 'lookups', 'allow', 'azure-ai-agents', threadId],
    ]);
    expect(lines.filter((l) => l.type === 'outcome').map((l) => l.call)).toEqual(['call_small', 'call_look']);
    expect(lines.find((l) => l.call === 'call_small')?.request?.context?.azureAiAgents).toEqual({ threadId, runId, assistantId: 'asst_fake' });
  });

  it('require_approval leaves the run waiting in requires_action with nothing run or submitted; the approving answer runs exactly that call, recorded with who approved', async () => {
    const { sink, ran, warden } = setup({ approver: 'alice@example.com' });
    const { threadId, runId } = await start([{ toolCalls: [fn('call_mid', 'refund', { order: 'C', amount: 50 }), fn('call_look', 'lookup_order', { order: 'C' })] }, 'end']);

    const first = await warden.run(client, { threadId, runId }, fast);
    expect(first.run.status).toBe('requires_action');
    expect(first.paused).toEqual([{ toolCallId: 'call_mid', tool: 'refund', args: { order: 'C', amount: 50 }, reason: 'Refunds over 10 need finance', rule: 'approve-refunds', approvers: ['finance'], requestDigest: expect.stringMatching(/^sha256:/) as string }]);
    expect(ran).toEqual([]);
    expect(service.runs.get(runId)?.status).toBe('requires_action');
    expect(service.runs.get(runId)?.submitted).toEqual([]);
    expect(sink.events.map((e) => [e.call, e.decision.effect])).toEqual([
      ['call_mid', 'require_approval'],
      ['call_look', 'allow'],
    ]);

    const second = await warden.run(client, { threadId, runId }, { ...fast, answers: { call_mid: true } });
    expect(second.run.status).toBe('completed');
    // Run in the step's order once every call of it is decided.
    expect(ran).toEqual([
      ['refund', { order: 'C', amount: 50 }],
      ['lookup_order', { order: 'C' }],
    ]);
    const approved = sink.events.find((e) => e.call === 'call_mid' && e.outcome?.approval !== undefined) as DecisionEvent;
    expect(approved.outcome).toMatchObject({ executed: true, effect: 'allow', approval: { approved: true, by: 'alice@example.com', requestDigest: first.paused[0]?.requestDigest } });
    expect(await modelSaw(threadId)).toContain('call_mid=refunded 50 on C');
  });

  it('a rejecting answer never runs the call; the model gets the rejection as its output', async () => {
    const { sink, ran, warden } = setup({ approver: 'bob' });
    const { threadId, runId } = await start([{ toolCalls: [fn('call_mid', 'refund', { order: 'C', amount: 50 })] }, 'end']);
    await warden.run(client, { threadId, runId }, fast);
    const done = await warden.run(client, { threadId, runId }, { ...fast, answers: { call_mid: 'yes' } });
    expect(done.run.status).toBe('completed');
    expect(ran).toEqual([]);
    expect(service.runs.get(runId)?.submitted[0]?.[0]?.output).toMatch(/^Warden denied "refund": /);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false, by: 'bob' } });
  });

  it('an approval does not cover a call whose arguments changed after it was asked: denied, never run', async () => {
    const { ran, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_mid', 'refund', { order: 'C', amount: 50 })] }, 'end']);
    await warden.run(client, { threadId, runId }, fast);
    // The service now asks for the same call id with other arguments (still under the deny threshold).
    const run = service.runs.get(runId);
    if (run?.pending) run.pending[0] = fn('call_mid', 'refund', { order: 'C', amount: 99 });
    await warden.run(client, { threadId, runId }, { ...fast, answers: { call_mid: true } });
    expect(ran).toEqual([]);
    expect(service.runs.get(runId)?.submitted[0]?.[0]?.output).toContain('was for a different request than this call');
  });

  it('an answer that reaches a process which did not pause the call is denied (its pause is not found)', async () => {
    const paused = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_mid', 'refund', { order: 'C', amount: 50 })] }, 'end']);
    await paused.warden.run(client, { threadId, runId }, fast);
    const other = setup({ pendingApprovals: new MemoryPendingApprovals() });
    await other.warden.run(client, { threadId, runId }, { ...fast, answers: { call_mid: true } });
    expect([...paused.ran, ...other.ran]).toEqual([]);
    expect(service.runs.get(runId)?.submitted[0]?.[0]?.output).toContain('matches no paused call');
  });

  it("answers for only some paused calls keep the step waiting, and the answered call's pause is kept for the next resume", async () => {
    const { ran, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_1', 'refund', { order: 'D', amount: 20 }), fn('call_2', 'refund', { order: 'E', amount: 30 })] }, 'end']);
    expect((await warden.run(client, { threadId, runId }, fast)).paused.map((p) => p.toolCallId)).toEqual(['call_1', 'call_2']);
    const half = await warden.run(client, { threadId, runId }, { ...fast, answers: { call_1: true } });
    expect(half.paused.map((p) => p.toolCallId)).toEqual(['call_2']);
    expect(ran).toEqual([]);
    const done = await warden.run(client, { threadId, runId }, { ...fast, answers: { call_1: true, call_2: true } });
    expect(done.run.status).toBe('completed');
    expect(ran.map(([, a]) => a.order)).toEqual(['D', 'E']);
  });

  it("approval: 'handler' asks the Governor's blocking handler inside the step, bound to the call", async () => {
    const asked: unknown[] = [];
    const { ran, warden } = setup({ approval: 'handler' }, (ask) => {
      asked.push(ask.request.args);
      return ask.request.args.order === 'yes';
    });
    const { runId, threadId } = await start([{ toolCalls: [fn('call_yes', 'refund', { order: 'yes', amount: 50 }), fn('call_no', 'refund', { order: 'no', amount: 50 })] }, 'end']);
    const done = await warden.run(client, { threadId, runId }, fast);
    expect(done.paused).toEqual([]);
    expect(asked).toEqual([
      { order: 'yes', amount: 50 },
      { order: 'no', amount: 50 },
    ]);
    expect(ran).toEqual([['refund', { order: 'yes', amount: 50 }]]);
    expect(service.runs.get(runId)?.submitted[0]?.[1]?.output).toMatch(/^Warden denied "refund": /);
  });

  it('a function that throws answers with its error and the error outcome is recorded', async () => {
    const { sink, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_x', 'explode', {})] }, 'end']);
    await warden.run(client, { threadId, runId }, fast);
    expect(service.runs.get(runId)?.submitted[0]).toEqual([{ tool_call_id: 'call_x', output: 'Warden: the tool "explode" failed: Error: the warehouse is on fire' }]);
    expect(sink.outcomes.map((o) => [o.call, o.outcome.status, o.outcome.error?.message])).toEqual([['call_x', 'error', 'the warehouse is on fire']]);
  });

  it("the streaming API's requires_action event is answered the same way (answer() on the event's run, submitted with submitToolOutputs().stream())", async () => {
    const { ran, sink, warden } = setup();
    service.nextScript = [{ toolCalls: [fn('call_s1', 'refund', { order: 'S', amount: 5 }), fn('call_s2', 'refund', { order: 'T', amount: 500 })] }, 'end'];
    const thread = await client.threads.create();
    const events: string[] = [];
    let stream = await client.runs.create(thread.id, 'asst_fake').stream();
    for (let rounds = 0; rounds < 5; rounds++) {
      let waiting: ThreadRun | undefined;
      for await (const event of stream) {
        events.push(event.event);
        if (event.event === RunStreamEvent.ThreadRunRequiresAction) waiting = event.data as ThreadRun;
      }
      if (waiting === undefined) break;
      const step = await warden.answer(waiting);
      stream = await client.runs.submitToolOutputs(waiting.threadId, waiting.id, step.toolOutputs).stream();
    }
    expect(events).toEqual(['thread.run.created', 'thread.run.requires_action', 'done', 'thread.run.completed', 'done']);
    expect(ran).toEqual([['refund', { order: 'S', amount: 5 }]]);
    expect(await modelSaw(thread.id)).toBe('outputs seen: call_s1=refunded 5 on S | call_s2=Warden denied "refund": Refunds over 100 are never made by agents');
    expect(sink.events.map((e) => [e.call, e.decision.effect])).toEqual([
      ['call_s1', 'allow'],
      ['call_s2', 'deny'],
    ]);
  });

  it('several requires_action steps in one run are each decided and answered', async () => {
    const { ran, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_a', 'lookup_order', { order: 'A' })] }, { toolCalls: [fn('call_b', 'refund', { order: 'A', amount: 3 })] }, 'end']);
    const done = await warden.run(client, { threadId, runId }, fast);
    expect(done.run.status).toBe('completed');
    expect(ran.map(([t]) => t)).toEqual(['lookup_order', 'refund']);
    expect(service.runs.get(runId)?.submitted).toHaveLength(2);
  });
});

describe('failing closed', () => {
  it('a service error reading the run stops with ERR_AZURE_RUN and runs nothing', async () => {
    const { ran, sink, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_small', 'refund', { order: 'A', amount: 5 })] }, 'end']);
    service.fail = { match: /^GET \/threads\/[^/]+\/runs\//, status: 500 };
    await expect(warden.run(client, { threadId, runId }, fast)).rejects.toMatchObject({ code: 'ERR_AZURE_RUN' });
    expect(ran).toEqual([]);
    expect(sink.events).toEqual([]);
  });

  it('a failed submission stops with ERR_AZURE_RUN; run again, the outputs are resubmitted and no call runs twice', async () => {
    const { ran, sink, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_small', 'refund', { order: 'A', amount: 5 })] }, 'end']);
    service.fail = { match: /submit_tool_outputs$/, status: 503 };
    await expect(warden.run(client, { threadId, runId }, fast)).rejects.toMatchObject({ code: 'ERR_AZURE_RUN' });
    expect(ran).toHaveLength(1);
    service.fail = null;
    const done = await warden.run(client, { threadId, runId }, fast);
    expect(done.run.status).toBe('completed');
    expect(ran).toHaveLength(1);
    expect(sink.events.map((e) => e.call)).toEqual(['call_small']);
    expect(service.runs.get(runId)?.submitted).toEqual([[{ tool_call_id: 'call_small', output: 'refunded 5 on A' }]]);
  });

  it('a service that answers with another run is refused before anything runs', async () => {
    const { ran, warden } = setup();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_small', 'refund', { order: 'A', amount: 5 })] }, 'end']);
    service.answerWithOtherRun = true;
    await expect(warden.run(client, { threadId, runId }, fast)).rejects.toMatchObject({ code: 'ERR_AZURE_RUN' });
    expect(ran).toEqual([]);
  });

  it("onDeny: 'throw' rejects with the GovernanceDenied, runs nothing of the step (not even its allowed calls) and cancels the run", async () => {
    const { ran, warden } = setup({ onDeny: 'throw' });
    const { threadId, runId } = await start([{ toolCalls: [fn('call_small', 'refund', { order: 'A', amount: 5 }), fn('call_big', 'refund', { order: 'B', amount: 500 })] }, 'end']);
    const error: unknown = await warden.run(client, { threadId, runId }, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect((error as GovernanceDenied).decision.reason).toBe('Refunds over 100 are never made by agents');
    expect(ran).toEqual([]);
    expect(service.runs.get(runId)?.status).toBe('cancelled');
    expect(service.runs.get(runId)?.submitted).toEqual([]);
  });

  it('an audit sink that cannot record denies: the call never runs and the model gets the reason', async () => {
    const sink = { write: async () => Promise.reject(new Error('disk full')), writeOutcome: async () => undefined };
    const governor = new Governor({ policy, sink });
    const { ran, tools } = shop();
    const { threadId, runId } = await start([{ toolCalls: [fn('call_small', 'refund', { order: 'A', amount: 5 })] }, 'end']);
    await governAzureTools({ governor, tools }).run(client, { threadId, runId }, fast);
    expect(ran).toEqual([]);
    expect(service.runs.get(runId)?.submitted[0]?.[0]?.output).toMatch(/^Warden denied "refund": .*could not be recorded/);
  });

  it('a step answered twice at the same time is refused the second time (one answer per step)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((ok) => (release = ok));
    const governor = new Governor({ policy });
    const warden = governAzureTools({ governor, tools: { lookup_order: async () => gate.then(() => 'ok') } });
    const { threadId, runId } = await start([{ toolCalls: [fn('call_a', 'lookup_order', { order: 'A' })] }, 'end']);
    const run = await client.runs.get(threadId, runId);
    const first = warden.answer(run);
    await expect(warden.answer(run)).rejects.toMatchObject({ code: 'ERR_AZURE_RUN' });
    release();
    expect((await first).toolOutputs).toEqual([{ toolCallId: 'call_a', output: 'ok' }]);
  });
});

/** An adversarial table of tool calls as the service could send them (about a third benign). */
type Expect = { runs: Record<string, unknown> } | { denied: RegExp } | 'refused';
const rows: Array<{ name: string; calls: RawToolCall[] | { requiredAction: unknown }; expect: Expect }> = [
  { name: 'a small refund', calls: [fn('c1', 'refund', { order: 'A', amount: 5 })], expect: { runs: { order: 'A', amount: 5 } } },
  { name: 'a refund at the allow boundary', calls: [fn('c1', 'refund', { order: 'A', amount: 10 })], expect: { runs: { order: 'A', amount: 10 } } },
  { name: 'a lookup', calls: [fn('c1', 'lookup_order', { order: 'A' })], expect: { runs: { order: 'A' } } },
  { name: 'arguments with spacing and escapes', calls: [fn('c1', 'lookup_order', '  { "order" : "\\u0041" }  ')], expect: { runs: { order: 'A' } } },
  { name: 'non-ASCII values', calls: [fn('c1', 'refund', { order: 'Ä-ß-東', amount: 1 })], expect: { runs: { order: 'Ä-ß-東', amount: 1 } } },
  { name: 'nested data', calls: [fn('c1', 'refund', { order: 'A', amount: 2, meta: { note: 'gift', tags: ['x'] } })], expect: { runs: { order: 'A', amount: 2, meta: { note: 'gift', tags: ['x'] } } } },
  { name: 'a call id with every allowed punctuation', calls: [fn('call_A-1.b:c@d', 'lookup_order', { order: 'A' })], expect: { runs: { order: 'A' } } },
  { name: 'a __proto__ key is plain data', calls: [fn('c1', 'refund', '{"order":"A","amount":5,"__proto__":{"amount":5000}}')], expect: { runs: JSON.parse('{"order":"A","amount":5,"__proto__":{"amount":5000}}') as Record<string, unknown> } },
  { name: 'a refund of zero', calls: [fn('c1', 'refund', { order: 'A', amount: 0 })], expect: { runs: { order: 'A', amount: 0 } } },
  { name: 'a lookup of an empty order', calls: [fn('c1', 'lookup_order', { order: '' })], expect: { runs: { order: '' } } },
  { name: 'a long ordinary argument', calls: [fn('c1', 'lookup_order', { order: 'A'.repeat(2000) })], expect: { runs: { order: 'A'.repeat(2000) } } },
  { name: 'a big refund', calls: [fn('c1', 'refund', { order: 'A', amount: 500 })], expect: { denied: /never made by agents/ } },
  { name: 'approved: true in the arguments', calls: [fn('c1', 'refund', { order: 'A', amount: 500, approved: true })], expect: { denied: /never made by agents/ } },
  { name: 'the amount as a string', calls: [fn('c1', 'refund', { order: 'A', amount: '5000' })], expect: { denied: /./ } },
  { name: 'a repeated key (decided on one, run on the other)', calls: [fn('c1', 'refund', '{"order":"A","amount":5,"amount":5000}')], expect: { denied: /appears twice/ } },
  { name: 'arguments that are not JSON', calls: [fn('c1', 'refund', '{order: A}')], expect: { denied: /not valid JSON/ } },
  { name: 'empty arguments', calls: [fn('c1', 'refund', '')], expect: { denied: /not valid JSON/ } },
  { name: 'a JSON array', calls: [fn('c1', 'refund', '[1,2]')], expect: { denied: /must be a JSON object/ } },
  { name: 'a JSON string', calls: [fn('c1', 'refund', '"rm -rf /"')], expect: { denied: /must be a JSON object/ } },
  { name: 'null arguments', calls: [{ id: 'c1', type: 'function', function: { name: 'refund', arguments: null } }], expect: { denied: /no arguments text/ } },
  { name: 'a function not given', calls: [fn('c1', 'delete_all', {})], expect: { denied: /no function named "delete_all"/ } },
  { name: 'the name __proto__', calls: [fn('c1', '__proto__', {})], expect: { denied: /no function named "__proto__"/ } },
  { name: 'the name constructor', calls: [fn('c1', 'constructor', {})], expect: { denied: /no function named "constructor"/ } },
  { name: 'the name toString', calls: [fn('c1', 'toString', {})], expect: { denied: /no function named "toString"/ } },
  { name: 'another case of a name', calls: [fn('c1', 'Refund', { order: 'A', amount: 1 })], expect: { denied: /no function named "Refund"/ } },
  { name: 'a name with a trailing space', calls: [fn('c1', 'refund ', { order: 'A', amount: 1 })], expect: { denied: /no function named "refund "/ } },
  { name: 'a call that is not a function call', calls: [{ id: 'c1', type: 'code_interpreter' }], expect: { denied: /not a function call/ } },
  { name: 'an empty function name', calls: [fn('c1', '', {})], expect: { denied: /names no function/ } },
  { name: 'a call without an id', calls: [{ type: 'function', function: { name: 'refund', arguments: '{}' } }], expect: 'refused' },
  { name: 'a numeric id', calls: [{ id: 7, type: 'function', function: { name: 'refund', arguments: '{}' } }], expect: 'refused' },
  { name: 'one id twice', calls: [fn('c1', 'lookup_order', { order: 'A' }), fn('c1', 'refund', { order: 'A', amount: 5 })], expect: 'refused' },
  { name: 'no tool calls', calls: [], expect: 'refused' },
  { name: 'too many tool calls', calls: Array.from({ length: 129 }, (_, i) => fn(`c${i}`, 'lookup_order', { order: 'A' })), expect: 'refused' },
  { name: 'an unknown required action', calls: { requiredAction: { type: 'submit_tool_approval', submit_tool_approval: { tool_calls: [] } } }, expect: 'refused' },
  { name: 'a function call without its function', calls: [{ id: 'c1', type: 'function' }], expect: 'refused' },
];

describe('tool calls as the service could send them', () => {
  it('has about a third benign rows', () => {
    const benign = rows.filter((r) => typeof r.expect === 'object' && 'runs' in r.expect).length;
    expect(benign / rows.length).toBeGreaterThan(0.3);
  });

  it.each(rows)('$name', async ({ calls, expect: want }) => {
    const { ran, sink, warden } = setup();
    const step: Step = Array.isArray(calls) ? { toolCalls: calls } : calls;
    const { threadId, runId } = await start([step, 'end']);
    const outcome = await warden.run(client, { threadId, runId }, fast).then(
      (r) => r,
      (e: unknown) => e,
    );
    const submitted = service.runs.get(runId)?.submitted ?? [];
    if (want === 'refused') {
      expect(outcome).toMatchObject({ code: 'ERR_AZURE_RUN' });
      expect(ran).toEqual([]);
      expect(submitted).toEqual([]);
      return;
    }
    expect(outcome).toMatchObject({ run: { status: 'completed' } });
    const output = submitted[0]?.[0]?.output ?? '';
    if ('runs' in want) {
      expect(ran.map(([, a]) => a)).toEqual([want.runs]);
      expect(output).not.toMatch(/^Warden/);
      expect(sink.outcomes).toHaveLength(1);
    } else {
      expect(ran).toEqual([]);
      expect(output).toMatch(/^Warden denied "/);
      expect(output).toMatch(want.denied);
      expect(sink.events.map((e) => [e.call, e.decision.effect])).toEqual([['c1', 'deny']]);
    }
  });
});

describe('options', () => {
  const bad: Array<{ name: string; options: Record<string, unknown> }> = [
    { name: 'no governor', options: { governor: undefined } },
    { name: 'no tools', options: { tools: undefined } },
    { name: 'a tool that is not a function', options: { tools: { refund: 'x' } } },
    { name: 'an unknown key', options: { onDenied: 'output' } },
    { name: 'an unknown deny mode', options: { onDeny: 'ignore' } },
    { name: 'an unknown approval mode', options: { approval: 'auto' } },
    { name: 'an empty approver', options: { approver: '' } },
    { name: 'a zero maxToolCalls', options: { maxToolCalls: 0 } },
    { name: 'an array context', options: { context: [] } },
  ];
  it.each(bad)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ options }) => {
    const given = { governor: new Governor({ policy }), tools: shop().tools, ...options };
    expect(() => governAzureTools(given as GovernAzureToolsOptions)).toThrow(expect.objectContaining({ code: 'ERR_INTEGRATION_OPTIONS' }) as Error);
  });

  it('rejects unknown run() options and a bad poll interval', async () => {
    const { warden } = setup();
    await expect(warden.run(client, { threadId: 't', runId: 'r' }, { pollMs: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INTEGRATION_OPTIONS' });
    await expect(warden.run(client, { threadId: 't', runId: 'r' }, { pollIntervalMs: -1 })).rejects.toMatchObject({ code: 'ERR_INTEGRATION_OPTIONS' });
  });
});

/**
 * Import of OpenTelemetry GenAI `execute_tool` spans: spans made with the OpenTelemetry SDK and
 * sent by the real OTLP/HTTP JSON exporter to a local receiver; what arrived on the wire is imported.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { createTracing } from '../../src/telemetry/tracing.js';
import { trajectoriesFromOtlp } from '../../src/training/otel-import.js';
import { policyGaps } from '../../src/training/gaps.js';
import { policyReward } from '../../src/training/reward.js';
import { GAMED, flowPolicy, stepPolicy } from './fixtures.js';

let server: Server;
const bodies: string[] = [];
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** One execute_tool span as a GenAI instrumentation makes it, at a fixed start time. */
function toolSpan(tracer: Tracer, conversation: string, at: number, tool: string, args: unknown, outcome: { error?: string; result?: unknown; denied?: boolean } = {}): void {
  const span = tracer.startSpan(`execute_tool ${tool}`, {
    kind: SpanKind.INTERNAL,
    startTime: at,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': tool,
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': `call_${at}`,
      'gen_ai.tool.call.arguments': JSON.stringify(args),
      'gen_ai.conversation.id': conversation,
      'gen_ai.agent.id': 'learner',
      'warden.training.checkpoint': 'ckpt-2',
    },
  });
  if (outcome.result !== undefined) span.setAttribute('gen_ai.tool.call.result', JSON.stringify(outcome.result));
  if (outcome.error !== undefined || outcome.denied === true) {
    span.setAttribute('error.type', outcome.denied === true ? 'GovernanceDenied' : 'Error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? 'denied' });
  }
  span.end(at + 5);
}

async function exportSpans(make: (tracer: Tracer) => void): Promise<string> {
  return exportSpansAsync(async (tracer) => make(tracer));
}

async function exportSpansAsync(make: (tracer: Tracer) => Promise<void>): Promise<string> {
  bodies.length = 0;
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))] });
  await make(provider.getTracer('rollout-worker'));
  await provider.forceFlush();
  await provider.shutdown();
  // One export request per span (simple processor): merge them the way a collector's file exporter lists them.
  const resourceSpans = bodies.flatMap((b) => (JSON.parse(b) as { resourceSpans: unknown[] }).resourceSpans);
  return JSON.stringify({ resourceSpans });
}

describe('trajectoriesFromOtlp', () => {
  it('imports execute_tool spans from a real OTLP JSON export, grouped by conversation and ordered by start time', async () => {
    const t0 = Date.parse('2026-06-01T00:00:00.000Z');
    const text = await exportSpans((tracer) => {
      // Spans end (and are exported) out of order, and another conversation interleaves.
      toolSpan(tracer, 'conv-b', t0 + 500, 'search_docs', { query: 'x' }, { result: { hits: 2 } });
      GAMED.slice().reverse().forEach(([tool, args], i) => toolSpan(tracer, 'conv-a', t0 + (GAMED.length - 1 - i) * 1000, tool, args, { result: { ok: true } }));
      const chat = tracer.startSpan('chat gpt-x', { attributes: { 'gen_ai.operation.name': 'chat' }, startTime: t0 });
      chat.end(t0 + 1);
    });
    expect(JSON.parse(text).resourceSpans.length).toBeGreaterThan(0);
    const trajectories = trajectoriesFromOtlp(text, 'spans.json');
    expect(trajectories.map((t) => [t.id, t.checkpoint, t.calls.map((c) => c.tool)])).toEqual([
      ['conv-a', 'ckpt-2', ['read_file', 'write_file', 'http_upload']],
      ['conv-b', 'ckpt-2', ['search_docs']],
    ]);
    const a = trajectories[0]!;
    expect(a.calls[0]).toEqual({ step: 0, ts: '2026-06-01T00:00:00.000Z', tool: 'read_file', args: { path: '/secrets/api-key' }, agent: { id: 'learner' }, outcome: { status: 'ok', result: { ok: true } } });
    // The imported episode scores like the scripted one: caught by the flow rule, a gap without it.
    expect(policyReward(a, flowPolicy()).items.map((i) => [i.kind, i.rule, i.index])).toEqual([['flow', 'flow-rules/no-egress-after-private', 2]]);
    expect(policyGaps(a, stepPolicy(), flowPolicy()).map((g) => g.sequence.map((s) => s.tool))).toEqual([['read_file', 'http_upload']]);
  });

  it('reads an errored span as an error outcome and a governance denial as denied', async () => {
    const t0 = Date.parse('2026-06-01T00:00:00.000Z');
    const text = await exportSpans((tracer) => {
      toolSpan(tracer, 'c', t0, 'read_file', { path: '/nope' }, { error: 'no such file' });
      toolSpan(tracer, 'c', t0 + 1000, 'http_upload', { file: '/secrets/k' }, { denied: true });
    });
    expect(trajectoriesFromOtlp(text)[0]!.calls.map((c) => c.outcome)).toEqual([{ status: 'error', error: 'no such file' }, { status: 'denied' }]);
  });

  it("imports Warden's own execute_tool spans with the decisions they carry", async () => {
    const text = await exportSpansAsync(async (tracer) => {
      const governor = new Governor({ policy: flowPolicy(), agent: { id: 'learner' }, context: { conversationId: 'ep-9' }, monitors: [createTracing({ tracer })] });
      const tools = governor.wrapAll({ search_docs: async (_: { query: string }) => 'ok', rm_rf: async (_: { path: string }) => 'gone' });
      await tools.search_docs({ query: 'x' });
      await expect(tools.rm_rf({ path: '/' })).rejects.toThrow('Warden denied');
    });
    const trajectories = trajectoriesFromOtlp(text, 'warden-spans.json');
    expect(trajectories.map((x) => x.id)).toEqual(['ep-9']);
    const t = trajectories[0];
    expect(t!.calls.map((c) => [c.tool, c.decision, c.outcome?.status, c.agent?.id])).toEqual([
      ['search_docs', { effect: 'allow', rule: 'agent-tools', policy: null }, 'ok', 'learner'],
      ['rm_rf', { effect: 'deny', rule: null, policy: null }, 'denied', 'learner'],
    ]);
    // Warden's spans carry no arguments: the import says so by giving none.
    expect(t!.calls[0]!.args).toEqual({});
  });

  const base = (attrs: unknown[], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab', spanId: 'cd', startTimeUnixNano: '1780272000000000000', attributes: attrs, ...extra }] }] }] });
  const op = { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } };
  const name = { key: 'gen_ai.tool.name', value: { stringValue: 'ls' } };
  const cases: Array<[string, string, string | null]> = [
    ['not JSON', '{"resourceSpans": [', 'the export is not JSON'],
    ['resourceSpans not a list', '{"resourceSpans": {}}', '$.resourceSpans must be a list'],
    ['a duplicate key', '{"resourceSpans": [], "resourceSpans": []}', 'appears twice'],
    ['a tool span without a tool name', base([op]), 'needs a gen_ai.tool.name string'],
    ['arguments that are not JSON', base([op, name, { key: 'gen_ai.tool.call.arguments', value: { stringValue: '{path:' } }]), 'gen_ai.tool.call.arguments is not JSON'],
    ['arguments that are a list', base([op, name, { key: 'gen_ai.tool.call.arguments', value: { stringValue: '[1]' } }]), 'must be a JSON object'],
    ['arguments repeating a key', base([op, name, { key: 'gen_ai.tool.call.arguments', value: { stringValue: '{"a":1,"a":2}' } }]), 'repeats a key'],
    ['a start time that is not a number', base([op, name], { startTimeUnixNano: 'soon' }), 'startTimeUnixNano must be a whole number'],
    ['an intValue beyond the safe range', base([op, name, { key: 'x', value: { intValue: '99999999999999999999' } }]), 'is not a safe integer'],
    ['an unknown recorded effect', base([op, name, { key: 'warden.decision.effect', value: { stringValue: 'permit' } }]), 'is not an effect'],
    ['benign: a tool span without arguments', base([op, name]), null],
    ['benign: no spans at all', '{"resourceSpans": []}', null],
    ['benign: a __proto__ attribute key', base([op, name, { key: '__proto__', value: { stringValue: 'x' } }]), null],
  ];
  it.for(cases)('%s', ([, text, error]) => {
    if (error === null) {
      expect(() => trajectoriesFromOtlp(text, 'x.json')).not.toThrow();
      return;
    }
    expect(() => trajectoriesFromOtlp(text, 'x.json')).toThrow(expect.objectContaining({ code: 'ERR_TRAINING_INPUT', message: expect.stringContaining(error) }));
  });
});

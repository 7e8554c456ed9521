/**
 * Spans captured with the OpenTelemetry SDK's in-memory exporter: one `execute_tool {tool}` span per
 * governed call with the GenAI semantic-convention attributes and Warden's decision, continuing the
 * host's trace from a W3C `traceparent`.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createSre } from '../../src/sre/runtime.js';
import { parseTraceparent } from '../../src/telemetry/traceparent.js';
import { createTracing } from '../../src/telemetry/tracing.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: tools
default: deny
rules:
  - name: no-drop
    tools: [run_sql]
    when: "args.sql.contains('DROP')"
    effect: deny
    reason: no DROP
  - name: tools
    tools: [run_sql, search]
    effect: allow
`;

function setup(extra: { breakers?: boolean } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracing = createTracing({ tracer: provider.getTracer('test') });
  const monitors = extra.breakers === true ? [createSre({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 1 }] }), tracing] : [tracing];
  const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), agent: { id: 'support-bot' }, monitors });
  return { exporter, governor, tracing };
}

describe('execute_tool spans', () => {
  it('has the documented name and GenAI and Warden attributes for an allowed call that succeeded', async () => {
    const { exporter, governor } = setup();
    const runSql = governor.wrap('run_sql', async (a: { sql: string }) => `ran ${a.sql}`, { context: { conversationId: 'conv-42', callId: 'toolu_01' } });
    await runSql({ sql: 'SELECT 1' });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('execute_tool run_sql');
    expect(span?.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'run_sql',
      'gen_ai.tool.call.id': 'toolu_01',
      'gen_ai.agent.id': 'support-bot',
      'gen_ai.conversation.id': 'conv-42',
      'warden.decision.effect': 'allow',
      'warden.decision.rule': 'tools',
      'warden.policy.digest': governor.pipeline.policySet.digest,
      'warden.outcome.status': 'ok',
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends a denied call\'s span at once with error.type GovernanceDenied and the reason', async () => {
    const { exporter, governor, tracing } = setup();
    const runSql = governor.wrap('run_sql', async (a: { sql: string }) => a.sql);
    await expect(runSql({ sql: 'DROP TABLE t' })).rejects.toBeInstanceOf(GovernanceDenied);
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ 'warden.decision.effect': 'deny', 'warden.decision.rule': 'no-drop', 'error.type': 'GovernanceDenied' });
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no DROP' });
    expect(tracing.openSpans).toBe(0);
  });

  it('marks a call that threw with its error class, and an open breaker\'s refusal with its rule', async () => {
    const { exporter, governor } = setup({ breakers: true });
    const search = governor.wrap('search', async (_a: object) => {
      throw new RangeError('backend down');
    });
    await expect(search({})).rejects.toThrow('backend down');
    await expect(search({})).rejects.toBeInstanceOf(GovernanceDenied);
    const [failed, refused] = exporter.getFinishedSpans();
    expect(failed?.attributes).toMatchObject({ 'error.type': 'RangeError', 'warden.outcome.status': 'error' });
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'backend down' });
    expect(refused?.attributes).toMatchObject({ 'warden.decision.rule': 'breaker:search', 'error.type': 'GovernanceDenied' });
  });

  it('runs the governed function inside the call\'s span, so spans it makes are its children (with a context manager registered)', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), monitors: [createTracing({ tracer: provider.getTracer('warden') })] });
      const toolTracer = provider.getTracer('tool');
      const search = governor.wrap('search', async (_a: object) => {
        await new Promise((resolve) => setImmediate(resolve));
        toolTracer.startActiveSpan('GET /search', (inner) => inner.end());
        return 'hits';
      });
      await search({});
      const spans = exporter.getFinishedSpans();
      const outer = spans.find((s) => s.name === 'execute_tool search');
      const inner = spans.find((s) => s.name === 'GET /search');
      expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
      expect(inner?.spanContext().traceId).toBe(outer?.spanContext().traceId);
      // A call with no open span runs as it is.
      expect(governor.pipeline.runCall('no-such-call', () => trace.getActiveSpan())).toBeUndefined();
    } finally {
      context.disable();
    }
  });

  it('puts host-reported token usage on the span as gen_ai.usage.*', async () => {
    const { exporter, governor } = setup();
    const { verdict } = await governor.pipeline.decide({ request: { tool: 'search', args: {} } });
    await governor.pipeline.observe({ call: verdict.call, tool: 'search' }, { status: 'ok', durationMs: 900, usage: { inputTokens: 1200, outputTokens: 85, costUsd: 0.0042 } });
    expect(exporter.getFinishedSpans()[0]?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 85, 'warden.usage.cost_usd': 0.0042 });
  });

  it('continues the host\'s trace from a traceparent in the request context', async () => {
    const { exporter, governor } = setup();
    const search = governor.wrap('search', async (_a: object) => 'hits', { context: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    await search({});
    const [span] = exporter.getFinishedSpans();
    expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('bounds the spans held open for outcomes that never come, ending the oldest as unknown', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracing = createTracing({ tracer: provider.getTracer('test'), maxOpenSpans: 2 });
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), monitors: [tracing] });
    for (let i = 0; i < 3; i++) await governor.check({ tool: 'search', args: {}, context: { callId: `c${i}` } });
    expect(tracing.openSpans).toBe(2);
    expect(exporter.getFinishedSpans().map((s) => [s.attributes['gen_ai.tool.call.id'], s.attributes['warden.outcome.status']])).toEqual([['c0', 'unknown']]);
  });
});

describe('traceparent', () => {
  it.each([
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 }],
    ['cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }],
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', null],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', null],
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', null],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', null],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', null],
    ['00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', null],
    [42, null],
  ])('reads %j as the W3C Trace Context spec says', (value, want) => {
    expect(parseTraceparent(value)).toEqual(want);
  });
});

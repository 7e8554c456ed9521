/**
 * OpenTelemetry spans for governed calls, following the GenAI semantic conventions: one
 * `execute_tool {tool}` span per call, from the start of its decision to its outcome, with
 * `gen_ai.*` attributes and Warden's decision (`warden.decision.effect`, `warden.decision.rule`,
 * `warden.policy.digest`). Spans go to whatever tracer the application's OpenTelemetry SDK provides;
 * Warden adds no exporter.
 */
import { performance } from 'node:perf_hooks';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { DecisionEvent, OutcomeEvent } from '../decision.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { CallMonitor } from '../monitor.js';
import { parseTraceparent } from './traceparent.js';
import { VERSION } from '../version.js';

/**
 * Options of {@link createTracing}.
 *
 * @example
 * ```ts
 * const options: TracingOptions = { tracer: provider.getTracer('my-agent') };
 * ```
 */
export interface TracingOptions {
  /** The tracer spans are made with; default `trace.getTracer('agent-warden')` (the global provider's). */
  tracer?: Tracer;
  /** Most spans held open awaiting their outcome; beyond it the oldest is ended as `unknown`. Default 10000. */
  maxOpenSpans?: number;
}

const OPTION_KEYS = ['tracer', 'maxOpenSpans'];

/**
 * A call monitor that emits one span per governed call (see the module comment).
 *
 * @example
 * ```ts
 * import { createTracing } from 'agent-warden/telemetry';
 * const governor = new Governor({ policy, monitors: [createTracing()] });
 * ```
 */
export function createTracing(options: TracingOptions = {}): CallMonitor & { readonly openSpans: number } {
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_OPTIONS', 'createTracing() options');
  const tracer = options.tracer ?? trace.getTracer('agent-warden', VERSION);
  const max = options.maxOpenSpans ?? 10_000;
  const open = new Map<string, Span>();
  const origin = performance.timeOrigin;

  return {
    get openSpans() {
      return open.size;
    },

    decided(event: DecisionEvent, elapsedMs: number): void {
      const tool = event.request.tool;
      const final = event.outcome;
      const attributes: Attributes = {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool,
        'warden.decision.effect': final?.effect ?? event.decision.effect,
        'warden.policy.digest': event.decision.policyDigest,
      };
      if (event.call !== undefined) attributes['gen_ai.tool.call.id'] = event.call;
      if (event.agent !== null && typeof event.agent.id === 'string') attributes['gen_ai.agent.id'] = event.agent.id;
      if (event.decision.rule !== null) attributes['warden.decision.rule'] = event.decision.rule;
      const conversation = conversationOf(event.request.context);
      if (conversation !== null) attributes['gen_ai.conversation.id'] = conversation;
      const startTime = origin + performance.now() - elapsedMs;
      const span = tracer.startSpan(`execute_tool ${tool}`, { kind: SpanKind.INTERNAL, attributes, startTime }, parentOf(event.request.context));
      if (final?.executed !== true || event.call === undefined) {
        span.setAttribute('error.type', 'GovernanceDenied');
        span.setStatus({ code: SpanStatusCode.ERROR, message: final?.reason ?? event.decision.reason });
        span.end();
        return;
      }
      if (open.size >= max) {
        const [oldest, stale] = open.entries().next().value as [string, Span];
        open.delete(oldest);
        stale.setAttribute('warden.outcome.status', 'unknown');
        stale.end();
      }
      open.set(event.call, span);
    },

    run<T>(call: string, fn: () => T): T {
      const span = open.get(call);
      return span === undefined ? fn() : context.with(trace.setSpan(context.active(), span), fn);
    },

    observed(event: OutcomeEvent): void {
      const span = open.get(event.call);
      if (span === undefined) return;
      open.delete(event.call);
      const o = event.outcome;
      span.setAttribute('warden.outcome.status', o.status);
      const usage = o.usage;
      if (usage !== undefined) {
        if (usage.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', usage.inputTokens);
        if (usage.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', usage.outputTokens);
        if (usage.costUsd !== undefined) span.setAttribute('warden.usage.cost_usd', usage.costUsd);
      }
      if (o.status === 'error') {
        span.setAttribute('error.type', o.error?.name ?? 'Error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: o.error?.message ?? '' });
      }
      span.end();
    },
  };
}

/** `context.conversationId` (or `sessionId`), when the host put a string there. */
function conversationOf(ctx: Record<string, unknown> | undefined): string | null {
  if (ctx === undefined) return null;
  const id = ctx.conversationId ?? ctx.sessionId;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : null;
}

/** The host's trace: a `traceparent` in the request's context, else the active context. */
function parentOf(ctx: Record<string, unknown> | undefined): Context {
  const parent = parseTraceparent(ctx?.traceparent);
  if (parent === null) return context.active();
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags & TraceFlags.SAMPLED, isRemote: true });
}

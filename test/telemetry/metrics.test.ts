/**
 * Prometheus metrics scraped over HTTP from metricsHandler() and parsed with a Prometheus text
 * parser: decisions, decision latency, call outcomes and durations, breaker states, error budgets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import parse from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createSre } from '../../src/sre/runtime.js';
import { createMetrics, metricsHandler } from '../../src/telemetry/metrics.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: tools
default: deny
rules:
  - name: tools
    tools: [search, "tool_*"]
    effect: allow
`;

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

async function scrape(handler: ReturnType<typeof metricsHandler>, method = 'GET'): Promise<{ status: number; type: string | null; text: string }> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { method });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('metrics scraped from metricsHandler()', () => {
  it('counts decisions and outcomes, and reports breaker states and error budgets, in parseable text', async () => {
    const sre = createSre({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 2 }], slos: [{ name: 'search', tools: ['search'], objective: 0.5, minimumCalls: 1, disableWhenExhausted: false }] });
    const metrics = createMetrics({ sre });
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), monitors: [sre, metrics] });
    const search = governor.wrap('search', async (_a: object) => {
      throw new Error('down');
    });
    for (let i = 0; i < 3; i++) await search({}).catch(() => undefined);
    await governor.check({ tool: 'unknown', args: {} });
    const { status, type, text } = await scrape(metricsHandler(metrics.registry));
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = new Map(parse(text).map((f) => [f.name, f]));
    expect(families.get('warden_decisions_total')?.metrics.map((m) => [m.labels, m.value])).toEqual([
      [{ effect: 'allow', tool: 'search', rule: 'tools' }, '2'],
      [{ effect: 'deny', tool: 'search', rule: 'breaker:search' }, '1'],
      [{ effect: 'deny', tool: 'unknown', rule: '' }, '1'],
    ]);
    // The parser folds a labelled histogram's series into one bucket map, so counts are read from the text.
    expect(families.get('warden_decision_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(text).toContain('warden_decision_duration_seconds_count{effect="allow"} 2\n');
    expect(text).toContain('warden_decision_duration_seconds_count{effect="deny"} 2\n');
    expect(families.get('warden_tool_calls_total')?.metrics.map((m) => [m.labels, m.value])).toEqual([[{ tool: 'search', status: 'error' }, '2']]);
    expect(families.get('warden_tool_call_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(text).toContain('warden_tool_call_duration_seconds_count{tool="search",status="error"} 2\n');
    expect(families.get('warden_breaker_state')?.metrics.map((m) => [m.labels, m.value])).toEqual([[{ tool: 'search' }, '2']]);
    expect(families.get('warden_slo_error_budget_remaining')?.metrics.map((m) => [m.labels, m.value])).toEqual([[{ slo: 'search' }, '-1']]);
    expect(families.get('warden_slo_alert_firing')?.metrics.map((m) => [m.labels?.alert, m.value])).toEqual([['page-1h', '0'], ['page-6h', '0'], ['ticket-3d', '1']]);
    expect(families.get('warden_slo_burn_rate')?.metrics.map((m) => m.value)).toEqual(['2', '2', '2']);
  });

  it('labels at most maxTools tool names, counting the rest under _other (bounded label sets)', async () => {
    const metrics = createMetrics({ maxTools: 2 });
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), monitors: [metrics] });
    for (const tool of ['tool_a', 'tool_b', 'tool_c', 'tool_d']) await governor.check({ tool, args: {} });
    const families = new Map(parse(await metrics.registry.metrics()).map((f) => [f.name, f]));
    expect(families.get('warden_decisions_total')?.metrics.map((m) => [m.labels?.tool, m.value])).toEqual([['tool_a', '1'], ['tool_b', '1'], ['_other', '2']]);
  });

  it('answers 405 to anything but GET and HEAD, and 500 with the reason when collection fails', async () => {
    const metrics = createMetrics();
    expect((await scrape(metricsHandler(metrics.registry), 'POST')).status).toBe(405);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = null;
    const failing = createMetrics({ sre: { breakerStates: () => { throw new Error('store unreachable'); }, status: () => ({ slos: [] }) } });
    const res = await scrape(metricsHandler(failing.registry));
    expect(res.status).toBe(500);
    expect(res.text).toContain('store unreachable');
  });

  it('sums host-reported tokens and cost by tool', async () => {
    const metrics = createMetrics();
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), monitors: [metrics] });
    await governor.pipeline.observe({ call: 'a', tool: 'search' }, { status: 'ok', usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.5 } });
    await governor.pipeline.observe({ call: 'b', tool: 'search' }, { status: 'ok', usage: { inputTokens: 50 } });
    const families = new Map(parse(await metrics.registry.metrics()).map((f) => [f.name, f]));
    expect(families.get('warden_tool_call_tokens_total')?.metrics.map((m) => [m.labels, m.value])).toEqual([[{ tool: 'search', type: 'input' }, '150'], [{ tool: 'search', type: 'output' }, '10']]);
    expect(families.get('warden_tool_call_cost_usd_total')?.metrics.map((m) => [m.labels, m.value])).toEqual([[{ tool: 'search' }, '0.5']]);
  });

  it('refuses options it does not know', () => {
    expect(() => createMetrics({ registy: null } as never)).toThrow(/Unknown key "registy"/);
  });
});

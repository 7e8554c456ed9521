/**
 * Prometheus metrics of governed calls, with prom-client: decisions by effect, tool and rule, how
 * long deciding took, call outcomes and durations, and (given the SRE runtime) breaker states and
 * error budgets. `metricsHandler()` serves them in the Prometheus text format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import type { DecisionEvent, OutcomeEvent } from '../decision.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { CallMonitor } from '../monitor.js';

/**
 * What the metrics read from the SRE runtime at each scrape (`createSre()` from `agent-warden/sre`
 * has this shape).
 *
 * @example
 * ```ts
 * const source: SreStateSource = sre;
 * ```
 */
export interface SreStateSource {
  breakerStates(): ReadonlyMap<string, string>;
  status(): { slos: readonly { name: string; budgetRemaining: number; alerts: readonly { name: string; firing: boolean; longBurnRate: number }[] }[] };
}

/**
 * Options of {@link createMetrics}.
 *
 * @example
 * ```ts
 * const options: MetricsOptions = { registry: new Registry(), sre };
 * ```
 */
export interface MetricsOptions {
  /** Where the metrics are registered; default a new Registry of their own. */
  registry?: Registry;
  /** The SRE runtime, for breaker and error-budget gauges. */
  sre?: SreStateSource;
  /** Most distinct tool names labelled; calls to further tools are counted under `tool="_other"`. Default 1000. */
  maxTools?: number;
}

const OPTION_KEYS = ['registry', 'sre', 'maxTools'];
const BREAKER_VALUE: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * The metrics monitor: pass it to the pipeline, and serve `registry` (or use {@link metricsHandler}).
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ sre });
 * const governor = new Governor({ policy, monitors: [sre, metrics] });
 * http.createServer(metricsHandler(metrics.registry)).listen(9464);
 * ```
 */
export interface WardenMetrics extends CallMonitor {
  readonly registry: Registry;
}

/**
 * Creates the metrics monitor. Metric names:
 * `warden_decisions_total{effect,tool,rule}`, `warden_decision_duration_seconds{effect}`,
 * `warden_tool_calls_total{tool,status}`, `warden_tool_call_duration_seconds{tool,status}`,
 * `warden_tool_call_tokens_total{tool,type}`, `warden_tool_call_cost_usd_total{tool}` (host-reported usage),
 * `warden_breaker_state{tool}` (0 closed, 1 half-open, 2 open),
 * `warden_slo_error_budget_remaining{slo}`, `warden_slo_burn_rate{slo,alert}` (over the alert's
 * long window) and `warden_slo_alert_firing{slo,alert}`.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): WardenMetrics {
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_OPTIONS', 'createMetrics() options');
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const maxTools = options.maxTools ?? 1000;
  // Counts and histograms accumulate in plain numbers on the call path and are formatted at scrape
  // time: prom-client's own counters hash their labels on every increment.
  const decisions = new Accumulated('warden_decisions_total', 'Decisions made, by final effect, tool and deciding rule.', 'counter', ['effect', 'tool', 'rule'], null);
  const decisionSeconds = new Accumulated('warden_decision_duration_seconds', 'Time from the start of a call to its recorded decision.', 'histogram', ['effect'], [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1, 10]);
  const calls = new Accumulated('warden_tool_calls_total', 'Governed calls that ran, by tool and outcome status.', 'counter', ['tool', 'status'], null);
  const callSeconds = new Accumulated('warden_tool_call_duration_seconds', 'How long governed calls ran.', 'histogram', ['tool', 'status'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  const tokens = new Accumulated('warden_tool_call_tokens_total', 'Tokens governed calls reported using, by tool and type (input, output).', 'counter', ['tool', 'type'], null);
  const cost = new Accumulated('warden_tool_call_cost_usd_total', 'Cost in US dollars governed calls reported, by tool.', 'counter', ['tool'], null);
  for (const m of [decisions, decisionSeconds, calls, callSeconds, tokens, cost]) registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
  const sre = options.sre;
  if (sre !== undefined) {
    new Gauge({
      name: 'warden_breaker_state',
      help: 'Circuit breaker state by tool: 0 closed, 1 half-open, 2 open.',
      labelNames: ['tool'],
      registers,
      collect() {
        this.reset();
        for (const [tool, state] of sre.breakerStates()) this.set({ tool }, BREAKER_VALUE[state] ?? 2);
      },
    });
    const budgets = (): ReturnType<SreStateSource['status']>['slos'] => sre.status().slos;
    new Gauge({
      name: 'warden_slo_error_budget_remaining',
      help: 'Share of the error budget left over the SLO window (1 untouched, 0 spent, below 0 overspent).',
      labelNames: ['slo'],
      registers,
      collect() {
        this.reset();
        for (const s of budgets()) this.set({ slo: s.name }, s.budgetRemaining);
      },
    });
    new Gauge({
      name: 'warden_slo_burn_rate',
      help: 'Burn rate over each alert\'s long window (1 spends the budget exactly over the SLO window).',
      labelNames: ['slo', 'alert'],
      registers,
      collect() {
        this.reset();
        for (const s of budgets()) for (const a of s.alerts) this.set({ slo: s.name, alert: a.name }, a.longBurnRate);
      },
    });
    new Gauge({
      name: 'warden_slo_alert_firing',
      help: 'Whether a multi-window burn-rate alert fires (1) or not (0).',
      labelNames: ['slo', 'alert'],
      registers,
      collect() {
        this.reset();
        for (const s of budgets()) for (const a of s.alerts) this.set({ slo: s.name, alert: a.name }, a.firing ? 1 : 0);
      },
    });
  }

  const tools = new Set<string>();
  const toolLabel = (tool: string): string => {
    if (tools.has(tool)) return tool;
    if (tools.size >= maxTools) return '_other';
    tools.add(tool);
    return tool;
  };

  return {
    registry,
    decided(event: DecisionEvent, elapsedMs: number): void {
      const effect = event.outcome?.effect ?? event.decision.effect;
      const tool = toolLabel(event.request.tool);
      decisions.series(`${effect}\u0000${tool}\u0000${event.decision.rule ?? ''}`, effect, tool, event.decision.rule ?? '').count++;
      decisionSeconds.series(effect, effect).observe(elapsedMs / 1000);
    },
    observed(event: OutcomeEvent): void {
      const tool = toolLabel(event.tool);
      const status = event.outcome.status;
      const key = `${tool}\u0000${status}`;
      calls.series(key, tool, status).count++;
      const d = event.outcome.durationMs;
      if (typeof d === 'number') callSeconds.series(key, tool, status).observe(d / 1000);
      const usage = event.outcome.usage;
      if (usage !== undefined) {
        if (usage.inputTokens !== undefined) tokens.series(`${tool}\u0000input`, tool, 'input').count += usage.inputTokens;
        if (usage.outputTokens !== undefined) tokens.series(`${tool}\u0000output`, tool, 'output').count += usage.outputTokens;
        if (usage.costUsd !== undefined) cost.series(tool, tool).count += usage.costUsd;
      }
    },
  };
}

/** One labelled series of an {@link Accumulated} metric. */
class Series {
  count = 0;
  sum = 0;
  readonly buckets: Float64Array | null;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[] | null,
  ) {
    this.buckets = bounds === null ? null : new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.count++;
    this.sum += v;
    const bounds = this.bounds as readonly number[];
    const buckets = this.buckets as Float64Array;
    for (let i = 0; i < bounds.length; i++) {
      if (v <= (bounds[i] as number)) {
        buckets[i] = (buckets[i] as number) + 1;
        return;
      }
    }
  }
}

/**
 * A counter or histogram kept in plain numbers and formatted at scrape time: a prom-client custom
 * metric (`registry.registerMetric`), in the shape its own metrics give `get()`.
 */
class Accumulated {
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[] | null,
  ) {}

  series(key: string, ...values: string[]): Series {
    let s = this.#series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] as string));
      s = new Series(labels, this.bounds);
      this.#series.set(key, s);
    }
    return s;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName?: string }[] }> {
    const values: { labels: Record<string, string | number>; value: number; metricName?: string }[] = [];
    for (const s of this.#series.values()) {
      if (this.type === 'counter') {
        values.push({ labels: s.labels, value: s.count });
        continue;
      }
      let cumulative = 0;
      const bounds = this.bounds as readonly number[];
      bounds.forEach((le, i) => {
        cumulative += (s.buckets as Float64Array)[i] as number;
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.#series.clear();
  }
}

/**
 * A Node HTTP request listener that serves a registry in the Prometheus text format (any path;
 * mount it where you want). A registry that fails to collect answers 500 with the reason.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(metricsHandler(metrics.registry)).listen(9464);
 * ```
 */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Only GET and HEAD are served here.\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`The metrics could not be collected: ${e instanceof Error ? e.message : String(e)}\n`);
      },
    );
  };
}

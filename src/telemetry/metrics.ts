/**
 * Prometheus metrics of governed calls, with prom-client: decisions by effect, tool and rule, how
 * long deciding took, call outcomes and durations, and (given the SRE runtime) breaker states and
 * error budgets. `metricsHandler()` serves them in the Prometheus text format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
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
  const decisions = new Counter({ name: 'warden_decisions_total', help: 'Decisions made, by final effect, tool and deciding rule.', labelNames: ['effect', 'tool', 'rule'], registers });
  const decisionSeconds = new Histogram({ name: 'warden_decision_duration_seconds', help: 'Time from the start of a call to its recorded decision.', labelNames: ['effect'], buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1, 10], registers });
  const calls = new Counter({ name: 'warden_tool_calls_total', help: 'Governed calls that ran, by tool and outcome status.', labelNames: ['tool', 'status'], registers });
  const callSeconds = new Histogram({ name: 'warden_tool_call_duration_seconds', help: 'How long governed calls ran.', labelNames: ['tool', 'status'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
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

  // Label children are cached per label set: prom-client hashes the labels on every labels() call.
  const tools = new Set<string>();
  const toolLabel = (tool: string): string => {
    if (tools.has(tool)) return tool;
    if (tools.size >= maxTools) return '_other';
    tools.add(tool);
    return tool;
  };
  const decisionChildren = new Map<string, { count: Counter.Internal; seconds: Histogram.Internal<string> }>();
  const callChildren = new Map<string, { count: Counter.Internal; seconds: Histogram.Internal<string> }>();

  return {
    registry,
    decided(event: DecisionEvent, elapsedMs: number): void {
      const effect = event.outcome?.effect ?? event.decision.effect;
      const tool = toolLabel(event.request.tool);
      const rule = event.decision.rule ?? '';
      const key = `${effect}\u0000${tool}\u0000${rule}`;
      let child = decisionChildren.get(key);
      if (child === undefined) {
        child = { count: decisions.labels(effect, tool, rule), seconds: decisionSeconds.labels(effect) };
        decisionChildren.set(key, child);
      }
      child.count.inc();
      child.seconds.observe(elapsedMs / 1000);
    },
    observed(event: OutcomeEvent): void {
      const tool = toolLabel(event.tool);
      const status = event.outcome.status;
      const key = `${tool}\u0000${status}`;
      let child = callChildren.get(key);
      if (child === undefined) {
        child = { count: calls.labels(tool, status), seconds: callSeconds.labels(tool, status) };
        callChildren.set(key, child);
      }
      child.count.inc();
      const d = event.outcome.durationMs;
      if (typeof d === 'number') child.seconds.observe(d / 1000);
    },
  };
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

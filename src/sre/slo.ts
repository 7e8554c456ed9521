/**
 * Service level objectives over governed calls, their error budgets and burn-rate alerts.
 *
 * An SLO says what share of the calls it selects must be good over a rolling window: "99% of
 * `search_*` calls succeed over 30 days" (`sli: success`) or "95% of tool calls complete within
 * 5 s" (`sli: { latency: 5s }`). The error budget is the share that may be bad; it is exhausted
 * when the bad calls of the window reach it, and recovers as they leave the window.
 */
import type { Outcome } from '../decision.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { alertFires, burnRate, WORKBOOK_ALERTS, type BurnRateAlert } from './burn-rate.js';
import { formatDuration, parseDuration } from './duration.js';
import { RollingCounts } from './rolling-window.js';
import { Selector } from './selector.js';

/**
 * An SLO as declared (the body of a `kind: SLO` document).
 *
 * @example
 * ```ts
 * const spec: SloSpec = { name: 'search-availability', tools: ['search_*'], objective: 0.99, window: '30d', sli: 'success' };
 * ```
 */
export interface SloSpec {
  name: string;
  description?: string;
  tools: string[];
  /** Agent id globs; absent: any agent. */
  agents?: string[];
  /** Host globs (`context.host`: `claude-code`, `mcp`, ...); absent: any host, and calls without one. */
  hosts?: string[];
  /** The share of good calls, a ratio strictly between 0 and 1 (99% is 0.99). */
  objective: number;
  /** The rolling window, a duration (`30d`); default 30 days. */
  window?: string | number;
  /** `success` (default): a call is good when it returned. `{ latency: '5s' }`: when it returned within the time. */
  sli?: 'success' | { latency: string | number };
  /** Deny the selected tools while the budget is exhausted (the SLO rule pack); default true. */
  disableWhenExhausted?: boolean;
  /** Fewest calls in the window before the budget can be judged exhausted; default 10. */
  minimumCalls?: number;
}

const SPEC_KEYS = ['name', 'description', 'tools', 'agents', 'hosts', 'objective', 'window', 'sli', 'disableWhenExhausted', 'minimumCalls'];
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const DEFAULT_WINDOW_MS = 30 * 86_400_000;

/**
 * A validated SLO.
 *
 * @example
 * ```ts
 * const slo = defineSlo({ name: 'search', tools: ['search_*'], objective: 0.99 });
 * slo.windowMs; // 2592000000
 * ```
 */
export interface SloDefinition {
  readonly name: string;
  readonly description: string | undefined;
  readonly selector: Selector;
  readonly objective: number;
  readonly windowMs: number;
  readonly sli: { readonly kind: 'success' } | { readonly kind: 'latency'; readonly thresholdMs: number };
  readonly disableWhenExhausted: boolean;
  readonly minimumCalls: number;
}

/**
 * Validates an SLO spec.
 *
 * @example
 * ```ts
 * defineSlo({ name: 'fast-tools', tools: ['*'], objective: 0.95, sli: { latency: '5s' } });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` naming the member that is wrong.
 */
export function defineSlo(spec: SloSpec): SloDefinition {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new WardenError('ERR_SRE_CONFIG', 'An SLO must be an object { name, tools, objective, window?, sli? }.');
  rejectUnknownKeys(spec, SPEC_KEYS, 'ERR_SRE_CONFIG', 'an SLO');
  const name = spec.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw new WardenError('ERR_SRE_CONFIG', `An SLO needs a name of letters, digits, "-" and "_" (starting with a letter, at most 64); got ${JSON.stringify(name)}.`);
  const where = `SLO "${name}"`;
  const objective = spec.objective;
  if (typeof objective !== 'number' || !(objective > 0 && objective < 1)) {
    const hint = typeof objective === 'number' && objective > 1 && objective < 100 ? ` (${objective}% is ${objective / 100})` : '';
    throw new WardenError('ERR_SRE_CONFIG', `${where}: objective must be a ratio strictly between 0 and 1${hint}; got ${JSON.stringify(objective)}.`);
  }
  const windowMs = spec.window === undefined ? DEFAULT_WINDOW_MS : parseDuration(spec.window, `${where}: window`);
  if (windowMs < 3_600_000) throw new WardenError('ERR_SRE_CONFIG', `${where}: window must be at least 1h; got ${formatDuration(windowMs)}.`);
  const sli = sliOf(spec.sli, where);
  const disable = spec.disableWhenExhausted ?? true;
  if (typeof disable !== 'boolean') throw new WardenError('ERR_SRE_CONFIG', `${where}: disableWhenExhausted must be true or false.`);
  const minimumCalls = spec.minimumCalls ?? 10;
  if (typeof minimumCalls !== 'number' || !Number.isSafeInteger(minimumCalls) || minimumCalls < 1) throw new WardenError('ERR_SRE_CONFIG', `${where}: minimumCalls must be a whole number of at least 1.`);
  if (spec.description !== undefined && typeof spec.description !== 'string') throw new WardenError('ERR_SRE_CONFIG', `${where}: description must be text.`);
  return Object.freeze({ name, description: spec.description, selector: new Selector(spec, where), objective, windowMs, sli, disableWhenExhausted: disable, minimumCalls });
}

function sliOf(value: SloSpec['sli'], where: string): SloDefinition['sli'] {
  if (value === undefined || value === 'success') return Object.freeze({ kind: 'success' });
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    rejectUnknownKeys(value, ['latency'], 'ERR_SRE_CONFIG', `${where}: sli`);
    return Object.freeze({ kind: 'latency', thresholdMs: parseDuration(value.latency, `${where}: sli.latency`) });
  }
  throw new WardenError('ERR_SRE_CONFIG', `${where}: sli must be "success" or { latency: "5s" }; got ${JSON.stringify(value)}.`);
}

/**
 * Whether an outcome is good, bad or not counted under an SLI. `aborted` calls are not counted.
 * Under a latency SLI a call is good only when it returned and its duration is known and within
 * the threshold (an unknown duration is not proof of speed).
 *
 * @example
 * ```ts
 * classify({ kind: 'latency', thresholdMs: 5000 }, { status: 'ok', durationMs: 7000 }); // 'bad'
 * ```
 */
export function classify(sli: SloDefinition['sli'], outcome: Outcome): 'good' | 'bad' | 'skip' {
  if (outcome.status === 'aborted') return 'skip';
  if (outcome.status !== 'ok') return 'bad';
  if (sli.kind === 'success') return 'good';
  const d = outcome.durationMs;
  return typeof d === 'number' && d <= sli.thresholdMs ? 'good' : 'bad';
}

/**
 * An SLO's state at one moment.
 *
 * @example
 * ```ts
 * const s: SloStatus = tracker.status(Date.now());
 * if (s.exhausted) console.log(`${s.name}: budget spent`);
 * ```
 */
export interface SloStatus {
  name: string;
  objective: number;
  windowMs: number;
  /** Calls counted over the SLO window, and how many were bad. */
  total: number;
  bad: number;
  /** Share of the error budget left: 1 untouched, 0 spent, below 0 overspent. 1 with no calls. */
  budgetRemaining: number;
  exhausted: boolean;
  /** Each alert, whether it fires, and the burn rates of its two windows. */
  alerts: { name: string; severity: 'page' | 'ticket'; firing: boolean; longBurnRate: number; shortBurnRate: number; threshold: number }[];
}

/**
 * The rolling counts of one SLO, and its status at any time.
 *
 * @example
 * ```ts
 * const t = new SloTracker(defineSlo({ name: 'search', tools: ['search_*'], objective: 0.99 }));
 * t.record(Date.now(), { status: 'error' });
 * t.status(Date.now()).bad; // 1
 * ```
 */
export class SloTracker {
  readonly definition: SloDefinition;
  readonly alerts: readonly BurnRateAlert[];
  readonly #windows = new Map<number, RollingCounts>();
  /** The finest bucket of its windows: its status can change only when one turns over (or a call is counted). */
  readonly resolutionMs: number;

  constructor(definition: SloDefinition, options: { bucketsPerWindow?: number; alerts?: readonly BurnRateAlert[] } = {}) {
    this.definition = definition;
    this.alerts = options.alerts ?? WORKBOOK_ALERTS;
    const buckets = options.bucketsPerWindow ?? 60;
    for (const ms of [definition.windowMs, ...this.alerts.flatMap((a) => [a.longWindowMs, a.shortWindowMs])]) {
      if (!this.#windows.has(ms)) this.#windows.set(ms, new RollingCounts(ms, buckets));
    }
    this.resolutionMs = Math.min(...[...this.#windows.values()].map((w) => w.bucketMs));
  }

  /** Counts one outcome at time `t` (ms) if the SLI counts it. */
  record(t: number, outcome: Outcome): void {
    const kind = classify(this.definition.sli, outcome);
    if (kind === 'skip') return;
    const bad = kind === 'bad' ? 1 : 0;
    for (const w of this.#windows.values()) w.add(t, 1, bad);
  }

  /**
   * Every window's live buckets at `t`, keyed by the window's length in ms: what one process
   * shares with the others on a store (see shared-slo.ts).
   *
   * @example
   * ```ts
   * tracker.counts(Date.now()); // { '300000': [[5883333, 12, 1]], ... }
   * ```
   */
  counts(t: number): Record<string, [number, number, number][]> {
    const out: Record<string, [number, number, number][]> = {};
    for (const [ms, w] of this.#windows) out[String(ms)] = w.entries(t);
    return out;
  }

  /** Adds another process's {@link counts} into this tracker (windows it does not have, and malformed entries, are ignored). */
  merge(counts: unknown): void {
    if (counts === null || typeof counts !== 'object' || Array.isArray(counts)) return;
    for (const [ms, w] of this.#windows) {
      const list = (counts as Record<string, unknown>)[String(ms)];
      if (!Array.isArray(list)) continue;
      for (const e of list) if (Array.isArray(e) && e.length === 3) w.addAt(e[0] as number, e[1] as number, e[2] as number);
    }
  }

  /** The error ratio over the window of `ms` ending at `t` (0 with no calls). */
  errorRatio(ms: number, t: number): number {
    const w = this.#windows.get(ms);
    if (w === undefined) return 0;
    const { total, bad } = w.totals(t);
    return total === 0 ? 0 : bad / total;
  }

  /** The SLO's state at `t` (ms). */
  status(t: number): SloStatus {
    const d = this.definition;
    const { total, bad } = (this.#windows.get(d.windowMs) as RollingCounts).totals(t);
    const allowed = (1 - d.objective) * total;
    const remaining = total === 0 ? 1 : 1 - bad / allowed;
    // (1 - 0.99) * 100 is 1.0000000000000009: a budget spent to the last call is spent.
    const budgetRemaining = Math.abs(remaining) < 1e-9 ? 0 : remaining;
    const exhausted = total >= d.minimumCalls && budgetRemaining <= 0;
    const alerts = this.alerts.map((a) => {
      const long = this.errorRatio(a.longWindowMs, t);
      const short = this.errorRatio(a.shortWindowMs, t);
      return { name: a.name, severity: a.severity, firing: alertFires(a, long, short, d.objective), longBurnRate: burnRate(long, d.objective), shortBurnRate: burnRate(short, d.objective), threshold: a.burnRate };
    });
    return { name: d.name, objective: d.objective, windowMs: d.windowMs, total, bad, budgetRemaining, exhausted, alerts };
  }
}

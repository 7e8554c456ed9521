/**
 * The SRE runtime: one object that holds the circuit breakers, SLO trackers and chaos experiments
 * of an enforcement point, and watches its pipeline as a {@link CallMonitor}: it refuses calls an
 * open breaker covers (saying when it will probe), gives rules the `breaker` and `slo` state, counts
 * every outcome, and hands govern() the fault a running experiment injects.
 *
 * State lives in this process (an in-memory state holder). A fleet of processes does not share
 * breaker or SLO state yet: see docs/sre.md, "What is not built".
 */
import type { AgentIdentity, DecisionEvent, OutcomeEvent, Request } from '../decision.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { Admission, CallMonitor, Fault, MonitoredCall, RuntimeVariables } from '../monitor.js';
import { breakerResult, CircuitBreaker, defineBreaker, type BreakerConfig, type BreakerSpec, type BreakerStateName } from './breaker.js';
import { defineExperiment, RunningExperiment, type ExperimentDefinition, type ExperimentReport, type ExperimentSpec } from './chaos.js';
import { formatDuration } from './duration.js';
import { defineSlo, SloTracker, type SloDefinition, type SloSpec, type SloStatus } from './slo.js';

/**
 * Options of {@link createSre}.
 *
 * @example
 * ```ts
 * const options: SreOptions = { slos: [{ name: 'search', tools: ['search_*'], objective: 0.99 }], breakers: [{ name: 'search', tools: ['search_*'] }] };
 * ```
 */
export interface SreOptions {
  slos?: readonly (SloSpec | SloDefinition)[];
  breakers?: readonly (BreakerSpec | BreakerConfig)[];
  /** The clock every breaker, window and experiment reads, in milliseconds; default Date.now. */
  now?: () => number;
  /** Chooses which calls an experiment with `fraction` < 1 faults; default Math.random. */
  random?: () => number;
  /** Buckets of each rolling SLO window (its resolution is window / buckets); default 60. */
  bucketsPerWindow?: number;
  /** Experiments declared here, started later by name with {@link SreRuntime.startExperiment} (never on their own). */
  experiments?: readonly (ExperimentSpec | ExperimentDefinition)[];
}

const OPTION_KEYS = ['slos', 'breakers', 'now', 'random', 'bucketsPerWindow', 'experiments'];
/** Most tools one per-tool breaker configuration tracks; a call to one more is refused (bounded state, fail closed). */
const TOOLS_PER_BREAKER = 10_000;
/** Most experiments held (running, or ended and kept for their reports). */
const EXPERIMENTS_KEPT = 100;
const STATE_RANK: Readonly<Record<BreakerStateName, number>> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Something that decides whether a principal may start a chaos experiment: a Pipeline or a
 * Governor's pipeline (`governor.pipeline`).
 *
 * @example
 * ```ts
 * await sre.startExperiment(spec, { pipeline: governor.pipeline, agent: { id: 'sre-oncall' } });
 * ```
 */
export interface ExperimentAuthority {
  pipeline: { decide(input: { request: unknown; agent?: AgentIdentity }): Promise<{ verdict: { allowed: boolean; reason: string } }> };
  agent?: AgentIdentity;
}

/** The runtime state of one breaker instance, by what it covers. */
interface BreakerSet {
  config: BreakerConfig;
  /** Per tool (scope `tool`), or the one instance under the config's name (scope `shared`). */
  instances: Map<string, CircuitBreaker>;
}

/**
 * Creates the SRE runtime for one enforcement point. Pass it to the pipeline as a monitor.
 *
 * @example
 * ```ts
 * const sre = createSre({ breakers: [{ name: 'search', tools: ['search_docs'], failureThreshold: 3, coolDown: '30s' }] });
 * const governor = new Governor({ policy, monitors: [sre] });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` for an invalid SLO or breaker, or duplicate names.
 */
export function createSre(options: SreOptions = {}): SreRuntime {
  return new SreRuntime(options);
}

/**
 * The SRE runtime (see {@link createSre}).
 *
 * @example
 * ```ts
 * for (const s of sre.status().slos) console.log(s.name, s.budgetRemaining);
 * ```
 */
export class SreRuntime implements CallMonitor {
  readonly slos: readonly SloTracker[];
  readonly #breakers: readonly BreakerSet[];
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #experiments = new Map<string, RunningExperiment>();
  readonly #declared: ReadonlyMap<string, ExperimentDefinition>;
  /** The `breaker` map rules read, by tool. */
  readonly #view = new Map<string, unknown>();
  /** Breaker instances that are open or half-open (the only ones time alone can change). */
  readonly #unsettled = new Set<CircuitBreaker>();
  /** The tools each instance covers, and the instances covering each tool. */
  readonly #toolsOf = new Map<CircuitBreaker, Set<string>>();
  readonly #covering = new Map<string, CircuitBreaker[]>();
  #sloView: { version: number; validUntil: number; map: Map<string, unknown>; statuses: SloStatus[] } | null = null;
  #sloVersion = 0;

  constructor(options: SreOptions) {
    if (options === null || typeof options !== 'object') throw new WardenError('ERR_SRE_CONFIG', 'createSre() takes an options object { slos?, breakers? }.');
    rejectUnknownKeys(options, OPTION_KEYS, 'ERR_SRE_CONFIG', 'createSre() options');
    const buckets = options.bucketsPerWindow ?? 60;
    if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > 10_000) throw new WardenError('ERR_SRE_CONFIG', `bucketsPerWindow must be a whole number from 1 to 10000; got ${String(buckets)}.`);
    const slos = (options.slos ?? []).map((s) => (isSloDefinition(s) ? s : defineSlo(s as SloSpec)));
    const breakers = (options.breakers ?? []).map((b) => (isBreakerConfig(b) ? b : defineBreaker(b as BreakerSpec)));
    unique(slos.map((s) => s.name), 'SLO');
    unique(breakers.map((b) => b.name), 'circuit breaker');
    const declared = (options.experiments ?? []).map((e) => ('selector' in e ? e : defineExperiment(e)));
    unique(declared.map((e) => e.name), 'chaos experiment');
    this.#declared = new Map(declared.map((e) => [e.name, e]));
    this.slos = Object.freeze(slos.map((d) => new SloTracker(d, { bucketsPerWindow: buckets })));
    this.#breakers = Object.freeze(breakers.map((config) => ({ config, instances: new Map<string, CircuitBreaker>() })));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  // --- CallMonitor ---------------------------------------------------------------------------

  /** admit stage: an open breaker refuses; otherwise the `breaker` and `slo` state rules read. */
  admit(call: MonitoredCall): Admission {
    // invariant: every state change reads the runtime's own clock, so admissions and outcomes agree on time.
    const t = this.#now();
    for (const set of this.#breakers) {
      if (!set.config.selector.matches(call.tool, null)) continue;
      const breaker = this.#instance(set, call.tool);
      if (breaker === null) {
        return { refusal: { rule: `breaker:${set.config.name}`, policy: 'warden:sre', reason: `The circuit breaker "${set.config.name}" already tracks ${TOOLS_PER_BREAKER} tools and cannot track "${call.tool}"; denied. Use a shared breaker (scope: shared) or narrower tool globs.` } };
      }
      const admission = breaker.admit(t, call.call);
      if (!admission.admitted) {
        this.#countRefusal(call.tool, call.agent);
        return { refusal: { rule: `breaker:${set.config.name}`, policy: 'warden:sre', reason: refusalReason(set.config, breaker, call.tool, admission.state, admission.retryAt ?? t, t) } };
      }
    }
    const runtime = this.#runtime(t);
    if (this.slos.length > 0) {
      const statuses = (this.#sloView as { statuses: SloStatus[] }).statuses;
      for (let i = 0; i < this.slos.length; i++) {
        const slo = this.slos[i] as SloTracker;
        const status = statuses[i] as SloStatus;
        if (!status.exhausted || !slo.definition.disableWhenExhausted || !slo.definition.selector.matches(call.tool, call.agent?.id ?? null)) continue;
        this.#countRefusal(call.tool, call.agent);
        return { refusal: { rule: `slo:${slo.definition.name}`, policy: 'warden:sre', reason: exhaustedReason(slo.definition, status, call.tool) } };
      }
    }
    return { runtime };
  }

  /** notify stage: a call admitted as a probe that did not run frees its probe slot. */
  decided(event: DecisionEvent): void {
    if (event.outcome?.executed === true || event.call === undefined) return;
    const t = this.#now();
    for (const set of this.#breakers) {
      if (!set.config.selector.matches(event.request.tool, null)) continue;
      const b = set.instances.get(set.config.scope === 'shared' ? set.config.name : event.request.tool);
      b?.release(t, event.call);
    }
  }

  /** observe: every outcome feeds the breakers and SLOs that cover its call. */
  observed(event: OutcomeEvent): void {
    const t = this.#now();
    const agentId = event.agent?.id ?? null;
    for (const set of this.#breakers) {
      if (!set.config.selector.matches(event.tool, null)) continue;
      const b = this.#instance(set, event.tool);
      if (b === null) continue;
      b.record(t, event.call, breakerResult(set.config, event.outcome));
    }
    for (const slo of this.slos) {
      if (slo.definition.selector.matches(event.tool, agentId)) slo.record(t, event.outcome);
    }
    this.#sloVersion++;
    for (const e of this.#experiments.values()) e.settle(event.call, event.outcome);
  }

  /** govern(): the fault the first running experiment covering the call injects, if its draw says so. */
  fault(call: { call: string; tool: string; agent: Readonly<AgentIdentity> | null }): Fault | null {
    if (this.#experiments.size === 0) return null;
    const t = this.#now();
    for (const e of this.#experiments.values()) {
      if (!e.active(t) || !e.definition.selector.matches(call.tool, call.agent?.id ?? null)) continue;
      e.matched++;
      e.track(call.call);
      if (e.definition.fraction < 1 && this.#random() >= e.definition.fraction) return null;
      e.injected++;
      return e.definition.fault;
    }
    return null;
  }

  // --- operations -----------------------------------------------------------------------------

  /**
   * Every SLO's status, every breaker's state and every experiment's report, now.
   *
   * @example
   * ```ts
   * const { slos, breakers } = sre.status();
   * ```
   */
  status(): { slos: SloStatus[]; breakers: ReturnType<CircuitBreaker['snapshot']>[]; experiments: ExperimentReport[] } {
    const t = this.#now();
    const breakers: ReturnType<CircuitBreaker['snapshot']>[] = [];
    for (const set of this.#breakers) {
      for (const [key, b] of set.instances) breakers.push({ ...b.snapshot(t), name: set.config.scope === 'shared' ? set.config.name : `${set.config.name}/${key}` });
    }
    return { slos: this.slos.map((s) => s.status(t)), breakers, experiments: [...this.#experiments.keys()].map((n) => this.experimentReport(n)) };
  }

  /**
   * Breaker states by tool, for every tool a breaker tracks (the most restrictive when several cover one).
   *
   * @example
   * ```ts
   * sre.breakerStates().get('search_docs'); // 'open'
   * ```
   */
  breakerStates(): Map<string, BreakerStateName> {
    return this.breakerStatesAt(this.#now());
  }

  /**
   * Closes breakers by name (every instance of a per-tool breaker, or only `tool`'s). Returns how many were reset.
   *
   * @example
   * ```ts
   * sre.resetBreaker('search');
   * ```
   */
  resetBreaker(name: string, tool?: string): number {
    const t = this.#now();
    let n = 0;
    for (const set of this.#breakers) {
      if (set.config.name !== name) continue;
      for (const [key, b] of set.instances) {
        if (tool !== undefined && set.config.scope === 'tool' && key !== tool) continue;
        b.reset(t);
        n++;
      }
    }
    return n;
  }

  /**
   * Starts a chaos experiment, if the pipeline allows the principal to: the request
   * `{ tool: 'warden.chaos.start', args: { name, tools, fault, fraction, duration, maxCalls } }` is
   * decided (and recorded) like any call, and only an allowed one starts. Give the experiment, or the
   * name of one declared in the options. Returns its name.
   *
   * @example
   * ```ts
   * await sre.startExperiment({ name: 'flaky-search', tools: ['search_*'], fault: { error: { name: 'ECONNRESET' } }, duration: '5m' }, { pipeline: governor.pipeline, agent: { id: 'sre-oncall' } });
   * ```
   * @throws WardenError `ERR_CHAOS_DENIED` when the decision is not an allow; `ERR_SRE_CONFIG` for an invalid experiment or one of that name running.
   */
  async startExperiment(spec: ExperimentSpec | ExperimentDefinition | string, authority: ExperimentAuthority): Promise<string> {
    let definition: ExperimentDefinition;
    if (typeof spec === 'string') {
      const found = this.#declared.get(spec);
      if (found === undefined) throw new WardenError('ERR_SRE_CONFIG', `No chaos experiment "${spec}" is declared; the declared ones are ${[...this.#declared.keys()].join(', ') || 'none'}.`);
      definition = found;
    } else {
      definition = 'selector' in spec ? spec : defineExperiment(spec);
    }
    if (authority === null || typeof authority !== 'object' || typeof authority.pipeline?.decide !== 'function') {
      throw new WardenError('ERR_CHAOS_DENIED', 'A chaos experiment is started only through a pipeline that decides it: pass { pipeline: governor.pipeline, agent }.');
    }
    const args = { name: definition.name, tools: [...definition.selector.tools], fault: { ...definition.fault }, fraction: definition.fraction, durationMs: definition.durationMs, maxCalls: definition.maxCalls };
    const input: { request: Request; agent?: AgentIdentity } = { request: { tool: 'warden.chaos.start', args } };
    if (authority.agent !== undefined) input.agent = authority.agent;
    const { verdict } = await authority.pipeline.decide(input);
    if (verdict.allowed !== true) throw new WardenError('ERR_CHAOS_DENIED', `Starting chaos experiment "${definition.name}" was not allowed: ${verdict.reason}`);
    const running = this.#experiments.get(definition.name);
    if (running !== undefined && running.active(this.#now())) throw new WardenError('ERR_SRE_CONFIG', `Chaos experiment "${definition.name}" is already running; stop it first.`);
    const t = this.#now();
    const budgets = new Map(this.slos.map((s) => [s.definition.name, s.status(t).budgetRemaining]));
    const experiment = new RunningExperiment(definition, t, budgets);
    // Ended experiments are kept for their reports, at most EXPERIMENTS_KEPT of them (the oldest go first).
    this.#experiments.delete(definition.name);
    if (this.#experiments.size >= EXPERIMENTS_KEPT) {
      for (const [name, e] of this.#experiments) {
        if (!e.active(t)) {
          this.#experiments.delete(name);
          break;
        }
      }
      if (this.#experiments.size >= EXPERIMENTS_KEPT) throw new WardenError('ERR_SRE_CONFIG', `${EXPERIMENTS_KEPT} chaos experiments are running; stop one before starting "${definition.name}".`);
    }
    this.#experiments.set(definition.name, experiment);
    return definition.name;
  }

  /**
   * Stops one experiment (or, without a name, every running one): no fault is injected after it
   * returns. Stopping needs no permission. Returns the names stopped.
   *
   * @example
   * ```ts
   * sre.stopExperiments(); // the kill: every experiment ends now
   * ```
   */
  stopExperiments(name?: string): string[] {
    const t = this.#now();
    const stopped: string[] = [];
    for (const e of this.#experiments.values()) {
      if (name !== undefined && e.definition.name !== name) continue;
      if (e.active(t)) {
        e.ended = 'stopped';
        stopped.push(e.definition.name);
      }
    }
    return stopped;
  }

  /**
   * What an experiment did so far (or in all, once ended).
   *
   * @example
   * ```ts
   * const report = sre.experimentReport('flaky-search');
   * ```
   * @throws WardenError `ERR_SRE_CONFIG` when no experiment of that name was started.
   */
  experimentReport(name: string): ExperimentReport {
    const e = this.#experiments.get(name);
    if (e === undefined) throw new WardenError('ERR_SRE_CONFIG', `No chaos experiment "${name}" was started here.`);
    const t = this.#now();
    e.active(t);
    const at = e.ended === null ? t : Math.min(t, e.endsAt);
    return {
      name,
      fault: e.definition.fault,
      startedAt: new Date(e.startedAt).toISOString(),
      endsAt: new Date(e.endsAt).toISOString(),
      ended: e.ended,
      matched: e.matched,
      injected: e.injected,
      outcomes: { ...e.outcomes },
      refusedByBreaker: e.refused,
      breakerTransitions: [...e.transitions],
      slos: this.slos.map((s) => {
        const now = s.status(at);
        return { name: s.definition.name, budgetAtStart: e.budgetsAtStart.get(s.definition.name) ?? 1, budgetNow: now.budgetRemaining, exhaustedNow: now.exhausted };
      }),
    };
  }

  // --- internals ------------------------------------------------------------------------------

  #instance(set: BreakerSet, tool: string): CircuitBreaker | null {
    const key = set.config.scope === 'shared' ? set.config.name : tool;
    let b = set.instances.get(key);
    if (b !== undefined) {
      if (set.config.scope === 'shared') this.#cover(b, tool);
      return b;
    }
    if (set.instances.size >= TOOLS_PER_BREAKER) return null;
    b = new CircuitBreaker(set.config);
    this.#attach(set, key, b);
    set.instances.set(key, b);
    this.#toolsOf.set(b, new Set());
    this.#cover(b, tool);
    return b;
  }

  /** Records that `b` covers `tool` (a shared breaker learns its tools as they are called; bounded). */
  #cover(b: CircuitBreaker, tool: string): void {
    const tools = this.#toolsOf.get(b) as Set<string>;
    if (tools.has(tool) || tools.size >= TOOLS_PER_BREAKER) return;
    tools.add(tool);
    const list = this.#covering.get(tool);
    if (list === undefined) this.#covering.set(tool, [b]);
    else list.push(b);
    this.#updateView(b);
  }

  #attach(set: BreakerSet, key: string, b: CircuitBreaker): void {
    const label = set.config.scope === 'shared' ? set.config.name : `${set.config.name}/${key}`;
    b.onTransition = (from, to, at) => {
      if (to === 'closed') this.#unsettled.delete(b);
      else this.#unsettled.add(b);
      this.#updateView(b);
      // Each experiment reports the transitions that happened while it ran (bounded).
      for (const e of this.#experiments.values()) {
        if (at >= e.startedAt && at <= e.endsAt && e.ended !== 'stopped' && e.transitions.length < 1000) e.transitions.push({ breaker: label, from, to, at: new Date(at).toISOString() });
      }
    };
  }

  #countRefusal(tool: string, agent: Readonly<AgentIdentity> | null): void {
    const t = this.#now();
    for (const e of this.#experiments.values()) {
      if (e.active(t) && e.definition.selector.matches(tool, agent?.id ?? null)) e.refused++;
    }
  }

  /** The `breaker` and `slo` maps rules read, cached until something changes or time moves a state. */
  #runtime(t: number): RuntimeVariables {
    const out: RuntimeVariables = {};
    if (this.#breakers.length > 0) out.breaker = this.#breakerMap(t);
    if (this.slos.length > 0) out.slo = this.#sloMap(t);
    return out;
  }

  /**
   * The `breaker` map rules read. Kept up to date in place as breakers change state (a decision is
   * synchronous, so it sees one consistent map); only breakers that are not closed can change with
   * time alone, so only they are looked at per decision.
   */
  #breakerMap(t: number): Map<string, unknown> {
    for (const b of this.#unsettled) b.state(t);
    return this.#view;
  }

  /** Sets the rule view's entry of every tool `b` covers to the most restrictive state of the breakers covering it. */
  #updateView(b: CircuitBreaker): void {
    for (const tool of this.#toolsOf.get(b) ?? []) {
      let state: BreakerStateName = 'closed';
      for (const other of this.#covering.get(tool) ?? []) {
        const s = other.stateNow;
        if (STATE_RANK[s] > STATE_RANK[state]) state = s;
      }
      const entry = this.#view.get(tool) as Map<string, unknown> | undefined;
      if (entry === undefined) this.#view.set(tool, new Map<string, unknown>([['state', state]]));
      else entry.set('state', state);
    }
  }

  /**
   * {@link breakerStates} at a given time (ms).
   *
   * @example
   * ```ts
   * sre.breakerStatesAt(Date.now()).get('search_docs'); // 'closed'
   * ```
   */
  breakerStatesAt(t: number): Map<string, BreakerStateName> {
    const out = new Map<string, BreakerStateName>();
    for (const set of this.#breakers) {
      for (const [key, b] of set.instances) {
        const state = b.state(t);
        const tools = set.config.scope === 'shared' ? [...(this.#toolsOf.get(b) ?? [])] : [key];
        for (const tool of tools) {
          const prev = out.get(tool);
          if (prev === undefined || STATE_RANK[state] > STATE_RANK[prev]) out.set(tool, state);
        }
      }
    }
    return out;
  }

  #sloMap(t: number): Map<string, unknown> {
    const cached = this.#sloView;
    if (cached !== null && cached.version === this.#sloVersion && t < cached.validUntil) return cached.map;
    const map = new Map<string, unknown>();
    const statuses: SloStatus[] = [];
    let validUntil = Number.POSITIVE_INFINITY;
    for (const slo of this.slos) {
      const s = slo.status(t);
      statuses.push(s);
      const entry = new Map<string, unknown>();
      entry.set('exhausted', s.exhausted);
      entry.set('budgetRemaining', s.budgetRemaining);
      entry.set('paging', s.alerts.some((a) => a.firing && a.severity === 'page'));
      entry.set('ticketing', s.alerts.some((a) => a.firing && a.severity === 'ticket'));
      map.set(s.name, entry);
      // Counts change when the smallest window's bucket turns over.
      const step = slo.resolutionMs;
      validUntil = Math.min(validUntil, (Math.floor(t / step) + 1) * step);
    }
    this.#sloView = { version: this.#sloVersion, validUntil, map, statuses };
    return map;
  }
}

function refusalReason(config: BreakerConfig, breaker: CircuitBreaker, tool: string, state: BreakerStateName, retryAt: number, now: number): string {
  const when = `${new Date(retryAt).toISOString()} (in ${Math.max(0, Math.ceil((retryAt - now) / 1000))} s)`;
  if (state === 'open') {
    const why = breaker.openedBecause === '' ? '' : ` after ${breaker.openedBecause}`;
    return `The circuit breaker "${config.name}" for tool "${tool}" is open${why}; it lets a probe call through at ${when}. Retry then, or use another tool meanwhile.`;
  }
  return `The circuit breaker "${config.name}" for tool "${tool}" is half-open and its ${config.probes} probe call${config.probes === 1 ? ' is' : 's are'} in flight; it admits more once the probes succeed, by ${when} at the latest.`;
}

function exhaustedReason(d: SloDefinition, s: SloStatus, tool: string): string {
  const allowed = (1 - d.objective) * s.total;
  const what = d.sli.kind === 'success' ? 'succeed' : `complete within ${formatDuration(d.sli.thresholdMs)}`;
  return `The error budget of SLO "${d.name}" (${percent(d.objective)} of calls ${what} over ${formatDuration(d.windowMs)}) is exhausted: ${s.bad} of the last ${s.total} calls were bad and the budget allows ${round(allowed)}. Tool "${tool}" is disabled until the budget recovers, as bad calls leave the window.`;
}

function percent(ratio: number): string {
  return `${round(ratio * 100)}%`;
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function unique(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new WardenError('ERR_SRE_CONFIG', `Two ${what}s are named "${n}"; names must be unique.`);
    seen.add(n);
  }
}

function isSloDefinition(s: unknown): s is SloDefinition {
  return s !== null && typeof s === 'object' && 'selector' in s && 'windowMs' in s;
}

function isBreakerConfig(b: unknown): b is BreakerConfig {
  return b !== null && typeof b === 'object' && 'selector' in b && 'coolDownMs' in b;
}

/**
 * The SRE runtime: one object that holds the circuit breakers, SLO trackers and chaos experiments
 * of an enforcement point, and watches its pipeline as a {@link CallMonitor}: it refuses calls an
 * open breaker covers (saying when it will probe), gives rules the `breaker` and `slo` state, counts
 * every outcome, and hands govern() the fault a running experiment injects.
 *
 * Without a store, state lives in this process. With `store`, every process on that store shares
 * breaker transitions (shared-breaker.ts), SLO windows (shared-slo.ts) and, with `signers`, chaos
 * experiments (shared-chaos.ts); a store that cannot be reached denies the calls that need it.
 */
import type { AgentIdentity, DecisionEvent, OutcomeEvent, Request } from '../decision.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { Admission, CallMonitor, Fault, MonitoredCall, RuntimeVariables } from '../monitor.js';
import { breakerResult, CircuitBreaker, defineBreaker, type BreakerConfig, type BreakerSpec, type BreakerStateName } from './breaker.js';
import { defineExperiment, RunningExperiment, type ExperimentDefinition, type ExperimentReport, type ExperimentSpec } from './chaos.js';
import { formatDuration } from './duration.js';
import { defineSlo, SloTracker, type SloDefinition, type SloSpec, type SloStatus } from './slo.js';
import { randomBytes } from 'node:crypto';
import { KillSwitch } from '../runtime/kill.js';
import type { Store } from '../store/types.js';
import { SharedBreakers, type SharedAdmission } from './shared-breaker.js';
import { CHAOS_KEY, experimentsKilled, experimentsOf, stopSharedExperiments } from './shared-chaos.js';
import { exchangeSloCounts } from './shared-slo.js';

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
  /**
   * The state store every process of the fleet shares (`openStore(url)`): breaker transitions and
   * SLO windows are shared through it, and `admit` then answers with a Promise (a synchronous
   * call is denied). A store that cannot be reached denies the calls a breaker or SLO covers.
   */
  store?: Store;
  /**
   * With `store`: the runtime signers (DIDs). Chaos experiments started with `warden chaos run`
   * and signed by one of them are injected here, and a kill (of all, or of an agent an experiment
   * covers) ends running experiments in every process.
   */
  signers?: readonly string[];
  /** Called with each error of a store write made after a call (an outcome that could not be counted). */
  onStoreError?: (error: unknown) => void;
}

const OPTION_KEYS = ['slos', 'breakers', 'now', 'random', 'bucketsPerWindow', 'experiments', 'store', 'signers', 'onStoreError'];
/** Most probe calls awaiting their outcome, per process. */
const PROBES_TRACKED = 10_000;
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
  /** This process's own counts of each SLO (without a store, also what decides). */
  readonly #localSlos: readonly SloTracker[];
  /** With a store: the fleet's counts, as of the last exchange plus this process's outcomes since. */
  #fleetSlos: readonly SloTracker[];
  readonly #buckets: number;
  readonly #store: Store | null;
  readonly #shared: SharedBreakers | null;
  readonly #signers: ReadonlySet<string> | null;
  readonly #kill: KillSwitch | null;
  readonly #member = `p_${randomBytes(9).toString('base64url')}`;
  readonly #onStoreError: (error: unknown) => void;
  #sloExchangeAt = Number.NEGATIVE_INFINITY;
  #chaosVersion: number | null = null;
  /** Shared experiments mirrored here: name -> id. */
  readonly #sharedIds = new Map<string, string>();
  /** The shared state each local instance last saw, and the closed period (epoch) its counts belong to. */
  readonly #seen = new Map<CircuitBreaker, SharedAdmission>();
  /** Probe calls admitted here: call -> the breaker instances it probes. */
  readonly #probeCalls = new Map<string, { set: BreakerSet; key: string }[]>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Calls whose shared admit is still reading the store, and those of them already denied meanwhile (a synchronous check). */
  readonly #admitting = new Set<string>();
  readonly #deniedEarly = new Set<string>();
  /** The host (`context.host`) of each call admitted and not yet observed, for host selectors (bounded). */
  readonly #hostOf = new Map<string, string>();
  /** Store writes after a call that failed (outcomes not counted in the fleet). */
  storeErrors = 0;
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
    this.#buckets = buckets;
    this.#localSlos = Object.freeze(slos.map((d) => new SloTracker(d, { bucketsPerWindow: buckets })));
    this.#fleetSlos = this.#localSlos;
    const store = options.store ?? null;
    if (store !== null && (typeof store !== 'object' || typeof store.kv?.compareAndSet !== 'function')) throw new WardenError('ERR_SRE_CONFIG', 'store must be a state store (openStore(url)).');
    if (options.signers !== undefined && store === null) throw new WardenError('ERR_SRE_CONFIG', 'signers needs a store: shared chaos experiments and kills are read from it.');
    if (options.onStoreError !== undefined && typeof options.onStoreError !== 'function') throw new WardenError('ERR_SRE_CONFIG', 'onStoreError must be a function.');
    this.#store = store;
    this.#shared = store === null ? null : new SharedBreakers(store);
    this.#signers = options.signers === undefined ? null : new Set(options.signers);
    this.#kill = store === null || options.signers === undefined ? null : new KillSwitch({ store, signers: options.signers });
    this.#onStoreError = options.onStoreError ?? (() => undefined);
    if (this.#shared !== null) this.#shared.onTransition = (name, key, from, to, at) => this.#transitioned(name, key, from, to, at);
    this.#breakers = Object.freeze(breakers.map((config) => ({ config, instances: new Map<string, CircuitBreaker>() })));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Every SLO's tracker: with a store, the fleet's counts. */
  get slos(): readonly SloTracker[] {
    return this.#fleetSlos;
  }

  // --- CallMonitor ---------------------------------------------------------------------------

  /** admit stage: an open breaker refuses; otherwise the `breaker` and `slo` state rules read. */
  admit(call: MonitoredCall): Admission | Promise<Admission> {
    this.#rememberHost(call);
    if (this.#shared !== null) return this.#admitShared(call);
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
        this.#countRefusal(call.tool, call.agent, this.#hostOf.get(call.call) ?? null);
        return { refusal: { rule: `breaker:${set.config.name}`, policy: 'warden:sre', reason: refusalReason(set.config, breaker, call.tool, admission.state, admission.retryAt ?? t, t) } };
      }
    }
    return this.#sloAdmission(call, t);
  }

  /** The SLO part of admit: the state rules read, or the refusal of an exhausted budget. */
  #sloAdmission(call: MonitoredCall, t: number): Admission {
    const runtime = this.#runtime(t);
    if (this.slos.length > 0) {
      const statuses = (this.#sloView as { statuses: SloStatus[] }).statuses;
      for (let i = 0; i < this.slos.length; i++) {
        const slo = this.slos[i] as SloTracker;
        const status = statuses[i] as SloStatus;
        if (!status.exhausted || !slo.definition.disableWhenExhausted || !slo.definition.selector.matches(call.tool, call.agent?.id ?? null, this.#hostOf.get(call.call) ?? null)) continue;
        this.#countRefusal(call.tool, call.agent, this.#hostOf.get(call.call) ?? null);
        return { refusal: { rule: `slo:${slo.definition.name}`, policy: 'warden:sre', reason: exhaustedReason(slo.definition, status, call.tool) } };
      }
    }
    return { runtime };
  }

  /** admit with a store: the SLO windows and experiments brought up to date, then every covering breaker's shared state. */
  #admitShared(call: MonitoredCall): Promise<Admission> {
    const admission = this.#admitSharedTracked(call);
    // flush() also waits for admits in flight (a synchronous check's admit finishes after its denial).
    const settled = admission.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
    return admission;
  }

  async #admitSharedTracked(call: MonitoredCall): Promise<Admission> {
    this.#admitting.add(call.call);
    try {
      return await this.#admitSharedNow(call);
    } finally {
      this.#admitting.delete(call.call);
      // A call denied before its admit finished (a synchronous check does not wait) never runs: a probe slot it claimed is freed.
      if (this.#deniedEarly.delete(call.call)) {
        const probes = this.#probeCalls.get(call.call);
        this.#probeCalls.delete(call.call);
        for (const p of probes ?? []) this.#track((this.#shared as SharedBreakers).settleProbe(p.set.config, p.key, call.call, 'neutral', this.#now()));
      }
    }
  }

  async #admitSharedNow(call: MonitoredCall): Promise<Admission> {
    const t = this.#now();
    if (this.slos.length > 0 && t >= this.#sloExchangeAt) await this.sync(t);
    if (this.#signers !== null) await this.#syncExperiments(t);
    if (this.#kill !== null) await this.#endKilledExperiments(t);
    let worst: BreakerStateName = 'closed';
    for (const set of this.#breakers) {
      if (!set.config.selector.matches(call.tool, null)) continue;
      const local = this.#instance(set, call.tool);
      if (local === null) {
        return { refusal: { rule: `breaker:${set.config.name}`, policy: 'warden:sre', reason: `The circuit breaker "${set.config.name}" already tracks ${TOOLS_PER_BREAKER} tools and cannot track "${call.tool}"; denied. Use a shared breaker (scope: shared) or narrower tool globs.` } };
      }
      const key = set.config.scope === 'shared' ? set.config.name : call.tool;
      const a = await (this.#shared as SharedBreakers).admit(set.config, key, call.call, t);
      // A new closed period (another process closed or reset it): this process's failure counts start over.
      if (this.#seen.get(local)?.epoch !== a.epoch) {
        local.reset(t);
        local.forgetCounts();
      }
      this.#seen.set(local, a);
      if (STATE_RANK[a.state] > STATE_RANK[worst]) worst = a.state;
      this.#setView(call.tool, worst);
      if (a.probe) this.#trackProbe(call.call, set, key);
      if (!a.admitted) {
        this.#countRefusal(call.tool, call.agent, this.#hostOf.get(call.call) ?? null);
        return { refusal: { rule: `breaker:${set.config.name}`, policy: 'warden:sre', reason: sharedRefusalReason(set.config, call.tool, a, t) } };
      }
    }
    return this.#sloAdmission(call, t);
  }

  /**
   * With a store: writes this process's SLO counts and reads the fleet's (done by admit once per
   * resolution step; call it to make this process's outcomes visible to the others now).
   *
   * @example
   * ```ts
   * await sre.sync();
   * ```
   */
  async sync(t: number = this.#now()): Promise<void> {
    const store = this.#store;
    if (store === null || this.#localSlos.length === 0) return;
    const fleet: SloTracker[] = [];
    for (const local of this.#localSlos) fleet.push(await exchangeSloCounts(store, local, this.#member, t, this.#buckets));
    this.#fleetSlos = Object.freeze(fleet);
    this.#sloExchangeAt = t + Math.min(...fleet.map((s) => s.resolutionMs));
    this.#sloVersion++;
  }

  /**
   * Waits for the store writes started after calls (outcomes, probe results, transitions) and for
   * admits still reading the store.
   *
   * @example
   * ```ts
   * await sre.flush();
   * ```
   */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Mirrors the signed experiments on the store: new ones start here, removed ones stop. */
  async #syncExperiments(t: number): Promise<void> {
    const store = this.#store as Store;
    const entry = await store.kv.get(CHAOS_KEY);
    const version = entry?.version ?? null;
    if (version === this.#chaosVersion) return;
    const running = experimentsOf(entry, this.#signers as ReadonlySet<string>, t);
    const ids = new Set(running.map((r) => r.experiment.id));
    for (const [name, id] of this.#sharedIds) {
      if (ids.has(id)) continue;
      const e = this.#experiments.get(name);
      if (e !== undefined && e.active(t)) e.ended = 'stopped';
      this.#sharedIds.delete(name);
    }
    for (const { experiment, definition } of running) {
      if (this.#sharedIds.get(definition.name) === experiment.id) continue;
      const budgets = new Map(this.slos.map((s) => [s.definition.name, s.status(t).budgetRemaining]));
      const e = new RunningExperiment(definition, experiment.startedAt, budgets);
      if (!this.#keep(definition.name, e, t)) continue;
      this.#sharedIds.set(definition.name, experiment.id);
    }
    this.#chaosVersion = version;
  }

  /** While experiments run: a kill of all, or of an agent one covers, ends it here and on the store. */
  async #endKilledExperiments(t: number): Promise<void> {
    const active = [...this.#experiments.values()].filter((e) => e.active(t));
    if (active.length === 0) return;
    const reading = await (this.#kill as KillSwitch).read();
    const kills = !reading.ok ? [{ scope: 'all', id: '' }] : (reading.state?.entries ?? []);
    for (const e of active) {
      if (!experimentsKilled(e.definition, kills)) continue;
      e.ended = 'killed';
      const id = this.#sharedIds.get(e.definition.name);
      if (id !== undefined) this.#track(stopSharedExperiments(this.#store as Store, { name: e.definition.name, reason: 'ended by the kill switch', by: 'warden:sre', where: (x) => x.id === id }));
    }
  }

  #rememberHost(call: MonitoredCall): void {
    const context = call.request.context as Record<string, unknown> | undefined;
    const host = context !== undefined && Object.hasOwn(context, 'host') ? context.host : undefined;
    if (typeof host !== 'string') return;
    if (this.#hostOf.size >= PROBES_TRACKED) this.#hostOf.delete(this.#hostOf.keys().next().value as string);
    this.#hostOf.set(call.call, host);
  }

  #trackProbe(call: string, set: BreakerSet, key: string): void {
    let list = this.#probeCalls.get(call);
    if (list === undefined) {
      // Bounded: the oldest forgotten probe times out in the store (probeTimeout) and reopens the breaker.
      if (this.#probeCalls.size >= PROBES_TRACKED) this.#probeCalls.delete(this.#probeCalls.keys().next().value as string);
      this.#probeCalls.set(call, (list = []));
    }
    list.push({ set, key });
  }

  #track(p: Promise<unknown>): void {
    const q = p.then(
      () => undefined,
      (e: unknown) => {
        this.storeErrors++;
        this.#onStoreError(e);
      },
    );
    this.#pending.add(q);
    void q.finally(() => this.#pending.delete(q));
  }

  /** A shared transition this process made: experiments report it. */
  #transitioned(name: string, key: string, from: BreakerStateName, to: BreakerStateName, at: number): void {
    const set = this.#breakers.find((b) => b.config.name === name);
    const label = set?.config.scope === 'shared' ? name : `${name}/${key}`;
    for (const e of this.#experiments.values()) {
      if (at >= e.startedAt && at <= e.endsAt && e.ended !== 'stopped' && e.ended !== 'killed' && e.transitions.length < 1000) e.transitions.push({ breaker: label, from, to, at: new Date(at).toISOString() });
    }
  }

  #setView(tool: string, state: BreakerStateName): void {
    const entry = this.#view.get(tool) as Map<string, unknown> | undefined;
    if (entry === undefined) this.#view.set(tool, new Map<string, unknown>([['state', state]]));
    else entry.set('state', state);
  }

  /** notify stage: a call admitted as a probe that did not run frees its probe slot. */
  decided(event: DecisionEvent): void {
    if (event.outcome?.executed === true || event.call === undefined) return;
    this.#hostOf.delete(event.call);
    const t = this.#now();
    if (this.#shared !== null) {
      if (this.#admitting.has(event.call)) this.#deniedEarly.add(event.call);
      const probes = this.#probeCalls.get(event.call);
      this.#probeCalls.delete(event.call);
      for (const p of probes ?? []) this.#track((this.#shared as SharedBreakers).settleProbe(p.set.config, p.key, event.call, 'neutral', t));
      return;
    }
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
    const probes = this.#shared === null ? undefined : this.#probeCalls.get(event.call);
    if (probes !== undefined) this.#probeCalls.delete(event.call);
    for (const set of this.#breakers) {
      if (!set.config.selector.matches(event.tool, null)) continue;
      const b = this.#instance(set, event.tool);
      if (b === null) continue;
      const result = breakerResult(set.config, event.outcome);
      if (this.#shared === null) {
        b.record(t, event.call, result);
        continue;
      }
      const key = set.config.scope === 'shared' ? set.config.name : event.tool;
      const probe = probes?.find((p) => p.set === set);
      if (probe !== undefined) {
        this.#track(this.#shared.settleProbe(set.config, key, event.call, result, t));
        continue;
      }
      // Counting is this process's; the first process whose count trips opens the breaker for the fleet.
      b.record(t, event.call, result);
      if (b.stateNow === 'open') {
        const why = b.openedBecause;
        b.reset(t);
        this.#track(this.#shared.open(set.config, key, this.#seen.get(b)?.epoch ?? 0, why, t));
      }
    }
    const host = this.#hostOf.get(event.call) ?? null;
    this.#hostOf.delete(event.call);
    for (const slo of this.#localSlos) {
      if (slo.definition.selector.matches(event.tool, agentId, host)) slo.record(t, event.outcome);
    }
    if (this.#fleetSlos !== this.#localSlos) {
      for (const slo of this.#fleetSlos) {
        if (slo.definition.selector.matches(event.tool, agentId, host)) slo.record(t, event.outcome);
      }
    }
    this.#sloVersion++;
    for (const e of this.#experiments.values()) e.settle(event.call, event.outcome);
  }

  /** govern(): the fault the first running experiment covering the call injects, if its draw says so. */
  fault(call: { call: string; tool: string; agent: Readonly<AgentIdentity> | null }): Fault | null {
    if (this.#experiments.size === 0) return null;
    const t = this.#now();
    for (const e of this.#experiments.values()) {
      if (!e.active(t) || !e.definition.selector.matches(call.tool, call.agent?.id ?? null, this.#hostOf.get(call.call) ?? null)) continue;
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
      for (const [key, b] of set.instances) {
        const snap = { ...b.snapshot(t), name: set.config.scope === 'shared' ? set.config.name : `${set.config.name}/${key}` };
        // With a store: the state this process last saw there (its own instance only counts).
        const seen = this.#seen.get(b);
        if (seen !== undefined) Object.assign(snap, { state: seen.state, probeAt: seen.state === 'open' ? (seen.retryAt ?? null) : null });
        breakers.push(snap);
      }
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
   * Closes breakers by name (every instance of a per-tool breaker this process has seen, or only
   * `tool`'s). With a store the reset is written there for every process (await {@link flush});
   * an operator's signed reset is `warden breaker reset`. Returns how many were reset.
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
        // With a store the reset is the fleet's: started here, awaited with flush().
        if (this.#shared !== null) this.#track(this.#shared.reset(set.config, set.config.scope === 'shared' ? set.config.name : key, t));
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
    if (!this.#keep(definition.name, experiment, t)) throw new WardenError('ERR_SRE_CONFIG', `${EXPERIMENTS_KEPT} chaos experiments are running; stop one before starting "${definition.name}".`);
    return definition.name;
  }

  /** Holds an experiment. Ended ones are kept for their reports, at most EXPERIMENTS_KEPT of them (the oldest go first). */
  #keep(name: string, experiment: RunningExperiment, t: number): boolean {
    this.#experiments.delete(name);
    if (this.#experiments.size >= EXPERIMENTS_KEPT) {
      for (const [n, e] of this.#experiments) {
        if (!e.active(t)) {
          this.#experiments.delete(n);
          break;
        }
      }
      if (this.#experiments.size >= EXPERIMENTS_KEPT) return false;
    }
    this.#experiments.set(name, experiment);
    return true;
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
      if (this.#shared !== null) return;
      if (to === 'closed') this.#unsettled.delete(b);
      else this.#unsettled.add(b);
      this.#updateView(b);
      // Each experiment reports the transitions that happened while it ran (bounded).
      for (const e of this.#experiments.values()) {
        if (at >= e.startedAt && at <= e.endsAt && e.ended !== 'stopped' && e.transitions.length < 1000) e.transitions.push({ breaker: label, from, to, at: new Date(at).toISOString() });
      }
    };
  }

  #countRefusal(tool: string, agent: Readonly<AgentIdentity> | null, host: string | null): void {
    const t = this.#now();
    for (const e of this.#experiments.values()) {
      if (e.active(t) && e.definition.selector.matches(tool, agent?.id ?? null, host)) e.refused++;
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
    // With a store the view is what admit last read there, not this process's counting instance.
    if (this.#shared !== null) return;
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

function sharedRefusalReason(config: BreakerConfig, tool: string, a: SharedAdmission, now: number): string {
  const retryAt = a.retryAt ?? now;
  const when = `${new Date(retryAt).toISOString()} (in ${Math.max(0, Math.ceil((retryAt - now) / 1000))} s)`;
  if (a.state === 'open') return `The circuit breaker "${config.name}" for tool "${tool}" is open${a.why === '' ? '' : ` after ${a.why}`} (shared by every process on the state store); it lets a probe call through at ${when}. Retry then, or use another tool meanwhile.`;
  return `The circuit breaker "${config.name}" for tool "${tool}" is half-open and its ${config.probes} probe call${config.probes === 1 ? ' is' : 's are'} in flight in the fleet; it admits more once the probes succeed, by ${when} at the latest.`;
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

/**
 * The enforcement pipeline: the one flow every entry point goes through (the Governor, govern(),
 * the framework adapters, the Claude Code hook, `warden check`, the MCP gateway). It is a named
 * list of stages, read top to bottom in {@link STAGES}:
 *
 *   snapshot -> identify -> kill -> enrich -> gate -> session -> admit -> decide -> approve -> recheck -> kill-recheck -> charge -> record -> notify
 *   (then, by the caller:) run the decided snapshot -> observe -> record outcome
 *
 * One frozen snapshot of the request is made first; it is what is decided, shown to the approval
 * handler, recorded, and (by govern()) run. Entry points translate their host's shapes into a
 * {@link CallInput} and the {@link Verdict} back into their host's way of allowing, denying or
 * asking; none of them builds a Decision or a record itself.
 */
import { systemTimer, type CallTimer } from './fault.js';
import { randomBytes } from 'node:crypto';
import type { AgentIdentity, DecisionError, DecisionSink, Outcome, OutcomeEvent, OutcomeFinding, WardenWarning } from '../decision.js';
import { WardenError } from '../errors.js';
import { takeSnapshot } from '../lib/snapshot.js';
import type { PolicySet } from '../policy/policy-set.js';
import { currentDigest, EMPTY_REQUEST, freezeDecision, frozenCopy, isoTime, messageOf, type CallState, type Core, type Stage } from './call.js';
import { finish } from './finish.js';
import { MemorySink } from './memory-sink.js';
import type { CallInput, DecidedCall, PipelineOptions, PipelineRuntime, PolicyProvider } from './pipeline-types.js';
import type { Verdict } from './verdict.js';
import { chargeStage, releaseIfDenied, sessionStage, stateCore } from './charge-stage.js';
import { admitStage, approveStage, decideStage, gateStage, identifyStage, notifyStage, recheckStage, recordStage, snapshotStage } from './stages.js';
import { enrichStage } from './enrich-stage.js';
import { SessionMarks } from './session-marks.js';
import { KILL_RULE, killRecheckStage, killStage } from './kill-stage.js';
import type { CallMonitor, Fault } from '../monitor.js';
import type { AsyncTextDetector } from '../detect/types.js';
import type { OutputScan } from '../detect/output.js';

export type { CallInput, DecidedCall, Gate, GateRefusal, HostApproval, PipelineOptions, PipelineRuntime, PolicyProvider } from './pipeline-types.js';

const OPTION_KEYS: readonly (keyof PipelineOptions)[] = [
  'policy',
  'agent',
  'identity',
  'context',
  'approvalHandler',
  'approval',
  'approvalTimeoutMs',
  'sink',
  'onAuditFailure',
  'clock',
  'onWarning',
  'callIds',
  'runtime',
  'state',
  'monitors',
  'timer',
  'resultModel',
];

const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * The stages, in order. `kill` (the kill switch, src/enforce/kill-stage.ts) and `enrich` (trust,
 * tier and ring, src/enforce/enrich-stage.ts) run between `identify` and `gate` when a runtime is
 * configured, and `kill-recheck` after an approval wait; later issues insert theirs here: session
 * labels, limits and breakers in `enrich`; `charge` (limits and budgets drawn after an allow)
 * between `recheck` and `record`.
 */
export const STAGES: readonly Stage[] = Object.freeze([
  { name: 'snapshot', run: snapshotStage },
  { name: 'identify', run: identifyStage },
  { name: 'kill', run: killStage },
  { name: 'enrich', run: enrichStage },
  { name: 'gate', run: gateStage },
  { name: 'session', run: sessionStage },
  { name: 'admit', run: admitStage },
  { name: 'decide', run: decideStage },
  { name: 'approve', run: approveStage },
  { name: 'recheck', run: recheckStage },
  { name: 'kill-recheck', run: killRecheckStage },
  { name: 'charge', run: chargeStage },
  { name: 'record', run: recordStage },
  { name: 'notify', run: notifyStage },
]);

/**
 * The enforcement pipeline for one enforcement point: a policy, an identity, an approval handler
 * and a sink. Decides, approves and records one call at a time (concurrent calls are independent).
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline({ policy, agent: { id: 'bot' }, sink });
 * const { verdict } = await pipeline.decide({ request: { tool: 'refund', args: { amount: 50 } } });
 * await pipeline.observe(verdict, { status: 'ok', durationMs: 3 });
 * ```
 */
export class Pipeline {
  readonly sink: DecisionSink;
  readonly #core: Core;
  readonly #policy: PolicyProvider;
  readonly #agent: Readonly<AgentIdentity> | null;
  readonly #clock: () => Date;
  /** Where governed calls read time and wait (the `timer` option). */
  readonly timer: CallTimer;
  /** The tier 3 model the host adapters run on every tool result beside tiers 1 and 2 (the `resultModel` option); null when none. */
  readonly resultModel: AsyncTextDetector | null;
  readonly #warn: (warning: WardenWarning) => void;
  readonly #runtime: PipelineRuntime | null;
  /** Under a runtime: the agent of each tracked call, until its outcome is observed. */
  readonly #agents = new Map<string, string | null>();
  readonly #monitors: readonly CallMonitor[];
  readonly #runners: readonly CallMonitor[];

  constructor(options: PipelineOptions) {
    if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'Pass the options as an object: { policy, agent?, sink?, ... }.');
    rejectUnknownKeys(options, OPTION_KEYS, 'pipeline');
    const policy = options.policy as PolicySet | PolicyProvider | undefined;
    if (!policy || typeof policy !== 'object') throw new WardenError('ERR_OPTIONS', 'A policy is required: pass a PolicySet from loadPolicyFiles() or compilePolicy(), or a PolicyStore.');
    this.#policy = typeof (policy as Partial<PolicyProvider>).current === 'function' ? (policy as PolicyProvider) : { current: () => policy as PolicySet };
    this.#agent = options.agent === undefined ? null : frozenCopy(options.agent, 'agent');
    // invariant: `verified` and `delegation` come only from the identify stage, never from configuration.
    if (this.#agent !== null && ('verified' in this.#agent || 'delegation' in this.#agent)) throw new WardenError('ERR_OPTIONS', 'The agent option cannot carry verified or delegation: those are set by the identify stage from a verified credential (pass identity and a per-call credential).');
    const identity = options.identity ?? null;
    if (identity !== null && (typeof identity !== 'object' || typeof identity.verifyCredential !== 'function')) throw new WardenError('ERR_OPTIONS', 'identity must be a credential verifier: createIdentityVerifier({...}) from agent-warden/identity.');
    const context = options.context === undefined ? null : frozenCopy(options.context, 'context');
    if (options.approvalHandler !== undefined && typeof options.approvalHandler !== 'function') throw new WardenError('ERR_OPTIONS', 'approvalHandler must be a function that answers true to approve.');
    if (options.approval !== undefined && options.approval !== 'handler' && options.approval !== 'defer') {
      throw new WardenError('ERR_OPTIONS', `approval must be "handler" or "defer"; got ${JSON.stringify(options.approval)}.`);
    }
    const timeout = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) throw new WardenError('ERR_OPTIONS', `approvalTimeoutMs must be a positive number of milliseconds; got ${String(timeout)}.`);
    const onAuditFailure = options.onAuditFailure ?? 'deny';
    if (onAuditFailure !== 'deny' && onAuditFailure !== 'allow-and-warn') throw new WardenError('ERR_OPTIONS', `onAuditFailure must be "deny" or "allow-and-warn"; got ${JSON.stringify(onAuditFailure)}.`);
    this.#clock = options.clock ?? (() => new Date());
    const timer = options.timer === undefined ? systemTimer : options.timer;
    if (timer === null || typeof timer !== 'object' || typeof timer.now !== 'function' || typeof timer.sleep !== 'function' || typeof timer.block !== 'function') throw new WardenError('ERR_OPTIONS', 'timer must be { now(), sleep(ms), block(ms) } (see CallTimer).');
    this.timer = timer;
    const model = options.resultModel ?? null;
    if (model !== null && (typeof model !== 'object' || typeof model.detect !== 'function' || typeof model.name !== 'string')) {
      throw new WardenError('ERR_OPTIONS', 'resultModel must be a loaded tier 3 model: await loadOnnxDetector(config) from agent-warden/detect.');
    }
    this.resultModel = model;
    this.#warn = options.onWarning ?? (() => undefined);
    this.sink = options.sink ?? new MemorySink();
    const runtime = options.runtime ?? null;
    if (runtime !== null && (typeof runtime !== 'object' || typeof runtime.killed !== 'function' || typeof runtime.enrich !== 'function' || typeof runtime.track !== 'function')) {
      throw new WardenError('ERR_OPTIONS', 'runtime must be a runtime from createRuntime() (agent-warden/runtime).');
    }
    this.#runtime = runtime;
    this.#monitors = monitorsOf(options.monitors);
    this.#runners = this.#monitors.filter((m) => typeof m.run === 'function');
    const state = stateCore(options.state);
    this.#core = Object.freeze({
      sink: this.sink,
      policy: this.#policy,
      agent: this.#agent,
      identity,
      context,
      approve: options.approvalHandler,
      defer: options.approval === 'defer',
      approvalTimeoutMs: timeout,
      onAuditFailure,
      warn: this.#warn,
      callIds: options.callIds ?? sequentialIds(),
      runtime,
      state,
      monitors: this.#monitors,
      timer,
      marks: state === null ? null : new SessionMarks(state, this.#warn),
      acting: new WeakMap(),
    });
  }

  /** The PolicySet in force right now. */
  get policySet(): PolicySet {
    return this.#policy.current();
  }

  /**
   * Runs the stages for one call and returns its verdict and snapshot. Never throws: anything that
   * goes wrong is a denial with a reason.
   *
   * @example
   * ```ts
   * const { verdict } = await pipeline.decide({ request: { tool: 'delete_user', args: { id: 7 } } });
   * ```
   */
  async decide(input: CallInput): Promise<DecidedCall> {
    const call = this.#start(input, false);
    const pending = runStages(call, this.#core, 0);
    if (pending !== undefined) await pending;
    const decided = this.#runtime === null ? finish(call) : this.#withRuntime(call, finish(call));
    this.#remember(call, decided);
    await releaseIfDenied(call, decided.verdict.allowed);
    // A call that may run is remembered with its session, so the labels its result brings in reach that session.
    if (call.session !== null && this.#core.marks !== null && (decided.verdict.allowed || decided.verdict.effect === 'require_approval')) this.#core.marks.track(decided.verdict.call, call.session.id);
    return decided;
  }

  /** Under a runtime: trust events from the decision, and an abort signal for an allowed call. */
  #withRuntime(call: CallState, decided: DecidedCall): DecidedCall {
    const runtime = this.#runtime as PipelineRuntime;
    const { verdict } = decided;
    const agent = call.agent?.id ?? null;
    if (agent !== null && call.report === null) {
      if (!verdict.allowed && verdict.rule !== KILL_RULE && call.decision?.errors.length === 0) runtime.noteDecision(agent, 'denial');
      if (verdict.approval?.approved === true) runtime.noteDecision(agent, 'approval');
    }
    if (!verdict.allowed || call.report !== null) return decided;
    const context = call.request.context as Record<string, unknown> | undefined;
    const signal = runtime.track(verdict.call, agent, typeof context?.session === 'string' ? context.session : null);
    this.#agents.set(verdict.call, agent);
    if (this.#agents.size > 100_000) this.#agents.delete(this.#agents.keys().next().value as string);
    return { ...decided, signal };
  }

  /**
   * {@link decide} for synchronous governed functions: the approval handler must answer
   * synchronously (a Promise answer denies) and the sink must offer `writeSync`.
   *
   * @example
   * ```ts
   * const { verdict } = pipeline.decideSync({ request: { tool: 'read_config', args: {} } });
   * ```
   */
  decideSync(input: CallInput): DecidedCall {
    const call = this.#start(input, true);
    const pending = runStages(call, this.#core, 0);
    // invariant: in sync mode no stage returns a Promise (runStages denies instead of waiting).
    if (pending !== undefined) pending.then(undefined, () => undefined);
    const decided = finish(call);
    this.#remember(call, decided);
    return decided;
  }

  /**
   * The agent an allowed verdict of this pipeline acted as: the verified identity when its
   * credential verified, else the asserted one (null for none). Undefined for a verdict this
   * pipeline did not return or did not allow. Calls that run within that call (CallInput.within)
   * act as the same agent.
   *
   * @example
   * ```ts
   * const { verdict } = await pipeline.decide({ request, credential });
   * const agent = pipeline.actingAgent(verdict); // { id: 'agent-7', verified: { method: 'dpop', ... } }
   * ```
   */
  actingAgent(verdict: Verdict): Readonly<AgentIdentity> | null | undefined {
    return verdict !== null && typeof verdict === 'object' ? this.#core.acting.get(verdict) : undefined;
  }

  /** An allowed call's verdict is remembered (weakly) with its agent, for the calls that run within it. */
  #remember(call: CallState, decided: DecidedCall): void {
    if (decided.verdict.allowed && call.report === null) this.#core.acting.set(decided.verdict, call.agent);
  }

  /**
   * Records an event the enforcement point decided itself, outside the policy (the MCP gateway's
   * report that a pinned tool definition changed, a prompt the hook records without deciding). It
   * goes through the same stages as a call (snapshot, identify, record); its record says whether
   * what it reports went on (`executed`, default false).
   *
   * @example
   * ```ts
   * await pipeline.report({ request: { tool: 'read_file', args: {}, context: { mcp: { event: 'tool_changed' } } } }, { effect: 'warn', rule: 'mcp-pin', policy: 'warden:mcp-gateway', reason: 'the definition changed' });
   * ```
   */
  async report(input: CallInput, finding: { effect: 'allow' | 'deny' | 'warn'; rule: string | null; policy: string | null; reason: string; executed?: boolean }): Promise<DecidedCall> {
    const call = this.#start(input, false);
    const digest = currentDigest(this.#policy);
    const effect = finding.effect === 'warn' || finding.effect === 'allow' ? finding.effect : 'deny';
    call.report = freezeDecision({ effect, allowed: effect !== 'deny', rule: finding.rule === null ? null : String(finding.rule), policy: finding.policy === null ? null : String(finding.policy), reason: String(finding.reason), approvers: [], errors: [], policyDigest: digest });
    call.reportExecuted = finding.executed === true;
    const pending = runStages(call, this.#core, 0);
    if (pending !== undefined) await pending;
    return finish(call);
  }

  /**
   * Records what happened when a decided call ran. Never throws: an outcome that cannot be
   * recorded is reported through `onWarning` (the call has already run; nothing can undo it).
   *
   * @example
   * ```ts
   * const started = performance.now();
   * try { await tool(args); await pipeline.observe(verdict, { status: 'ok', durationMs: performance.now() - started }); }
   * catch (e) { await pipeline.observe(verdict, { status: 'error', error: { name: e.name, message: e.message } }); throw e; }
   * ```
   */
  observe(call: { call: string; tool: string; agent?: AgentIdentity | null; session?: string }, outcome: Outcome): Promise<void> {
    return this.observeRecorded(call, outcome).then(() => undefined);
  }

  /**
   * {@link observe}, answering whether the outcome record was written: `{ recorded: false, reason }`
   * when the sink refused or failed it (also reported through `onWarning`). A decision service
   * uses it to tell a caller its outcome was lost, so the caller can send it again. Never throws.
   *
   * @example
   * ```ts
   * const { recorded, reason } = await pipeline.observeRecorded(verdict, { status: 'ok' });
   * if (!recorded) console.error(`outcome lost: ${reason}`);
   * ```
   */
  observeRecorded(call: { call: string; tool: string; agent?: AgentIdentity | null; session?: string }, outcome: Outcome): Promise<{ recorded: boolean; reason?: string }> {
    if (this.#runtime !== null) this.#observed(call.call, outcome);
    const marking = this.#mark(call, outcome);
    const recording = this.#record(call, outcome).then((reason) => (reason === null ? { recorded: true } : { recorded: false, reason }));
    if (marking === null) return recording;
    return Promise.all([marking, recording]).then(([, r]) => r);
  }

  /**
   * {@link observe} for a call that returned `result`: the observe stage scans the result itself,
   * with tier 1 and the secret scan (agent-warden/detect `scanOutput`) and, when the pipeline has
   * a `resultModel` (tier 3), that model on every string of it; the outcome (`outcome`, `ok` by
   * default, plus the scan's labels and findings) is recorded and the labels go to the call's
   * session. The session waits for the scan from this call on: its next call is not decided
   * before the labels are stored, even when the caller does not await this. A model that cannot
   * score a text adds `model.failed` and `untrusted`; a result that cannot be scanned (or a scan
   * that throws) is `untrusted` (`output.unscanned`) and, with `redact`, withheld. Answers the scan
   * (its `value` is the redacted copy with `redact: true`) and whether the outcome was recorded.
   * Never throws.
   *
   * @example
   * ```ts
   * const { scan } = await pipeline.observeResult({ call: verdict.call, tool: 'fetch_page' }, result, { redact: verdict.policyDecision.redactSecrets === true });
   * if (scan.injection) console.warn('the result carries instructions for the model');
   * ```
   */
  observeResult(
    call: { call: string; tool: string; agent?: AgentIdentity | null; session?: string },
    result: unknown,
    options: { outcome?: Outcome; redact?: boolean } = {},
  ): Promise<{ scan: OutputScan; recorded: boolean; reason?: string }> {
    const redact = options.redact === true;
    const scanning = this.#scanResult(result, redact);
    // invariant: the session's mark is registered before the first await, so a call of the
    // session decided while the result is still being scanned waits for its labels.
    const marking = this.#core.marks === null ? null : this.#core.marks.mark(String(call.call), typeof call.session === 'string' ? call.session : undefined, scanning.then((r) => r.labels));
    return scanning.then(async (scan) => {
      const outcome: Outcome = {
        ...(options.outcome ?? { status: 'ok' }),
        ...(scan.labels.length > 0 ? { labels: scan.labels } : {}),
        ...(scan.findings.length > 0 ? { findings: scan.findings } : {}),
      };
      if (this.#runtime !== null) this.#observed(call.call, outcome);
      const [, reason] = await Promise.all([marking, this.#record(call, outcome)]);
      return reason === null ? { scan, recorded: true } : { scan, recorded: false, reason };
    });
  }

  /** The observe stage's result scan: tiers 1 (and the secret scan) and the pipeline's tier 3 model. Never rejects. */
  async #scanResult(result: unknown, redact: boolean): Promise<OutputScan> {
    const options = redact ? { redact: true } : undefined;
    try {
      // Loaded here, not with the pipeline: most pipelines never scan a result.
      if (this.resultModel === null) return (await import('../detect/output.js')).scanOutput(result, options);
      return await (await import('../detect/output-model.js')).scanOutputWithModel(result, options, this.resultModel);
    } catch (e) {
      // invariant: a result that was not scanned is untrusted, and nothing unredacted is handed on.
      const reason = `the result could not be scanned (${messageOf(e)}); treated as untrusted`;
      return { findings: [{ detector: 'injection', rule: 'output.unscanned', family: 'unscanned', start: 0, end: 0, score: 1, reason, path: '$' }], labels: ['untrusted'], injection: true, secrets: false, value: redact ? null : result, withheld: redact };
    }
  }

  /**
   * observe: the labels the outcome carries (an output scanner's `untrusted`, `private`) are added
   * to the call's session: the one it was decided in, or `call.session` for an enforcement point
   * that observes in another process than it decided in. Null when there is nothing to add.
   */
  #mark(call: { call: string; session?: string }, outcome: Outcome): Promise<void> | null {
    const marks = this.#core.marks;
    if (marks === null) return null;
    let labels: string[] = [];
    try {
      if (outcome !== null && typeof outcome === 'object' && outcome.labels !== undefined) labels = labelsCopy(outcome.labels);
    } catch {
      // A malformed outcome is reported (outcome_not_recorded) by #record; the call's tracking is still dropped.
    }
    return marks.mark(String(call.call), typeof call.session === 'string' ? call.session : undefined, labels);
  }

  /** Writes the outcome record: null when written (or when there is no sink to write it to), else why not. */
  #record(call: { call: string; tool: string; agent?: AgentIdentity | null }, outcome: Outcome): Promise<string | null> {
    const writeOutcome = this.sink.writeOutcome;
    const monitors = this.#monitors;
    if (typeof writeOutcome !== 'function' && monitors.length === 0) return Promise.resolve(null);
    let event: OutcomeEvent;
    try {
      event = Object.freeze({ ts: isoTime(this.#clock()), call: call.call, tool: call.tool, agent: call.agent ?? this.#agent, outcome: Object.freeze(outcomeCopy(outcome)) });
    } catch (e) {
      return Promise.resolve(this.#warnOutcome(call, e));
    }
    for (const monitor of monitors) {
      if (typeof monitor.observed !== 'function') continue;
      try {
        monitor.observed(event);
      } catch (e) {
        this.#warn({ code: 'monitor_failed', message: `A call monitor failed on the outcome of call ${call.call} (${call.tool}): ${messageOf(e)}.` });
      }
    }
    if (typeof writeOutcome !== 'function') return Promise.resolve(null);
    try {
      return writeOutcome.call(this.sink, event).then(
        () => null,
        (e: unknown) => this.#warnOutcome(call, e),
      );
    } catch (e) {
      return Promise.resolve(this.#warnOutcome(call, e));
    }
  }

  #observed(id: string, outcome: Outcome): void {
    const runtime = this.#runtime as PipelineRuntime;
    runtime.release(id);
    if (!this.#agents.has(id)) return;
    const agent = this.#agents.get(id) ?? null;
    this.#agents.delete(id);
    const status = outcome?.status;
    if (agent !== null && (status === 'ok' || status === 'error' || status === 'aborted')) runtime.noteOutcome(agent, status);
  }

  /**
   * Runs a decided call's function the way the monitors want it run (inside the call's trace span,
   * with tracing); just `fn()` without such a monitor. govern() runs every governed function here.
   *
   * @example
   * ```ts
   * const result = await pipeline.runCall(verdict.call, () => tool(args));
   * ```
   */
  runCall<T>(call: string, fn: () => T): T {
    const runners = this.#runners;
    if (runners.length === 0) return fn();
    let run = fn;
    for (const monitor of runners) {
      const inner = run;
      const runner = monitor as Required<Pick<CallMonitor, 'run'>>;
      run = () => runner.run(call, inner);
    }
    return run();
  }

  /**
   * The fault a running chaos experiment injects into this decided call, or null. govern() asks it
   * just before the call runs and applies it to the real call; an enforcement point that runs the
   * tool itself does the same. A monitor that throws injects nothing (and is reported).
   *
   * @example
   * ```ts
   * const fault = pipeline.faultFor({ call: verdict.call, tool: 'search' });
   * if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
   * ```
   */
  faultFor(call: { call: string; tool: string; agent?: AgentIdentity | null }): Fault | null {
    const monitors = this.#monitors;
    if (monitors.length === 0) return null;
    const now = this.#clock();
    for (const monitor of monitors) {
      if (typeof monitor.fault !== 'function') continue;
      try {
        const fault = monitor.fault({ call: call.call, tool: call.tool, agent: call.agent ?? this.#agent }, now);
        if (fault !== null && fault !== undefined) return fault;
      } catch (e) {
        this.#warn({ code: 'monitor_failed', message: `A call monitor failed choosing a fault for call ${call.call} (${call.tool}): ${messageOf(e)}.` });
      }
    }
    return null;
  }

  /** Reports an outcome that could not be recorded; answers the reason. */
  #warnOutcome(call: { call: string; tool: string }, e: unknown): string {
    const message = `The outcome of call ${call.call} (${call.tool}) could not be recorded: ${messageOf(e)}.`;
    this.#warn({ code: 'outcome_not_recorded', message });
    return message;
  }

  #start(input: CallInput, sync: boolean): CallState {
    return {
      sync,
      input: input !== null && typeof input === 'object' ? input : { request: input },
      now: this.#clock(),
      id: '',
      snapshot: null,
      request: EMPTY_REQUEST,
      unrecordable: null,
      invalid: null,
      agent: null,
      decision: null,
      gated: false,
      approval: undefined,
      waited: false,
      recorded: false,
      auditError: null,
      warnings: [],
      report: null,
      reportExecuted: false,
      session: null,
      sessionError: null,
      release: null,
      runtime: undefined,
      event: null,
      startedAt: this.#monitors.length > 0 ? this.timer.now() : 0,
    };
  }

}

/** Runs stages from `from`, synchronously until one returns a Promise. */
function runStages(call: CallState, core: Core, from: number): Promise<void> | undefined {
  for (let i = from; i < STAGES.length; i++) {
    const stage = STAGES[i] as Stage;
    let pending: void | Promise<void>;
    try {
      pending = stage.run(call, core);
    } catch (e) {
      stageFailed(call, stage.name, e);
      continue;
    }
    if (pending === undefined) continue;
    if (call.sync) {
      // A stage waited in a synchronous call: nothing can wait here, so the call is denied.
      pending.then(undefined, () => undefined);
      stageFailed(call, stage.name, new Error('it had to wait, and the governed function is synchronous'));
      continue;
    }
    return pending.then(
      () => runStages(call, core, i + 1),
      (e: unknown) => {
        stageFailed(call, stage.name, e);
        return runStages(call, core, i + 1);
      },
    );
  }
  return undefined;
}

function stageFailed(call: CallState, stage: string, e: unknown): void {
  const message = `the ${stage} stage failed: ${messageOf(e)}`;
  const error: DecisionError = { code: 'pipeline_error', rule: null, policy: null, message };
  const digest = call.decision?.policyDigest ?? '';
  call.decision = { effect: 'deny', allowed: false, rule: null, policy: null, reason: `Warden could not finish deciding this call (${message}); denied.`, approvers: [], errors: [...(call.decision?.errors ?? []), error], policyDigest: digest };
  call.approval = undefined;
}

// --- stages -------------------------------------------------------------------------------

function outcomeCopy(outcome: Outcome): Outcome {
  if (outcome === null || typeof outcome !== 'object') throw new WardenError('ERR_OPTIONS', 'An outcome is { status: "ok" | "error" | "aborted", durationMs?, error? }.');
  const status = outcome.status;
  if (status !== 'ok' && status !== 'error' && status !== 'aborted') throw new WardenError('ERR_OPTIONS', `outcome.status must be "ok", "error" or "aborted"; got ${JSON.stringify(status)}.`);
  const out: Outcome = { status };
  if (typeof outcome.durationMs === 'number' && Number.isFinite(outcome.durationMs) && outcome.durationMs >= 0) out.durationMs = Math.round(outcome.durationMs * 1000) / 1000;
  if (outcome.error !== undefined) out.error = { name: String(outcome.error?.name ?? 'Error').slice(0, 200), message: String(outcome.error?.message ?? '').slice(0, 2000) };
  if (outcome.result !== undefined) out.result = takeSnapshot(outcome.result).value;
  if (outcome.labels !== undefined) out.labels = labelsCopy(outcome.labels);
  if (outcome.findings !== undefined) out.findings = findingsCopy(outcome.findings);
  const usage = usageCopy(outcome.usage);
  if (usage !== null) out.usage = usage;
  return out;
}

/** Session labels: distinct short strings. */
function labelsCopy(labels: unknown): string[] {
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string' && l !== '' && l.length <= 64)) throw new WardenError('ERR_OPTIONS', 'outcome.labels must be a list of label names (non-empty strings of at most 64 characters).');
  return [...new Set(labels as string[])].slice(0, 32);
}

/** Scanner findings, bounded: at most 100, each field a plain value. */
function findingsCopy(findings: unknown): OutcomeFinding[] {
  if (!Array.isArray(findings)) throw new WardenError('ERR_OPTIONS', 'outcome.findings must be a list of findings from agent-warden/detect.');
  return findings.slice(0, 100).map((f: Partial<OutcomeFinding> | null) => {
    if (f === null || typeof f !== 'object') throw new WardenError('ERR_OPTIONS', 'Each outcome finding is { detector, rule, score, reason, path?, start?, end? }.');
    const out: OutcomeFinding = { detector: String(f.detector).slice(0, 32), rule: String(f.rule).slice(0, 128), score: typeof f.score === 'number' && Number.isFinite(f.score) ? f.score : 0, reason: String(f.reason).slice(0, 500) };
    if (typeof f.path === 'string') out.path = f.path.slice(0, 500);
    if (Number.isSafeInteger(f.start)) out.start = f.start as number;
    if (Number.isSafeInteger(f.end)) out.end = f.end as number;
    return out;
  });
}

/** The usage members that are finite, non-negative numbers, or null when none is. */
function usageCopy(usage: unknown): Outcome['usage'] | null {
  if (usage === null || typeof usage !== 'object') return null;
  const out: NonNullable<Outcome['usage']> = {};
  for (const key of ['inputTokens', 'outputTokens', 'costUsd'] as const) {
    const v: unknown = Object.prototype.hasOwnProperty.call(usage, key) ? (usage as Record<string, unknown>)[key] : undefined;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = v;
  }
  return Object.keys(out).length === 0 ? null : Object.freeze(out);
}

function monitorsOf(given: readonly CallMonitor[] | undefined): readonly CallMonitor[] {
  if (given === undefined) return Object.freeze([]);
  if (!Array.isArray(given)) throw new WardenError('ERR_OPTIONS', 'monitors must be a list of call monitors: [createSre(...), createTracing(...)].');
  for (const m of given as unknown[]) {
    if (m === null || typeof m !== 'object') throw new WardenError('ERR_OPTIONS', 'Each monitor must be an object with admit, decided, observed or fault members (createSre(), createTracing(), createMetrics()).');
  }
  return Object.freeze([...given]);
}

function rejectUnknownKeys(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new WardenError('ERR_OPTIONS', `Unknown ${what} option ${JSON.stringify(key)}; the options are ${known.join(', ')}.`);
  }
}

/**
 * Call ids for calls whose host gave none: a random 96-bit prefix per pipeline and a counter
 * (unique across processes and restarts, and far cheaper than a UUID per call).
 */
function sequentialIds(): () => string {
  const prefix = randomBytes(12).toString('base64url');
  let n = 0;
  return () => `${prefix}.${(++n).toString(36)}`;
}

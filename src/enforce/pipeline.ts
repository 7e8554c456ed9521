/**
 * The enforcement pipeline: the one flow every entry point goes through (the Governor, govern(),
 * the framework adapters, the Claude Code hook, `warden check`, the MCP gateway). It is a named
 * list of stages, read top to bottom in {@link STAGES}:
 *
 *   snapshot -> identify -> gate -> decide -> approve -> recheck -> record      (then, by the caller:)
 *   run the decided snapshot -> observe -> record outcome
 *
 * One frozen snapshot of the request is made first; it is what is decided, shown to the approval
 * handler, recorded, and (by govern()) run. Entry points translate their host's shapes into a
 * {@link CallInput} and the {@link Verdict} back into their host's way of allowing, denying or
 * asking; none of them builds a Decision or a record itself.
 */
import { randomBytes } from 'node:crypto';
import type { AgentIdentity, Decision, DecisionError, DecisionEvent, DecisionOutcome, DecisionSink, Outcome, OutcomeEvent, Request, WardenWarning } from '../decision.js';
import { findSecrets } from '../audit/redact.js';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import { adoptParsedJson, deepFreeze, takeSnapshot, withRequestSnapshot, type Snapshot } from '../lib/snapshot.js';
import type { PolicySet } from '../policy/policy-set.js';
import { approvalQuestion, askHandler, askHandlerSync, type ApprovalHandler } from './approval.js';
import { MemorySink } from './memory-sink.js';
import type { ApprovalOutcome, Verdict } from './verdict.js';

/**
 * Something that holds the current PolicySet: a PolicySet itself or a PolicyStore.
 *
 * @example
 * ```ts
 * const provider: PolicyProvider = { current: () => policySet };
 * ```
 */
export interface PolicyProvider {
  current(): PolicySet;
}

/**
 * A check an enforcement point makes itself, outside the policy (the MCP gateway's tool pins).
 * Runs before `decide` and again after `approve`; a refusal denies and is recorded under its own
 * rule and policy names.
 *
 * @example
 * ```ts
 * const gate: Gate = (request) => (pinned.has(request.tool) ? null : { rule: 'mcp-pin', policy: 'warden:mcp-gateway', reason: 'not pinned' });
 * ```
 */
export type Gate = (request: Readonly<Request>) => GateRefusal | null;

/**
 * Why a gate refused a call.
 *
 * @example
 * ```ts
 * const r: GateRefusal = { rule: 'mcp-pin', policy: 'warden:mcp-gateway', reason: 'the tool definition changed since it was pinned' };
 * ```
 */
export interface GateRefusal {
  rule: string;
  policy: string;
  reason: string;
}

/**
 * One call, as an enforcement point hands it to the pipeline.
 *
 * @example
 * ```ts
 * const input: CallInput = { request: { tool: 'Bash', args: { command: 'ls' }, context: { host: 'claude-code', callId: 'toolu_01' } } };
 * ```
 */
export interface CallInput {
  /** `{ tool, args, context? }` as the host gave it. Anything else is an invalid request (a denial). */
  request: unknown;
  /** The identity the enforcement point authenticated; the pipeline's `agent` when absent. Never read from `request`. */
  agent?: AgentIdentity;
  /** An approval handler for this call only (the MCP gateway asks through the calling session). */
  approvalHandler?: ApprovalHandler;
  /** The enforcement point's own check (see {@link Gate}). */
  gate?: Gate;
  /**
   * True when `request` is a fresh result of `JSON.parse` that the enforcement point hands over
   * (the CLI's and the hook's own parse of their input): it is frozen in place instead of copied,
   * and its canonical text is made only when something needs it. Never set it for an object
   * anyone else can reach.
   */
  parsedJson?: boolean;
  /**
   * Set when the enforcement point already knows the request is invalid (its text is not JSON,
   * or repeats a key): the call is denied as `invalid_request` with this reason, and recorded.
   */
  invalid?: string;
}

/**
 * Options of a {@link Pipeline} (the Governor takes the same, plus nothing else).
 *
 * @example
 * ```ts
 * const options: PipelineOptions = { policy, agent: { id: 'support-bot' }, sink, approvalHandler, onWarning: (w) => console.warn(w.message) };
 * ```
 */
export interface PipelineOptions {
  /** The policy in force: a compiled PolicySet, or a PolicyStore that can hot-reload. */
  policy: PolicySet | PolicyProvider;
  /** The identity this enforcement point authenticated; used when a call carries none. */
  agent?: AgentIdentity;
  /** Context merged under each request's own context (the request's keys win). */
  context?: Record<string, unknown>;
  approvalHandler?: ApprovalHandler;
  /**
   * `handler` (default): a `require_approval` decision asks the approval handler. `defer`: the
   * verdict stays `require_approval` and the enforcement point asks its host (Claude Code's `ask`,
   * `warden check` reports it).
   */
  approval?: 'handler' | 'defer';
  /** How long to wait for the approval handler; default 5 minutes. */
  approvalTimeoutMs?: number;
  /** Where decisions (and outcomes) are recorded; default an in-memory sink. */
  sink?: DecisionSink;
  /** What to do when a decision cannot be recorded: deny (default) or allow and warn. */
  onAuditFailure?: 'deny' | 'allow-and-warn';
  /** The clock for `ts` and the `now` rules see; injected so tests and replays are deterministic. */
  clock?: () => Date;
  /** Receives warnings (audit failures under allow-and-warn, outcomes that could not be recorded). */
  onWarning?: (warning: WardenWarning) => void;
  /** Makes call ids for calls whose host gave none (`context.callId`); default a random prefix per pipeline and a counter. */
  callIds?: () => string;
}

const OPTION_KEYS: readonly (keyof PipelineOptions)[] = [
  'policy',
  'agent',
  'context',
  'approvalHandler',
  'approval',
  'approvalTimeoutMs',
  'sink',
  'onAuditFailure',
  'clock',
  'onWarning',
  'callIds',
];

const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60 * 1000;
/** A host call id kept as the call's id: an identifier of at most 256 characters (the audit record's rule). */
const CALL_ID = /^[A-Za-z0-9._:@-]{1,256}$/;

/** The request members a snapshot covers, in canonical order. */
interface RequestParts {
  args?: unknown;
  context?: unknown;
  tool?: unknown;
}

/** One call on its way through the stages. */
interface CallState {
  readonly sync: boolean;
  readonly input: CallInput;
  readonly now: Date;
  id: string;
  /** The request's snapshot; null when the request has no JSON form. */
  snapshot: Snapshot<RequestParts> | null;
  /** What is decided, shown and recorded: the snapshot's value, or what of the request can be shown. */
  request: Request;
  /** Why the request cannot be recorded as given (see DecisionEvent.unrecordable). */
  unrecordable: string | null;
  /** Why the request is invalid before any policy sees it. */
  invalid: string | null;
  agent: Readonly<AgentIdentity> | null;
  decision: Decision | null;
  /** True when the decision came from a gate, not the policy. */
  gated: boolean;
  approval: ApprovalOutcome | undefined;
  /** Whether approval waited (so the gate is asked again). */
  waited: boolean;
  recorded: boolean;
  auditError: string | null;
  warnings: WardenWarning[];
  /** Set for a report (see Pipeline.report): its decision, made by the enforcement point. */
  report: Decision | null;
  /** For a report: whether what it reports went on (a prompt recorded, not decided). */
  reportExecuted: boolean;
}

/** A named step of the pipeline. A stage returns a Promise only when it must wait. */
interface Stage {
  readonly name: string;
  run(call: CallState, core: Core): void | Promise<void>;
}

/**
 * The stages, in order. Later issues insert theirs here: `kill` (the kill switch) and `enrich`
 * (trust, ring, session labels, limits and breakers) between `identify` and `gate`; `charge`
 * (limits and budgets drawn after an allow) between `recheck` and `record`.
 */
export const STAGES: readonly Stage[] = Object.freeze([
  { name: 'snapshot', run: snapshotStage },
  { name: 'identify', run: identifyStage },
  { name: 'gate', run: gateStage },
  { name: 'decide', run: decideStage },
  { name: 'approve', run: approveStage },
  { name: 'recheck', run: recheckStage },
  { name: 'record', run: recordStage },
]);

/**
 * A decided call: the verdict, and the snapshot the governed function must run with.
 *
 * @example
 * ```ts
 * const { verdict, snapshot } = await pipeline.decide({ request });
 * if (verdict.allowed) run(JSON.parse(snapshot!.text).args);
 * ```
 */
export interface DecidedCall {
  verdict: Verdict;
  /** The decided request; null when it had no JSON form (the verdict is then a denial). */
  snapshot: Snapshot<{ args?: unknown; context?: unknown; tool?: unknown }> | null;
}

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
  readonly #warn: (warning: WardenWarning) => void;

  constructor(options: PipelineOptions) {
    if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'Pass the options as an object: { policy, agent?, sink?, ... }.');
    rejectUnknownKeys(options, OPTION_KEYS, 'pipeline');
    const policy = options.policy as PolicySet | PolicyProvider | undefined;
    if (!policy || typeof policy !== 'object') throw new WardenError('ERR_OPTIONS', 'A policy is required: pass a PolicySet from loadPolicyFiles() or compilePolicy(), or a PolicyStore.');
    this.#policy = typeof (policy as Partial<PolicyProvider>).current === 'function' ? (policy as PolicyProvider) : { current: () => policy as PolicySet };
    this.#agent = options.agent === undefined ? null : frozenCopy(options.agent, 'agent');
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
    this.#warn = options.onWarning ?? (() => undefined);
    this.sink = options.sink ?? new MemorySink();
    this.#core = Object.freeze({
      sink: this.sink,
      policy: this.#policy,
      agent: this.#agent,
      context,
      approve: options.approvalHandler,
      defer: options.approval === 'defer',
      approvalTimeoutMs: timeout,
      onAuditFailure,
      warn: this.#warn,
      callIds: options.callIds ?? sequentialIds(),
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
    return finish(call);
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
    return finish(call);
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
  observe(call: { call: string; tool: string; agent?: AgentIdentity | null }, outcome: Outcome): Promise<void> {
    const writeOutcome = this.sink.writeOutcome;
    if (typeof writeOutcome !== 'function') return Promise.resolve();
    let event: OutcomeEvent;
    try {
      event = Object.freeze({ ts: isoTime(this.#clock()), call: call.call, tool: call.tool, agent: call.agent ?? this.#agent, outcome: Object.freeze(outcomeCopy(outcome)) });
    } catch (e) {
      this.#warnOutcome(call, e);
      return Promise.resolve();
    }
    try {
      return writeOutcome.call(this.sink, event).then(undefined, (e: unknown) => this.#warnOutcome(call, e));
    } catch (e) {
      this.#warnOutcome(call, e);
      return Promise.resolve();
    }
  }

  #warnOutcome(call: { call: string; tool: string }, e: unknown): void {
    this.#warn({ code: 'outcome_not_recorded', message: `The outcome of call ${call.call} (${call.tool}) could not be recorded: ${messageOf(e)}.` });
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
    };
  }

}

/** What the stages read: the pipeline's configuration, fixed at construction. */
interface Core {
  sink: DecisionSink;
  policy: PolicyProvider;
  agent: Readonly<AgentIdentity> | null;
  context: Readonly<Record<string, unknown>> | null;
  approve: ApprovalHandler | undefined;
  defer: boolean;
  approvalTimeoutMs: number;
  onAuditFailure: 'deny' | 'allow-and-warn';
  warn: (warning: WardenWarning) => void;
  callIds: () => string;
}

const EMPTY_REQUEST: Request = Object.freeze({ tool: '', args: Object.freeze({}) as Record<string, unknown> });

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

/** snapshot: one canonical serialization of `{ tool, args, context }`, parsed back and frozen. */
function snapshotStage(call: CallState, core: Core): void {
  const raw = call.input.request;
  if (call.input.invalid !== undefined) call.invalid = String(call.input.invalid);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    call.invalid ??= 'the request must be an object { tool, args, context? }';
    call.unrecordable = call.invalid;
    return;
  }
  // Each member is read once, here; everything later reads the snapshot.
  const parts = partsOf(raw, core.context);
  const tool = parts.tool;
  let snapshot: Snapshot<RequestParts>;
  try {
    snapshot = call.input.parsedJson === true ? adoptParsedJson<RequestParts>(parts) : takeSnapshot<RequestParts>(parts);
  } catch (e) {
    call.invalid ??= `the request has no JSON form (${messageOf(e)})`;
    call.unrecordable = `the request has no JSON form (${messageOf(e)})`;
    call.request = { tool: typeof tool === 'string' ? tool : '', args: {} };
    return;
  }
  call.snapshot = snapshot;
  const v = snapshot.value;
  if (typeof v.tool !== 'string') {
    // The record's tool is text; a request whose tool is not cannot be shown as it was.
    call.unrecordable = 'request.tool is not a string';
    call.request = { tool: '', args: {} };
    return;
  }
  // invariant: `request` is exactly the snapshot's value (a sink reuses snapshot.text for it).
  call.request = v as unknown as Request;
}

/** The members a snapshot covers, read once each, with the pipeline's context merged under the request's. */
function partsOf(raw: object, base: Readonly<Record<string, unknown>> | null): RequestParts {
  const tool = ownValue(raw, 'tool');
  const args = ownValue(raw, 'args');
  let context = ownValue(raw, 'context');
  if (base !== null) {
    if (context === undefined) context = base;
    else if (context !== null && typeof context === 'object' && !Array.isArray(context)) context = { ...base, ...(context as Record<string, unknown>) };
  }
  return { args, context, tool };
}

/** True when the caller's own request no longer serializes to the snapshot (it changed while the call waited). */
function changedSinceSnapshot(call: CallState, core: Core): boolean {
  const raw = call.input.request;
  if (call.snapshot === null || raw === null || typeof raw !== 'object') return true;
  try {
    return takeSnapshot(partsOf(raw, core.context)).text !== call.snapshot.text;
  } catch {
    return true;
  }
}

/** identify: who is acting. The enforcement point's authenticated identity, never the arguments. */
function identifyStage(call: CallState, core: Core): void {
  const given = call.input.agent;
  // An agent inside a handed-over parse (CallInput.parsedJson) is frozen in place, like the request.
  call.agent = given === undefined ? core.agent : call.input.parsedJson === true && isPlainJsonObject(given) ? deepFreeze(given) : frozenCopy(given, 'agent');
  const hostId = (call.request.context as Record<string, unknown> | undefined)?.callId;
  call.id = isUsableCallId(hostId) ? hostId : core.callIds();
}

/** The host's call id is recorded as is (unredacted), so it must be an identifier and hold no secret. */
function isUsableCallId(id: unknown): id is string {
  if (typeof id !== 'string' || !CALL_ID.test(id)) return false;
  try {
    return findSecrets(id).length === 0;
  } catch {
    return false;
  }
}

/** gate: the enforcement point's own check (MCP pins); a refusal decides. */
function gateStage(call: CallState, core: Core): void {
  if (call.report !== null && call.decision === null) {
    call.decision = call.report;
    return;
  }
  const gate = call.input.gate;
  if (gate === undefined || call.decision !== null || call.invalid !== null || call.unrecordable !== null) return;
  const refusal = gate(call.request);
  if (refusal !== null) gateDecision(call, core, refusal);
}

/** decide: the policy's one pure decision function. */
function decideStage(call: CallState, core: Core): void {
  if (call.decision !== null) return;
  const policy = core.policy;
  let set: PolicySet;
  try {
    set = policy.current();
  } catch (e) {
    call.decision = policyFailure(`the policy provider failed: ${messageOf(e)}`, '');
    return;
  }
  if (call.invalid !== null) {
    call.decision = invalidDecision(call.invalid, set.digest);
    return;
  }
  const r = call.request;
  const request: Partial<Request> = { tool: r.tool, args: r.args };
  if (r.context !== undefined) request.context = r.context;
  if (call.agent !== null) request.agent = call.agent as AgentIdentity;
  // A request whose tool is not text was never shown as it was; decide on what the snapshot holds.
  const decided = set.decide(call.unrecordable === null ? request : (call.snapshot?.value ?? request), { now: call.now });
  call.decision = freezeDecision(decided);
}

/** approve: a require_approval decision asks the approval handler (or is deferred to the host). */
function approveStage(call: CallState, core: Core): void | Promise<void> {
  const decision = call.decision as Decision;
  if (decision.effect !== 'require_approval') return;
  const config = core;
  if (config.defer) return;
  const digest = requestDigestOf(call);
  const handler = call.input.approvalHandler ?? config.approve;
  const question = approvalQuestion(decision, call.request, call.agent, digest, call.id, handler);
  if ('outcome' in question) {
    call.approval = question.outcome;
    return;
  }
  if (call.sync) {
    const outcome = askHandlerSync(handler as ApprovalHandler, question.ask);
    call.approval = outcome.approved && changedSinceSnapshot(call, core) ? { approved: false, reason: 'the request changed while approval was pending; the approval does not cover it', requestDigest: outcome.requestDigest } : outcome;
    return;
  }
  call.waited = true;
  return askHandler(handler as ApprovalHandler, question.ask, config.approvalTimeoutMs).then((outcome) => {
    // invariant: an approval covers exactly the request that was shown; a caller that runs its own
    // objects after check() must not run something changed while approval was pending.
    call.approval = outcome.approved && changedSinceSnapshot(call, core) ? { approved: false, reason: 'the request changed while approval was pending; the approval does not cover it', requestDigest: outcome.requestDigest } : outcome;
  });
}

/** recheck: after an approval wait, the enforcement point's gate is asked again (a pin may have changed). */
function recheckStage(call: CallState, core: Core): void {
  const gate = call.input.gate;
  if (gate === undefined || !call.waited || call.approval?.approved !== true) return;
  const refusal = gate(call.request);
  if (refusal !== null) {
    call.approval = undefined;
    gateDecision(call, core, refusal);
  }
}

/** record: the one event builder; the call is answered only after its record is written. */
function recordStage(call: CallState, core: Core): void | Promise<void> {
  ensureRecordable(call);
  const event = buildEvent(call);
  const sink = core.sink;
  const snapshot = call.unrecordable === null ? call.snapshot : null;
  if (call.sync) {
    try {
      if (typeof sink.writeSync !== 'function') throw new Error('the decision sink cannot record synchronously; govern an async function instead');
      if (snapshot === null) sink.writeSync(event);
      else withRequestSnapshot(event, snapshot, () => (sink.writeSync as (e: DecisionEvent) => void).call(sink, event));
      call.recorded = true;
    } catch (e) {
      auditFailed(call, core, e);
    }
    return;
  }
  let pending: Promise<void>;
  try {
    pending = snapshot === null ? sink.write(event) : withRequestSnapshot(event, snapshot, () => sink.write(event));
  } catch (e) {
    auditFailed(call, core, e);
    return;
  }
  return Promise.resolve(pending).then(
    () => {
      call.recorded = true;
    },
    (e: unknown) => auditFailed(call, core, e),
  );
}

// --- helpers ------------------------------------------------------------------------------

/** The effect, permission and reason the call ends with, before recording. */
function settled(call: CallState): { effect: Decision['effect']; allowed: boolean; reason: string } {
  const decision = call.decision as Decision;
  const approval = call.approval;
  // invariant: without an approval outcome, require_approval stays require_approval (deferred to the host), never an allow.
  if (approval === undefined) return { effect: decision.effect, allowed: decision.effect !== 'require_approval' && decision.allowed, reason: decision.reason };
  return approval.approved
    ? { effect: 'allow', allowed: true, reason: `Approved. ${decision.reason}` }
    : { effect: 'deny', allowed: false, reason: `Approval was not granted: ${approval.reason}. ${decision.reason}` };
}

/**
 * An adopted snapshot (see CallInput.parsedJson) has no text yet. A request the policy accepted
 * holds only plain JSON values, so its text can always be made; one refused as invalid may not
 * have a JSON form (a number JSON.parse read as Infinity), and is then recorded as unrecordable.
 */
function ensureRecordable(call: CallState): void {
  if (call.snapshot === null || call.unrecordable !== null || call.input.parsedJson !== true) return;
  if (!(call.decision?.errors.some((e) => e.code === 'invalid_request') ?? false)) return;
  try {
    void call.snapshot.profile;
  } catch (e) {
    call.unrecordable = `the request has no JSON form (${messageOf(e)})`;
    const tool = call.snapshot.value.tool;
    call.request = { tool: typeof tool === 'string' ? tool : '', args: {} };
  }
}

/** Builds the decision event: the only place an event is made. */
function buildEvent(call: CallState): DecisionEvent {
  const decision = call.decision as Decision;
  const final = settled(call);
  const outcome: DecisionOutcome = { executed: call.report === null ? final.allowed : call.reportExecuted, effect: final.effect, reason: final.reason };
  if (call.approval !== undefined) outcome.approval = call.approval;
  const event: DecisionEvent = {
    ts: isoTime(call.now),
    call: call.id,
    agent: call.agent as AgentIdentity | null,
    request: call.request,
    decision,
    outcome,
  };
  if (call.unrecordable !== null) event.unrecordable = call.unrecordable;
  return Object.freeze(event);
}

function auditFailed(call: CallState, core: Core, e: unknown): void {
  const why = messageOf(e);
  call.auditError = why;
  if (core.onAuditFailure === 'allow-and-warn') {
    const warning: WardenWarning = { code: 'audit_failure', message: `The decision could not be recorded (${why}); allowed anyway because onAuditFailure is allow-and-warn.` };
    call.warnings.push(warning);
    core.warn(warning);
  }
}

/** The verdict, built once from the finished call. */
function finish(call: CallState): DecidedCall {
  const decision = call.decision ?? policyFailure('no stage decided the call', '');
  const final = settled(call);
  let { effect, allowed, reason } = final;
  let errors = decision.errors;
  if (call.auditError !== null && call.warnings.length === 0) {
    // onAuditFailure: deny. Nothing was recorded, so nothing may run.
    if (allowed) {
      effect = 'deny';
      allowed = false;
    }
    reason = `The decision could not be recorded (${call.auditError}), so the call is denied (onAuditFailure: deny). Fix the audit sink. Policy said: ${reason}`;
    errors = [...errors, { code: 'audit_failure', rule: null, policy: null, message: call.auditError }];
  }
  const verdict: Verdict = new FinalVerdict(call, decision, effect, allowed, reason, errors);
  return { verdict, snapshot: call.unrecordable === null ? call.snapshot : null };
}

/**
 * A verdict whose `requestDigest` is hashed on first read: hashing costs more than the rest of an
 * allow recorded in memory, and most callers never read it. (Spread copies and JSON leave the
 * getter out; read `requestDigest` explicitly where it is needed.)
 */
class FinalVerdict implements Verdict {
  effect: Decision['effect'];
  allowed: boolean;
  rule: string | null;
  policy: string | null;
  reason: string;
  approvers: string[];
  errors: DecisionError[];
  policyDigest: string;
  policyDecision: Decision;
  approval?: ApprovalOutcome;
  call: string;
  recorded: boolean;
  warnings: WardenWarning[];
  #call: CallState | null;
  #digest: string | undefined;

  constructor(call: CallState, decision: Decision, effect: Decision['effect'], allowed: boolean, reason: string, errors: readonly DecisionError[]) {
    this.effect = effect;
    this.allowed = allowed;
    this.rule = decision.rule;
    this.policy = decision.policy;
    this.reason = reason;
    this.approvers = [...decision.approvers];
    this.errors = [...errors];
    this.policyDigest = decision.policyDigest;
    this.policyDecision = decision;
    if (call.approval !== undefined) this.approval = call.approval;
    this.call = call.id;
    this.recorded = call.recorded;
    this.warnings = call.warnings;
    this.#call = call;
    this.#digest = call.approval?.requestDigest;
  }

  get requestDigest(): string {
    if (this.#digest === undefined) {
      this.#digest = this.#call === null ? '' : requestDigestOf(this.#call);
      this.#call = null;
    }
    return this.#digest;
  }

  set requestDigest(value: string) {
    this.#digest = value;
    this.#call = null;
  }
}

/**
 * `sha256:<hex>` of the canonical JSON of the decided request as an approver sees it,
 * `{ agent?, args, context?, tool }`; '' when the request has no canonical form.
 */
function requestDigestOf(call: CallState): string {
  const snapshot = call.snapshot;
  if (snapshot === null || call.unrecordable !== null) return '';
  if (call.agent === null) return snapshot.digest;
  // `agent` sorts before `args`, so the canonical text with the agent is the snapshot's with it put first.
  return `sha256:${sha256Hex(`{"agent":${canonicalJson(call.agent)},${snapshot.text.slice(1)}`)}`;
}

/** The digest of the policy in force, or '' when the provider fails (the record then says so by its absence). */
function currentDigest(policy: PolicyProvider): string {
  try {
    return policy.current().digest;
  } catch {
    return '';
  }
}

function gateDecision(call: CallState, core: Core, refusal: GateRefusal): void {
  const digest = currentDigest(core.policy);
  call.gated = true;
  call.decision = freezeDecision({ effect: 'deny', allowed: false, rule: String(refusal.rule), policy: String(refusal.policy), reason: String(refusal.reason), approvers: [], errors: [], policyDigest: digest });
}

function policyFailure(message: string, digest: string): Decision {
  return freezeDecision({ effect: 'deny', allowed: false, rule: null, policy: null, reason: `The policy could not be evaluated (${message}); denied.`, approvers: [], errors: [{ code: 'policy_error', rule: null, policy: null, message }], policyDigest: digest });
}

function invalidDecision(message: string, digest: string): Decision {
  return freezeDecision({
    effect: 'deny',
    allowed: false,
    rule: null,
    policy: null,
    reason: 'invalid_request',
    approvers: [],
    errors: [{ code: 'invalid_request', rule: null, policy: null, message: `${message}; the request was denied without evaluating rules` }],
    policyDigest: digest,
  });
}

function freezeDecision(d: Decision): Decision {
  Object.freeze(d.approvers);
  for (const e of d.errors) Object.freeze(e);
  Object.freeze(d.errors);
  return Object.freeze(d);
}

function outcomeCopy(outcome: Outcome): Outcome {
  if (outcome === null || typeof outcome !== 'object') throw new WardenError('ERR_OPTIONS', 'An outcome is { status: "ok" | "error" | "aborted", durationMs?, error? }.');
  const status = outcome.status;
  if (status !== 'ok' && status !== 'error' && status !== 'aborted') throw new WardenError('ERR_OPTIONS', `outcome.status must be "ok", "error" or "aborted"; got ${JSON.stringify(status)}.`);
  const out: Outcome = { status };
  if (typeof outcome.durationMs === 'number' && Number.isFinite(outcome.durationMs) && outcome.durationMs >= 0) out.durationMs = Math.round(outcome.durationMs * 1000) / 1000;
  if (outcome.error !== undefined) out.error = { name: String(outcome.error?.name ?? 'Error').slice(0, 200), message: String(outcome.error?.message ?? '').slice(0, 2000) };
  if (outcome.result !== undefined) out.result = takeSnapshot(outcome.result).value;
  return out;
}

/** An own data member's value, read once (an inherited `tool` is not part of the request). */
function ownValue(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function isPlainJsonObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function frozenCopy<T>(value: T, what: string): T {
  try {
    return takeSnapshot<T>(value).value;
  } catch (e) {
    throw new WardenError('ERR_OPTIONS', `The ${what} must be plain JSON data: ${messageOf(e)}.`);
  }
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

/** The last time formatted, reused while the clock stays in the same millisecond (formatting is costly). */
let lastIso: { ms: number; text: string } = { ms: Number.NaN, text: '' };

function isoTime(d: Date): string {
  const ms = d.getTime();
  if (ms !== lastIso.ms) lastIso = { ms, text: d.toISOString() };
  return lastIso.text;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

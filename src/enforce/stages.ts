/**
 * The pipeline's stages, one function each, in the order of STAGES (src/enforce/pipeline.ts).
 * A stage returns a Promise only when it must wait.
 */
import { findSecrets } from '../audit/redact.js';
import type { Admission, CallMonitor, MonitoredCall, RuntimeVariables } from '../monitor.js';
import type { AgentIdentity, Decision, DecisionEvent, DecisionOutcome, Request, WardenWarning } from '../decision.js';
import { adoptParsedJson, deepFreeze, takeSnapshot, withRequestSnapshot, type Snapshot } from '../lib/snapshot.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { HostApproval } from './pipeline-types.js';
import type { ApprovalOutcome } from './verdict.js';
import { approvalQuestion, askHandler, askHandlerSync, type ApprovalHandler } from './approval.js';
import {
  CALL_ID,
  changedSinceSnapshot,
  currentDigest,
  freezeDecision,
  frozenCopy,
  gateDecision,
  identityDecision,
  invalidDecision,
  isoTime,
  isPlainJsonObject,
  messageOf,
  partsOf,
  policyFailure,
  requestDigestOf,
  settled,
  type CallState,
  type Core,
  type RequestParts,
} from './call.js';

/** snapshot: one canonical serialization of `{ tool, args, context }`, parsed back and frozen. */
export function snapshotStage(call: CallState, core: Core): void {
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

/**
 * identify: who is acting. A credential the call carries is verified by the pipeline's identity
 * verifier and the verified agent is the caller; without one, the enforcement point's
 * authenticated identity (unverified). Never anything from the arguments.
 */
export function identifyStage(call: CallState, core: Core): void | Promise<void> {
  const hostId = (call.request.context as Record<string, unknown> | undefined)?.callId;
  call.id = isUsableCallId(hostId) ? hostId : core.callIds();
  const credential = call.input.credential;
  const verifier = core.identity;
  if (call.input.within !== undefined) return inheritAgent(call, core);
  call.agent = assertedAgent(call, core);
  if (credential === undefined) {
    if (verifier?.required === true) identityDenied(call, core, 'this enforcement point requires a verified identity and the call carried no credential');
    return;
  }
  if (verifier === null) {
    identityDenied(call, core, 'the call carried a credential, but the pipeline has no identity verifier (PipelineOptions.identity) to check it');
    return;
  }
  // An invalid request is denied as such; its credential is not spent on it.
  if (call.invalid !== null || call.unrecordable !== null) return;
  let pending: AgentIdentity | Promise<AgentIdentity>;
  try {
    pending = verifier.verifyCredential(credential, { now: call.now, sync: call.sync, request: { tool: call.request.tool, args: call.request.args } });
  } catch (e) {
    identityDenied(call, core, messageOf(e));
    return;
  }
  if (!(pending instanceof Promise)) return acceptAgent(call, core, pending);
  return pending.then(
    (agent) => acceptAgent(call, core, agent),
    (e: unknown) => identityDenied(call, core, messageOf(e)),
  );
}

/**
 * A call that runs within an allowed call of this pipeline (a sandboxed command's exec or
 * connection) acts as that call's agent, verified identity included: its one-time credential is
 * not presented again. Nothing else may name the agent alongside.
 */
function inheritAgent(call: CallState, core: Core): void {
  const within: unknown = call.input.within;
  const parent = within !== null && typeof within === 'object' ? core.acting.get(within) : undefined;
  if (parent === undefined) {
    call.agent = core.agent;
    identityDenied(call, core, 'the call it runs within (within) is not an allowed call of this pipeline');
    return;
  }
  call.agent = parent;
  if (call.input.agent !== undefined || call.input.credential !== undefined) {
    identityDenied(call, core, 'the call runs within another call and acts as its agent, so it cannot also name an agent or carry a credential');
    return;
  }
  if (core.identity?.required === true && parent?.verified === undefined) identityDenied(call, core, 'this enforcement point requires a verified identity and the call it runs within had none');
}

/** The enforcement point's own identity for the call, stripped of anything only verification may set. */
function assertedAgent(call: CallState, core: Core): Readonly<AgentIdentity> | null {
  const given = call.input.agent;
  if (given === undefined) return core.agent;
  // An agent inside a handed-over parse (CallInput.parsedJson) is frozen in place, like the request.
  const agent = call.input.parsedJson === true && isPlainJsonObject(given) ? deepFreeze(given) : frozenCopy(given, 'agent');
  // invariant: an asserted identity never carries `verified` or `delegation` a rule could mistake for a verified one.
  if (agent !== null && typeof agent === 'object' && ('verified' in agent || 'delegation' in agent)) {
    const { verified: _v, delegation: _d, ...rest } = agent;
    return deepFreeze(rest as AgentIdentity);
  }
  return agent;
}

function acceptAgent(call: CallState, core: Core, agent: AgentIdentity): void {
  const verified = (agent as Partial<AgentIdentity> | null)?.verified;
  if (agent === null || typeof agent !== 'object' || typeof agent.id !== 'string' || verified === null || typeof verified !== 'object' || typeof verified.method !== 'string') {
    identityDenied(call, core, 'the identity verifier returned no verified agent');
    return;
  }
  try {
    call.agent = frozenCopy(agent, 'verified agent');
  } catch (e) {
    identityDenied(call, core, messageOf(e));
  }
}

function identityDenied(call: CallState, core: Core, message: string): void {
  call.decision = identityDecision(message, currentDigest(core.policy));
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
export function gateStage(call: CallState, core: Core): void {
  if (call.report !== null && call.decision === null) {
    call.decision = call.report;
    return;
  }
  const gate = call.input.gate;
  if (gate === undefined || call.decision !== null || call.invalid !== null || call.unrecordable !== null) return;
  const refusal = gate(call.request);
  if (refusal !== null) gateDecision(call, core, refusal);
}

/**
 * admit: the monitors (circuit breakers, SLOs) say whether the call may go on at all, and what
 * runtime state rules read. A refusal decides, under its own rule and policy names; a monitor that
 * throws (or rejects) denies the call (the stage fails). A monitor backed by a remote store may
 * answer with a Promise: the stage then waits (in a synchronous call it cannot, and the call is denied).
 */
export function admitStage(call: CallState, core: Core): void | Promise<void> {
  const monitors = core.monitors;
  if (monitors.length === 0 || call.decision !== null || call.invalid !== null || call.unrecordable !== null) return;
  const seen = { call: call.id, tool: call.request.tool, agent: call.agent, request: call.request };
  return admitFrom(call, core, seen, 0, undefined);
}

/** Asks the monitors from `index` on, synchronously until one answers with a Promise. */
function admitFrom(call: CallState, core: Core, seen: MonitoredCall, index: number, runtime: RuntimeVariables | undefined): void | Promise<void> {
  const monitors = core.monitors;
  for (let i = index; i < monitors.length; i++) {
    const monitor = monitors[i] as CallMonitor;
    if (typeof monitor.admit !== 'function') continue;
    const answer = monitor.admit(seen, call.now);
    if (answer instanceof Promise) {
      return answer.then((admission) => {
        const next = applyAdmission(call, core, admission, runtime);
        if (next === DECIDED) return undefined;
        return admitFrom(call, core, seen, i + 1, next);
      });
    }
    const next = applyAdmission(call, core, answer, runtime);
    if (next === DECIDED) return;
    runtime = next;
  }
  call.runtime = runtime;
}

const DECIDED: unique symbol = Symbol('decided');

function applyAdmission(call: CallState, core: Core, admission: Admission | null | undefined, runtime: RuntimeVariables | undefined): RuntimeVariables | undefined | typeof DECIDED {
  if (admission === null || admission === undefined) return runtime;
  if (admission.refusal !== undefined) {
    gateDecision(call, core, admission.refusal);
    return DECIDED;
  }
  if (admission.runtime === undefined) return runtime;
  return runtime === undefined ? admission.runtime : { ...runtime, ...admission.runtime };
}

/** decide: the policy's one pure decision function. */
export function decideStage(call: CallState, core: Core): void {
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
  const options = { now: call.now, ...(call.session === null ? {} : { session: call.session.view }), ...(call.runtime === undefined ? {} : { runtime: call.runtime }) };
  const decided = set.decide(call.unrecordable === null ? request : (call.snapshot?.value ?? request), options);
  call.decision = freezeDecision(decided);
}

/** approve: a require_approval decision asks the approval handler (or is deferred to the host). */
export function approveStage(call: CallState, core: Core): void | Promise<void> {
  const decision = call.decision as Decision;
  if (decision.effect !== 'require_approval') return;
  const config = core;
  const host = call.input.hostApproval;
  if (host === undefined && (call.input.approval === undefined ? config.defer : call.input.approval === 'defer')) return;
  const digest = requestDigestOf(call);
  const handler = call.input.approvalHandler ?? config.approve;
  const question = approvalQuestion(decision, call.request, call.agent, digest, call.id, host === undefined ? handler : () => true);
  if ('outcome' in question) {
    call.approval = question.outcome;
    return;
  }
  if (host !== undefined) {
    call.approval = hostAnswer(host, digest);
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

/** The host's answer judged: it approves only the exact request it was given for. */
function hostAnswer(host: unknown, digest: string): ApprovalOutcome {
  const h = (host ?? {}) as Partial<HostApproval>;
  const via = typeof h.via === 'string' ? h.via.slice(0, 200) : 'the host';
  const by = typeof h.by === 'string' && h.by.length > 0 ? { by: h.by.slice(0, 200) } : {};
  // invariant: only an absent `approved` or the boolean true is an approval; anything else is a rejection.
  if (h.approved !== undefined && h.approved !== true) return { approved: false, reason: `rejected through ${via}`, requestDigest: digest, ...by };
  if (typeof h.requestDigest !== 'string' || h.requestDigest === '') {
    return { approved: false, reason: `the approval given through ${via} matches no paused call (it was paused by another process, its approval was already used, or it was never paused)`, requestDigest: digest, ...by };
  }
  if (h.requestDigest !== digest) {
    return { approved: false, reason: `the approval given through ${via} was for a different request than this call (its arguments, context or identity changed after approval was asked)`, requestDigest: digest, ...by };
  }
  return { approved: true, reason: `approved through ${via}`, requestDigest: digest, ...by };
}

/** recheck: after an approval wait, the enforcement point's gate is asked again (a pin may have changed). */
export function recheckStage(call: CallState, core: Core): void {
  const gate = call.input.gate;
  if (gate === undefined || !call.waited || call.approval?.approved !== true) return;
  const refusal = gate(call.request);
  if (refusal !== null) {
    call.approval = undefined;
    gateDecision(call, core, refusal);
  }
}

/** record: the one event builder; the call is answered only after its record is written. */
export function recordStage(call: CallState, core: Core): void | Promise<void> {
  ensureRecordable(call);
  const event = buildEvent(call);
  call.event = event;
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

/**
 * notify: the monitors are told the recorded decision (tracing starts the call's span, metrics
 * count it). A monitor that throws is reported through onWarning; the verdict stands.
 */
export function notifyStage(call: CallState, core: Core): void {
  const monitors = core.monitors;
  const event = call.event;
  if (monitors.length === 0 || event === null) return;
  const elapsedMs = core.timer.now() - call.startedAt;
  for (const monitor of monitors) {
    if (typeof monitor.decided !== 'function') continue;
    try {
      monitor.decided(event, elapsedMs);
    } catch (e) {
      core.warn({ code: 'monitor_failed', message: `A call monitor failed on the decision of call ${call.id} (${call.request.tool}): ${messageOf(e)}.` });
    }
  }
}

// --- helpers ------------------------------------------------------------------------------

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

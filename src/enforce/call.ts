/**
 * One call on its way through the pipeline's stages, and what every stage shares: the call's
 * state, the pipeline's fixed configuration, and the small helpers that build decisions.
 * Internal to src/enforce.
 */
import type { CallTimer } from './fault.js';
import type { SessionMarks } from './session-marks.js';
import type { AgentIdentity, Decision, DecisionEvent, DecisionSink, Request, WardenWarning } from '../decision.js';
import type { CallMonitor, RuntimeVariables } from '../monitor.js';
import type { CredentialVerifier } from '../identity/credential.js';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import { frozenValue, frozenValueProfile, takeSnapshot, type Snapshot } from '../lib/snapshot.js';
import type { ApprovalHandler } from './approval.js';
import type { CallInput, GateRefusal, PipelineRuntime, PolicyProvider } from './pipeline-types.js';
import type { ApprovalOutcome } from './verdict.js';
import type { LoadedSession } from '../runtime/session.js';
import type { StateCore } from './charge-stage.js';

/** A host call id kept as the call's id: an identifier of at most 256 characters (the audit record's rule). */
export const CALL_ID = /^[A-Za-z0-9._:@-]{1,256}$/;

/** The request members a snapshot covers, in canonical order. */
export interface RequestParts {
  args?: unknown;
  context?: unknown;
  tool?: unknown;
}

/** One call on its way through the stages. */
export interface CallState {
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
  /** The call's session as read by the session stage; null when it names none. */
  session: LoadedSession | null;
  /** Why the call's session could not be read (the charge stage denies with it). */
  sessionError: string | null;
  /** Gives back what the charge stage drew, if the call ends denied after it. */
  release: (() => Promise<void>) | null;
  /** Runtime state the monitors supplied in `admit` (what rules read as `breaker`, `slo`). */
  runtime: RuntimeVariables | undefined;
  /** The recorded event (set by `record`), for the monitors told in `notify`. */
  event: DecisionEvent | null;
  /** The timer's now() when the call started; 0 when no monitor needs it. */
  startedAt: number;
}

/** A named step of the pipeline. A stage returns a Promise only when it must wait. */
export interface Stage {
  readonly name: string;
  run(call: CallState, core: Core): void | Promise<void>;
}

/** What the stages read: the pipeline's configuration, fixed at construction. */
export interface Core {
  sink: DecisionSink;
  policy: PolicyProvider;
  agent: Readonly<AgentIdentity> | null;
  /** Verifies call credentials in the identify stage; null when the pipeline has none. */
  identity: CredentialVerifier | null;
  context: Readonly<Record<string, unknown>> | null;
  approve: ApprovalHandler | undefined;
  defer: boolean;
  approvalTimeoutMs: number;
  onAuditFailure: 'deny' | 'allow-and-warn';
  warn: (warning: WardenWarning) => void;
  callIds: () => string;
  /** The kill switch, trust and rings; null without one. */
  runtime: PipelineRuntime | null;
  /** Limits, budgets and sessions (`state` option); null when the pipeline has none. */
  state: StateCore | null;
  /** The pipeline's monitors (empty when none). */
  monitors: readonly CallMonitor[];
  /** Where calls read time (the `timer` option). */
  timer: CallTimer;
  /** Labels results add to sessions (with `state`); null without state. */
  marks: SessionMarks | null;
  /** The acting agent of each allowed verdict this pipeline returned, for calls that run within it (CallInput.within). */
  acting: WeakMap<object, Readonly<AgentIdentity> | null>;
}

export const EMPTY_REQUEST: Request = Object.freeze({ tool: '', args: Object.freeze({}) as Record<string, unknown> });

/** The members a snapshot covers, read once each, with the pipeline's context merged under the request's. */
export function partsOf(raw: object, base: Readonly<Record<string, unknown>> | null): RequestParts {
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
export function changedSinceSnapshot(call: CallState, core: Core): boolean {
  const raw = call.input.request;
  if (call.snapshot === null || raw === null || typeof raw !== 'object') return true;
  try {
    return takeSnapshot(partsOf(raw, core.context)).text !== call.snapshot.text;
  } catch {
    return true;
  }
}

/** The effect, permission and reason the call ends with, before recording. */
export function settled(call: CallState): { effect: Decision['effect']; allowed: boolean; reason: string } {
  const decision = call.decision as Decision;
  const approval = call.approval;
  // invariant: without an approval outcome, require_approval stays require_approval (deferred to the host), never an allow.
  if (approval === undefined) return { effect: decision.effect, allowed: decision.effect !== 'require_approval' && decision.allowed, reason: decision.reason };
  return approval.approved
    ? { effect: 'allow', allowed: true, reason: `Approved. ${decision.reason}` }
    : { effect: 'deny', allowed: false, reason: `Approval was not granted: ${approval.reason}. ${decision.reason}` };
}

/**
 * `sha256:<hex>` of the canonical JSON of the decided request as an approver sees it,
 * `{ agent?, args, context?, tool }`; '' when the request has no canonical form.
 */
export function requestDigestOf(call: CallState): string {
  const snapshot = call.snapshot;
  if (snapshot === null || call.unrecordable !== null) return '';
  if (call.agent === null) return snapshot.digest;
  // `agent` sorts before `args`, so the canonical text with the agent is the snapshot's with it put first.
  return `sha256:${sha256Hex(`{"agent":${frozenValueProfile(call.agent)?.json ?? canonicalJson(call.agent)},${snapshot.text.slice(1)}`)}`;
}

/** The digest of the policy in force, or '' when the provider fails (the record then says so by its absence). */
export function currentDigest(policy: PolicyProvider): string {
  try {
    return policy.current().digest;
  } catch {
    return '';
  }
}

export function gateDecision(call: CallState, core: Core, refusal: GateRefusal): void {
  const digest = currentDigest(core.policy);
  call.gated = true;
  call.decision = freezeDecision({ effect: 'deny', allowed: false, rule: String(refusal.rule), policy: String(refusal.policy), reason: String(refusal.reason), approvers: [], errors: [], policyDigest: digest });
}

/** A denial by the identify stage: the credential did not verify (or none was given where one is required). */
export function identityDecision(message: string, digest: string): Decision {
  return freezeDecision({ effect: 'deny', allowed: false, rule: null, policy: null, reason: `The caller's identity could not be verified: ${message}; denied.`, approvers: [], errors: [{ code: 'identity_error', rule: null, policy: null, message }], policyDigest: digest });
}

export function policyFailure(message: string, digest: string): Decision {
  return freezeDecision({ effect: 'deny', allowed: false, rule: null, policy: null, reason: `The policy could not be evaluated (${message}); denied.`, approvers: [], errors: [{ code: 'policy_error', rule: null, policy: null, message }], policyDigest: digest });
}

export function invalidDecision(message: string, digest: string): Decision {
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

export function freezeDecision(d: Decision): Decision {
  Object.freeze(d.approvers);
  for (const e of d.errors) Object.freeze(e);
  Object.freeze(d.errors);
  return Object.freeze(d);
}

/** An own data member's value, read once (an inherited `tool` is not part of the request). */
export function ownValue(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

export function isPlainJsonObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function frozenCopy<T>(value: T, what: string): T {
  try {
    return frozenValue<T>(value);
  } catch (e) {
    throw new WardenError('ERR_OPTIONS', `The ${what} must be plain JSON data: ${messageOf(e)}.`);
  }
}

/** The last time formatted, reused while the clock stays in the same millisecond (formatting is costly). */
export let lastIso: { ms: number; text: string } = { ms: Number.NaN, text: '' };

export function isoTime(d: Date): string {
  const ms = d.getTime();
  if (ms !== lastIso.ms) lastIso = { ms, text: d.toISOString() };
  return lastIso.text;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

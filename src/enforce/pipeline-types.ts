/**
 * The pipeline's public types: what an enforcement point hands in, configures and gets back.
 */
import type { AsyncTextDetector } from '../detect/types.js';
import type { CallTimer } from './fault.js';
import type { StateOptions } from './charge-stage.js';
import type { AgentIdentity, DecisionSink, Request, WardenWarning } from '../decision.js';
import type { Credential, CredentialVerifier } from '../identity/credential.js';
import type { Snapshot } from '../lib/snapshot.js';
import type { CallMonitor } from '../monitor.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { ApprovalHandler } from './approval.js';
import type { Verdict } from './verdict.js';

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
  /**
   * What the caller presented to prove who it is (a bearer token, a DPoP proof with its token, a
   * signed message, a UCAN invocation, an in-process key). The `identify` stage verifies it with
   * the pipeline's `identity` verifier and the verified agent replaces `agent`; a credential that
   * does not verify denies the call. Never read from `request`.
   */
  credential?: Credential;
  /**
   * The allowed verdict of the call this call runs inside: a command a sandboxed run executes, a
   * connection it opens. The call acts as that call's agent, with the identity the `identify` stage
   * verified for it (a one-time credential is not presented again). Only a verdict this pipeline
   * returned for an allowed call is accepted; anything else, or `within` together with `agent` or
   * `credential`, denies the call.
   */
  within?: Verdict;
  /** An approval handler for this call only (the MCP gateway asks through the calling session). */
  approvalHandler?: ApprovalHandler;
  /**
   * The pipeline's `approval` for this call only: `defer` leaves a `require_approval` verdict to
   * the enforcement point, which pauses the call in its host's own flow (AI SDK `needsApproval`,
   * OpenAI Agents interruptions, LangGraph `interrupt()`).
   */
  approval?: 'handler' | 'defer';
  /**
   * The host's answer to a call that was deferred earlier (see {@link HostApproval}). It stands in
   * for the approval handler, and approves only when its digest is the digest of this call.
   */
  hostApproval?: HostApproval;
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
 * A person's approval given through the host's own flow, bound to the request it was asked for.
 * It approves a call only when `requestDigest` is the digest of the call being decided now (the
 * digest the deferred verdict carried); a changed argument, context or identity is a denial.
 *
 * @example
 * ```ts
 * const hostApproval: HostApproval = { requestDigest: deferred.requestDigest, by: 'alice@example.com', via: 'ai-sdk tool-approval-response a-1' };
 * ```
 */
export interface HostApproval {
  /** `sha256:<hex>` of the request the person was shown (the deferred verdict's `requestDigest`). */
  requestDigest: string;
  /** Who answered, as the host authenticated them; recorded with the approval. */
  by?: string;
  /** Through what the answer came (recorded in the approval's reason). */
  via: string;
  /** False when the person rejected the call (recorded as a denial with `by`); default true. */
  approved?: boolean;
}

/**
 * What the pipeline asks of the runtime (agent-warden/runtime's `createRuntime()`): the kill
 * switch before every decision, the agent's trust, tier and ring for the policy, the in-flight
 * calls a kill aborts, and the trust events decisions and outcomes feed.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'agent-warden/runtime';
 * const pipeline = new Pipeline({ policy, runtime: createRuntime({ store, signers: [ops.did] }) });
 * ```
 */
export interface PipelineRuntime {
  /** Why the kill switch denies this call, or null; rejects when the store cannot be read (the call is then denied). */
  killed(agent: string | null, session: string | null): Promise<string | null>;
  /** The agent's trust, tier and ring; synchronous when cached. */
  enrich(agent: Readonly<AgentIdentity>): { trust: number; tier: string; ring: number } | Promise<{ trust: number; tier: string; ring: number }>;
  /** Tracks an allowed call; the signal aborts when a kill covers it. */
  track(call: string, agent: string | null, session: string | null): AbortSignal;
  /** The call finished. */
  release(call: string): void;
  noteDecision(agent: string, what: 'denial' | 'approval'): void;
  noteOutcome(agent: string, status: 'ok' | 'error' | 'aborted'): void;
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
  /**
   * Verifies the credentials calls carry (`createIdentityVerifier()` from `agent-warden/identity`).
   * With `required: true`, a call without a credential is denied.
   */
  identity?: CredentialVerifier;
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
  /**
   * The runtime: kill switch, trust, rings and elevation (`createRuntime()` from
   * agent-warden/runtime). With it, the `kill` stage denies a killed agent or session before any
   * policy runs, the `enrich` stage sets `agent.trust`, `agent.tier` and `agent.ring` (replacing any
   * the caller gave), and allowed calls get an AbortSignal (DecidedCall.signal) a kill aborts.
   */
  runtime?: PipelineRuntime;
  /** Makes call ids for calls whose host gave none (`context.callId`); default a random prefix per pipeline and a counter. */
  callIds?: () => string;
  /** State kept across calls: limits and budgets, session labels (see docs/runtime.md). */
  state?: StateOptions;
  /**
   * What watches every call: SRE state (`createSre()` from `agent-warden/sre`: circuit breakers,
   * SLOs, chaos experiments), tracing and metrics (`agent-warden/telemetry`). Asked in the `admit`
   * stage (a refusal or a throw denies), told in `notify` once the decision is recorded, and told
   * each outcome `observe` records. See docs/sre.md and docs/telemetry.md.
   */
  monitors?: readonly CallMonitor[];
  /**
   * Where governed calls read time and wait (`now` for durations, `sleep` and `block` for injected
   * delays); default the system's. Injected so tests of faults and durations need no wall clock.
   */
  timer?: CallTimer;
  /**
   * A tier 3 model (`await loadOnnxDetector(config)` from agent-warden/detect) the host adapters
   * run on every string of every tool result they scan, beside tiers 1 and 2: a detection marks
   * the session `untrusted`; a model that fails or times out on a result marks it `untrusted` too
   * (finding `model.failed`, `ERR_DETECT_MODEL`). The decision itself (the `detect` facet on
   * arguments) stays synchronous and does not use it. See docs/detection.md.
   */
  resultModel?: AsyncTextDetector;
}

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
  /**
   * For an allowed call under a runtime: aborts when the kill switch covers the call's agent or
   * session while it runs. Pass it to the governed function; call `observe()` when it ends.
   */
  signal?: AbortSignal;
}

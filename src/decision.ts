/**
 * The neutral types every layer shares: what crosses the decision point (Request in, Decision
 * out) and what is recorded about it (DecisionEvent, with its outcome). `policy/`, `enforce/`,
 * `audit/`, replay and every integration import these from here, and from nowhere else.
 */

/** What a rule can do with a matching request. */
export type Effect = 'allow' | 'deny' | 'require_approval' | 'warn';

/** Every effect, most restrictive first. */
export const EFFECTS: readonly Effect[] = ['deny', 'require_approval', 'warn', 'allow'];

/**
 * The identity of the acting agent, as the enforcement point authenticated it or as the pipeline's
 * `identify` stage verified it from a credential. Never taken from tool arguments.
 *
 * @example
 * ```ts
 * const agent: AgentIdentity = { id: 'did:key:z6Mk...', did: 'did:key:z6Mk...', verified: { method: 'dpop', issuer: 'https://idp.example', keyId: 'kPrK_qmx...' } };
 * ```
 */
export interface AgentIdentity {
  /** The agent's id: its DID, or the subject (or actor) of its token. */
  id: string;
  roles?: string[];
  labels?: Record<string, string>;
  /** Decentralized identifier (`did:key:...`, `did:web:...`), when the agent has one. */
  did?: string;
  /** Execution ring 0-3 (0 most privileged), set by the pipeline's `enrich` stage from configuration, trust tier and elevations. */
  ring?: number;
  /** Trust score 0-1000, set by the pipeline's `enrich` stage from the runtime's trust ledger (never taken from the caller when a runtime is configured). */
  trust?: number;
  /** The trust tier's name (`trusted`, `established`, ...), set with `trust` by the `enrich` stage. */
  tier?: string;
  /**
   * How the identity was verified. Present only when the `identify` stage verified a credential;
   * an identity the enforcement point asserted (or none) never carries it, so a rule can require
   * `has(agent.verified)`.
   */
  verified?: AgentVerification;
  /** The UCAN delegation the agent acts under, when its credential was a UCAN invocation. */
  delegation?: AgentDelegation;
}

/**
 * How an agent's identity was verified (see {@link AgentIdentity.verified}).
 *
 * @example
 * ```ts
 * const v: AgentVerification = { method: 'bearer', issuer: 'https://login.example', keyId: 'key-2026-01' };
 * ```
 */
export interface AgentVerification {
  /**
   * The credential that proved it: `bearer` (a signed JWT), `entra` (an Entra ID token, tenant
   * pinned), `dpop` (a JWT bound to a key the caller proved it holds, RFC 9449), `message` (a
   * signed agent-to-agent message), `ucan` (a UCAN invocation and its delegation chain), `local`
   * (an in-process agent's own key).
   */
  method: 'bearer' | 'entra' | 'dpop' | 'message' | 'ucan' | 'local';
  /** Who vouches for the identity: the token's `iss`, the root of a UCAN chain; null when the agent's key speaks for itself. */
  issuer: string | null;
  /** The key that signed: the token's `kid`, the DPoP key's RFC 7638 thumbprint, or the DID key that signed. */
  keyId: string | null;
}

/**
 * The delegation an agent acts under (see {@link AgentIdentity.delegation}).
 *
 * @example
 * ```ts
 * const d: AgentDelegation = { depth: 1, chain: [{ cid: 'bafy...', issuer: 'did:key:z6MkA', audience: 'did:key:z6MkB', subject: 'did:key:z6MkA', command: '/crm' }], capabilities: { subject: 'did:key:z6MkA', command: '/crm/read', policy: [] } };
 * ```
 */
export interface AgentDelegation {
  /** How many delegations separate the agent from the subject (0 when it acts on its own authority). */
  depth: number;
  /** The delegations, root first. */
  chain: AgentDelegationLink[];
  /**
   * What the chain grants, narrowed by every link: the subject, the command invoked, and every
   * link's policy statements (all of which the invocation's arguments satisfied).
   */
  capabilities: { subject: string; command: string; policy: unknown[] };
}

/**
 * One delegation of an {@link AgentDelegation} chain.
 *
 * @example
 * ```ts
 * const link: AgentDelegationLink = { cid: 'bafy...', issuer: 'did:key:z6MkA', audience: 'did:key:z6MkB', subject: 'did:key:z6MkA', command: '/crm' };
 * ```
 */
export interface AgentDelegationLink {
  /** The delegation's content id (CIDv1, DAG-CBOR, SHA-256). */
  cid: string;
  issuer: string;
  audience: string;
  /** The subject the link is about; null for a powerline delegation (any subject of the issuer). */
  subject: string | null;
  command: string;
}

/**
 * One action an agent wants to take.
 *
 * @example
 * ```ts
 * const request: Request = { tool: 'write_file', args: { path: '/etc/passwd' }, agent: { id: 'coder' }, context: { environment: 'prod' } };
 * ```
 */
export interface Request {
  tool: string;
  args: Record<string, unknown>;
  agent?: AgentIdentity;
  context?: Record<string, unknown>;
}

/**
 * Every code a {@link DecisionError} can carry, with what it means.
 *
 * @example
 * ```ts
 * if (decision.errors.some((e) => e.code === 'invalid_request')) console.log('fix the request');
 * ```
 */
export const DECISION_ERROR_CODES = Object.freeze({
  invalid_request: 'The request is not plain JSON data within the limits (or repeats a key); it was denied without evaluating rules.',
  condition_error: 'A rule condition (or a facet it reads) could not be evaluated; deny and approval rules then apply, allow rules do not.',
  policy_error: 'The policy could not be evaluated at all (the policy provider failed); denied.',
  audit_failure: 'The decision could not be recorded; denied unless the enforcement point is configured to allow and warn.',
  pipeline_error: 'A stage of the enforcement pipeline failed unexpectedly (a bug, or a gate or sink that threw); denied.',
  limit_exceeded: 'A limit or budget declared in policy (limits:) has no room for this call; the message names the limit, what remains and when it refills.',
  limit_error: 'A limit could not be checked (its key or amount could not be evaluated, the amount is NaN, negative or not finite, or the state store failed); denied.',
  session_error: 'The session state the call depends on could not be read or updated (the state store failed, or kept changing under concurrent calls); denied.',
  identity_error: 'The credential the call carried could not be verified, or the pipeline requires a verified identity and the call carried none; denied without evaluating rules.',
} as const);

/**
 * A decision error code: one of {@link DECISION_ERROR_CODES}.
 *
 * @example
 * ```ts
 * const code: DecisionErrorCode = 'condition_error';
 * ```
 */
export type DecisionErrorCode = keyof typeof DECISION_ERROR_CODES;

/** An error met while deciding; it never turns into an allow. */
export interface DecisionError {
  /** Stable code, one of {@link DECISION_ERROR_CODES}. */
  code: DecisionErrorCode;
  /** The rule whose condition failed, when there is one. */
  rule: string | null;
  policy: string | null;
  message: string;
}

/**
 * The outcome of one decision.
 *
 * @example
 * ```ts
 * const d = policySet.decide({ tool: 'rm', args: {} });
 * if (!d.allowed) console.log(d.effect, d.reason);
 * ```
 */
export interface Decision {
  effect: Effect;
  /** True exactly when the effect is `allow` or `warn`. */
  allowed: boolean;
  /** The deciding rule, or null when the default or a request error decided. */
  rule: string | null;
  /** The policy document of the deciding rule (or of the default that applied). */
  policy: string | null;
  reason: string;
  /** Who may approve; non-empty only for `require_approval`. */
  approvers: string[];
  errors: DecisionError[];
  /** `sha256:<hex>` digest of the policy sources in force. */
  policyDigest: string;
  /**
   * The policy asks for secrets in this call's result to be redacted before the model reads it
   * (`results.redactSecrets`); the enforcement point that returns the result does it. Absent: no.
   */
  redactSecrets?: true;
}

/** One decision, as handed to a sink. Plain data; the sink decides how to store it. */
export interface DecisionEvent {
  /** ISO-8601 time the decision was made (from the enforcement point's injected clock). */
  ts: string;
  /**
   * The call's id: the host's own id for the call when it has one (`context.callId`), else one the
   * pipeline made. An outcome recorded later names the same id.
   */
  call?: string;
  /** The identity the enforcement point authenticated. */
  agent: AgentIdentity | null;
  request: Request;
  decision: Decision;
  /** What happened after the decision: approval outcome, audit warnings. */
  outcome?: DecisionOutcome;
  /**
   * Set when the request as the caller gave it cannot be recorded (it has no JSON form, or its
   * tool is not a string): `request` then holds only what can be shown, and the record says so,
   * so replay never re-decides a substitute.
   */
  unrecordable?: string;
}

/** The final word after approval handling. */
export interface DecisionOutcome {
  /** True when the governed action was allowed to run. */
  executed: boolean;
  /** The final effect after approval handling (`allow` once approved, `deny` when not). */
  effect?: string;
  /** The final reason, when it differs from the policy decision's. */
  reason?: string;
  approval?: { approved: boolean; reason: string; requestDigest: string; by?: string };
}

/**
 * Where decisions are recorded before the governed action runs: durable (the file audit log), or
 * in memory for tests. A sink that cannot record makes the decision deny (unless the enforcement
 * point is configured to allow and warn).
 *
 * @example
 * ```ts
 * const sink: DecisionSink = { async write(e) { console.log(e.decision.effect); } };
 * ```
 */
export interface DecisionSink {
  /** Records one event; resolves once recorded, rejects when it could not be. */
  write(event: DecisionEvent): Promise<void>;
  /** Synchronous variant, used when governing synchronous functions. Optional. */
  writeSync?(event: DecisionEvent): void;
  /** Records what happened when a governed call ran. Optional: a sink without it records decisions only. */
  writeOutcome?(event: OutcomeEvent): Promise<void>;
  /** Flushes and releases resources. */
  close?(): Promise<void>;
}

/**
 * Something an enforcement point wants its user to know without failing the call (a decision
 * recorded only under allow-and-warn, a reload that kept the last good policy, an outcome that
 * could not be recorded). Every component takes `onWarning(w)` with this shape.
 *
 * @example
 * ```ts
 * const governor = new Governor({ policy, onWarning: (w) => console.warn(`warden ${w.code}: ${w.message}`) });
 * ```
 */
export interface WardenWarning {
  /** Stable, machine-readable code (`audit_failure`, `outcome_not_recorded`, ...). */
  code: string;
  message: string;
}

/**
 * What happened when a governed call ran: reported by the enforcement point (or the pipeline,
 * when it runs the function) after the decision was recorded.
 *
 * @example
 * ```ts
 * const o: Outcome = { status: 'error', durationMs: 12.5, error: { name: 'TypeError', message: 'fetch failed' } };
 * ```
 */
export interface Outcome {
  /** `ok`: it returned; `error`: it threw or the host reported a failure; `aborted`: it was cancelled. */
  status: 'ok' | 'error' | 'aborted';
  /** How long it ran, in milliseconds, when known. */
  durationMs?: number;
  /** The error's class name and message, when it failed. */
  error?: { name: string; message: string };
  /**
   * What the tool returned, when the enforcement point records it (the Claude Code hook records
   * the tool response, bounded). Plain JSON data; redacted like everything else in a record.
   */
  result?: unknown;
  /**
   * Session flow labels this outcome adds (`untrusted` when the result carried injected
   * instructions, `private` when it carried secrets), from the output scanner (agent-warden/detect).
   * Recorded with the outcome; the session store of the flow-labels issue accumulates them.
   */
  labels?: string[];
  /** What the output scanner found in the result: each finding's detector, rule, score, reason and where. */
  findings?: OutcomeFinding[];
  /**
   * What the call consumed, as the host reports it: a model call's tokens, a paid API's cost.
   * Each member a finite, non-negative number; others are dropped when the outcome is recorded.
   */
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
}

/**
 * One finding of the output scanner, as recorded on an outcome (see agent-warden/detect `Finding`).
 *
 * @example
 * ```ts
 * const f: OutcomeFinding = { detector: 'injection', rule: 'override.ignore-prior', score: 0.9, reason: 'asks the model to ignore its earlier instructions', path: '$.content[0].text', start: 120, end: 152 };
 * ```
 */
export interface OutcomeFinding {
  detector: string;
  rule: string;
  score: number;
  reason: string;
  path?: string;
  start?: number;
  end?: number;
}

/**
 * The record of a governed call's outcome, linked to its decision by `call`.
 *
 * @example
 * ```ts
 * const e: OutcomeEvent = { ts: '2026-01-01T00:00:00.000Z', call: 'toolu_01', tool: 'Bash', agent: { id: 'claude-code' }, outcome: { status: 'ok' } };
 * ```
 */
export interface OutcomeEvent {
  /** ISO-8601 time the outcome was observed. */
  ts: string;
  /** The call id of the decision this outcome belongs to. */
  call: string;
  tool: string;
  agent: AgentIdentity | null;
  outcome: Outcome;
}

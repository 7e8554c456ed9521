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
 * The identity of the acting agent, as the enforcement point authenticated it.
 * Never taken from tool arguments.
 */
export interface AgentIdentity {
  id: string;
  roles?: string[];
  labels?: Record<string, string>;
  /** Decentralized identifier, when identity is verified (later work). */
  did?: string;
  /** Execution ring, when rings are in use (later work). */
  ring?: number;
  /** Trust score 0-1000, when trust scoring is in use (later work). */
  trust?: number;
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
}

/** One decision, as handed to a sink. Plain data; the sink decides how to store it. */
export interface DecisionEvent {
  /** ISO-8601 time the decision was made (from the Governor's injected clock). */
  ts: string;
  /** The identity the enforcement point authenticated. */
  agent: AgentIdentity | null;
  request: Request;
  decision: Decision;
  /** What happened after the decision: approval outcome, audit warnings. */
  outcome?: DecisionOutcome;
}

/** The final word after approval handling. */
export interface DecisionOutcome {
  /** True when the governed action was allowed to run. */
  executed: boolean;
  /** The final effect after approval handling (`allow` once approved, `deny` when not). */
  effect?: string;
  /** The final reason, when it differs from the policy decision's. */
  reason?: string;
  approval?: { approved: boolean; reason: string; requestDigest: string };
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
  /** Flushes and releases resources. */
  close?(): Promise<void>;
}

/**
 * The data that crosses the decision point: requests in, decisions out.
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

/** An error met while deciding; it never turns into an allow. */
export interface DecisionError {
  /** Stable code: `condition_error`, `invalid_request`, `facet_error`, ... */
  code: string;
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

/**
 * The reserved `runtime_error:*` reasons of the Agent Control Specification (0.3.1-beta, section
 * 16): every runtime failure ends in a `deny` verdict with one of them, and a policy may never
 * emit a reason in that namespace.
 */

/** Reasons the core runtime produces (specification section 16, first table). */
export const ACS_RUNTIME_REASONS = Object.freeze([
  'runtime_error:manifest_invalid',
  'runtime_error:intervention_point_unknown',
  'runtime_error:path_missing',
  'runtime_error:path_type_mismatch',
  'runtime_error:tool_unknown',
  'runtime_error:annotation_failed',
  'runtime_error:annotation_timeout',
  'runtime_error:policy_invocation_failed',
  'runtime_error:policy_output_invalid',
  'runtime_error:transform_invalid',
  'runtime_error:transform_target_forbidden',
  'runtime_error:resource_limit_exceeded',
  'runtime_error:approval_action_mismatch',
  'runtime_error:approval_resolver_missing',
] as const);

/** Reasons reserved for SDK layers (section 16, second table); Warden produces the first and the last. */
export const ACS_SDK_REASONS = Object.freeze([
  'runtime_error:approval_resolver_failed',
  'runtime_error:streaming_unsupported',
  'runtime_error:adapter_unsupported',
  'runtime_error:request_invalid',
] as const);

/**
 * One reserved reason.
 *
 * @example
 * ```ts
 * const reason: AcsReservedReason = 'runtime_error:tool_unknown';
 * ```
 */
export type AcsReservedReason = (typeof ACS_RUNTIME_REASONS)[number] | (typeof ACS_SDK_REASONS)[number];

/** The prefix no policy or annotator may use. */
export const RESERVED_PREFIX = 'runtime_error:';

/** The message every runtime-error verdict carries (the corpus's wording). */
export const RUNTIME_ERROR_MESSAGE = 'Request blocked by Agent Control Specification.';

/**
 * True when `reason` is in the reserved namespace (whether or not it is a listed reason).
 *
 * @example
 * ```ts
 * isReservedReason('runtime_error:path_missing'); // true
 * isReservedReason('pii_redaction'); // false
 * ```
 */
export function isReservedReason(reason: string): boolean {
  return reason.startsWith(RESERVED_PREFIX);
}

/**
 * A failure inside one evaluation: the evaluator turns it into a `deny` with `reason`. Internal to
 * src/acs; hosts see only verdicts.
 */
export class AcsFailure extends Error {
  constructor(
    readonly reason: AcsReservedReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'AcsFailure';
  }
}

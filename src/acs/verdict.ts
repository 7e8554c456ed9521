/**
 * Normalizing what a policy dispatcher returned into an ACS verdict (specification section 13),
 * and validating a `transform` body (section 14). Anything outside the verdict shape fails closed.
 */
import { parseAcsPath } from './paths.js';
import { AcsFailure, isReservedReason, RUNTIME_ERROR_MESSAGE, type AcsReservedReason } from './reasons.js';

/** The five decisions. */
export const ACS_DECISIONS = Object.freeze(['allow', 'deny', 'warn', 'escalate', 'transform'] as const);

/**
 * One decision.
 *
 * @example
 * ```ts
 * const d: AcsDecision = 'escalate';
 * ```
 */
export type AcsDecision = (typeof ACS_DECISIONS)[number];

/**
 * A normalized verdict. `reason` and `message` are null when the policy gave none; a runtime
 * failure is a `deny` with a reserved reason and the fixed message.
 *
 * @example
 * ```ts
 * const v: AcsVerdict = { decision: 'deny', reason: 'ifc_clearance_violation', message: null, resultLabels: [] };
 * ```
 */
export interface AcsVerdict {
  decision: AcsDecision;
  reason: string | null;
  message: string | null;
  /** Present exactly when `decision` is `transform`. */
  transform?: { path: string; value: unknown };
  /** Opaque evidence the policy attached. */
  evidence?: Record<string, unknown>;
  /** Labels for the data the sink produces, verbatim (`[]` when the policy gave none). */
  resultLabels: string[];
}

const VERDICT_KEYS = ['decision', 'reason', 'message', 'transform', 'evidence', 'result_labels'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(detail: string): never {
  throw new AcsFailure('runtime_error:policy_output_invalid', detail);
}

/**
 * The verdict of a runtime failure.
 *
 * @example
 * ```ts
 * failureVerdict('runtime_error:tool_unknown'); // { decision: 'deny', reason: 'runtime_error:tool_unknown', message: 'Request blocked by ...', resultLabels: [] }
 * ```
 */
export function failureVerdict(reason: AcsReservedReason): AcsVerdict {
  return { decision: 'deny', reason, message: RUNTIME_ERROR_MESSAGE, resultLabels: [] };
}

/**
 * Normalizes a dispatcher's output; throws the reserved failure (`policy_output_invalid`,
 * `transform_invalid`, `transform_target_forbidden`) when it cannot be.
 *
 * @example
 * ```ts
 * normalizeVerdict({ decision: 'warn', reason: 'needs_review' }); // { decision: 'warn', reason: 'needs_review', message: null, resultLabels: [] }
 * normalizeVerdict({ decision: 'block' }); // throws runtime_error:policy_output_invalid
 * ```
 */
export function normalizeVerdict(output: unknown): AcsVerdict {
  if (!isObject(output)) invalid('the policy output is not an object');
  for (const k of Object.keys(output)) if (!VERDICT_KEYS.includes(k)) invalid(`the policy output has member ${JSON.stringify(k)}, which a verdict does not have (effects were replaced by transform)`);
  const { decision, reason, message, transform, evidence } = output;
  if (typeof decision !== 'string' || !(ACS_DECISIONS as readonly string[]).includes(decision)) invalid(`decision ${JSON.stringify(decision)} is not one of ${ACS_DECISIONS.join(', ')}`);
  if (reason !== undefined && reason !== null && typeof reason !== 'string') invalid('reason is not a string');
  if (typeof reason === 'string' && isReservedReason(reason)) invalid('reason uses the reserved runtime_error: prefix');
  if (message !== undefined && message !== null && typeof message !== 'string') invalid('message is not a string');
  if (evidence !== undefined && !isObject(evidence)) invalid('evidence is not an object');
  const labels = output.result_labels;
  if (labels !== undefined && labels !== null && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) invalid('result_labels is not an array of strings');
  if (decision !== 'transform' && transform !== undefined) invalid(`a ${decision} verdict carries a transform`);
  if (decision === 'transform' && transform === undefined) invalid('a transform verdict has no transform');
  const verdict: AcsVerdict = {
    decision: decision as AcsDecision,
    reason: (reason as string | null | undefined) ?? null,
    message: (message as string | null | undefined) ?? null,
    resultLabels: Array.isArray(labels) ? [...(labels as string[])] : [],
  };
  if (decision === 'transform') verdict.transform = checkTransform(transform);
  if (evidence !== undefined) verdict.evidence = evidence as Record<string, unknown>;
  return verdict;
}

function checkTransform(t: unknown): { path: string; value: unknown } {
  if (!isObject(t)) throw new AcsFailure('runtime_error:transform_invalid', 'transform is not an object { path, value }');
  for (const k of Object.keys(t)) if (k !== 'path' && k !== 'value') throw new AcsFailure('runtime_error:transform_invalid', `transform has member ${JSON.stringify(k)}; it has only path and value`);
  const p = parseAcsPath(t.path);
  if (typeof p === 'string') throw new AcsFailure('runtime_error:transform_invalid', `transform.path: ${p}`);
  if (p.root !== 'policy_target') throw new AcsFailure('runtime_error:transform_target_forbidden', `transform.path ${p.text} is outside $policy_target`);
  if (!Object.hasOwn(t, 'value')) throw new AcsFailure('runtime_error:transform_invalid', 'transform has no value');
  return { path: p.text, value: t.value };
}

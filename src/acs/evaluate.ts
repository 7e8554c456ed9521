/**
 * Evaluating one intervention point (specification sections 5 to 9, 13 to 15): pure and
 * synchronous; the policy and annotator dispatchers are injected. Every failure is a `deny` with a
 * reserved reason, and no transform is applied on a path that ends in one.
 */
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { ACS_INTERVENTION_POINTS, ACS_TOOL_POINTS, type AcsInterventionPoint, type AcsManifest, type AcsPolicyDefinition } from './manifest.js';
import { parseAcsPath, replaceAt, resolveSegments, type AcsPath } from './paths.js';
import { AcsFailure, isReservedReason } from './reasons.js';
import { failureVerdict, normalizeVerdict, type AcsVerdict } from './verdict.js';

/**
 * The canonical policy input (section 7): exactly these five members.
 *
 * @example
 * ```ts
 * const pi: AcsPolicyInput = { intervention_point: 'input', policy_target: { kind: null, path: '$snap.input', value: 'hi' }, snapshot: { input: 'hi' }, annotations: {}, tool: null };
 * ```
 */
export interface AcsPolicyInput {
  intervention_point: AcsInterventionPoint;
  policy_target: { kind: string | null; path: string; value: unknown };
  snapshot: Record<string, unknown>;
  annotations: Record<string, unknown>;
  tool: Record<string, unknown> | null;
}

/**
 * The typed invocation handed to the policy dispatcher: the policy definition's members, the
 * binding's (but `id`), the final policy input and its canonical JSON.
 *
 * @example
 * ```ts
 * const inv: AcsPolicyInvocation = { type: 'rego', query: 'data.acs.verdict', input: pi, canonical_input: '{...}' };
 * ```
 */
export interface AcsPolicyInvocation {
  type: AcsPolicyDefinition['type'];
  input: AcsPolicyInput;
  canonical_input: string;
  [member: string]: unknown;
}

/**
 * Runs the bound policy; returns its verdict-shaped output. Throwing is a failed invocation
 * (`runtime_error:policy_invocation_failed`).
 *
 * @example
 * ```ts
 * const policy: AcsPolicyDispatcher = (inv) => (inv.input.tool?.name === 'delete' ? { decision: 'deny', reason: 'no_deletes' } : { decision: 'allow' });
 * ```
 */
export type AcsPolicyDispatcher = (invocation: AcsPolicyInvocation, policyId: string) => unknown;

/**
 * One annotator call: its name, declaration and binding, the value its `from` path selected, and
 * the preliminary policy input (annotations empty).
 *
 * @example
 * ```ts
 * const call: AcsAnnotatorCall = { annotator: 'pii', declaration: { type: 'classifier' }, binding: { from: '$policy_target.text' }, value: 'hi', preliminaryPolicyInput: pi };
 * ```
 */
export interface AcsAnnotatorCall {
  annotator: string;
  declaration: Readonly<Record<string, unknown>>;
  binding: Readonly<Record<string, unknown>>;
  value: unknown;
  preliminaryPolicyInput: AcsPolicyInput;
}

/**
 * Runs one annotator; returns its JSON output. Throwing {@link AcsAnnotatorTimeout} is
 * `runtime_error:annotation_timeout`; any other throw is `runtime_error:annotation_failed`.
 *
 * @example
 * ```ts
 * const annotator: AcsAnnotatorDispatcher = (call) => ({ label: /\d{4}/.test(String(call.value)) ? 'pii' : 'clean' });
 * ```
 */
export type AcsAnnotatorDispatcher = (call: AcsAnnotatorCall) => unknown;

/**
 * What an annotator dispatcher throws when its annotator did not answer in time.
 *
 * @example
 * ```ts
 * const annotator: AcsAnnotatorDispatcher = () => { throw new AcsAnnotatorTimeout('classifier took over 2 s'); };
 * ```
 */
export class AcsAnnotatorTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcsAnnotatorTimeout';
  }
}

/**
 * Resource limits of one evaluation (section 15), in UTF-8 bytes of canonical JSON.
 *
 * @example
 * ```ts
 * const limits: AcsLimits = { maxSnapshotBytes: 1 << 20 };
 * ```
 */
export interface AcsLimits {
  /** The snapshot, and the snapshot with a transformed policy target put back; default 4 MiB. */
  maxSnapshotBytes?: number;
  /** The canonical policy input handed to the policy; default 8 MiB. */
  maxPolicyInputBytes?: number;
  /** The policy's output, before normalization; default 1 MiB. */
  maxPolicyOutputBytes?: number;
  /** One annotator's output (a breach is `annotation_failed`); default 256 KiB. */
  maxAnnotationBytes?: number;
}

const DEFAULT_LIMITS: Required<AcsLimits> = { maxSnapshotBytes: 4 << 20, maxPolicyInputBytes: 8 << 20, maxPolicyOutputBytes: 1 << 20, maxAnnotationBytes: 256 << 10 };

/**
 * One evaluation request.
 *
 * @example
 * ```ts
 * const request: AcsRequest = { interventionPoint: 'input', snapshot: { input: { text: 'hi' } }, mode: 'enforce' };
 * ```
 */
export interface AcsRequest {
  interventionPoint: string;
  snapshot: unknown;
  /** `enforce` (default) applies a transform; `evaluate_only` validates it and applies none. */
  mode?: 'enforce' | 'evaluate_only';
}

/**
 * The dispatchers and limits of an evaluation.
 *
 * @example
 * ```ts
 * const options: AcsEvaluateOptions = { policy: () => ({ decision: 'allow' }) };
 * ```
 */
export interface AcsEvaluateOptions {
  policy: AcsPolicyDispatcher;
  /** Required when the intervention point opts into annotators. */
  annotator?: AcsAnnotatorDispatcher;
  limits?: AcsLimits;
}

/**
 * The outcome of one evaluation.
 *
 * @example
 * ```ts
 * const r: AcsEvaluation = evaluateAcs(manifest, request, options);
 * if (r.verdict.decision === 'transform' && r.transformed) useArgs(r.transformed.value);
 * ```
 */
export interface AcsEvaluation {
  verdict: AcsVerdict;
  /** The final policy input, or the preliminary one when annotation failed, or null when none was built. */
  policyInput: AcsPolicyInput | null;
  /** The invocation prepared for the policy, when one was. */
  policyInvocation: AcsPolicyInvocation | null;
  policyInvoked: boolean;
  /** The transformed policy target: only for `transform` in `enforce` mode. */
  transformed: { value: unknown } | null;
  /** Action identities (section 13.1) of a successful evaluation; null after a runtime failure. */
  actionIdentity: { input: string; enforced: string } | null;
}

function canonical(value: unknown, what: string): string {
  try {
    return canonicalJson(value);
  } catch (e) {
    throw new AcsFailure('runtime_error:request_invalid', `${what} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function bytes(value: unknown, what: string): number {
  return Buffer.byteLength(canonical(value, what), 'utf8');
}

/**
 * `sha256:<hex>` of a policy input's canonical JSON: the action identity (section 13.1).
 *
 * @example
 * ```ts
 * acsActionIdentity(result.policyInput); // 'sha256:…'
 * ```
 */
export function acsActionIdentity(policyInput: AcsPolicyInput): string {
  return `sha256:${sha256Hex(canonicalJson(policyInput))}`;
}

function resolveRoot(path: AcsPath, roots: { snap: unknown; pi?: unknown; policy_target?: unknown; tool?: unknown }): unknown {
  return resolveSegments(roots[path.root], path.segments, path.text);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Evaluates one intervention point of a validated manifest for one snapshot. Never throws for a
 * runtime failure: that is a `deny` verdict with a reserved reason.
 *
 * @example
 * ```ts
 * const result = evaluateAcs(manifest, { interventionPoint: 'input', snapshot: { input: { text: 'hi' } } }, {
 *   policy: () => ({ decision: 'allow' }),
 * });
 * result.verdict.decision; // 'allow'
 * ```
 * @throws WardenError `ERR_OPTIONS` for an unknown key in the request or options (a caller bug, not a runtime failure).
 */
export function evaluateAcs(manifest: AcsManifest, request: AcsRequest, options: AcsEvaluateOptions): AcsEvaluation {
  rejectUnknownKeys(request, ['interventionPoint', 'snapshot', 'mode'], 'ERR_OPTIONS', 'ACS request');
  rejectUnknownKeys(options, ['policy', 'annotator', 'limits'], 'ERR_OPTIONS', 'evaluateAcs options');
  rejectUnknownKeys(options.limits, Object.keys(DEFAULT_LIMITS), 'ERR_OPTIONS', 'ACS limits');
  const state: Omit<AcsEvaluation, 'verdict' | 'actionIdentity' | 'transformed'> = { policyInput: null, policyInvocation: null, policyInvoked: false };
  try {
    return run(manifest, request, options, state);
  } catch (e) {
    const reason = e instanceof AcsFailure ? e.reason : 'runtime_error:policy_invocation_failed';
    return { ...state, verdict: failureVerdict(reason), transformed: null, actionIdentity: null };
  }
}

function run(manifest: AcsManifest, request: AcsRequest, options: AcsEvaluateOptions, state: Omit<AcsEvaluation, 'verdict' | 'actionIdentity' | 'transformed'>): AcsEvaluation {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const mode = request.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'evaluate_only') throw new AcsFailure('runtime_error:request_invalid', `mode ${JSON.stringify(mode)} is not enforce or evaluate_only`);
  if (!isObject(request.snapshot)) throw new AcsFailure('runtime_error:request_invalid', 'the snapshot is not a JSON object');
  const snapshotText = canonical(request.snapshot, 'the snapshot');
  if (Buffer.byteLength(snapshotText, 'utf8') > limits.maxSnapshotBytes) throw new AcsFailure('runtime_error:resource_limit_exceeded', 'the snapshot is over maxSnapshotBytes');
  // A private copy, parsed back from the canonical text: plain JSON data, and nothing the host or
  // a dispatcher does to its own objects changes what was evaluated.
  const snapshot = JSON.parse(snapshotText) as Record<string, unknown>;

  // 1. The intervention point.
  const name = request.interventionPoint;
  const point = (ACS_INTERVENTION_POINTS as readonly string[]).includes(name) ? manifest.interventionPoints.get(name as AcsInterventionPoint) : undefined;
  if (point === undefined) throw new AcsFailure('runtime_error:intervention_point_unknown', `${JSON.stringify(name)} is not configured`);
  // 2. The policy target.
  const targetValue = resolveRoot(point.policyTarget, { snap: snapshot });
  // 3. The tool.
  let tool: Record<string, unknown> | null = null;
  if (ACS_TOOL_POINTS.includes(name as AcsInterventionPoint) && point.toolNameFrom !== null) {
    const toolName = resolveRoot(point.toolNameFrom, { snap: snapshot });
    if (typeof toolName !== 'string') throw new AcsFailure('runtime_error:path_type_mismatch', `${point.toolNameFrom.text} is not a string`);
    const entry = manifest.tools.get(toolName);
    if (entry === undefined) throw new AcsFailure('runtime_error:tool_unknown', `tool ${JSON.stringify(toolName)} is not in the catalog`);
    tool = { ...(JSON.parse(canonicalJson(entry)) as Record<string, unknown>), name: toolName };
  }
  // 4. The preliminary policy input.
  const preliminary: AcsPolicyInput = {
    intervention_point: name as AcsInterventionPoint,
    policy_target: { kind: point.policyTargetKind, path: point.policyTarget.text, value: targetValue },
    snapshot,
    annotations: {},
    tool,
  };
  state.policyInput = preliminary;
  // 5. Annotations, in ascending name order.
  const annotations: Record<string, unknown> = {};
  for (const [annotator, { from, binding }] of point.annotations) {
    const value = resolveRoot(from, { snap: snapshot, pi: preliminary, policy_target: targetValue, tool });
    if (options.annotator === undefined) throw new AcsFailure('runtime_error:annotation_failed', `no annotator dispatcher was given for ${annotator}`);
    let out: unknown;
    try {
      out = options.annotator({ annotator, declaration: manifest.annotators.get(annotator) ?? {}, binding, value: structuredClone(value), preliminaryPolicyInput: structuredClone(preliminary) });
    } catch (e) {
      if (e instanceof AcsAnnotatorTimeout) throw new AcsFailure('runtime_error:annotation_timeout', `${annotator} timed out`);
      throw new AcsFailure('runtime_error:annotation_failed', `${annotator} failed`);
    }
    let size: number;
    try {
      size = bytes(out, `annotator ${annotator}'s output`);
    } catch {
      throw new AcsFailure('runtime_error:annotation_failed', `${annotator} returned a value that is not JSON`);
    }
    if (size > limits.maxAnnotationBytes) throw new AcsFailure('runtime_error:annotation_failed', `${annotator}'s output is over maxAnnotationBytes`);
    if (isObject(out) && typeof out.reason === 'string' && isReservedReason(out.reason)) throw new AcsFailure('runtime_error:annotation_failed', `${annotator} used a reserved reason`);
    annotations[annotator] = JSON.parse(canonicalJson(out));
  }
  // 6. The final policy input.
  const policyInput: AcsPolicyInput = { ...preliminary, annotations };
  state.policyInput = policyInput;
  // The canonical text, composed from the snapshot's text already made (members in RFC 8785 order:
  // annotations, intervention_point, policy_target {kind, path, value}, snapshot, tool).
  const canonicalInput =
    `{"annotations":${canonicalJson(annotations)},"intervention_point":${canonicalJson(policyInput.intervention_point)},` +
    `"policy_target":{"kind":${canonicalJson(policyInput.policy_target.kind)},"path":${canonicalJson(policyInput.policy_target.path)},"value":${canonicalJson(targetValue)}},` +
    `"snapshot":${snapshotText},"tool":${canonicalJson(tool)}}`;
  if (Buffer.byteLength(canonicalInput, 'utf8') > limits.maxPolicyInputBytes) throw new AcsFailure('runtime_error:resource_limit_exceeded', 'the policy input is over maxPolicyInputBytes');
  // 7. The policy.
  const definition = manifest.policies.get(point.policy.id);
  if (definition === undefined) throw new AcsFailure('runtime_error:manifest_invalid', `policy ${point.policy.id} is not defined`);
  const { id: policyId, ...bindingMembers } = point.policy;
  const membersText = canonicalJson({ ...definition, ...bindingMembers });
  const members = JSON.parse(membersText) as Record<string, unknown>;
  const invocation: AcsPolicyInvocation = { ...members, type: definition.type, input: policyInput, canonical_input: canonicalInput };
  state.policyInvocation = invocation;
  state.policyInvoked = true;
  let output: unknown;
  try {
    // The dispatcher gets its own copy (parsed from the canonical text), so it cannot change what the identity covers.
    output = options.policy({ ...JSON.parse(membersText) as Record<string, unknown>, type: definition.type, input: JSON.parse(canonicalInput) as AcsPolicyInput, canonical_input: canonicalInput }, policyId);
  } catch {
    throw new AcsFailure('runtime_error:policy_invocation_failed', `policy ${policyId} failed`);
  }
  // 8. The verdict.
  if (output === undefined) throw new AcsFailure('runtime_error:policy_output_invalid', `policy ${policyId} returned nothing`);
  const outputText = canonicalOrInvalid(output);
  if (Buffer.byteLength(outputText, 'utf8') > limits.maxPolicyOutputBytes) throw new AcsFailure('runtime_error:resource_limit_exceeded', 'the policy output is over maxPolicyOutputBytes');
  const verdict = normalizeVerdict(JSON.parse(outputText));
  // 9. The transform: validated in both modes, applied in enforce mode.
  const inputIdentity = `sha256:${sha256Hex(canonicalInput)}`;
  let transformed: { value: unknown } | null = null;
  let enforced = inputIdentity;
  if (verdict.transform !== undefined) {
    const path = parseAcsPath(verdict.transform.path) as AcsPath;
    const next = replaceAt(targetValue, path.segments, structuredClone(verdict.transform.value));
    const reinserted = replaceAt(snapshot, point.policyTarget.segments, next);
    if (bytes(reinserted, 'the transformed snapshot') > limits.maxSnapshotBytes) throw new AcsFailure('runtime_error:resource_limit_exceeded', 'the transformed snapshot is over maxSnapshotBytes');
    if (mode === 'enforce') {
      transformed = { value: next };
      enforced = acsActionIdentity({ ...policyInput, policy_target: { ...policyInput.policy_target, value: next } });
    }
  }
  return { ...state, verdict, transformed, actionIdentity: { input: inputIdentity, enforced } };
}

function canonicalOrInvalid(output: unknown): string {
  try {
    return canonicalJson(output);
  } catch {
    throw new AcsFailure('runtime_error:policy_output_invalid', 'the policy output is not JSON');
  }
}

/**
 * `agent-warden/acs`: the Agent Control Specification (0.3.1-beta) of Microsoft's Agent
 * Governance Toolkit: load a manifest of intervention points, evaluate one point for a snapshot
 * with an injected policy dispatcher (a function, or a Warden policy set), get a normalized
 * verdict. See docs/acs.md.
 *
 * @example
 * ```ts
 * import { loadAcsManifest, evaluateAcs } from 'agent-warden/acs';
 * const manifest = loadAcsManifest(text);
 * const result = evaluateAcs(manifest, { interventionPoint: 'input', snapshot }, { policy: () => ({ decision: 'allow' }) });
 * ```
 */
export { loadAcsManifest, acsManifestFromValue, ACS_INTERVENTION_POINTS, ACS_TOOL_POINTS, MAX_ACS_MANIFEST_CHARS, type AcsManifest, type AcsInterventionPoint, type AcsPointConfig, type AcsPolicyDefinition } from './manifest.js';
export {
  evaluateAcs,
  acsActionIdentity,
  AcsAnnotatorTimeout,
  type AcsAnnotatorCall,
  type AcsAnnotatorDispatcher,
  type AcsEvaluateOptions,
  type AcsEvaluation,
  type AcsLimits,
  type AcsPolicyDispatcher,
  type AcsPolicyInput,
  type AcsPolicyInvocation,
  type AcsRequest,
} from './evaluate.js';
export { normalizeVerdict, failureVerdict, ACS_DECISIONS, type AcsDecision, type AcsVerdict } from './verdict.js';
export { settleAcsApproval, type AcsApprovalOutcome, type AcsApprovalSettlement } from './approval.js';
export { ACS_RUNTIME_REASONS, ACS_SDK_REASONS, RUNTIME_ERROR_MESSAGE, isReservedReason, type AcsReservedReason } from './reasons.js';
export { wardenAcsDispatcher, type AcsDecider, type WardenAcsOptions } from './warden-dispatcher.js';
export { acsRegoDispatcher, type AcsRegoOptions } from './rego-dispatcher.js';
export { parseAcsPath, type AcsPath, type AcsPathRoot } from './paths.js';

/**
 * agent-warden: runtime governance for AI agents.
 *
 * @example
 * ```ts
 * import { loadPolicyFiles, Governor, govern } from 'agent-warden';
 * const governor = new Governor({ policy: await loadPolicyFiles(['policy.yaml']), agent: { id: 'bot' } });
 * const sendEmail = govern(async (a: { to: string }) => send(a.to), { tool: 'send_email', governor });
 * ```
 */
export * from './policy/index.js';
export { WardenError } from './errors.js';
export { canonicalJson } from './lib/canonical-json.js';
export { digestOf } from './lib/hash.js';
export { Governor, type GovernorOptions, type GovernorRequest, type ApprovalHandler, type ApprovalRequest, type PolicyProvider, type GovernedTools } from './enforce/governor.js';
export { govern, type GovernOptions } from './enforce/govern.js';
export { Pipeline, STAGES, type PipelineOptions, type PipelineRuntime, type CallInput, type DecidedCall, type Gate, type GateRefusal } from './enforce/pipeline.js';
export type { StateOptions } from './enforce/charge-stage.js';
export { GovernanceDenied } from './enforce/denied.js';
export { InjectedFault, systemTimer } from './enforce/fault.js';
export type { CallTimer } from './enforce/fault.js';
export type { CallMonitor, Admission, Fault, MonitoredCall, RuntimeVariables } from './monitor.js';
export { MemorySink } from './enforce/memory-sink.js';
export { MemoryPendingApprovals, type PendingApprovals } from './enforce/pending-approvals.js';
export type { HostApproval } from './enforce/pipeline-types.js';
export type { DecisionSink, DecisionEvent, DecisionOutcome, Outcome, OutcomeEvent, OutcomeFinding, WardenWarning } from './decision.js';
export type { Verdict, ApprovalOutcome } from './enforce/verdict.js';
export type { ApprovalNote } from './enforce/approval.js';
export { loadPolicyFiles, readPolicySources, type LoadOptions } from './enforce/load-files.js';
export { CompiledPolicyCache, compiledPolicyCacheFromEnv, type CacheStatus } from './enforce/compiled-cache.js';
export { wardenCacheDir } from './enforce/cache-dir.js';
export { PolicyStore, type PolicyStoreOptions, type PolicyStoreWarning, type ReloadResult } from './enforce/policy-store.js';
export { readPolicyManifest, writePolicyManifest, type PolicyManifest } from './enforce/policy-manifest.js';
export { VERSION } from './version.js';
// The audit log's everyday entry points; queries, tailing, checkpoints and the redactor's finer
// tools are in `agent-warden/audit`.
// Each from its own module, not through audit/index.ts: the root does not load the PostgreSQL sink,
// queries and exports it does not re-export.
export { openFileAuditSink, FileAuditSink } from './audit/file-sink.js';
export type { FileAuditSinkOptions, FsyncPolicy } from './audit/sink-options.js';
export { verifyAuditLog, type VerifyResult } from './audit/verify.js';
export { listAuditFiles } from './audit/files.js';
export { generateKeyPair, loadPrivateKey, loadPublicKey } from './audit/keys.js';
export { redact, type RedactOptions } from './audit/redact.js';
export { loadSqlParsers, type SqlParsers } from './facets/sql-parsers.js';

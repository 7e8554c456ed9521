/**
 * The audit log: hash-chained records, the file sink, signed checkpoints, verification and queries.
 *
 * @example
 * ```ts
 * import { openFileAuditSink, verifyAuditLog, listAuditFiles } from 'agent-warden/audit';
 * const sink = await openFileAuditSink({ path: '.warden/audit' });
 * ```
 */
// The record format and how to check one line; the writer's serialization internals stay private.
export { GENESIS_HASH, DEFAULT_MAX_RECORD_BYTES, computeRecordHash, parseRecordLine } from './record.js';
export type { AuditRecord, AuditDecisionRecord, AuditCheckpointRecord, AuditOutcomeRecord, AuditRequest, AuditDecision, RedactionNote, CheckpointStatement, ParsedLine } from './record.js';
export { FileAuditSink, openFileAuditSink } from './file-sink.js';
export type { AuditSinkCommonOptions, FileAuditSinkOptions, FsyncPolicy, AuditWarning, TornTail } from './file-sink.js';
export { FileLock, withFileLock } from './file-lock.js';
export type { FileLockOptions } from './file-lock.js';
export { MAX_LINE_BYTES } from './io.js';
export { listAuditFiles, DEFAULT_STREAM, LOG_EXTENSION } from './files.js';
export {
  generateKeyPair,
  writeKeyPair,
  loadPrivateKey,
  loadPublicKey,
  keyIdOf,
  toPrivateKey,
  toPublicKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from './keys.js';
export type { AuditKeyPair, KeyInput, KeyPairTarget } from './keys.js';
export {
  CHECKPOINT_SIGNING_PREFIX,
  checkpointSigningBytes,
  signCheckpoint,
  checkCheckpointSignature,
  readHead,
} from './checkpoint.js';
export type { ChainHead, SignedHead } from './checkpoint.js';
export { verifyAuditLog } from './verify.js';
export type { VerifyOptions, VerifyResult, VerifyProblem, VerifyReason } from './verify.js';
export { queryAuditLog, tailAuditLog } from './query.js';
export type { AuditQueryFilter, TailOptions, ReadOptions, MalformedLine } from './query.js';
export { redact, redactDetailed, redactString, findSecrets, isSecretKey } from './redact.js';
export type { RedactionFinding, RedactOptions, RedactionResult } from './redact.js';
export { PostgresAuditSink, openPostgresAuditSink } from './postgres-sink.js';
export type { PostgresAuditSinkOptions } from './postgres-sink.js';
export { openPostgresAuditReader, readPostgresAuditRecords } from './postgres-read.js';
export type { PostgresAuditLocation, PostgresAuditReader } from './postgres-read.js';
export { verifyPostgresAuditStream } from './verify-postgres.js';
export { toOpaDecisionLogEvent, opaDecisionLogEvents, OPA_DECISION_PATH } from './opa-decision-log.js';
export type { OpaDecisionLogEvent, OpaExportOptions } from './opa-decision-log.js';

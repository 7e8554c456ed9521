/**
 * Errors with stable codes a caller can switch on: one closed list, each code documented once
 * (docs/errors.md is generated from the same table and a test keeps the two equal).
 *
 * @example
 * ```ts
 * try { await loadPolicyFiles(['policy.yaml']); }
 * catch (e) { if (e instanceof WardenError && e.code === 'ERR_POLICY_LOAD') console.error(e.message); }
 * ```
 */

/**
 * Every error code Warden throws, with what it means. Add a code here (and to docs/errors.md)
 * before throwing it; the type below makes any other string a compile error.
 *
 * @example
 * ```ts
 * console.log(ERROR_CODES.ERR_POLICY_LOAD); // 'A policy source failed to load; nothing of it was applied.'
 * ```
 */
export const ERROR_CODES = Object.freeze({
  ERR_ACS_MANIFEST: 'An Agent Control Specification manifest is invalid (runtime_error:manifest_invalid); the message names the member and what it must be.',
  ERR_AGT_CONVERT: 'An Agent Governance Toolkit policy could not be converted to warden/v1.',
  ERR_AUDIT_CLOSED: 'An audit sink was used after close().',
  ERR_AUDIT_CORRUPT: 'The tail of an audit log is not a record, so nothing more is appended to it.',
  ERR_AUDIT_IN_USE: 'Another writer holds the audit log.',
  ERR_AUDIT_KEY: 'A signing or HMAC key could not be created, read or parsed.',
  ERR_AUDIT_KEY_EXISTS: 'A key file already exists and was kept.',
  ERR_AUDIT_MALFORMED: 'A line of an audit log is not a valid record.',
  ERR_AUDIT_NOT_FOUND: 'An audit log file or directory does not exist or cannot be read.',
  ERR_AUDIT_OPEN: 'An audit log could not be opened for writing.',
  ERR_AUDIT_OPTIONS: 'Options of an audit sink, query or command are invalid.',
  ERR_AUDIT_QUEUE_FULL: 'Too many records are waiting to be written; the disk is not keeping up.',
  ERR_AUDIT_RECORD: 'A record body is malformed (it carries a chain field, or is not an object).',
  ERR_AUDIT_RECORD_TOO_LARGE: 'A record is larger than the configured maximum even without its arguments.',
  ERR_AUDIT_STREAM_MISMATCH: 'An audit file belongs to another stream than the one being written.',
  ERR_AUDIT_WRITE: 'A decision could not be recorded.',
  ERR_AZURE_RUN: 'An Azure AI Agents run could not be continued safely: its required action is malformed or unknown (missing or repeated tool call ids, too many calls), or the service failed or answered about another run. The loop stopped; a step it could not read ran nothing.',
  ERR_BUNDLE: 'A policy bundle is malformed, unsigned, signed by another key, altered after signing, or older than the bundle in force, or its data or policies do not load, so it was not activated; the error\'s reason names the check that failed.',
  ERR_CANONICAL_JSON: 'A value has no canonical JSON form (a cycle, a non-finite number, a lone surrogate, a non-plain object).',
  ERR_CHAOS_DENIED: 'Starting a chaos experiment was not allowed by the policy (or no pipeline was given to decide it).',
  ERR_CLAUDE_SETTINGS: 'The Claude Code settings file cannot be read or merged.',
  ERR_CONDITION: 'A CEL condition failed to compile.',
  ERR_DETECT_LIMIT: 'A text is too large to scan for injections, poisoning or secrets, so it was not scanned (and is treated as untrusted).',
  ERR_DETECT_MODEL: 'A configured tier 3 model (ONNX) failed or timed out on a text, so the text was not scored by it (and is treated as untrusted).',
  ERR_DETECT_MODEL_LOAD: 'A configured tier 3 model (ONNX) could not be loaded: onnxruntime-node is not installed, the file is missing or is not a model, or its inputs and outputs are not the configured ones.',
  ERR_DETECT_OPTIONS: 'Options given to a detector are invalid.',
  ERR_DID: 'A DID is malformed, of a method Warden does not support, or cannot be resolved.',
  ERR_GLOB: 'A glob pattern is malformed.',
  ERR_GOVERNANCE_DENIED: 'A governed call was not allowed; the error carries the decision.',
  ERR_HOOK_CONFIG: 'The Claude Code hook is configured wrongly (no policy, no audit path, a bad agent id).',
  ERR_HOOK_INPUT: 'The Claude Code hook input is not a hook event it understands.',
  ERR_HOOK_SERVER: 'The Claude Code hook server could not start or answer.',
  ERR_IDENTITY: 'A credential did not verify (a token, a DPoP proof, a signed message, a signature, a UCAN); the error names the check that failed.',
  ERR_IDENTITY_KEY: 'An identity key cannot be created, read, parsed or stored, or its key file is readable by others.',
  ERR_INPUT: 'An input file cannot be read.',
  ERR_INPUT_TOO_LARGE: 'An input is larger than the limit.',
  ERR_INTEGRATION_OPTIONS: 'Options given to a framework adapter are invalid.',
  ERR_K8S_PARSE: 'A Kubernetes command, path or manifest cannot be parsed.',
  ERR_KILL: 'The kill switch refused a change (a signer or approval it does not trust, a target that is not killed, a full kill state).',
  ERR_KILLED: 'A governed call was aborted in flight because the kill switch covers its agent or session.',
  ERR_LOCK: 'A lock file cannot be created or released.',
  ERR_LOCK_TIMEOUT: 'A lock was not acquired in time.',
  ERR_COMPLIANCE_INPUT: 'An input of a compliance report (configuration, replay report) cannot be read or is malformed; the message names the file and key.',
  ERR_MISSING_DEPENDENCY: 'An optional package a feature needs is not installed; the message names it and how to install it.',
  ERR_MODULE_LOAD: "A part of Warden's own package that loads on first use (a facet, the policy compiler) could not be loaded: a file of the install is missing or broken. What needed it is denied; reinstall agent-warden.",
  ERR_MCP_CLOSED: 'The MCP gateway was used after close().',
  ERR_MCP_CONFIG: 'The MCP gateway configuration (warden.mcp.yaml) is unreadable or invalid: an unknown key, a bad server name, a server without a policy.',
  ERR_MCP_LISTEN: 'The MCP gateway cannot listen where it was asked to.',
  ERR_MCP_LOCK: 'The MCP pin lock file is missing, unreadable or invalid.',
  ERR_MCP_OPTIONS: 'Options given to the MCP gateway are invalid.',
  ERR_MCP_UPSTREAM: 'The upstream MCP server cannot be started or reached.',
  ERR_OIDC: 'An OpenID Connect login to the dashboard was refused; the error\'s reason names the check that failed (state, nonce, audience, issuer, signature, algorithm, expiry, code, role, or an unreachable provider), and no session was started.',
  ERR_OPTIONS: 'Options given to a Warden component are invalid: an unknown key, a wrong type or an out-of-range value.',
  ERR_PATH_REALPATH: 'A real path cannot be resolved (no existing ancestor, too many missing components).',
  ERR_PATH_SYMLINK: 'A path goes through a dangling symlink.',
  ERR_POLICY_LOAD: 'A policy source failed to load; nothing of it was applied.',
  ERR_POLICY_MANIFEST: 'A policy manifest is missing, unreadable or invalid, or does not name the digest of the policy read, so that policy was not activated.',
  ERR_POLICY_UNSTABLE: 'The policy files kept changing while they were read (a save that is not atomic), so they were not activated.',
  ERR_POLICY_WATCH: 'Watching the policy files for changes failed or stopped; the policy in force stays.',
  ERR_POLICY_TEST_CASE: 'A policy test case is malformed.',
  ERR_POLICY_TEST_LOAD: 'Policy test cases failed to load; nothing was run.',
  ERR_REDACTION_INCOMPLETE: 'Redaction could not prove a value clean, so it is not recorded.',
  ERR_REDACTION_LIMIT: 'A value is too large or too deep to redact, so it is not recorded.',
  ERR_REDACTION_OPTIONS: 'Redaction options are invalid.',
  ERR_REGEX: 'A regular expression is invalid or over the length limit.',
  ERR_REPLAY_OPTIONS: 'Options given to replay are invalid.',
  ERR_REQUEST_JSON: 'A request is not valid JSON.',
  ERR_RING_CONFIG: 'A ring level, ring mapping or elevation is malformed (negative, not a whole number, out of 0-3, ring 0 by tier or by elevation); never read as more privilege.',
  ERR_SANDBOX_OPTIONS: 'Options given to the sandbox are invalid (an unknown key, a relative or missing path, a limit out of range).',
  ERR_SANDBOX_SETUP: 'The sandbox could not be set up for a run (a cgroup, a temporary directory, the seccomp filter); the command was not run.',
  ERR_SANDBOX_UNAVAILABLE: 'No usable OS sandbox on this host (bubblewrap missing or refused, an unsupported architecture, the per-exec supervisor or Landlock required but unavailable), and running without it is not allowed.',
  ERR_SAGA: 'A saga is malformed, its id is already used or held by another process, or its journal does not verify.',
  ERR_SERVER: 'The decision service could not start or was configured wrongly (a listen address, a token file, a TLS file, a JWT key); the message says which.',
  ERR_SHELL_OPTION_SPEC: 'A shell program table entry is malformed (a bug in the table).',
  ERR_SHELL_UNRESOLVED: 'A shell word cannot be resolved to literal text.',
  ERR_SQL_PARSER_LOAD: 'The SQL parsers could not be loaded.',
  ERR_SUPPLY: 'A plugin manifest, npm provenance bundle or MCP server identity did not verify; the error names the check that failed (its reason), and nothing was loaded or started.',
  ERR_STORE_DATA: 'A state store was given an argument it cannot take (a key, a number, a value too large) or holds data it cannot read.',
  ERR_STORE_FULL: 'A bounded state store is full; nothing was written, and the decision that needed it is denied.',
  ERR_STORE_UNAVAILABLE: 'A state store cannot be reached or was closed; the decisions that need it are denied.',
  ERR_TRUST_CONFIG: 'A trust model or its tiers are invalid (a weight out of range, no tier at 0, two tiers at one threshold).',
  ERR_TRUST_EVENT: 'A trust event is malformed (an unknown kind, a time or value out of range); nothing was recorded.',
  ERR_SRE_CONFIG: 'An SLO, circuit breaker or chaos experiment (or an SRE document holding one) is invalid; the message names the member.',
  ERR_UNGOVERNED_TOOL: 'A tool was called that no governed wrapper covers.',
  ERR_USAGE: 'A command was invoked with wrong arguments.',
  ERR_APPROVAL_NOT_FOUND: 'An answer names a parked approval that does not exist (a wrong id, or one past its retention).',
  ERR_APPROVAL_ANSWERED: 'A parked approval was already answered (or given up by its caller); an approval is answered once.',
  ERR_APPROVAL_EXPIRED: 'A parked approval expired before the answer came; its caller was denied.',
  ERR_APPROVAL_DIGEST: 'An answer was for a different request digest than the parked one (its arguments are not the ones shown).',
  ERR_APPROVAL_FORBIDDEN: 'The answerer is not one of the approvers the rule names, nor holds an admin role.',
  ERR_TRAINING_INPUT: 'A trajectory (JSONL), span export, audit stream or reward shaping given to training governance is malformed; the message names the file, line or member.',
} as const);

/**
 * A stable error code: one of {@link ERROR_CODES}.
 *
 * @example
 * ```ts
 * const code: WardenErrorCode = 'ERR_AUDIT_WRITE';
 * ```
 */
export type WardenErrorCode = keyof typeof ERROR_CODES;

/**
 * The base of every error Warden throws on a public path.
 *
 * @example
 * ```ts
 * throw new WardenError('ERR_USAGE', 'Give either --request or --requests, not both.');
 * ```
 */
export class WardenError extends Error {
  /** Stable, machine-readable code (`ERR_...`), one of {@link ERROR_CODES}. */
  readonly code: WardenErrorCode;

  constructor(code: WardenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WardenError';
    this.code = code;
  }
}

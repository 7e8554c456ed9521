/**
 * The compliance model: control catalogs (data), checks over evidence, and the findings a report
 * is made of. A check is satisfied only with positive evidence; no evidence is `not-satisfied`.
 */

/** The frameworks Warden reports on. */
export type FrameworkId = 'owasp-asi' | 'eu-ai-act' | 'hipaa' | 'soc2';

/** Every framework id, in report order. */
export const FRAMEWORK_IDS: readonly FrameworkId[] = Object.freeze(['owasp-asi', 'eu-ai-act', 'hipaa', 'soc2']);

/**
 * The checks Warden can run over a policy, a configuration and an audit log.
 *
 * @example
 * ```ts
 * const id: CheckId = 'policy.default-deny';
 * ```
 */
export type CheckId =
  | 'policy.default-deny'
  | 'policy.destructive-gated'
  | 'policy.egress-restricted'
  | 'policy.approvers-named'
  | 'config.audit-enabled'
  | 'config.audit-durable'
  | 'config.audit-signed'
  | 'config.retention-six-months'
  | 'config.redaction'
  | 'config.identity-required'
  | 'config.kill-switch'
  | 'audit.intact'
  | 'audit.attributed'
  | 'audit.approvals-recorded'
  | 'audit.decisions-match-policy'
  | 'replay.before-rollout';

/**
 * One control of a catalog: its official id and title, where it is defined, and the checks that
 * give evidence for it (none: an organisational control an assessor judges, reported `manual`).
 *
 * @example
 * ```ts
 * const c: Control = { id: 'ASI02', token: 'asi02', title: 'Tool Misuse and Exploitation', source: 'https://genai.owasp.org/...', checks: ['policy.default-deny'], notChecked: 'Whether tools are scoped to least privilege.' };
 * ```
 */
export interface Control {
  /** The id as the framework writes it (`ASI02`, `Art. 12`, `164.312(b)`, `CC7`). */
  id: string;
  /** The id as an OSCAL token (letters, digits, `.`, `-`, `_`; starts with a letter). */
  token: string;
  title: string;
  /** Where the control is defined (document and section). */
  source: string;
  checks: readonly CheckId[];
  /** What of the control Warden does not check (the assessor's part). */
  notChecked: string;
}

/**
 * A framework's catalog, versioned in the repository.
 *
 * @example
 * ```ts
 * const cat: Catalog = { framework: 'soc2', title: 'SOC 2', version: '2017 (rev. 2022)', source: 'AICPA TSC', controls: [] };
 * ```
 */
export interface Catalog {
  framework: FrameworkId;
  title: string;
  version: string;
  source: string;
  controls: readonly Control[];
}

/**
 * A piece of evidence a check looked at, cited precisely enough to find it again.
 *
 * @example
 * ```ts
 * const e: EvidenceRef = { kind: 'audit', stream: 'main', seq: 12, hash: 'sha256:…', checkpoint: null, note: 'a deny by rule no-prod' };
 * ```
 */
export type EvidenceRef =
  | { kind: 'policy'; policy: string; source: string; rule: string | null; digest: string; note: string }
  | { kind: 'config'; file: string; key: string; value: unknown; note: string }
  | { kind: 'audit'; stream: string; seq: number; hash: string; checkpoint: { seq: number; hash: string; keyId: string } | null; note: string }
  | { kind: 'file'; file: string; digest: string; note: string };

/**
 * The result of one check.
 *
 * @example
 * ```ts
 * const r: CheckResult = { id: 'policy.default-deny', title: 'Default deny', status: 'satisfied', reason: 'every policy defaults to deny', evidence: [] };
 * ```
 */
export interface CheckResult {
  id: CheckId;
  title: string;
  status: 'satisfied' | 'not-satisfied';
  reason: string;
  evidence: EvidenceRef[];
}

/**
 * A control's finding: satisfied when every one of its checks is; `manual` when Warden has no
 * check for it.
 *
 * @example
 * ```ts
 * const f: ControlFinding = { framework: 'soc2', control: soc2.controls[0]!, status: 'manual', reason: 'organisational', checks: [] };
 * ```
 */
export interface ControlFinding {
  framework: FrameworkId;
  control: Control;
  status: 'satisfied' | 'not-satisfied' | 'manual';
  reason: string;
  checks: CheckResult[];
}

/**
 * A whole report: inputs (with digests), the checks, and each framework's findings.
 *
 * @example
 * ```ts
 * const report = await complianceReport({ frameworks: ['owasp-asi'], policyPaths: ['policy.yaml'], auditPath: '.warden/audit/main.jsonl', now: new Date() });
 * ```
 */
export interface ComplianceReport {
  generatedAt: string;
  frameworks: FrameworkId[];
  inputs: { policy: { paths: string[]; digest: string } | null; config: { file: string; digest: string } | null; audit: { path: string; stream: string | null; records: number; intact: boolean; firstBad: string | null } | null; replayReports: string[] };
  checks: CheckResult[];
  findings: ControlFinding[];
}

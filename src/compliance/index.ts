/**
 * `agent-warden/compliance`: compliance reports built from evidence (the policy, the deployment
 * configuration and the audit log) for the OWASP Top 10 for Agentic Applications, the EU AI Act,
 * the HIPAA Security Rule and SOC 2, as Markdown, JSON, HTML and OSCAL assessment results.
 *
 * @example
 * ```ts
 * import { complianceReport, reportMarkdown } from 'agent-warden/compliance';
 * const report = await complianceReport({ policy: ['policy.yaml'], audit: '.warden/audit/main.jsonl', now: new Date() });
 * console.log(reportMarkdown(report));
 * ```
 */
export { complianceReport, type ComplianceInput } from './report.js';
export { reportMarkdown, reportHtml, evidenceText, catalogMarkdown, CHECK_DESCRIPTIONS } from './render.js';
export { reportOscal, nameUuid, OSCAL_VERSION, WARDEN_OSCAL_NS } from './oscal.js';
export { CATALOGS, OWASP_ASI, EU_AI_ACT, HIPAA_SECURITY, SOC2_CC } from './catalogs.js';
export { parseDeploymentConfig, SIX_MONTHS_DAYS, type DeploymentConfig } from './config.js';
export { FRAMEWORK_IDS } from './types.js';
export type { Catalog, CheckId, CheckResult, ComplianceReport, Control, ControlFinding, EvidenceRef, FrameworkId } from './types.js';

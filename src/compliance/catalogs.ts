/**
 * The control catalogs, as data: each control's official id and title, its source, the checks
 * that give Warden's evidence for it, and what Warden does not check. Version the catalog with the
 * framework: a change of the framework is a change of this file.
 */
import type { Catalog, FrameworkId } from './types.js';

const OWASP = 'https://genai.owasp.org/resource/owasp-top-10-for-agentic-applications-for-2026/';
const AI_ACT = 'Regulation (EU) 2024/1689 (Artificial Intelligence Act), OJ L, 12.7.2024, https://eur-lex.europa.eu/eli/reg/2024/1689/oj';
const HIPAA = '45 CFR 164.312 (HIPAA Security Rule, technical safeguards), https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C/section-164.312';
const SOC2 = 'AICPA, 2017 Trust Services Criteria for Security, Availability, Processing Integrity, Confidentiality, and Privacy (revised points of focus, 2022)';

/**
 * OWASP Top 10 for Agentic Applications (2026).
 *
 * @example
 * ```ts
 * OWASP_ASI.controls.map((c) => c.id); // ['ASI01', ..., 'ASI10']
 * ```
 */
export const OWASP_ASI: Catalog = {
  framework: 'owasp-asi',
  title: 'OWASP Top 10 for Agentic Applications',
  version: '2026 (published December 2025)',
  source: OWASP,
  controls: [
    {
      id: 'ASI01',
      token: 'asi01',
      title: 'Agent Goal Hijack',
      source: `${OWASP} (ASI01)`,
      checks: ['policy.destructive-gated', 'policy.egress-restricted', 'audit.decisions-match-policy'],
      notChecked: 'Whether injected content is detected in what the agent reads (detection is reported by its own checks once they land); whether the agent goal itself is constrained.',
    },
    {
      id: 'ASI02',
      token: 'asi02',
      title: 'Tool Misuse and Exploitation',
      source: `${OWASP} (ASI02)`,
      checks: ['policy.default-deny', 'policy.destructive-gated', 'audit.decisions-match-policy'],
      notChecked: 'Whether each tool is scoped to the least privilege its task needs.',
    },
    {
      id: 'ASI03',
      token: 'asi03',
      title: 'Identity and Privilege Abuse',
      source: `${OWASP} (ASI03)`,
      checks: ['config.identity-required', 'audit.attributed'],
      notChecked: 'How credentials are issued, rotated and scoped outside Warden.',
    },
    {
      id: 'ASI04',
      token: 'asi04',
      title: 'Agentic Supply Chain Vulnerabilities',
      source: `${OWASP} (ASI04)`,
      checks: [],
      notChecked: 'Warden does not yet verify plugins, packages or MCP servers (supply-chain checks are not built); an assessor judges it.',
    },
    {
      id: 'ASI05',
      token: 'asi05',
      title: 'Unexpected Code Execution',
      source: `${OWASP} (ASI05)`,
      checks: ['policy.destructive-gated', 'audit.decisions-match-policy'],
      notChecked: 'Whether code runs in a sandbox.',
    },
    {
      id: 'ASI06',
      token: 'asi06',
      title: 'Memory and Context Poisoning',
      source: `${OWASP} (ASI06)`,
      checks: [],
      notChecked: 'Memory and context integrity are outside what Warden checks today; an assessor judges it.',
    },
    {
      id: 'ASI07',
      token: 'asi07',
      title: 'Insecure Inter-Agent Communication',
      source: `${OWASP} (ASI07)`,
      checks: ['config.identity-required', 'audit.attributed'],
      notChecked: 'Whether messages between agents are signed and encrypted in transit.',
    },
    {
      id: 'ASI08',
      token: 'asi08',
      title: 'Cascading Failures',
      source: `${OWASP} (ASI08)`,
      checks: ['config.kill-switch'],
      notChecked: 'Circuit breakers and error budgets around tools.',
    },
    {
      id: 'ASI09',
      token: 'asi09',
      title: 'Human-Agent Trust Exploitation',
      source: `${OWASP} (ASI09)`,
      checks: ['policy.approvers-named', 'audit.approvals-recorded'],
      notChecked: 'Whether the people approving are shown enough to judge (the approval UI).',
    },
    {
      id: 'ASI10',
      token: 'asi10',
      title: 'Rogue Agents',
      source: `${OWASP} (ASI10)`,
      checks: ['config.kill-switch', 'audit.intact'],
      notChecked: 'Behavioural monitoring of agents over time.',
    },
  ],
};

/**
 * The EU AI Act's articles on logging, oversight and deployers.
 *
 * @example
 * ```ts
 * EU_AI_ACT.controls.find((c) => c.id === 'Art. 19')?.checks; // ['config.retention-six-months']
 * ```
 */
export const EU_AI_ACT: Catalog = {
  framework: 'eu-ai-act',
  title: 'EU Artificial Intelligence Act: record-keeping and human oversight',
  version: 'Regulation (EU) 2024/1689',
  source: AI_ACT,
  controls: [
    {
      id: 'Art. 12',
      token: 'art-12',
      title: 'Record-keeping: automatic recording of events (logs) over the lifetime of the system',
      source: `${AI_ACT}, Article 12`,
      checks: ['config.audit-enabled', 'config.audit-durable', 'audit.intact', 'audit.attributed'],
      notChecked: 'Whether the logged events suffice to identify risk situations for this system (the provider judges it).',
    },
    {
      id: 'Art. 14',
      token: 'art-14',
      title: 'Human oversight: natural persons can oversee, intervene and stop the system',
      source: `${AI_ACT}, Article 14`,
      checks: ['policy.approvers-named', 'audit.approvals-recorded', 'config.kill-switch'],
      notChecked: 'Whether the people assigned have the competence, training and authority (Art. 14(4), Art. 26(2)).',
    },
    {
      id: 'Art. 19',
      token: 'art-19',
      title: 'Automatically generated logs kept for at least six months (providers)',
      source: `${AI_ACT}, Article 19(1)`,
      checks: ['config.retention-six-months', 'config.audit-enabled'],
      notChecked: 'Whether the retention is actually enforced by the storage that holds the logs.',
    },
    {
      id: 'Art. 26(6)',
      token: 'art-26-6',
      title: 'Deployers keep the logs under their control for at least six months',
      source: `${AI_ACT}, Article 26(6)`,
      checks: ['config.retention-six-months', 'config.audit-enabled', 'audit.intact'],
      notChecked: 'Sectoral law that asks for longer retention.',
    },
    {
      id: 'Art. 26',
      token: 'art-26',
      title: 'Obligations of deployers: use per instructions, human oversight, monitoring',
      source: `${AI_ACT}, Article 26(1), (2), (5)`,
      checks: ['policy.default-deny', 'policy.approvers-named', 'audit.decisions-match-policy'],
      notChecked: 'Use according to the provider instructions, informing workers and affected persons, the fundamental rights impact assessment (Art. 27).',
    },
  ],
};

/**
 * HIPAA Security Rule technical safeguards (45 CFR 164.312).
 *
 * @example
 * ```ts
 * HIPAA_SECURITY.controls.map((c) => c.id); // ['164.312(a)(1)', '164.312(b)', '164.312(c)(1)', '164.312(d)']
 * ```
 */
export const HIPAA_SECURITY: Catalog = {
  framework: 'hipaa',
  title: 'HIPAA Security Rule: technical safeguards',
  version: '45 CFR 164.312',
  source: HIPAA,
  controls: [
    {
      id: '164.312(a)(1)',
      token: 'hipaa-164.312-a-1',
      title: 'Access control',
      source: `${HIPAA}, (a)(1)`,
      checks: ['policy.default-deny', 'config.identity-required'],
      notChecked: 'Unique user identification, emergency access and automatic logoff in the systems behind the tools; encryption at rest.',
    },
    {
      id: '164.312(b)',
      token: 'hipaa-164.312-b',
      title: 'Audit controls',
      source: `${HIPAA}, (b)`,
      checks: ['config.audit-enabled', 'config.audit-durable', 'audit.intact', 'audit.attributed'],
      notChecked: 'Whether the audit log is reviewed (the review procedure).',
    },
    {
      id: '164.312(c)(1)',
      token: 'hipaa-164.312-c-1',
      title: 'Integrity',
      source: `${HIPAA}, (c)(1)`,
      checks: ['config.audit-signed', 'audit.intact', 'config.redaction'],
      notChecked: 'Integrity of electronic protected health information in the systems the tools write to.',
    },
    {
      id: '164.312(d)',
      token: 'hipaa-164.312-d',
      title: 'Person or entity authentication',
      source: `${HIPAA}, (d)`,
      checks: ['config.identity-required', 'audit.attributed'],
      notChecked: 'How people who approve are authenticated by the approval channel.',
    },
  ],
};

/**
 * SOC 2 common criteria for logical access, operations and change management.
 *
 * @example
 * ```ts
 * SOC2_CC.controls.map((c) => c.id); // ['CC6', 'CC7', 'CC8']
 * ```
 */
export const SOC2_CC: Catalog = {
  framework: 'soc2',
  title: 'SOC 2 Trust Services Criteria: common criteria',
  version: '2017 TSC (revised points of focus, 2022)',
  source: SOC2,
  controls: [
    {
      id: 'CC6',
      token: 'cc6',
      title: 'Logical and Physical Access Controls',
      source: `${SOC2}, CC6.1-CC6.8`,
      checks: ['policy.default-deny', 'config.identity-required', 'policy.approvers-named'],
      notChecked: 'Physical access, provisioning and deprovisioning of people.',
    },
    {
      id: 'CC7',
      token: 'cc7',
      title: 'System Operations (detection and monitoring)',
      source: `${SOC2}, CC7.1-CC7.5`,
      checks: ['config.audit-enabled', 'audit.intact', 'audit.decisions-match-policy'],
      notChecked: 'Incident response procedures.',
    },
    {
      id: 'CC8',
      token: 'cc8',
      title: 'Change Management',
      source: `${SOC2}, CC8.1`,
      checks: ['replay.before-rollout', 'audit.attributed'],
      notChecked: 'Who authorised a policy change (the review and approval of the change itself).',
    },
  ],
};

/**
 * Every catalog, by framework id.
 *
 * @example
 * ```ts
 * CATALOGS['hipaa'].controls.length; // 4
 * ```
 */
export const CATALOGS: Readonly<Record<FrameworkId, Catalog>> = Object.freeze({ 'owasp-asi': OWASP_ASI, 'eu-ai-act': EU_AI_ACT, hipaa: HIPAA_SECURITY, soc2: SOC2_CC });

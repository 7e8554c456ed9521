/**
 * A compliance report as NIST OSCAL 1.1.2 assessment results (JSON): one result per framework,
 * one observation per check (its evidence cited in `relevant-evidence`), one finding per control
 * (target: the control, status satisfied or not). UUIDs are name-based (RFC 9562 version 5) over
 * the inputs' digests, so the same inputs give the same document apart from the timestamps.
 */
import { createHash } from 'node:crypto';
import { VERSION } from '../version.js';
import { CATALOGS } from './catalogs.js';
import { evidenceText } from './render.js';
import type { CheckResult, ComplianceReport } from './types.js';

/** The OSCAL version the output follows (and is validated against in the tests). */
export const OSCAL_VERSION = '1.1.2';

/** Warden's namespace for its own OSCAL properties. */
export const WARDEN_OSCAL_NS = 'https://github.com/agent-warden/agent-warden/ns/oscal';

/** The namespace of Warden's name-based UUIDs. */
const UUID_NAMESPACE = '6f1c7a52-9b1e-4c3d-8a55-3f6a8e2d9c10';

/**
 * A version-5 (SHA-1, name-based) UUID of `name` in Warden's namespace (RFC 9562, section 5.5).
 *
 * @example
 * ```ts
 * nameUuid('finding/owasp-asi/asi02'); // always the same UUID for the same name
 * ```
 */
export function nameUuid(name: string): string {
  const ns = Buffer.from(UUID_NAMESPACE.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** OSCAL strings may not start or end with whitespace, nor be empty. */
function text(s: string): string {
  const t = s.trim();
  return t === '' ? '-' : t;
}

/**
 * The report as an OSCAL assessment-results document (a plain object; `JSON.stringify` it).
 *
 * @example
 * ```ts
 * writeFileSync('report.oscal.json', JSON.stringify(reportOscal(report), null, 2));
 * ```
 */
export function reportOscal(report: ComplianceReport): { 'assessment-results': Record<string, unknown> } {
  const i = report.inputs;
  const seed = JSON.stringify([i.policy?.digest ?? null, i.config?.digest ?? null, i.audit ? [i.audit.stream, i.audit.records, i.audit.intact] : null, i.replayReports]);
  const uuid = (name: string): string => nameUuid(`${seed}/${name}`);
  const at = report.generatedAt;
  const observation = (framework: string, c: CheckResult): Record<string, unknown> => ({
    uuid: uuid(`observation/${framework}/${c.id}`),
    title: text(c.title),
    description: text(`${c.status === 'satisfied' ? 'Satisfied' : 'Not satisfied'}: ${c.reason}`),
    props: [
      { name: 'check', ns: WARDEN_OSCAL_NS, value: c.id },
      { name: 'result', ns: WARDEN_OSCAL_NS, value: c.status },
    ],
    methods: [c.id.startsWith('policy.') ? 'TEST' : 'EXAMINE'],
    collected: at,
    ...(c.evidence.length > 0 ? { 'relevant-evidence': c.evidence.map((e) => ({ description: text(evidenceText(e)) })) } : {}),
  });
  const results = report.frameworks.map((framework) => {
    const catalog = CATALOGS[framework];
    const findings = report.findings.filter((f) => f.framework === framework);
    const checks = new Map<string, CheckResult>();
    for (const f of findings) for (const c of f.checks) checks.set(c.id, c);
    const observations = [...checks.values()].map((c) => observation(framework, c));
    return {
      uuid: uuid(`result/${framework}`),
      title: text(`${catalog.title} (${catalog.version})`),
      description: text(`Controls of ${catalog.title} assessed by Warden from the policy, the configuration and the audit log. Source: ${catalog.source}`),
      start: at,
      end: at,
      'reviewed-controls': { 'control-selections': [{ 'include-controls': findings.map((f) => ({ 'control-id': f.control.token })) }] },
      ...(observations.length > 0 ? { observations } : {}),
      findings: findings.map((f) => ({
        uuid: uuid(`finding/${framework}/${f.control.token}`),
        title: text(`${f.control.id} ${f.control.title}`),
        description: text(`${f.reason} Not checked by Warden: ${f.control.notChecked}`),
        props: [
          { name: 'status', ns: WARDEN_OSCAL_NS, value: f.status },
          { name: 'control-source', ns: WARDEN_OSCAL_NS, value: text(f.control.source) },
        ],
        target: {
          type: 'objective-id',
          'target-id': f.control.token,
          status: { state: f.status === 'satisfied' ? 'satisfied' : 'not-satisfied', ...(f.status === 'manual' ? { remarks: 'Manual: an assessor judges this control; Warden has no evidence for it.' } : {}) },
        },
        ...(f.checks.length > 0 ? { 'related-observations': f.checks.map((c) => ({ 'observation-uuid': uuid(`observation/${framework}/${c.id}`) })) } : {}),
      })),
    };
  });
  return {
    'assessment-results': {
      uuid: uuid('assessment-results'),
      metadata: {
        title: 'Warden compliance report',
        'last-modified': at,
        version: VERSION,
        'oscal-version': OSCAL_VERSION,
        props: [{ name: 'generator', ns: WARDEN_OSCAL_NS, value: `agent-warden ${VERSION}` }],
      },
      'import-ap': { href: '#warden-built-in-assessment-plan', remarks: 'Warden assesses with its built-in checks (docs/compliance.md); there is no separate assessment plan document.' },
      results,
    },
  };
}

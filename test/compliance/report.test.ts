/**
 * Compliance reports from evidence: per check, a deployment that satisfies it and one that does
 * not; the tamper case; no evidence is never a pass; the report is deterministic; OSCAL output
 * validates against the OSCAL 1.1.2 schema.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CATALOGS } from '../../src/compliance/catalogs.js';
import { nameUuid, reportOscal } from '../../src/compliance/oscal.js';
import { reportHtml, reportMarkdown } from '../../src/compliance/render.js';
import { complianceReport } from '../../src/compliance/report.js';
import { FRAMEWORK_IDS, type CheckId, type ComplianceReport } from '../../src/compliance/types.js';
import { deployment, goodConfig, GOOD_POLICY, type Deployment } from './fixtures.js';

const NOW = new Date('2026-12-07T10:00:00Z');

async function reportOf(d: Deployment, extra: { replay?: boolean } = {}): Promise<ComplianceReport> {
  return complianceReport({ policy: [d.policy], audit: d.audit, config: d.config, ...(extra.replay === false ? {} : { replayReports: [d.replay] }), now: NOW });
}

function check(report: ComplianceReport, id: CheckId): { status: string; reason: string } {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return { status: c.status, reason: c.reason };
}

const good = await deployment();
const goodReport = await reportOf(good);

describe('a deployment with evidence for every check', () => {
  it('satisfies every check', () => {
    expect(goodReport.checks.filter((c) => c.status !== 'satisfied').map((c) => `${c.id}: ${c.reason}`)).toEqual(['config.kill-switch: killSwitch.store is sqlite:.warden/state.db, but this version of Warden cannot probe a kill-switch store, so there is no evidence it is reachable.']);
  });

  it('cites the audit records, with the signed checkpoint that covers them', () => {
    const intact = goodReport.checks.find((c) => c.id === 'audit.intact');
    expect(intact?.evidence[0]).toMatchObject({ kind: 'audit', stream: 'main', seq: expect.any(Number), hash: expect.stringMatching(/^sha256:/) });
    const match = goodReport.checks.find((c) => c.id === 'audit.decisions-match-policy');
    expect(match?.evidence.some((e) => e.kind === 'audit' && e.checkpoint !== null)).toBe(true);
  });

  it('marks the controls without checks manual, never satisfied', () => {
    for (const f of goodReport.findings.filter((x) => x.control.checks.length === 0)) expect(f.status).toBe('manual');
    expect(goodReport.findings.find((f) => f.control.id === 'ASI04')?.status).toBe('manual');
  });

  it('reports a control satisfied only when all its checks are', () => {
    for (const f of goodReport.findings) {
      if (f.status === 'manual') continue;
      expect(f.status).toBe(f.checks.every((c) => c.status === 'satisfied') ? 'satisfied' : 'not-satisfied');
    }
    expect(goodReport.findings.find((f) => f.control.id === 'Art. 12')?.status).toBe('satisfied');
    expect(goodReport.findings.find((f) => f.control.id === 'ASI08')?.status).toBe('not-satisfied');
  });
});

describe('each check fails without its evidence', () => {
  const cases: Array<{ id: CheckId; name: string; make: () => Promise<ComplianceReport>; reason: RegExp }> = [
    { id: 'policy.default-deny', name: 'a policy that defaults to allow', make: async () => reportOf(await deployment({ policy: GOOD_POLICY.replace('default: deny', 'default: allow') })), reason: /defaults to allow|allowed/ },
    {
      id: 'policy.destructive-gated',
      name: 'a shell rule that lets rm through',
      make: async () => reportOf(await deployment({ policy: GOOD_POLICY.replace("n in ['rm', 'dd', 'mkfs', 'curl', 'wget', 'sh', 'bash', 'nc']", "n in ['mkfs']") })),
      reason: /not stopped: run_command: rm -rf/,
    },
    {
      id: 'policy.destructive-gated',
      name: 'a policy with no shell or sql tool (no evidence)',
      make: async () => reportOf(await deployment({ policy: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - { name: r, tools: [read_file], effect: allow }\n' })),
      reason: /^No evidence/,
    },
    {
      id: 'policy.egress-restricted',
      name: 'a fetch tool allowed anywhere',
      make: async () => reportOf(await deployment({ policy: GOOD_POLICY.replace("urls.size() == 0 || urls.exists(u, !domainMatches(u.host, 'api.example.com'))", 'false') })),
      reason: /http_fetch: https:\/\/attacker\.example/,
    },
    { id: 'policy.approvers-named', name: 'an approval rule with no approvers', make: async () => reportOf(await deployment({ policy: GOOD_POLICY.replace('    approvers: [finance]\n', '') })), reason: /name no approvers: refunds/ },
    { id: 'config.audit-enabled', name: 'no audit path', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace(/ {2}path: .*\n/, '') })), reason: /audit.path is not set/ },
    { id: 'config.audit-durable', name: 'fsync never', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace('fsync: always', 'fsync: never') })), reason: /fsync is never/ },
    { id: 'config.audit-signed', name: 'no signing key', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace(/ {2}signingKey: .*\n/, '') })), reason: /not signed/ },
    { id: 'config.retention-six-months', name: 'retention of 30 days', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace('retentionDays: 200', 'retentionDays: 30') })), reason: /30, under six months/ },
    { id: 'config.retention-six-months', name: 'retention of 183 days (under the longest six months)', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace('retentionDays: 200', 'retentionDays: 183') })), reason: /183, under six months/ },
    { id: 'config.retention-six-months', name: 'retention not stated', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace(/ {2}retentionDays: .*\n/, '') })), reason: /^No evidence/ },
    { id: 'config.identity-required', name: 'identities not required', make: async () => reportOf(await deployment({ config: (d) => goodConfig(d).replace('required: true', 'required: false') })), reason: /not true/ },
    { id: 'audit.intact', name: 'checkpoints not signed', make: async () => reportOf(await deployment({ sign: false })), reason: /no signed checkpoint/ },
    { id: 'audit.attributed', name: 'decisions without a verified identity while identities are required', make: async () => reportOf(await deployment({ agent: { id: 'asserted-agent' } })), reason: /lack an identity verified/ },
    { id: 'audit.attributed', name: 'decisions with no identity at all', make: async () => reportOf(await deployment({ agent: null })), reason: /lack an identity/ },
    { id: 'audit.approvals-recorded', name: 'approvals that do not say who answered', make: async () => reportOf(await deployment({ approvalsBy: false })), reason: /do not record who answered/ },
    { id: 'replay.before-rollout', name: 'no replay report', make: async () => reportOf(await deployment(), { replay: false }), reason: /^No evidence/ },
  ];
  for (const c of cases) {
    it(`${c.id}: ${c.name}`, async () => {
      const r = check(await c.make(), c.id);
      expect(r.status).toBe('not-satisfied');
      expect(r.reason).toMatch(c.reason);
    });
  }

  it('decisions-match-policy: a recorded decision the policy no longer makes', async () => {
    const d = await deployment();
    // Same digest, other decisions: the log was written under a policy that allowed rm.
    const changed = await deployment({ policy: GOOD_POLICY.replace("'rm', ", '') });
    const r = await complianceReport({ policy: [d.policy], audit: changed.audit, config: changed.config, now: NOW });
    // The digests differ, so nothing is comparable: that is no evidence, never a pass.
    expect(check(r, 'audit.decisions-match-policy')).toMatchObject({ status: 'not-satisfied', reason: expect.stringMatching(/^No evidence/) });
  });

  it('a replay report of another policy is no evidence for this one', async () => {
    const d = await deployment();
    writeFileSync(d.replay, JSON.stringify({ candidate: { digest: `sha256:${'0'.repeat(64)}` }, decisions: 10, changed: 0 }));
    expect(check(await reportOf(d), 'replay.before-rollout').reason).toMatch(/no replay report covers the policy in force/);
  });

  it('no inputs at all: every check is not satisfied for lack of evidence, none is skipped', async () => {
    const r = await complianceReport({ now: NOW });
    expect(r.checks.length).toBe(16);
    expect(r.checks.every((c) => c.status === 'not-satisfied' && /No evidence/.test(c.reason))).toBe(true);
    expect(r.findings.filter((f) => f.status === 'satisfied')).toEqual([]);
  });
});

describe('a tampered audit log', () => {
  it('is reported, and every check that relied on it is not satisfied', async () => {
    const d = await deployment();
    const lines = readFileSync(d.audit, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace('"deny"', '"allow"');
    writeFileSync(d.audit, lines.join('\n'));
    const r = await reportOf(d);
    expect(r.inputs.audit?.intact).toBe(false);
    expect(check(r, 'audit.intact').reason).toMatch(/does not verify: seq 3/);
    for (const id of ['audit.attributed', 'audit.approvals-recorded', 'audit.decisions-match-policy', 'config.redaction'] as const) {
      expect(check(r, id)).toMatchObject({ status: 'not-satisfied', reason: expect.stringMatching(/does not verify/) });
    }
    expect(r.findings.find((f) => f.control.id === '164.312(b)')?.status).toBe('not-satisfied');
    expect(reportMarkdown(r)).toContain('DOES NOT VERIFY');
  });

  it('a record appended by hand breaks it too', async () => {
    const d = await deployment();
    appendFileSync(d.audit, '{"seq":999,"type":"decision"}\n');
    expect((await reportOf(d)).inputs.audit?.intact).toBe(false);
  });
});

describe('inputs that are wrong', () => {
  it('refuses an unknown configuration key, naming it', async () => {
    const d = await deployment({ config: (x) => `${goodConfig(x)}audit2: {}\n` });
    await expect(reportOf(d)).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_INPUT', message: expect.stringContaining('"audit2"') });
  });
  it('refuses a wrongly typed configuration value', async () => {
    const d = await deployment({ config: (x) => goodConfig(x).replace('retentionDays: 200', 'retentionDays: "forever"') });
    await expect(reportOf(d)).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_INPUT', message: expect.stringContaining('audit.retentionDays') });
  });
  it('refuses an unknown framework', async () => {
    await expect(complianceReport({ frameworks: ['iso27001' as never], now: NOW })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
  });
  it('refuses a replay report that is not JSON', async () => {
    const d = await deployment();
    writeFileSync(d.replay, 'not json');
    await expect(reportOf(d)).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_INPUT' });
  });
});

describe('catalogs', () => {
  it('list the official OWASP agentic titles, ASI01 to ASI10', () => {
    expect(CATALOGS['owasp-asi'].controls.map((c) => `${c.id} ${c.title}`)).toEqual([
      'ASI01 Agent Goal Hijack',
      'ASI02 Tool Misuse and Exploitation',
      'ASI03 Identity and Privilege Abuse',
      'ASI04 Agentic Supply Chain Vulnerabilities',
      'ASI05 Unexpected Code Execution',
      'ASI06 Memory and Context Poisoning',
      'ASI07 Insecure Inter-Agent Communication',
      'ASI08 Cascading Failures',
      'ASI09 Human-Agent Trust Exploitation',
      'ASI10 Rogue Agents',
    ]);
  });
  it('give every control a source, an OSCAL token and known checks', () => {
    const known = new Set(goodReport.checks.map((c) => c.id));
    for (const f of FRAMEWORK_IDS) {
      for (const c of CATALOGS[f].controls) {
        expect(c.token).toMatch(/^[A-Za-z_][A-Za-z0-9._-]*$/);
        expect(c.source.length).toBeGreaterThan(10);
        for (const id of c.checks) expect(known.has(id)).toBe(true);
      }
    }
  });
});

describe('report formats', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'oscal', 'oscal_assessment-results_schema-1.1.2.json'), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);

  it('OSCAL output validates against the OSCAL 1.1.2 assessment-results schema', () => {
    const doc = reportOscal(goodReport);
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema is not blind: a finding without a target fails it', () => {
    const doc = reportOscal(goodReport) as { 'assessment-results': { results: Array<{ findings: Array<Record<string, unknown>> }> } };
    delete doc['assessment-results'].results[0]?.findings[0]?.target;
    expect(validate(doc)).toBe(false);
  });

  it('OSCAL output cites evidence for each finding through its observations', () => {
    const ar = reportOscal(goodReport)['assessment-results'] as { results: Array<{ observations?: Array<{ uuid: string; 'relevant-evidence'?: unknown[] }>; findings: Array<{ 'related-observations'?: Array<{ 'observation-uuid': string }>; target: { status: { state: string } } }> }> };
    const result = ar.results[0];
    const ids = new Set(result?.observations?.map((o) => o.uuid));
    for (const f of result?.findings ?? []) for (const r of f['related-observations'] ?? []) expect(ids.has(r['observation-uuid'])).toBe(true);
  });

  it('is deterministic: the same inputs give byte-identical output in every format', async () => {
    const again = await reportOf(good);
    expect(JSON.stringify(reportOscal(again))).toBe(JSON.stringify(reportOscal(goodReport)));
    expect(reportMarkdown(again)).toBe(reportMarkdown(goodReport));
    expect(reportHtml(again)).toBe(reportHtml(goodReport));
    expect(JSON.stringify(again)).toBe(JSON.stringify(goodReport));
  });

  it('only the generation time differs with another time', async () => {
    const later = await complianceReport({ policy: [good.policy], audit: good.audit, config: good.config, replayReports: [good.replay], now: new Date('2027-01-01T00:00:00Z') });
    expect(JSON.stringify(reportOscal(later)).replaceAll('2027-01-01T00:00:00.000Z', NOW.toISOString())).toBe(JSON.stringify(reportOscal(goodReport)));
  });

  it('makes version-5 UUIDs (RFC 9562) that OSCAL accepts', () => {
    expect(nameUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameUuid('x')).toBe(nameUuid('x'));
    expect(nameUuid('x')).not.toBe(nameUuid('y'));
  });

  it('Markdown lists each framework with its control table', () => {
    const md = reportMarkdown(goodReport);
    for (const f of FRAMEWORK_IDS) expect(md).toContain(CATALOGS[f].title);
    expect(md).toContain('| ASI02 | Tool Misuse and Exploitation | satisfied |');
  });

  it('HTML escapes what it shows', async () => {
    const d = await deployment({ config: (x) => goodConfig(x).replace('store: sqlite:.warden/state.db', 'store: "<script>alert(1)</script>"') });
    const html = reportHtml(await reportOf(d));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

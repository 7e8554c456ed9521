/**
 * Building a compliance report: read the inputs, run every check once, and map the checks to each
 * framework's controls. The same inputs give the same report (apart from `generatedAt`, which the
 * caller passes in).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import type { KeyInput } from '../audit/keys.js';
import { loadPublicKey } from '../audit/keys.js';
import { readPolicySources, withLanguageEngines } from '../enforce/load-files.js';
import { fsRealpathResolver } from '../enforce/realpath-resolver.js';
import { argumentDetector } from '../detect/arguments.js';
import { lazyModule } from '../lib/lazy-module.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { PolicyPlan } from '../policy/plan.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { auditChecks } from './audit-checks.js';
import { CATALOGS } from './catalogs.js';
import { configChecks, parseDeploymentConfig, type DeploymentConfig } from './config.js';
import { policyChecks } from './policy-checks.js';
import { FRAMEWORK_IDS, type CheckId, type CheckResult, type ComplianceReport, type ControlFinding, type FrameworkId } from './types.js';

// The compiler loads with the first report (src/lib/lazy-module.ts).
const compiler = lazyModule<typeof import('../policy/compile.js')>('policy/compile');

/**
 * What a report is built from.
 *
 * @example
 * ```ts
 * const input: ComplianceInput = { frameworks: ['eu-ai-act'], policy: ['policy.yaml'], audit: '.warden/audit/main.jsonl', config: 'warden.config.yaml', now: new Date() };
 * ```
 */
export interface ComplianceInput {
  /** Frameworks to report on; default all. */
  frameworks?: readonly FrameworkId[];
  /** Policy files or directories. */
  policy?: readonly string[];
  /** The audit log (a stream's active file or its directory). */
  audit?: string;
  /** The deployment configuration file (YAML or JSON). */
  config?: string;
  /** Reports of `warden replay --json` run before rollouts. */
  replayReports?: readonly string[];
  /** The public key that verifies checkpoint signatures (default: the config's audit.publicKey). */
  publicKey?: KeyInput;
  /** The report's generation time (injected: nothing else in a report depends on the clock). */
  now: Date;
}

const ALL_KEYS = ['frameworks', 'policy', 'audit', 'config', 'replayReports', 'publicKey', 'now'];

async function digestOfFile(file: string): Promise<string> {
  return `sha256:${createHash('sha256')
    .update(await readFile(file))
    .digest('hex')}`;
}

async function replayCheck(set: PolicySet | null, files: readonly string[]): Promise<CheckResult> {
  const id: CheckId = 'replay.before-rollout';
  const title = 'Policy changes were replayed against recorded traffic before rollout';
  if (files.length === 0) return { id, title, status: 'not-satisfied', reason: 'No evidence: no replay report was given (--replay-report, the JSON of warden replay --json).', evidence: [] };
  if (set === null) return { id, title, status: 'not-satisfied', reason: 'No evidence: no policy was given, so the reports cannot be matched to the policy in force.', evidence: [] };
  const evidence: CheckResult['evidence'] = [];
  let matched = false;
  for (const file of files) {
    let report: { candidate?: { digest?: unknown }; decisions?: unknown; changed?: unknown };
    try {
      report = JSON.parse(await readFile(file, 'utf8')) as typeof report;
    } catch (e) {
      throw new WardenError('ERR_COMPLIANCE_INPUT', `The replay report ${file} could not be read as JSON: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
    }
    const digest = typeof report.candidate?.digest === 'string' ? report.candidate.digest : null;
    const decisions = typeof report.decisions === 'number' ? report.decisions : 0;
    evidence.push({ kind: 'file', file, digest: await digestOfFile(file), note: `replay of candidate ${digest ?? '?'} over ${decisions} decisions, ${String(report.changed ?? '?')} changed` });
    if (digest === set.digest && decisions > 0) matched = true;
  }
  return matched
    ? { id, title, status: 'satisfied', reason: `a replay report covers the policy in force (${set.digest})`, evidence }
    : { id, title, status: 'not-satisfied', reason: `no replay report covers the policy in force (${set.digest}) with recorded decisions`, evidence };
}

/**
 * Builds the report: every check once, each framework's controls mapped onto them.
 *
 * @example
 * ```ts
 * const report = await complianceReport({ policy: ['policy.yaml'], audit: '.warden/audit/main.jsonl', config: 'warden.config.yaml', now: new Date() });
 * for (const f of report.findings) console.log(f.framework, f.control.id, f.status);
 * ```
 * @throws WardenError `ERR_COMPLIANCE_INPUT` for an unreadable input, `ERR_OPTIONS` for an unknown
 *   framework or option; PolicyLoadError when the policy does not load.
 */
export async function complianceReport(input: ComplianceInput): Promise<ComplianceReport> {
  rejectUnknownKeys(input, ALL_KEYS, 'ERR_OPTIONS', 'compliance report input');
  if (!(input.now instanceof Date) || Number.isNaN(input.now.getTime())) throw new WardenError('ERR_OPTIONS', 'complianceReport needs `now`, the report time (a valid Date).');
  const frameworks = [...(input.frameworks ?? FRAMEWORK_IDS)];
  for (const f of frameworks) if (!FRAMEWORK_IDS.includes(f)) throw new WardenError('ERR_OPTIONS', `Unknown framework "${String(f)}"; use ${FRAMEWORK_IDS.join(', ')}.`);
  // Policy: compiled with its plan (facet bindings and tool names feed the probes).
  let set: PolicySet | null = null;
  let plan: PolicyPlan | null = null;
  if (input.policy !== undefined && input.policy.length > 0) {
    const { sources, backends } = await withLanguageEngines(await readPolicySources(input.policy), null);
    ({ set, plan } = compiler().compilePolicyPlan(sources, [], { resolver: fsRealpathResolver, detector: argumentDetector, ...(backends !== undefined ? { backends } : {}) }));
  }
  // Configuration.
  let config: DeploymentConfig | null = null;
  let configDigest: string | null = null;
  if (input.config !== undefined) {
    let text: string;
    try {
      text = await readFile(input.config, 'utf8');
    } catch (e) {
      throw new WardenError('ERR_COMPLIANCE_INPUT', `Cannot read the configuration ${input.config}: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
    }
    config = parseDeploymentConfig(text, input.config);
    configDigest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
  }
  const publicKey = input.publicKey ?? (config?.audit?.publicKey !== undefined ? await loadPublicKey(config.audit.publicKey) : undefined);
  const audit = await auditChecks(input.audit ?? null, { set, publicKey, identityRequired: config?.identity?.required === true });
  const checks: CheckResult[] = [
    ...(set && plan ? policyChecks(set, plan) : noPolicy()),
    ...configChecks(config, input.config ?? null),
    ...audit.results,
    await replayCheck(set, input.replayReports ?? []),
  ];
  const byId = new Map(checks.map((c) => [c.id, c]));
  const findings: ControlFinding[] = [];
  for (const framework of frameworks) {
    for (const control of CATALOGS[framework].controls) {
      if (control.checks.length === 0) {
        findings.push({ framework, control, status: 'manual', reason: `Warden has no evidence for this control; an assessor judges it. ${control.notChecked}`, checks: [] });
        continue;
      }
      const results = control.checks.map((id) => byId.get(id) as CheckResult);
      const failing = results.filter((r) => r.status !== 'satisfied');
      findings.push({
        framework,
        control,
        status: failing.length === 0 ? 'satisfied' : 'not-satisfied',
        reason: failing.length === 0 ? `All ${results.length} checks have positive evidence.` : failing.map((r) => `${r.title}: ${/[.!?)]$/.test(r.reason) ? r.reason : `${r.reason}.`}`).join(' '),
        checks: results,
      });
    }
  }
  const v = audit.verify;
  return {
    generatedAt: input.now.toISOString(),
    frameworks,
    inputs: {
      policy: set && input.policy ? { paths: [...input.policy], digest: set.digest } : null,
      config: input.config !== undefined && configDigest !== null ? { file: input.config, digest: configDigest } : null,
      audit: input.audit !== undefined && v !== null ? { path: input.audit, stream: v.stream, records: v.records, intact: v.ok, firstBad: v.firstBad ? `seq ${v.firstBad.seq}: ${v.firstBad.reason}` : null } : null,
      replayReports: [...(input.replayReports ?? [])],
    },
    checks,
    findings,
  };
}

function noPolicy(): CheckResult[] {
  const why = 'No evidence: no policy was given (--policy).';
  return [
    { id: 'policy.default-deny', title: 'Unlisted actions are denied', status: 'not-satisfied', reason: why, evidence: [] },
    { id: 'policy.destructive-gated', title: 'Destructive actions are denied or need approval', status: 'not-satisfied', reason: why, evidence: [] },
    { id: 'policy.egress-restricted', title: 'Sending data to unknown hosts is denied or needs approval', status: 'not-satisfied', reason: why, evidence: [] },
    { id: 'policy.approvers-named', title: 'Approvals name who approves', status: 'not-satisfied', reason: why, evidence: [] },
  ];
}

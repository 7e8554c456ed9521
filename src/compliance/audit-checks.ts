/**
 * Checks over the real audit log: it verifies (hash chain and signed checkpoints), its decisions
 * are attributed, approvals were bound and say who answered, recorded decisions are what the
 * policy in force decides, and secrets were redacted. A log that fails verification makes every
 * check that read it `not-satisfied`: evidence from a broken log is no evidence.
 */
import { listAuditFiles } from '../audit/files.js';
import type { KeyInput } from '../audit/keys.js';
import { queryAuditLog } from '../audit/query.js';
import type { AuditDecisionRecord } from '../audit/record.js';
import { verifyAuditLog, type VerifyResult } from '../audit/verify.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { CheckResult, EvidenceRef } from './types.js';

/** Decision records read for the record-level checks (the whole log is verified regardless). */
export const AUDIT_SAMPLE = 100_000;

/**
 * What the audit checks found, with the verification result the other checks depend on.
 *
 * @example
 * ```ts
 * const { results, verify } = await auditChecks('.warden/audit/main.jsonl', { set, publicKey, identityRequired: true });
 * ```
 */
export interface AuditCheckResults {
  results: CheckResult[];
  verify: VerifyResult | null;
}

function recordRef(r: AuditDecisionRecord, checkpoint: VerifyResult['lastCheckpoint'], note: string): EvidenceRef {
  const covered = checkpoint !== null && checkpoint.seq >= r.seq ? checkpoint : null;
  return { kind: 'audit', stream: r.stream, seq: r.seq, hash: r.hash, checkpoint: covered, note };
}

/**
 * Runs the audit checks over the log at `path` (a stream's active file, or its directory).
 *
 * @example
 * ```ts
 * const { results } = await auditChecks('.warden/audit/', { set: null, publicKey: undefined, identityRequired: false });
 * ```
 */
export async function auditChecks(path: string | null, options: { set: PolicySet | null; publicKey: KeyInput | undefined; identityRequired: boolean }): Promise<AuditCheckResults> {
  const titles = {
    intact: 'The audit log verifies (hash chain, signed checkpoints)',
    attributed: 'Each decision names its identity and policy version',
    approvals: 'Approvals were bound to the call and say who answered',
    match: 'Recorded decisions are what the policy in force decides',
    redaction: 'Secrets are redacted from records',
  };
  const none = (id: CheckResult['id'], title: string, why: string): CheckResult => ({ id, title, status: 'not-satisfied', reason: `No evidence: ${why}`, evidence: [] });
  if (path === null) {
    const why = 'no audit log was given (--audit).';
    return {
      verify: null,
      results: [
        none('audit.intact', titles.intact, why),
        none('audit.attributed', titles.attributed, why),
        none('audit.approvals-recorded', titles.approvals, why),
        none('audit.decisions-match-policy', titles.match, why),
        none('config.redaction', titles.redaction, why),
      ],
    };
  }
  const files = await listAuditFiles(path);
  const verify = await verifyAuditLog(files, options.publicKey === undefined ? {} : { publicKey: options.publicKey });
  const head = verify.head;
  const cp = verify.lastCheckpoint;
  const results: CheckResult[] = [];
  const headRef: EvidenceRef[] = head ? [{ kind: 'audit', stream: verify.stream ?? '', seq: head.seq, hash: head.hash, checkpoint: cp, note: 'the verified head' }] : [];
  if (!verify.ok) {
    const bad = verify.firstBad;
    results.push({ id: 'audit.intact', title: titles.intact, status: 'not-satisfied', reason: `the log does not verify: ${bad ? `seq ${bad.seq} in ${bad.file}:${bad.line}: ${bad.reason} (${bad.message})` : 'unknown problem'}`, evidence: headRef });
  } else if (verify.decisions === 0) {
    results.push({ id: 'audit.intact', title: titles.intact, status: 'not-satisfied', reason: 'No evidence: the log holds no decision.', evidence: [] });
  } else if (options.publicKey === undefined || verify.signaturesChecked === 0) {
    results.push({
      id: 'audit.intact',
      title: titles.intact,
      status: 'not-satisfied',
      reason: options.publicKey === undefined ? `the hash chain of ${verify.records} records verifies, but no public key was given (audit.publicKey), so no checkpoint signature was checked and the whole log could have been rewritten` : 'the hash chain verifies, but the log holds no signed checkpoint',
      evidence: headRef,
    });
  } else {
    results.push({ id: 'audit.intact', title: titles.intact, status: 'satisfied', reason: `${verify.records} records verify; ${verify.signaturesChecked} checkpoint signatures checked`, evidence: headRef });
  }

  // Record-level checks read the records; a broken log makes them all unsupported.
  if (!verify.ok) {
    const why = `they rely on the audit log, which does not verify (first problem at seq ${verify.firstBad?.seq ?? '?'}).`;
    results.push(none('audit.attributed', titles.attributed, why), none('audit.approvals-recorded', titles.approvals, why), none('audit.decisions-match-policy', titles.match, why), none('config.redaction', titles.redaction, why));
    for (const r of results.slice(1)) r.reason = r.reason.replace('No evidence: ', 'Not supported: ');
    return { results, verify };
  }
  const decisions: AuditDecisionRecord[] = [];
  for await (const r of queryAuditLog(files)) {
    decisions.push(r);
    if (decisions.length >= AUDIT_SAMPLE) break;
  }
  // Attribution: identity (verified when required) and policy version on every decision.
  const unattributed = decisions.filter((r) => !r.agent?.id || !/^sha256:[0-9a-f]{64}$/.test(r.policyDigest) || (options.identityRequired && r.agent.verified === undefined));
  if (decisions.length === 0) results.push(none('audit.attributed', titles.attributed, 'the log holds no decision.'));
  else if (unattributed.length > 0) {
    results.push({
      id: 'audit.attributed',
      title: titles.attributed,
      status: 'not-satisfied',
      reason: `${unattributed.length} of ${decisions.length} decisions lack an identity${options.identityRequired ? ' verified by the identify stage' : ''} or a policy digest`,
      evidence: unattributed.slice(0, 5).map((r) => recordRef(r, cp, `agent ${r.agent?.id ? JSON.stringify(r.agent.id) : 'none'}${r.agent?.verified ? ' (verified)' : ''}`)),
    });
  } else {
    results.push({ id: 'audit.attributed', title: titles.attributed, status: 'satisfied', reason: `all ${decisions.length} decisions name an identity${options.identityRequired ? ' (verified)' : ''} and the policy digest`, evidence: decisions.slice(-1).map((r) => recordRef(r, cp, `agent ${r.agent?.id ?? ''}, ${r.policyDigest}`)) });
  }
  // Approvals: bound to the request digest and naming who answered.
  const asked = decisions.filter((r) => r.decision.effect === 'require_approval');
  const unbound = asked.filter((r) => !r.outcome?.approval || !/^sha256:/.test(r.outcome.approval.requestDigest));
  const anonymous = asked.filter((r) => r.outcome?.approval && typeof (r.outcome.approval as { by?: unknown }).by !== 'string');
  if (asked.length === 0) results.push(none('audit.approvals-recorded', titles.approvals, 'the log holds no decision that required approval.'));
  else if (unbound.length > 0 || anonymous.length > 0) {
    results.push({
      id: 'audit.approvals-recorded',
      title: titles.approvals,
      status: 'not-satisfied',
      reason: [unbound.length > 0 ? `${unbound.length} of ${asked.length} approvals carry no answer bound to the request digest` : '', anonymous.length > 0 ? `${anonymous.length} of ${asked.length} approvals do not record who answered` : ''].filter((s) => s !== '').join('; '),
      evidence: [...unbound, ...anonymous].slice(0, 5).map((r) => recordRef(r, cp, `approval ${r.outcome?.approval ? `approved=${String(r.outcome.approval.approved)}` : 'missing'}`)),
    });
  } else {
    results.push({ id: 'audit.approvals-recorded', title: titles.approvals, status: 'satisfied', reason: `all ${asked.length} approvals are bound to their request digest and name who answered`, evidence: asked.slice(0, 5).map((r) => recordRef(r, cp, `approved=${String(r.outcome?.approval?.approved)}`)) });
  }
  // Re-deciding: the recorded decisions under the policy in force, where they can be compared.
  const set = options.set;
  if (set === null) results.push(none('audit.decisions-match-policy', titles.match, 'no policy was given (--policy), so recorded decisions could not be re-decided.'));
  else {
    // Decisions an enforcement point or runtime made outside the policy (policy `warden:...`: an MCP pin, an
    // open circuit breaker, an exhausted error budget) are not the policy's to re-decide.
    const comparable = decisions.filter((r) => r.policyDigest === set.digest && r.redactions.length === 0 && !r.decision.errors.some((e) => e.code === 'invalid_request') && !(r.decision.policy ?? '').startsWith('warden:'));
    const differ = comparable.filter((r) => set.decide({ tool: r.request.tool, args: r.request.args, ...(r.agent ? { agent: r.agent } : {}), context: r.request.context ?? {} }, { now: new Date(r.ts) }).effect !== r.decision.effect);
    if (comparable.length === 0) results.push(none('audit.decisions-match-policy', titles.match, `no recorded decision was made under this policy (${set.digest}) with arguments intact.`));
    else if (differ.length > 0) {
      results.push({ id: 'audit.decisions-match-policy', title: titles.match, status: 'not-satisfied', reason: `${differ.length} of ${comparable.length} recorded decisions differ from what the policy decides now`, evidence: differ.slice(0, 5).map((r) => recordRef(r, cp, `recorded ${r.decision.effect}`)) });
    } else {
      const denials = comparable.filter((r) => r.decision.effect === 'deny').length;
      results.push({ id: 'audit.decisions-match-policy', title: titles.match, status: 'satisfied', reason: `${comparable.length} recorded decisions (${denials} denials) re-decided identically under ${set.digest}`, evidence: comparable.filter((r) => r.decision.effect === 'deny').slice(0, 5).map((r) => recordRef(r, cp, `deny by ${r.decision.rule ?? 'default'}`)) });
    }
  }
  // Redaction: every decision record carries the redaction list the file sink's redactor writes.
  const unredacted = decisions.filter((r) => !Array.isArray(r.redactions));
  if (decisions.length === 0) results.push(none('config.redaction', titles.redaction, 'the log holds no decision.'));
  else if (unredacted.length > 0) results.push({ id: 'config.redaction', title: titles.redaction, status: 'not-satisfied', reason: `${unredacted.length} decisions were not written through the redactor`, evidence: unredacted.slice(0, 5).map((r) => recordRef(r, cp, 'no redactions list')) });
  else {
    const found = decisions.reduce((n, r) => n + r.redactions.length, 0);
    results.push({ id: 'config.redaction', title: titles.redaction, status: 'satisfied', reason: `all ${decisions.length} decisions went through the redactor (${found} spans redacted)`, evidence: decisions.filter((r) => r.redactions.length > 0).slice(0, 3).map((r) => recordRef(r, cp, r.redactions.map((n) => `${n.path}: ${n.kind}`).join(', '))) });
  }
  return { results, verify };
}

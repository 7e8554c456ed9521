/**
 * Trajectories from Warden audit streams: a training run's stream (what governedEnvironment
 * recorded) or production traffic. Calls are grouped into trajectories by episode
 * (`context.training.episode`, else `context.session`), kept in stream order, and joined with
 * their outcome records by call id. Reading is not verifying (`warden audit verify` proves a
 * stream intact); a line that is not a record is an error naming it.
 */
import type { AuditDecisionRecord, AuditOutcomeRecord } from '../audit/record.js';
import { WardenError } from '../errors.js';
import { readReplayRecords } from '../replay/read-log.js';
import type { CallOutcome, Trajectory, TrajectoryCall } from './trajectory.js';

/**
 * What {@link trajectoriesFromAudit} read.
 *
 * @example
 * ```ts
 * const { trajectories, unsessioned } = await trajectoriesFromAudit(['.warden/audit/training-run-7.jsonl']);
 * ```
 */
export interface AuditTrajectories {
  trajectories: Trajectory[];
  /** Decision records with neither an episode nor a session: they belong to no trajectory. */
  unsessioned: number;
}

/**
 * Reads trajectories from audit files (in chain order; see `listAuditFiles`).
 *
 * @example
 * ```ts
 * const { trajectories } = await trajectoriesFromAudit(await listAuditFiles('.warden/audit/training-run-7.jsonl'));
 * for (const t of trajectories) console.log(t.id, t.checkpoint, t.calls.length);
 * ```
 * @throws WardenError `ERR_TRAINING_INPUT` for a line that is not a record, `ERR_AUDIT_NOT_FOUND` for a file that cannot be read.
 */
export async function trajectoriesFromAudit(files: readonly string[]): Promise<AuditTrajectories> {
  const byId = new Map<string, Trajectory>();
  const byCall = new Map<string, TrajectoryCall>();
  let unsessioned = 0;
  for await (const item of readReplayRecords(files)) {
    if (item.type === 'malformed') throw new WardenError('ERR_TRAINING_INPUT', `${item.file}:${item.line}: ${item.message}.`);
    if (item.type === 'decision') {
      const record = item as unknown as AuditDecisionRecord;
      const context = record.request.context ?? {};
      const training = plain(context.training);
      const id = str(training?.episode) ?? str(context.session);
      if (id === null) {
        unsessioned++;
        continue;
      }
      const checkpoint = str(training?.checkpoint);
      let t = byId.get(id);
      if (t === undefined) byId.set(id, (t = { id, checkpoint, calls: [] }));
      else if (t.checkpoint !== checkpoint) {
        throw new WardenError('ERR_TRAINING_INPUT', `seq ${String(record.seq)} of the audit stream: episode ${JSON.stringify(id)} was recorded under checkpoint ${JSON.stringify(t.checkpoint)} before and ${JSON.stringify(checkpoint)} here; give each episode its own id.`);
      }
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(context)) if (k !== 'session') rest[k] = v;
      const call: TrajectoryCall = { step: t.calls.length, ts: record.ts, tool: record.request.tool, args: record.request.args, decision: { effect: record.decision.effect, rule: record.decision.rule, policy: record.decision.policy, reason: record.decision.reason } };
      if (Object.keys(rest).length > 0) call.context = rest;
      if (record.agent !== null) call.agent = agentOf(record.agent);
      if (record.outcome?.executed === false) call.outcome = { status: 'denied' };
      t.calls.push(call);
      if (typeof record.call === 'string') byCall.set(record.call, call);
    } else if (item.type === 'outcome') {
      const record = item as unknown as AuditOutcomeRecord;
      const call = byCall.get(record.call);
      if (call === undefined) continue;
      // A shadow-mode call was denied (executed: false) yet ran in the sandbox: its outcome says what it did.
      const o: CallOutcome = { status: record.outcome.status === 'ok' ? 'ok' : 'error' };
      if (record.outcome.result !== undefined) o.result = record.outcome.result;
      if (record.outcome.error !== undefined) o.error = record.outcome.error.message;
      call.outcome = o;
    }
  }
  return { trajectories: [...byId.values()], unsessioned };
}

function agentOf(a: NonNullable<AuditDecisionRecord['agent']>): NonNullable<TrajectoryCall['agent']> {
  const out: NonNullable<TrajectoryCall['agent']> = { id: a.id };
  if (a.roles !== undefined) out.roles = a.roles;
  if (a.labels !== undefined) out.labels = a.labels;
  return out;
}

function plain(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : null;
}

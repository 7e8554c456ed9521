/**
 * Rewards from policy: a trajectory scored by the same PolicySet production enforces. Each call is
 * re-decided in order (session labels and limits carried across calls, time from the trajectory),
 * and every deny, approval, budget refusal and flow denial becomes an itemized penalty. Pure and
 * deterministic: the same trajectory, policy and shaping give the same reward and the same items.
 */
import type { PolicySet } from '../policy/policy-set.js';
import { WardenError } from '../errors.js';
import { replayTrajectory } from './session-replay.js';
import type { Trajectory } from './trajectory.js';

/**
 * How bad a rule's violation is, least to most.
 *
 * @example
 * ```ts
 * SEVERITIES.indexOf('critical') > SEVERITIES.indexOf('high'); // true
 * ```
 */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/**
 * A severity: one of {@link SEVERITIES}.
 *
 * @example
 * ```ts
 * const s: Severity = 'critical';
 * ```
 */
export type Severity = (typeof SEVERITIES)[number];

/**
 * How policy outcomes become penalties. Every number is finite and 0 or more; unknown keys are
 * refused (`checkShaping`).
 *
 * @example
 * ```ts
 * const shaping: RewardShaping = { severities: { 'guard/no-secrets': 'critical' }, approval: 0.05, terminateOn: 'critical' };
 * ```
 */
export interface RewardShaping {
  /** Severity per rule, keyed `policy/rule` (or `rule` alone, or a limit's name); a deny by the default is keyed `policy/(default)`. */
  severities?: Record<string, Severity>;
  /** Severity of a rule not listed; default `high`. */
  defaultSeverity?: Severity;
  /** Penalty per deny, by the rule's severity; defaults low 0.1, medium 0.25, high 0.5, critical 1. */
  deny?: Partial<Record<Severity, number>>;
  /** Penalty per call that required approval; default 0.1. */
  approval?: number;
  /** Penalty per call a limit or budget refused; default 0.25. */
  budget?: number;
  /** Penalty per call denied because of what the session did before (a flow rule); default 0.5. */
  flow?: number;
  /** End the episode's scoring at the first violation of this severity or above; default none. */
  terminateOn?: Severity | null;
  /** Penalty added when scoring is terminated; default 1. */
  terminationPenalty?: number;
}

/**
 * A checked, complete {@link RewardShaping}.
 *
 * @example
 * ```ts
 * const s: CheckedShaping = checkShaping({});
 * s.deny.critical; // 1
 * ```
 */
export interface CheckedShaping {
  readonly severities: ReadonlyMap<string, Severity>;
  readonly defaultSeverity: Severity;
  readonly deny: Readonly<Record<Severity, number>>;
  readonly approval: number;
  readonly budget: number;
  readonly flow: number;
  readonly terminateOn: Severity | null;
  readonly terminationPenalty: number;
}

/**
 * One penalty, with what caused it.
 *
 * @example
 * ```ts
 * const item: RewardItem = { kind: 'flow', index: 2, step: 2, tool: 'upload', rule: 'guard/no-egress-after-secret', severity: 'critical', penalty: 0.5, reason: 'secrets stay home' };
 * ```
 */
export interface RewardItem {
  /** `deny`: the call alone is denied; `flow`: denied only because of earlier calls; `approval`; `budget`: a limit refused it. */
  kind: 'deny' | 'flow' | 'approval' | 'budget';
  /** Position of the call in the trajectory (0-based). */
  index: number;
  step: number;
  tool: string;
  /** `policy/rule` (`policy/(default)` for a default deny, `policy/limit` for a limit). */
  rule: string;
  severity: Severity;
  penalty: number;
  reason: string;
}

/**
 * The score of one trajectory.
 *
 * @example
 * ```ts
 * const r: RewardResult = policyReward(trajectory, policySet);
 * console.log(r.reward, r.items.map((i) => `${i.kind} ${i.rule} @${i.index}`));
 * ```
 */
export interface RewardResult {
  trajectory: string;
  checkpoint: string | null;
  /** `task - penalty`. */
  reward: number;
  /** The sum of the calls' own rewards (up to the termination, when there is one). */
  task: number;
  /** The sum of the items' penalties (and the termination penalty). */
  penalty: number;
  /** Where scoring stopped on a violation of the `terminateOn` severity, or null. */
  terminated: { index: number; step: number; rule: string; penalty: number } | null;
  items: RewardItem[];
  /** `sha256:` digest of the policy that scored it. */
  policyDigest: string;
}

const DEFAULT_DENY: Record<Severity, number> = { low: 0.1, medium: 0.25, high: 0.5, critical: 1 };
const SHAPING_KEYS = ['severities', 'defaultSeverity', 'deny', 'approval', 'budget', 'flow', 'terminateOn', 'terminationPenalty'];

/**
 * Checks shaping (a JavaScript object, or one read from JSON or YAML) and fills in the defaults.
 *
 * @example
 * ```ts
 * checkShaping({ approval: Number.NaN }); // throws ERR_TRAINING_INPUT: shaping `approval` must be a finite number 0 or more
 * ```
 * @throws WardenError `ERR_TRAINING_INPUT` naming the member that is wrong.
 */
export function checkShaping(shaping: RewardShaping | CheckedShaping = {}): CheckedShaping {
  if (isChecked(shaping)) return shaping;
  if (shaping === null || typeof shaping !== 'object' || Array.isArray(shaping)) throw bad('shaping must be an object');
  for (const key of Object.keys(shaping)) if (!SHAPING_KEYS.includes(key)) throw bad(`unknown shaping key ${JSON.stringify(key)}; the keys are ${SHAPING_KEYS.join(', ')}`);
  const s = shaping as RewardShaping;
  const severities = new Map<string, Severity>();
  if (s.severities !== undefined) {
    if (s.severities === null || typeof s.severities !== 'object' || Array.isArray(s.severities)) throw bad('shaping `severities` must map rule ids to severities');
    for (const [rule, sev] of Object.entries(s.severities)) severities.set(rule, severity(sev, `severities[${JSON.stringify(rule)}]`));
  }
  const deny: Record<Severity, number> = { ...DEFAULT_DENY };
  if (s.deny !== undefined) {
    if (s.deny === null || typeof s.deny !== 'object' || Array.isArray(s.deny)) throw bad('shaping `deny` must map severities to penalties');
    for (const [k, v] of Object.entries(s.deny)) deny[severity(k, 'a key of `deny`')] = amount(v, `deny.${k}`);
  }
  const checked: CheckedShaping & { [CHECKED]: true } = {
    severities,
    defaultSeverity: s.defaultSeverity === undefined ? 'high' : severity(s.defaultSeverity, 'defaultSeverity'),
    deny: Object.freeze(deny),
    approval: s.approval === undefined ? 0.1 : amount(s.approval, 'approval'),
    budget: s.budget === undefined ? 0.25 : amount(s.budget, 'budget'),
    flow: s.flow === undefined ? 0.5 : amount(s.flow, 'flow'),
    terminateOn: s.terminateOn === undefined || s.terminateOn === null ? null : severity(s.terminateOn, 'terminateOn'),
    terminationPenalty: s.terminationPenalty === undefined ? 1 : amount(s.terminationPenalty, 'terminationPenalty'),
    [CHECKED]: true,
  };
  return Object.freeze(checked);
}

const CHECKED = Symbol('checked shaping');

function isChecked(s: unknown): s is CheckedShaping {
  return s !== null && typeof s === 'object' && (s as Record<symbol, unknown>)[CHECKED] === true;
}

/**
 * Scores a trajectory under a PolicySet (the one production enforces). Each call is re-decided in
 * order with its own time and the session the earlier calls built; a call that is denied, needs
 * approval, is refused by a limit, or is denied only because of earlier calls (a flow rule) adds
 * a penalty item. With `terminateOn`, scoring stops at the first violation of that severity.
 *
 * @example
 * ```ts
 * const r = policyReward({ id: 'ep-1', checkpoint: null, calls }, policySet, { terminateOn: 'critical' });
 * r.items[0]; // { kind: 'deny', index: 1, step: 1, tool: 'rm', rule: 'p/no-rm', severity: 'high', penalty: 0.5, reason: '...' }
 * ```
 * @throws WardenError `ERR_TRAINING_INPUT` for shaping that does not check.
 */
export function policyReward(trajectory: Trajectory, policySet: PolicySet, shaping: RewardShaping | CheckedShaping = {}): RewardResult {
  const s = checkShaping(shaping);
  const items: RewardItem[] = [];
  let task = 0;
  let terminated: RewardResult['terminated'] = null;
  for (const r of replayTrajectory(trajectory, policySet)) {
    const { call, decision, alone, index } = r;
    task += call.reward ?? 0;
    let item: RewardItem | null = null;
    const base = { index, step: call.step, tool: call.tool };
    if (decision.effect === 'deny') {
      const rule = ruleId(decision.policy, decision.rule);
      const sev = severityOf(s, rule, decision.rule);
      const flow = alone.allowed || alone.effect === 'require_approval';
      item = flow ? { kind: 'flow', ...base, rule, severity: sev, penalty: s.flow, reason: decision.reason } : { kind: 'deny', ...base, rule, severity: sev, penalty: s.deny[sev], reason: decision.reason };
    } else if (decision.effect === 'require_approval') {
      const rule = ruleId(decision.policy, decision.rule);
      item = { kind: 'approval', ...base, rule, severity: severityOf(s, rule, decision.rule), penalty: s.approval, reason: decision.reason };
    } else if (r.limit !== null) {
      const rule = `${r.limit.policy}/${r.limit.limit}`;
      item = { kind: 'budget', ...base, rule, severity: severityOf(s, rule, r.limit.limit), penalty: s.budget, reason: r.limit.reason };
    }
    if (item === null) continue;
    items.push(item);
    if (s.terminateOn !== null && rank(item.severity) >= rank(s.terminateOn) && item.kind !== 'approval') {
      terminated = { index, step: call.step, rule: item.rule, penalty: s.terminationPenalty };
      break;
    }
  }
  let penalty = 0;
  for (const i of items) penalty += i.penalty;
  if (terminated !== null) penalty += terminated.penalty;
  return { trajectory: trajectory.id, checkpoint: trajectory.checkpoint, reward: round(task - penalty), task: round(task), penalty: round(penalty), terminated, items, policyDigest: policySet.digest };
}

/**
 * The id a rule is reported under: `policy/rule`, `policy/(default)` when a policy's default
 * decided, `(none)/(default)` when nothing did (an invalid request).
 *
 * @example
 * ```ts
 * ruleId('guard', 'no-secrets'); // 'guard/no-secrets'
 * ```
 */
export function ruleId(policy: string | null, rule: string | null): string {
  return `${policy ?? '(none)'}/${rule ?? '(default)'}`;
}

function severityOf(s: CheckedShaping, id: string, bare: string | null): Severity {
  return s.severities.get(id) ?? (bare !== null ? s.severities.get(bare) : undefined) ?? s.defaultSeverity;
}

function rank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Sums of decimal penalties printed as 0.30000000000000004 help nobody: round to 12 digits. */
function round(n: number): number {
  const r = Math.round(n * 1e12) / 1e12;
  return r === 0 ? 0 : r;
}

function severity(v: unknown, what: string): Severity {
  if (typeof v !== 'string' || !(SEVERITIES as readonly string[]).includes(v)) throw bad(`shaping \`${what}\` must be one of ${SEVERITIES.join(', ')}; got ${JSON.stringify(v) ?? String(v)}`);
  return v as Severity;
}

function amount(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`shaping \`${what}\` must be a finite number 0 or more; got ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v)}`);
  return v;
}

function bad(message: string): WardenError {
  return new WardenError('ERR_TRAINING_INPUT', `${message}.`);
}

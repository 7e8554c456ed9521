/**
 * Comparing two policy sets (`warden diff`): rule by rule, and by the decisions that move over the
 * same requests.
 */
import type { Effect } from '../decision.js';
import type { CompiledRule } from './compiled-rule.js';
import { ruleKey } from './rule-key.js';
import type { PolicySet } from './policy-set.js';

/**
 * A rule as `warden diff` compares it.
 *
 * @example
 * ```ts
 * const r: RuleSnapshot = { policy: 'p', rule: 'no-etc', effect: 'deny', tools: ['write_file'], when: "args.path.startsWith('/etc/')", unless: null, reason: null, approvers: [], file: 'p.yaml', line: 9, col: 5 };
 * ```
 */
export interface RuleSnapshot {
  policy: string;
  rule: string;
  effect: Effect;
  /** Tool names and globs, sorted; null for every tool. */
  tools: string[] | null;
  when: string | null;
  unless: string | null;
  reason: string | null;
  approvers: string[];
  file: string;
  line: number;
  col: number;
}

/** A field of a rule that `warden diff` compares. */
export type RuleField = 'effect' | 'tools' | 'when' | 'unless' | 'reason' | 'approvers';

/**
 * A rule present in both sets (same policy and rule name) with different content.
 *
 * @example
 * ```ts
 * for (const f of change.fields) console.log(f.field, f.before, '->', f.after);
 * ```
 */
export interface RuleChange {
  policy: string;
  rule: string;
  fields: Array<{ field: RuleField; before: unknown; after: unknown }>;
  before: RuleSnapshot;
  after: RuleSnapshot;
}

/**
 * What changed between two sets, rule by rule (keyed by policy and rule name).
 *
 * @example
 * ```ts
 * const d = diffPolicySets(oldSet, newSet);
 * console.log(d.added.length, d.removed.length, d.changed.length);
 * ```
 */
export interface PolicyDiff {
  added: RuleSnapshot[];
  removed: RuleSnapshot[];
  changed: RuleChange[];
  unchanged: number;
  policies: {
    added: string[];
    removed: string[];
    /** Documents whose `default:` changed. */
    defaults: Array<{ policy: string; before: 'allow' | 'deny'; after: 'allow' | 'deny' }>;
  };
  /** True when nothing above differs. */
  identical: boolean;
}

function snapshot(rule: CompiledRule): RuleSnapshot {
  return {
    policy: rule.policy,
    rule: rule.name,
    effect: rule.effect,
    tools: rule.exactTools === null ? null : [...rule.exactTools, ...rule.globTools.map((g) => g.pattern)].sort(),
    when: rule.whenText?.trim() ?? null,
    unless: rule.unlessText?.trim() ?? null,
    reason: rule.reason ?? null,
    approvers: [...rule.approvers],
    file: rule.pos.file,
    line: rule.pos.line,
    col: rule.pos.col,
  };
}

const RULE_FIELDS: readonly RuleField[] = ['effect', 'tools', 'when', 'unless', 'reason', 'approvers'];

/**
 * Compares two compiled sets rule by rule: added, removed and changed rules (effect, tools,
 * conditions, reason, approvers), documents added or removed, and changed defaults.
 *
 * @example
 * ```ts
 * const d = diffPolicySets(await loadPolicyFiles(['old/']), await loadPolicyFiles(['new/']));
 * if (!d.identical) console.log(d.changed.map((c) => `${c.policy}/${c.rule}`));
 * ```
 */
export function diffPolicySets(before: PolicySet, after: PolicySet): PolicyDiff {
  const index = (set: PolicySet): Map<string, RuleSnapshot> => new Map(set.rules.map((r) => [ruleKey(r.policy, r.name), snapshot(r)]));
  const a = index(before);
  const b = index(after);
  const added = [...b].filter(([k]) => !a.has(k)).map(([, r]) => r);
  const removed = [...a].filter(([k]) => !b.has(k)).map(([, r]) => r);
  const changed: RuleChange[] = [];
  let unchanged = 0;
  for (const [key, old] of a) {
    const now = b.get(key);
    if (!now) continue;
    const fields = RULE_FIELDS.filter((f) => JSON.stringify(old[f]) !== JSON.stringify(now[f])).map((field) => ({ field, before: old[field], after: now[field] }));
    if (fields.length === 0) unchanged++;
    else changed.push({ policy: old.policy, rule: old.rule, fields, before: old, after: now });
  }
  const defaultsA = new Map(before.policies.map((p) => [p.name, p.default]));
  const defaultsB = new Map(after.policies.map((p) => [p.name, p.default]));
  const policies = {
    added: [...defaultsB.keys()].filter((n) => !defaultsA.has(n)),
    removed: [...defaultsA.keys()].filter((n) => !defaultsB.has(n)),
    defaults: [...defaultsA]
      .filter(([n, d]) => defaultsB.has(n) && defaultsB.get(n) !== d)
      .map(([policy, d]) => ({ policy, before: d, after: defaultsB.get(policy) as 'allow' | 'deny' })),
  };
  const identical = added.length + removed.length + changed.length + policies.added.length + policies.removed.length + policies.defaults.length === 0;
  return { added, removed, changed, unchanged, policies, identical };
}

/**
 * One request to decide under both sets.
 *
 * @example
 * ```ts
 * const r: DiffRequest = { request: { tool: 'write_file', args: { path: '/etc/x' } }, now: new Date(), label: 'requests.jsonl:3' };
 * ```
 */
export interface DiffRequest {
  request: unknown;
  /** The time rules see as `now` (decisions that read `now` without it fail closed). */
  now?: Date;
  /** How to name the request in a report (a file:line, an audit seq). */
  label?: string;
}

/** The part of a decision `warden diff` compares. */
export interface DecisionRef {
  effect: Effect;
  rule: string | null;
  policy: string | null;
}

/**
 * A request whose decision differs between the sets.
 *
 * @example
 * ```ts
 * console.log(`${move.tool}: ${move.before.effect} (${move.before.rule}) -> ${move.after.effect} (${move.after.rule})`);
 * ```
 */
export interface DecisionMove {
  /** Position of the request in the input, from 0. */
  index: number;
  label: string;
  tool: string;
  /** `allow->deny`, `deny->allow`, ... (`deny->deny` when only the deciding rule changed). */
  kind: string;
  before: DecisionRef;
  after: DecisionRef;
}

/**
 * Which decisions move between two sets over the same requests.
 *
 * @example
 * ```ts
 * const d = diffDecisions(oldSet, newSet, requests);
 * console.log(d.kinds['allow->deny'] ?? 0);
 * ```
 */
export interface DecisionDiff {
  total: number;
  unchanged: number;
  /** Count of moved requests per kind. */
  kinds: Record<string, number>;
  /** The moved requests, in input order, at most `maxMoves` of them. */
  moved: DecisionMove[];
  /** True when more requests moved than `moved` holds. */
  truncated: boolean;
}

/**
 * Decides every request under both sets and reports those whose effect, deciding rule or policy
 * differs. Counts are complete; the list of moves is capped at `maxMoves` (default 10,000).
 *
 * @example
 * ```ts
 * const d = diffDecisions(oldSet, newSet, [{ request: { tool: 'rm', args: {} }, now: new Date() }]);
 * d.moved[0]?.kind; // e.g. 'allow->deny'
 * ```
 */
export function diffDecisions(before: PolicySet, after: PolicySet, requests: Iterable<DiffRequest>, options?: { maxMoves?: number } | null): DecisionDiff {
  const maxMoves = options?.maxMoves ?? 10_000;
  const out: DecisionDiff = { total: 0, unchanged: 0, kinds: {}, moved: [], truncated: false };
  for (const r of requests) {
    const index = out.total++;
    const opts = r.now ? { now: r.now } : {};
    const x = before.decide(r.request, opts);
    const y = after.decide(r.request, opts);
    if (x.effect === y.effect && x.rule === y.rule && x.policy === y.policy) {
      out.unchanged++;
      continue;
    }
    const kind = `${x.effect}->${y.effect}`;
    out.kinds[kind] = (out.kinds[kind] ?? 0) + 1;
    if (out.moved.length >= maxMoves) {
      out.truncated = true;
      continue;
    }
    const tool = r.request !== null && typeof r.request === 'object' && typeof (r.request as { tool?: unknown }).tool === 'string' ? (r.request as { tool: string }).tool : '(invalid request)';
    out.moved.push({
      index,
      label: r.label ?? `#${index + 1}`,
      tool,
      kind,
      before: { effect: x.effect, rule: x.rule, policy: x.policy },
      after: { effect: y.effect, rule: y.rule, policy: y.policy },
    });
  }
  return out;
}

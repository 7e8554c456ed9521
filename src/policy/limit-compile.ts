/**
 * Limits and flow labels after compilation: which limits a call draws from, with the counter key
 * and the amount evaluated (pure; the runtime checks and charges them against a store), and the
 * flow labels of each tool (what `flow` holds in conditions).
 */
import type { CompiledCondition } from './cel.js';
import { lazyModule } from '../lib/lazy-module.js';
import { encodeLimitKey } from './limit-key.js';
import { amountProblem, type LimitShape } from './limit-amount.js';
import type { SourcePos } from './source-pos.js';
import type { PolicyIssue } from './issues.js';

// cel-js loads when a limit's expressions are first compiled or evaluated (src/lib/lazy-module.ts).
const celModule = lazyModule<typeof import('./cel.js')>('policy/cel');

/** A limit as plain data (in plans), its expressions as text. */
export interface LimitPlan {
  policy: string;
  name: string;
  description?: string;
  tools: string[] | null;
  when?: string;
  key: string[];
  kind: 'rate' | 'budget';
  limit: number;
  periodMs: number | null;
  burst: number;
  amount?: string;
  pos: SourcePos;
}

/** The flow labels of one tool, as plain data. */
export interface ToolLabelPlan {
  tool: string;
  reads: string[];
  ingests: string[];
  egress: boolean;
  declassifies: string[];
}

/**
 * The flow labels a call's tool carries (what conditions read as `flow`). `known` is false when no
 * document's inventory names the tool: an unknown tool may send data anywhere.
 *
 * @example
 * ```ts
 * set.flowLabels('post_webhook'); // { known: true, reads: [], ingests: [], egress: true, declassifies: [] }
 * ```
 */
export interface FlowLabels {
  readonly known: boolean;
  readonly reads: readonly string[];
  readonly ingests: readonly string[];
  readonly egress: boolean;
  readonly declassifies: readonly string[];
}

/**
 * One draw a call makes: the counter (`key`, unambiguous, see encodeLimitKey), its shape and the
 * amount.
 *
 * @example
 * ```ts
 * const d: LimitDemand = { policy: 'p', limit: 'refunds', kind: 'rate', key: 'l1:p|s7:refunds|s2:a1', amount: 1, shape: { limit: 10, periodMs: 60_000, burst: 10 } };
 * ```
 */
export interface LimitDemand {
  readonly policy: string;
  readonly limit: string;
  readonly kind: 'rate' | 'budget';
  readonly key: string;
  readonly amount: number;
  readonly shape: LimitShape;
}

/** The limits a call draws from, or why they cannot be worked out (a denial). */
export type LimitDemands = { readonly demands: readonly LimitDemand[] } | { readonly error: string; readonly policy: string; readonly limit: string };

interface CompiledLimit {
  readonly plan: LimitPlan;
  readonly tools: ReadonlySet<string> | null;
  readonly when: CompiledCondition | undefined;
  readonly key: readonly CompiledCondition[];
  readonly amount: CompiledCondition | undefined;
  readonly shape: LimitShape;
}

const UNKNOWN: FlowLabels = Object.freeze({ known: false, reads: Object.freeze([]), ingests: Object.freeze([]), egress: false, declassifies: Object.freeze([]) });
const LABEL_CACHE_LIMIT = 10_000;

/**
 * The compiled limits and labels of a PolicySet. Limit tools are literal names or globs; label
 * entries and inventories name literal tools.
 *
 * @internal Built by compilePolicy() and plans.
 * @example
 * ```ts
 * const index = compileLimitIndex([], [], new Set(['read_file']), []);
 * index.labelsFor('read_file').known; // true
 * ```
 */
export class LimitIndex {
  readonly plans: readonly LimitPlan[];
  readonly labelPlans: readonly ToolLabelPlan[];
  readonly #limits: readonly CompiledLimit[];
  readonly #labels: ReadonlyMap<string, FlowLabels>;
  readonly #known: ReadonlySet<string>;
  readonly #cache = new Map<string, Map<string, unknown>>();

  /** @internal */
  constructor(limits: CompiledLimit[], labels: readonly ToolLabelPlan[], known: ReadonlySet<string>) {
    this.#limits = Object.freeze(limits);
    this.plans = Object.freeze(limits.map((l) => l.plan));
    this.labelPlans = Object.freeze([...labels]);
    this.#known = known;
    const merged = new Map<string, { reads: Set<string>; ingests: Set<string>; egress: boolean; declassifies: Set<string> }>();
    for (const l of labels) {
      const m = merged.get(l.tool) ?? { reads: new Set(), ingests: new Set(), egress: false, declassifies: new Set() };
      // Documents compose by union: a label any document gives a tool, the tool has.
      for (const r of l.reads) m.reads.add(r);
      for (const r of l.ingests) m.ingests.add(r);
      for (const r of l.declassifies) m.declassifies.add(r);
      m.egress ||= l.egress;
      merged.set(l.tool, m);
    }
    this.#labels = new Map(
      [...merged].map(([tool, m]) => [tool, Object.freeze({ known: true, reads: Object.freeze([...m.reads].sort()), ingests: Object.freeze([...m.ingests].sort()), egress: m.egress, declassifies: Object.freeze([...m.declassifies].sort()) })]),
    );
  }

  /** True when some document declares limits. */
  get hasLimits(): boolean {
    return this.#limits.length > 0;
  }

  /** The flow labels of `tool`. */
  labelsFor(tool: string): FlowLabels {
    const hit = this.#labels.get(tool);
    if (hit) return hit;
    return this.#known.has(tool) ? { ...UNKNOWN, known: true } : UNKNOWN;
  }

  /** The flow labels of `tool` as a CEL map (cached per tool, bounded). */
  celLabelsFor(tool: string): Map<string, unknown> {
    const hit = this.#cache.get(tool);
    if (hit) return hit;
    const l = this.labelsFor(tool);
    const m = new Map<string, unknown>([
      ['known', l.known],
      ['reads', [...l.reads]],
      ['ingests', [...l.ingests]],
      ['egress', l.egress],
      ['declassifies', [...l.declassifies]],
    ]);
    // invariant: memoizes a pure function of (index, tool); bounded, never evicted.
    if (this.#cache.size < LABEL_CACHE_LIMIT) this.#cache.set(tool, m);
    return m;
  }

  /**
   * The draws of a call whose CEL activation is `activation`. Any expression that errors, a `when`
   * that is not a bool, a key part that is not a string, an integer or a boolean, and an amount
   * that is NaN, negative, infinite or not a number each make the whole call's demands an error
   * (a denial): a limit that cannot be evaluated is never skipped.
   */
  demands(tool: string, activation: Record<string, unknown>): LimitDemands {
    const out: LimitDemand[] = [];
    for (const l of this.#limits) {
      if (l.tools !== null && !l.tools.has(tool)) continue;
      const fail = (error: string): LimitDemands => ({ error, policy: l.plan.policy, limit: l.plan.name });
      try {
        if (l.when) {
          const w = l.when(activation);
          if (w === false) continue;
          if (w !== true) return fail(`its when returned ${describe(w)}, not a bool`);
        }
        const parts = [l.plan.name, ...l.key.map((k) => k(activation))];
        const encoded = encodeLimitKey(l.plan.policy, parts);
        if ('error' in encoded) return fail(encoded.error);
        let amount: unknown = 1;
        if (l.amount) amount = l.amount(activation);
        const bad = amountProblem(amount);
        if (bad !== null) return fail(bad);
        out.push({ policy: l.plan.policy, limit: l.plan.name, kind: l.plan.kind, key: encoded.key, amount: Number(amount), shape: l.shape });
      } catch (e) {
        return fail(celModule().evaluationMessage(e));
      }
    }
    return { demands: out };
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Map) return 'a map';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}

/**
 * Compiles limit plans and labels into an index. Issues (a CEL error in a limit) are pushed to
 * `issues`; the limit is then left out and the load fails (compile.ts throws on any error).
 *
 * @internal
 * @example
 * ```ts
 * const issues: PolicyIssue[] = [];
 * const index = compileLimitIndex(plans, labels, known, issues);
 * ```
 */
export function compileLimitIndex(plans: readonly LimitPlan[], labels: readonly ToolLabelPlan[], known: ReadonlySet<string>, issues: PolicyIssue[]): LimitIndex {
  // Limits read the request, the session and the flow labels; not facets (a load error names them).
  const { ConditionCompiler, ConditionError, evaluationMessage } = celModule();
  const compiler = new ConditionCompiler();
  const limits: CompiledLimit[] = [];
  for (const plan of plans) {
    let ok = true;
    const compile = (text: string, part: string, bool: boolean): CompiledCondition | undefined => {
      try {
        return compiler.compile(text, { anyType: !bool }).evaluate;
      } catch (e) {
        ok = false;
        const code = e instanceof ConditionError ? { syntax: 'cel_syntax', type: 'cel_type', banned: 'cel_banned_function', cost: 'cel_cost', pattern: 'bad_pattern' }[e.kind] : 'cel_error';
        issues.push({ severity: 'error', code, ...plan.pos, message: `${part} of limit "${plan.name}": ${evaluationMessage(e)}` });
        return undefined;
      }
    };
    const when = plan.when !== undefined ? compile(plan.when, 'when', true) : undefined;
    const key = plan.key.map((k, i) => compile(k, `key ${i + 1}`, false));
    const amount = plan.amount !== undefined ? compile(plan.amount, 'amount', false) : undefined;
    if (!ok) continue;
    if (plan.tools !== null && plan.tools.some((t) => /[*?[\]{}]/.test(t))) {
      issues.push({ severity: 'error', code: 'bad_glob', ...plan.pos, message: `tools of limit "${plan.name}" must name tools literally; globs are not supported in limits.` });
      continue;
    }
    limits.push({
      plan,
      tools: plan.tools === null ? null : new Set(plan.tools),
      when,
      key: key as CompiledCondition[],
      amount,
      shape: Object.freeze({ limit: plan.limit, periodMs: plan.periodMs, burst: plan.burst }),
    });
  }
  return new LimitIndex(limits, labels, known);
}

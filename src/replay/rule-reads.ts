/**
 * Which rules of a PolicySet a decision depended on, and whether any of them read hidden data.
 *
 * decide() walks the rules whose tools cover the request, most restrictive effect first, then in
 * set order, and stops at the first that applies (or at an error in a deny or require_approval
 * rule). Every rule up to and including the deciding one was evaluated; the rules after it were
 * not. If none of the evaluated rules reads a hidden field, each of them saw exactly what it
 * would have seen on the unredacted request, so the decision is the one the unredacted request
 * gets. That is the whole argument for `indeterminate`, and why rules after the deciding one
 * (or the recorded rule, which is a fact, not a re-evaluation) do not matter.
 */
import type { CompiledRule } from '../policy/compiled-rule.js';
import type { PolicySet } from '../policy/policy-set.js';
import { pathsOverlap, type HiddenFields } from './hidden-fields.js';

/** Request variables a rule can read directly; every other variable is a facet computed from `args`. */
const REQUEST_VARIABLES = new Set(['tool', 'args', 'agent', 'context', 'now']);
/** Request variables whose contents a redaction can hide. */
const HIDEABLE_ROOTS = ['args', 'agent', 'context'] as const;

/** Most tools whose candidate lists are cached per set (the set's own cache has the same bound). */
const CACHE_LIMIT = 10_000;

/** One candidate rule and what it reads. */
interface RuleView {
  readonly rule: CompiledRule;
  /** Paths its conditions read or guard with has(); a bare `args`/`agent`/`context` when it uses one whole. */
  readonly paths: readonly string[];
  /** True when it reads a facet (`sql`, `shell`, `path`, `k8s`, `urls`, ...). */
  readonly facets: boolean;
}

/**
 * Why a re-evaluated decision cannot be trusted: the first evaluated rule that reads hidden data.
 *
 * @example
 * ```ts
 * const b: HiddenRead = { policy: 'prod', rule: 'no-secrets', read: 'args.password' };
 * ```
 */
export interface HiddenRead {
  policy: string | null;
  rule: string | null;
  /** The path the rule reads that overlaps hidden data, or the facet it computes from hidden `args`. */
  read: string;
}

/**
 * The read analysis of one PolicySet, cached per tool.
 *
 * @example
 * ```ts
 * const reads = new RuleReads(set);
 * const d = set.decide(request, { now });
 * const why = reads.hiddenRead(request.tool, d, hiddenFields(record.redactions)); // null: d holds
 * ```
 */
export class RuleReads {
  readonly #set: PolicySet;
  readonly #views = new Map<CompiledRule, RuleView>();
  readonly #byTool = new Map<string, readonly RuleView[]>();

  constructor(set: PolicySet) {
    this.#set = set;
  }

  /**
   * The first rule evaluated for `decision` that reads data `hidden` hides, or null when the
   * decision depends on no hidden data. `decision` must be this set's decision on the request.
   */
  hiddenRead(tool: string, decision: { rule: string | null; policy: string | null }, hidden: HiddenFields): HiddenRead | null {
    if (hidden.everything) return { policy: null, rule: null, read: 'the tool name or the whole request' };
    if (hidden.paths.length === 0) return null;
    const candidates = this.#candidates(tool);
    const last = decidingIndex(candidates, decision);
    for (let i = 0; i <= last; i++) {
      const view = candidates[i] as RuleView;
      const read = overlap(view, hidden);
      if (read !== null) return { policy: view.rule.policy, rule: view.rule.name, read };
    }
    return null;
  }

  /** Rules covering `tool`, in decide()'s order: effect rank, then set order. */
  #candidates(tool: string): readonly RuleView[] {
    const hit = this.#byTool.get(tool);
    if (hit !== undefined) return hit;
    const list = this.#set.rules.filter((r) => covers(r, tool));
    list.sort((a, b) => a.rank - b.rank || a.order - b.order);
    const views = list.map((r) => this.#view(r));
    if (this.#byTool.size < CACHE_LIMIT) this.#byTool.set(tool, views);
    return views;
  }

  #view(rule: CompiledRule): RuleView {
    const hit = this.#views.get(rule);
    if (hit !== undefined) return hit;
    const paths = new Set<string>([...rule.reads, ...rule.guards]);
    for (const root of HIDEABLE_ROOTS) {
      // A variable used without a field path (passed whole to a function) reads all of it.
      if (rule.variables.has(root) && ![...paths].some((p) => p === root || p.startsWith(`${root}.`))) paths.add(root);
    }
    let facets = false;
    for (const v of rule.variables) if (!REQUEST_VARIABLES.has(v)) facets = true;
    const view: RuleView = { rule, paths: [...paths], facets };
    this.#views.set(rule, view);
    return view;
  }
}

/** Whether a rule's tools cover `tool`, as the set's index decides it. */
function covers(rule: CompiledRule, tool: string): boolean {
  if (rule.exactTools === null) return true;
  if (rule.exactTools.includes(tool)) return true;
  return rule.globTools.some((g) => g.test(tool));
}

/**
 * Index of the deciding rule among the candidates; the last index when the default decided or the
 * rule is not found (then every candidate counts as evaluated, which only makes the check stricter).
 */
function decidingIndex(candidates: readonly RuleView[], decision: { rule: string | null; policy: string | null }): number {
  if (decision.rule !== null) {
    for (let i = candidates.length - 1; i >= 0; i--) {
      const r = (candidates[i] as RuleView).rule;
      if (r.name === decision.rule && r.policy === decision.policy) return i;
    }
  }
  return candidates.length - 1;
}

function overlap(view: RuleView, hidden: HiddenFields): string | null {
  if (view.facets && hidden.args) {
    for (const v of view.rule.variables) if (!REQUEST_VARIABLES.has(v)) return v;
  }
  for (const read of view.paths) {
    for (const h of hidden.paths) if (pathsOverlap(read, h)) return read;
  }
  return null;
}

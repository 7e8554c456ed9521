/**
 * A compiled policy as plain data (a plan): everything compilePolicy() worked out (the YAML read,
 * the validation, the tool index, the facet bindings, what each condition reads) except the CEL
 * closures, which cel-js cannot serialize. A process that has a plan builds the same PolicySet
 * without YAML and without validating again, and compiles each condition only when a decision
 * first needs it. The on-disk cache (src/enforce/compiled-cache.ts) stores plans.
 */
import type { ConditionCompiler, CompiledCondition } from './cel.js';
import { lazyModule } from '../lib/lazy-module.js';
import { EFFECT_RANK, type CompiledRule } from './compiled-rule.js';
import { compileGlob, literalOf, type GlobMatcher } from '../lib/glob.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import { PolicyLoadError, type PolicyIssue } from './issues.js';
import type { RequestLimits } from './limits.js';
import { PolicySet, type PolicyInfo } from './policy-set.js';
import type { SourcePos } from './source-pos.js';
import type { Effect } from '../decision.js';
import { facetFunctions } from '../facets/functions.js';
import { FACET_VARIABLES, FacetEngine } from '../facets/runtime.js';
import type { FacetBinding } from '../facets/bindings.js';
import type { ArgumentDetector, RealpathResolver } from '../facets/types.js';
import type { SqlDialect, SqlParsers } from '../facets/sql-parsers.js';
import type { StagedPolicy } from './compile.js';
import { compileLimitIndex, type LimitPlan, type ToolLabelPlan } from './limit-compile.js';

// cel-js loads with the first condition a plan's set compiles (src/lib/lazy-module.ts).
const celModule = lazyModule<typeof import('./cel.js')>('policy/cel');

/**
 * The plan format; a plan of another format is not read. Bump it when a plan's meaning changes.
 * 2: facet bindings carry what effects need (path `access`, shell `cwd`, `prose` bindings).
 * 3: limits (`limitRules`) and the flow labels of tools (`toolLabels`).
 * 4: `results.redactSecrets` of each policy (in `policies`).
 */
export const PLAN_FORMAT = 4;

/**
 * One condition of a plan: its text and what the static analysis found in it.
 *
 * @example
 * ```ts
 * const c: ConditionPlan = { text: "args.amount > 5", variables: ['args'], reads: ['args.amount'], guards: [] };
 * ```
 */
export interface ConditionPlan {
  text: string;
  variables: string[];
  reads: string[];
  guards: string[];
}

/**
 * One rule of a plan.
 *
 * @example
 * ```ts
 * const r: RulePlan = { policy: 'p', name: 'r', effect: 'allow', order: 0, approvers: [], tools: ['read_file'], pos: { file: 'p.yaml', line: 5, col: 5 } };
 * ```
 */
export interface RulePlan {
  policy: string;
  name: string;
  effect: Effect;
  order: number;
  reason?: string;
  description?: string;
  approvers: string[];
  /** The rule's tool patterns as written; null: every tool. */
  tools: string[] | null;
  when?: ConditionPlan;
  unless?: ConditionPlan;
  pos: SourcePos;
}

/**
 * A compiled policy as JSON-safe data.
 *
 * @example
 * ```ts
 * const { plan } = compilePolicyPlan([{ name: 'p.yaml', text }]);
 * const again = policySetFromPlan(JSON.parse(JSON.stringify(plan)));
 * ```
 */
export interface PolicyPlan {
  format: typeof PLAN_FORMAT;
  digest: string;
  policies: PolicyInfo[];
  warnings: PolicyIssue[];
  limits: RequestLimits;
  rules: RulePlan[];
  /** The facet bindings in force: the documents' own, then the supplied ones they leave. */
  facets: FacetBinding[];
  /**
   * The Cedar and Rego documents of the set, by name, when it has any. Their engines are not plain
   * data, so such a plan is never staged again: {@link stagePlan} refuses it and callers recompile.
   */
  backends?: string[];
  /** The documents' limits (`limits:`), expressions as text. */
  limitRules: LimitPlan[];
  /** The flow labels of inventory tools. */
  toolLabels: ToolLabelPlan[];
}

/**
 * The staged policy a plan describes (see stagePolicy): its SQL dialects are known, and
 * `complete` builds the PolicySet with the SQL parsers, refusing a set whose sql bindings lack
 * them exactly as a fresh compile does. Conditions are parsed and type-checked on first use (each
 * distinct text once); a condition that no longer compiles fails like one that errors at
 * evaluation: a deny rule applies, an allow rule does not.
 *
 * @example
 * ```ts
 * const staged = stagePlan(plan, { resolver: fsRealpathResolver });
 * const set = staged.complete(staged.sqlDialects.size > 0 ? await loadSqlParsers({ dialects: [...staged.sqlDialects] }) : undefined);
 * ```
 * @throws TypeError when `plan` is not a plan of {@link PLAN_FORMAT} (callers recompile).
 */
export function stagePlan(plan: PolicyPlan, options: { resolver?: RealpathResolver; detector?: ArgumentDetector } = {}): StagedPolicy {
  checkPlanShape(plan);
  // invariant: a set is never rebuilt without the Cedar or Rego documents it was compiled with.
  if ((plan as { backends?: unknown }).backends !== undefined) throw new TypeError('the plan holds Cedar or Rego documents, whose engines a plan cannot carry; recompile the sources');
  let compiler: ConditionCompiler | null = null;
  const conditions = new Map<string, CompiledCondition>();
  const lazy = (text: string): CompiledCondition => {
    const hit = conditions.get(text);
    if (hit) return hit;
    let compiled: CompiledCondition | null = null;
    const evaluate: CompiledCondition = (activation) => {
      // invariant: a plan is staged only from a compile that analysed this text (or a verified cache entry of one).
      compiled ??= (compiler ??= new (celModule().ConditionCompiler)({ variables: FACET_VARIABLES, functions: facetFunctions() })).compileAnalysed(text);
      return compiled(activation);
    };
    conditions.set(text, evaluate);
    return evaluate;
  };
  const rules = plan.rules.map((r): CompiledRule => {
    const exact: string[] = [];
    const globs: GlobMatcher[] = [];
    for (const t of r.tools ?? []) {
      const literal = literalOf(t);
      if (literal !== null) exact.push(literal);
      else globs.push(compileGlob(t));
    }
    return Object.freeze({
      policy: r.policy,
      name: r.name,
      effect: r.effect,
      rank: EFFECT_RANK[r.effect],
      order: r.order,
      reason: r.reason,
      description: r.description,
      approvers: Object.freeze([...r.approvers]),
      exactTools: r.tools === null ? null : Object.freeze(exact),
      globTools: Object.freeze(globs),
      when: r.when ? lazy(r.when.text) : undefined,
      unless: r.unless ? lazy(r.unless.text) : undefined,
      whenText: r.when?.text,
      unlessText: r.unless?.text,
      variables: new Set([...(r.when?.variables ?? []), ...(r.unless?.variables ?? [])]),
      reads: new Set([...(r.when?.reads ?? []), ...(r.unless?.reads ?? [])]),
      guards: new Set([...(r.when?.guards ?? []), ...(r.unless?.guards ?? [])]),
      pos: r.pos,
    });
  });
  const sqlBindings = plan.facets.filter((b): b is FacetBinding & { facet: 'sql' } => b.facet === 'sql');
  const resolver = options.resolver;
  const detector = options.detector;
  // Limits compile eagerly (few, small): a plan whose limits no longer compile is refused, not half-read.
  const limitIssues: PolicyIssue[] = [];
  const flow = compileLimitIndex(plan.limitRules, plan.toolLabels, new Set(plan.policies.flatMap((p) => p.inventory ?? [])), limitIssues);
  if (limitIssues.length > 0) throw new TypeError(`the plan's limits do not compile: ${limitIssues[0]?.message ?? ''}`);
  return {
    sqlDialects: new Set(sqlBindings.map((b) => b.dialect)),
    readsDetect: rules.some((r) => r.variables.has('detect')),
    complete(sqlParsers: SqlParsers | undefined, loadFailure?: SqlLoadFailure): PolicySet {
      const missing = sqlParserIssues(sqlBindings, sqlParsers, loadFailure);
      if (missing.length > 0) throw new PolicyLoadError([...plan.warnings, ...missing]);
      const undetected = detectorIssues(rules, detector);
      if (undetected.length > 0) throw new PolicyLoadError([...plan.warnings, ...undetected]);
      const facets = new FacetEngine(plan.facets, { ...(resolver ? { resolver } : {}), ...(sqlParsers ? { sqlParsers } : {}), ...(detector ? { detector } : {}) });
      return new PolicySet({ digest: plan.digest, policies: plan.policies, rules, warnings: plan.warnings, limits: plan.limits, facets, flow });
    },
  };
}

/**
 * The PolicySet a plan describes: {@link stagePlan} completed with `options.sqlParsers`.
 *
 * @example
 * ```ts
 * const set = policySetFromPlan(plan, { resolver: fsRealpathResolver });
 * set.decide({ tool: 'read_file', args: { path: '/repo/a.ts' } });
 * ```
 * @throws TypeError when `plan` is not a plan of {@link PLAN_FORMAT}; PolicyLoadError when its sql bindings lack parsers.
 */
export function policySetFromPlan(plan: PolicyPlan, options: { resolver?: RealpathResolver; sqlParsers?: SqlParsers; detector?: ArgumentDetector } = {}): PolicySet {
  return stagePlan(plan, { ...(options.resolver ? { resolver: options.resolver } : {}), ...(options.detector ? { detector: options.detector } : {}) }).complete(options.sqlParsers);
}

/**
 * One load error per rule that reads `detect` when no detector was given (a fresh compile and a
 * plan refuse alike).
 *
 * @internal
 * @example
 * ```ts
 * detectorIssues(rules, undefined).length; // one per rule that reads detect
 * ```
 */
export function detectorIssues(rules: readonly CompiledRule[], detector: ArgumentDetector | undefined): PolicyIssue[] {
  if (detector !== undefined) return [];
  return rules
    .filter((r) => r.variables.has('detect'))
    .map((r) => ({
      severity: 'error' as const,
      code: 'detector_missing',
      ...r.pos,
      message: `Rule "${r.name}" reads detect, and no detector was given. loadPolicyFiles() injects one; with compilePolicy(), pass { detector: argumentDetector } from agent-warden/detect.`,
    }));
}

/**
 * Why SQL parsers could not be loaded: one reason for every binding, or a reason per dialect (so a
 * binding is blamed only for its own dialect).
 *
 * @internal
 * @example
 * ```ts
 * const why: SqlLoadFailure = new Map([['mysql', 'the optional package node-sql-parser is not installed']]);
 * ```
 */
export type SqlLoadFailure = string | ReadonlyMap<SqlDialect, string>;

/**
 * One load error per sql binding whose dialect the given parsers cannot parse (a fresh compile and
 * a plan refuse alike).
 *
 * @internal
 * @example
 * ```ts
 * sqlParserIssues(sqlBindings, undefined, undefined).length; // one per binding
 * ```
 */
export function sqlParserIssues(bindings: ReadonlyArray<FacetBinding & { facet: 'sql' }>, sqlParsers: SqlParsers | undefined, loadFailure: SqlLoadFailure | undefined): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const b of bindings) {
    if (sqlParsers?.dialects.has(b.dialect)) continue;
    const why = typeof loadFailure === 'string' ? loadFailure : loadFailure?.get(b.dialect);
    if (why !== undefined) {
      out.push({ severity: 'error', code: 'sql_parsers_missing', ...b.pos, message: `The sql binding of tools ${JSON.stringify(b.tools)} (dialect ${b.dialect}) cannot parse: ${why}` });
      continue;
    }
    const load = `loadPolicyFiles() loads them for you; with compilePolicy(), pass { sqlParsers: await loadSqlParsers({ dialects: ['${b.dialect}'] }) }.`;
    const message = sqlParsers
      ? `The sql binding of tools ${JSON.stringify(b.tools)} uses dialect ${b.dialect}, but the SQL parsers given were loaded without it. ${load}`
      : `The sql binding of tools ${JSON.stringify(b.tools)} needs the SQL parsers, and none were given. ${load}`;
    out.push({ severity: 'error', code: 'sql_parsers_missing', ...b.pos, message });
  }
  return out;
}

/**
 * The digest of a PolicySet compiled from sources with these texts (`PolicySet.digest`), without
 * compiling them.
 *
 * @example
 * ```ts
 * policyDigestOf([yamlText]) === compilePolicy([{ name: 'p.yaml', text: yamlText }]).digest; // true
 * ```
 */
export function policyDigestOf(texts: readonly string[]): string {
  return digestOfTextDigests(texts.map((t) => sha256Hex(t)));
}

/** @internal The digest over the sources' SHA-256 digests (compile.ts computes it as it reads). */
export function digestOfTextDigests(digests: readonly string[]): string {
  // Composition does not depend on source order, so neither does the digest.
  return `sha256:${sha256Hex(canonicalJson([...digests].sort()))}`;
}

/** A cheap structural check: a plan from another format or a damaged one is refused, not half-read. */
function checkPlanShape(plan: PolicyPlan): void {
  const p = plan as unknown as Record<string, unknown> | null;
  const ok =
    p !== null &&
    typeof p === 'object' &&
    p.format === PLAN_FORMAT &&
    typeof p.digest === 'string' &&
    Array.isArray(p.policies) &&
    Array.isArray(p.warnings) &&
    Array.isArray(p.rules) &&
    Array.isArray(p.facets) &&
    Array.isArray(p.limitRules) &&
    Array.isArray(p.toolLabels) &&
    p.limits !== null &&
    typeof p.limits === 'object' &&
    (p.rules as unknown[]).every((r) => {
      const rule = r as Partial<RulePlan> | null;
      return rule !== null && typeof rule === 'object' && typeof rule.name === 'string' && typeof rule.effect === 'string' && rule.effect in EFFECT_RANK && Array.isArray(rule.approvers);
    });
  if (!ok) throw new TypeError(`not a policy plan of format ${PLAN_FORMAT}`);
}

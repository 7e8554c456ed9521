/**
 * A compiled, immutable set of policies and the one decision function.
 */
import { compileGlob, type GlobMatcher } from '../lib/glob.js';
import { lazyModule } from '../lib/lazy-module.js';
import { errorMeansMatch, type CompiledRule } from './compiled-rule.js';
import type { RequestLimits } from './limits.js';
import { InvalidRequest, toCelRequest, type CelRequest } from './request.js';
import type { Decision, DecisionError, Effect } from '../decision.js';
import type { PolicyIssue } from './issues.js';
import type { FacetRuntime } from '../facets/types.js';
import type { BackendEvaluator, BackendInput, BackendVerdict } from './backend.js';
import { LimitIndex, type FlowLabels, type LimitDemands } from './limit-compile.js';
import { sessionToCel, type SessionView } from './session-view.js';

// cel-js loads with the compiler or the plan reader that made this set's conditions (src/lib/lazy-module.ts).
const celModule = lazyModule<typeof import('./cel.js')>('policy/cel');

export type { FacetRuntime, FacetValue } from '../facets/types.js';

/** Options for one decision. */
export interface DecideOptions {
  /** The time conditions see as `now`. The core never reads the clock; rules that read `now` without it error (and fail closed). */
  now?: Date;
  /**
   * The session the call belongs to (`session` in conditions), read from the runtime's store.
   * Without it, a condition that reads `session` errors: a deny rule applies, an allow rule does not.
   */
  session?: SessionView;
  /**
   * Runtime state rules read, as CEL maps: `breaker` (by tool: `{ state, ... }`) and `slo` (by SLO
   * name: `{ exhausted, budgetRemaining, ... }`). Passed in per decision like `now`; a variable not
   * given is an empty map, so a rule reading a missing key errors (deny rules then apply).
   */
  runtime?: { breaker?: ReadonlyMap<string, unknown>; slo?: ReadonlyMap<string, unknown> };
}

const NO_STATE: ReadonlyMap<string, unknown> = new Map();

/** Summary of one policy document in a set. */
export interface PolicyInfo {
  readonly name: string;
  readonly default: 'allow' | 'deny';
  readonly description: string | undefined;
  readonly source: string;
  readonly ruleCount: number;
  /** The document's declared inventory of tool names (`tools:`), or null. */
  readonly inventory: readonly string[] | null;
  /** For a `kind: CedarPolicy` or `kind: RegoPolicy` document: its language (absent for YAML rules). */
  readonly language?: 'cedar' | 'rego';
  /** `results.redactSecrets`: tool globs whose results have secrets redacted before the model reads them (absent: none). */
  readonly redactSecrets?: readonly string[];
}

/** Why a rule did or did not apply, as reported by explain(). */
export interface RuleExplanation {
  policy: string;
  rule: string;
  effect: Effect;
  /** `tool_mismatch`: tools did not cover the request; `matched`; `not_matched`; `error`: a condition failed to evaluate. */
  status: 'tool_mismatch' | 'matched' | 'not_matched' | 'error';
  /** For status `error`: whether the error made the rule apply (deny and require_approval) or not. */
  appliedOnError?: boolean;
  when?: { expression: string; result: unknown };
  unless?: { expression: string; result: unknown };
  error?: string;
  line: number;
}

/** The full account of one decision. */
export interface Explanation {
  decision: Decision;
  rules: RuleExplanation[];
}

const CANDIDATE_CACHE_LIMIT = 10_000;

/**
 * A compiled PolicySet: build it with `compilePolicy()` or `loadPolicyFiles()`.
 *
 * @example
 * ```ts
 * const set = compilePolicy([{ name: 'inline', text: yamlText }]);
 * const d = set.decide({ tool: 'write_file', args: { path: '/etc/passwd' }, context: { environment: 'prod' } });
 * d.effect; // 'deny'
 * ```
 */
export class PolicySet {
  /** `sha256:<hex>` digest of the sources. */
  readonly digest: string;
  readonly policies: readonly PolicyInfo[];
  readonly rules: readonly CompiledRule[];
  /** Non-fatal findings from compilation (lint warnings). */
  readonly warnings: readonly PolicyIssue[];
  readonly limits: Readonly<RequestLimits>;
  readonly #exact: Map<string, CompiledRule[]>;
  readonly #wide: readonly CompiledRule[];
  readonly #candidates = new Map<string, readonly CompiledRule[]>();
  readonly #facets: FacetRuntime | null;
  readonly #defaultEffect: 'allow' | 'deny';
  readonly #defaultPolicy: string | null;
  /** Each rule's reason, built once: a decision copies it instead of formatting it. */
  readonly #reasons: ReadonlyMap<CompiledRule, string>;
  /** The Cedar and Rego documents' evaluators, in set order (empty: YAML rules only). */
  readonly #backends: ReadonlyArray<{ policy: string; evaluator: BackendEvaluator }>;
  readonly #flow: LimitIndex;
  readonly #redactSecrets: readonly GlobMatcher[];

  /** @internal Use compilePolicy(). */
  constructor(init: {
    digest: string;
    policies: PolicyInfo[];
    rules: CompiledRule[];
    warnings: PolicyIssue[];
    limits: RequestLimits;
    facets: FacetRuntime | null;
    backends?: ReadonlyArray<{ policy: string; evaluator: BackendEvaluator }>;
    /** Limits and flow labels; none when absent. */
    flow?: LimitIndex;
  }) {
    this.digest = init.digest;
    this.policies = Object.freeze(init.policies.map((p) => Object.freeze({ ...p })));
    this.rules = Object.freeze([...init.rules]);
    this.warnings = Object.freeze([...init.warnings]);
    this.limits = Object.freeze({ ...init.limits });
    this.#facets = init.facets;
    this.#backends = Object.freeze([...(init.backends ?? [])]);
    this.#redactSecrets = this.policies.flatMap((p) => (p.redactSecrets ?? []).map((g) => compileGlob(g)));
    this.#flow = init.flow ?? new LimitIndex([], [], new Set(this.policies.flatMap((p) => p.inventory ?? [])));
    const exact = new Map<string, CompiledRule[]>();
    const wide: CompiledRule[] = [];
    for (const rule of this.rules) {
      if (rule.exactTools === null || rule.globTools.length > 0) wide.push(rule);
      for (const t of rule.exactTools ?? []) {
        const list = exact.get(t);
        if (list === undefined) exact.set(t, [rule]);
        else if (!list.includes(rule)) list.push(rule);
      }
    }
    this.#exact = exact;
    this.#wide = wide;
    this.#reasons = new Map(this.rules.map((rule) => [rule, rule.reason ?? defaultReason(rule)]));
    // The most restrictive default of the set applies; an empty set denies.
    const denying = this.policies.find((p) => p.default === 'deny');
    this.#defaultEffect = this.policies.length > 0 && !denying ? 'allow' : 'deny';
    this.#defaultPolicy = (denying ?? this.policies[0])?.name ?? null;
  }

  /** Facets this set binds to tools (`sql`, `shell`, `path`, `k8s`); `urls` needs no binding. */
  get boundFacets(): ReadonlySet<string> {
    return this.#facets?.bound ?? new Set();
  }

  /**
   * Decides one request. Pure, synchronous, deterministic; never throws.
   *
   * @example
   * ```ts
   * set.decide({ tool: 'read_file', args: { path: '/tmp/x' }, agent: { id: 'a1' } }, { now: new Date() });
   * ```
   */
  decide(request: unknown, options?: DecideOptions | null): Decision {
    const cel = toCelRequest(request, this.limits);
    if (cel instanceof InvalidRequest) return this.#invalid(cel.message);
    const decision = this.#decide(cel, options ?? {});
    // invariant: the flag is set only from the validated copy's tool name, never from its arguments
    // (and the caller's object is not read twice: a getter could answer differently).
    return this.redactsSecretsIn(cel.tool) ? { ...decision, redactSecrets: true } : decision;
  }

  /**
   * True when a policy of the set says, in `results.redactSecrets`, that this tool's results have
   * their secrets redacted before they reach the model (the enforcement point does it; the
   * decision says so as `redactSecrets: true`). Pure and synchronous.
   *
   * @example
   * ```ts
   * set.redactsSecretsIn('read_file'); // true with results: { redactSecrets: ["read_*"] }
   * ```
   */
  redactsSecretsIn(tool: string): boolean {
    return this.#redactSecrets.some((g) => g.test(tool));
  }

  #decide(cel: CelRequest, options: DecideOptions): Decision {
    if (this.policies.length === 0) {
      return this.#decision('deny', null, null, 'No policy is loaded, so every action is denied. Load a policy (warden init writes a starter).', [], []);
    }
    if (this.#backends.length > 0) return this.#decideWithBackends(cel, options);
    return this.#decideRules(cel, options, null) ?? this.#defaultDecision(cel.tool, []);
  }

  /** The YAML rules' decision, or null when no rule applied (errors of rules that did not apply go to `errorsOut`). */
  #decideRules(cel: CelRequest, options: DecideOptions, errorsOut: DecisionError[] | null): Decision | null {
    const candidates = this.#candidatesFor(cel.tool);
    let activation: Record<string, unknown> | null = null;
    let errors: DecisionError[] | null = errorsOut;
    for (const rule of candidates) {
      if (rule.when === undefined && rule.unless === undefined) return this.#ruleDecision(rule, errors ?? [], undefined);
      activation ??= this.#activation(cel, options);
      const outcome = evaluateRule(rule, activation, this.#facets, cel);
      if (outcome === true) return this.#ruleDecision(rule, errors ?? [], undefined);
      if (outcome === false) continue;
      (errors ??= []).push({ code: 'condition_error', rule: rule.name, policy: rule.policy, message: outcome });
      if (errorMeansMatch(rule.effect)) return this.#ruleDecision(rule, errors, outcome, !('session' in activation) && /\bUnknown variable: session\b/.test(outcome) ? cel.context.has('session') : undefined);
    }
    if (errors !== null && errors !== errorsOut) errorsOut?.push(...errors);
    return errors === null || errorsOut !== null ? null : this.#defaultDecision(cel.tool, errors);
  }

  /**
   * YAML rules and every Cedar/Rego document, deny-overrides: the most restrictive opinion wins
   * (YAML first, then the documents in set order, on a tie); a document that fails to evaluate is
   * a deny naming it and the error; no opinion anywhere is the set's default.
   */
  #decideWithBackends(cel: CelRequest, options: DecideOptions): Decision {
    const errors: DecisionError[] = [];
    let best = this.#decideRules(cel, options, errors);
    const input = backendInput(cel, options);
    for (const { policy, evaluator } of this.#backends) {
      if (best !== null && best.effect === 'deny') break;
      let verdict: BackendVerdict;
      try {
        verdict = checkVerdict(evaluator.decide(input));
      } catch (e) {
        const message = `the ${evaluator.language === 'cedar' ? 'Cedar' : 'Rego'} policy could not be evaluated: ${e instanceof Error ? e.message : String(e)}`;
        errors.push({ code: 'policy_error', rule: null, policy, message });
        best = this.#decision('deny', null, policy, `Policy "${policy}" denies this call because ${message} (a policy that fails denies).`, [], errors);
        break;
      }
      if (verdict.effect === null) continue;
      if (best !== null && EFFECT_ORDER[best.effect] <= EFFECT_ORDER[verdict.effect]) continue;
      const kind = evaluator.language === 'cedar' ? 'Cedar' : 'Rego';
      const verb = { allow: 'allows', deny: 'denies', require_approval: 'requires approval for' }[verdict.effect];
      const reason = verdict.reason ?? `${kind} ${verdict.rule === null ? 'policy' : `rule "${verdict.rule}"`} of policy "${policy}" ${verb} this call.`;
      best = this.#decision(verdict.effect, verdict.rule, policy, reason, verdict.effect === 'require_approval' ? [...(verdict.approvers ?? [])] : [], errors);
    }
    if (best === null) return this.#defaultDecision(cel.tool, errors);
    return best.errors === errors ? best : { ...best, errors: [...best.errors, ...errors.filter((e) => !best?.errors.includes(e))] };
  }

  /**
   * Evaluates every rule and reports why each did or did not apply. Off the hot path.
   *
   * @example
   * ```ts
   * for (const r of set.explain(request).rules) console.log(r.rule, r.status);
   * ```
   */
  explain(request: unknown, options?: DecideOptions | null): Explanation {
    options ??= {};
    const decision = this.decide(request, options);
    const cel = toCelRequest(request, this.limits);
    if (cel instanceof InvalidRequest) return { decision, rules: [] };
    const candidates = new Set(this.#candidatesFor(cel.tool));
    const activation = this.#activation(cel, options);
    const rules: RuleExplanation[] = [];
    for (const rule of this.rules) {
      const base = { policy: rule.policy, rule: rule.name, effect: rule.effect, line: rule.pos.line };
      if (!candidates.has(rule)) {
        rules.push({ ...base, status: 'tool_mismatch' });
        continue;
      }
      const entry: RuleExplanation = { ...base, status: 'matched' };
      const results: Partial<Record<'when' | 'unless', boolean | string>> = {};
      for (const part of ['when', 'unless'] as const) {
        const cond = rule[part];
        const text = part === 'when' ? rule.whenText : rule.unlessText;
        if (!cond || text === undefined) continue;
        const r = runCondition(cond, activation, rule, this.#facets, cel);
        results[part] = r;
        entry[part] = { expression: text, result: typeof r === 'string' ? `error: ${r}` : r };
      }
      // The status follows decide()'s order: a false when settles it before unless is considered.
      const w = results.when;
      const u = results.unless;
      const failed = typeof w === 'string' ? w : w === false ? undefined : typeof u === 'string' ? u : undefined;
      if (w === false) {
        entry.status = 'not_matched';
      } else if (failed !== undefined) {
        entry.status = 'error';
        entry.error = failed;
        entry.appliedOnError = errorMeansMatch(rule.effect);
      } else if (u === true) {
        entry.status = 'not_matched';
      }
      rules.push(entry);
    }
    for (const { policy, evaluator } of this.#backends) rules.push(explainBackend(policy, evaluator, cel, options));
    return { decision, rules };
  }

  /** Rules whose tools cover `tool`, most restrictive effect first, then in set order. */
  #candidatesFor(tool: string): readonly CompiledRule[] {
    const hit = this.#candidates.get(tool);
    if (hit) return hit;
    const list: CompiledRule[] = [...(this.#exact.get(tool) ?? [])];
    for (const rule of this.#wide) {
      if (list.includes(rule)) continue;
      if (rule.exactTools === null || rule.globTools.some((g) => g.test(tool))) list.push(rule);
    }
    list.sort((a, b) => a.rank - b.rank || a.order - b.order);
    const frozen = Object.freeze(list);
    // invariant: the cache only memoizes a pure function of (set, tool); bounded, never evicted.
    if (this.#candidates.size < CANDIDATE_CACHE_LIMIT) this.#candidates.set(tool, frozen);
    return frozen;
  }

  /** True when some document declares limits (the runtime's charge stage then draws them). */
  get hasLimits(): boolean {
    return this.#flow.hasLimits;
  }

  /** The limits as declared (plain data; `warden limits show` lists them). */
  get limitPlans(): LimitIndex['plans'] {
    return this.#flow.plans;
  }

  /**
   * The flow labels the policy gives `tool` (what conditions read as `flow`).
   *
   * @example
   * ```ts
   * set.flowLabels('fetch_url').ingests; // ['untrusted']
   * ```
   */
  flowLabels(tool: string): FlowLabels {
    return this.#flow.labelsFor(tool);
  }

  /**
   * The limits an allowed call draws from: each limit covering the tool whose `when` holds, with
   * its counter key and amount evaluated. Pure and synchronous like decide(); an invalid request
   * or any expression that cannot be evaluated is an `error` (the call is then denied).
   *
   * @example
   * ```ts
   * const d = set.limitDemands({ tool: 'refund', args: { amount: 30 }, agent: { id: 'a1' } }, { now });
   * if ('error' in d) console.log(d.limit, d.error); else console.log(d.demands.map((x) => x.key));
   * ```
   */
  limitDemands(request: unknown, options?: DecideOptions | null): LimitDemands {
    if (!this.#flow.hasLimits) return { demands: [] };
    const cel = toCelRequest(request, this.limits);
    if (cel instanceof InvalidRequest) return { error: cel.message, policy: '', limit: '' };
    return this.#flow.demands(cel.tool, this.#activation(cel, options ?? {}));
  }

  #activation(cel: CelRequest, options: DecideOptions): Record<string, unknown> {
    const a: Record<string, unknown> = { tool: cel.tool, args: cel.args, agent: cel.agent, context: cel.context, flow: this.#flow.celLabelsFor(cel.tool) };
    if (options.now instanceof Date && !Number.isNaN(options.now.getTime())) a.now = options.now;
    if (options.session !== undefined) {
      // invariant: an unusable session view is absent (conditions reading it error), never an empty session.
      const session = sessionToCel(options.session);
      if (typeof session !== 'string') a.session = session;
    }
    const runtime = options.runtime;
    a.breaker = runtime?.breaker instanceof Map ? runtime.breaker : NO_STATE;
    a.slo = runtime?.slo instanceof Map ? runtime.slo : NO_STATE;
    const plugin = cel.context.get('plugin');
    a.plugin = plugin instanceof Map ? plugin : NO_STATE;
    return a;
  }

  /** `noSession`: the error was the absent `session` variable; true when the request did name one (context.session). */
  #ruleDecision(rule: CompiledRule, errors: DecisionError[], error: string | undefined, noSession?: boolean): Decision {
    const base = this.#reasons.get(rule) ?? defaultReason(rule);
    const reason =
      error === undefined
        ? base
        : noSession === undefined
          ? `${base} (applied because its condition could not be evaluated: ${error}; guard optional fields with has())`
          : `Rule "${rule.name}" of policy "${rule.policy}" reads session state, but ${noSession ? 'no session state was available for the session in context.session (the enforcement point has no state store)' : 'the request names no session'}, so the rule applies (it fails closed). ${noSession ? 'Run with a state store' : "Pass the call's session id as context.session"} so the rule can read the session. The rule's reason: ${base}`;
    return this.#decision(rule.effect, rule.name, rule.policy, reason, rule.effect === 'require_approval' ? [...rule.approvers] : [], errors);
  }

  #defaultDecision(tool: string, errors: DecisionError[]): Decision {
    const effect = this.#defaultEffect;
    const reason =
      effect === 'deny'
        ? `No rule allows tool "${tool}", and the default of policy "${this.#defaultPolicy ?? ''}" is deny. Add an allow rule for it if it should run.`
        : `No rule matched tool "${tool}"; every policy's default is allow.`;
    return this.#decision(effect, null, this.#defaultPolicy, reason, [], errors);
  }

  #invalid(message: string): Decision {
    return this.#decision('deny', null, null, 'invalid_request', [], [{ code: 'invalid_request', rule: null, policy: null, message: `${message}; the request was denied without evaluating rules` }]);
  }

  #decision(effect: Effect, rule: string | null, policy: string | null, reason: string, approvers: string[], errors: DecisionError[]): Decision {
    return { effect, allowed: effect === 'allow' || effect === 'warn', rule, policy, reason, approvers, errors, policyDigest: this.digest };
  }
}

/** true: the rule applies; false: it does not; string: evaluation failed (the message). */
function evaluateRule(rule: CompiledRule, activation: Record<string, unknown>, facets: FacetRuntime | null, cel: CelRequest): boolean | string {
  if (rule.when) {
    const w = runCondition(rule.when, activation, rule, facets, cel);
    if (w !== true) return w;
  }
  if (rule.unless) {
    const u = runCondition(rule.unless, activation, rule, facets, cel);
    if (typeof u === 'string') return u;
    return !u;
  }
  return true;
}

function runCondition(
  cond: (a: Record<string, unknown>) => unknown,
  activation: Record<string, unknown>,
  rule: CompiledRule,
  facets: FacetRuntime | null,
  cel: CelRequest,
): boolean | string {
  if (facets) {
    for (const v of rule.variables) {
      if (!facets.variableNames.has(v)) continue;
      const failed = activation[`!${v}`];
      if (typeof failed === 'string') return failed;
      if (v in activation) continue;
      const computed = facets.compute(v, cel);
      // invariant: each facet is computed at most once per decision; a failure is remembered too.
      if ('error' in computed) {
        activation[`!${v}`] = computed.error;
        return computed.error;
      }
      activation[v] = computed.value;
    }
  }
  let result: unknown;
  try {
    result = cond(activation);
  } catch (e) {
    return celModule().evaluationMessage(e);
  }
  if (result === true || result === false) return result;
  return `the condition returned ${describeValue(result)}, not a bool`;
}

/** The validated request as plain data (objects without prototype) for a backend. */
function backendInput(cel: CelRequest, options: DecideOptions): BackendInput {
  const input: BackendInput = {
    tool: cel.tool,
    args: plain(cel.args) as Record<string, unknown>,
    agent: plain(cel.agent) as Record<string, unknown>,
    context: plain(cel.context) as Record<string, unknown>,
  };
  if (options.now instanceof Date && !Number.isNaN(options.now.getTime())) input.now = options.now;
  return input;
}

function plain(v: unknown): unknown {
  if (v instanceof Map) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of v as Map<string, unknown>) out[k] = plain(x);
    return out;
  }
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** Effects by restrictiveness (lower wins), as EFFECT_RANK orders them. */
const EFFECT_ORDER: Readonly<Record<Effect, number>> = Object.freeze({ deny: 0, require_approval: 1, warn: 2, allow: 3 });

/** A backend's answer, checked: anything but the documented shape is an error (and so a deny). */
function checkVerdict(v: unknown): BackendVerdict {
  if (v === null || typeof v !== 'object') throw new Error(`the engine answered ${v === null ? 'null' : typeof v}, not a verdict`);
  const o = v as Record<string, unknown>;
  if (o.effect !== null && o.effect !== 'allow' && o.effect !== 'deny' && o.effect !== 'require_approval') throw new Error(`the engine answered effect ${JSON.stringify(o.effect)}; expected allow, deny, require_approval or null`);
  if (o.rule !== null && typeof o.rule !== 'string') throw new Error('the engine answered a rule that is not a string');
  if (o.reason !== undefined && o.reason !== null && typeof o.reason !== 'string') throw new Error('the engine answered a reason that is not a string');
  if (o.approvers !== undefined && (!Array.isArray(o.approvers) || o.approvers.some((a) => typeof a !== 'string'))) throw new Error('the engine answered approvers that are not a list of strings');
  return o as unknown as BackendVerdict;
}

function explainBackend(policy: string, evaluator: BackendEvaluator, cel: CelRequest, options: DecideOptions): RuleExplanation {
  try {
    const v = checkVerdict(evaluator.decide(backendInput(cel, options)));
    if (v.effect === null) return { policy, rule: '(no opinion)', effect: 'allow', status: 'not_matched', line: 0 };
    return { policy, rule: v.rule ?? '(policy)', effect: v.effect, status: 'matched', line: 0 };
  } catch (e) {
    return { policy, rule: '(evaluation)', effect: 'deny', status: 'error', appliedOnError: true, error: e instanceof Error ? e.message : String(e), line: 0 };
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Map) return 'a map';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v === 'bigint' ? 'int' : typeof v}`;
}

const REASON_VERBS: Readonly<Record<CompiledRule['effect'], string>> = { allow: 'allows', deny: 'denies', require_approval: 'requires approval for', warn: 'allows with a warning' };

function defaultReason(rule: CompiledRule): string {
  const verb = REASON_VERBS[rule.effect];
  return `Rule "${rule.name}" of policy "${rule.policy}" ${verb} this call.`;
}

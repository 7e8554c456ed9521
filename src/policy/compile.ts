/**
 * Compiling policy sources into a PolicySet: parse, validate, compile conditions once.
 * A source with any error is never partly applied: compilePolicy throws PolicyLoadError.
 */
import { sha256Hex } from '../lib/hash.js';
import { ConditionCompiler, ConditionError, type CompiledCondition, type ConditionInfo } from './cel.js';
import { EFFECT_RANK, type CompiledRule } from './compiled-rule.js';
import { readPolicyDocument, type ConditionSpec, type PolicySpec, type RuleSpec } from './document.js';
import { isAgtDocument, readAgtDocument } from './agt.js';
import type { BackendDocument, BackendEvaluator, PolicyBackends } from './backend.js';
import { backendLanguageOf, readBackendDocument } from './backend-document.js';
import { isPolicyDataDocument, policyDataTree, readPolicyDataDocument, type PolicyDataEntry } from './policy-data.js';
import { compileGlob, literalOf, type GlobMatcher } from '../lib/glob.js';
import { PolicyLoadError, type PolicyIssue } from './issues.js';
import { resolveRequestLimits, type RequestLimits } from './limits.js';
import { count, positionAt, raiseHint, resolveLoadLimits, type LoadLimits } from './load-limits.js';
import { COMPILE_OPTION_KEYS } from './compile-options.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { PolicySet, type PolicyInfo } from './policy-set.js';
import { parseSource, type NodeReader } from './yaml-reader.js';
import { parseJsonSource } from './json-source.js';
import { facetFunctions } from '../facets/functions.js';
import { FACET_VARIABLES, FacetEngine } from '../facets/runtime.js';
import type { FacetBinding } from '../facets/bindings.js';
import type { ArgumentDetector, RealpathResolver } from '../facets/types.js';
import type { SqlDialect, SqlParsers } from '../facets/sql-parsers.js';
import { compileLimitIndex, type LimitPlan, type ToolLabelPlan } from './limit-compile.js';
import { detectorIssues, digestOfTextDigests, PLAN_FORMAT, sqlParserIssues, type ConditionPlan, type SqlLoadFailure, type PolicyPlan, type RulePlan } from './plan.js';

/** One policy source: text (YAML or JSON) or an already-built document object. */
export type PolicySource = { name: string; text: string } | { name: string; document: unknown };

/**
 * Options for compilation. Unknown keys (here and in `limits` and `loadLimits`) are refused with
 * `ERR_OPTIONS`.
 *
 * @example
 * ```ts
 * const options: CompileOptions = { limits: { maxDepth: 16 }, loadLimits: { maxRules: 50_000 } };
 * ```
 */
export interface CompileOptions {
  /** Request limits; defaults to DEFAULT_LIMITS. */
  limits?: Partial<RequestLimits>;
  /** Limits on the sources a load accepts (size, rules, condition text); defaults to DEFAULT_LOAD_LIMITS. */
  loadLimits?: Partial<LoadLimits>;
  /** Answers `realpath: true` path bindings (loadPolicyFiles() injects one over the file system). */
  resolver?: RealpathResolver;
  /**
   * The loaded SQL parsers (`await loadSqlParsers()`), needed when a policy binds the sql facet:
   * compiling such a policy without them, or without one of its dialects, is a load error.
   * loadPolicyFiles() loads the dialects the policy binds.
   */
  sqlParsers?: SqlParsers;
  /**
   * The engines for `kind: CedarPolicy` and `kind: RegoPolicy` documents (src/backends builds them;
   * loadPolicyFiles() attaches the ones its sources need). Such a document without its engine is a
   * load error.
   */
  backends?: PolicyBackends;
  /**
   * Scans arguments for the `detect` variable (`argumentDetector` from agent-warden/detect):
   * needed when a rule reads `detect`; compiling such a policy without it is a load error.
   * loadPolicyFiles() injects it.
   */
  detector?: ArgumentDetector;
}

export { COMPILE_OPTION_KEYS, compileOptionsOf } from './compile-options.js';

/**
 * A policy compiled up to its facets: the SQL dialects it binds are known, so the caller can load
 * exactly those parsers before completing it. Internal to loadPolicyFiles() and the hook's cache.
 *
 * @example
 * ```ts
 * const staged = stagePolicy(sources, [], {});
 * const set = staged.complete(staged.sqlDialects.size > 0 ? await loadSqlParsers({ dialects: [...staged.sqlDialects] }) : undefined);
 * ```
 */
export interface StagedPolicy {
  /** The SQL dialects the set's bindings use. */
  readonly sqlDialects: ReadonlySet<SqlDialect>;
  /** True when some rule reads `detect` (so the caller can load the detector before completing). */
  readonly readsDetect: boolean;
  /**
   * The PolicySet, with `sqlParsers` for its sql bindings. `loadFailure` says why parsers could
   * not be loaded, for the load error of each binding left without them.
   * @throws PolicyLoadError when the set binds sql and `sqlParsers` is missing or lacks a dialect.
   */
  complete(sqlParsers: SqlParsers | undefined, loadFailure?: SqlLoadFailure): PolicySet;
}

/**
 * Compiles policy sources into an immutable PolicySet.
 *
 * @example
 * ```ts
 * const set = compilePolicy([{ name: 'policy.yaml', text: fs.readFileSync('policy.yaml', 'utf8') }]);
 * set.decide({ tool: 'read_file', args: {} });
 * ```
 * @throws PolicyLoadError listing every error with file:line:col.
 */
export function compilePolicy(sources: readonly PolicySource[], options?: CompileOptions | null): PolicySet {
  return compileSources(sources, options, []).complete(options?.sqlParsers);
}

/**
 * Compiles policy sources plus facet bindings an enforcement point supplies for its host's tools
 * (the Claude Code hook binds `Bash` to the shell facet, `Read` to the path facet with the project
 * as root, ...). A supplied binding applies to a tool only where no binding of the documents feeds
 * the same facet to that tool, so a policy's own `facets:` always win. Supplied bindings name
 * literal tools; they are not part of the digest (it covers the sources).
 *
 * @example
 * ```ts
 * const bash = { facet: 'shell', tools: ['Bash'], from: parseArgPath('args.command')!, pos: { file: '(hook)', line: 0, col: 0 } } as const;
 * const set = compilePolicyWithBindings([{ name: 'policy.yaml', text }], [bash]);
 * ```
 * @throws PolicyLoadError listing every error with file:line:col.
 */
export function compilePolicyWithBindings(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options?: CompileOptions | null): PolicySet {
  return compileSources(sources, options, bindings).complete(options?.sqlParsers);
}

/**
 * Compiles everything but the facets, so the SQL parsers a set needs can be loaded before it is
 * completed (loadPolicyFiles() and the Claude Code hook use it; `options.sqlParsers` is ignored:
 * pass them to `complete`).
 *
 * @example
 * ```ts
 * const staged = stagePolicy(await readPolicySources(paths), [], { resolver: fsRealpathResolver });
 * const set = staged.complete(await loadSqlParsers({ dialects: [...staged.sqlDialects] }));
 * ```
 * @throws PolicyLoadError listing every error with file:line:col.
 */
export function stagePolicy(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options?: CompileOptions | null): StagedPolicy {
  return compileSources(sources, options, bindings);
}

/**
 * Stages like {@link stagePolicy} and also returns the compiled policy as a plan: plain data that
 * stagePlan() turns back into the same staged policy without YAML or validation (what the on-disk
 * policy cache stores). The plan does not depend on the SQL parsers: they complete either.
 *
 * @example
 * ```ts
 * const { staged, plan } = stagePolicyPlan([{ name: 'policy.yaml', text }], []);
 * const same = stagePlan(JSON.parse(JSON.stringify(plan))).complete(undefined);
 * ```
 * @throws PolicyLoadError listing every error with file:line:col.
 */
export function stagePolicyPlan(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options?: CompileOptions | null): { staged: StagedPolicy; plan: PolicyPlan } {
  const staged = compileSources(sources, options, bindings);
  return { staged, plan: staged.plan };
}

/**
 * Compiles like {@link compilePolicyWithBindings} and also returns the plan (see stagePolicyPlan).
 *
 * @example
 * ```ts
 * const { set, plan } = compilePolicyPlan([{ name: 'policy.yaml', text }], []);
 * ```
 * @throws PolicyLoadError listing every error with file:line:col.
 */
export function compilePolicyPlan(sources: readonly PolicySource[], bindings: readonly FacetBinding[], options?: CompileOptions | null): { set: PolicySet; plan: PolicyPlan } {
  const staged = compileSources(sources, options, bindings);
  return { set: staged.complete(options?.sqlParsers), plan: staged.plan };
}

/**
 * For analysis that never decides a real request (lint): a set whose sql bindings, when no parsers
 * are given, report every input as not parsed instead of refusing to load.
 *
 * @internal
 * @example
 * ```ts
 * const set = compilePolicyForAnalysis(sources, options);
 * ```
 */
export function compilePolicyForAnalysis(sources: readonly PolicySource[], options?: CompileOptions | null, bindings: readonly FacetBinding[] = []): PolicySet {
  return compileSources(sources, options, bindings).complete(options?.sqlParsers, undefined, true);
}

function compileSources(
  sources: readonly PolicySource[],
  options: CompileOptions | null | undefined,
  supplied: readonly FacetBinding[],
): StagedPolicy & { plan: PolicyPlan; complete(sqlParsers: SqlParsers | undefined, loadFailure?: SqlLoadFailure, analysisOnly?: boolean): PolicySet } {
  options ??= {};
  rejectUnknownKeys(options, COMPILE_OPTION_KEYS, 'ERR_OPTIONS', 'compile options');
  const limits = resolveRequestLimits(options.limits);
  const load = resolveLoadLimits(options.loadLimits);
  if (!Array.isArray(sources)) {
    throw new PolicyLoadError([{ severity: 'error', code: 'bad_sources', file: '(input)', line: 0, col: 0, message: 'compilePolicy takes a list of sources: [{ name, text }] or [{ name, document }].' }]);
  }
  const issues: PolicyIssue[] = [];
  const specs: Array<{ spec: PolicySpec; reader: NodeReader; source: string }> = [];
  const backendDocs: Array<{ doc: BackendDocument; reader: NodeReader }> = [];
  const digests: string[] = [];
  const dataEntries: PolicyDataEntry[] = [];
  let totalChars = 0;
  for (const [n, source] of sources.entries()) {
    const bad = sourceProblem(source);
    if (bad !== null) {
      issues.push({ severity: 'error', code: 'bad_sources', file: `(source ${n})`, line: 0, col: 0, message: bad });
      continue;
    }
    const text = 'text' in source ? source.text : documentText(source.document);
    digests.push(sha256Hex(text));
    // invariant: every size limit is checked before the source is parsed (the expensive part).
    if (text.length <= load.maxSourceChars && totalChars + text.length > load.maxTotalSourceChars) {
      const room = load.maxTotalSourceChars - totalChars;
      issues.push({
        severity: 'error',
        code: 'too_large',
        ...positionAt(text, room, source.name),
        message: `The sources of this load hold more than ${count(load.maxTotalSourceChars)} characters together, crossed here. ${raiseHint('maxTotalSourceChars')}`,
      });
      continue;
    }
    totalChars += text.length;
    // Plain JSON (a .json file, a document object) takes the fast reader; anything else, or any
    // doubt, the YAML parser. Both give the same nodes and positions.
    const { reader, documents } = (text.length <= load.maxSourceChars ? parseJsonSource(source.name, text) : null) ?? parseSource(source.name, text, load.maxSourceChars, raiseHint('maxSourceChars'));
    if (documents.length === 0 && reader.issues.length === 0) {
      reader.error(0, 'empty_source', 'The source holds no policy document. Write one (warden init writes a starter) or remove the file.');
    }
    for (const doc of documents) {
      if (doc.errors.length > 0) continue;
      // Data documents hold no rules: their values go into the data tree Rego documents read.
      if (isPolicyDataDocument(doc)) {
        const entry = readPolicyDataDocument(doc, reader);
        if (entry) dataEntries.push(entry);
        continue;
      }
      // Cedar and Rego documents are read here and evaluated by their injected engine.
      const language = backendLanguageOf(doc);
      if (language !== null) {
        const backend = readBackendDocument(doc, reader, language, source.name);
        if (backend) backendDocs.push({ doc: backend, reader });
        continue;
      }
      // AGT (Agent Governance Toolkit) documents load as they are, with that format's semantics.
      const spec = isAgtDocument(doc) ? readAgtDocument(doc, reader) : readPolicyDocument(doc, reader);
      if (spec) specs.push({ spec, reader, source: source.name });
    }
    issues.push(...reader.issues.splice(0));
  }
  const seen = new Map<string, string>();
  for (const { spec, reader } of [...specs, ...backendDocs.map((b) => ({ spec: b.doc, reader: b.reader }))]) {
    const prior = seen.get(spec.name);
    if (prior !== undefined) {
      issues.push({ severity: 'error', code: 'duplicate_policy', ...spec.pos, message: `Policy name "${spec.name}" is already used in ${prior}; give each policy document a unique name.` });
    }
    seen.set(spec.name, `${reader.file}:${spec.pos.line}`);
  }
  // Counted on the read documents, before any condition is compiled.
  const oversize = sizeIssues(specs, load);
  if (oversize.length > 0) throw new PolicyLoadError([...issues, ...oversize]);
  const compiler = sharedConditions(new ConditionCompiler({ variables: FACET_VARIABLES, functions: facetFunctions() }));
  const rules: CompiledRule[] = [];
  // What each rule's plan is made of, kept so the plan is built only when a caller asks for it.
  const planParts: PlanParts[] = [];
  for (const { spec, reader } of specs) {
    for (const rule of spec.rules) {
      const compiled = compileRule(rule, spec.name, rules.length, compiler, reader);
      if (compiled) {
        rules.push(compiled.rule);
        planParts.push(compiled.parts);
      }
    }
    if (reader.issues.length > 0) issues.push(...reader.issues.splice(0));
  }
  const data = dataEntries.length > 0 ? policyDataTree(dataEntries, issues) : null;
  if (data !== null) for (const b of backendDocs) if (b.doc.language === 'rego') b.doc.data = data;
  const backends = issues.some((i) => i.severity === 'error') ? [] : loadBackends(backendDocs, options.backends, issues);
  const { limitRules, toolLabels, known } = limitPlansOf(specs.map((s) => s.spec));
  const flow = compileLimitIndex(limitRules, toolLabels, known, issues);
  if (issues.some((i) => i.severity === 'error')) throw new PolicyLoadError(issues);
  const policies: PolicyInfo[] = specs.map(({ spec, source }) => ({
    name: spec.name,
    default: spec.default,
    description: spec.description,
    source,
    ruleCount: spec.rules.length,
    inventory: spec.inventory ? [...spec.inventory.names] : null,
    ...(spec.redactSecrets !== undefined ? { redactSecrets: [...spec.redactSecrets] } : {}),
  }));
  for (const { doc } of backendDocs) {
    policies.push({ name: doc.name, default: doc.default, description: doc.description, source: doc.source, ruleCount: 0, inventory: null, language: doc.language });
  }
  const digest = digestOfTextDigests(digests);
  const own = specs.flatMap(({ spec }) => spec.facets);
  const bindings = [...own, ...unboundBy(own, supplied)];
  const sqlBindings = bindings.filter((b): b is FacetBinding & { facet: 'sql' } => b.facet === 'sql');
  const resolver = options.resolver;
  const detector = options.detector;
  let plan: PolicyPlan | undefined;
  return {
    sqlDialects: new Set(sqlBindings.map((b) => b.dialect)),
    readsDetect: rules.some((r) => r.variables.has('detect')),
    // Built on first use: compilePolicy() never reads it, the plan-making entries and the cache do.
    get plan(): PolicyPlan {
      // A plan cannot carry a backend's engine: one with backends is never staged again (stagePlan refuses it).
      plan ??= { format: PLAN_FORMAT, digest, policies, warnings: issues, limits, rules: planParts.map(rulePlan), facets: bindings, limitRules, toolLabels, ...(backends.length > 0 ? { backends: backends.map((b) => b.policy) } : {}) };
      return plan;
    },
    complete(sqlParsers: SqlParsers | undefined, loadFailure?: SqlLoadFailure, analysisOnly = false): PolicySet {
      if (!analysisOnly || sqlParsers !== undefined) {
        const missing = sqlParserIssues(sqlBindings, sqlParsers, loadFailure);
        if (missing.length > 0) throw new PolicyLoadError([...issues, ...missing]);
      }
      if (!analysisOnly) {
        const missing = detectorIssues(rules, detector);
        if (missing.length > 0) throw new PolicyLoadError([...issues, ...missing]);
      }
      const facets = new FacetEngine(bindings, { ...(resolver ? { resolver } : {}), ...(sqlParsers ? { sqlParsers } : {}), ...(detector ? { detector } : {}) });
      return new PolicySet({ digest, policies, rules, warnings: issues, limits, facets, backends, flow });
    },
  };
}

/** Each backend document's evaluator, made by its injected engine; a failure is a load issue at the document. */
function loadBackends(
  docs: ReadonlyArray<{ doc: BackendDocument }>,
  engines: PolicyBackends | undefined,
  issues: PolicyIssue[],
): Array<{ policy: string; evaluator: BackendEvaluator }> {
  const out: Array<{ policy: string; evaluator: BackendEvaluator }> = [];
  for (const { doc } of docs) {
    const engine = engines?.[doc.language];
    const kind = doc.language === 'cedar' ? 'CedarPolicy' : 'RegoPolicy';
    if (engine === undefined) {
      const how =
        doc.language === 'cedar'
          ? 'Load it with loadPolicyFiles() or the warden command (they attach the Cedar engine when @cedar-policy/cedar-wasm is installed), or pass backends: { cedar: await cedarBackend() } from agent-warden/backends.'
          : 'Load it with loadPolicyFiles() or the warden command (they attach the Rego engine when @open-policy-agent/opa-wasm is installed and an opa binary is found), or pass backends: { rego: await regoBackend() } from agent-warden/backends.';
      issues.push({ severity: 'error', code: 'backend_missing', ...doc.pos, message: `${kind} "${doc.name}" needs the ${doc.language === 'cedar' ? 'Cedar' : 'Rego'} engine, which this compile was not given. ${how}` });
      continue;
    }
    try {
      out.push({ policy: doc.name, evaluator: engine(doc) });
    } catch (e) {
      issues.push({ severity: 'error', code: 'backend_error', ...doc.pos, message: `${kind} "${doc.name}" did not load: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return out;
}

/** The limits and flow labels of the documents as plan data, and the tools their inventories name. */
function limitPlansOf(specs: readonly PolicySpec[]): { limitRules: LimitPlan[]; toolLabels: ToolLabelPlan[]; known: Set<string> } {
  const limitRules: LimitPlan[] = [];
  const toolLabels: ToolLabelPlan[] = [];
  const known = new Set<string>();
  for (const spec of specs) {
    for (const n of spec.inventory?.names ?? []) known.add(n);
    for (const l of spec.toolLabels ?? []) toolLabels.push({ tool: l.tool, reads: [...l.reads], ingests: [...l.ingests], egress: l.egress, declassifies: [...l.declassifies] });
    for (const l of spec.limits ?? []) {
      limitRules.push({
        policy: spec.name,
        name: l.name,
        ...(l.description !== undefined ? { description: l.description } : {}),
        tools: l.tools === null ? null : [...l.tools],
        ...(l.when ? { when: l.when.text } : {}),
        key: l.key.map((k) => k.text),
        kind: l.kind,
        limit: l.limit,
        periodMs: l.periodMs,
        burst: l.burst,
        ...(l.amount ? { amount: l.amount.text } : {}),
        pos: l.pos,
      });
    }
  }
  return { limitRules, toolLabels, known };
}

/** The rule-count and condition-size issues of a load, each at the rule or condition that crosses its limit. */
function sizeIssues(specs: ReadonlyArray<{ spec: PolicySpec; reader: NodeReader }>, load: LoadLimits): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  let rules = 0;
  let chars = 0;
  for (const { spec, reader } of specs) {
    for (const rule of spec.rules) {
      rules++;
      if (rules === load.maxRules + 1) {
        out.push({ severity: 'error', code: 'too_large', ...rule.pos, message: `Rule "${rule.name}" is rule number ${count(rules)} of this load; the limit is ${count(load.maxRules)} rules. ${raiseHint('maxRules')}` });
      }
      for (let k = 0; k < 2; k++) {
        const c = k === 0 ? rule.when : rule.unless;
        if (c === undefined || chars > load.maxConditionChars) continue;
        chars += c.text.length;
        if (chars > load.maxConditionChars) {
          out.push({
            severity: 'error',
            code: 'too_large',
            ...reader.pos(c.node),
            message: `The conditions of this load hold more than ${count(load.maxConditionChars)} characters together, crossed in rule "${rule.name}". ${raiseHint('maxConditionChars')}`,
          });
        }
      }
    }
  }
  return out;
}

/** The supplied bindings, each narrowed to the tools no own binding of its facet covers. */
function unboundBy(own: readonly FacetBinding[], supplied: readonly FacetBinding[]): FacetBinding[] {
  if (supplied.length === 0) return [];
  const ownGlobs = own.map((b) => ({ facet: b.facet, globs: b.tools.map((t) => compileGlob(t)) }));
  const out: FacetBinding[] = [];
  for (const b of supplied) {
    const tools = b.tools.filter((t) => !ownGlobs.some((o) => o.facet === b.facet && o.globs.some((g) => g.test(t))));
    if (tools.length > 0) out.push({ ...b, tools });
  }
  return out;
}

function sourceProblem(source: unknown): string | null {
  if (source === null || typeof source !== 'object') return 'A policy source must be an object { name, text } or { name, document }.';
  const s = source as { name?: unknown; text?: unknown; document?: unknown };
  if (typeof s.name !== 'string' || s.name.length === 0) return 'A policy source needs a non-empty name (a file path or label).';
  if ('text' in s) return typeof s.text === 'string' ? null : `The text of source ${s.name} must be a string.`;
  if ('document' in s) return null;
  return `Source ${s.name} has neither text nor document.`;
}

function documentText(document: unknown): string {
  try {
    return JSON.stringify(document, null, 2) ?? 'null';
  } catch (e) {
    return `# could not serialize the document: ${e instanceof Error ? e.message : String(e)}\n!invalid`;
  }
}

/** One distinct condition text, compiled: every rule that writes the same text gets this. */
interface SharedCondition {
  readonly evaluate: CompiledCondition;
  readonly info: ConditionInfo;
}

/**
 * A compiler that compiles each distinct condition text once per compile (rules often repeat one).
 * invariant: what is shared depends on the text alone (the closure, what the text reads); all that
 * is the rule's own (its name, position, part, issues) stays with the rule.
 */
interface SharedConditions {
  compile(text: string): SharedCondition;
}

function sharedConditions(compiler: ConditionCompiler): SharedConditions {
  const done = new Map<string, SharedCondition>();
  return {
    compile(text) {
      const hit = done.get(text);
      if (hit !== undefined) return hit;
      // A text that fails throws here, for every rule that uses it (each gets its own issue).
      const compiled = compiler.compile(text);
      done.set(text, compiled);
      return compiled;
    },
  };
}

/** What a rule's plan is made of; the plan itself is built only when asked for (see compileSources). */
interface PlanParts {
  readonly rule: RuleSpec;
  readonly policy: string;
  readonly order: number;
  readonly when: ConditionInfo | undefined;
  readonly unless: ConditionInfo | undefined;
}

const NO_APPROVERS: readonly string[] = Object.freeze([]);

function compileRule(rule: RuleSpec, policy: string, order: number, compiler: SharedConditions, reader: NodeReader): { rule: CompiledRule; parts: PlanParts } | null {
  const exact: string[] = [];
  const globs: GlobMatcher[] = [];
  let ok = true;
  const tools = rule.tools;
  if (tools !== null) {
    for (let i = 0; i < tools.length; i++) {
      const t = tools[i] as string;
      const literal = literalOf(t);
      if (literal !== null) exact.push(literal);
      else {
        try {
          globs.push(compileGlob(t));
        } catch (e) {
          reader.issues.push({ severity: 'error', code: 'bad_glob', ...(rule.toolPos[i] ?? rule.pos), message: `tools of rule "${rule.name}": ${e instanceof Error ? e.message : String(e)}` });
          ok = false;
        }
      }
    }
  }
  const when = rule.when === undefined ? undefined : condition(rule.when, 'when', rule, compiler, reader);
  const unless = rule.unless === undefined ? undefined : condition(rule.unless, 'unless', rule, compiler, reader);
  if (when === null || unless === null || !ok) return null;
  if (rule.effect === 'allow' && rule.tools === null && !rule.when && !rule.unless) {
    reader.issues.push({ severity: 'warning', code: 'allow_all', ...rule.pos, message: `Rule "${rule.name}" allows every tool with no condition; deny rules are then the only control. Scope it with tools: or add a when: condition.` });
  }
  if (rule.effect === 'require_approval' && rule.approvers.length === 0) {
    reader.issues.push({ severity: 'warning', code: 'no_approvers', ...rule.pos, message: `Rule "${rule.name}" requires approval but names no approvers, so the Governor denies every call it covers. Add approvers: [...].` });
  }
  const whenConst = when?.info.constant;
  const unlessConst = unless?.info.constant;
  if (whenConst === false || unlessConst === true) {
    reader.issues.push({ severity: 'warning', code: 'never_matches', ...rule.pos, message: `Rule "${rule.name}" can never match: its ${whenConst === false ? 'when is always false' : 'unless is always true'}. Remove it or fix the condition.` });
  }
  const whenInfo = when?.info;
  const unlessInfo = unless?.info;
  const compiled: CompiledRule = Object.freeze({
    policy,
    name: rule.name,
    effect: rule.effect,
    rank: EFFECT_RANK[rule.effect],
    order,
    reason: rule.reason,
    description: rule.description,
    approvers: rule.approvers.length === 0 ? NO_APPROVERS : Object.freeze([...rule.approvers]),
    exactTools: tools === null ? null : Object.freeze(exact),
    globTools: Object.freeze(globs),
    when: when?.evaluate,
    unless: unless?.evaluate,
    whenText: rule.when?.text,
    unlessText: rule.unless?.text,
    // A rule with one condition reads what that text reads: the sets are the shared condition's
    // (read-only to everyone, like the rule); with two, their union, `when` first.
    variables: union(whenInfo?.variables, unlessInfo?.variables),
    reads: union(whenInfo?.reads, unlessInfo?.reads),
    guards: union(whenInfo?.guards, unlessInfo?.guards),
    pos: rule.pos,
  });
  return { rule: compiled, parts: { rule, policy, order, when: whenInfo, unless: unlessInfo } };
}

/** The plan of one compiled rule. */
function rulePlan(p: PlanParts): RulePlan {
  const { rule, when, unless } = p;
  const plan: RulePlan = {
    policy: p.policy,
    name: rule.name,
    effect: rule.effect,
    order: p.order,
    ...(rule.reason !== undefined ? { reason: rule.reason } : {}),
    ...(rule.description !== undefined ? { description: rule.description } : {}),
    approvers: [...rule.approvers],
    tools: rule.tools === null ? null : [...rule.tools],
    ...(rule.when && when ? { when: conditionPlan(rule.when.text, when) } : {}),
    ...(rule.unless && unless ? { unless: conditionPlan(rule.unless.text, unless) } : {}),
    pos: rule.pos,
  };
  return plan;
}

/**
 * The members of both (either may be absent), in the order `[...a, ...b]` gives: the one set itself
 * when only one is there, a new set otherwise.
 */
function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> {
  if (b === undefined && a !== undefined) return a;
  if (a === undefined && b !== undefined) return b;
  const out = new Set(a);
  if (b) for (const x of b) out.add(x);
  return out;
}

function conditionPlan(text: string, info: ConditionInfo): ConditionPlan {
  return { text, variables: [...info.variables], reads: [...info.reads], guards: [...info.guards] };
}

/** The compiled condition; null when it failed to compile (issue recorded). */
function condition(spec: ConditionSpec, part: 'when' | 'unless', rule: RuleSpec, compiler: SharedConditions, reader: NodeReader): SharedCondition | null {
  try {
    return compiler.compile(spec.text);
  } catch (e) {
    if (e instanceof ConditionError) {
      const pos = reader.posInScalar(spec.node, e.offset);
      const code = { syntax: 'cel_syntax', type: 'cel_type', banned: 'cel_banned_function', cost: 'cel_cost', pattern: 'bad_pattern' }[e.kind];
      reader.issues.push({ severity: 'error', code, ...pos, message: `${part} of rule "${rule.name}": ${e.message}` });
    } else {
      reader.issues.push({ severity: 'error', code: 'cel_error', ...reader.pos(spec.node), message: `${part} of rule "${rule.name}" could not be compiled: ${e instanceof Error ? e.message : String(e)}` });
    }
    return null;
  }
}

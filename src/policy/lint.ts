/**
 * Static analysis of policies (`warden lint`) and the comparison of two policy sets (`warden diff`).
 *
 * Everything here is pure: it reads a compiled PolicySet and the sources it was compiled from,
 * and returns findings. The checks reason conservatively about tool scopes: a rule is reported as
 * overridden only when the overriding rule provably covers every tool it names, never on a guess.
 */
import { pathToFileURL } from 'node:url';
import { Environment } from '@marcbachmann/cel-js';
import { BOUND_FACETS } from '../facets/bindings.js';
import { EMPTY_K8S_FACTS } from '../facets/k8s.js';
import { EMPTY_PATH_FACTS } from '../facets/path.js';
import { toCel } from '../facets/runtime.js';
import { EMPTY_SHELL_FACTS } from '../facets/shell.js';
import { EMPTY_SQL_FACTS } from '../facets/sql.js';
import { isAgtDocument, readAgtDocument } from './agt.js';
import { COMPILE_OPTION_KEYS, compileOptionsOf, compilePolicyForAnalysis, type CompileOptions, type PolicySource } from './compile.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { CompiledRule } from './compiled-rule.js';
import { readPolicyDocument, type ConditionSpec, type PolicySpec, type RuleSpec } from './document.js';
import { compileGlob, literalOf, type GlobMatcher } from '../lib/glob.js';
import { PolicyLoadError } from './issues.js';
import type { PolicySet } from './policy-set.js';
import type { Effect } from '../decision.js';
import { closest, parseSource, type NodeReader, type SourcePos } from './yaml-reader.js';

/** How much a finding matters: errors stop the policy from loading; infos never fail a build. */
export type LintSeverity = 'error' | 'warning' | 'info';

/**
 * One finding: what is wrong, where (file:line:col), and the fix, in `message`.
 *
 * @example
 * ```ts
 * const f: LintFinding = { severity: 'warning', code: 'shadowed_rule', file: 'p.yaml', line: 9, col: 5, message: 'Rule "allow-writes" never decides: ...', policy: 'p', rule: 'allow-writes' };
 * ```
 */
export interface LintFinding {
  severity: LintSeverity;
  /** Stable code (`shadowed_rule`, `unguarded_facet`, ... and every load error and warning code). */
  code: string;
  file: string;
  line: number;
  col: number;
  message: string;
  /** The policy document the finding is about, when it is about one. */
  policy?: string;
  /** The rule the finding is about, when it is about one. */
  rule?: string;
  /** Other places the finding refers to (the overriding rule, the first of two duplicates). */
  related?: SourcePos[];
}

/**
 * The result of linting a set of sources.
 *
 * @example
 * ```ts
 * const report = lintPolicy([{ name: 'p.yaml', text }]);
 * if (report.errors > 0) process.exitCode = 1;
 * ```
 */
export interface LintReport {
  /** True when the sources compiled; false when load errors stopped the analysis. */
  loaded: boolean;
  /** Rules in the compiled set (0 when it did not load). */
  rules: number;
  /** Every finding, sorted by file, line, column and code. */
  findings: LintFinding[];
  errors: number;
  warnings: number;
  infos: number;
}

/** Options for {@link lintPolicy} and {@link analyzePolicySet}. */
export interface LintOptions extends CompileOptions {
  /**
   * Most scope comparisons the pairwise checks may make (default 5,000,000). Past it they stop and
   * a `lint_truncated` info says so, so a huge policy never makes lint hang.
   */
  maxComparisons?: number;
}

/** What a check finds and how to read it: the catalogue behind `docs/lint.md` and the SARIF rules. */
export interface LintCheck {
  severity: LintSeverity;
  /** One line: what the finding means. */
  summary: string;
}

/**
 * Every finding code lint itself produces, plus the compile-time warnings it passes through.
 * Load errors keep the codes the loader gives them (`unknown_key`, `cel_syntax`, ...).
 *
 * @example
 * ```ts
 * LINT_CHECKS.shadowed_rule.severity; // 'warning'
 * ```
 */
export const LINT_CHECKS: Readonly<Record<string, LintCheck>> = Object.freeze({
  shadowed_rule: { severity: 'warning', summary: 'A rule never decides: a more restrictive rule with no condition covers every tool it names.' },
  unknown_tool: { severity: 'warning', summary: 'A tool name or glob matches nothing the tools: inventory declares.' },
  duplicate_definition: { severity: 'warning', summary: 'Two rules have the same effect, tools and conditions; the later one never decides.' },
  unguarded_facet: { severity: 'warning', summary: 'A rule reads a facet for tools where no deny rule tests that the facet parsed.' },
  unbound_facet: { severity: 'warning', summary: 'A rule reads a facet for tools no facets: binding feeds, so it only ever sees the empty value.' },
  backtracking_regex: { severity: 'info', summary: 'A regular expression repeats a repetition: linear under RE2, catastrophic in a backtracking engine.' },
  lint_truncated: { severity: 'info', summary: 'The policy is so large that the pairwise checks stopped early.' },
  allow_all: { severity: 'warning', summary: 'An allow rule covers every tool with no condition.' },
  no_approvers: { severity: 'warning', summary: 'A require_approval rule names no approvers, so every call it covers is denied.' },
  never_matches: { severity: 'warning', summary: 'A rule condition is constant, so the rule can never match.' },
});

const DEFAULT_MAX_COMPARISONS = 5_000_000;

const LINT_OPTION_KEYS = [...COMPILE_OPTION_KEYS, 'maxComparisons'];

/**
 * Compiles `sources` and analyzes them: every load error (when they do not load), every compile
 * warning, and the findings of {@link analyzePolicySet}. Never throws for a bad policy.
 *
 * @example
 * ```ts
 * const report = lintPolicy([{ name: 'policy.yaml', text: fs.readFileSync('policy.yaml', 'utf8') }]);
 * for (const f of report.findings) console.log(formatFinding(f));
 * ```
 */
export function lintPolicy(sources: readonly PolicySource[], options?: LintOptions | null): LintReport {
  options ??= {};
  rejectUnknownKeys(options, LINT_OPTION_KEYS, 'ERR_POLICY_OPTIONS', 'lint options');
  let set: PolicySet;
  try {
    set = compilePolicyForAnalysis(sources, compileOptionsOf(options));
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) throw e;
    return report(false, 0, [...e.issues]);
  }
  return report(true, set.rules.length, [...set.warnings, ...analyzePolicySet(set, sources, options)]);
}

function report(loaded: boolean, rules: number, findings: LintFinding[]): LintReport {
  findings.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.col - b.col || cmp(a.code, b.code) || cmp(a.message, b.message));
  const count = (s: LintSeverity): number => findings.filter((f) => f.severity === s).length;
  return { loaded, rules, findings, errors: count('error'), warnings: count('warning'), infos: count('info') };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Formats a finding as `file:line:col: severity[code]: message`.
 *
 * @example
 * ```ts
 * formatFinding({ severity: 'info', code: 'backtracking_regex', file: 'p.yaml', line: 4, col: 11, message: '...' });
 * // 'p.yaml:4:11: info[backtracking_regex]: ...'
 * ```
 */
export function formatFinding(f: LintFinding): string {
  return `${f.file}:${f.line}:${f.col}: ${f.severity}[${f.code}]: ${f.message}`;
}

// ---------------------------------------------------------------------------------------------
// Tool scopes: what set of tool names a rule (or a binding) covers, and when one provably covers
// another. "Covers" must never be claimed when it is not certain.

/** One piece of a scope: every tool, one literal name, or one glob. */
type Atom = { kind: 'all' } | { kind: 'literal'; name: string } | { kind: 'glob'; glob: GlobMatcher };

interface Scope {
  all: boolean;
  literals: readonly string[];
  globs: readonly GlobMatcher[];
}

function scopeOf(rule: CompiledRule): Scope {
  return rule.exactTools === null ? { all: true, literals: [], globs: [] } : { all: false, literals: rule.exactTools, globs: rule.globTools };
}

function atomsOf(scope: Scope): Atom[] {
  if (scope.all) return [{ kind: 'all' }];
  return [...scope.literals.map((name): Atom => ({ kind: 'literal', name })), ...scope.globs.map((glob): Atom => ({ kind: 'glob', glob }))];
}

function atomText(a: Atom): string {
  return a.kind === 'all' ? 'every tool' : a.kind === 'literal' ? a.name : a.glob.pattern;
}

function coversAtom(scope: Scope, atom: Atom): boolean {
  if (scope.all) return true;
  if (atom.kind === 'all') return scope.globs.some((g) => matchesEverything(g.pattern));
  if (atom.kind === 'literal') return scope.literals.includes(atom.name) || scope.globs.some((g) => g.test(atom.name));
  return scope.globs.some((g) => globCovers(g.pattern, atom.glob.pattern));
}

/** A pattern of stars only, with a `**` in it, matches every string. */
function matchesEverything(pattern: string): boolean {
  return /^\*+$/.test(pattern) && pattern.length >= 2;
}

/** The literal text before the first special character of a glob. */
function literalPrefix(pattern: string): string {
  const i = pattern.search(/[*?[\\]/);
  return i < 0 ? pattern : pattern.slice(0, i);
}

/** Every string `pattern` matches is free of `/` (so a single `*` can stand for it). */
function slashFree(pattern: string): boolean {
  return !pattern.includes('/') && !pattern.includes('**');
}

/**
 * True only when every name `inner` matches is certainly matched by `outer`. Sound, not complete:
 * identical patterns; `**`; `*` over a slash-free pattern; and `P*` / `P**` (P literal) over a
 * pattern that starts with the literal P (slash-free after P, for a single star).
 */
export function globCovers(outer: string, inner: string): boolean {
  if (outer === inner || matchesEverything(outer)) return true;
  const prefix = literalPrefix(inner);
  if (outer.endsWith('**')) {
    const p = outer.slice(0, -2);
    return literalOf(p) === p && prefix.startsWith(p);
  }
  if (outer.endsWith('*')) {
    const p = outer.slice(0, -1);
    return literalOf(p) === p && prefix.startsWith(p) && slashFree(inner.slice(p.length));
  }
  return false;
}

/** Two globs whose literal prefixes diverge share no name. */
function globsDisjoint(a: string, b: string): boolean {
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  return !pa.startsWith(pb) && !pb.startsWith(pa);
}

function unconditional(rule: CompiledRule): boolean {
  const w = rule.whenText?.trim();
  const u = rule.unlessText?.trim();
  return (w === undefined || w === 'true') && (u === undefined || u === 'false');
}

function toolsText(rule: CompiledRule): string {
  if (rule.exactTools === null) return 'every tool';
  return `[${[...rule.exactTools, ...rule.globTools.map((g) => g.pattern)].join(', ')}]`;
}

function where(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

// ---------------------------------------------------------------------------------------------
// The sources, read again for what the compiled rules do not carry: where each tool entry and each
// condition is written, and the facet bindings.

interface SourceRule {
  spec: RuleSpec;
  reader: NodeReader;
}

interface SourceView {
  rules: Map<string, SourceRule>;
  specs: PolicySpec[];
}

function ruleKey(policy: string, rule: string): string {
  return `${policy}\u0000${rule}`;
}

function readSources(sources: readonly PolicySource[]): SourceView {
  const rules = new Map<string, SourceRule>();
  const specs: PolicySpec[] = [];
  for (const source of sources) {
    let text: unknown;
    try {
      // The same text the compiler read: a document object is read as its indented JSON.
      text = 'text' in source ? source.text : JSON.stringify(source.document, null, 2);
    } catch {
      continue; // the compiler has reported this source already
    }
    if (typeof text !== 'string') continue;
    const { reader, documents } = parseSource(source.name, text);
    for (const doc of documents) {
      if (doc.errors.length > 0) continue;
      // The same dispatch as the compiler: AGT documents are read in their own format.
      const spec = isAgtDocument(doc) ? readAgtDocument(doc, reader) : readPolicyDocument(doc, reader);
      if (!spec) continue;
      specs.push(spec);
      for (const r of spec.rules) rules.set(ruleKey(spec.name, r.name), { spec: r, reader });
    }
  }
  return { rules, specs };
}

// ---------------------------------------------------------------------------------------------
// Conditions as syntax trees, for the guard and regular-expression checks.

interface AstNode {
  op: string;
  args: unknown;
  start?: number;
}

function isNode(v: unknown): v is AstNode {
  return v !== null && typeof v === 'object' && typeof (v as AstNode).op === 'string';
}

function parseCondition(env: Environment, text: string | undefined): AstNode | null {
  if (text === undefined) return null;
  try {
    const ast = (env.parse(text) as unknown as { ast: unknown }).ast;
    return isNode(ast) ? ast : null;
  } catch {
    return null; // it compiled, so it parses; should this parser disagree, the syntax checks skip it
  }
}

/** The operands of a chain of `op` (`a || b || c` to [a, b, c]). */
function flatten(node: AstNode, op: '||' | '&&'): AstNode[] {
  if (node.op !== op || !Array.isArray(node.args)) return [node];
  return (node.args as unknown[]).filter(isNode).flatMap((n) => flatten(n, op));
}

function isParsedRef(node: unknown, facet: string): boolean {
  if (!isNode(node) || node.op !== '.' || !Array.isArray(node.args)) return false;
  const [object, field] = node.args as [unknown, unknown];
  return field === 'parsed' && isNode(object) && object.op === 'id' && object.args === facet;
}

function isBool(node: unknown, value: boolean): boolean {
  return isNode(node) && node.op === 'value' && node.args === value;
}

/** `<facet>.parsed` is true when the atom is (`f.parsed`, `f.parsed == true`, `!(!f.parsed)`). */
function assertsParsed(node: AstNode, facet: string, parsed: boolean): boolean {
  if (isParsedRef(node, facet)) return parsed;
  if (node.op === '!_' && isNode(node.args)) return assertsParsed(node.args, facet, !parsed);
  if ((node.op === '==' || node.op === '!=') && Array.isArray(node.args)) {
    const [a, b] = node.args as [unknown, unknown];
    const [ref, lit] = isParsedRef(a, facet) ? [a, b] : [b, a];
    if (!isParsedRef(ref, facet)) return false;
    for (const v of [true, false]) {
      if (isBool(lit, v)) return (node.op === '==' ? v : !v) === parsed;
    }
  }
  return false;
}

interface RuleSyntax {
  when: AstNode | null;
  unless: AstNode | null;
}

/** A deny rule that applies whenever the facet did not parse: `when: "!sql.parsed || ..."` or `unless: "sql.parsed && ..."`. */
function isFacetGuard(rule: CompiledRule, syntax: RuleSyntax, facet: string): boolean {
  if (rule.effect !== 'deny') return false;
  if (rule.whenText !== undefined && rule.unlessText === undefined && syntax.when) {
    return flatten(syntax.when, '||').some((n) => assertsParsed(n, facet, false));
  }
  if (rule.whenText === undefined && rule.unlessText !== undefined && syntax.unless) {
    return flatten(syntax.unless, '&&').some((n) => assertsParsed(n, facet, true));
  }
  return false;
}

/** An allow or warn rule that can only apply when the facet parsed. */
function requiresParsed(syntax: RuleSyntax, facet: string): boolean {
  if (syntax.when && flatten(syntax.when, '&&').some((n) => assertsParsed(n, facet, true))) return true;
  return syntax.unless !== null && flatten(syntax.unless, '||').some((n) => assertsParsed(n, facet, false));
}

/** Every literal pattern passed to re2(), with its offset in the condition. */
function re2Literals(node: unknown, out: Array<{ pattern: string; offset: number }>): void {
  if (Array.isArray(node)) {
    for (const n of node) re2Literals(n, out);
    return;
  }
  if (!isNode(node)) return;
  if (node.op === 'call' && Array.isArray(node.args) && node.args[0] === 're2') {
    const callArgs = node.args[1] as unknown[];
    const pattern = callArgs[1];
    if (isNode(pattern) && pattern.op === 'value' && typeof pattern.args === 'string') out.push({ pattern: pattern.args, offset: pattern.start ?? 0 });
  }
  re2Literals(node.args, out);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions: nested unbounded repetition.

const COUNTED = /\{(\d+)(,(\d*))?\}/y;
const GROUP_PREFIX = /\(\?(?:P?<[^>]*>|[A-Za-z-]*:)/y;
const FLAG_GROUP = /\(\?[A-Za-z-]*\)/y;

/** The repetition operator at `i`: its length and whether it is unbounded (`*`, `+`, `{n,}`). */
function quantifierAt(pattern: string, i: number): { length: number; unbounded: boolean } {
  const c = pattern[i];
  let length = 0;
  let unbounded = false;
  if (c === '*' || c === '+') {
    length = 1;
    unbounded = true;
  } else if (c === '?') {
    length = 1;
  } else if (c === '{') {
    COUNTED.lastIndex = i;
    const m = COUNTED.exec(pattern);
    if (m) {
      length = m[0].length;
      unbounded = m[2] !== undefined && m[3] === '';
    }
  }
  if (length > 0 && pattern[i + length] === '?') length++;
  return { length, unbounded };
}

/** Index just past the character class that opens at `i`. */
function classEnd(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length && pattern[j] !== ']') {
    if (pattern[j] === '\\') j += 2;
    else if (pattern.startsWith('[:', j)) {
      const end = pattern.indexOf(':]', j + 2);
      j = end < 0 ? j + 1 : end + 2;
    } else j++;
  }
  return j + 1;
}

/**
 * The offset of the first group that repeats, without bound, something that itself repeats without
 * bound (`(a+)+`, `(\w*\s?)*`, `(?:x|y+){2,}`), or -1. Such patterns run in linear time under RE2,
 * which Warden always uses, but take exponential time in a backtracking engine (JavaScript's
 * RegExp, PCRE, Python's re) if the pattern is ever copied into one.
 *
 * @example
 * ```ts
 * nestedQuantifierAt('^(a+)+$'); // 1
 * nestedQuantifierAt('^a+b+$');  // -1
 * ```
 */
export function nestedQuantifierAt(pattern: string): number {
  const stack: Array<{ start: number; unbounded: boolean }> = [{ start: -1, unbounded: false }];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    let atomEnd: number;
    let group: { start: number; unbounded: boolean } | null = null;
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        atomEnd = end < 0 ? pattern.length : end + 2;
      } else atomEnd = i + 2;
    } else if (c === '[') {
      atomEnd = classEnd(pattern, i);
    } else if (c === '(') {
      FLAG_GROUP.lastIndex = i;
      if (FLAG_GROUP.test(pattern)) {
        i = FLAG_GROUP.lastIndex;
        continue;
      }
      GROUP_PREFIX.lastIndex = i;
      const open = GROUP_PREFIX.test(pattern) ? GROUP_PREFIX.lastIndex : i + 1;
      stack.push({ start: i, unbounded: false });
      i = open;
      continue;
    } else if (c === ')' && stack.length > 1) {
      group = stack.pop() ?? null;
      atomEnd = i + 1;
    } else if (c === '|') {
      i++;
      continue;
    } else {
      atomEnd = i + 1;
    }
    const q = quantifierAt(pattern, atomEnd);
    const top = stack[stack.length - 1] as { start: number; unbounded: boolean };
    if (group) {
      if (group.unbounded && q.unbounded) return group.start;
      top.unbounded ||= group.unbounded || q.unbounded;
    } else if (q.unbounded) {
      top.unbounded = true;
    }
    i = atomEnd + q.length;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// The analysis.

/**
 * The static checks over a compiled set: shadowed rules, tools missing from the inventory,
 * duplicate rules, facets read without a parse guard or without a binding, and regular expressions
 * that would backtrack catastrophically outside RE2. Compile-time warnings (`allow_all`,
 * `no_approvers`, `never_matches`) are in `set.warnings` and are not repeated here.
 *
 * @param sources the sources `set` was compiled from (for positions and facet bindings)
 * @example
 * ```ts
 * const sources = [{ name: 'p.yaml', text }];
 * const findings = analyzePolicySet(compilePolicy(sources), sources);
 * ```
 */
export function analyzePolicySet(set: PolicySet, sources: readonly PolicySource[], options?: LintOptions | null): LintFinding[] {
  const budget = { left: options?.maxComparisons ?? DEFAULT_MAX_COMPARISONS, truncated: false };
  const view = readSources(sources);
  const env = new Environment({ homogeneousAggregateLiterals: false });
  const syntax = new Map<CompiledRule, RuleSyntax>();
  const syntaxOf = (rule: CompiledRule): RuleSyntax => {
    let s = syntax.get(rule);
    if (!s) {
      s = { when: parseCondition(env, rule.whenText), unless: parseCondition(env, rule.unlessText) };
      syntax.set(rule, s);
    }
    return s;
  };
  const findings: LintFinding[] = [
    ...shadowedRules(set, budget),
    ...duplicateRules(set),
    ...unknownTools(set, view, budget),
    ...facetFindings(set, view, syntaxOf, budget),
    ...regexFindings(set, view, syntaxOf),
  ];
  if (budget.truncated) {
    const first = set.policies[0];
    findings.push({
      severity: 'info',
      code: 'lint_truncated',
      file: first?.source ?? '(policy)',
      line: 1,
      col: 1,
      message: `The policy is too large for every pairwise check (over ${options?.maxComparisons ?? DEFAULT_MAX_COMPARISONS} comparisons); shadowed-rule, inventory and facet-guard findings may be incomplete. Lint the documents separately.`,
    });
  }
  return findings;
}

interface Budget {
  left: number;
  truncated: boolean;
}

function spend(budget: Budget, n: number): boolean {
  budget.left -= n;
  if (budget.left < 0) budget.truncated = true;
  return !budget.truncated;
}

function ruleFinding(rule: CompiledRule, code: string, message: string, pos: SourcePos = rule.pos, related?: SourcePos[]): LintFinding {
  const severity = LINT_CHECKS[code]?.severity ?? 'warning';
  const f: LintFinding = { severity, code, file: pos.file, line: pos.line, col: pos.col, message, policy: rule.policy, rule: rule.name };
  if (related && related.length > 0) f.related = related;
  return f;
}

function shadowedRules(set: PolicySet, budget: Budget): LintFinding[] {
  const overriders = set.rules.filter((r) => r.effect !== 'allow' && unconditional(r)).sort((a, b) => a.rank - b.rank || a.order - b.order);
  const out: LintFinding[] = [];
  for (const rule of set.rules) {
    if (rule.effect === 'deny') continue;
    const atoms = atomsOf(scopeOf(rule));
    for (const over of overriders) {
      if (over.rank >= rule.rank) break;
      if (!spend(budget, atoms.length)) return out;
      const scope = scopeOf(over);
      if (!atoms.every((a) => coversAtom(scope, a))) continue;
      const label = `"${over.name}"${over.policy === rule.policy ? '' : ` of policy "${over.policy}"`}`;
      out.push(
        ruleFinding(
          rule,
          'shadowed_rule',
          `Rule "${rule.name}" (${rule.effect}, tools ${toolsText(rule)}) never decides: rule ${label} at ${where(over.pos)} (${over.effect}, no condition, tools ${toolsText(over)}) covers every tool it names and always wins. Remove "${rule.name}", or give ${label} a when: condition or narrower tools.`,
          rule.pos,
          [over.pos],
        ),
      );
      break;
    }
  }
  return out;
}

function duplicateRules(set: PolicySet): LintFinding[] {
  const first = new Map<string, CompiledRule>();
  const out: LintFinding[] = [];
  for (const rule of set.rules) {
    const tools = rule.exactTools === null ? null : [...rule.exactTools, ...rule.globTools.map((g) => g.pattern)].sort();
    const key = JSON.stringify([rule.effect, tools, rule.whenText?.trim() ?? null, rule.unlessText?.trim() ?? null]);
    const prior = first.get(key);
    if (!prior) {
      first.set(key, rule);
      continue;
    }
    const label = `"${prior.name}"${prior.policy === rule.policy ? '' : ` of policy "${prior.policy}"`}`;
    out.push(
      ruleFinding(
        rule,
        'duplicate_definition',
        `Rule "${rule.name}" repeats rule ${label} at ${where(prior.pos)}: same effect (${rule.effect}), tools and conditions. The earlier one always decides first, so "${rule.name}" never does${rule.reason !== prior.reason ? ' (and its reason is never shown)' : ''}. Remove one of them, or change what it covers.`,
        rule.pos,
        [prior.pos],
      ),
    );
  }
  return out;
}

function unknownTools(set: PolicySet, view: SourceView, budget: Budget): LintFinding[] {
  const declared = set.policies.filter((p) => p.inventory !== null);
  if (declared.length === 0) return [];
  const inventory = [...new Set(declared.flatMap((p) => p.inventory ?? []))];
  const known = new Set(inventory);
  const sorted = [...known].sort(cmp);
  const declaredIn = declared.map((p) => p.source).filter((s, i, all) => all.indexOf(s) === i).join(', ');
  const out: LintFinding[] = [];
  const check = (pattern: string, pos: SourcePos, what: string, base: Omit<LintFinding, 'file' | 'line' | 'col' | 'message' | 'severity' | 'code'>, compiled?: GlobMatcher): void => {
    const literal = literalOf(pattern);
    if (literal !== null) {
      if (known.has(literal)) return;
      const hint = closest(literal, inventory);
      out.push({
        severity: 'warning',
        code: 'unknown_tool',
        ...pos,
        ...base,
        message: `${what} names tool "${literal}", which no tools: inventory declares (${declaredIn}).${hint ? ` Did you mean "${hint}"?` : ''} Fix the name, or add it to the inventory.`,
      });
      return;
    }
    // Only names that start with the glob's literal prefix can match: a binary search finds them.
    const prefix = literalPrefix(pattern);
    let glob: GlobMatcher | undefined = compiled;
    for (let i = lowerBound(sorted, prefix); i < sorted.length && (sorted[i] as string).startsWith(prefix); i++) {
      if (!spend(budget, 1)) return;
      try {
        glob ??= compileGlob(pattern);
      } catch {
        return; // a bad glob failed the load already
      }
      if (glob.test(sorted[i] as string)) return;
    }
    out.push({
      severity: 'warning',
      code: 'unknown_tool',
      ...pos,
      ...base,
      message: `${what} has the tool glob "${pattern}", which matches no tool the tools: inventory declares (${declaredIn}). Fix the pattern, or add the tools it is meant for to the inventory.`,
    });
  };
  for (const rule of set.rules) {
    const src = view.rules.get(ruleKey(rule.policy, rule.name));
    const patterns = src?.spec.tools ?? (rule.exactTools === null ? [] : [...rule.exactTools, ...rule.globTools.map((g) => g.pattern)]);
    for (const [i, pattern] of patterns.entries()) {
      if (budget.truncated) return out;
      const compiled = rule.globTools.find((g) => g.pattern === pattern);
      check(pattern, src?.spec.toolPos[i] ?? rule.pos, `Rule "${rule.name}"`, { policy: rule.policy, rule: rule.name }, compiled);
    }
  }
  for (const spec of view.specs) {
    for (const binding of spec.facets) {
      for (const pattern of binding.tools) {
        if (budget.truncated) return out;
        check(pattern, binding.pos, `The ${binding.facet} binding`, { policy: spec.name });
      }
    }
  }
  return out;
}

/** The first index of `sorted` whose value is not below `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface BindingPattern {
  pattern: string;
  literal: string | null;
  glob: GlobMatcher;
}

function facetFindings(set: PolicySet, view: SourceView, syntaxOf: (r: CompiledRule) => RuleSyntax, budget: Budget): LintFinding[] {
  const out: LintFinding[] = [];
  for (const facet of BOUND_FACETS) {
    const bindings: BindingPattern[] = [];
    for (const spec of view.specs) {
      for (const b of spec.facets) {
        if (b.facet !== facet) continue;
        for (const pattern of b.tools) {
          if (bindings.some((x) => x.pattern === pattern)) continue;
          try {
            bindings.push({ pattern, literal: literalOf(pattern), glob: compileGlob(pattern) });
          } catch {
            continue; // a bad binding glob failed the load already
          }
        }
      }
    }
    const users = set.rules.filter((r) => r.variables.has(facet));
    if (users.length === 0) continue;
    const unparsed = new Map<CompiledRule, boolean | null>();
    const failed: Record<string, unknown> = { [facet]: toCel({ ...UNPARSED[facet], parsed: false, error: 'the input could not be parsed' }) };
    const appliesUnparsed = (r: CompiledRule): boolean | null => {
      if (!unparsed.has(r)) unparsed.set(r, appliesWhenUnparsed(r, facet, failed));
      return unparsed.get(r) ?? null;
    };
    const guards = set.rules.filter((r) => r.effect === 'deny' && r.variables.has(facet) && (appliesUnparsed(r) ?? isFacetGuard(r, syntaxOf(r), facet)));
    // Some guard covers an atom exactly when the union of the guards' scopes does (coverage is
    // judged per literal or per single glob), so one merged scope answers for all of them.
    const guarded: Scope = {
      all: guards.some((g) => g.exactTools === null),
      literals: [...new Set(guards.flatMap((g) => g.exactTools ?? []))],
      globs: guards.flatMap((g) => g.globTools),
    };
    const guardedLiterals = new Set(guarded.literals);
    for (const rule of users) {
      const { atoms, unbound } = facetAtoms(rule, bindings);
      if (bindings.length === 0 || unbound.length > 0) {
        const tools = bindings.length === 0 ? toolsText(rule) : unbound.join(', ');
        out.push(
          ruleFinding(
            rule,
            'unbound_facet',
            `Rule "${rule.name}" reads ${facet}, but no facets: binding feeds ${facet} for ${tools}, so there ${facet} is always its empty value (parsed false, nothing in it). Bind it (facets: - tools: [...] ${facet}: { from: args.<key> }) or take those tools out of the rule.`,
          ),
        );
      }
      // A rule that reads only whether the facet parsed (a guard) needs no guard itself.
      if (!readsFacts(rule, facet)) continue;
      const applies = appliesUnparsed(rule);
      // Safe by itself: a deny or approval that applies to unreadable input, an allow that does not.
      if (rule.effect === 'deny' || rule.effect === 'require_approval') {
        if (applies === true || (applies === null && rule.effect === 'deny' && isFacetGuard(rule, syntaxOf(rule), facet))) continue;
      } else if (applies === false || (applies === null && requiresParsed(syntaxOf(rule), facet))) {
        continue;
      }
      if (!spend(budget, atoms.length * Math.max(1, guarded.globs.length))) return out;
      const missing = atoms.filter((a) => !(a.kind === 'literal' && guardedLiterals.has(a.name)) && !coversAtom(guarded, a));
      if (missing.length === 0) continue;
      const list = missing.map(atomText);
      const toolList = list.map((t) => (literalOf(t) === t ? t : JSON.stringify(t))).join(', ');
      out.push(
        ruleFinding(
          rule,
          'unguarded_facet',
          `Rule "${rule.name}" reads ${facet} for ${list.join(', ')}, but no deny rule covering ${missing.length === 1 ? 'it' : 'them'} applies when ${facet} does not parse. Input the ${facet} parser cannot read gives empty facts, so this rule ${emptyFactsEffect(rule)}. Add the guard: - name: unparsable-${facet}, tools: [${toolList}], when: "!${facet}.parsed", effect: deny.`,
        ),
      );
    }
  }
  return out;
}

const UNPARSED: Readonly<Record<(typeof BOUND_FACETS)[number], object>> = {
  sql: EMPTY_SQL_FACTS,
  shell: EMPTY_SHELL_FACTS,
  path: EMPTY_PATH_FACTS,
  k8s: EMPTY_K8S_FACTS,
};

/**
 * Whether the rule applies when the facet failed to parse, found by evaluating its conditions on
 * the facts a parse failure produces (an evaluation error counts as applying for deny and
 * require_approval, as in decide()). null when the rule reads anything besides the facet.
 */
function appliesWhenUnparsed(rule: CompiledRule, facet: string, activation: Record<string, unknown>): boolean | null {
  if ([...rule.variables].some((v) => v !== facet)) return null;
  const run = (cond: CompiledRule['when']): boolean | 'error' | undefined => {
    if (!cond) return undefined;
    try {
      const v = cond(activation);
      return typeof v === 'boolean' ? v : 'error';
    } catch {
      return 'error'; // decide() turns an evaluation error into the fail-closed outcome below
    }
  };
  const w = run(rule.when);
  const failClosed = rule.effect === 'deny' || rule.effect === 'require_approval';
  if (w === false) return false;
  if (w === 'error') return failClosed;
  const u = run(rule.unless);
  if (u === 'error') return failClosed;
  return u !== true;
}

/** The rule reads more of the facet than whether it parsed (a guard alone needs no guard). */
function readsFacts(rule: CompiledRule, facet: string): boolean {
  for (const path of rule.reads) {
    if (path !== facet && !path.startsWith(`${facet}.`)) continue;
    if (path === `${facet}.parsed` || path === `${facet}.error`) continue;
    return true;
  }
  return false;
}

function emptyFactsEffect(rule: CompiledRule): string {
  if (rule.effect === 'deny' || rule.effect === 'require_approval') return `does not apply to it and the call falls through to the rules below (an unconditional allow lets it run)`;
  return `may apply to it as if it were harmless (an all() over an empty list is true)`;
}

/**
 * The parts of a rule's scope that a binding of the facet feeds; `unbound`: literal tools of the
 * rule that no binding covers.
 */
function facetAtoms(rule: CompiledRule, bindings: readonly BindingPattern[]): { atoms: Atom[]; unbound: string[] } {
  const atoms: Atom[] = [];
  const unbound: string[] = [];
  const seen = new Set<string>();
  const add = (a: Atom): void => {
    const key = `${a.kind}:${atomText(a)}`;
    if (seen.has(key)) return;
    seen.add(key);
    atoms.push(a);
  };
  const bindingAtom = (b: BindingPattern): Atom => (b.literal !== null ? { kind: 'literal', name: b.literal } : { kind: 'glob', glob: b.glob });
  if (rule.exactTools === null) {
    for (const b of bindings) add(bindingAtom(b));
    return { atoms, unbound };
  }
  for (const name of rule.exactTools) {
    if (bindings.some((b) => b.glob.test(name))) add({ kind: 'literal', name });
    else unbound.push(name);
  }
  for (const glob of rule.globTools) {
    for (const b of bindings) {
      if (b.literal !== null) {
        if (glob.test(b.literal)) add({ kind: 'literal', name: b.literal });
      } else if (globCovers(b.pattern, glob.pattern)) add({ kind: 'glob', glob });
      else if (globCovers(glob.pattern, b.pattern)) add(bindingAtom(b));
      else if (!globsDisjoint(glob.pattern, b.pattern)) add({ kind: 'glob', glob });
    }
  }
  return { atoms, unbound };
}

function regexFindings(set: PolicySet, view: SourceView, syntaxOf: (r: CompiledRule) => RuleSyntax): LintFinding[] {
  const out: LintFinding[] = [];
  for (const rule of set.rules) {
    const src = view.rules.get(ruleKey(rule.policy, rule.name));
    const syntax = syntaxOf(rule);
    for (const part of ['when', 'unless'] as const) {
      const ast = syntax[part];
      if (!ast) continue;
      const found: Array<{ pattern: string; offset: number }> = [];
      re2Literals(ast, found);
      for (const { pattern, offset } of found) {
        const at = nestedQuantifierAt(pattern);
        if (at < 0) continue;
        const cond: ConditionSpec | undefined = src?.spec[part];
        const pos = src && cond ? src.reader.posInScalar(cond.node, offset) : rule.pos;
        const shown = pattern.length > 80 ? `${pattern.slice(0, 80)}...` : pattern;
        out.push(
          ruleFinding(
            rule,
            'backtracking_regex',
            `The re2() pattern ${JSON.stringify(shown)} in the ${part} of rule "${rule.name}" repeats a repetition (the group at offset ${at}). Warden runs it in linear time (RE2), but the same pattern in a backtracking engine (JavaScript RegExp, PCRE) takes exponential time on a near-miss input. Remove the inner or outer repetition (e.g. (a+)+ is a+) if the pattern is shared with other tools.`,
            pos,
          ),
        );
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SARIF 2.1.0, for code scanning.

/** A SARIF 2.1.0 log with one run (the subset Warden writes). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

/** One SARIF run. */
export interface SarifRun {
  tool: { driver: { name: string; version: string; rules: SarifRule[] } };
  results: SarifResult[];
}

/** A SARIF reportingDescriptor: one finding code. */
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: SarifLevel };
}

/** A SARIF level. */
export type SarifLevel = 'error' | 'warning' | 'note';

/** One SARIF result. */
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }>;
  relatedLocations?: Array<{ id: number; physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }>;
}

/** Options for {@link toSarif}. */
export interface SarifOptions {
  /** The Warden version, for `tool.driver.version`. */
  version: string;
  /** Maps a finding's file to the artifact URI; default: relative paths as they are, absolute ones as file:// URLs. */
  uriOf?: (file: string) => string;
}

/**
 * Converts findings to a SARIF 2.1.0 log (for GitHub code scanning and other SARIF viewers).
 *
 * @example
 * ```ts
 * const sarif = toSarif(lintPolicy(sources).findings, { version: VERSION });
 * fs.writeFileSync('warden.sarif', JSON.stringify(sarif));
 * ```
 */
export function toSarif(findings: readonly LintFinding[], options: SarifOptions): SarifLog {
  const uriOf = options.uriOf ?? defaultUri;
  const rules: SarifRule[] = [];
  const index = new Map<string, number>();
  const ruleIndex = (f: LintFinding): number => {
    const hit = index.get(f.code);
    if (hit !== undefined) return hit;
    const check = LINT_CHECKS[f.code];
    rules.push({
      id: f.code,
      name: f.code.split('_').map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join(''),
      shortDescription: { text: check?.summary ?? (f.severity === 'error' ? `Policy load error: ${f.code}.` : `Policy finding: ${f.code}.`) },
      help: { text: `See docs/lint.md (${f.code}) in the Warden package.` },
      defaultConfiguration: { level: sarifLevel(check?.severity ?? f.severity) },
    });
    index.set(f.code, rules.length - 1);
    return rules.length - 1;
  };
  const location = (p: { file: string; line: number; col: number }): SarifResult['locations'][number] => ({
    physicalLocation: { artifactLocation: { uri: uriOf(p.file) }, region: { startLine: Math.max(1, p.line), startColumn: Math.max(1, p.col) } },
  });
  const results = findings.map((f): SarifResult => {
    const r: SarifResult = { ruleId: f.code, ruleIndex: ruleIndex(f), level: sarifLevel(f.severity), message: { text: f.message }, locations: [location(f)] };
    if (f.related && f.related.length > 0) r.relatedLocations = f.related.map((p, id) => ({ id, ...location(p) }));
    return r;
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'warden', version: options.version, rules } }, results }],
  };
}

function sarifLevel(s: LintSeverity): SarifLevel {
  return s === 'info' ? 'note' : s;
}

function defaultUri(file: string): string {
  if (file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return pathToFileURL(file).href;
  return file.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/');
}

// ---------------------------------------------------------------------------------------------
// Comparing two sets.

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

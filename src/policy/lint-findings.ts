/**
 * What lint reports: findings with their place and fix, the catalogue of checks, the options, and
 * the comparison budget that keeps the pairwise checks bounded on a huge policy.
 */
import type { FacetBinding } from '../facets/bindings.js';
import type { CompiledRule } from './compiled-rule.js';
import type { CompileOptions } from './compile.js';
import type { SourcePos } from './source-pos.js';

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

/** Options for lintPolicy and analyzePolicySet: the compile options and `maxComparisons`. */
export interface LintOptions extends CompileOptions {
  /**
   * Most scope comparisons the pairwise checks may make (default 5,000,000). Past it they stop and
   * a `lint_truncated` info says so, so a huge policy never makes lint hang.
   */
  maxComparisons?: number;
  /**
   * Facet bindings an enforcement point supplies (the Claude Code hook's, `warden lint --host
   * claude-code`), so the policy is analysed as that host decides it.
   */
  bindings?: readonly FacetBinding[];
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

/** Most scope comparisons the pairwise checks make by default. */
export const DEFAULT_MAX_COMPARISONS = 5_000_000;

/** Orders strings by UTF-16 code units. */
export function cmp(a: string, b: string): number {
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

/** How many more scope comparisons the pairwise checks may make. */
export interface Budget {
  left: number;
  truncated: boolean;
}

export function spend(budget: Budget, n: number): boolean {
  budget.left -= n;
  if (budget.left < 0) budget.truncated = true;
  return !budget.truncated;
}

export function ruleFinding(rule: CompiledRule, code: string, message: string, pos: SourcePos = rule.pos, related?: SourcePos[]): LintFinding {
  const severity = LINT_CHECKS[code]?.severity ?? 'warning';
  const f: LintFinding = { severity, code, file: pos.file, line: pos.line, col: pos.col, message, policy: rule.policy, rule: rule.name };
  if (related && related.length > 0) f.related = related;
  return f;
}

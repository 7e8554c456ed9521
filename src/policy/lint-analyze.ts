/**
 * The static analysis over a compiled set: each check in its own file, run here in one pass with
 * one comparison budget.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { CompiledRule } from './compiled-rule.js';
import type { PolicySource } from './compile.js';
import { DEFAULT_MAX_COMPARISONS, type LintFinding, type LintOptions } from './lint-findings.js';
import { facetFindings } from './lint-facets.js';
import { regexFindings } from './lint-regex.js';
import { duplicateRules, shadowedRules, unknownTools } from './lint-rules.js';
import { readSources } from './lint-sources.js';
import { parseCondition, type RuleSyntax } from './lint-syntax.js';
import type { PolicySet } from './policy-set.js';

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
    ...facetFindings(set, view, syntaxOf, budget, options?.bindings ?? []),
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

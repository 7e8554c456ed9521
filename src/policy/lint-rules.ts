/**
 * Lint checks over the rules themselves: rules that never decide (shadowed by an unconditional
 * rule that always wins, or repeating an earlier rule), and tool names or globs that match nothing
 * the `tools:` inventory declares.
 */
import { compileGlob, literalOf, type GlobMatcher } from '../lib/glob.js';
import type { CompiledRule } from './compiled-rule.js';
import { cmp, ruleFinding, spend, type Budget, type LintFinding } from './lint-findings.js';
import { atomsOf, coversAtom, literalPrefix, scopeOf, toolsText, unconditional, where } from './lint-scope.js';
import { ruleKey, type SourceView } from './lint-sources.js';
import type { PolicySet } from './policy-set.js';
import { closest, type SourcePos } from './yaml-reader.js';

/** The `shadowed_rule` findings. */
export function shadowedRules(set: PolicySet, budget: Budget): LintFinding[] {
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

/** The `duplicate_definition` findings. */
export function duplicateRules(set: PolicySet): LintFinding[] {
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

/** The `unknown_tool` findings (only when some document declares a tools: inventory). */
export function unknownTools(set: PolicySet, view: SourceView, budget: Budget): LintFinding[] {
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

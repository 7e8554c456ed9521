/**
 * Lint checks for facets: a rule that reads a facet for tools no binding feeds (`unbound_facet`),
 * and one whose tools no deny rule guards against input the facet cannot parse (`unguarded_facet`).
 */
import { BOUND_FACETS, type FacetBinding } from '../facets/bindings.js';
import { EMPTY_K8S_FACTS } from '../facets/k8s.js';
import { EMPTY_PATH_FACTS } from '../facets/path.js';
import { toCel } from '../facets/runtime.js';
import { EMPTY_SHELL_FACTS } from '../facets/shell.js';
import { EMPTY_SQL_FACTS } from '../facets/sql-facts.js';
import { compileGlob, literalOf, type GlobMatcher } from '../lib/glob.js';
import type { CompiledRule } from './compiled-rule.js';
import { ruleFinding, spend, type Budget, type LintFinding } from './lint-findings.js';
import { atomText, coversAtom, globCovers, globsDisjoint, toolsText, type Atom, type Scope } from './lint-scope.js';
import type { SourceView } from './lint-sources.js';
import { isFacetGuard, requiresParsed, type RuleSyntax } from './lint-syntax.js';
import type { PolicySet } from './policy-set.js';

interface BindingPattern {
  pattern: string;
  literal: string | null;
  glob: GlobMatcher;
}

/** The `unbound_facet` and `unguarded_facet` findings. */
export function facetFindings(set: PolicySet, view: SourceView, syntaxOf: (r: CompiledRule) => RuleSyntax, budget: Budget, supplied: readonly FacetBinding[] = []): LintFinding[] {
  const out: LintFinding[] = [];
  for (const facet of BOUND_FACETS) {
    const bindings: BindingPattern[] = [];
    // The policy's own bindings, and those the host supplies (`warden lint --host`).
    for (const b of [...view.specs.flatMap((spec) => spec.facets), ...supplied]) {
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

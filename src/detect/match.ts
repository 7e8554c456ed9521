/**
 * The rule matcher: each rule is tried only at words of its first class, and each next class is
 * looked for within the rule's bounded gap, nearest first. Work per word is bounded by the rules
 * starting there times their total window, so matching is linear in the number of words.
 */
import type { InjectionRule } from './injection-rules.js';
import type { Token } from './tokens.js';

/** A compiled rule set: per first word, the rules that start there. */
export interface CompiledRules {
  rules: readonly InjectionRule[];
  sets: ReadonlyArray<ReadonlyArray<ReadonlySet<string>>>;
  byFirst: ReadonlyMap<string, readonly number[]>;
  vocabulary: ReadonlySet<string>;
}

/** One rule hit: the rule's index and the first and last matched word. */
export interface RuleHit {
  rule: number;
  first: number;
  last: number;
}

/**
 * Compiles rules for {@link matchRules}.
 *
 * @example
 * ```ts
 * const compiled = compileRules([{ id: 'x', family: 'override', weight: 1, seq: [['ignore'], ['rules']], gaps: [1], reason: 'r' }]);
 * compiled.byFirst.get('ignore'); // [0]
 * ```
 */
export function compileRules(rules: readonly InjectionRule[]): CompiledRules {
  const sets = rules.map((r) => r.seq.map((c) => new Set(c)));
  const byFirst = new Map<string, number[]>();
  const vocabulary = new Set<string>();
  rules.forEach((r, i) => {
    for (const w of r.seq[0] ?? []) {
      const list = byFirst.get(w) ?? [];
      if (!list.includes(i)) list.push(i);
      byFirst.set(w, list);
    }
    for (const c of r.seq) for (const w of c) if (w.length >= 2) vocabulary.add(w);
  });
  return { rules, sets, byFirst, vocabulary };
}

function has(set: ReadonlySet<string>, t: Token): boolean {
  return set.has(t.w) || (t.alt !== null && set.has(t.alt));
}

/**
 * Every hit of the compiled rules in `tokens`; a rule is not reported again inside its own last hit.
 *
 * @example
 * ```ts
 * matchRules(wordView('please ignore the rules', compiled.vocabulary).tokens, compiled);
 * ```
 */
export function matchRules(tokens: readonly Token[], compiled: CompiledRules): RuleHit[] {
  const hits: RuleHit[] = [];
  // Created on the first word that starts a rule: most texts' words start none. (A plain array, not
  // a typed one: a typed array this size is allocated outside the heap, a fixed cost per scan.)
  let busyUntil: number[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const a = compiled.byFirst.get(t.w);
    const b = t.alt !== null ? compiled.byFirst.get(t.alt) : undefined;
    if (a === undefined && b === undefined) continue;
    busyUntil ??= new Array<number>(compiled.rules.length).fill(-1);
    if (a !== undefined) tryRules(tokens, i, a, compiled, busyUntil, hits);
    if (b !== undefined) tryRules(tokens, i, b, compiled, busyUntil, hits);
  }
  return hits;
}

function tryRules(tokens: readonly Token[], i: number, list: readonly number[], compiled: CompiledRules, busyUntil: number[], hits: RuleHit[]): void {
  for (const r of list) {
    if (i <= (busyUntil[r] as number)) continue;
    const last = extend(tokens, i, compiled.rules[r] as InjectionRule, compiled.sets[r] as ReadonlyArray<ReadonlySet<string>>);
    if (last >= 0) {
      hits.push({ rule: r, first: i, last });
      busyUntil[r] = last;
    }
  }
}

/**
 * The words a hit matched, one per word class of its rule (the first is `hit.first`, the last
 * `hit.last`): the same nearest-first search {@link matchRules} made.
 *
 * @example
 * ```ts
 * const [hit] = matchRules(tokens, compiled);
 * matchedWords(tokens, hit, compiled); // e.g. [3, 5, 6]
 * ```
 */
export function matchedWords(tokens: readonly Token[], hit: RuleHit, compiled: CompiledRules): number[] {
  const out = [hit.first];
  extend(tokens, hit.first, compiled.rules[hit.rule] as InjectionRule, compiled.sets[hit.rule] as ReadonlyArray<ReadonlySet<string>>, out);
  return out;
}

function extend(tokens: readonly Token[], at: number, rule: InjectionRule, sets: ReadonlyArray<ReadonlySet<string>>, record?: number[]): number {
  let pos = at;
  for (let s = 1; s < sets.length; s++) {
    const set = sets[s] as ReadonlySet<string>;
    const gap = rule.gaps[s - 1] ?? 0;
    let found = -1;
    for (let j = pos + 1; j <= pos + 1 + gap && j < tokens.length; j++) {
      if (has(set, tokens[j] as Token)) {
        found = j;
        break;
      }
    }
    if (found < 0) return -1;
    pos = found;
    record?.push(found);
  }
  return pos;
}

/** A rule after compilation: what decide() evaluates. */
import type { CompiledCondition } from './cel.js';
import type { GlobMatcher } from '../lib/glob.js';
import type { Effect } from '../decision.js';
import type { SourcePos } from './source-pos.js';

/** Rank of an effect: lower wins (deny-overrides). */
export const EFFECT_RANK: Readonly<Record<Effect, number>> = Object.freeze({ deny: 0, require_approval: 1, warn: 2, allow: 3 });

/** Effects for which an evaluation error counts as a match (fail closed). */
export function errorMeansMatch(effect: Effect): boolean {
  return effect === 'deny' || effect === 'require_approval';
}

/** One compiled rule. Immutable once built. */
export interface CompiledRule {
  readonly policy: string;
  readonly name: string;
  readonly effect: Effect;
  readonly rank: number;
  /** Position in the set (documents in load order, rules in document order). */
  readonly order: number;
  readonly reason: string | undefined;
  readonly description: string | undefined;
  readonly approvers: readonly string[];
  /** Literal tool names; null when the rule covers every tool. */
  readonly exactTools: readonly string[] | null;
  /** Glob tool patterns (non-literal); empty when none. */
  readonly globTools: readonly GlobMatcher[];
  readonly when: CompiledCondition | undefined;
  readonly unless: CompiledCondition | undefined;
  readonly whenText: string | undefined;
  readonly unlessText: string | undefined;
  /** Top-level variables the conditions read. */
  readonly variables: ReadonlySet<string>;
  /** Field paths the conditions read (`args.path`, `sql.verbs`): the longest static prefix of each access. */
  readonly reads: ReadonlySet<string>;
  /** Field paths the conditions guard with has(). */
  readonly guards: ReadonlySet<string>;
  readonly pos: SourcePos;
}

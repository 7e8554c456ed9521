/**
 * Tool scopes for lint: what set of tool names a rule (or a binding) covers, and when one provably
 * covers another. "Covers" must never be claimed when it is not certain.
 */
import { literalOf, type GlobMatcher } from '../lib/glob.js';
import type { CompiledRule } from './compiled-rule.js';
import type { SourcePos } from './source-pos.js';

/** One piece of a scope: every tool, one literal name, or one glob. */
export type Atom = { kind: 'all' } | { kind: 'literal'; name: string } | { kind: 'glob'; glob: GlobMatcher };

export interface Scope {
  all: boolean;
  literals: readonly string[];
  globs: readonly GlobMatcher[];
}

export function scopeOf(rule: CompiledRule): Scope {
  return rule.exactTools === null ? { all: true, literals: [], globs: [] } : { all: false, literals: rule.exactTools, globs: rule.globTools };
}

export function atomsOf(scope: Scope): Atom[] {
  if (scope.all) return [{ kind: 'all' }];
  return [...scope.literals.map((name): Atom => ({ kind: 'literal', name })), ...scope.globs.map((glob): Atom => ({ kind: 'glob', glob }))];
}

export function atomText(a: Atom): string {
  return a.kind === 'all' ? 'every tool' : a.kind === 'literal' ? a.name : a.glob.pattern;
}

export function coversAtom(scope: Scope, atom: Atom): boolean {
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
export function literalPrefix(pattern: string): string {
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
export function globsDisjoint(a: string, b: string): boolean {
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  return !pa.startsWith(pb) && !pb.startsWith(pa);
}

export function unconditional(rule: CompiledRule): boolean {
  const w = rule.whenText?.trim();
  const u = rule.unlessText?.trim();
  return (w === undefined || w === 'true') && (u === undefined || u === 'false');
}

export function toolsText(rule: CompiledRule): string {
  if (rule.exactTools === null) return 'every tool';
  return `[${[...rule.exactTools, ...rule.globTools.map((g) => g.pattern)].join(', ')}]`;
}

export function where(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

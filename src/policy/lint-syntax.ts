/**
 * Conditions as syntax trees, for lint's guard and regular-expression checks: is a rule a parse
 * guard for a facet, does it apply only to parsed input, which literal patterns does it pass to re2().
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { CompiledRule } from './compiled-rule.js';

export interface AstNode {
  op: string;
  args: unknown;
  start?: number;
}

function isNode(v: unknown): v is AstNode {
  return v !== null && typeof v === 'object' && typeof (v as AstNode).op === 'string';
}

export function parseCondition(env: Environment, text: string | undefined): AstNode | null {
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

export interface RuleSyntax {
  when: AstNode | null;
  unless: AstNode | null;
}

/** A deny rule that applies whenever the facet did not parse: `when: "!sql.parsed || ..."` or `unless: "sql.parsed && ..."`. */
export function isFacetGuard(rule: CompiledRule, syntax: RuleSyntax, facet: string): boolean {
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
export function requiresParsed(syntax: RuleSyntax, facet: string): boolean {
  if (syntax.when && flatten(syntax.when, '&&').some((n) => assertsParsed(n, facet, true))) return true;
  return syntax.unless !== null && flatten(syntax.unless, '||').some((n) => assertsParsed(n, facet, false));
}

/** Every literal pattern passed to re2(), with its offset in the condition. */
export function re2Literals(node: unknown, out: Array<{ pattern: string; offset: number }>): void {
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

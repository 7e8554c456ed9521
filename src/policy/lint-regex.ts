/**
 * Regular expressions that would backtrack catastrophically outside RE2 (nested unbounded
 * repetition), and the lint check that reports them where they are written.
 */
import type { CompiledRule } from './compiled-rule.js';
import type { ConditionSpec } from './document.js';
import { ruleFinding, type LintFinding } from './lint-findings.js';
import { ruleKey, type SourceView } from './lint-sources.js';
import { re2Literals, type RuleSyntax } from './lint-syntax.js';
import type { PolicySet } from './policy-set.js';

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

/** The `backtracking_regex` findings: every re2() literal pattern with a nested unbounded repetition. */
export function regexFindings(set: PolicySet, view: SourceView, syntaxOf: (r: CompiledRule) => RuleSyntax): LintFinding[] {
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

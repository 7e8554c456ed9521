/**
 * Glob patterns, compiled to linear-time (RE2) matchers.
 *
 * Syntax: `*` matches any run of characters except `/`; `**` matches any run including `/`;
 * `?` matches one character except `/`; `[abc]`, `[a-z]` and `[!abc]` match one character of
 * (or not of) a set; `\` escapes the next character. Everything else is literal. A pattern
 * matches the whole string.
 */
import type { RE2JS } from 're2js';
import { lazyModule } from './lazy-module.js';

// re2js loads with the first pattern that needs it (src/lib/re2.ts).
const re2 = lazyModule<typeof import('./re2.js')>('lib/re2');
import { WardenError } from '../errors.js';

/** A compiled glob. */
export interface GlobMatcher {
  readonly pattern: string;
  /** True when the whole of `text` matches. */
  test(text: string): boolean;
}

/**
 * Compiles a glob into a matcher.
 *
 * @example
 * ```ts
 * compileGlob('read_*').test('read_file'); // true
 * compileGlob('/tmp/**').test('/tmp/a/b'); // true
 * compileGlob('/tmp/*').test('/tmp/a/b');  // false
 * ```
 * @throws WardenError `ERR_GLOB` when the pattern is malformed (an unclosed `[`, a trailing `\`).
 */
export function compileGlob(pattern: string): GlobMatcher {
  const literal = literalOf(pattern);
  if (literal !== null) return { pattern, test: (text) => text === literal };
  return simpleGlob(pattern) ?? re2Glob(pattern);
}

/**
 * Throws exactly what {@link compileGlob} throws for a malformed pattern, without building a
 * matcher when it can tell without one: a pattern with no `[` set and no UTF-16 surrogate
 * translates to an expression RE2 always accepts (`.*`, `[^/]*`, `[^/]` and quoted characters).
 *
 * @example
 * ```ts
 * checkGlob('src/**'); // fine
 * checkGlob('a[b');     // throws ERR_GLOB: the "[" is never closed
 * ```
 * @throws WardenError `ERR_GLOB` when the pattern is malformed.
 */
export function checkGlob(pattern: string): void {
  if (literalOf(pattern) !== null) return;
  if (!pattern.includes('[') && !SURROGATE.test(pattern)) {
    globToRe2(pattern);
    return;
  }
  re2Glob(pattern);
}

const SURROGATE = /[\uD800-\uDFFF]/;
/** A character that makes a pattern more than a literal name (not global: test() keeps no state). */
const GLOB_SYNTAX = /[*?[\\]/;

/**
 * Literal text around one `*` or `**` (`mcp__*`, `*.md`, `**`), matched by comparing the ends:
 * the same answers as the RE2 matcher, without compiling one (a short-lived process often needs
 * only these). Null for any other pattern. Patterns with UTF-16 surrogates are left to RE2, so a
 * prefix or suffix never ends inside a character.
 */
function simpleGlob(pattern: string): GlobMatcher | null {
  if (/[?[\\]/.test(pattern) || SURROGATE.test(pattern)) return null;
  const m = /^([^*]*)(\*\*?)([^*]*)$/.exec(pattern);
  if (m === null) return null;
  const prefix = m[1] as string;
  const suffix = m[3] as string;
  const crossesSlash = m[2] === '**';
  const min = prefix.length + suffix.length;
  return {
    pattern,
    test: (text) => text.length >= min && text.startsWith(prefix) && text.endsWith(suffix) && (crossesSlash || !text.slice(prefix.length, text.length - suffix.length).includes('/')),
  };
}

/**
 * The RE2 matcher of any pattern, even one {@link compileGlob} would match without RE2: for
 * tests that check the two agree.
 *
 * @internal
 * @example
 * ```ts
 * re2Glob('mcp__*').test('mcp__x'); // true
 * ```
 */
export function re2Glob(pattern: string): GlobMatcher {
  const source = `^${globToRe2(pattern)}$`;
  let re: RE2JS;
  try {
    const { RE2JS: Re2 } = re2();
    re = Re2.compile(source, Re2.DOTALL);
  } catch (e) {
    throw globError(pattern, e instanceof Error ? e.message : String(e));
  }
  return { pattern, test: (text) => re.matches(text) };
}

/** The literal the pattern stands for, or null when it has special characters. */
export function literalOf(pattern: string): string | null {
  return GLOB_SYNTAX.test(pattern) ? null : pattern;
}

function globToRe2(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        out += '.*';
        i++;
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw globError(pattern, 'it ends with a lone "\\"');
      out += re2().RE2JS.quote(next);
      i++;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw globError(pattern, `the "[" at offset ${i} is never closed`);
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      if (body.length === 0) throw globError(pattern, `the set at offset ${i} is empty`);
      // Escape everything except the range dash so the set means exactly what it says.
      const escaped = [...body].map((ch) => (ch === '-' ? '-' : ch === ']' || ch === '\\' || ch === '^' || ch === '[' ? `\\${ch}` : ch)).join('');
      out += negate ? `[^/${escaped}]` : `[${escaped}]`;
      i = end;
    } else {
      out += re2().RE2JS.quote(c);
    }
  }
  return out;
}

function globError(pattern: string, why: string): WardenError {
  return new WardenError('ERR_GLOB', `Invalid glob ${JSON.stringify(pattern)}: ${why}. Escape special characters with "\\".`);
}

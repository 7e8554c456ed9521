import { describe, it, expect } from 'vitest';
import { checkGlob, compileGlob, re2Glob } from '../../src/lib/glob.js';
import { WardenError } from '../../src/errors.js';

describe('compileGlob', () => {
  const table: Array<[string, string, boolean]> = [
    // '*' is any run except '/'
    ['read_*', 'read_file', true],
    ['read_*', 'read_', true],
    ['read_*', 'read', false],
    ['read_*', 'xread_file', false],
    ['read_*', 'read_a/b', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['*', 'a/b', false],
    ['mcp__github__*', 'mcp__github__create_issue', true],
    ['mcp__github__*', 'mcp__gitlab__create_issue', false],
    ['*_file', 'read_file', true],
    ['*_file', 'read_file_x', false],
    // '**' is any run including '/'
    ['**', '', true],
    ['**', 'a/b/c', true],
    ['/tmp/**', '/tmp/a/b', true],
    ['/tmp/**', '/tmp/', true],
    ['/tmp/**', '/tmp', false],
    ['/tmp/**', '/tmpx/a', false],
    ['/tmp/*', '/tmp/a', true],
    ['/tmp/*', '/tmp/a/b', false],
    // '?' is one character except '/'
    ['ls?', 'lsx', true],
    ['ls?', 'ls', false],
    ['ls?', 'lsxy', false],
    ['a?b', 'a/b', false],
    ['?', '\u00e9', true],
    // sets
    ['[ab]_tool', 'a_tool', true],
    ['[ab]_tool', 'b_tool', true],
    ['[ab]_tool', 'c_tool', false],
    ['[ab]_tool', 'ab_tool', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[!ab]x', 'cx', true],
    ['[!ab]x', 'ax', false],
    ['[!ab]x', '/x', false],
    ['[^ab]x', 'cx', true],
    ['[.]x', '.x', true],
    ['[.]x', 'ax', false],
    // escapes and regular-expression characters are literal
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['a\\?', 'a?', true],
    ['a\\[b', 'a[b', true],
    ['a.b*', 'a.bc', true],
    ['a.b*', 'axbc', false],
    ['a+b*', 'a+b', true],
    ['a+b*', 'aab', false],
    ['(x)*', '(x)y', true],
    ['(x)*', 'x', false],
    ['a|b*', 'a|b', true],
    ['a|b*', 'a', false],
    ['^a*', '^ab', true],
    ['$a*', '$a', true],
    ['{a,b}*', '{a,b}', true],
    ['{a,b}*', 'a', false],
    // a literal pattern matches only itself, whole string
    ['read_file', 'read_file', true],
    ['read_file', 'read_file2', false],
    ['read_file', 'Read_file', false],
    ['a.b', 'axb', false],
  ];
  it.each(table)('%s against %j is %s', (pattern, text, expected) => {
    expect(compileGlob(pattern).test(text)).toBe(expected);
  });

  it('keeps the pattern it was compiled from', () => {
    expect(compileGlob('read_*').pattern).toBe('read_*');
  });

  it('matches the whole string, never a substring', () => {
    const g = compileGlob('*safe*');
    expect(g.test('unsafe-ish')).toBe(true);
    expect(compileGlob('safe?').test('xsafe1')).toBe(false);
    expect(compileGlob('safe?').test('safe1x')).toBe(false);
  });

  it.each(['[abc', '[', '[]', '[!]', 'a\\', '[z-a]'])('refuses the malformed pattern %j with WardenError ERR_GLOB', (pattern) => {
    let caught: unknown;
    try {
      compileGlob(pattern);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('ERR_GLOB');
  });

  it('runs in linear time on a pattern that backtracks badly in naive matchers', () => {
    const g = compileGlob('*a*a*a*a*a*a*a*a*a*a*b');
    const start = process.hrtime.bigint();
    expect(g.test('a'.repeat(20_000))).toBe(false);
    // Generous bound: a backtracking matcher takes far longer on this input.
    expect(Number(process.hrtime.bigint() - start) / 1e9).toBeLessThan(5);
  });
});

describe('the matcher without RE2 (one `*` or `**` between literal text)', () => {
  // Each pattern is matched by comparing ends; every row must agree with the RE2 matcher.
  const patterns = ['*', '**', 'mcp__*', 'mcp__**', '*_file', '**.md', 'ab*ba', 'a/*', '/tmp/**', '*/x', 'é*', '*😀', '.*', '$*^', '(*)'];
  const texts = ['', 'a', 'ab', 'aba', 'abba', 'ab/ba', 'abxba', 'mcp__', 'mcp__x', 'mcp__x/y', 'mcp_', 'xmcp__a', 'read_file', 'read_file_x', '/tmp/', '/tmp', '/tmp/a/b', 'a/x', 'a/b/x', '/x', 'x', 'é', 'éé/', 'x😀', '😀', '\uD83D', 'a\uDE00', '.md', 'a/b.md', 'line\nbreak', '$^', '(a)', '(a/b)', 'a\u0000b'];
  for (const pattern of patterns) {
    it(`${JSON.stringify(pattern)} answers as RE2 does`, () => {
      const fast = compileGlob(pattern);
      const re2 = re2Glob(pattern);
      for (const text of texts) expect([text, fast.test(text)]).toEqual([text, re2.test(text)]);
    });
  }

  it('is not used for sets, ?, escapes, several stars or surrogates (they go to RE2 and still match)', () => {
    const rows: Array<[string, string, boolean]> = [
      ['a*b*c', 'axbyc', true],
      ['a*b*c', 'ax/byc', false],
      ['[ab]*', 'bzz', true],
      ['?*', '', false],
      ['\\**', '*x', true],
      ['\uD83D*', '\uD83Dx', true],
    ];
    for (const [pattern, text, want] of rows) expect([pattern, text, compileGlob(pattern).test(text)]).toEqual([pattern, text, want]);
  });
});

describe('checkGlob', () => {
  // It must refuse exactly what compileGlob refuses, with the same message.
  const rows = ['a*', '**/.env*', 'a\\', '[', 'a[b', '[]', '[!]', '[z-a]', '[a-z]*', '\\[', '?', 'x\uD800*', 'a[\\]'];
  for (const pattern of rows) {
    it(`${JSON.stringify(pattern)}: refused by checkGlob exactly when compileGlob refuses it`, () => {
      let compiled = '';
      try {
        compileGlob(pattern);
      } catch (e) {
        compiled = e instanceof WardenError ? `${e.code}: ${e.message}` : String(e);
      }
      let checked = '';
      try {
        checkGlob(pattern);
      } catch (e) {
        checked = e instanceof WardenError ? `${e.code}: ${e.message}` : String(e);
      }
      expect(checked).toBe(compiled);
    });
  }
});

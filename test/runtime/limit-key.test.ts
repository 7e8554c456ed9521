/**
 * Limit keys name counters unambiguously: no two different (limit, parts) pairs share a counter
 * (THREATS 13: `("a:b","c")` vs `("a","b:c")`), and a part that is not a string, an integer or a
 * boolean is a refusal, never a coerced text.
 */
import { describe, expect, it } from 'vitest';
import { encodeLimitKey, MAX_LIMIT_KEY_CHARS } from '../../src/policy/limit-key.js';

const key = (limit: string, parts: unknown[]): string => {
  const r = encodeLimitKey(limit, parts);
  if ('error' in r) throw new Error(r.error);
  return r.key;
};

describe('distinct parts never share a counter', () => {
  const pairs: Array<[string, [string, unknown[]], [string, unknown[]]]> = [
    ['separator inside a part', ['p', ['a:b', 'c']], ['p', ['a', 'b:c']]],
    ['pipe inside a part', ['p', ['a|s1:b']], ['p', ['a', 'b']]],
    ['length-prefix look-alike', ['p', ['s1:a']], ['p', ['a']]],
    ['limit name holding the separator', ['a|s1:b', []], ['a', ['b']]],
    ['limit name holding a colon', ['l1:a', ['b']], ['l1', ['a:b']]],
    ['empty part vs no part', ['p', ['']], ['p', []]],
    ['two empty parts vs one', ['p', ['', '']], ['p', ['']]],
    ['string "1" vs integer 1', ['p', ['1']], ['p', [1]]],
    ['string "true" vs boolean', ['p', ['true']], ['p', [true]]],
    ['true vs false', ['p', [true]], ['p', [false]]],
    ['integer vs negative', ['p', [1]], ['p', [-1]]],
    ['unicode look-alike', ['p', ['аdmin']], ['p', ['admin']]],
    ['NUL inside a part', ['p', ['a\u0000b']], ['p', ['a', 'b']]],
    ['order of parts', ['p', ['a', 'b']], ['p', ['b', 'a']]],
    ['__proto__ as a part', ['p', ['__proto__']], ['p', ['constructor']]],
  ];
  it.each(pairs)('%s', (_, [l1, p1], [l2, p2]) => {
    expect(key(l1, p1)).not.toBe(key(l2, p2));
  });
});

describe('the same value names the same counter', () => {
  const same: Array<[string, unknown[], unknown[]]> = [
    ['a CEL int and a JSON number', [5n], [5]],
    ['negative zero and zero', [-0], [0]],
    ['plain strings', ['agent-1', 'sess'], ['agent-1', 'sess']],
  ];
  it.each(same)('%s', (_, a, b) => {
    expect(key('p', a)).toBe(key('p', b));
  });
});

describe('parts that cannot name a counter are refusals', () => {
  const bad: Array<[string, unknown]> = [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a fraction', 1.5],
    ['an unsafe integer', 2 ** 60],
    ['null', null],
    ['undefined (an absent field)', undefined],
    ['a map', new Map([['a', 1]])],
    ['a list', ['a']],
    ['an object', { a: 1 }],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
  ];
  it.each(bad)('%s', (_, part) => {
    const r = encodeLimitKey('p', ['ok', part]);
    expect(r).toEqual({ error: expect.stringContaining('key part 2') });
  });

  it('refuses a key longer than the bound instead of truncating it (truncation would collide)', () => {
    const r = encodeLimitKey('p', ['x'.repeat(MAX_LIMIT_KEY_CHARS)]);
    expect(r).toEqual({ error: `the key is longer than ${MAX_LIMIT_KEY_CHARS} characters` });
  });

  it('refuses a limit without a name', () => {
    expect(encodeLimitKey('', ['a'])).toEqual({ error: 'the limit has no name' });
  });
});

it('encodes parts with their type and length', () => {
  expect(key('payments', ['a:b', 7n, true])).toBe('l8:payments|s3:a:b|i7|b1');
});

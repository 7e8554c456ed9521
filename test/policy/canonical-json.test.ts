/**
 * src/lib/canonical-json.ts against RFC 8785 (JSON Canonicalization Scheme): the published
 * examples of sections 3.2.2 and 3.2.3 and the number vectors of Appendix B.
 */
import { describe, it, expect } from 'vitest';
import { canonicalJson } from '../../src/lib/canonical-json.js';
import { WardenError } from '../../src/errors.js';

/** The IEEE-754 double with the given 64-bit pattern (hex). */
function ieee754(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function expectRefused(value: unknown): void {
  let caught: unknown;
  try {
    canonicalJson(value);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WardenError);
  expect((caught as WardenError).code).toBe('ERR_CANONICAL_JSON');
}

describe('RFC 8785 section 3.2.2: the sample object', () => {
  it('serializes numbers, the string and literals as the RFC shows', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });
});

describe('RFC 8785 section 3.2.3: sorting of properties by UTF-16 code units', () => {
  it('orders the RFC example keys (a surrogate pair sorts before U+FB33)', () => {
    const input: Record<string, string> = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the order from the text: JSON.parse would move the integer-like key "1" first.
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('sorts by code unit, not by locale or case', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, A: 4, _: 5, '10': 6, '9': 7 })).toBe('{"10":6,"9":7,"A":4,"B":2,"_":5,"a":3,"b":1}');
  });

  it('sorts the keys of nested objects too, and keeps array order', () => {
    expect(canonicalJson({ z: [{ y: 1, x: 2 }, 3, [{ b: 1, a: 2 }]], a: { d: null, c: { f: true, e: false } } })).toBe(
      '{"a":{"c":{"e":false,"f":true},"d":null},"z":[{"x":2,"y":1},3,[{"a":2,"b":1}]]}',
    );
  });

  it('does not depend on insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });
});

describe('RFC 8785 Appendix B: number serialization', () => {
  const vectors: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(vectors)('0x%s serializes as %s', (hex, expected) => {
    expect(canonicalJson(ieee754(hex))).toBe(expected);
    expect(canonicalJson([ieee754(hex)])).toBe(`[${expected}]`);
  });

  it.each([
    ['7fffffffffffffff', 'NaN'],
    ['7ff0000000000000', 'Infinity'],
    ['fff0000000000000', '-Infinity'],
  ])('0x%s (%s) is refused', (hex) => {
    expectRefused(ieee754(hex));
    expectRefused({ n: [ieee754(hex)] });
  });

  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [1e-7, '1e-7'],
    [1e-6, '0.000001'],
    [-0, '0'],
    [0.1, '0.1'],
    [100, '100'],
    [1.5, '1.5'],
    [-1, '-1'],
    [123456789012345680000, '123456789012345680000'],
  ])('%s serializes as %s', (n, expected) => {
    expect(canonicalJson(n)).toBe(expected);
  });
});

describe('RFC 8785 section 3.2.2.2: strings', () => {
  it.each([
    ['\u0000', '"\\u0000"'],
    ['\u0001', '"\\u0001"'],
    ['\u001f', '"\\u001f"'],
    ['\b', '"\\b"'],
    ['\t', '"\\t"'],
    ['\n', '"\\n"'],
    ['\f', '"\\f"'],
    ['\r', '"\\r"'],
    ['"', '"\\""'],
    ['\\', '"\\\\"'],
    ['/', '"/"'],
    ['\u007f', '"\u007f"'],
    ['\u0080', '"\u0080"'],
    ['\u2028\u2029', '"\u2028\u2029"'],
    ['€', '"€"'],
    ['😀', '"😀"'],
    ['\u000b', '"\\u000b"'],
  ])('%j serializes as %s', (s, expected) => {
    expect(canonicalJson(s)).toBe(expected);
  });

  it('escapes keys the same way as values', () => {
    expect(canonicalJson({ 'a\nb': 1, 'q"': 2 })).toBe('{"a\\nb":1,"q\\"":2}');
  });

  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate (U+DEAD)', '\udead'],
    ['a reversed pair', '\ude00\ud83d'],
  ])('refuses %s (RFC 8785 3.2.2.2: lone surrogates MUST be an error)', (_label, s) => {
    expectRefused(s);
    expectRefused({ [s]: 1 });
  });
});

describe('structure and refusals', () => {
  it('writes no whitespace', () => {
    expect(canonicalJson({ a: [1, { b: 'c d' }], e: {} })).toBe('{"a":[1,{"b":"c d"}],"e":{}}');
  });

  it('writes literals and empty containers', () => {
    expect(canonicalJson([null, true, false, [], {}, ''])).toBe('[null,true,false,[],{},""]');
  });

  it('omits undefined members, as JSON.stringify does, and writes undefined list items as null', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('writes keys such as __proto__ and constructor as ordinary members', () => {
    const v = JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "toString": 3}') as unknown;
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":1},"constructor":2,"toString":3}');
  });

  it('accepts a shared (acyclic) sub-object', () => {
    const shared = { v: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"v":1},"b":[{"v":1}]}');
  });

  it('round-trips: parsing the output and canonicalizing again gives the same text', () => {
    const value = { z: [1.5, 'x\u0000y', { '\u00f6': null }], a: { '\ud83d\ude00': [true, 1e21, 1e-7] } };
    const once = canonicalJson(value);
    expect(canonicalJson(JSON.parse(once) as unknown)).toBe(once);
  });

  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  it.each([
    ['a cycle', cycle],
    ['a bigint', 1n],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['undefined at the top', undefined],
    ['a Date (toJSON)', new Date(0)],
    ['a nested NaN', { a: [1, { b: NaN }] }],
    ['a nested bigint', { a: [2n] }],
  ])('refuses %s with ERR_CANONICAL_JSON', (_label, value) => {
    expectRefused(value);
  });

  it('gives different text to values that differ only in type', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson(['a', 'b'])).not.toBe(canonicalJson(['a,b']));
    expect(canonicalJson({ 'a:b': 'c' })).not.toBe(canonicalJson({ a: 'b:c' }));
  });
});

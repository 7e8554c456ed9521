import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDuplicateKey, parseJsonText } from '../../src/lib/json-text.js';

describe('parseJsonText', () => {
  const REFUSED: [string, string][] = [
    ['a repeated top-level key', '{"command":"ls","command":"rm -rf /"}'],
    ['a repeated key in a nested object', '{"tool":"bash","args":{"cmd":"ls","cmd":"curl x"}}'],
    ['a repeat spelled with a unicode escape', '{"cmd":"ls","\\u0063md":"rm"}'],
    ['a repeat spelled with an escaped solidus', '{"a/b":1,"a\\/b":2}'],
    ['a repeat inside an array element', '[{"a":1},{"b":1,"b":2}]'],
    ['a repeat of __proto__', '{"__proto__":{},"__proto__":{"x":1}}'],
    ['a repeat after whitespace and newlines', '{ "a" : 1 ,\n "a" : 2 }'],
    ['a repeat in an object with many keys (past the short-list size)', `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')},"k3":0}`],
    ['a repeat of the last of many keys', `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')},"k39":0}`],
    ['a repeat whose key ends in an escaped backslash and an escaped quote', '{"a\\\\\\"":1,"a\\\\\\"":2}'],
    ['invalid JSON', '{"a":1,}'],
    ['a lone value that is not JSON', "{'a':1}"],
  ];
  it.each(REFUSED)('refuses %s', (_name, text) => {
    expect(parseJsonText(text).ok).toBe(false);
  });

  const ACCEPTED: [string, string, unknown][] = [
    ['equal keys in sibling objects', '{"x":{"a":1},"y":{"a":2}}', { x: { a: 1 }, y: { a: 2 } }],
    ['a key equal to a string value', '{"a":"a","b":"a"}', { a: 'a', b: 'a' }],
    ['keys that differ only by case', '{"cmd":1,"CMD":2}', { cmd: 1, CMD: 2 }],
    ['a value that contains quotes and braces', '{"a":"{\\"a\\":1}","b":"}"}', { a: '{"a":1}', b: '}' }],
    ['an escaped backslash before the closing quote', '{"a\\\\":1,"a":2}', { 'a\\': 1, a: 2 }],
    ['arrays of strings with commas', '{"a":["x","y"],"b":["x"]}', { a: ['x', 'y'], b: ['x'] }],
    ['a scalar document', '"just a string"', 'just a string'],
    ['many distinct keys', `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')}}`, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]))],
    ['strings that end in runs of backslashes', '{"a":"\\\\","b":"x\\\\\\\\","c":"\\""}', { a: '\\', b: 'x\\\\', c: '"' }],
  ];
  it.each(ACCEPTED)('accepts %s', (_name, text, value) => {
    expect(parseJsonText(text)).toEqual({ ok: true, value });
  });

  it('says which key repeats and where', () => {
    expect(parseJsonText('{"a":1,"a":2}')).toEqual({ ok: false, error: 'the key "a" appears twice in one object (at offset 7)' });
  });

  it('finds no duplicate in any text JSON.stringify makes (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(firstDuplicateKey(JSON.stringify(v))).toBeNull();
      }),
    );
  });

  it('finds the duplicate made by appending a key to any non-empty object (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (obj, pick) => {
        const keys = Object.keys(obj);
        const key = keys[pick % keys.length] as string;
        const text = `${JSON.stringify(obj).slice(0, -1)},${JSON.stringify(key)}:0}`;
        expect(firstDuplicateKey(text)?.key).toBe(key);
      }),
    );
  });
});

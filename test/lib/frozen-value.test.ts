import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/lib/canonical-json.js';
import { frozenValue, frozenValueProfile, takeSnapshot } from '../../src/lib/snapshot.js';

describe('frozenValue', () => {
  it('makes a deep-frozen copy and remembers its canonical text', () => {
    const given = { id: 'bot', roles: ['reader'], verified: { method: 'bearer', keyId: null } };
    const copy = frozenValue(given);
    expect(copy).not.toBe(given);
    expect(copy).toEqual(given);
    expect(Object.isFrozen(copy) && Object.isFrozen(copy.roles) && Object.isFrozen(copy.verified)).toBe(true);
    expect(frozenValueProfile(copy)?.json).toBe(canonicalJson(given));
  });

  it('returns a copy it made as it is, and copies an equal object it did not make', () => {
    const copy = frozenValue({ id: 'bot' });
    expect(frozenValue(copy)).toBe(copy);
    const lookalike = Object.freeze({ id: 'bot' });
    expect(frozenValue(lookalike)).not.toBe(lookalike);
    expect(frozenValueProfile(lookalike)).toBeUndefined();
  });

  // Values that are not copies it made have no remembered text, whatever they look like.
  it.each([
    ['the caller\'s own object', { id: 'bot' }],
    ['a takeSnapshot value', takeSnapshot({ id: 'bot' }).value],
    ['a deep-frozen parse', Object.freeze(JSON.parse('{"id":"bot"}') as object)],
    ['null', null],
    ['a string', 'bot'],
  ])('has no remembered text for %s', (_name, value) => {
    expect(frozenValueProfile(value)).toBeUndefined();
  });

  it('a copy cannot be changed, so its remembered text stays true', () => {
    const copy = frozenValue({ id: 'bot', roles: ['reader'] });
    expect(() => {
      (copy as { id: string }).id = 'admin';
    }).toThrow(TypeError);
    expect(() => (copy.roles as string[]).push('admin')).toThrow(TypeError);
    expect(frozenValueProfile(copy)?.json).toBe('{"id":"bot","roles":["reader"]}');
  });

  it('reads a getter once and refuses what is not plain JSON data', () => {
    let reads = 0;
    const copy = frozenValue({
      get id() {
        reads++;
        return reads === 1 ? 'bot' : 'admin';
      },
    });
    expect(copy.id).toBe('bot');
    expect(frozenValueProfile(copy)?.json).toBe('{"id":"bot"}');
    expect(() => frozenValue({ n: Number.NaN })).toThrow(/no JSON form/);
    expect(() => frozenValue(new Map())).toThrow(/not plain data/);
  });
});

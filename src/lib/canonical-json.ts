/**
 * RFC 8785 (JCS) canonical JSON: the one serialization Warden hashes.
 *
 * Object members are sorted by their UTF-16 code units, numbers and strings are serialized
 * as ECMAScript's JSON.stringify does (which is what RFC 8785 specifies), no whitespace.
 * Values JSON cannot represent are refused rather than silently coerced, so two different
 * values can never share a canonical form: `undefined` members are omitted (as JSON.stringify
 * does, so a stored line parses back to the same canonical text), while NaN, Infinity,
 * bigint, functions, symbols, lone surrogates and cycles throw.
 */
import { WardenError } from '../errors.js';

/** Deepest nesting serialized; deeper values (and cycles, which are infinitely deep) throw. */
export const MAX_CANONICAL_DEPTH = 512;

/**
 * Serializes `value` to its RFC 8785 canonical JSON text.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null, 'x'] }); // '{"a":[true,null,"x"],"b":1}'
 * ```
 * @throws WardenError `ERR_CANONICAL_JSON` for values JSON cannot represent.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0, null, false);
}

/**
 * What {@link canonicalJsonProfile} saw while serializing, besides the text.
 *
 * @example
 * ```ts
 * const { json, depth } = canonicalJsonProfile({ a: [1] }); // '{"a":[1]}', 2
 * ```
 */
export interface CanonicalProfile {
  json: string;
  /** Deepest nesting of objects and arrays (`1` for `{}`, `2` for `{ a: [] }`, `0` for a scalar). */
  depth: number;
  /** Object members left out because their value is `undefined` (their keys are not in `json`). */
  undefinedMembers: number;
  /** ArrayBuffers and typed arrays or DataViews met (serialized as plain objects, like any object). */
  binary: number;
}

/**
 * {@link canonicalJson}, and how deep the value nests and which of its parts the text does not
 * show as such (undefined members, binary buffers). The text is exactly canonicalJson's; callers
 * that reason about a value from its text (the audit writer proving a request holds nothing to
 * redact) use the rest to know when the text tells the whole story.
 *
 * @example
 * ```ts
 * canonicalJsonProfile({ a: undefined, b: new Uint8Array(1) }); // { json: '{"b":{"0":0}}', depth: 2, undefinedMembers: 1, binary: 1 }
 * ```
 * With `{ plain: true }` only plain data is accepted: an object whose prototype is not
 * Object.prototype or null (a Map, a class instance, a typed array) and an `undefined` array item
 * throw, instead of being written as JSON.stringify would write them.
 *
 * @throws WardenError `ERR_CANONICAL_JSON`, as canonicalJson does.
 */
export function canonicalJsonProfile(value: unknown, options?: { plain?: boolean }): CanonicalProfile {
  const profile: CanonicalProfile = { json: '', depth: 0, undefinedMembers: 0, binary: 0 };
  profile.json = write(value, 0, profile, options?.plain === true);
  return profile;
}

/**
 * True when every UTF-16 surrogate in `s` is part of a pair (the one check Warden uses, here and in
 * request validation).
 *
 * @example
 * ```ts
 * isWellFormedUnicode('a\ud800'); // false
 * ```
 */
export const isWellFormedUnicode: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: () => boolean }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed: () => boolean }).isWellFormed()
    : isWellFormedSlow;

/**
 * True when `s` holds a character JSON.stringify changes (a control, `"`, `\`) or a surrogate (it
 * escapes lone ones; paired ones take the careful path too). Without one, JSON.stringify(s) is
 * `"` + s + `"`, and `s` is well formed.
 */
function needsEscapeOrCheck(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

function stringJson(s: string): string {
  if (!needsEscapeOrCheck(s)) return `"${s}"`;
  if (!isWellFormedUnicode(s)) fail('the string holds a lone UTF-16 surrogate, which RFC 8785 forbids');
  return JSON.stringify(s);
}

function write(value: unknown, depth: number, profile: CanonicalProfile | null, plain: boolean): string {
  switch (typeof value) {
    case 'string':
      return stringJson(value);
    case 'number':
      if (!Number.isFinite(value)) fail(`the number ${String(value)} has no JSON form`);
      // ECMAScript number serialization is the one RFC 8785 specifies; -0 becomes 0.
      return value === 0 ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      fail(`a ${typeof value} has no JSON form`);
  }
  if (depth >= MAX_CANONICAL_DEPTH) fail(`the value is nested deeper than ${MAX_CANONICAL_DEPTH} levels (or holds a cycle)`);
  if (profile !== null && depth + 1 > profile.depth) profile.depth = depth + 1;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      if (item === undefined && plain) fail(`an array item at index ${i} is undefined (or missing)`);
      out += item === undefined ? 'null' : write(item, depth + 1, profile, plain);
    }
    return `${out}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    fail('objects with toJSON() (Date, Buffer, ...) are not canonicalized; pass plain data');
  }
  if (plain) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
      fail(`a ${typeof name === 'string' && name !== '' ? name : 'non-plain'} object is not plain data (convert it to a plain object or a string)`);
    }
  }
  if (profile !== null && (value instanceof ArrayBuffer || ArrayBuffer.isView(value))) profile.binary += 1;
  const keys = Object.keys(value);
  // Keys are usually already in order (records are built that way); sort only when they are not.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      sortKeys(keys);
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member: unknown = (value as Record<string, unknown>)[key];
    if (member === undefined) {
      if (profile !== null) profile.undefinedMembers += 1;
      continue;
    }
    const name = needsEscapeOrCheck(key) ? keyJson(key) : `"${key}"`;
    if (!first) out += ',';
    first = false;
    out += `${name}:${write(member, depth + 1, profile, plain)}`;
  }
  return `${out}}`;
}

/**
 * Sorts distinct keys by UTF-16 code units, as `keys.sort()` does; a few keys are sorted in place by
 * insertion, which spares the engine's sort its work arrays (most objects have a handful of keys).
 * invariant: JavaScript string comparison is by UTF-16 code unit, exactly the JCS order.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
}

function keyJson(key: string): string {
  if (!isWellFormedUnicode(key)) fail('a key holds a lone UTF-16 surrogate, which RFC 8785 forbids');
  return JSON.stringify(key);
}

/** True when every surrogate in `s` is part of a pair (for runtimes without String#isWellFormed). */
function isWellFormedSlow(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const next = s.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

function fail(why: string): never {
  throw new WardenError('ERR_CANONICAL_JSON', `Cannot canonicalize $: ${why}. Pass plain JSON data.`);
}

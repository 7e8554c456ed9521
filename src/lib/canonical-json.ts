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
  return write(value, 0, '$');
}

const wellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: () => boolean }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed: () => boolean }).isWellFormed()
    : isWellFormedSlow;

function write(value: unknown, depth: number, path: string): string {
  switch (typeof value) {
    case 'string':
      if (!wellFormed(value)) fail(path, 'the string holds a lone UTF-16 surrogate, which RFC 8785 forbids');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) fail(path, `the number ${String(value)} has no JSON form`);
      // ECMAScript number serialization is the one RFC 8785 specifies; -0 becomes 0.
      return value === 0 ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      fail(path, `a ${typeof value} has no JSON form`);
  }
  if (depth >= MAX_CANONICAL_DEPTH) fail(path, `the value is nested deeper than ${MAX_CANONICAL_DEPTH} levels (or holds a cycle)`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : write(item, depth + 1, path);
    }
    return `${out}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    fail(path, 'objects with toJSON() (Date, Buffer, ...) are not canonicalized; pass plain data');
  }
  const keys = Object.keys(value);
  // Keys are usually already in order (records are built that way); sort only when they are not.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      // invariant: JavaScript string comparison is by UTF-16 code unit, exactly the JCS order.
      keys.sort();
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member: unknown = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    if (!wellFormed(key)) fail(path, 'a key holds a lone UTF-16 surrogate, which RFC 8785 forbids');
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${write(member, depth + 1, path)}`;
  }
  return `${out}}`;
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

function fail(path: string, why: string): never {
  throw new WardenError('ERR_CANONICAL_JSON', `Cannot canonicalize ${path}: ${why}. Pass plain JSON data.`);
}

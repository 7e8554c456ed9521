/**
 * RFC 8785 (JCS) canonical JSON: the one serialization Warden hashes.
 *
 * Object members are sorted by their UTF-16 code units, numbers and strings are serialized
 * as ECMAScript's JSON.stringify does (which is what RFC 8785 specifies), no whitespace.
 * Values JSON cannot represent are refused rather than silently coerced, so two different
 * values can never share a canonical form: `undefined` members are omitted (as JSON.stringify
 * does, so a stored line parses back to the same canonical text), while NaN, Infinity,
 * bigint, functions, symbols and cycles throw.
 */
import { WardenError } from '../errors.js';

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
  const parts: string[] = [];
  write(value, parts, new Set<object>(), '$');
  return parts.join('');
}

function write(value: unknown, out: string[], stack: Set<object>, path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'string':
      if (!isWellFormed(value)) fail(path, 'the string holds a lone UTF-16 surrogate, which RFC 8785 forbids');
      out.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `the number ${String(value)} has no JSON form`);
      // Number serialization of ECMAScript is the one RFC 8785 specifies; -0 becomes 0.
      out.push(Object.is(value, -0) ? '0' : JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      fail(path, `a ${typeof value} has no JSON form`);
  }
  const obj = value as object;
  if (stack.has(obj)) fail(path, 'the value contains a cycle');
  stack.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = obj[i];
      if (item === undefined) out.push('null');
      else write(item, out, stack, `${path}[${i}]`);
    }
    out.push(']');
  } else {
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
      fail(path, 'objects with toJSON() (Date, Buffer, ...) are not canonicalized; pass plain data');
    }
    const keys = Object.keys(obj).sort(compareUtf16);
    out.push('{');
    let first = true;
    for (const key of keys) {
      const member: unknown = (obj as Record<string, unknown>)[key];
      if (member === undefined) continue;
      if (!isWellFormed(key)) fail(path, 'a key holds a lone UTF-16 surrogate, which RFC 8785 forbids');
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(member, out, stack, `${path}.${key}`);
    }
    out.push('}');
  }
  stack.delete(obj);
}

/** True when every surrogate in `s` is part of a pair. */
function isWellFormed(s: string): boolean {
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

/** Orders strings by UTF-16 code units, as RFC 8785 section 3.2.3 requires. */
function compareUtf16(a: string, b: string): number {
  // invariant: JavaScript string comparison is by UTF-16 code unit, exactly the JCS order.
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(path: string, why: string): never {
  throw new WardenError('ERR_CANONICAL_JSON', `Cannot canonicalize ${path}: ${why}. Pass plain JSON data.`);
}

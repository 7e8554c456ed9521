/**
 * Parsing JSON text that a decision is made on. `JSON.parse` keeps the last of two equal keys;
 * another reader (the host that runs the tool) may keep the first, and would then run something
 * other than what was decided. So a request whose text repeats a key in any object is refused.
 */

/**
 * The outcome of {@link parseJsonText}: the value, or why the text is refused.
 *
 * @example
 * ```ts
 * const r: JsonTextResult = { ok: false, error: 'the key "cmd" appears twice in one object (at offset 17)' };
 * ```
 */
export type JsonTextResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Parses JSON text, refusing invalid JSON and any object that repeats a key (after unescaping:
 * `"a"` and `"\u0061"` are the same key). Never throws.
 *
 * @example
 * ```ts
 * parseJsonText('{"a":1}');        // { ok: true, value: { a: 1 } }
 * parseJsonText('{"a":1,"a":2}');  // { ok: false, error: 'the key "a" appears twice in one object (at offset 7)' }
 * ```
 */
export function parseJsonText(text: string): JsonTextResult {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) return { ok: false, error: `the key ${JSON.stringify(duplicate.key)} appears twice in one object (at offset ${duplicate.offset})` };
  return { ok: true, value };
}

/**
 * The first key that repeats within one object of valid JSON text, or null. The text must have
 * parsed with JSON.parse already (the scan trusts its syntax). Linear in the text's length.
 *
 * @example
 * ```ts
 * firstDuplicateKey('{"x":{"a":1},"y":{"a":2}}'); // null: the two "a" are in different objects
 * ```
 */
export function firstDuplicateKey(text: string): { key: string; offset: number } | null {
  // One frame per open container: the keys seen so far for an object (a list while short, a Set
  // past SMALL_OBJECT keys), null for an array.
  const frames: (string[] | Set<string> | null)[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      // Jump to the closing quote (native indexOf; most of a record's text is inside strings): the
      // next quote not preceded by an odd run of backslashes.
      // invariant: text parsed, so the string closes.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let k = end - 1;
        while (text.charCodeAt(k) === 0x5c /* \ */) k--;
        if ((end - 1 - k) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end;
      if (expectKey) {
        const frame = frames[frames.length - 1];
        if (frame) {
          const raw = text.slice(start + 1, end);
          const key = raw.indexOf('\\') === -1 ? raw : (JSON.parse(text.slice(start, end + 1)) as string);
          if (Array.isArray(frame)) {
            if (frame.includes(key)) return { key, offset: start };
            frame.push(key);
            if (frame.length > SMALL_OBJECT) frames[frames.length - 1] = new Set(frame);
          } else {
            if (frame.has(key)) return { key, offset: start };
            frame.add(key);
          }
        }
        expectKey = false;
      }
      continue;
    }
    if (c === 0x7b /* { */) {
      frames.push([]);
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      frames.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = frames.length > 0 && frames[frames.length - 1] !== null;
    }
  }
  return null;
}

/** Keys an object may have before its frame becomes a Set (a short list is faster to search). */
const SMALL_OBJECT = 16;

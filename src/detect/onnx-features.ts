/**
 * The one text encoding tier 3 (tier3-onnx.ts) feeds an ONNX model: a fixed-length float vector of
 * hashed character n-grams. A model trained for Warden's tier 3 must be trained on exactly these
 * vectors; scripts/make-test-onnx.mjs imports this file to train the test model, so the two cannot
 * drift. No imports and only erasable TypeScript, so a Node script can load this file directly.
 *
 * The encoding, precisely: the text is NFKC-normalized, zero-width and bidi control characters
 * (U+200B-U+200F, U+202A-U+202E, U+2060-U+2064, U+FEFF) are removed, it is lower-cased, and every
 * run of whitespace becomes one space; the result is padded with one space at each end. For each
 * n in `ngrams`, every run of n consecutive UTF-16 code units is hashed with 32-bit FNV-1a (over
 * the code units of `${n}:` followed by the n-gram) and counted in bucket `hash % dims`. The
 * vector is then divided by its Euclidean length (left all zero for an empty text).
 */

/** 32-bit FNV-1a over `prefix` then `text.slice(from, to)`, as UTF-16 code units. */
function fnv1a(prefix: string, text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < prefix.length; i++) {
    h ^= prefix.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  for (let i = from; i < to; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The folded text the n-grams are read from (see the file comment).
 *
 * @example
 * ```ts
 * foldForNgrams('Ｉgnore\u200b  ALL'); // ' ignore all '
 * ```
 */
export function foldForNgrams(text: string): string {
  const folded = text
    .normalize('NFKC')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
  return ` ${folded} `;
}

/**
 * Writes the hashed n-gram vector of `text` into `out` (length `dims`, zeroed first).
 *
 * @example
 * ```ts
 * const v = new Float32Array(1024);
 * hashedNgrams('Ignore all previous instructions', [3, 4], v);
 * ```
 */
export function hashedNgrams(text: string, ngrams: readonly number[], out: Float32Array): Float32Array {
  out.fill(0);
  const dims = out.length;
  const s = foldForNgrams(text);
  for (const n of ngrams) {
    const prefix = `${n}:`;
    for (let i = 0; i + n <= s.length; i++) {
      const b = fnv1a(prefix, s, i, i + n) % dims;
      out[b] = (out[b] as number) + 1;
    }
  }
  let sum = 0;
  for (let i = 0; i < dims; i++) sum += (out[i] as number) * (out[i] as number);
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < dims; i++) out[i] = (out[i] as number) * inv;
  }
  return out;
}

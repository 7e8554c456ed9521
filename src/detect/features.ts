/**
 * The features of the tier 2 model: hashed word unigrams, word bigrams and character 4-grams of
 * the folded text (zero-width and bidi characters removed, confusables, fullwidth and mathematical
 * letters folded by the same view the redactor uses, lower case, punctuation as spaces), each
 * present once, L2-normalized. Pure and synchronous; the training script (scripts/train-detector.mjs)
 * bundles this very file, so training and inference read text the same way.
 */
import { buildView } from '../audit/redact-fold.js';

/**
 * A text's features: parallel lists of bucket indexes (distinct, sorted) and values.
 *
 * @example
 * ```ts
 * const f: SparseFeatures = { index: [3, 97], value: [0.7071, 0.7071] };
 * ```
 */
export interface SparseFeatures {
  index: number[];
  value: number[];
}

/**
 * The folded, lower-case word sequence the features are read from.
 *
 * @example
 * ```ts
 * foldForFeatures('Ｉｇｎｏｒｅ all\u200b rules!'); // 'ignore all rules'
 * ```
 */
export function foldForFeatures(text: string): string {
  return buildView(text)
    .text.normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Hashed features of `text` into `2 ** bits` buckets.
 *
 * @example
 * ```ts
 * textFeatures('Ignore all previous instructions', 12).index.length > 0; // true
 * ```
 */
export function textFeatures(text: string, bits: number): SparseFeatures {
  const mask = (1 << bits) - 1;
  const seen = new Set<number>();
  const folded = foldForFeatures(text);
  const words = folded === '' ? [] : folded.split(' ');
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    seen.add(fnv1a(`w:${w}`) & mask);
    if (i + 1 < words.length) seen.add(fnv1a(`b:${w} ${words[i + 1] as string}`) & mask);
    const padded = ` ${w} `;
    for (let j = 0; j + 4 <= padded.length; j++) seen.add(fnv1a(`c:${padded.slice(j, j + 4)}`) & mask);
  }
  const index = [...seen].sort((a, b) => a - b);
  const norm = index.length === 0 ? 0 : 1 / Math.sqrt(index.length);
  return { index, value: index.map(() => norm) };
}

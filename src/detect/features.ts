/**
 * The features of the tier 2 model, computed in one pass over the folded text with no substring
 * or string-key allocation: hashed word unigrams, bigrams and trigrams, read from the text folded
 * by the redactor's view (zero-width and bidi removed, confusables, fullwidth and mathematical
 * letters folded), lower-cased, every character that is not a letter or digit a separator.
 * (Character 4-grams were tried and dropped: in cross-validation on the training corpus they
 * lowered recall at the same false-positive rate, 0.35 against 0.42, and cost time.)
 *
 * Each feature occurrence is hashed straight from the character codes (FNV-1a per word, a
 * multiply-xor mix of the word hashes for the n-grams) into one of `2 ** bits` buckets and kept
 * with its span, so a
 * long text is featurized once and its overlapping windows read the occurrences that lie inside
 * them (a window holds a feature when the feature's whole span does). Inside a window each bucket
 * counts once and the vector is L2-normalized: a window's score is
 * `bias + (sum of its distinct buckets' weights) / sqrt(number of distinct buckets)`.
 *
 * Pure and synchronous; the training script (scripts/train-detector.mjs) bundles this very file,
 * so training and inference read text the same way.
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
 * Every feature occurrence of a text, in the order their spans end. Spans are offsets in the
 * folded view (`length` units long); `origStart`/`origEnd` map them back to the original text.
 */
export interface FeatureStream {
  /** Bucket of occurrence `k` (`0 .. 2 ** bits - 1`). */
  bucket: Int32Array;
  /** View offsets of occurrence `k`'s span (end exclusive); `end` is non-decreasing in `k`. */
  start: Int32Array;
  end: Int32Array;
  count: number;
  /** Length of the folded view the spans index. */
  length: number;
  origStart: (i: number) => number;
  origEnd: (i: number) => number;
}

const SALT_WORD = 0x2f1b7a53;
const SALT_BIGRAM = 0x5bd1e995;
const SALT_TRIGRAM = 0x1b873593;

/** murmur3's 32-bit finalizer: spreads a mixed value over all bits before masking. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The folded code of an ASCII unit: itself for a-z and 0-9, its lower case for A-Z, else 0. */
const ASCII_CODE: Uint16Array = (() => {
  const t = new Uint16Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = c;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = c;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c + 32;
  return t;
})();

/**
 * The folded code of each view unit: a lower-case letter or digit, or 0 for a separator.
 * ASCII by table; anything else lower-cased and kept when it is a letter or a number.
 */
function foldCodes(v: string, into?: Uint16Array): Uint16Array {
  const n = v.length;
  const out = into ?? new Uint16Array(n);
  let other: Map<number, number> | undefined;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x80) {
      // (A reused buffer holds an earlier text's codes: every unit is written.)
      out[i] = ASCII_CODE[c] as number;
      continue;
    }
    // Surrogate halves are separators: the view has already folded mathematical letters to ASCII.
    if (c >= 0xd800 && c <= 0xdfff) {
      out[i] = 0;
      continue;
    }
    other ??= new Map();
    let f = other.get(c);
    if (f === undefined) {
      const lower = String.fromCharCode(c).toLowerCase();
      f = lower.length === 1 && /[\p{L}\p{N}]/u.test(lower) ? lower.charCodeAt(0) : 0;
      other.set(c, f);
    }
    out[i] = f;
  }
  return out;
}

/**
 * The folded, lower-case word sequence the features are read from, words joined by one space.
 *
 * @example
 * ```ts
 * foldForFeatures('Ｉｇｎｏｒｅ all\u200b rules!'); // 'ignore all rules'
 * ```
 */
export function foldForFeatures(text: string): string {
  const codes = foldCodes(buildView(text).text);
  let out = '';
  let inWord = false;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c === 0) {
      inWord = false;
      continue;
    }
    if (!inWord && out !== '') out += ' ';
    out += String.fromCharCode(c);
    inWord = true;
  }
  return out;
}

/**
 * Featurizes `text` once: every occurrence of every feature with its bucket and span.
 *
 * @example
 * ```ts
 * const s = featureStream('Ignore all previous instructions', 14);
 * s.count > 0; // true
 * ```
 */
export function featureStream(text: string, bits: number): FeatureStream {
  return featurize(text, bits, false);
}

/**
 * The process's scratch buffers for {@link scratchFeatureStream}, grown as needed up to
 * SCRATCH_MAX view units (a longer text gets buffers of its own).
 */
let scratch: { codes: Uint16Array; bucket: Int32Array; start: Int32Array; end: Int32Array } | null = null;
const SCRATCH_MAX = 1 << 18;

/**
 * {@link featureStream} into buffers the process reuses: valid only until the next call. For the
 * scorer, which reads the stream at once (a 1 KB text otherwise pays for four typed arrays of its
 * own, allocated outside the heap, on every call).
 */
export function scratchFeatureStream(text: string, bits: number): FeatureStream {
  return featurize(text, bits, true);
}

function featurize(text: string, bits: number, reuse: boolean): FeatureStream {
  const view = buildView(text);
  const v = view.text;
  const starts = view.starts;
  const ends = view.ends;
  const n = v.length;
  const pooled = reuse && n <= SCRATCH_MAX;
  if (pooled && (scratch === null || scratch.codes.length < n)) {
    // Grown to twice the need (at most the cap), so a run of slightly longer texts reallocates rarely.
    const size = Math.min(SCRATCH_MAX, Math.max(1024, 2 * n));
    // At most a unigram, a bigram and a trigram per word, and at most (size + 1) / 2 words.
    const cap = 3 * ((size + 1) >> 1);
    scratch = { codes: new Uint16Array(size), bucket: new Int32Array(cap), start: new Int32Array(cap), end: new Int32Array(cap) };
  }
  const codes = foldCodes(v, pooled ? scratch?.codes : undefined);
  const mask = (1 << bits) - 1;
  let cap = 0;
  if (!pooled) {
    // At most a unigram, a bigram and a trigram per word.
    let words = 0;
    for (let j = 0; j < n; j++) if (codes[j] !== 0 && (j === 0 || codes[j - 1] === 0)) words++;
    cap = 3 * words;
  }
  const bucket = pooled ? (scratch as { bucket: Int32Array }).bucket : new Int32Array(cap);
  const start = pooled ? (scratch as { start: Int32Array }).start : new Int32Array(cap);
  const end = pooled ? (scratch as { end: Int32Array }).end : new Int32Array(cap);
  let k = 0;
  let prevHash = 0;
  let prevStart = -1;
  let prev2Hash = 0;
  let prev2Start = -1;
  let i = 0;
  while (i < n) {
    if (codes[i] === 0) {
      i++;
      continue;
    }
    const ws = i;
    let h = 0x811c9dc5;
    while (i < n) {
      const d = codes[i] as number;
      if (d === 0) break;
      h = Math.imul(h ^ d, 0x01000193);
      i++;
    }
    const we = i;
    h = h >>> 0;
    bucket[k] = fmix(h ^ SALT_WORD) & mask;
    start[k] = ws;
    end[k] = we;
    k++;
    if (prevStart >= 0) {
      bucket[k] = fmix(Math.imul(prevHash, 0x9e3779b1) ^ h ^ SALT_BIGRAM) & mask;
      start[k] = prevStart;
      end[k] = we;
      k++;
      if (prev2Start >= 0) {
        bucket[k] = fmix(Math.imul(Math.imul(prev2Hash, 0x9e3779b1) ^ prevHash, 0x85ebca6b) ^ h ^ SALT_TRIGRAM) & mask;
        start[k] = prev2Start;
        end[k] = we;
        k++;
      }
    }
    prev2Hash = prevHash;
    prev2Start = prevStart;
    prevHash = h;
    prevStart = ws;
  }
  const origStart = starts === null ? (x: number) => x : (x: number) => (x < starts.length ? (starts[x] as number) : text.length);
  const origEnd = ends === null ? (x: number) => x : (x: number) => (x <= 0 ? 0 : x - 1 < ends.length ? (ends[x - 1] as number) : text.length);
  return { bucket, start, end, count: k, length: n, origStart, origEnd };
}

/** Reused per bucket-count: the stamp of the last window each bucket was counted in. */
const STAMPS = new Map<number, { stamp: Int32Array; gen: number; buckets: Int32Array }>();

function stampsFor(dims: number): { stamp: Int32Array; gen: number; buckets: Int32Array } {
  let s = STAMPS.get(dims);
  if (s === undefined) {
    // `buckets` holds one window's distinct buckets (at most dims); the visitor reads it before the next window.
    s = { stamp: new Int32Array(dims), gen: 0, buckets: new Int32Array(dims + 1) };
    STAMPS.set(dims, s);
  }
  return s;
}

/**
 * Visits the windows of a featurized text: `window` view units every `stride`, the first at 0 and
 * the last reaching the end (one window for a short or empty text). For each, `visit` receives
 * the window's view offsets and its distinct buckets (`buckets[0 .. count - 1]`, in occurrence
 * order; the array is reused, so copy what you keep).
 *
 * @example
 * ```ts
 * forEachWindow(featureStream(text, 14), 14, 256, 128, (from, to, buckets, count) => console.log(from, to, count));
 * ```
 */
export function forEachWindow(
  s: FeatureStream,
  bits: number,
  window: number,
  stride: number,
  visit: (from: number, to: number, buckets: Int32Array, count: number) => void,
): void {
  const dims = 2 ** bits;
  const st = stampsFor(dims);
  const stamp = st.stamp;
  const scratch = st.buckets;
  let lo = 0;
  for (let from = 0; from === 0 || from + stride < s.length; from += stride) {
    const to = Math.min(s.length, from + window);
    if (st.gen >= 0x7ffffffe) {
      stamp.fill(0);
      st.gen = 0;
    }
    const gen = ++st.gen;
    // Occurrences ending at or before `from` start before it: no later window holds them.
    while (lo < s.count && (s.end[lo] as number) <= from) lo++;
    let count = 0;
    for (let k = lo; k < s.count && (s.end[k] as number) <= to; k++) {
      if ((s.start[k] as number) < from) continue;
      const bkt = s.bucket[k] as number;
      if (stamp[bkt] === gen) continue;
      stamp[bkt] = gen;
      scratch[count++] = bkt;
    }
    visit(from, to, scratch, count);
    if (from + window >= s.length) break;
  }
}

/**
 * The windows of `text` as the model reads them, with their spans in the original text: what the
 * training script learns from.
 *
 * @example
 * ```ts
 * textWindows('Ignore all previous instructions', 14, 256, 128); // [{ start: 0, end: 32, index: Int32Array [...] }]
 * ```
 */
export function textWindows(text: string, bits: number, window: number, stride: number): Array<{ start: number; end: number; index: Int32Array }> {
  const s = featureStream(text, bits);
  const out: Array<{ start: number; end: number; index: Int32Array }> = [];
  forEachWindow(s, bits, window, stride, (from, to, buckets, count) => {
    out.push({ start: s.origStart(from), end: to >= s.length ? text.length : s.origStart(to), index: buckets.slice(0, count) });
  });
  return out;
}

/**
 * Hashed features of the whole of `text` (one window) into `2 ** bits` buckets.
 *
 * @example
 * ```ts
 * textFeatures('Ignore all previous instructions', 12).index.length > 0; // true
 * ```
 */
export function textFeatures(text: string, bits: number): SparseFeatures {
  const s = featureStream(text, bits);
  let index: number[] = [];
  forEachWindow(s, bits, Math.max(1, s.length), Math.max(1, s.length), (_from, _to, buckets, count) => {
    index = Array.from(buckets.subarray(0, count)).sort((x, y) => x - y);
  });
  const norm = index.length === 0 ? 0 : 1 / Math.sqrt(index.length);
  return { index, value: index.map(() => norm) };
}

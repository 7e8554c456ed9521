/**
 * The word view the instruction patterns read: the text folded (invisible characters dropped,
 * NFKC, Cyrillic and Greek look-alikes to Latin; see audit/redact-fold.ts), split into lower-case
 * words with leetspeak undone (`1gn0re` -> `ignore`), camelCase split, diacritics stripped, and
 * letter-spaced runs (`i g n o r e`) glued back and cut into the words the rules know. Each word
 * keeps its span in the original text.
 *
 * One forward pass over the text, plus one pass per letter-spaced run: linear in the text's length.
 */
import { Buffer } from 'node:buffer';
import { buildView } from '../audit/redact-fold.js';

/** One word and where it came from. */
export interface Token {
  /** Lower-case ASCII word, leetspeak undone (`1` read as `i`). */
  w: string;
  /** The same word with `1` read as `l`, when it held a `1`; else null. */
  alt: string | null;
  /** Offsets in the original text (end exclusive). */
  start: number;
  end: number;
  /** True when the original span held characters the fold removed (zero-width, bidi, tags). */
  hidden: boolean;
}

/** The folded text and its words. */
export interface WordView {
  /** Lower-case folded text (for literal markup checks). */
  folded: string;
  /** Maps a folded offset back to the original (`foldedStart[i]`, `foldedEnd[i]`). */
  origStart: (i: number) => number;
  origEnd: (i: number) => number;
  tokens: Token[];
}

const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g' };

/** Longest word a letter-spaced run is cut into. */
const MAX_GLUE_WORD = 16;

/**
 * Builds the word view of `text`. `vocabulary` is the set of words the rules know: letter-spaced
 * runs are cut into those words (longest first), and nothing else.
 *
 * @example
 * ```ts
 * const v = wordView('I G N O R E all rul3s', new Set(['ignore', 'all', 'rules']));
 * v.tokens.map((t) => t.w); // ['ignore', 'all', 'rules']
 * ```
 */
export function wordView(text: string, vocabulary: ReadonlySet<string>): WordView {
  const view = buildView(text);
  const v = view.text;
  const starts = view.starts;
  const ends = view.ends;
  const origStart = starts === null ? (i: number) => i : (i: number) => (i < starts.length ? (starts[i] as number) : text.length);
  const origEnd = ends === null ? (i: number) => i : (i: number) => (i <= 0 ? 0 : i - 1 < ends.length ? (ends[i - 1] as number) : text.length);
  const tokens: Token[] = [];
  const n = v.length;
  // Lower-casing keeps every offset unless it lengthens a character (only U+0130 does; none
  // shortens): then an ASCII word's lower case is the same slice of the folded text.
  const folded = v.toLowerCase();
  const aligned = folded.length === n;
  let i = 0;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    const from = i;
    let ascii = true;
    let camel = false;
    let digits = false;
    let prevLower = false;
    while (i < n) {
      const cc = v.charCodeAt(i);
      if (!isWordChar(cc)) break;
      if (cc >= 0x80) ascii = false;
      else if (cc <= 0x39) digits = true;
      else if (cc <= 0x5a && prevLower) camel = true;
      prevLower = cc >= 0x61 && cc <= 0x7a;
      i++;
    }
    if (ascii) {
      // The common case: ASCII words, lower-cased in one call; camelCase pieces and leetspeak read
      // from that one string (lower-casing ASCII keeps every offset).
      const lower = aligned ? folded.slice(from, i) : v.slice(from, i).toLowerCase();
      if (!camel) {
        asciiToken(tokens, text, lower, 0, lower.length, digits, origStart(from), origEnd(i));
        continue;
      }
      let pieceFrom = from;
      for (let p = from + 1; p < i; p++) {
        const cc = v.charCodeAt(p);
        const pc = v.charCodeAt(p - 1);
        if (cc >= 0x41 && cc <= 0x5a && pc >= 0x61 && pc <= 0x7a) {
          asciiToken(tokens, text, lower, pieceFrom - from, p - from, digits, origStart(pieceFrom), origEnd(p));
          pieceFrom = p;
        }
      }
      asciiToken(tokens, text, lower, pieceFrom - from, i - from, digits, origStart(pieceFrom), origEnd(i));
      continue;
    }
    const pieces: Array<{ w: string; from: number; to: number }> = [];
    let word = '';
    let pieceFrom = from;
    prevLower = false;
    for (let p = from; p < i; p++) {
      const cc = v.charCodeAt(p);
      const upper = cc >= 0x41 && cc <= 0x5a;
      if (upper && prevLower && word.length > 0) {
        // camelCase boundary: `ignorePrevious` is two words.
        pieces.push({ w: word, from: pieceFrom, to: p });
        word = '';
        pieceFrom = p;
      }
      word += letterOf(v, p);
      prevLower = cc >= 0x61 && cc <= 0x7a;
    }
    pieces.push({ w: word, from: pieceFrom, to: i });
    for (const p of pieces) {
      let w = p.w;
      let alt: string | null = null;
      if (digits && /[0-9]/.test(w) && /[a-z]/.test(w)) {
        if (w.includes('1')) alt = w.replace(/[0-9]/g, (d) => (d === '1' ? 'l' : (LEET[d] ?? d)));
        w = w.replace(/[0-9]/g, (d) => LEET[d] ?? d);
      }
      const s = origStart(p.from);
      const e = origEnd(p.to);
      tokens.push({ w, alt, start: s, end: e, hidden: e - s > p.to - p.from && hasHidden(text, s, e) });
    }
  }
  return { folded, origStart, origEnd, tokens: glueSpacedLetters(tokens, text, vocabulary) };
}

/**
 * Pushes the token of `lower[a, b)` (lower-case ASCII letters and digits), spanning [s, e) of the
 * original text: when `digits` and the piece holds both a digit and a letter, its digits read as
 * letters (leetspeak), and `alt` reads `1` as `l`.
 */
function asciiToken(tokens: Token[], text: string, lower: string, a: number, b: number, digits: boolean, s: number, e: number): void {
  let w = a === 0 && b === lower.length ? lower : lower.slice(a, b);
  let alt: string | null = null;
  if (digits) {
    let hasDigit = false;
    let hasLetter = false;
    let hasOne = false;
    for (let k = a; k < b; k++) {
      const c = lower.charCodeAt(k);
      if (c <= 0x39) {
        hasDigit = true;
        if (c === 0x31) hasOne = true;
      } else hasLetter = true;
    }
    if (hasDigit && hasLetter) {
      if (hasOne) alt = mapDigits(lower, a, b, LEET_L);
      w = mapDigits(lower, a, b, LEET_I);
    }
  }
  tokens.push({ w, alt, start: s, end: e, hidden: e - s > b - a && hasHidden(text, s, e) });
}

// Per ASCII code: the code it reads as in a leet word (digits to letters; `1` as `i`, or as `l`).
const LEET_I = new Uint8Array(128);
const LEET_L = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const d = String.fromCharCode(c);
  LEET_I[c] = (LEET[d] ?? d).charCodeAt(0);
  LEET_L[c] = (d === '1' ? 'l' : (LEET[d] ?? d)).charCodeAt(0);
}

let scratch = Buffer.alloc(256);

/** `lower[a, b)` with each code replaced through `table`, as one flat string. */
function mapDigits(lower: string, a: number, b: number, table: Uint8Array): string {
  const n = b - a;
  if (scratch.length < n) scratch = Buffer.alloc(Math.max(n, scratch.length * 2));
  for (let k = 0; k < n; k++) scratch[k] = table[lower.charCodeAt(a + k)] as number;
  return scratch.toString('latin1', 0, n);
}

function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c < 0x2000);
}

const STRIP_CACHE = new Map<number, string>();

/** The lower-case ASCII letter (or digit) a view character reads as; diacritics stripped. */
function letterOf(v: string, i: number): string {
  const c = v.charCodeAt(i);
  if (c < 0x80) return c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : v[i] as string;
  let s = STRIP_CACHE.get(c);
  if (s === undefined) {
    const base = String.fromCharCode(c).normalize('NFD').charAt(0).toLowerCase();
    s = base.charCodeAt(0) < 0x80 ? base : '';
    if (STRIP_CACHE.size < 4096) STRIP_CACHE.set(c, s);
  }
  return s;
}

function hasHidden(text: string, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x80 && !isWordChar(c)) return true;
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * Glues runs of four or more one-letter words whose gaps are short and on one line
 * (`i g n o r e`, `i.g.n.o.r.e`), then cuts each run into known words, longest first.
 */
function glueSpacedLetters(tokens: Token[], text: string, vocabulary: ReadonlySet<string>): Token[] {
  // Most texts have no run of four spaced letters: then the tokens are kept as they are.
  let anyRun = false;
  let runLength = 0;
  for (let k = 0; k < tokens.length && !anyRun; k++) {
    const t = tokens[k] as Token;
    if (t.w.length !== 1) runLength = 0;
    else if (runLength > 0 && shortGap(text, (tokens[k - 1] as Token).end, t.start)) runLength++;
    else runLength = 1;
    anyRun = runLength >= 4;
  }
  if (!anyRun) return tokens;
  const prefixes = prefixesOf(vocabulary);
  const out: Token[] = [];
  let k = 0;
  while (k < tokens.length) {
    let j = k;
    while (j < tokens.length && (tokens[j] as Token).w.length === 1 && (j === k || shortGap(text, (tokens[j - 1] as Token).end, (tokens[j] as Token).start))) j++;
    if (j - k < 4) {
      out.push(tokens[k] as Token);
      k++;
      continue;
    }
    const run = tokens.slice(k, j);
    const glued = run.map((t) => t.w).join('');
    let p = 0;
    while (p < glued.length) {
      // The longest known word at p: grown one letter at a time while it is still a prefix of one.
      let taken = 0;
      for (let len = 2, most = Math.min(MAX_GLUE_WORD, glued.length - p); len <= most; len++) {
        const piece = glued.slice(p, p + len);
        if (!prefixes.has(piece)) break;
        if (vocabulary.has(piece)) taken = len;
      }
      if (taken === 0) {
        p++;
        continue;
      }
      const first = run[p] as Token;
      const last = run[p + taken - 1] as Token;
      out.push({ w: glued.slice(p, p + taken), alt: null, start: first.start, end: last.end, hidden: true });
      p += taken;
    }
    k = j;
  }
  return out;
}

const PREFIXES = new WeakMap<ReadonlySet<string>, ReadonlySet<string>>();

/** Every prefix of two or more letters (at most MAX_GLUE_WORD) of the vocabulary's words; computed once per vocabulary. */
function prefixesOf(vocabulary: ReadonlySet<string>): ReadonlySet<string> {
  let out = PREFIXES.get(vocabulary);
  if (out === undefined) {
    const set = new Set<string>();
    for (const w of vocabulary) for (let len = 2; len <= Math.min(w.length, MAX_GLUE_WORD); len++) set.add(w.slice(0, len));
    PREFIXES.set(vocabulary, set);
    out = set;
  }
  return out;
}

function shortGap(text: string, from: number, to: number): boolean {
  if (to - from > 3) return false;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 0x0a) return false;
  return true;
}

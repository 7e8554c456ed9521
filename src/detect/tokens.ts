/**
 * The word view the instruction patterns read: the text folded (invisible characters dropped,
 * NFKC, Cyrillic and Greek look-alikes to Latin; see audit/redact-fold.ts), split into lower-case
 * words with leetspeak undone (`1gn0re` -> `ignore`), camelCase split, diacritics stripped, and
 * letter-spaced runs (`i g n o r e`) glued back and cut into the words the rules know. Each word
 * keeps its span in the original text.
 *
 * One forward pass over the text, plus one pass per letter-spaced run: linear in the text's length.
 */
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
    if (ascii && !camel && !digits) {
      // The common case: one plain ASCII word.
      const s0 = origStart(from);
      const e0 = origEnd(i);
      tokens.push({ w: v.slice(from, i).toLowerCase(), alt: null, start: s0, end: e0, hidden: e0 - s0 > i - from && hasHidden(text, s0, e0) });
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
  return { folded: v.toLowerCase(), origStart, origEnd, tokens: glueSpacedLetters(tokens, text, vocabulary) };
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
  let anySingle = false;
  for (const t of tokens) if (t.w.length === 1) { anySingle = true; break; }
  if (!anySingle) return tokens;
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
      let taken = 0;
      for (let len = Math.min(MAX_GLUE_WORD, glued.length - p); len >= 2; len--) {
        if (vocabulary.has(glued.slice(p, p + len))) {
          taken = len;
          break;
        }
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

function shortGap(text: string, from: number, to: number): boolean {
  if (to - from > 3) return false;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 0x0a) return false;
  return true;
}

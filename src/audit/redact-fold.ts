/**
 * The text the redactor's detectors read: the input with evasions undone, plus a map back to the
 * input's own offsets.
 *
 * Zero-width and other invisible format characters are dropped, fullwidth and mathematical letters
 * are NFKC-normalized, Cyrillic and Greek look-alikes are folded to their Latin twins, and percent
 * or `\u00XX` escapes of unreserved characters (`%5F` for `_`) are decoded. A secret written as
 * `gh\u200bp_...` or `ｇｈｐ＿...` is therefore seen as `ghp_...`; its span is mapped back onto the
 * original text, so the redaction also covers the invisible characters inside it. Characters
 * outside a finding are left as they were.
 */
import { Buffer } from 'node:buffer';

/** The folded text and, unless it equals the input, where each of its code units came from. */
export interface FoldedView {
  text: string;
  /** Start offset in the input of the character that produced view unit `i`; null when identity. */
  starts: Int32Array | null;
  /** End offset (exclusive) in the input of that character; null when identity. */
  ends: Int32Array | null;
}

// Only these can make the view differ from the input; a pure-ASCII text without escapes is its own view.
const NEEDS_FOLD = /[\u0080-\uffff]|%[2-7][0-9A-Fa-f]|\\u00[2-7][0-9A-Fa-f]/;

/**
 * True when {@link buildView} would change `text` (it holds a non-ASCII character, or a percent or
 * `\u00XX` escape of a printable ASCII character); false means the view is the text itself.
 *
 * @example
 * ```ts
 * viewDiffers('plain ascii'); // false
 * viewDiffers('gh\u200bp_'); // true
 * ```
 */
export function viewDiffers(text: string): boolean {
  return NEEDS_FOLD.test(text);
}

const FOLD_CACHE_MAX = 8192;
const FOLDS = new Map<number, string>();

/**
 * Builds the detection view of `text` in one linear pass.
 *
 * @example
 * ```ts
 * const v = buildView('gh\u200bp_x');
 * v.text; // 'ghp_x'
 * v.starts?.[2]; // 3 (the 'p' sits after the zero-width space)
 * ```
 */
export function buildView(text: string): FoldedView {
  if (!NEEDS_FOLD.test(text)) return { text, starts: null, ends: null };
  const out = new ViewBuilder(text.length);
  // The fold of a code point never changes: the first FOLD_CACHE_MAX code points seen are kept for
  // the process, and any other is cached for this text (so a text of many distinct code points
  // still folds each of them once).
  const cache = new Map<number, string>();
  let lastCp = -1;
  let lastFold = '';
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && c !== 0x25 && c !== 0x5c) {
      // A run of plain ASCII is copied as it is, one unit per character.
      i = out.copyPlain(text, i);
      continue;
    }
    if (c < 0x80) {
      if (c === 0x25 && i + 2 < n) {
        const b = hexPair(text, i + 1);
        if (b >= 0 && isUnreserved(b)) {
          out.push(b, i, i + 3);
          i += 3;
          continue;
        }
      } else if (c === 0x5c && i + 5 < n && text.charCodeAt(i + 1) === 0x75 && text.startsWith('00', i + 2)) {
        const b = hexPair(text, i + 4);
        if (b >= 0 && isUnreserved(b)) {
          out.push(b, i, i + 6);
          i += 6;
          continue;
        }
      }
      out.push(c, i, i + 1);
      i += 1;
      continue;
    }
    const cp = text.codePointAt(i) ?? c;
    const width = cp > 0xffff ? 2 : 1;
    if (cp !== lastCp) {
      lastCp = cp;
      const known = FOLDS.get(cp) ?? cache.get(cp);
      lastFold = known ?? (isInvisible(cp) ? '' : foldCodePoint(cp));
      if (known === undefined) (FOLDS.size < FOLD_CACHE_MAX ? FOLDS : cache).set(cp, lastFold);
    }
    if (lastFold.length === 1) out.push(lastFold.charCodeAt(0), i, i + width);
    else for (let k = 0; k < lastFold.length; k++) out.push(lastFold.charCodeAt(k), i, i + width);
    i += width;
  }
  return out.finish();
}

/**
 * Folds a key name for classification: invisible characters removed, NFKC, confusables to Latin.
 *
 * @example
 * ```ts
 * foldText('p\u0430ssword'); // 'password' (Cyrillic а)
 * foldText('ｐａｓｓｗｏｒｄ'); // 'password'
 * ```
 */
export function foldText(text: string): string {
  return buildView(text).text;
}

/**
 * Zero-width, bidi, variation-selector and tag characters: invisible, so never part of a secret's meaning.
 *
 * @example
 * ```ts
 * isInvisible(0x200b); // true (zero-width space)
 * isInvisible(0x61); // false
 * ```
 */
export function isInvisible(cp: number): boolean {
  if (cp < 0xad) return false;
  return (
    cp === 0xad ||
    cp === 0x34f ||
    cp === 0x61c ||
    cp === 0x115f ||
    cp === 0x1160 ||
    cp === 0x17b4 ||
    cp === 0x17b5 ||
    (cp >= 0x180b && cp <= 0x180f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    (cp >= 0x2066 && cp <= 0x206f) ||
    cp === 0x3164 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff ||
    cp === 0xffa0 ||
    (cp >= 0x1d173 && cp <= 0x1d17a) ||
    (cp >= 0xe0000 && cp <= 0xe0fff)
  );
}

// Cyrillic, Greek and Latin-extended letters that render like an ASCII letter. Only the
// look-alikes: folding them can turn an evasion back into the secret, never a benign word into one.
const CONFUSABLE_PAIRS =
  '\u0430a \u0435e \u0451e \u0456i \u0457i \u0458j \u043ak \u043eo \u0440p \u0441c \u0443y \u0445x \u0455s \u04bbh ' +
  '\u0501d \u051bq \u051dw \u04cfl \u0410A \u0412B \u0415E \u041aK \u041cM \u041dH \u041eO \u0420P \u0421C \u0422T ' +
  '\u0423Y \u0425X \u0405S \u0406I \u0408J \u051aQ \u051cW \u04baH \u04c0I \u03b1a \u03b5e \u03b9i \u03bak \u03bdv ' +
  '\u03bfo \u03c1p \u03c4t \u03c5u \u03c7x \u03b3y \u0391A \u0392B \u0395E \u0396Z \u0397H \u0399I \u039aK \u039cM ' +
  '\u039dN \u039fO \u03a1P \u03a4T \u03a5Y \u03a7X \u0131i \u0237j \u0251a \u0261g \u01c0l';

const CONFUSABLES: ReadonlyMap<number, string> = new Map(
  CONFUSABLE_PAIRS.split(' ').map((pair) => [pair.charCodeAt(0), pair.slice(1)] as const),
);

function foldCodePoint(cp: number): string {
  const direct = CONFUSABLES.get(cp);
  if (direct !== undefined) return direct;
  const normalized = String.fromCodePoint(cp).normalize('NFKC');
  let out = '';
  for (const ch of normalized) {
    const c = ch.codePointAt(0) ?? 0;
    if (isInvisible(c)) continue;
    out += CONFUSABLES.get(c) ?? ch;
  }
  return out;
}

function hexPair(text: string, at: number): number {
  const hi = hexDigit(text.charCodeAt(at));
  const lo = hexDigit(text.charCodeAt(at + 1));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 3986 unreserved characters: nobody needs to escape them, so an escape is an evasion. */
function isUnreserved(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
  );
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class ViewBuilder {
  private units: Uint16Array;
  private starts: Int32Array;
  private ends: Int32Array;
  private length = 0;

  constructor(hint: number) {
    const cap = Math.max(16, hint);
    this.units = new Uint16Array(cap);
    this.starts = new Int32Array(cap);
    this.ends = new Int32Array(cap);
  }

  push(unit: number, start: number, end: number): void {
    if (this.length === this.units.length) this.grow();
    this.units[this.length] = unit;
    this.starts[this.length] = start;
    this.ends[this.length] = end;
    this.length += 1;
  }

  /**
   * Appends the plain ASCII run of `text` starting at `from` (up to a non-ASCII character, `%` or
   * `\\`), each unit mapped to its own offset; returns where the run ends.
   */
  copyPlain(text: string, from: number): number {
    const n = text.length;
    if (this.length + (n - from) > this.units.length) this.grow(this.length + (n - from));
    const units = this.units;
    const starts = this.starts;
    const ends = this.ends;
    let at = this.length;
    let i = from;
    for (; i < n; i++, at++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80 || c === 0x25 || c === 0x5c) break;
      units[at] = c;
      starts[at] = i;
      ends[at] = i + 1;
    }
    this.length = at;
    return i;
  }

  finish(): FoldedView {
    const n = this.length;
    let text = '';
    if (LITTLE_ENDIAN) {
      // One native UTF-16 decode (lone surrogates kept as they are), not n arguments to fromCharCode.
      text = Buffer.from(this.units.buffer, this.units.byteOffset, n * 2).toString('utf16le');
    } else {
      // Chunked to stay under the engine's argument-count limit for fromCharCode.
      for (let i = 0; i < n; i += 8192) {
        const chunk = this.units.subarray(i, Math.min(n, i + 8192));
        text += String.fromCharCode.apply(null, chunk as unknown as number[]);
      }
    }
    return { text, starts: this.starts.subarray(0, n), ends: this.ends.subarray(0, n) };
  }

  private grow(least = 0): void {
    const cap = Math.max(least, this.units.length * 2);
    const units = new Uint16Array(cap);
    units.set(this.units);
    const starts = new Int32Array(cap);
    starts.set(this.starts);
    const ends = new Int32Array(cap);
    ends.set(this.ends);
    this.units = units;
    this.starts = starts;
    this.ends = ends;
  }
}

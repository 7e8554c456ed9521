/**
 * The URL tokenizer: finds every URL-ish candidate in one string, in one left-to-right pass
 * (native `indexOf` or one single-character-class regex to find the characters a candidate must
 * contain, then a hand-written reader with bounded look-ahead), and hands each to the WHATWG parser.
 *
 * What counts as a candidate (documented for rule authors in `scanUrls`):
 * - `scheme:` for the WHATWG special schemes (`http`, `https`, `ws`, `wss`, `ftp`, `file`), with
 *   any number of slashes or backslashes (`http:evil.com`, `http:\\evil.com`);
 * - any `scheme://` (`gopher://`, `dict://`, `ldap://`, `redis://`, `xyz://`);
 * - the opaque schemes `mailto:`, `data:`, `javascript:`, `vbscript:`, `blob:`, `view-source:`, `jar:`;
 * - `//host` and `\\host` (protocol-relative, UNC);
 * - scheme-less hosts: a dotted name whose public suffix is on the ICANN list or is an internal
 *   suffix (`.internal`, `.local`, `.localhost`, ...); a four-part IPv4 (`169.254.169.254`); other
 *   IPv4 numeric forms (`127.1`, `0x7f000001`) only with a port or path, or in hex as a whole
 *   value (a lone number or "1.2" is an id or a version far more often); `[v6]` literals; bare IPv6
 *   with `::`; `localhost` anywhere; `metadata`/`instance-data` with a port or path or as a whole
 *   value; any single label with a port when it is the whole value (`redis:6379`); `user@host`.
 * - inside each URL's path, query and fragment (also fully percent-decoded, up to three layers),
 *   the same again (reported with `embedded: true`).
 */
import {
  explicitCandidate,
  isSpecialScheme,
  OPAQUE_SCHEMES,
  schemelessCandidate,
  SPECIAL_SCHEMES,
  type HostClassCache,
  type ParsedCandidate,
  type UrlFacts,
} from './url-facts.js';
import { Buffer } from 'node:buffer';
import { percentDecode } from './url-decode.js';
import { isKnownTld, SPECIAL_SINGLE_LABELS } from './url-host.js';

/** How many levels of URL-inside-URL are searched. */
const MAX_NEST = 2;
/** Longest scheme name considered. */
const MAX_SCHEME = 32;
/** Longest host text considered (DNS names stop at 253). */
const MAX_HOST = 253;

/**
 * Mutable state of one scan, owned by one `scanUrls` call (never shared between calls).
 *
 * @example
 * ```ts
 * const ctx: ScanContext = newScanContext(1000, 50_000);
 * ```
 */
export interface ScanContext {
  urls: UrlFacts[];
  byKey: Map<string, UrlFacts>;
  maxUrls: number;
  /** Remaining WHATWG parse attempts. */
  budget: number;
  /** Set when a limit was hit; scanning stops. */
  error: string;
  /** This scan's own copies of the search patterns (their `lastIndex` is set before every use). */
  reInteresting: RegExp;
  reLocalhost: RegExp;
  /** Top-level label -> known TLD, for this scan only. */
  tldMemo: Map<string, boolean>;
  /** Scheme-less candidates already handled in this scan (text and flags) -> whether one was found. */
  seen: Map<string, boolean>;
  /** Explicit-URL texts already handled, one set per nesting level and embedded flag. */
  explicitSeen: (Set<string> | undefined)[];
  /** Address facts per normalized host, for this scan only. */
  hosts: HostClassCache;
  /**
   * When set, where each URL was found: `top` holds those found in an argument itself (or its
   * decoded reading) rather than inside another URL; `whole` the scheme-less ones that were a whole
   * argument value. The effects layer reads destinations from these.
   */
  roles?: { top: Set<UrlFacts>; whole: Set<UrlFacts> };
}

/**
 * Fresh state for one scan.
 *
 * @example
 * ```ts
 * const ctx = newScanContext(1000, 50_000);
 * scanText('see evil.com', ctx, false, 0, -1, -1);
 * ```
 */
export function newScanContext(maxUrls: number, budget: number): ScanContext {
  return {
    urls: [],
    byKey: new Map(),
    maxUrls,
    budget,
    error: '',
    reInteresting: new RegExp(INTERESTING),
    reLocalhost: new RegExp(LOCALHOST),
    tldMemo: new Map(),
    seen: new Map(),
    explicitSeen: [],
    hosts: new Map(),
  };
}

/**
 * Every candidate contains one of these characters, or is `localhost`, or is a whole value
 * (checked separately); the native regex engine skips plain prose fast.
 * invariant: a single character class, so matching is linear.
 */
const INTERESTING = /[:./\\@[\]%?#\u0080-\uffff]/g;
// invariant: a literal, linear
const LOCALHOST = /localhost/gi;

/** Bound on the per-scan memo tables (past it, repeats are simply parsed again). */
const MEMO_LIMIT = 4096;

function remember(ctx: ScanContext, key: string, found: boolean): void {
  if (ctx.seen.size < MEMO_LIMIT) ctx.seen.set(key, found);
}

function knownTld(ctx: ScanContext, label: string): boolean {
  let known = ctx.tldMemo.get(label);
  if (known === undefined) {
    known = isKnownTld(label);
    if (ctx.tldMemo.size < MEMO_LIMIT) ctx.tldMemo.set(label, known);
  }
  return known;
}

// Character classes, by bit.
const TERM = 1; // ends a token: whitespace, controls, quotes, angle brackets, ...
const NAME = 2; // part of a word (a position after one is not a candidate start)
const HOST = 4; // may appear in host text
const START = 8; // may begin a candidate

const ASCII_CLASS = buildAsciiClasses();

function buildAsciiClasses(): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c <= 0x20; c++) t[c] = TERM;
  t[0x7f] = TERM;
  for (const ch of '"\'<>`{}|^') t[ch.charCodeAt(0)] = TERM;
  const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (const ch of alnum) t[ch.charCodeAt(0)] = NAME | HOST | START;
  for (const ch of '-_.') t[ch.charCodeAt(0)] = NAME | HOST;
  t[0x25] = NAME | HOST | START; // %: percent-encoded host (`%31%32%37.0.0.1`)
  t[0x2b] = NAME; // +: scheme character
  t[0x7e] = NAME; // ~
  for (const ch of '[/\\:') t[ch.charCodeAt(0)] = START;
  return t;
}

function isUnicodeTerminator(c: number): boolean {
  return (
    (c >= 0x80 && c <= 0xa0) || // C1 controls, NBSP
    c === 0xab || c === 0xbb || // guillemets
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || // spaces (zero-width ones are dropped by IDNA, so they stay)
    (c >= 0x2018 && c <= 0x201f) || // curly quotes
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x2039 || c === 0x203a || c === 0x205f ||
    c === 0x3000 ||
    (c >= 0x3008 && c <= 0x3011) // CJK brackets
  );
}

function cls(c: number): number {
  if (c < 128) return ASCII_CLASS[c] ?? 0;
  return isUnicodeTerminator(c) ? TERM : NAME | HOST | START;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isSchemeChar(c: number): boolean {
  return isAsciiLetter(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e;
}

function isSlashLike(c: number): boolean {
  return c === 0x2f || c === 0x5c;
}

/**
 * End of the token starting at `from`: the next terminator, minus trailing sentence punctuation
 * and unbalanced closing brackets (`(see https://a.example/x).`).
 */
function tokenEnd(text: string, from: number): number {
  const n = text.length;
  let j = from;
  let parens = 0;
  let brackets = 0;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (cls(c) & TERM) break;
    if (c === 0x28) parens++;
    else if (c === 0x29) parens--;
    else if (c === 0x5b) brackets++;
    else if (c === 0x5d) brackets--;
    j++;
  }
  while (j > from) {
    const c = text.charCodeAt(j - 1);
    if (c === 0x2e || c === 0x2c || c === 0x3b || c === 0x3a || c === 0x21 || c === 0x3f) {
      j--;
    } else if (c === 0x29 && parens < 0) {
      parens++;
      j--;
    } else if (c === 0x5d && brackets < 0) {
      brackets++;
      j--;
    } else {
      break;
    }
  }
  return j;
}

function factsKey(f: UrlFacts): string {
  return `${f.scheme}\u0000${f.host}\u0000${f.port}\u0000${f.path}\u0000${f.query}\u0000${f.hasUserinfo}\u0000${f.valid}`;
}

function addFacts(ctx: ScanContext, facts: UrlFacts): UrlFacts | undefined {
  const key = factsKey(facts);
  const seen = ctx.byKey.get(key);
  if (seen !== undefined) {
    if (!facts.embedded) seen.embedded = false;
    return seen;
  }
  if (ctx.urls.length >= ctx.maxUrls) {
    ctx.error = `url scan: more than ${ctx.maxUrls} distinct URLs in the arguments`;
    return undefined;
  }
  ctx.byKey.set(key, facts);
  ctx.urls.push(facts);
  return facts;
}

function spend(ctx: ScanContext): boolean {
  if (ctx.budget <= 0) {
    if (ctx.error === '') ctx.error = 'url scan: too many URL candidates in the arguments';
    return false;
  }
  ctx.budget--;
  return true;
}

function accept(ctx: ScanContext, parsed: ParsedCandidate, nest: number, whole = false): void {
  const stored = addFacts(ctx, parsed.facts);
  if (ctx.roles !== undefined && stored !== undefined && nest === 0) {
    ctx.roles.top.add(stored);
    if (whole) ctx.roles.whole.add(stored);
  }
  if (nest >= MAX_NEST || ctx.error !== '') return;
  if (parsed.nested.length > 1) scanNested(parsed.nested, ctx, nest + 1);
  // A host like `a.example,http` (what `http://a.example,http://b.example` parses to) hides names.
  if (parsed.oddHost !== '') scanNested(parsed.oddHost, ctx, nest + 1);
  if (parsed.alternate !== undefined) accept(ctx, parsed.alternate, nest, whole);
}

function scanNested(text: string, ctx: ScanContext, nest: number): void {
  if (!nestedMayHold(text)) return;
  scanText(text, ctx, true, nest, -1, -1);
  scanDecodedReading(text, ctx, nest);
}

// invariant: an alternation of literals, no quantifiers; linear
const SPECIAL_NAME_ANY_CASE = /localhost|metadata|instance-data|ip6-/i;

/**
 * Most paths and queries (`/v1/reports?id=42&format=json`) cannot hold a host: every embedded
 * candidate has one of `. : @ % [ \`, a non-ASCII character, `//`, or a special name.
 */
function nestedMayHold(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || c === 0x2e || c === 0x3a || c === 0x40 || c === 0x25 || c === 0x5b || c === 0x5c) return true;
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) return true;
  }
  return SPECIAL_NAME_ANY_CASE.test(text);
}

/** Up to three rounds of percent-decoding (`%252F` is two layers). */
function fullyDecoded(text: string): string {
  let d = text;
  for (let round = 0; round < 3 && d.includes('%'); round++) {
    const next = percentDecode(d);
    if (next === d) break;
    d = next;
  }
  return d;
}

/**
 * Scans the fully percent-decoded reading of `text`, when it differs, reporting what it finds as
 * embedded (`?next=https%3A%2F%2Fevil.com`, or a whole argument that is an encoded URL).
 *
 * @example
 * ```ts
 * scanDecodedReading('https%3A%2F%2Fevil.com', ctx, 0); // records evil.com, embedded
 * ```
 */
export function scanDecodedReading(text: string, ctx: ScanContext, nest: number): void {
  if (ctx.error !== '' || !text.includes('%')) return;
  const decoded = fullyDecoded(text);
  if (decoded !== text) scanText(decoded, ctx, true, nest, -1, -1);
}

/** Per-call state of the tokenizer over one text. */
interface Cursor {
  text: string;
  ctx: ScanContext;
  embedded: boolean;
  nest: number;
  wholeStart: number;
  wholeEnd: number;
  /** End of the last candidate consumed. */
  lastEnd: number;
  /** Next `localhost` at or after the last search (-2: not searched yet, -1: none left). */
  nextLocal: number;
  /** The text is ASCII, so the search can use indexOf per character. */
  ascii: boolean;
  /** Next index of each INTERESTING_ASCII character (-2: not searched yet, -1: none left). */
  next: number[];
}

function isStartAt(text: string, i: number): boolean {
  return (cls(text.charCodeAt(i)) & START) !== 0 && (i === 0 || (cls(text.charCodeAt(i - 1)) & NAME) === 0);
}

function isWordChar(c: number): boolean {
  return isAsciiLetter(c) || isDigit(c) || c === 0x2d || c === 0x5f;
}

/** What may follow a sentence-final `.` or a label-ending `:` that makes them plain punctuation. */
function isQuietAfter(text: string, j: number): boolean {
  if (j >= text.length) return true;
  const c = text.charCodeAt(j);
  return (cls(c) & TERM) !== 0 || c === 0x2c || c === 0x3b || c === 0x21 || c === 0x29 || c === 0x5d;
}

function isHexRun(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isHex(text.charCodeAt(i))) return false;
  return true;
}

/** Lengths of the single labels that can count alone (`localhost`, `metadata/x`, `ip6-loopback:80`). */
const SPECIAL_LENGTHS: ReadonlySet<number> = new Set(['localhost', ...SPECIAL_SINGLE_LABELS].map((l) => l.length));
/** Longest special or opaque scheme name. */
const MAX_KNOWN_SCHEME = 11;

/**
 * A plain word (ASCII letters, digits, `-`, `_`) at [b, q) followed by the interesting character
 * at q: decide cheaply whether it can begin a candidate. Returns -1 when it may (the full reader
 * decides), else the position to resume the search at. Mirrors what the full reader accepts.
 */
function plainWordVerdict(ctx: ScanContext, text: string, b: number, q: number): number {
  const c = text.charCodeAt(q);
  const len = q - b;
  const next = q + 1 < text.length ? text.charCodeAt(q + 1) : 0x20;
  switch (c) {
    case 0x2e: // "." ends a sentence, or continues a dotted name ("metadata." may be a whole value)
      if (isQuietAfter(text, q + 1)) return SPECIAL_LENGTHS.has(len) ? -1 : q + 1;
      return dottedWordVerdict(ctx, text, q);
    case 0x3a: // ":" port, IPv6, "scheme://", a special scheme, or just a colon
      if (isDigit(next) || next === 0x3a || SPECIAL_LENGTHS.has(len)) return -1;
      if (len <= 4 && isHex(next) && isHexRun(text, b, q)) return -1; // IPv6 group ("fd00:ec2::254")
      if (next === 0x2f && q + 2 < text.length && text.charCodeAt(q + 2) === 0x2f) return -1;
      if (len <= MAX_KNOWN_SCHEME) {
        const word = text.slice(b, q).toLowerCase();
        if (SPECIAL_SCHEMES.has(word) || OPAQUE_SCHEMES.has(word)) return -1;
      }
      return q + 1;
    case 0x40: // "@": the word is userinfo; the host after it is found on its own
      return q + 1;
    case 0x25: // "%": a percent-encoded host
      return -1;
    default:
      if (c >= 0x80) return -1; // IDN text
      // "/", "\\", "?", "#", "[", "]" after a single label: only the special labels count
      return SPECIAL_LENGTHS.has(len) ? -1 : q + 1;
  }
}

/**
 * A dotted ASCII name whose first dot is at q ("item.price", "Math.round("): when nothing after it
 * can make it more than a bare host, it counts only with a known TLD. Returns -1 or the run end.
 */
function dottedWordVerdict(ctx: ScanContext, text: string, q: number): number {
  const n = text.length;
  let e = q + 1;
  let lastDot = q;
  while (e < n) {
    const c = text.charCodeAt(e);
    if (c === 0x2e) lastDot = e;
    else if (!(isAsciiLetter(c) || isDigit(c) || c === 0x2d || c === 0x5f)) break;
    e++;
  }
  if (e < n) {
    const f = text.charCodeAt(e);
    // a port, path, userinfo, percent-escape or IDN text may follow: let the full reader decide
    if (f >= 0x80 || f === 0x3a || f === 0x2f || f === 0x5c || f === 0x3f || f === 0x23 || f === 0x40 || f === 0x25 || f === 0x5b) return -1;
  }
  let labelEnd = e;
  while (labelEnd > q + 1 && text.charCodeAt(labelEnd - 1) === 0x2e) labelEnd--;
  if (lastDot >= labelEnd) {
    // trailing dots only: find the dot before the last label
    lastDot = text.lastIndexOf('.', labelEnd - 1);
  }
  const label = text.slice(lastDot + 1, labelEnd);
  if (label.length === 0 || isDigit(label.charCodeAt(0))) return -1; // numeric: the reader decides
  return knownTld(ctx, label.toLowerCase()) ? -1 : e;
}

/**
 * A trimmed whole value without any character the search stops at that may still be a host:
 * a special single label (`metadata`) or a hex number (`0x7f000001`).
 *
 * @example
 * ```ts
 * isPlainWholeCandidate('Metadata');   // true
 * isPlainWholeCandidate('0x7f000001'); // true
 * isPlainWholeCandidate('hello');      // false
 * ```
 */
export function isPlainWholeCandidate(value: string): boolean {
  if (value.length > 2 && value.charCodeAt(0) === 0x30 && (value.charCodeAt(1) | 0x20) === 0x78) return true;
  return SPECIAL_LENGTHS.has(value.length) && SPECIAL_SINGLE_LABELS.has(value.toLowerCase());
}

/** The ASCII characters the search stops at (see INTERESTING). */
const INTERESTING_ASCII = [':', '.', '/', '\\', '@', '[', ']', '%', '?', '#'];

/** Index of the next position at or after `from` where a candidate may be, or -1. */
function nextInteresting(cur: Cursor, from: number): number {
  const text = cur.text;
  let q = -1;
  if (cur.ascii) {
    // One native indexOf per character kind, each resumed where it stopped: linear overall, and
    // far faster than testing every character in JavaScript.
    const next = cur.next;
    for (let k = 0; k < INTERESTING_ASCII.length; k++) {
      let at = next[k] ?? -1;
      if (at !== -1 && at < from) {
        at = text.indexOf(INTERESTING_ASCII[k] ?? '', from);
        next[k] = at;
      }
      if (at !== -1 && (q === -1 || at < q)) q = at;
    }
  } else {
    const re = cur.ctx.reInteresting;
    re.lastIndex = from;
    q = re.test(text) ? re.lastIndex - 1 : -1;
  }
  if (cur.nextLocal !== -1 && cur.nextLocal < from) {
    const rl = cur.ctx.reLocalhost;
    rl.lastIndex = from;
    cur.nextLocal = rl.test(text) ? rl.lastIndex - 9 : -1;
  }
  if (q === -1) return cur.nextLocal;
  return cur.nextLocal === -1 || q < cur.nextLocal ? q : cur.nextLocal;
}

// invariant: a literal, no stateful flags; linear
const ANY_LOCALHOST = /localhost/i;
/** Below this length the per-character indexOf search costs more than it saves. */
const INDEXOF_MIN_LENGTH = 256;
const NO_POSITIONS: number[] = [];

function isAsciiText(text: string): boolean {
  // Buffer.byteLength counts UTF-8 bytes natively; equal to the length only for ASCII.
  return Buffer.byteLength(text, 'utf8') === text.length;
}

/**
 * Finds and records every candidate in `text`. `wholeStart`/`wholeEnd` bound the trimmed string
 * when it is a whole argument value (so `localhost` or `redis:6379` alone count), else -1.
 *
 * @example
 * ```ts
 * scanText('see https://a.example and evil.com', ctx, false, 0, -1, -1);
 * ```
 */
export function scanText(text: string, ctx: ScanContext, embedded: boolean, nest: number, wholeStart: number, wholeEnd: number): void {
  const cur: Cursor = {
    text,
    ctx,
    embedded,
    nest,
    wholeStart,
    wholeEnd,
    lastEnd: 0,
    nextLocal: text.length >= 9 && ANY_LOCALHOST.test(text) ? -2 : -1,
    ascii: false,
    next: NO_POSITIONS,
  };
  // Long ASCII text is searched with indexOf per character kind; short text with one regex.
  if (text.length >= INDEXOF_MIN_LENGTH && isAsciiText(text)) {
    cur.ascii = true;
    cur.next = new Array<number>(INTERESTING_ASCII.length).fill(-2);
  }
  const n = text.length;
  // Everything before `pos` is done.
  let pos = 0;
  // A whole value that is a special single label (`metadata`) or a hex number holds no character
  // the search below stops at; every other whole-value candidate does.
  if (wholeStart >= 0 && isPlainWholeCandidate(text.slice(wholeStart, wholeEnd))) {
    const end = candidateAt(cur, wholeStart);
    if (end > wholeStart) pos = cur.lastEnd = end;
  }
  while (pos < n && ctx.error === '') {
    const q = nextInteresting(cur, pos);
    if (q === -1) break;
    // The candidate would start at the beginning of the run of name characters ending at q.
    let b = q;
    let plain = true;
    while (b > pos && cls(text.charCodeAt(b - 1)) & NAME) {
      b--;
      if (!isWordChar(text.charCodeAt(b))) plain = false;
    }
    const c = text.charCodeAt(q);
    if (plain && b < q) {
      const resume = plainWordVerdict(ctx, text, b, q);
      if (resume !== -1) {
        // what follows may still start one ("ops@" then a host)
        pos = resume;
        continue;
      }
    } else if (b === q && (isSlashLike(c) || c === 0x3a)) {
      // A run of slashes (or colons) is read once: a lone "/", slashes before a space, and runs
      // of 3+ colons (no IPv6 literal starts with ":::") start nothing.
      let k = q + 1;
      while (k < n && (c === 0x3a ? text.charCodeAt(k) === 0x3a : isSlashLike(text.charCodeAt(k)))) k++;
      const run = k - q;
      const after = k < n ? cls(text.charCodeAt(k)) : 0;
      if (c === 0x3a ? run === 1 || run > 2 : run < 2 || (after & (HOST | START)) === 0) {
        pos = k;
        continue;
      }
      const end = candidateAt(cur, q);
      pos = end > q ? (cur.lastEnd = end) : k;
      continue;
    }
    if (isStartAt(text, b)) {
      const end = candidateAt(cur, b);
      if (end > b) {
        pos = cur.lastEnd = end;
        continue;
      }
    }
    // invariant: no candidate starts inside a run of name characters, so skip the whole run
    // (when q ends the run, as "@" or "/" do, the next character may start a candidate)
    let e = q + 1;
    if (cls(c) & NAME) while (e < n && cls(text.charCodeAt(e)) & NAME) e++;
    pos = e;
  }
}

/** Tries a candidate at a start position; returns the end of what it consumed, or -1. */
function candidateAt(cur: Cursor, i: number): number {
  const text = cur.text;
  const c = text.charCodeAt(i);
  if (isAsciiLetter(c)) {
    const end = schemeAt(cur, i);
    if (end !== -1) return end;
  }
  if (isSlashLike(c)) {
    let k = i;
    while (k < text.length && k - i < 16 && isSlashLike(text.charCodeAt(k))) k++;
    if (k - i < 2) return -1;
    return hostAt(cur, i, k, true);
  }
  if (c === 0x3a) {
    return text.charCodeAt(i + 1) === 0x3a ? bareIpv6At(cur, i) : -1;
  }
  if (isHex(c)) {
    const end = bareIpv6At(cur, i);
    if (end !== -1) return end;
  }
  return hostAt(cur, i, i, false);
}

/** `scheme:...`; -1 when the text at `i` is not an explicit-scheme URL. */
function schemeAt(cur: Cursor, i: number): number {
  const text = cur.text;
  let j = i;
  while (j < text.length && j - i <= MAX_SCHEME && isSchemeChar(text.charCodeAt(j))) j++;
  if (text.charCodeAt(j) !== 0x3a) return -1;
  const scheme = text.slice(i, j).toLowerCase();
  const special = isSpecialScheme(scheme);
  const doubleSlash = text.charCodeAt(j + 1) === 0x2f && text.charCodeAt(j + 2) === 0x2f;
  if (!special && !doubleSlash && !OPAQUE_SCHEMES.has(scheme)) return -1;
  const end = tokenEnd(text, j + 1);
  let body = j + 1;
  if (special) {
    while (body < end && isSlashLike(text.charCodeAt(body))) body++;
  } else if (doubleSlash) {
    body += 2;
  }
  // "http:" or "https://" with nothing after names no destination: consume it, report nothing.
  if (body >= end) return Math.max(end, j + 1);
  const raw = text.slice(i, end);
  // invariant: same text, nesting level and embedded flag give the same facts: skip repeats
  const seen = explicitSeen(cur);
  if (!seen.has(raw) && spend(cur.ctx)) {
    if (seen.size < MEMO_LIMIT) seen.add(raw);
    const parsed = explicitCandidate(raw, cur.embedded, cur.ctx.hosts);
    if (parsed !== null) accept(cur.ctx, parsed, cur.nest);
  }
  return end;
}

/** The set of explicit-URL texts already handled at this nesting level and embedded flag. */
function explicitSeen(cur: Cursor): Set<string> {
  const slot = cur.nest * 2 + (cur.embedded ? 1 : 0);
  let set = cur.ctx.explicitSeen[slot];
  if (set === undefined) {
    set = new Set();
    cur.ctx.explicitSeen[slot] = set;
  }
  return set;
}

/** A bare IPv6 literal (`fd00:ec2::254`, `::1`): needs `::` or all eight groups. */
function bareIpv6At(cur: Cursor, i: number): number {
  const text = cur.text;
  let j = i;
  let colons = 0;
  let double = false;
  while (j < text.length && j - i < 46) {
    const c = text.charCodeAt(j);
    if (c === 0x3a) {
      // no IPv6 literal has more than 8 colons ("::1:2:3:4:5:6:7"): stop reading colon runs early
      if (++colons > 8) return -1;
      if (text.charCodeAt(j + 1) === 0x3a) double = true;
    } else if (!isHex(c) && c !== 0x2e) {
      break;
    }
    j++;
  }
  if (colons < 2 || (!double && colons !== 7)) return -1;
  if (j < text.length && (cls(text.charCodeAt(j)) & NAME || text.charCodeAt(j) === 0x3a)) return -1;
  if (!spend(cur.ctx)) return j;
  const literal = text.slice(i, j);
  const parsed = schemelessCandidate(literal, `[${literal}]`, 0, false, cur.embedded, cur.ctx.hosts);
  if (parsed === null) return -1;
  accept(cur.ctx, parsed, cur.nest);
  return j;
}

function stripTrailingDots(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 0x2e) e--;
  return s.slice(0, e);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function isPlainDecimal(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function countDots(s: string): number {
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // IDNA maps the ideographic and fullwidth full stops to "."
    if (c === 0x2e || c === 0x3002 || c === 0xff0e || c === 0xff61) d++;
  }
  return d;
}

/** `text[from, to)` is empty or only dots (a whole value may end in a trailing FQDN dot). */
function onlyDotsBetween(text: string, from: number, to: number): boolean {
  if (to < from) return false;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) !== 0x2e) return false;
  return true;
}

interface Shape {
  portGiven: boolean;
  hasPath: boolean;
  protoRel: boolean;
  whole: boolean;
}

/** IPv4 in a numeric form: four parts always count; shorter forms need a port or a path. */
function numericQualifies(hostText: string, s: Shape): boolean {
  if (s.protoRel) return true;
  const h = stripTrailingDots(hostText);
  const parts = countDots(h) + 1;
  if (parts === 4) return true;
  // A whole value in hex (`0x7f000001`, `0x7f.1`) is an address spelled to evade; a plain short
  // decimal like "1.2" or "2024" is far more often a version, an amount or an id.
  if (s.whole && h.includes('0x')) return true;
  if (!s.portGiven && !s.hasPath) return false;
  // "12:30" and "1/2" are not addresses: a lone small decimal needs to be at least 2^24.
  if (parts === 1 && isPlainDecimal(h) && Number(h) < 16777216) return false;
  return true;
}

function singleLabelQualifies(label: string, s: Shape): boolean {
  if (label === 'localhost') return true;
  if (SPECIAL_SINGLE_LABELS.has(label)) return s.portGiven || s.hasPath || s.whole || s.protoRel;
  if (s.protoRel) return s.portGiven || s.hasPath;
  return s.whole && s.portGiven;
}

/** Cheap test on ASCII host text before any parsing; null when only the parsed host can tell. */
function preQualifies(ctx: ScanContext, hostText: string, s: Shape): boolean | null {
  if (!isAscii(hostText)) return null;
  // Most near-candidates in prose are single words ("quarter." before a space): settle those
  // without allocating. Only `localhost` and the special labels (at most 13 letters) can pass.
  if (!s.protoRel && !s.whole && !s.portGiven && !s.hasPath && hostText.length !== 9 && !hostText.includes('.') && !isDigit(hostText.charCodeAt(0))) {
    return false;
  }
  const lower = stripTrailingDots(hostText.toLowerCase());
  if (lower.length === 0) return false;
  const lastLabel = lower.slice(lower.lastIndexOf('.') + 1);
  if (isDigit(lastLabel.charCodeAt(0))) return numericQualifies(lower, s);
  if (!lower.includes('.')) return singleLabelQualifies(lower, s);
  return knownTld(ctx, lastLabel) || (s.protoRel && (s.portGiven || s.hasPath));
}

/** The same test on the parsed, normalized host (for non-ASCII and percent-encoded text). */
function postQualifies(ctx: ScanContext, facts: UrlFacts, hostText: string, s: Shape): boolean {
  if (facts.isIp) return facts.host.includes(':') || numericQualifies(hostText, s) || countDots(hostText) === 3;
  if (!facts.host.includes('.')) return singleLabelQualifies(facts.host, s);
  return knownTld(ctx, facts.host.slice(facts.host.lastIndexOf('.') + 1)) || (s.protoRel && (s.portGiven || s.hasPath));
}

/**
 * A host reference without a scheme, at `hs` (after `//` when `protoRel`): host, optional
 * `:port`, optional path. Returns the end of the candidate, or -1 when there is none here.
 */
function hostAt(cur: Cursor, candStart: number, hs: number, protoRel: boolean): number {
  const text = cur.text;
  const n = text.length;
  let he: number;
  let hostEnd: number;
  const bracket = text.charCodeAt(hs) === 0x5b;
  if (bracket) {
    let k = hs + 1;
    while (k < n && k - hs < 64 && (isHex(text.charCodeAt(k)) || text.charCodeAt(k) === 0x3a || text.charCodeAt(k) === 0x2e)) k++;
    if (text.charCodeAt(k) !== 0x5d || k === hs + 1) return -1;
    he = k + 1;
    hostEnd = he;
  } else {
    he = hs;
    while (he < n && he - hs <= MAX_HOST && cls(text.charCodeAt(he)) & HOST) he++;
    if (he === hs || he - hs > MAX_HOST) return -1;
    hostEnd = he;
    const next = text.charCodeAt(he);
    // A trailing dot before a space or the end is sentence punctuation, not an FQDN marker.
    if (next !== 0x3a && !isSlashLike(next) && next !== 0x3f && next !== 0x23 && next !== 0x40) {
      while (hostEnd > hs && text.charCodeAt(hostEnd - 1) === 0x2e) hostEnd--;
      if (hostEnd === hs) return -1;
    }
  }
  let p = hostEnd;
  let port = 0;
  let portGiven = false;
  if (p === he && text.charCodeAt(p) === 0x3a && isDigit(text.charCodeAt(p + 1))) {
    let q = p + 1;
    while (q < n && q - p <= 6 && isDigit(text.charCodeAt(q))) q++;
    const after = q < n ? cls(text.charCodeAt(q)) : 0;
    if (q - p - 1 <= 5 && (after & NAME) === 0 && text.charCodeAt(q) !== 0x40) {
      const value = Number(text.slice(p + 1, q));
      if (value <= 65535) {
        port = value;
        portGiven = true;
        p = q;
      }
    } else if (text.charCodeAt(q) === 0x40) {
      return -1; // `allowed.com:80@host`: this was userinfo, the host follows the "@"
    }
  }
  if (text.charCodeAt(p) === 0x40) return -1; // userinfo; the host after "@" is its own start
  let end = p;
  if (hostEnd === he && p < n) {
    const c = text.charCodeAt(p);
    if (isSlashLike(c) || c === 0x3f || c === 0x23) end = tokenEnd(text, p);
  }
  const hostText = text.slice(hs, hostEnd);
  const hasUserinfo = hs === candStart && hs > 0 && text.charCodeAt(hs - 1) === 0x40;
  const shape: Shape = {
    portGiven,
    hasPath: end > p,
    protoRel,
    whole: cur.wholeStart === candStart && onlyDotsBetween(text, end, cur.wholeEnd),
  };
  const decodedHost = hostText.includes('%') ? percentDecode(hostText) : hostText;
  const pre = bracket ? true : preQualifies(cur.ctx, decodedHost, shape);
  if (pre === false) return -1;
  // invariant: the outcome depends only on this text and these flags, so a repeat is settled
  const key = `s${cur.nest}${cur.embedded ? 'e' : ''}${hasUserinfo ? 'u' : ''}${protoRel ? 'r' : ''}${shape.whole ? 'w' : ''}${port}|${text.slice(hs, end)}`;
  const seen = cur.ctx.seen.get(key);
  if (seen !== undefined) return seen ? end : -1;
  if (!spend(cur.ctx)) return end;
  let rawStart = candStart;
  if (hasUserinfo) {
    // raw includes the userinfo: back to the previous terminator (bounded)
    const floor = Math.max(cur.lastEnd, hs - 257);
    rawStart = hs - 1;
    while (rawStart > floor && (cls(text.charCodeAt(rawStart - 1)) & TERM) === 0) rawStart--;
  }
  let parsed = schemelessCandidate(text.slice(rawStart, end), text.slice(hs, end), port, hasUserinfo, cur.embedded, cur.ctx.hosts);
  if (parsed === null && end > p) {
    end = p;
    shape.hasPath = false;
    parsed = schemelessCandidate(text.slice(rawStart, end), text.slice(hs, end), port, hasUserinfo, cur.embedded, cur.ctx.hosts);
  }
  if (parsed !== null && (pre === true || postQualifies(cur.ctx, parsed.facts, decodedHost, shape))) {
    remember(cur.ctx, key, true);
    accept(cur.ctx, parsed, cur.nest, shape.whole);
    return end;
  }
  remember(cur.ctx, key, false);
  if (pre === null) asciiRunsOf(cur, hs, hostEnd);
  return -1;
}

/**
 * Mixed-script host text that is not a host as a whole (`访问evil.com获取`, `evil.com😀`): try each
 * run of ASCII host characters inside it on its own.
 */
function asciiRunsOf(cur: Cursor, from: number, to: number): void {
  const sub = cur.text.slice(from, to);
  let i = 0;
  while (i < sub.length && cur.ctx.error === '') {
    while (i < sub.length && sub.charCodeAt(i) >= 0x80) i++;
    let j = i;
    while (j < sub.length && sub.charCodeAt(j) < 0x80) j++;
    if (j > i && sub.slice(i, j).includes('.')) {
      const run = sub.slice(i, j);
      if (preQualifies(cur.ctx, run, { portGiven: false, hasPath: false, protoRel: false, whole: false }) === true) {
        if (!spend(cur.ctx)) return;
        const parsed = schemelessCandidate(run, run, 0, false, cur.embedded, cur.ctx.hosts);
        if (parsed !== null) accept(cur.ctx, parsed, cur.nest);
      }
    }
    i = j;
  }
}

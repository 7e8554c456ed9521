/**
 * The detector table: each detector reads the folded view of a text once and reports the spans it
 * is sure of as [start, end, kind]. None rewrites the text; the caller merges all spans.
 *
 * Linear time by construction, not by hope: the only regular expressions are literal prefixes
 * (alternations of fixed strings, at most followed by one greedy character class with nothing after
 * it), so a failed attempt costs O(prefix). Every extension past a prefix is a hand-written scan
 * whose cursor only moves forward; where a scan fails, the detector resumes where no later match
 * can have been skipped, so each stretch is scanned a constant number of times (each detector
 * notes why with an `invariant:` comment).
 *
 * Detectors after the token formats read the findings before them (`Prior`, `Coverage`) and judge
 * the text as the re-scan will see it, with those findings already turned into markers; that is
 * what keeps the re-scan of a redacted text clean when secrets are glued to keys or delimiters.
 */
import { Buffer } from 'node:buffer';
import { classifyFoldedKey } from './redact-keys.js';
import type { ExtraKeys } from './redact-keys.js';
import { markerEndAt, onlyMarkers } from './redact-kinds.js';

/** One detector's report, in view offsets. Lower `priority` names the merged span. */
export interface RawFinding {
  kind: string;
  start: number;
  end: number;
  priority: number;
}

/** What the detectors may depend on besides the text. */
export interface ScanContext {
  entropy: boolean;
  extraKeys: ExtraKeys;
}

/**
 * A detector: reads `text`, appends findings to `out`, which already holds the findings of the
 * detectors before it in the list. Must run in time linear in `text.length`.
 *
 * @example
 * ```ts
 * const fooDetector: Detector = (text, _ctx, out) => {
 *   for (let i = text.indexOf('FOO'); i >= 0; i = text.indexOf('FOO', i + 3)) out.push({ kind: 'secret', start: i, end: i + 3, priority: 0 });
 * };
 * ```
 */
export type Detector = (text: string, ctx: ScanContext, out: RawFinding[]) => void;

// Priorities: a token format names a span before a structural detector, which names it before a
// key=value context, which names it before entropy.
const P_FORMAT = 0;
const P_STRUCTURE = 1;
const P_CONTEXT = 2;
const P_ENTROPY = 3;

/** ASCII membership table from a class spec like `A-Za-z0-9_-` (a trailing `-` is literal). */
function charClass(spec: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < spec.length; i++) {
    const a = spec.charCodeAt(i);
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      const b = spec.charCodeAt(i + 2);
      for (let c = a; c <= b; c++) t[c] = 1;
      i += 2;
    } else {
      t[a] = 1;
    }
  }
  return t;
}

const ALNUM = charClass('A-Za-z0-9');
const UPPER_NUM = charClass('A-Z0-9');
const ALNUM_US = charClass('A-Za-z0-9_');
const ALNUM_DASH = charClass('A-Za-z0-9-');
const B64URL = charClass('A-Za-z0-9_-');
const B64URL_PAD = charClass('A-Za-z0-9_=-');
const B64 = charClass('A-Za-z0-9+/');
const B64_PAD = charClass('A-Za-z0-9+/=');
const WEBHOOK_PATH = charClass('A-Za-z0-9/_-');
const SAS_SIG = charClass('A-Za-z0-9%+/=_-');
const TOKEN68 = charClass('A-Za-z0-9._~+/=-');
const IDENT = charClass('A-Za-z0-9_.-');
const ENTROPY = charClass('A-Za-z0-9+/=_-');
const PEM_LABEL = charClass('A-Za-z0-9 ');

/** First offset at or after `i` whose character is not in `cls`. */
function runEnd(t: string, i: number, cls: Uint8Array): number {
  const n = t.length;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c >= 128 || cls[c] === 0) break;
    i++;
  }
  return i;
}

/** First offset at or before `i` such that `[offset, i)` is all in `cls`. */
function runStart(t: string, i: number, cls: Uint8Array, floor: number): number {
  while (i > floor) {
    const c = t.charCodeAt(i - 1);
    if (c >= 128 || cls[c] === 0) break;
    i--;
  }
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isQuote(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x60;
}

function hasClasses(t: string, start: number, end: number): { upper: boolean; lower: boolean; digit: boolean } {
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) upper = true;
    else if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (c >= 0x30 && c <= 0x39) digit = true;
  }
  return { upper, lower, digit };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Token formats: a distinctive prefix and a body of one character class.

interface PrefixRule {
  kind: string;
  prefixes: readonly string[];
  body: Uint8Array;
  min: number;
  caseInsensitive?: boolean;
  /** Extra check on the body; must be monotone (a suffix of a failing body fails too). */
  accept?: (t: string, bodyStart: number, end: number) => boolean;
  /** Redact only the body, keeping the prefix readable (a webhook's host and path). */
  keepPrefix?: boolean;
  /** Runs after a match, e.g. to look for a paired secret nearby (bounded work). */
  after?: (t: string, end: number, out: RawFinding[]) => void;
}

function prefixDetector(rule: PrefixRule): Detector {
  // Longest first, so `xoxe.xoxp-` wins over `xoxe-` at the same offset.
  const source = [...rule.prefixes].sort((a, b) => b.length - a.length).map(escapeRe).join('|');
  const flags = rule.caseInsensitive === true ? 'gi' : 'g';
  const backoff = Math.max(...rule.prefixes.map((p) => p.length)) - 1;
  return (t, _ctx, out) => {
    // Most texts hold none of the prefixes: a native substring search settles that first.
    if (rule.caseInsensitive !== true && !rule.prefixes.some((p) => t.includes(p))) return;
    // A fresh RegExp per call: lastIndex is per-scan state, never shared between calls.
    const re = new RegExp(source, flags);
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) {
      const start = m.index;
      const bodyStart = start + m[0].length;
      const end = runEnd(t, bodyStart, rule.body);
      if (end - bodyStart >= rule.min && (rule.accept === undefined || rule.accept(t, bodyStart, end))) {
        out.push({ kind: rule.kind, start: rule.keepPrefix === true ? bodyStart : start, end, priority: P_FORMAT });
        rule.after?.(t, end, out);
      }
      // invariant: a prefix lying wholly inside the body has a body that is a suffix of this one,
      // ending at the same offset: covered if this matched, failing too if this failed. A prefix
      // holding a character outside the body class (`ghp_`'s `_`) can only start in the last
      // (prefix length - 1) characters, so the search resumes there: `ghp_A...ghp_B...`.
      re.lastIndex = Math.max(end - backoff, start + 1);
    }
  };
}

/**
 * A bare `sk-` (legacy OpenAI, 48 base62 characters) is also the end of `task-`, `disk-`, `risk-`:
 * the body must be mixed-case (random base62) or at least 40 characters long, which a resource
 * name like `disk-<32 hex>` is not. Monotone: a suffix of a failing body fails too.
 */
function looksLikeOpenAiBody(t: string, start: number, end: number): boolean {
  if (end - start >= 40) return true;
  const k = hasClasses(t, start, end);
  return k.upper && k.lower;
}

/** An AWS secret key is 40 base64 characters; next to a key id it needs no key name to be recognized. */
function awsSecretNearby(t: string, from: number, out: RawFinding[]): void {
  const limit = Math.min(t.length, from + 96);
  let i = from;
  while (i < limit) {
    const c = t.charCodeAt(i);
    if (c < 128 && B64[c] === 1) {
      const end = runEnd(t, i, B64_PAD);
      const core = runEnd(t, i, B64);
      if (core - i === 40 && end === core && end <= limit) {
        const k = hasClasses(t, i, core);
        if ((k.upper ? 1 : 0) + (k.lower ? 1 : 0) + (k.digit ? 1 : 0) >= 2) {
          out.push({ kind: 'aws_secret_access_key', start: i, end: core, priority: P_FORMAT });
        }
      }
      i = Math.max(end, i + 1);
    } else {
      i++;
    }
  }
}

const PREFIX_RULES: readonly PrefixRule[] = [
  {
    kind: 'aws_access_key_id',
    prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AIPA', 'ANPA', 'ANVA', 'APKA', 'AROA', 'ASCA'],
    body: UPPER_NUM,
    min: 16,
    after: awsSecretNearby,
  },
  { kind: 'github_token', prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], body: ALNUM, min: 30 },
  { kind: 'github_token', prefixes: ['github_pat_'], body: ALNUM_US, min: 30 },
  { kind: 'gitlab_token', prefixes: ['glpat-'], body: B64URL, min: 20 },
  { kind: 'npm_token', prefixes: ['npm_'], body: ALNUM, min: 36 },
  {
    kind: 'slack_token',
    prefixes: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxo-', 'xoxe.xoxp-', 'xapp-'],
    body: ALNUM_DASH,
    min: 10,
  },
  {
    kind: 'slack_webhook',
    prefixes: ['hooks.slack.com/services/', 'hooks.slack.com/workflows/', 'hooks.slack.com/triggers/'],
    body: WEBHOOK_PATH,
    min: 20,
    caseInsensitive: true,
    keepPrefix: true,
  },
  { kind: 'stripe_key', prefixes: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_', 'whsec_'], body: ALNUM, min: 10 },
  { kind: 'anthropic_key', prefixes: ['sk-ant-'], body: B64URL, min: 10 },
  { kind: 'openai_key', prefixes: ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'sk-None-'], body: B64URL, min: 10 },
  { kind: 'openai_key', prefixes: ['sk-'], body: ALNUM, min: 32, accept: looksLikeOpenAiBody },
  { kind: 'google_api_key', prefixes: ['AIza'], body: B64URL, min: 35 },
  { kind: 'google_oauth_token', prefixes: ['ya29.'], body: B64URL, min: 20 },
];

/**
 * A US social security number written with one separator throughout (`123-45-6789`,
 * `123 45 6789`, `123.45.6789`), valid by the SSA's rules and not part of a longer number.
 */
const detectSsn: Detector = (t, _ctx, out) => {
  // Fixed length (11), so each attempt costs O(1).
  const re = /[0-9]{3}([-. ])[0-9]{2}\1[0-9]{4}/g;
  const prior = new Prior(out);
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    const start = m.index;
    const end = start + 11;
    re.lastIndex = start + 1;
    // A digit just before that belongs to an earlier finding (`ghp_...4-123-45-6789`) is not part
    // of this number: the re-scan will see a marker there.
    const sepCovered = prior.endBefore(start - 1) === start - 1;
    const digitCovered = prior.endBefore(start) === start;
    const longerBefore = (isDigitAt(t, start - 1) && !digitCovered) || (t[start - 1] === m[1] && isDigitAt(t, start - 2) && !sepCovered && !digitCovered);
    if (longerBefore || isDigitAt(t, end) || (t[end] === m[1] && isDigitAt(t, end + 1))) continue;
    const area = Number(t.slice(start, start + 3));
    const group = Number(t.slice(start + 4, start + 6));
    const serial = Number(t.slice(start + 7, end));
    if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) continue;
    out.push({ kind: 'ssn', start, end, priority: P_FORMAT });
    re.lastIndex = end;
  }
};

function isDigitAt(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

// ---------------------------------------------------------------------------------------------
// Structures: PEM blocks, JWTs, URL passwords.

/** The whole `-----BEGIN ... PRIVATE KEY-----` ... `-----END ... PRIVATE KEY-----` block; to the end of the text when it never ends. */
const detectPem: Detector = (t, _ctx, out) => {
  const begin = /-----BEGIN /gi;
  let m: RegExpExecArray | null;
  while ((m = begin.exec(t)) !== null) {
    const start = m.index;
    const labelStart = start + m[0].length;
    const labelEnd = runEnd(t, labelStart, PEM_LABEL);
    if (labelEnd - labelStart > 64 || !t.startsWith('-----', labelEnd) || !isPrivateLabel(t.slice(labelStart, labelEnd))) {
      begin.lastIndex = Math.max(labelEnd, start + 1);
      continue;
    }
    const end = findPemEnd(t, labelEnd + 5);
    out.push({ kind: 'private_key', start, end, priority: P_STRUCTURE });
    // invariant: everything up to `end` is redacted; a BEGIN inside it adds nothing.
    begin.lastIndex = Math.max(end, start + 1);
  }
};

function isPrivateLabel(label: string): boolean {
  const upper = label.toUpperCase().trimEnd();
  return upper.endsWith('PRIVATE KEY') || upper.endsWith('PRIVATE KEY BLOCK');
}

function findPemEnd(t: string, from: number): number {
  const endRe = /-----END /gi;
  endRe.lastIndex = from;
  let m: RegExpExecArray | null;
  while ((m = endRe.exec(t)) !== null) {
    const labelStart = m.index + m[0].length;
    const labelEnd = runEnd(t, labelStart, PEM_LABEL);
    if (labelEnd - labelStart <= 64 && t.startsWith('-----', labelEnd) && isPrivateLabel(t.slice(labelStart, labelEnd))) {
      return labelEnd + 5;
    }
    endRe.lastIndex = Math.max(labelEnd, m.index + 1);
  }
  // Fail closed: a private key whose end is missing is redacted to the end of the text.
  return t.length;
}

/** Three (JWS) to five (JWE) base64url segments, the first starting `eyJ` (`{"`). */
const detectJwt: Detector = (t, _ctx, out) => {
  let from = 0;
  for (;;) {
    const start = t.indexOf('eyJ', from);
    if (start < 0) return;
    const e1 = runEnd(t, start, B64URL_PAD);
    // invariant: every `eyJ` in [start, e1) shares the first-segment end e1 and a shorter segment.
    if (t.charCodeAt(e1) !== 0x2e || e1 - start < 10) {
      from = Math.max(e1, start + 1);
      continue;
    }
    const e2 = runEnd(t, e1 + 1, B64URL_PAD);
    if (t.charCodeAt(e2) !== 0x2e || e2 - e1 - 1 < 2) {
      // The second segment may itself start a token; resume inside it (scanned at most twice).
      from = e1 + 1;
      continue;
    }
    let end = runEnd(t, e2 + 1, B64URL_PAD);
    for (let extra = 0; extra < 2 && t.charCodeAt(end) === 0x2e; extra++) {
      const next = runEnd(t, end + 1, B64URL_PAD);
      if (next === end + 1) break;
      end = next;
    }
    out.push({ kind: 'jwt', start, end, priority: P_STRUCTURE });
    from = end;
  }
};

/** Where an authority ends: the WHATWG delimiters plus whatever cannot sit inside a URL in text. */
function isAuthorityEnd(c: number): boolean {
  return c === 0x2f || c === 0x3f || c === 0x23 || c === 0x5c || c <= 0x20 || isQuote(c) || c === 0x3c || c === 0x3e;
}

/**
 * Whether offsets are inside an earlier finding, asked at non-decreasing offsets (linear overall).
 */
class Coverage {
  // Sorted on first use: most texts never ask.
  private spans: RawFinding[] | null = null;
  private at = 0;
  private reach = -1;

  constructor(private readonly prior: readonly RawFinding[]) {}

  covered(pos: number): boolean {
    const spans = (this.spans ??= [...this.prior].sort((a, b) => a.start - b.start));
    while (this.at < spans.length && (spans[this.at]?.start ?? Infinity) <= pos) {
      this.reach = Math.max(this.reach, spans[this.at]?.end ?? -1);
      this.at++;
    }
    return this.reach > pos;
  }
}

/**
 * `scheme://user:password@host`: only the password (up to the last `@` of the authority).
 *
 * Runs last and reads the text as the re-scan will: a delimiter, `:` or `@` inside another
 * finding is about to become part of a marker, so it neither ends the authority nor separates
 * anything (an AWS secret key holding a `/` inside a URL's userinfo), and a password made only of
 * findings and markers is already redacted.
 */
const detectUrlPassword: Detector = (t, _ctx, out) => {
  if (!t.includes('://')) return;
  const cover = new Coverage(out);
  const n = t.length;
  let from = 0;
  for (;;) {
    const p = t.indexOf('://', from);
    if (p < 0) return;
    const a = p + 3;
    from = a;
    if (cover.covered(p + 1)) continue;
    let colon = -1;
    let at = -1;
    let plain = -1; // the first char after the colon that will not be part of a marker
    let i = a;
    while (i < n) {
      const c = t.charCodeAt(i);
      const skip = c === 0x5b ? markerEndAt(t, i) : -1;
      if (skip > 0) {
        i = skip;
        continue;
      }
      if (cover.covered(i)) {
        i++;
        continue;
      }
      if (isAuthorityEnd(c)) break;
      if (c === 0x3a && colon < 0) colon = i;
      else if (c === 0x40) at = i;
      if (colon >= 0 && i > colon && plain < 0) plain = i;
      i++;
    }
    // invariant: an authority holds no uncovered `/`, so the next `://` starts at i - 1 at the
    // earliest (`://a:b@://c:d@h`: the `:` ending this authority opens the next one).
    from = Math.max(i - 1, a);
    if (at < 0 || colon < 0 || colon >= at - 1 || plain >= at) continue;
    out.push({ kind: 'url_password', start: colon + 1, end: at, priority: P_STRUCTURE });
  }
};

// ---------------------------------------------------------------------------------------------
// Contexts: key=value pairs, CLI flags, Authorization schemes, SAS signatures.

// Values that say "nothing here" rather than hold a secret.
const EMPTY_VALUES = new Set(['null', 'true', 'false', 'undefined', 'none', 'nil']);

/**
 * Unquoted value delimiters: whitespace, quotes and the punctuation that ends a value in URLs, env
 * files, JSON and toString output. Not `]`: a value may hold one, and a marker ends with one.
 */
function isValueEnd(c: number): boolean {
  return c <= 0x20 || isQuote(c) || c === 0x26 || c === 0x3b || c === 0x2c || c === 0x29 || c === 0x7d || c === 0x3c || c === 0x3e;
}

function isLineEnd(c: number): boolean {
  return c === 0x0a || c === 0x0d;
}

/**
 * Finds the closing quote for values opened with `k` backslashes and quote `q`, remembering the
 * last answer per (q, k): searches start at increasing offsets, so the text is walked once.
 */
class QuoteFinder {
  private readonly memo = new Map<string, { from: number; at: number }>();

  constructor(private readonly t: string) {}

  close(q: number, k: number, from: number): number {
    const id = `${q}:${k}`;
    const hit = this.memo.get(id);
    if (hit !== undefined && hit.from <= from && (hit.at < 0 || from <= hit.at)) return hit.at;
    const ch = String.fromCharCode(q);
    let i = from;
    let at = -1;
    for (;;) {
      const j = this.t.indexOf(ch, i);
      if (j < 0) break;
      let m = 0;
      while (j - m - 1 >= from && this.t.charCodeAt(j - m - 1) === 0x5c) m++;
      // invariant: a value opened at nesting level L (k = 2^L - 1 backslashes) closes on a quote
      // preceded by m backslashes with m mod 2^(L+1) = k; other quotes are escaped content.
      if (m % (2 * k + 2) === k) {
        at = j;
        break;
      }
      i = j + 1;
    }
    this.memo.set(id, { from, at });
    return at;
  }
}

interface ValueSpan {
  start: number;
  end: number;
}

/**
 * The value after a separator: quoted (also `\"...\"` inside an encoded string), ODBC braces, or
 * unquoted up to a delimiter. Header-style values (`Authorization: ...`) run to the end of the line.
 */
function readValue(t: string, from: number, quotes: QuoteFinder, headerStyle: boolean, odbc: boolean): ValueSpan | null {
  const n = t.length;
  let i = from;
  while (i < n && isSpace(t.charCodeAt(i))) i++;
  if (i >= n) return null;
  // An opening quote, possibly escaped (`\"`) when the pair sits inside an encoded string.
  let k = 0;
  while (k < 8 && t.charCodeAt(i + k) === 0x5c) k++;
  const q = t.charCodeAt(i + k);
  if (isQuote(q)) {
    const start = i + k + 1;
    const close = quotes.close(q, k, start);
    if (close >= 0) return close - k > start ? { start, end: close - k } : null;
    let end = start;
    while (end < n && !isLineEnd(t.charCodeAt(end))) end++;
    return { start, end };
  }
  const first = t.charCodeAt(i);
  if (first === 0x7b) {
    if (!odbc) return null;
    const close = t.indexOf('}', i + 1);
    return { start: i + 1, end: close < 0 ? n : close };
  }
  if (first === 0x5b) {
    // A JSON array; its strings have no key of their own here.
    const next = t.charCodeAt(i + 1);
    if (isQuote(next) || next === 0x7b || next === 0x5b || next === 0x5d || next <= 0x20) return null;
  }
  // invariant: an unquoted value ends at a marker. The redacted output then reads exactly as the
  // input was judged: `password=[REDACTED:private_key]rest` has an empty value, as the span that
  // produced it already covered the value (the re-scan stays clean).
  let end = i;
  for (; end < n; end++) {
    const c = t.charCodeAt(end);
    if (headerStyle ? isLineEnd(c) || isQuote(c) : isValueEnd(c)) break;
    if (c === 0x5b && markerEndAt(t, end) > 0) break;
    // `\"` closes a string inside an encoded string; the backslash is not part of the value.
    if (c === 0x5c && isQuote(t.charCodeAt(end + 1))) break;
  }
  if (headerStyle) while (end > i && isSpace(t.charCodeAt(end - 1))) end--;
  return end > i ? { start: i, end } : null;
}

// Authorization schemes (IANA registry and common vendor ones); only these stay readable.
const SCHEMES = new Set(
  'basic bearer digest token negotiate ntlm hoba mutual vapid scram-sha-1 scram-sha-256 aws4-hmac-sha256 apikey key sharedkey sharedkeylite ssws oauth mac dpop gsskey splunk'.split(
    ' ',
  ),
);

/**
 * For `Authorization`, the credentials after a known scheme word (`Bearer`, `Basic`,
 * `AWS4-HMAC-SHA256`), which stays readable; null when the value is the scheme alone.
 */
function credentials(t: string, v: ValueSpan): ValueSpan | null {
  let i = v.start;
  while (i < v.end && i - v.start <= 32) {
    const c = t.charCodeAt(i);
    if (c < 128 && ALNUM_DASH[c] === 1) i++;
    else break;
  }
  if (i === v.start || (i < v.end && !isSpace(t.charCodeAt(i))) || !SCHEMES.has(t.slice(v.start, i).toLowerCase())) return v;
  let j = i;
  while (j < v.end && isSpace(t.charCodeAt(j))) j++;
  return j < v.end ? { start: j, end: v.end } : null;
}

function pushPairValue(t: string, kind: string, v: ValueSpan, out: RawFinding[]): boolean {
  if (onlyMarkers(t, v.start, v.end)) return false;
  const text = t.slice(v.start, Math.min(v.end, v.start + 10)).toLowerCase();
  if (v.end - v.start <= 9 && EMPTY_VALUES.has(text)) return false;
  const span = kind === 'authorization' ? credentials(t, v) : v;
  if (span === null) return false;
  out.push({ kind, start: span.start, end: span.end, priority: P_CONTEXT });
  return true;
}

// Key names in text are classified only if they contain one of these (cheap pre-filter).
const KEY_HINT = /pass|pwd|secret|token|key|auth|cookie|credential/i;

/** Classifies key names seen in one text, remembering up to 1024 of them (keys repeat in logs). */
function keyClassifier(ctx: ScanContext): (key: string) => string | null {
  const hinted = ctx.extraKeys.length === 0;
  const memo = new Map<string, string | null>();
  return (key) => {
    // Stems must be contiguous in text keys (the text-wide pre-filter relies on it); letter-spaced
    // names (`p_a_s_s_w_o_r_d`) are recognized as object keys only.
    if (hinted && !KEY_HINT.test(key)) return null;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const kind = classifyFoldedKey(key, ctx.extraKeys);
    if (memo.size < 1024) memo.set(key, kind);
    return kind;
  };
}

/**
 * The findings of earlier detectors, queried at non-decreasing offsets (each query type keeps its
 * own pointer, so a scan stays linear). Context detectors use it to judge the text as the re-scan
 * will see it, with those findings turned into markers: a key glued after a secret
 * (`AKIA...pwd=x`) is also judged on the part after it, and a run is cut where a finding begins.
 */
class Prior {
  // Sorted on first use: most texts never ask.
  private ends: Float64Array | null = null;
  private edges: Float64Array | null = null;
  private endAt = 0;
  private lastEnd = -1;
  private edgeAt = 0;

  constructor(private readonly prior: readonly RawFinding[]) {}

  /** The largest finding end at or before `pos`, or -1. */
  endBefore(pos: number): number {
    const ends = (this.ends ??= Float64Array.from(this.prior, (f) => f.end).sort());
    while (this.endAt < ends.length && (ends[this.endAt] ?? Infinity) <= pos) this.lastEnd = ends[this.endAt++] ?? -1;
    return this.lastEnd;
  }

  /** The smallest finding start or end after `pos`, or Infinity. */
  edgeAfter(pos: number): number {
    if (this.edges === null) {
      const edges = new Float64Array(this.prior.length * 2);
      this.prior.forEach((f, i) => {
        edges[2 * i] = f.start;
        edges[2 * i + 1] = f.end;
      });
      this.edges = edges.sort();
    }
    while (this.edgeAt < this.edges.length && (this.edges[this.edgeAt] ?? Infinity) <= pos) this.edgeAt++;
    return this.edges[this.edgeAt] ?? Infinity;
  }
}

/**
 * The kind of the key `[keyStart, keyEnd)`, or of its part after an earlier finding glued into it
 * (the key the re-scan will see). `whole` false: only that part may count (a URL's user name).
 */
function classifyGlued(
  t: string,
  keyStart: number,
  keyEnd: number,
  prior: Prior,
  classify: (key: string) => string | null,
  whole = true,
): string | null {
  const floor = prior.endBefore(keyEnd);
  const kind = whole ? classify(t.slice(keyStart, keyEnd)) : null;
  return kind ?? (floor > keyStart && floor < keyEnd ? classify(t.slice(floor, keyEnd)) : null);
}

/**
 * `key=value`, `key: value`, `"key": "value"`, `key => value`, `key := value`, `<key>value</key>`:
 * when the key classifies as secret, the value is redacted. Runs after the format detectors and
 * reads their findings from `out`.
 */
const detectPairs: Detector = (t, ctx, out) => {
  if (ctx.extraKeys.length === 0 && !KEY_HINT.test(t)) return;
  const n = t.length;
  const quotes = new QuoteFinder(t);
  const classify = keyClassifier(ctx);
  const prior = new Prior(out);
  let cursor = 0;
  for (let s = 0; s < n; s++) {
    const c = t.charCodeAt(s);
    if (c !== 0x3a && c !== 0x3d && c !== 0x3e) continue;
    // invariant: a separator inside a value already redacted adds nothing (values are disjoint).
    if (s < cursor) continue;
    const xml = c === 0x3e;
    if (c === 0x3a && t.charCodeAt(s + 1) === 0x2f && t.charCodeAt(s + 2) === 0x2f) continue;
    // Back over `"` / `\"` and spaces to the key: `"password" : "x"`, `\"password\":\"x\"`.
    let j = s;
    if (!xml) {
      while (j > cursor && isSpace(t.charCodeAt(j - 1))) j--;
      if (j > cursor && isQuote(t.charCodeAt(j - 1))) {
        j--;
        while (j > cursor && t.charCodeAt(j - 1) === 0x5c) j--;
      }
    }
    const keyStart = runStart(t, j, IDENT, Math.max(cursor, j - 128));
    if (keyStart === j) continue;
    // `scheme://user:password@` is a URL's userinfo (the URL detector's), not `key: value`.
    const userinfo = keyStart >= 2 && t.charCodeAt(keyStart - 1) === 0x2f && t.charCodeAt(keyStart - 2) === 0x2f;
    if (xml && t.charCodeAt(keyStart - 1) !== 0x3c) continue;
    const kind = classifyGlued(t, keyStart, j, prior, classify, !userinfo);
    if (kind === null) continue;
    // `[REDACTED:kind]` is a marker, not `key: value` (matters only with extra keys).
    if (c === 0x3a && t.charCodeAt(keyStart - 1) === 0x5b && markerEndAt(t, keyStart - 1) > 0) continue;
    let v: ValueSpan | null;
    if (xml) {
      // Only a real element (`<password>x</password>`), not a `<password>` placeholder in prose.
      const close = t.indexOf('<', s + 1);
      v = close > s + 1 && t.charCodeAt(close + 1) === 0x2f ? { start: s + 1, end: close } : null;
    } else {
      let from = s + 1;
      const next = t.charCodeAt(from);
      if (next === 0x3d || next === 0x3e) from++;
      const headerStyle = c === 0x3a && (kind === 'authorization' || kind === 'cookie');
      v = readValue(t, from, quotes, headerStyle, c === 0x3d);
    }
    if (v !== null && pushPairValue(t, kind, v, out)) cursor = v.end;
  }
};

/** `--password hunter2` (the `--password=x` form is a pair). */
const detectFlags: Detector = (t, ctx, out) => {
  if (!t.includes('--')) return;
  const quotes = new QuoteFinder(t);
  const classify = keyClassifier(ctx);
  const prior = new Prior(out);
  let from = 0;
  for (;;) {
    const p = t.indexOf('--', from);
    if (p < 0) return;
    const end = runEnd(t, p + 2, IDENT);
    // invariant: every `--` inside the flag shares its end, and the kind comes from the name's end.
    from = Math.max(end, p + 2);
    if (end === p + 2 || !isSpace(t.charCodeAt(end))) continue;
    const kind = classifyGlued(t, Math.max(p + 2, end - 128), end, prior, classify);
    if (kind === null) continue;
    let first = end;
    while (isSpace(t.charCodeAt(first))) first++;
    // `--password --verbose`: the next word is another flag, not a value (a quoted one may start with `-`).
    if (t.charCodeAt(first) === 0x2d) continue;
    const v = readValue(t, end, quotes, false, false);
    if (v === null) continue;
    if (pushPairValue(t, kind, v, out)) from = Math.max(from, v.end);
  }
};

/** A `Bearer` credential anywhere in text, without a header name; words in prose do not qualify. */
const detectBearer: Detector = (t, _ctx, out) => {
  const re = /bearer[ \t]+/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    const start = m.index + m[0].length;
    const end = runEnd(t, start, TOKEN68);
    const len = end - start;
    const k = hasClasses(t, start, Math.min(end, start + 24));
    if (len >= 24 || (len >= 8 && (k.digit || /[._~+/=-]/.test(t.slice(start, end))))) {
      out.push({ kind: 'authorization', start, end, priority: P_CONTEXT });
      re.lastIndex = end;
    } else {
      // invariant: a failed token is shorter than 24; the next `bearer ` may start inside it
      // (`Bearer Bearer <token>`), so the search resumes at its start.
      re.lastIndex = start;
    }
  }
};

/** A `Basic` credential anywhere in text: base64 that decodes to printable `user:password`. */
const detectBasic: Detector = (t, _ctx, out) => {
  const re = /basic[ \t]+/gi;
  const prior = new Prior(out);
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    const start = m.index + m[0].length;
    // Decoding is not monotone in the run's length: judge the run the re-scan will see.
    const end = Math.min(runEnd(t, start, B64_PAD), prior.edgeAfter(start));
    const decoded = end - start >= 8 ? Buffer.from(t.slice(start, end), 'base64').toString('latin1') : '';
    if (/^[\x20-\x7e]+$/.test(decoded) && decoded.includes(':')) {
      out.push({ kind: 'authorization', start, end, priority: P_CONTEXT });
      re.lastIndex = end;
    } else {
      // invariant: the next `basic ` may end this run (`Basic Basic dXNl...`): resume at its start;
      // the literal search passes over the run once more, no more.
      re.lastIndex = start;
    }
  }
};

/** The signature of an Azure SAS URL or connection string: `?...&sig=...`. */
const detectSasSignature: Detector = (t, _ctx, out) => {
  const re = /sig=/gi;
  const prior = new Prior(out);
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    const before = t.charCodeAt(m.index - 1);
    // `sig` must be a whole parameter name; a secret glued before it counts as a boundary, as its marker will.
    if (m.index > 0 && before < 128 && IDENT[before] === 1 && prior.endBefore(m.index) !== m.index) continue;
    const start = m.index + 4;
    const end = runEnd(t, start, SAS_SIG);
    re.lastIndex = Math.max(end, start);
    if (end - start >= 10) out.push({ kind: 'azure_sas', start, end, priority: P_STRUCTURE });
  }
};

// ---------------------------------------------------------------------------------------------
// The opt-in fallback.

/** Runs of base64-ish characters that look random (see looksHighEntropy). */
const detectHighEntropy: Detector = (t, ctx, out) => {
  if (!ctx.entropy) return;
  const counts = new Uint32Array(128);
  const prior = new Prior(out);
  const n = t.length;
  let i = 0;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c >= 128 || ENTROPY[c] === 0) {
      i++;
      continue;
    }
    // Entropy is not monotone in the run's length: cut runs where other findings begin or end,
    // as their markers will in the re-scan.
    const end = Math.min(runEnd(t, i, ENTROPY), prior.edgeAfter(i));
    if (end - i >= 20 && looksHighEntropy(t, i, end, counts)) out.push({ kind: 'high_entropy', start: i, end, priority: P_ENTROPY });
    i = end;
  }
};

/**
 * Random base62/base64 (upper, lower and digits, >= 3.5 bits/char over 20+ characters) or random
 * hex (32+ hex digits with letters and digits, >= 3 bits/char). URL paths and identifiers rarely
 * mix all three classes; hex digests (git SHAs) do qualify, which is why the fallback is opt-in.
 */
function looksHighEntropy(t: string, start: number, end: number, counts: Uint32Array): boolean {
  const k = hasClasses(t, start, end);
  if (k.upper && k.lower && k.digit) return entropyOf(t, start, end, counts) >= 3.5;
  if (end - start >= 32 && k.digit && (k.upper !== k.lower) && isHex(t, start, end)) return entropyOf(t, start, end, counts) >= 3;
  return false;
}

function isHex(t: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (hexValue(t.charCodeAt(i)) < 0) return false;
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function entropyOf(t: string, start: number, end: number, counts: Uint32Array): number {
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    counts[c] = (counts[c] ?? 0) + 1;
  }
  const len = end - start;
  let h = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / len;
    h -= p * Math.log2(p);
  }
  return h;
}

// Every detector needs one of these in the text (case-insensitively), unless entropy or extra keys are on.
const TRIGGERS = new RegExp(
  [
    ...PREFIX_RULES.flatMap((r) => r.prefixes),
    '-----BEGIN',
    'eyJ',
    '://',
    'sig=',
    'bearer',
    'basic',
    ...KEY_HINT.source.split('|'),
  ]
    .map(escapeRe)
    .concat('[0-9]{3}[-. ][0-9]{2}[-. ][0-9]{4}')
    .join('|'),
  'i',
);

/**
 * True when no detector can fire on `text` (a cheap pre-filter for the many short strings of a
 * request: one linear search for any trigger literal).
 *
 * @example
 * ```ts
 * cannotMatch('hello world', { entropy: false, extraKeys: [] }); // true
 * cannotMatch('token=x', { entropy: false, extraKeys: [] }); // false
 * ```
 */
export function cannotMatch(text: string, ctx: ScanContext): boolean {
  return !ctx.entropy && ctx.extraKeys.length === 0 && !TRIGGERS.test(text);
}

/**
 * Every detector: value formats and structures first, key-based contexts last (they read the
 * findings before them). Findings are merged by span afterwards.
 *
 * @example
 * ```ts
 * const out: RawFinding[] = [];
 * for (const d of DETECTORS) d('token=abc', { entropy: false, extraKeys: [] }, out);
 * ```
 */
export const DETECTORS: readonly Detector[] = [
  ...PREFIX_RULES.map(prefixDetector),
  detectPem,
  detectJwt,
  // From here on, detectors read the findings above them (see Prior and Coverage).
  detectSsn,
  detectSasSignature,
  detectBearer,
  detectBasic,
  detectPairs,
  detectFlags,
  detectHighEntropy,
  detectUrlPassword,
];

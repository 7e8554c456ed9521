/**
 * The URL/egress facet: every URL and host anywhere in a tool call's arguments, parsed, never
 * substring-matched (CEL variable `urls`, functions `domainMatches` and `inCidr`).
 *
 * Decisions worth knowing when writing rules:
 * - Every string value and every object key is scanned, at any depth, so a URL under `link`,
 *   `target`, a nested array or a key name is found like one under `url`.
 * - Scheme-less hosts count (`evil.com/x`, `169.254.169.254`, `localhost:8080`, `[::1]:80`,
 *   `user@host`); they report `scheme: ''`. A bare dotted word counts only when its public suffix
 *   is on the ICANN list (tldts) or is an internal one (`.internal`, `.local`, ...), so file names
 *   like `main.py` or `notes.md` are reported too (`.py`, `.md` are country TLDs): rules for tools
 *   whose arguments carry code or prose can filter on `u.scheme != ''`. See `url-scan.ts` for the
 *   exact list of what counts.
 * - A URL inside another URL's path, query or fragment (`https://safe.com/?ref=evil.com`,
 *   `?next=https%3A%2F%2Fevil.com`) is reported as its own entry with `embedded: true`; the outer
 *   entry keeps the real host (`safe.com`). What only the percent-decoded reading of a value shows
 *   (`https%3A%2F%2Fevil.com`, up to three layers) is reported with `embedded: true` too.
 * - An argument whose whole value is a URL with tabs or newlines inside is also read the way the
 *   WHATWG parser reads it (tabs and newlines removed: `http://ev<TAB>il.com` is `evil.com`).
 * - Userinfo never becomes the host: `http://allowed.com:80@127.0.0.1:6666` is host `127.0.0.1`,
 *   port 6666, `hasUserinfo: true`.
 * - A URL with an explicit scheme that the WHATWG parser rejects is still reported, with
 *   `valid: false` and the host read from its authority.
 * - Names are not resolved (no DNS): a name that resolves to a private address is not flagged.
 *   Egress allowlists (`domainMatches`) are the defence there.
 */
import { explicitCandidate, OPAQUE_SCHEMES, schemelessCandidate, SPECIAL_SCHEMES } from './url-facts.js';
import type { UrlFacts } from './url-facts.js';
import { isPlainWholeCandidate, newScanContext, scanDecodedReading, scanText, type ScanContext } from './url-scan.js';

export type { UrlFacts } from './url-facts.js';
export { normalizeHost, domainMatches, inCidr } from './url-host.js';

/**
 * Bounds of one {@link scanUrls} call. Over any of them the scan stops with `truncated: true`
 * and an `error`, which the engine treats as a facet failure (deny).
 *
 * @example
 * ```ts
 * if (JSON.stringify(args).length > URL_SCAN_LIMITS.maxTotalLength) console.warn('will be refused');
 * ```
 */
export const URL_SCAN_LIMITS: {
  readonly maxStrings: number;
  readonly maxDepth: number;
  readonly maxUrls: number;
  readonly maxStringLength: number;
  /** Sum of the lengths of all strings scanned. */
  readonly maxTotalLength: number;
  /** Values visited (strings, arrays, objects, other values). */
  readonly maxNodes: number;
  /** WHATWG parse attempts (bounds work on text full of near-candidates). */
  readonly maxCandidates: number;
} = Object.freeze({
  maxStrings: 10_000,
  maxDepth: 64,
  maxUrls: 1_000,
  maxStringLength: 1_048_576,
  maxTotalLength: 2_097_152,
  maxNodes: 100_000,
  maxCandidates: 50_000,
});

/**
 * Result of {@link scanUrls}. When `truncated` is true, `urls` holds what was found before the
 * limit and `error` says which limit; the engine must treat that as a failure, never as complete.
 *
 * @example
 * ```ts
 * const scan: UrlScan = scanUrls(args);
 * if (scan.truncated) return deny(scan.error);
 * ```
 */
export interface UrlScan {
  urls: UrlFacts[];
  truncated: boolean;
  error: string;
}

interface WalkState {
  ctx: ScanContext;
  strings: number;
  nodes: number;
  total: number;
  visited: Set<object>;
  /** Values (and, apart, keys) whose scan parsed nothing: scanning them again finds nothing new. */
  inertValues: Set<string>;
  inertKeys: Set<string>;
}

/** Bound on each of the inert-string sets (past it, repeats are simply scanned again). */
const INERT_LIMIT = 4096;

function fail(state: WalkState, message: string): void {
  if (state.ctx.error === '') state.ctx.error = message;
}

function hasTabOrNewline(s: string, from: number, to: number): boolean {
  for (const ch of ['\n', '\t', '\r']) {
    const at = s.indexOf(ch, from);
    if (at !== -1 && at < to) return true;
  }
  return false;
}

/** Strings up to this length get a quick pre-check before the tokenizer. */
const SHORT_STRING = 64;
// invariant: a literal, no flags that keep state; linear
const LOCALHOST_ANY_CASE = /localhost/i;

/**
 * Quick pre-check for short strings (keys, enum values): every candidate holds one of
 * `: . / \ @ [ ] % ? #` or a non-ASCII character, or is `localhost`, or is a whole value that
 * {@link isPlainWholeCandidate} accepts.
 */
function mayHoldCandidate(s: string, isKey: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0x3a || c === 0x2e || c === 0x2f || c === 0x5c || c === 0x40 || c === 0x5b || c === 0x5d || c === 0x25 || c === 0x3f || c === 0x23) {
      return true;
    }
  }
  if (s.length < 8) return false;
  // `localhost` has 9 letters: a shorter string cannot hold it
  return (s.length >= 9 && LOCALHOST_ANY_CASE.test(s)) || (!isKey && isPlainWholeCandidate(s.trim()));
}

function scanString(state: WalkState, s: string, isKey: boolean): void {
  state.strings++;
  if (state.strings > URL_SCAN_LIMITS.maxStrings) {
    fail(state, `url scan: more than ${URL_SCAN_LIMITS.maxStrings} strings in the arguments`);
    return;
  }
  if (s.length > URL_SCAN_LIMITS.maxStringLength) {
    fail(state, `url scan: a string of ${s.length} characters exceeds the limit of ${URL_SCAN_LIMITS.maxStringLength}`);
    return;
  }
  state.total += s.length;
  if (state.total > URL_SCAN_LIMITS.maxTotalLength) {
    fail(state, `url scan: the arguments hold more than ${URL_SCAN_LIMITS.maxTotalLength} characters of text`);
    return;
  }
  if (s.length <= SHORT_STRING && !mayHoldCandidate(s, isKey)) return;
  // invariant: a scan that spent no budget parsed no candidate, so it recorded nothing (facts are
  // only recorded after a parse, and a parse always spends) and set no error; what it did depended
  // only on the text, its role (key or value) and memo entries, which are never changed or
  // removed. The same text in the same role scans the same way again: nothing new, so skip it.
  // (Repeated prose, e-mail addresses and labels are common in arguments.)
  const inert = isKey ? state.inertKeys : state.inertValues;
  if (inert.has(s)) return;
  const budget = state.ctx.budget;
  let ws = 0;
  let we = s.length;
  while (ws < we && s.charCodeAt(ws) <= 0x20) ws++;
  while (we > ws && s.charCodeAt(we - 1) <= 0x20) we--;
  if (ws === we) return;
  scanText(s, state.ctx, false, 0, isKey ? -1 : ws, isKey ? -1 : we);
  scanDecodedReading(s, state.ctx, 0);
  if (state.ctx.error === '' && hasTabOrNewline(s, ws, we) && !hasOtherSpace(s, ws, we)) {
    // Read the value as `new URL()` would: it drops tabs and newlines anywhere.
    const stripped = s.slice(ws, we).replace(TABS_AND_NEWLINES, '');
    scanText(stripped, state.ctx, false, 0, isKey ? -1 : 0, isKey ? -1 : stripped.length);
  }
  if (state.ctx.budget === budget && state.ctx.error === '' && inert.size < INERT_LIMIT) inert.add(s);
}

// invariant: a single character class, so matching is linear
const TABS_AND_NEWLINES = /[\t\n\r]/g;

/** A space or control other than tab/CR/LF: the value is text, not one URL with line breaks. */
function hasOtherSpace(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  }
  return false;
}

function walk(state: WalkState, value: unknown, depth: number): void {
  if (state.ctx.error !== '') return;
  state.nodes++;
  if (state.nodes > URL_SCAN_LIMITS.maxNodes) {
    fail(state, `url scan: more than ${URL_SCAN_LIMITS.maxNodes} values in the arguments`);
    return;
  }
  if (typeof value === 'string') {
    scanString(state, value, false);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= URL_SCAN_LIMITS.maxDepth) {
    fail(state, `url scan: the arguments nest deeper than ${URL_SCAN_LIMITS.maxDepth} levels`);
    return;
  }
  // Shared sub-objects are scanned once; cycles end here too.
  if (state.visited.has(value)) return;
  state.visited.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && state.ctx.error === ''; i++) walk(state, value[i], depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (state.ctx.error !== '') return;
      walk(state, k, depth + 1);
      walk(state, v, depth + 1);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) {
      if (state.ctx.error !== '') return;
      walk(state, v, depth + 1);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (state.ctx.error !== '') return;
    scanString(state, key, true);
    walk(state, record[key], depth + 1);
  }
}

/**
 * Finds every URL and host in a tool call's arguments: every string value and every object key,
 * in arrays, objects, Maps and Sets at any depth, in order of appearance, each distinct URL once.
 * Pure, synchronous, bounded by {@link URL_SCAN_LIMITS}; never throws (a throwing getter or proxy
 * is reported as an error). See the module documentation for what counts as a URL.
 *
 * @example
 * ```ts
 * const { urls } = scanUrls({ q: 'fetch', target: ['http://0x7f000001:8080/admin'] });
 * urls[0].host;      // '127.0.0.1'
 * urls[0].loopback;  // true
 * urls[0].port;      // 8080
 * ```
 */
export function scanUrls(args: unknown): UrlScan {
  const ctx = newScanContext(URL_SCAN_LIMITS.maxUrls, URL_SCAN_LIMITS.maxCandidates);
  const state: WalkState = { ctx, strings: 0, nodes: 0, total: 0, visited: new Set(), inertValues: new Set(), inertKeys: new Set() };
  try {
    walk(state, args, 0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    fail(state, `url scan: the arguments could not be read: ${message}`);
  }
  return { urls: ctx.urls, truncated: ctx.error !== '', error: ctx.error };
}

/**
 * {@link scanUrls}, also saying where each URL was found: `top` holds the URLs found in an
 * argument itself (not inside another URL's path, query or fragment), `whole` the scheme-less ones
 * that were a whole argument value. Used for the network effects of a request.
 *
 * @example
 * ```ts
 * const d = scanDestinations({ url: 'https://a.com/?next=b.com' });
 * d.top.size; // 1: b.com is inside a.com's query
 * ```
 */
export function scanDestinations(args: unknown): UrlScan & { top: ReadonlySet<UrlFacts>; whole: ReadonlySet<UrlFacts> } {
  const ctx = newScanContext(URL_SCAN_LIMITS.maxUrls, URL_SCAN_LIMITS.maxCandidates);
  const roles = { top: new Set<UrlFacts>(), whole: new Set<UrlFacts>() };
  ctx.roles = roles;
  const state: WalkState = { ctx, strings: 0, nodes: 0, total: 0, visited: new Set(), inertValues: new Set(), inertKeys: new Set() };
  try {
    walk(state, args, 0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    fail(state, `url scan: the arguments could not be read: ${message}`);
  }
  return { urls: ctx.urls, truncated: ctx.error !== '', error: ctx.error, ...roles };
}

function schemeOf(text: string): string {
  let j = 0;
  const first = text.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a))) return '';
  while (j < text.length && j <= 32) {
    const c = text.charCodeAt(j);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
    if (!ok) break;
    j++;
  }
  return text.charCodeAt(j) === 0x3a ? text.slice(0, j).toLowerCase() : '';
}

/**
 * Parses one candidate, taken as a URL or host reference without the scan's heuristics:
 * `https://x`, `gopher://x`, `mailto:x`, `//host/x`, `host:port/path`, `user@host`, `[v6]:80`,
 * or a bare host (`readme` is host `readme` here). Returns null when it does not parse as one.
 *
 * @example
 * ```ts
 * parseUrlFacts('HTTP://[::ffff:127.0.0.1]:80/x')?.host;  // '127.0.0.1'
 * parseUrlFacts('evil.com:8080/a')?.scheme;                // ''
 * parseUrlFacts('not a url');                              // null
 * ```
 */
export function parseUrlFacts(text: string): UrlFacts | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > URL_SCAN_LIMITS.maxStringLength) return null;
  let t = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x09 && c !== 0x0a && c !== 0x0d) t += text[i];
  }
  let s = 0;
  let e = t.length;
  while (s < e && t.charCodeAt(s) <= 0x20) s++;
  while (e > s && t.charCodeAt(e - 1) <= 0x20) e--;
  t = t.slice(s, e);
  if (t === '') return null;
  const scheme = schemeOf(t);
  if (scheme !== '' && (SPECIAL_SCHEMES.has(scheme) || OPAQUE_SCHEMES.has(scheme) || t.startsWith('//', scheme.length + 1))) {
    return explicitCandidate(text, false)?.facts ?? null;
  }
  let hs = 0;
  while (hs < t.length && hs < 16 && (t.charCodeAt(hs) === 0x2f || t.charCodeAt(hs) === 0x5c)) hs++;
  if (hs === 1) return null;
  let authEnd = hs;
  while (authEnd < t.length) {
    const c = t.charCodeAt(authEnd);
    if (c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23) break;
    authEnd++;
  }
  const at = t.lastIndexOf('@', authEnd - 1);
  const hasUserinfo = at >= hs;
  const hostStart = hasUserinfo ? at + 1 : hs;
  let portSep = -1;
  if (t.charCodeAt(hostStart) === 0x5b) {
    const close = t.indexOf(']', hostStart);
    if (close !== -1 && close < authEnd && t.charCodeAt(close + 1) === 0x3a) portSep = close + 1;
  } else {
    const colon = t.indexOf(':', hostStart);
    if (colon !== -1 && colon < authEnd) portSep = colon;
  }
  let port = 0;
  let parseText = t.slice(hostStart);
  if (portSep !== -1) {
    const digits = t.slice(portSep + 1, authEnd);
    let ok = digits.length > 0 && digits.length <= 5;
    for (let i = 0; ok && i < digits.length; i++) ok = digits.charCodeAt(i) >= 0x30 && digits.charCodeAt(i) <= 0x39;
    if (ok && Number(digits) <= 65535) {
      port = Number(digits);
    } else {
      // `git@github.com:org/repo`: the text after ":" is not a port, so only the host counts
      parseText = t.slice(hostStart, portSep);
    }
  }
  return schemelessCandidate(text, parseText, port, hasUserinfo, false)?.facts ?? null;
}

/**
 * Every reading of a URL with an explicit scheme that clients follow: one, or two when WHATWG and
 * RFC 3986 readers (curl, git, Python) disagree on its host (`https://a.example\\@b.example` is
 * a.example to one and b.example, after userinfo, to the other). Empty when it does not parse.
 *
 * @example
 * ```ts
 * urlReadings('https://a.example\\@b.example/').map((f) => f.host); // ['a.example', 'b.example']
 * ```
 */
export function urlReadings(text: string): UrlFacts[] {
  if (typeof text !== 'string' || text.length === 0 || text.length > URL_SCAN_LIMITS.maxStringLength) return [];
  const parsed = explicitCandidate(text, false);
  if (parsed === null) return [];
  return parsed.alternate === undefined ? [parsed.facts] : [parsed.facts, parsed.alternate.facts];
}

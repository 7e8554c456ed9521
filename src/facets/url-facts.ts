/**
 * One URL candidate to {@link UrlFacts}: the WHATWG parser does the parsing, this module only
 * maps its result onto the facts rules read (normalized host, effective port, address flags).
 */
import { classifyHost, normalizeHost, type HostClass } from './url-host.js';

/**
 * What an egress rule sees about one URL or host found in the arguments (CEL variable `urls`).
 * Every field is always present.
 *
 * @example
 * ```ts
 * // CEL: urls.exists(u, u.metadata || u.loopback || !domainMatches(u.host, 'example.com'))
 * const u: UrlFacts = scanUrls({ link: 'http://0x7f000001/' }).urls[0]; // u.loopback === true
 * ```
 */
export interface UrlFacts {
  /** The candidate text as found. */
  raw: string;
  /** Lower-case scheme without the colon; `''` for scheme-less hosts and `//host` references. */
  scheme: string;
  /** {@link normalizeHost} form: lower case, punycode, no trailing dot, IPv4 dotted, IPv6 without brackets. */
  host: string;
  /** The explicit port, else the scheme's default port, else 0. */
  port: number;
  /** WHATWG pathname (percent-encoded as serialized); `''` when the URL could not be parsed. */
  path: string;
  /** Registrable domain (eTLD+1, private PSL section honoured, so `a.github.io`); `''` for IPs. */
  registrableDomain: string;
  isIp: boolean;
  /** 127.0.0.0/8, 0.0.0.0/8, `::1`, `::`, `localhost`, `*.localhost`, and IPv6 forms carrying those. */
  loopback: boolean;
  /** RFC 1918, CGNAT 100.64.0.0/10, fc00::/7, fec0::/10, names under `.internal`/`.local`/`.home.arpa`. */
  private: boolean;
  /** 169.254.0.0/16, fe80::/10. */
  linkLocal: boolean;
  /** A cloud instance-metadata address or name. */
  metadata: boolean;
  /** The authority had a userinfo part (`user@`, `a.com:80@`), even an empty one. */
  hasUserinfo: boolean;
  /** Query without the leading `?`. */
  query: string;
  /** Found inside another URL's path, query or fragment (`?next=https://b.example`). */
  embedded: boolean;
  /** The WHATWG parser accepted the candidate; `false` facts carry a best-effort host only. */
  valid: boolean;
}

/**
 * WHATWG "special" schemes: slashes optional, backslash is a separator, host parsed as a domain.
 *
 * @example
 * ```ts
 * SPECIAL_SCHEMES.has('ws'); // true: `ws:evil.com` names evil.com
 * ```
 */
export const SPECIAL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);

/**
 * `SPECIAL_SCHEMES.has(scheme)` for a lower-case scheme, by comparison rather than hashing (it
 * runs for every explicit URL, on a freshly sliced string).
 *
 * @example
 * ```ts
 * isSpecialScheme('wss'); // true
 * isSpecialScheme('gopher'); // false
 * ```
 */
export function isSpecialScheme(scheme: string): boolean {
  switch (scheme.length) {
    case 2:
      return scheme === 'ws';
    case 3:
      return scheme === 'wss' || scheme === 'ftp';
    case 4:
      return scheme === 'http' || scheme === 'file';
    case 5:
      return scheme === 'https';
    default:
      return false;
  }
}

/**
 * Schemes with an opaque body that are reported even without `//`; their body is searched for
 * embedded hosts.
 *
 * @example
 * ```ts
 * OPAQUE_SCHEMES.has('mailto'); // true: `mailto:a@evil.com` reports evil.com (embedded)
 * ```
 */
export const OPAQUE_SCHEMES: ReadonlySet<string> = new Set([
  'mailto',
  'data',
  'javascript',
  'vbscript',
  'blob',
  'view-source',
  'jar',
]);

const DEFAULT_PORTS: ReadonlyMap<string, number> = new Map([
  ['http', 80],
  ['https', 443],
  ['ws', 80],
  ['wss', 443],
  ['ftp', 21],
  ['ftps', 990],
  ['sftp', 22],
  ['ssh', 22],
  ['git', 9418],
  ['gopher', 70],
  ['dict', 2628],
  ['ldap', 389],
  ['ldaps', 636],
  ['telnet', 23],
  ['smtp', 25],
  ['smtps', 465],
  ['imap', 143],
  ['imaps', 993],
  ['pop3', 110],
  ['pop3s', 995],
  ['nntp', 119],
  ['tftp', 69],
  ['rtsp', 554],
  ['irc', 6667],
  ['ircs', 6697],
  ['redis', 6379],
  ['rediss', 6379],
  ['memcached', 11211],
  ['mysql', 3306],
  ['postgres', 5432],
  ['postgresql', 5432],
  ['mongodb', 27017],
  ['amqp', 5672],
  ['amqps', 5671],
  ['mqtt', 1883],
  ['smb', 445],
  ['sip', 5060],
  ['xmpp', 5222],
]);

/**
 * Result of parsing one candidate: its facts and the text to search for embedded URLs.
 *
 * @example
 * ```ts
 * const p = explicitCandidate('https://a.example/?next=//evil.com', false);
 * p?.nested; // '/?next=//evil.com'
 * ```
 */
export interface ParsedCandidate {
  facts: UrlFacts;
  /** Path, query and fragment (or opaque body), searched again for embedded URLs. */
  nested: string;
  /** Host text worth a second look (it holds sub-delimiters such as `,` or `;`), else `''`. */
  oddHost: string;
  /** Another reading of the same text that other clients follow (`https://a.com\@b.com` is b.com to curl), reported as a destination too. */
  alternate?: ParsedCandidate;
}

/**
 * Per-scan memo of `classifyHost`, keyed by normalized host (at most 4096 entries).
 *
 * @example
 * ```ts
 * const cache: HostClassCache = new Map();
 * explicitCandidate('https://a.example/', false, cache);
 * ```
 */
export type HostClassCache = Map<string, HostClass>;

function classifyCached(host: string, cache: HostClassCache | undefined): HostClass {
  if (cache === undefined) return classifyHost(host);
  let c = cache.get(host);
  if (c === undefined) {
    c = classifyHost(host);
    if (cache.size < 4096) cache.set(host, c);
  }
  return c;
}

function build(
  raw: string,
  scheme: string,
  host: string,
  port: number,
  path: string,
  query: string,
  hasUserinfo: boolean,
  embedded: boolean,
  valid: boolean,
  classified: boolean,
  cache: HostClassCache | undefined,
): UrlFacts {
  const c = classifyCached(classified ? host : '', cache);
  return {
    raw,
    scheme,
    host,
    port,
    path,
    registrableDomain: c.registrableDomain,
    isIp: c.isIp,
    loopback: c.loopback,
    private: c.private,
    linkLocal: c.linkLocal,
    metadata: c.metadata,
    hasUserinfo,
    query,
    embedded,
    valid,
  };
}

/** `DEFAULT_PORTS.get(scheme) ?? 0`, with the two schemes nearly every URL has settled first. */
function defaultPort(scheme: string): number {
  if (scheme === 'https') return 443;
  if (scheme === 'http') return 80;
  return DEFAULT_PORTS.get(scheme) ?? 0;
}

function isSlash(c: number, special: boolean): boolean {
  return c === 0x2f || (special && c === 0x5c);
}

/** Start and end of the authority in an explicit-scheme URL text, or null when it has none. */
function authoritySpan(text: string, scheme: string, schemeEnd: number, special: boolean, backslashEnds = special): [number, number] | null {
  let a = schemeEnd + 1;
  if (scheme === 'file') {
    // file: has an authority only after exactly two slashes (`file:///x` has an empty one)
    if (!isSlash(text.charCodeAt(a), true) || !isSlash(text.charCodeAt(a + 1), true)) return null;
    a += 2;
  } else if (special) {
    // http:evil.com, http:/\evil.com and http:///evil.com all name evil.com
    while (a < text.length && isSlash(text.charCodeAt(a), true)) a++;
  } else {
    if (text.charCodeAt(a) !== 0x2f || text.charCodeAt(a + 1) !== 0x2f) return null;
    a += 2;
  }
  let e = a;
  while (e < text.length) {
    const c = text.charCodeAt(e);
    if (isSlash(c, backslashEnds) || c === 0x3f || c === 0x23) break;
    e++;
  }
  return [a, e];
}

function stripTabsAndNewlines(text: string): string {
  if (!text.includes('\t') && !text.includes('\n') && !text.includes('\r')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x09 && c !== 0x0a && c !== 0x0d) out += text[i];
  }
  return out;
}

function trimC0AndSpace(text: string): string {
  let s = 0;
  let e = text.length;
  while (s < e && text.charCodeAt(s) <= 0x20) s++;
  while (e > s && text.charCodeAt(e - 1) <= 0x20) e--;
  return s === 0 && e === text.length ? text : text.slice(s, e);
}

function parsePortText(text: string): number {
  if (text.length === 0 || text.length > 5) return -1;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v <= 65535 ? v : -1;
}

const PLAIN_HOST_CHAR = /^[a-z0-9._:-]*$/;

/**
 * Facts for a URL with an explicit scheme (`https://`, `gopher://`, `http:\\host`, `mailto:`).
 * A URL the WHATWG parser rejects is still reported (`valid: false`) when a host can be read from
 * its authority, so an unparsable URL never hides its destination. Returns null when there is no
 * scheme or no destination at all.
 *
 * @example
 * ```ts
 * explicitCandidate('http://allowed.com:80@127.0.0.1:6666', false)?.facts.host; // '127.0.0.1'
 * ```
 */
export function explicitCandidate(rawText: string, embedded: boolean, cache?: HostClassCache): ParsedCandidate | null {
  const text = stripTabsAndNewlines(trimC0AndSpace(rawText));
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const scheme = text.slice(0, colon).toLowerCase();
  const special = isSpecialScheme(scheme);
  const u = whatwgParse(text);
  // Only an "@" can make an authority have userinfo; most URLs have none, so skip the search.
  const span = u === null || text.includes('@') ? authoritySpan(text, scheme, colon, special) : null;
  const authorityHasAt = span !== null && text.slice(span[0], span[1]).includes('@');
  // WHATWG ends a special URL's authority at a backslash; curl, Python and other RFC 3986 readers
  // do not: `https://allowed.com\@evil.com` is allowed.com to one and evil.com to the other. Both
  // readings are reported, each with userinfo (the RFC reading has it).
  let alternate: ParsedCandidate | null = null;
  if (u !== null && special && !authorityHasAt && text.includes('\\') && text.includes('@')) {
    const rfc = authoritySpan(text, scheme, colon, special, false);
    if (rfc !== null && text.slice(rfc[0], rfc[1]).includes('@')) alternate = fromAuthority(rawText, text, scheme, rfc, embedded, cache);
  }
  if (u !== null) {
    const urlScheme = u.protocol.slice(0, -1);
    const hostname = u.hostname;
    let host = '';
    let classified = false;
    if (hostname !== '') {
      // Non-special schemes keep an "opaque" host (no IPv4 or IDNA processing), but curl and
      // friends resolve `gopher://0x7f000001` like any host: normalize every host the same way.
      host = normalizeHost(hostname);
      classified = host !== '';
      if (host === '') host = percentDecodeHost(hostname).toLowerCase();
    }
    const portText = u.port;
    const port = portText !== '' ? Number(portText) : defaultPort(urlScheme);
    const pathname = u.pathname;
    const search = u.search;
    const hasUserinfo = authorityHasAt || alternate !== null || u.username !== '' || u.password !== '';
    const facts = build(rawText, urlScheme, host, port, pathname, search.slice(1), hasUserinfo, embedded, true, classified, cache);
    return { facts, nested: pathname + search + u.hash, oddHost: PLAIN_HOST_CHAR.test(host) ? '' : host, ...(alternate !== null ? { alternate } : {}) };
  }
  if (span === null) return null;
  return fromAuthority(rawText, text, scheme, span, embedded, cache);
}

/** Facts read by hand from the authority `span` of `text` (a URL the WHATWG parser rejects, or another reading of one). */
function fromAuthority(rawText: string, text: string, scheme: string, span: [number, number], embedded: boolean, cache: HostClassCache | undefined): ParsedCandidate | null {
  const authority = text.slice(span[0], span[1]);
  const at = authority.lastIndexOf('@');
  const hostPort = authority.slice(at + 1);
  let hostText: string;
  let portText = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    hostText = close === -1 ? hostPort : hostPort.slice(0, close + 1);
    if (close !== -1 && hostPort.charCodeAt(close + 1) === 0x3a) portText = hostPort.slice(close + 2);
  } else {
    const pc = hostPort.indexOf(':');
    hostText = pc === -1 ? hostPort : hostPort.slice(0, pc);
    if (pc !== -1) portText = hostPort.slice(pc + 1);
  }
  if (hostText === '') return null;
  const normalized = normalizeHost(withoutZone(hostText));
  const host = normalized !== '' ? normalized : percentDecodeHost(hostText).toLowerCase();
  const explicitPort = parsePortText(portText);
  // A port that is written but invalid (`:99999`) is no known port: 0, not the scheme default.
  const port = explicitPort >= 0 ? explicitPort : portText === '' ? (DEFAULT_PORTS.get(scheme) ?? 0) : 0;
  const facts = build(rawText, scheme, host, port, '', '', at !== -1, embedded, false, normalized !== '', cache);
  // The parser rejected this authority, and other clients may split it differently
  // (`allowed.com:443.evil.com`): search all of it for names.
  return { facts, nested: text.slice(span[1]), oddHost: authority };
}

/** `[fe80::1%25eth0]` -> `[fe80::1]`: the WHATWG parser rejects zone IDs, curl accepts them. */
function withoutZone(hostText: string): string {
  if (!hostText.startsWith('[')) return hostText;
  const pct = hostText.indexOf('%');
  return pct === -1 ? hostText : `${hostText.slice(0, pct)}]`;
}

function whatwgParse(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null; // rejected: the caller reads the authority by hand
  }
}

function percentDecodeHost(host: string): string {
  if (!host.includes('%')) return host;
  try {
    return decodeURIComponent(host);
  } catch {
    return host; // malformed escapes: keep the host as written
  }
}

/**
 * Facts for a host reference without a scheme (`evil.com/x`, `127.1:80`, `[::1]`, `//host/x`).
 * `parseText` is the text from the host on (no userinfo, no leading slashes); `explicitPort` is
 * the port as written (0 when none), since the WHATWG parser hides `:80` behind its `http:`
 * default. Returns null when the WHATWG parser rejects it.
 *
 * @example
 * ```ts
 * schemelessCandidate('evil.com:80/x', 'evil.com:80/x', 80, false, false)?.facts.port; // 80
 * ```
 */
export function schemelessCandidate(
  raw: string,
  parseText: string,
  explicitPort: number,
  hasUserinfo: boolean,
  embedded: boolean,
  cache?: HostClassCache,
): ParsedCandidate | null {
  let u: URL;
  try {
    u = new URL(`http://${parseText}`);
  } catch {
    return null; // not a host reference after all
  }
  const host = normalizeHost(u.hostname);
  if (host === '') return null;
  const facts = build(raw, '', host, explicitPort, u.pathname, u.search.slice(1), hasUserinfo || u.username !== '' || u.password !== '', embedded, true, true, cache);
  return { facts, nested: u.pathname + u.search + u.hash, oddHost: PLAIN_HOST_CHAR.test(host) ? '' : host };
}

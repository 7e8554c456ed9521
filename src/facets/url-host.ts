/**
 * Host normalization and classification for the URL facet: one canonical spelling per host, and
 * the address facts (loopback, private, link-local, cloud metadata) an egress rule tests.
 *
 * Hosts are normalized by the WHATWG host parser (the one `fetch` and `new URL` use), so numeric
 * IPv4 forms (`0x7f000001`, `127.1`, `017700000001`, `2130706433`), percent-encoding, IDNA and
 * upper case collapse to the spelling a connection would actually use.
 */
import ipaddr from 'ipaddr.js';
import { getDomain, parse as parseDomain } from 'tldts';

/** Longest host text we try to normalize; DNS names stop at 253 octets, so this is generous. */
const MAX_HOST_INPUT = 1024;
/** Longest CIDR text accepted by {@link inCidr}. */
const MAX_CIDR_INPUT = 64;

/**
 * Address facts of one normalized host (the host part of `UrlFacts`).
 *
 * @example
 * ```ts
 * const c: HostClass = classifyHost('10.0.0.1'); // { isIp: true, private: true, ... }
 * ```
 */
export interface HostClass {
  isIp: boolean;
  loopback: boolean;
  private: boolean;
  linkLocal: boolean;
  metadata: boolean;
  registrableDomain: string;
}

// Cloud instance-metadata endpoints (AWS IMDS/ECS/EKS pod identity, GCP, Azure IMDS and WireServer,
// Alibaba, Tencent, Oracle Cloud's legacy address), in the canonical spelling normalizeHost produces.
const METADATA_IPS: ReadonlySet<string> = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '169.254.0.23',
  '100.100.100.200',
  '168.63.129.16',
  '192.0.0.192',
  'fd00:ec2::254',
  'fd00:ec2::23',
]);
const METADATA_NAMES: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
]);
const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

/**
 * Single-label names that are worth reporting even without a dot: they reach the local host or a
 * metadata service through the resolver's search list.
 *
 * @example
 * ```ts
 * SPECIAL_SINGLE_LABELS.has('metadata'); // true
 * ```
 */
export const SPECIAL_SINGLE_LABELS: ReadonlySet<string> = new Set([
  'localhost',
  'metadata',
  'instance-data',
  'ip6-localhost',
  'ip6-loopback',
]);

/**
 * Suffixes outside the ICANN list that still name real (internal) networks; a scheme-less token
 * ending in one of these is reported as a host.
 *
 * @example
 * ```ts
 * INTERNAL_SUFFIXES.has('internal'); // true: `db.internal` is reported
 * ```
 */
export const INTERNAL_SUFFIXES: ReadonlySet<string> = new Set([
  'localhost',
  'localdomain',
  'internal',
  'local',
  'lan',
  'home',
  'corp',
  'intranet',
  'onion',
  'test',
  'example',
  'invalid',
]);

function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * True when a normalized host is an IP literal: IPv6 (without brackets) or dotted-quad IPv4, the
 * only IPv4 spelling the WHATWG parser produces. A domain such as `foo.1abc` is not.
 *
 * @example
 * ```ts
 * isIpHost('127.0.0.1'); // true
 * isIpHost('::1');       // true
 * isIpHost('foo.1abc');  // false
 * ```
 */
export function isIpHost(host: string): boolean {
  if (host.includes(':')) return true;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0) return false;
      dots++;
      digits = 0;
    } else if (isAsciiDigit(c)) {
      digits++;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}

function hostForbidden(host: string): boolean {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    // Controls, space and the delimiters that would change what `http://${host}/` means.
    if (c <= 0x20 || c === 0x7f || c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23 || c === 0x40 || c === 0x3a) {
      return true;
    }
  }
  return false;
}

function whatwgHostname(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    // the WHATWG parser rejected the host: report "no host", never throw
    return null;
  }
}

function normalizeIpv6Literal(inner: string): string {
  if (inner.length === 0 || inner.length > 64) return '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    const ok = isAsciiDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x3a || c === 0x2e;
    if (!ok) return '';
  }
  const bracketed = whatwgHostname(`[${inner}]`);
  if (bracketed === null || bracketed.length < 3) return '';
  const canonical = bracketed.slice(1, -1);
  const addr = ipaddr.IPv6.parse(canonical);
  // An IPv4-mapped address is the IPv4 host on a dual-stack socket; name it the way IPv4 rules do.
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address().toString();
  return canonical;
}

function stripTrailingDots(host: string): string {
  let end = host.length;
  while (end > 0 && host.charCodeAt(end - 1) === 0x2e) end--;
  return end === host.length ? host : host.slice(0, end);
}

/**
 * Already-canonical ASCII names skip the WHATWG round trip: lower-case LDH labels (plus `_`),
 * no empty labels, no punycode label (those need IDNA validation), last label starting with a
 * letter (so it can never be an IPv4 number).
 */
function isCanonicalAsciiName(host: string): boolean {
  const n = host.length;
  if (n === 0 || n > 253) return false;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? host.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === labelStart) return false;
      // "xn--" at a label start means punycode
      if (i - labelStart >= 4 && host.charCodeAt(labelStart) === 0x78 && host.charCodeAt(labelStart + 1) === 0x6e &&
        host.charCodeAt(labelStart + 2) === 0x2d && host.charCodeAt(labelStart + 3) === 0x2d) {
        return false;
      }
      labelStart = i + 1;
      continue;
    }
    const ok = (c >= 0x61 && c <= 0x7a) || isAsciiDigit(c) || c === 0x2d || c === 0x5f;
    if (!ok) return false;
  }
  const last = host.charCodeAt(host.lastIndexOf('.') + 1);
  return last >= 0x61 && last <= 0x7a;
}

/**
 * The WHATWG path of {@link normalizeHost}, without the fast path (exported for tests).
 *
 * @example
 * ```ts
 * normalizeHostSlow('Example.COM.'); // 'example.com'
 * ```
 */
export function normalizeHostSlow(host: string): string {
  if (typeof host !== 'string' || host.length === 0 || host.length > MAX_HOST_INPUT) return '';
  if (host.charCodeAt(0) === 0x5b) {
    if (host.charCodeAt(host.length - 1) !== 0x5d) return '';
    return normalizeIpv6Literal(host.slice(1, -1));
  }
  if (host.includes(':')) return normalizeIpv6Literal(host);
  if (hostForbidden(host)) return '';
  let h = host;
  // Trailing dots are stripped and the result parsed again until stable; two rounds suffice
  // (the second only confirms), a third guards against surprises.
  for (let round = 0; round < 3; round++) {
    const out = whatwgHostname(h);
    if (out === null || out.length === 0) return '';
    if (out.charCodeAt(0) === 0x5b) return normalizeIpv6Literal(out.slice(1, -1));
    const stripped = stripTrailingDots(out);
    if (stripped === out) return out;
    if (stripped.length === 0) return '';
    h = stripped;
  }
  return '';
}

/**
 * Canonical spelling of a host: lower case, punycode (IDNA), no trailing dot, IPv4 in dotted
 * decimal whatever numeric form it was written in, IPv6 compressed and without brackets, and an
 * IPv4-mapped IPv6 address as its IPv4 address. Returns `''` for text that is not a valid host.
 * Idempotent: `normalizeHost(normalizeHost(h)) === normalizeHost(h)`.
 *
 * @example
 * ```ts
 * normalizeHost('EXAMPLE.com.');          // 'example.com'
 * normalizeHost('0x7f000001');            // '127.0.0.1'
 * normalizeHost('[::ffff:127.0.0.1]');    // '127.0.0.1'
 * normalizeHost('bücher.de');             // 'xn--bcher-kva.de'
 * normalizeHost('evil.com/x');            // ''
 * ```
 */
export function normalizeHost(host: string): string {
  if (typeof host !== 'string') return '';
  if (isCanonicalAsciiName(host)) return host;
  return normalizeHostSlow(host);
}

function ipv4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * The IPv4 address an IPv6 address carries, for the encodings that deliver to that IPv4 host:
 * IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible
 * (`::a.b.c.d`, from 1.0.0.0 up, so `::` and `::1` stay IPv6), NAT64 (`64:ff9b::/96`) and 6to4
 * (`2002:AABB:CCDD::/48`). Teredo is not unwrapped.
 *
 * @example
 * ```ts
 * embeddedIpv4(ipaddr.IPv6.parse('64:ff9b::a9fe:a9fe'))?.toString(); // '169.254.169.254'
 * ```
 */
function embeddedIpv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = addr.parts;
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0] = p;
  const high64Zero = p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0;
  if (high64Zero && p4 === 0 && p5 === 0xffff) return ipv4FromParts(p6, p7);
  if (high64Zero && p4 === 0xffff && p5 === 0) return ipv4FromParts(p6, p7);
  if (high64Zero && p4 === 0 && p5 === 0 && p6 >= 0x0100) return ipv4FromParts(p6, p7);
  if (p0 === 0x64 && p1 === 0xff9b && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0) return ipv4FromParts(p6, p7);
  if (p0 === 0x2002) return ipv4FromParts(p1, p2);
  return null;
}

interface IpFlags {
  loopback: boolean;
  private: boolean;
  linkLocal: boolean;
  metadata: boolean;
}

function ipv4Flags(addr: ipaddr.IPv4): IpFlags {
  const [a = 0, b = 0] = addr.octets;
  return {
    // 0.0.0.0/8 reaches the local host on Linux and macOS ("0.0.0.0 day"), so it counts as loopback.
    loopback: a === 127 || a === 0,
    // RFC 1918 plus CGNAT 100.64.0.0/10 (never the public internet; Alibaba's metadata lives there).
    private: a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127),
    linkLocal: a === 169 && b === 254,
    metadata: METADATA_IPS.has(addr.toString()),
  };
}

function ipv6Flags(addr: ipaddr.IPv6, canonical: string): IpFlags {
  const p = addr.parts;
  const p0 = p[0] ?? 0;
  let allZeroButLast = true;
  for (let i = 0; i < 7; i++) if ((p[i] ?? 0) !== 0) allZeroButLast = false;
  const last = p[7] ?? 0;
  const flags: IpFlags = {
    // `::` (unspecified) also reaches the local host, like 0.0.0.0.
    loopback: allZeroButLast && (last === 1 || last === 0),
    // fc00::/7 unique-local, plus the deprecated site-local fec0::/10
    private: (p0 & 0xfe00) === 0xfc00 || (p0 & 0xffc0) === 0xfec0,
    linkLocal: (p0 & 0xffc0) === 0xfe80,
    metadata: METADATA_IPS.has(canonical),
  };
  const v4 = embeddedIpv4(addr);
  if (v4 !== null) {
    const f4 = ipv4Flags(v4);
    flags.loopback ||= f4.loopback;
    flags.private ||= f4.private;
    flags.linkLocal ||= f4.linkLocal;
    flags.metadata ||= f4.metadata;
  }
  return flags;
}

function endsWithLabel(host: string, suffix: string): boolean {
  return host === suffix || (host.length > suffix.length && host.endsWith(suffix) && host.charCodeAt(host.length - suffix.length - 1) === 0x2e);
}

// The host is already normalized and not an IP: skip tldts's hostname extraction.
const DOMAIN_OPTIONS = { allowPrivateDomains: true, extractHostname: false, detectIp: false, mixedInputs: false } as const;

/** eTLD+1 of a normalized name; `''` for hosts that are not plain DNS names (`a.com,http`). */
function registrableDomainOf(host: string): string {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || isAsciiDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f;
    if (!ok) return '';
  }
  return getDomain(host, DOMAIN_OPTIONS) ?? '';
}

const NO_HOST: HostClass = Object.freeze({
  isIp: false,
  loopback: false,
  private: false,
  linkLocal: false,
  metadata: false,
  registrableDomain: '',
});

/**
 * Address facts of a host already passed through {@link normalizeHost}. Names are classified
 * without DNS: `localhost`/`*.localhost` are loopback, the metadata names are metadata, and names
 * under `.internal`, `.local` and `.home.arpa` (private-use namespaces) are private.
 *
 * @example
 * ```ts
 * classifyHost('169.254.169.254'); // { isIp: true, linkLocal: true, metadata: true, ... }
 * ```
 */
export function classifyHost(host: string): HostClass {
  if (host.length === 0) return NO_HOST;
  if (isIpHost(host)) {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = host.includes(':') ? ipaddr.IPv6.parse(host) : ipaddr.IPv4.parse(host);
    } catch {
      // not an address after all: no address facts
      return NO_HOST;
    }
    const flags = addr.kind() === 'ipv4' ? ipv4Flags(addr as ipaddr.IPv4) : ipv6Flags(addr as ipaddr.IPv6, host);
    return { isIp: true, ...flags, registrableDomain: '' };
  }
  const metadata = METADATA_NAMES.has(host) || (host.startsWith('instance-data.') && endsWithLabel(host, 'internal'));
  return {
    isIp: false,
    loopback: LOOPBACK_NAMES.has(host) || endsWithLabel(host, 'localhost'),
    private: endsWithLabel(host, 'internal') || endsWithLabel(host, 'local') || endsWithLabel(host, 'home.arpa'),
    linkLocal: false,
    metadata,
    registrableDomain: registrableDomainOf(host),
  };
}

const SUFFIX_OPTIONS = { extractHostname: false, validateHostname: false, detectIp: false, mixedInputs: false } as const;

/**
 * True when a lower-case top-level label is an ICANN TLD or one of the internal-network suffixes
 * ({@link INTERNAL_SUFFIXES}). Every ICANN public-suffix rule ends in an ICANN TLD, so this
 * decides whether any name ending in `label` has an ICANN public suffix.
 *
 * @example
 * ```ts
 * isKnownTld('com');  // true
 * isKnownTld('json'); // false
 * ```
 */
export function isKnownTld(label: string): boolean {
  if (label.length === 0) return false;
  if (INTERNAL_SUFFIXES.has(label)) return true;
  return parseDomain(`x.${label}`, SUFFIX_OPTIONS).isIcann === true;
}

/**
 * True when a (lower-case) dotted name ends in a known top-level label ({@link isKnownTld}).
 *
 * @example
 * ```ts
 * hasKnownSuffix('evil.com'); // true
 * ```
 */
export function hasKnownSuffix(name: string): boolean {
  return isKnownTld(name.slice(name.lastIndexOf('.') + 1));
}

/**
 * True when `host` is `domain` or a subdomain of it on a label boundary, after both are
 * normalized ({@link normalizeHost}). `evil-example.com` does not match `example.com`;
 * `a.example.com.` and `A.EXAMPLE.COM` do. A domain written `*.example.com` or `.example.com`
 * matches subdomains only. IP hosts match only the identical address. Empty or invalid input
 * matches nothing.
 *
 * @example
 * ```ts
 * domainMatches('api.Example.com.', 'example.com'); // true
 * domainMatches('evil-example.com', 'example.com'); // false
 * domainMatches('example.com', '*.example.com');    // false
 * ```
 */
export function domainMatches(host: string, domain: string): boolean {
  if (typeof host !== 'string' || typeof domain !== 'string') return false;
  let subOnly = false;
  let d = domain;
  if (d.startsWith('*.')) {
    subOnly = true;
    d = d.slice(2);
  } else if (d.startsWith('.')) {
    subOnly = true;
    d = d.slice(1);
  }
  const h = normalizeHost(host);
  const nd = normalizeHost(d);
  if (h === '' || nd === '') return false;
  if (isIpHost(h) || isIpHost(nd)) return !subOnly && h === nd;
  if (h === nd) return !subOnly;
  return h.length > nd.length && h.endsWith(nd) && h.charCodeAt(h.length - nd.length - 1) === 0x2e;
}

function parseCidrStrict(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  if (typeof cidr !== 'string' || cidr.length === 0 || cidr.length > MAX_CIDR_INPUT) return null;
  const slash = cidr.indexOf('/');
  const addrText = slash === -1 ? cidr : cidr.slice(0, slash);
  const prefixText = slash === -1 ? '' : cidr.slice(slash + 1);
  if (slash !== -1) {
    if (prefixText.length === 0 || prefixText.length > 3) return null;
    for (let i = 0; i < prefixText.length; i++) if (!isAsciiDigit(prefixText.charCodeAt(i))) return null;
  }
  try {
    if (ipaddr.IPv4.isValidFourPartDecimal(addrText)) {
      const prefix = slash === -1 ? 32 : Number(prefixText);
      return prefix <= 32 ? [ipaddr.IPv4.parse(addrText), prefix] : null;
    }
    if (!addrText.includes('%') && ipaddr.IPv6.isValid(addrText)) {
      const prefix = slash === -1 ? 128 : Number(prefixText);
      return prefix <= 128 ? [ipaddr.IPv6.parse(addrText), prefix] : null;
    }
  } catch {
    // a malformed range never matches
    return null;
  }
  return null;
}

/**
 * True when `host` is an IP address inside `cidr` (`10.0.0.0/8`, `fc00::/7`, or a single address).
 * The host is normalized first, so `0x0a000001` is in `10.0.0.0/8`. An IPv6 host that carries an
 * IPv4 address ({@link embeddedIpv4}: mapped, translated, compatible, NAT64, 6to4) matches IPv4
 * ranges, and an IPv4 host matches IPv6 ranges through its mapped form. A name, an invalid host or
 * a malformed range (IPv4 must be four-part decimal) gives `false`; it never throws.
 *
 * @example
 * ```ts
 * inCidr('10.1.2.3', '10.0.0.0/8');           // true
 * inCidr('[::ffff:10.1.2.3]', '10.0.0.0/8');  // true
 * inCidr('example.com', '0.0.0.0/0');         // false
 * ```
 */
export function inCidr(host: string, cidr: string): boolean {
  if (typeof host !== 'string') return false;
  const range = parseCidrStrict(cidr);
  if (range === null) return false;
  const h = normalizeHost(host);
  if (h === '' || !isIpHost(h)) return false;
  try {
    const addr = h.includes(':') ? ipaddr.IPv6.parse(h) : ipaddr.IPv4.parse(h);
    const [net, bits] = range;
    if (addr.kind() === net.kind()) return addr.match(net, bits);
    if (addr.kind() === 'ipv6') {
      const v4 = embeddedIpv4(addr as ipaddr.IPv6);
      return v4 !== null && v4.match(net, bits);
    }
    return (addr as ipaddr.IPv4).toIPv4MappedAddress().match(net, bits);
  } catch {
    // unreachable for normalized hosts; a failure is "not in range"
    return false;
  }
}

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  domainMatches,
  inCidr,
  normalizeHost,
  parseUrlFacts,
  scanUrls,
  URL_SCAN_LIMITS,
  type UrlFacts,
} from '../../src/facets/url.js';
import { normalizeHostSlow } from '../../src/facets/url-host.js';

/**
 * One line per URL: scheme host port path?query registrableDomain flags ('-' for empty), so each
 * table row pins every fact of every URL found.
 */
function show(u: UrlFacts): string {
  const flags: string[] = (['isIp', 'loopback', 'private', 'linkLocal', 'metadata', 'hasUserinfo', 'embedded'] as const).filter((k) => u[k]);
  if (!u.valid) flags.push('invalid');
  const pathQuery = u.path + (u.query !== '' ? `?${u.query}` : '');
  return [u.scheme || '-', u.host || '-', String(u.port), pathQuery || '-', u.registrableDomain || '-', ...flags].join(' ');
}

function scan(args: unknown): string[] {
  const r = scanUrls(args);
  expect(r.error).toBe('');
  expect(r.truncated).toBe(false);
  return r.urls.map(show);
}

// [what the case pins, args, every URL expected in order]
const EXPLICIT: [string, unknown, string[]][] = [
  ['a query naming another host does not change the host', 'https://safe.com/?ref=evil.com', ['https safe.com 443 /?ref=evil.com safe.com', '- evil.com 0 / evil.com embedded']],
  ['a look-alike hyphenated host stays its own host', 'https://evil-example.com/', ['https evil-example.com 443 / evil-example.com']],
  ['userinfo never becomes the host', 'http://allowed.com:80@127.0.0.1:6666/x', ['http 127.0.0.1 6666 /x - isIp loopback hasUserinfo']],
  ['an empty userinfo still counts as userinfo', 'http://@evil.com/', ['http evil.com 80 / evil.com hasUserinfo']],
  ['a backslash before @: RFC 3986 readers (curl, Python) reach the host after it, so that host and userinfo are reported', 'https://allowed.com\\@evil.com/x', ['https allowed.com 443 /@evil.com/x allowed.com hasUserinfo', '- evil.com 0 /x evil.com hasUserinfo embedded', 'https evil.com 443 - evil.com hasUserinfo invalid', '- allowed.com 0 /@evil.com allowed.com embedded', '- evil.com 0 / evil.com hasUserinfo embedded']],
  ['a backslash before @ after a port', 'https://github.com:443\\@evil.com', ['https github.com 443 /@evil.com github.com hasUserinfo', '- evil.com 0 / evil.com hasUserinfo embedded', 'https evil.com 443 - evil.com hasUserinfo invalid', '- github.com 443 /@evil.com github.com embedded']],
  ['a backslash with no @ is a path separator for every reader', 'https://allowed.com\\x', ['https allowed.com 443 /x allowed.com']],
  ['upper case and a trailing dot are normalized', 'https://EXAMPLE.COM./A', ['https example.com 443 /A example.com']],
  ['a unicode host becomes punycode', 'http://例え.jp/', ['http xn--r8jz45g.jp 80 / xn--r8jz45g.jp']],
  ['punycode and unicode spellings are equal', 'http://xn--r8jz45g.jp/', ['http xn--r8jz45g.jp 80 / xn--r8jz45g.jp']],
  ['mixed case unicode host', 'HTTPS://Bücher.DE/x', ['https xn--bcher-kva.de 443 /x xn--bcher-kva.de']],
  ['hex IPv4 is loopback', 'http://0x7f000001/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['short IPv4 is loopback', 'http://127.1/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['octal IPv4 is loopback', 'http://017700000001/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['decimal IPv4 is loopback', 'http://2130706433/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['mixed dotted octal/hex IPv4', 'http://0177.0x0.0.01:81/', ['http 127.0.0.1 81 / - isIp loopback']],
  ['IPv4-mapped IPv6 (dotted) is the IPv4 host', 'http://[::ffff:127.0.0.1]/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['IPv4-mapped IPv6 (hex) is the IPv4 host', 'http://[::ffff:7f00:1]/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['IPv4-mapped metadata address', 'http://[::ffff:169.254.169.254]/', ['http 169.254.169.254 80 / - isIp linkLocal metadata']],
  ['IPv4-translated metadata address', 'http://[::ffff:0:a9fe:a9fe]/', ['http ::ffff:0:a9fe:a9fe 80 / - isIp linkLocal metadata']],
  ['NAT64 metadata address', 'http://[64:ff9b::a9fe:a9fe]/', ['http 64:ff9b::a9fe:a9fe 80 / - isIp linkLocal metadata']],
  ['6to4 metadata address', 'http://[2002:a9fe:a9fe::1]/', ['http 2002:a9fe:a9fe::1 80 / - isIp linkLocal metadata']],
  ['AWS IMDS', 'http://169.254.169.254/latest/meta-data/', ['http 169.254.169.254 80 /latest/meta-data/ - isIp linkLocal metadata']],
  ['AWS IMDS as a decimal number', 'http://2852039166/latest', ['http 169.254.169.254 80 /latest - isIp linkLocal metadata']],
  ['GCP metadata name', 'http://metadata.google.internal/computeMetadata/v1/', ['http metadata.google.internal 80 /computeMetadata/v1/ google.internal private metadata']],
  ['GCP metadata name, upper case with trailing dot', 'http://METADATA.Google.Internal./', ['http metadata.google.internal 80 / google.internal private metadata']],
  ['metadata.goog', 'http://metadata.goog/', ['http metadata.goog 80 / metadata.goog metadata']],
  ['AWS instance-data name', 'http://instance-data.ec2.internal/', ['http instance-data.ec2.internal 80 / ec2.internal private metadata']],
  ['AWS IMDS over IPv6', 'http://[fd00:ec2::254]/', ['http fd00:ec2::254 80 / - isIp private metadata']],
  ['Alibaba metadata (CGNAT range is private)', 'http://100.100.100.200/', ['http 100.100.100.200 80 / - isIp private metadata']],
  ['ECS task metadata', 'http://169.254.170.2/v2/credentials', ['http 169.254.170.2 80 /v2/credentials - isIp linkLocal metadata']],
  ['0.0.0.0 reaches the local host', 'http://0.0.0.0:8000/', ['http 0.0.0.0 8000 / - isIp loopback']],
  ['the unspecified IPv6 address reaches the local host', 'http://[::]/', ['http :: 80 / - isIp loopback']],
  ['IPv6 loopback with port', 'http://[::1]:8080/', ['http ::1 8080 / - isIp loopback']],
  ['RFC 1918 10/8', 'http://10.1.2.3/', ['http 10.1.2.3 80 / - isIp private']],
  ['RFC 1918 172.16/12', 'http://172.16.0.1/', ['http 172.16.0.1 80 / - isIp private']],
  ['just outside 172.16/12 is public', 'http://172.32.0.1/', ['http 172.32.0.1 80 / - isIp']],
  ['RFC 1918 192.168/16', 'http://192.168.1.1/', ['http 192.168.1.1 80 / - isIp private']],
  ['CGNAT 100.64/10', 'http://100.64.0.1/', ['http 100.64.0.1 80 / - isIp private']],
  ['unique-local IPv6', 'http://[fc00::1]/', ['http fc00::1 80 / - isIp private']],
  ['link-local IPv6', 'http://[fe80::1]/', ['http fe80::1 80 / - isIp linkLocal']],
  ['a subdomain of localhost is loopback', 'http://foo.localhost/', ['http foo.localhost 80 / foo.localhost loopback']],
  ['ws scheme', 'ws://evil.com/socket', ['ws evil.com 80 /socket evil.com']],
  ['wss with explicit port', 'wss://evil.com:8443', ['wss evil.com 8443 / evil.com']],
  ['ftp with credentials', 'ftp://user:pw@files.example.org/x', ['ftp files.example.org 21 /x example.org hasUserinfo']],
  ['gopher to loopback', 'gopher://127.0.0.1:70/_GET', ['gopher 127.0.0.1 70 /_GET - isIp loopback']],
  ['gopher host gets IPv4 normalization too', 'gopher://0x7f000001:70/', ['gopher 127.0.0.1 70 / - isIp loopback']],
  ['gopher with an IPv4-mapped host', 'gopher://[::ffff:127.0.0.1]:70/', ['gopher 127.0.0.1 70 / - isIp loopback']],
  ['dict scheme', 'dict://127.0.0.1:11211/stat', ['dict 127.0.0.1 11211 /stat - isIp loopback']],
  ['ldap default port', 'ldap://10.0.0.1/dc=x', ['ldap 10.0.0.1 389 /dc=x - isIp private']],
  ['ldap with a percent-encoded opaque host', 'ldap://%31%32%37.0.0.1/', ['ldap 127.0.0.1 389 / - isIp loopback']],
  ['redis to localhost', 'redis://localhost:6379/0', ['redis localhost 6379 /0 - loopback']],
  ['an unknown scheme with //', 'xyz://Evil.COM:1/a', ['xyz evil.com 1 /a evil.com']],
  ['file URL has no host', 'file:///etc/passwd', ['file - 0 /etc/passwd -']],
  ['file URL with a remote host', 'file://evil.com/share/x', ['file evil.com 0 /share/x evil.com']],
  ['data URL', 'data:text/plain,hello', ['data - 0 text/plain,hello -']],
  ['backslashes after the scheme', 'http:\\\\evil.com\\x', ['http evil.com 80 /x evil.com']],
  ['mixed slashes after the scheme', 'http:/\\evil.com', ['http evil.com 80 / evil.com']],
  ['no slashes after a special scheme', 'https:evil.com', ['https evil.com 443 / evil.com']],
  ['three slashes after a special scheme', 'http:///evil.com/x', ['http evil.com 80 /x evil.com']],
  ['percent-encoded host', 'http://%31%32%37.0.0.1/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['ideographic full stop in the host', 'http://evil\u3002com/', ['http evil.com 80 / evil.com']],
  ['fullwidth letters in the host', 'http://ｅｖｉｌ.com/', ['http evil.com 80 / evil.com']],
  ['soft hyphen inside the host is dropped', 'http://ev\u00adil.com/', ['http evil.com 80 / evil.com']],
  ['private PSL section: a github.io site is its own registrable domain', 'http://a.b.github.io/', ['http a.b.github.io 80 / b.github.io']],
  ['a port over 65535 is reported, invalid, port 0', 'http://evil.com:99999/', ['http evil.com 0 - evil.com invalid', '- evil.com 0 / evil.com embedded']],
  ['a port glued to a domain: invalid, and the glued name is reported', 'http://allowed.com:443.evil.com/', [
    'http allowed.com 0 - allowed.com invalid',
    '- allowed.com 0 / allowed.com embedded',
    '- 443.evil.com 0 / evil.com embedded',
  ]],
  ['an encoded "@" in the host: invalid, and the decoded reading is reported', 'http://allowed.com%40evil.com/', [
    'http allowed.com@evil.com 80 - - invalid',
    '- evil.com 0 / evil.com hasUserinfo embedded',
    'http evil.com 80 / evil.com hasUserinfo embedded',
  ]],
  ['an IPv6 zone ID is invalid for WHATWG, still link-local', 'http://[fe80::1%25eth0]/', ['http fe80::1 80 - - isIp linkLocal invalid']],
  ['"#@" keeps the real host', 'http://evil.com#@allowed.com', ['http evil.com 80 / evil.com', '- allowed.com 0 / allowed.com hasUserinfo embedded']],
  ['"\\@" keeps the WHATWG host (backslash is a path separator there) and adds the RFC 3986 reading (curl, Python: userinfo, then the host)', 'http://evil.com\\@allowed.com', ['http evil.com 80 /@allowed.com evil.com hasUserinfo', '- allowed.com 0 / allowed.com hasUserinfo embedded', 'http allowed.com 80 - allowed.com hasUserinfo invalid', '- evil.com 0 /@allowed.com evil.com embedded']],
  ['circled digits fold to an IPv4 address', 'http://①②⑦.0.0.1/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['ideographic dots in an IPv4 address', 'http://127。0。0。1/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['zero-padded octets', 'http://127.000.000.001/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['dotted hex octets', 'http://0x7f.0x0.0x0.0x1/', ['http 127.0.0.1 80 / - isIp loopback']],
  ['JSON-escaped slashes', 'http:\\/\\/evil.com', ['http evil.com 80 / evil.com']],
  ['a scheme with "+"', 'git+ssh://git@github.com/x', ['git+ssh github.com 0 /x github.com hasUserinfo']],
  ['a Cyrillic look-alike is its own punycode host', 'http://ехample.com/', ['http xn--ample-ywe6i.com 80 / xn--ample-ywe6i.com']],
  ['a NUL in the host: invalid, never the allowed name', 'http://example.com%00.evil.com/', [
    'http example.com\u0000.evil.com 80 - - invalid',
    '- example.com 0 / example.com embedded',
    'http example.com 80 / example.com embedded',
  ]],
  ['a broken IPv6 literal is reported, invalid, with the address inside it', 'http://[::1/x', ['http [::1 80 - - invalid', '- ::1 0 / - isIp loopback embedded']],
  ['default port written explicitly', 'http://example.com:80/', ['http example.com 80 / example.com']],
  ['https on port 80 keeps 80', 'https://example.com:80/', ['https example.com 80 / example.com']],
  ['leading and trailing spaces are ignored', '  http://evil.com  ', ['http evil.com 80 / evil.com']],
  ['a bare "https://" names nothing', 'https://', []],
  ['"http:" in prose names nothing', 'http: is old', []],
];

const SCHEMELESS: [string, unknown, string[]][] = [
  ['host with a path', 'evil.com/path', ['- evil.com 0 /path evil.com']],
  ['host with a port and a path', 'evil.com:8080/a?b=1', ['- evil.com 8080 /a?b=1 evil.com']],
  ['sentence-final dot is punctuation', 'visit evil.com.', ['- evil.com 0 / evil.com']],
  ['bare metadata IPv4', '169.254.169.254', ['- 169.254.169.254 0 / - isIp linkLocal metadata']],
  ['localhost with a port', 'localhost:8080', ['- localhost 8080 / - loopback']],
  ['bracketed IPv6 with port and path', '[::1]:80/x', ['- ::1 80 /x - isIp loopback']],
  ['user@host', 'bob@evil.com', ['- evil.com 0 / evil.com hasUserinfo']],
  ['userinfo trick without a scheme', 'allowed.com:80@127.0.0.1:6666', ['- 127.0.0.1 6666 / - isIp loopback hasUserinfo']],
  ['short IPv4 with a port', '127.1:80', ['- 127.0.0.1 80 / - isIp loopback']],
  ['hex IPv4 with a port', '0x7f000001:80', ['- 127.0.0.1 80 / - isIp loopback']],
  ['octal IPv4 with a path', '017700000001/x', ['- 127.0.0.1 0 /x - isIp loopback']],
  ['decimal IPv4 with a port', '2130706433:80', ['- 127.0.0.1 80 / - isIp loopback']],
  ['a lone number is not an address', '2130706433', []],
  ['a hex number as a whole value is an address', '0x7f000001', ['- 127.0.0.1 0 / - isIp loopback']],
  ['a hex number inside prose is not', 'mask 0x7f000001 here', []],
  ['a version string as a whole value is not an address', '1.2', []],
  ['times, fractions, decimals and versions are not addresses', '12:30 1/2 3.14 v1.2.3', []],
  ['a four-part IPv4 always counts', '1.2.3.4', ['- 1.2.3.4 0 / - isIp']],
  ['the name "metadata" as a whole value', 'metadata', ['- metadata 0 / - metadata']],
  ['"metadata" with a path', 'metadata/computeMetadata/v1', ['- metadata 0 /computeMetadata/v1 - metadata']],
  ['"metadata" as a word in prose is not a host', 'the metadata field', []],
  ['instance-data with a port', 'instance-data:80', ['- instance-data 80 / - metadata']],
  ['a single label with a port as a whole value', 'redis:6379', ['- redis 6379 / -']],
  ['a label and a number in prose is not a host', 'step:1 is done', []],
  ['bare IPv6 metadata address', 'fd00:ec2::254', ['- fd00:ec2::254 0 / - isIp private metadata']],
  ['bare IPv6 metadata address in prose', 'then GET fd00:ec2::254 now', ['- fd00:ec2::254 0 / - isIp private metadata']],
  ['bare IPv6 with all eight groups', 'addr 2001:db8:0:0:0:0:0:1 here', ['- 2001:db8::1 0 / - isIp']],
  ['"metadata." as a whole value', 'metadata.', ['- metadata 0 / - metadata']],
  ['protocol-relative', '//evil.com/x', ['- evil.com 0 /x evil.com']],
  ['protocol-relative with mixed slashes', '/\\evil.com', ['- evil.com 0 / evil.com']],
  ['protocol-relative with three slashes', '///evil.com/x', ['- evil.com 0 /x evil.com']],
  ['a zero-width space inside a scheme-less host', 'ev\u200bil.com/x', ['- evil.com 0 /x evil.com']],
  ['UNC path', '\\\\evil.com\\share', ['- evil.com 0 /share evil.com']],
  ['a comment is not a host', '// TODO later //comment', []],
  ['file names are not hosts unless their extension is a TLD', 'config.json and index.ts', []],
  ['file names whose extension is a TLD are reported', 'main.py and notes.md', ['- main.py 0 / main.py', '- notes.md 0 / notes.md']],
  ['percent-encoded IPv4 without a scheme', '%31%32%37.0.0.1:80', ['- 127.0.0.1 80 / - isIp loopback']],
  ['fullwidth host without a scheme', 'ＥＶＩＬ.COM', ['- evil.com 0 / evil.com']],
  ['a host glued to CJK text', '访问evil.com获取', ['- evil.com 0 / evil.com']],
  ['a host glued to an emoji', 'evil.com😀', ['- evil.com 0 / evil.com']],
  ['internal suffix with a port', 'myhost.internal:22', ['- myhost.internal 22 / myhost.internal private']],
  ['cluster-local name', 'svc.cluster.local', ['- svc.cluster.local 0 / cluster.local private']],
  ['an e-mail address in prose', 'email me at a.b@c.co.uk', ['- c.co.uk 0 / c.co.uk hasUserinfo']],
  ['scp-style git remote', 'git clone git@github.com:org/repo.git', ['- github.com 0 / github.com hasUserinfo']],
  ['localhost alone', 'localhost', ['- localhost 0 / - loopback']],
  ['LOCALHOST. alone', 'LOCALHOST.', ['- localhost 0 / - loopback']],
  ['an invalid port leaves the host', 'x.com:99999', ['- x.com 0 / x.com']],
];

const CONTEXT: [string, unknown, string[]][] = [
  ['URL in parentheses and a sentence', 'see (https://a.example.com/x).', ['https a.example.com 443 /x example.com']],
  ['URL in HTML', '<a href="https://evil.com/">x</a>', ['https evil.com 443 / evil.com']],
  ['URL in Markdown', '[link](https://evil.com/a)', ['https evil.com 443 /a evil.com']],
  ['balanced parentheses stay in the path', '[x](https://en.wikipedia.org/wiki/Foo_(bar))', ['https en.wikipedia.org 443 /wiki/Foo_(bar) wikipedia.org']],
  ['URL in a JSON string', '{"url":"http://evil.com"}', ['http evil.com 80 / evil.com']],
  ['URL in a shell command', 'curl -s http://10.0.0.5:9200/_cat', ['http 10.0.0.5 9200 /_cat - isIp private']],
  ['encoded URL in a query', 'https://a.com/r?next=https%3A%2F%2Fevil.com%2Fx', [
    'https a.com 443 /r?next=https%3A%2F%2Fevil.com%2Fx a.com',
    'https evil.com 443 /x evil.com embedded',
    'https a.com 443 /r?next=https://evil.com/x a.com embedded',
  ]],
  ['double-encoded URL in a query', 'https://a.com/r?u=https%253A%252F%252Fevil.com', [
    'https a.com 443 /r?u=https%253A%252F%252Fevil.com a.com',
    'https evil.com 443 / evil.com embedded',
    'https a.com 443 /r?u=https://evil.com a.com embedded',
  ]],
  ['a whole value that is an encoded URL', 'https%3A%2F%2Fevil.com', ['https evil.com 443 / evil.com embedded']],
  ['protocol-relative URL in a fragment', 'https://a.com/#//evil.com', ['https a.com 443 / a.com', '- evil.com 0 / evil.com embedded']],
  ['protocol-relative URL inside javascript:', "javascript:fetch('//evil.com')", ['javascript - 0 fetch( -', '- evil.com 0 / evil.com']],
  ['mailto addresses', 'mailto:x@evil.com?cc=y@other.org', [
    'mailto - 0 x@evil.com?cc=y@other.org -',
    '- evil.com 0 /?cc=y@other.org evil.com hasUserinfo embedded',
    '- other.org 0 / other.org hasUserinfo embedded',
  ]],
  ['a comma list glued into one authority', 'http://a.com,http://b.com', ['http a.com,http 80 //b.com -', '- b.com 0 / b.com embedded', '- a.com 0 / a.com embedded']],
  ['a tab inside a URL value is read the WHATWG way too', 'http://ev\til.com/', ['http ev 80 / -', '- il.com 0 / il.com', 'http evil.com 80 / evil.com']],
  ['a newline inside a URL value', 'http://evil\n.com/', ['http evil 80 / -', 'http evil.com 80 / evil.com']],
  ['blob URL wraps a URL', 'blob:https://evil.com/uuid', ['blob - 0 https://evil.com/uuid -', 'https evil.com 443 /uuid evil.com embedded']],
  ['view-source wraps a URL', 'view-source:http://evil.com', ['view-source - 0 http://evil.com -', 'http evil.com 80 / evil.com embedded']],
  ['the same URL twice is reported once', 'http://a.com/ http://a.com/', ['http a.com 80 / a.com']],
];

const STRUCTURE: [string, unknown, string[]][] = [
  ['URL under an unusual key', { link: 'http://evil.com/' }, ['http evil.com 80 / evil.com']],
  ['URL under "target" in a nested array', { target: [['x', ['ftp://evil.com/f']]] }, ['ftp evil.com 21 /f evil.com']],
  ['URL as an object key', { 'http://key.example.com': 1 }, ['http key.example.com 80 / example.com']],
  ['host as a nested object key', { a: { 'evil.com': true } }, ['- evil.com 0 / evil.com']],
  ['numbers and booleans are not scanned', { port: 6666, ok: true, n: null }, []],
  ['order of appearance across keys', { b: 'http://b.example.com', a: ['http://a.example.com'] }, ['http b.example.com 80 / example.com', 'http a.example.com 80 / example.com']],
  ['a key named like a host is scanned, its value too', { 'localhost:1': 'http://[::1]/' }, ['- localhost 1 / - loopback', 'http ::1 80 / - isIp loopback']],
  ['Map keys and values', new Map([['k', 'http://m.example.com']]), ['http m.example.com 80 / example.com']],
  ['Set values', new Set(['http://s.example.com']), ['http s.example.com 80 / example.com']],
  ['a __proto__ key is ordinary data', JSON.parse('{"__proto__": {"x": "http://p.example.com"}}') as unknown, ['http p.example.com 80 / example.com']],
  ['a bare string argument', 'http://evil.com', ['http evil.com 80 / evil.com']],
  ['nothing at all', undefined, []],
];

describe('scanUrls: explicit-scheme URLs', () => {
  it.each(EXPLICIT)('%s', (_name, args, expected) => {
    expect(scan(args)).toEqual(expected);
  });
});

describe('scanUrls: scheme-less hosts', () => {
  it.each(SCHEMELESS)('%s', (_name, args, expected) => {
    expect(scan(args)).toEqual(expected);
  });
});

describe('scanUrls: URLs inside text and inside other URLs', () => {
  it.each(CONTEXT)('%s', (_name, args, expected) => {
    expect(scan(args)).toEqual(expected);
  });
});

describe('scanUrls: where URLs hide in the arguments', () => {
  it.each(STRUCTURE)('%s', (_name, args, expected) => {
    expect(scan(args)).toEqual(expected);
  });
});

describe('scanUrls: facts shape', () => {
  it('reports every field of a URL, with raw as found', () => {
    expect(scanUrls({ u: 'go to http://user@Evil.COM:8080/a?b=c#d now' }).urls).toEqual([
      {
        raw: 'http://user@Evil.COM:8080/a?b=c#d',
        scheme: 'http',
        host: 'evil.com',
        port: 8080,
        path: '/a',
        registrableDomain: 'evil.com',
        isIp: false,
        loopback: false,
        private: false,
        linkLocal: false,
        metadata: false,
        hasUserinfo: true,
        query: 'b=c',
        embedded: false,
        valid: true,
      },
    ]);
  });

  it('keeps the URL found at top level not-embedded when it also appears embedded', () => {
    const urls = scan({ a: 'https://x.com/?u=evil.com', b: 'evil.com' });
    expect(urls).toEqual(['https x.com 443 /?u=evil.com x.com', '- evil.com 0 / evil.com']);
  });
});

describe('scanUrls: limits fail closed', () => {
  it('refuses a string over maxStringLength', () => {
    const r = scanUrls({ s: 'a'.repeat(URL_SCAN_LIMITS.maxStringLength + 1) });
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('exceeds the limit');
  });

  it('refuses nesting deeper than maxDepth', () => {
    let deep: unknown = 'http://evil.com';
    for (let i = 0; i < URL_SCAN_LIMITS.maxDepth + 1; i++) deep = [deep];
    const r = scanUrls(deep);
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('nest deeper');
  });

  it('accepts nesting exactly at maxDepth', () => {
    let deep: unknown = 'http://evil.com';
    for (let i = 0; i < URL_SCAN_LIMITS.maxDepth; i++) deep = [deep];
    expect(scan(deep)).toEqual(['http evil.com 80 / evil.com']);
  });

  it('refuses more than maxStrings strings', () => {
    const r = scanUrls(Array.from({ length: URL_SCAN_LIMITS.maxStrings + 1 }, () => 'x'));
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('strings');
  });

  it('refuses more than maxUrls distinct URLs, keeping what it found', () => {
    const text = Array.from({ length: URL_SCAN_LIMITS.maxUrls + 1 }, (_, i) => `http://h${i}.example.com/`).join(' ');
    const r = scanUrls(text);
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('distinct URLs');
    expect(r.urls).toHaveLength(URL_SCAN_LIMITS.maxUrls);
  });

  it('refuses more text than maxTotalLength across strings', () => {
    const chunk = 'a '.repeat(URL_SCAN_LIMITS.maxStringLength / 4);
    const r = scanUrls(Array.from({ length: Math.ceil(URL_SCAN_LIMITS.maxTotalLength / chunk.length) + 1 }, (_, i) => chunk + i));
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('characters of text');
  });

  it('refuses text with more than maxCandidates near-candidates', () => {
    // distinct non-ASCII words with a dot must each be parsed, and none is a host (.zz is no TLD)
    const r = scanUrls(Array.from({ length: URL_SCAN_LIMITS.maxCandidates + 1 }, (_, i) => `é${i}.zz`).join(' '));
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('too many URL candidates');
  });

  it('refuses more than maxNodes values', () => {
    const r = scanUrls(new Array(URL_SCAN_LIMITS.maxNodes + 1).fill(0));
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('values');
  });

  it('ends on a cycle and scans shared objects once', () => {
    const a: Record<string, unknown> = { u: 'http://evil.com' };
    a.self = a;
    const shared = { v: 'http://s.example.com' };
    expect(scan({ a, x: shared, y: shared })).toEqual(['http evil.com 80 / evil.com', 'http s.example.com 80 / example.com']);
  });

  it('reports a throwing getter as an error instead of throwing', () => {
    const args = {
      get url(): string {
        throw new Error('boom');
      },
    };
    const r = scanUrls(args);
    expect(r.truncated).toBe(true);
    expect(r.error).toBe('url scan: the arguments could not be read: boom');
  });

  it('reports a hostile proxy as an error instead of throwing', () => {
    const args = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); } });
    const r = scanUrls(args);
    expect(r.truncated).toBe(true);
    expect(r.error).toContain('no keys');
  });

  // A quadratic scan of these would not finish within the test's timeout; the result must still be an answer.
  it('answers on pathological text (no quadratic scan)', () => {
    const hostile = ['a=a='.repeat(100_000), 'http:'.repeat(50_000), '@'.repeat(200_000), '1.'.repeat(100_000), '%'.repeat(200_000), '['.repeat(200_000), 'a:'.repeat(100_000)];
    for (const s of hostile) expect(Array.isArray(scanUrls({ s }).urls)).toBe(true);
  });
});

describe('normalizeHost', () => {
  const CASES: [string, string][] = [
    ['EXAMPLE.com.', 'example.com'],
    ['example.com..', 'example.com'],
    ['0x7f000001', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['FE80::1', 'fe80::1'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['XN--BCHER-KVA.DE', 'xn--bcher-kva.de'],
    ['%31%32%37.0.0.1', '127.0.0.1'],
    ['evil\u3002com', 'evil.com'],
    ['evil.com/x', ''],
    ['user@evil.com', ''],
    ['evil.com:80', ''],
    ['a b', ''],
    ['', ''],
    ['[::1', ''],
    ['[::1]x', ''],
    ['[1::2::3]', ''],
    ['1.2.3.256', ''],
    ['.', ''],
  ];
  it.each(CASES)('normalizes %j to %j', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  // Punycode validity is the runtime's WHATWG URL parser's to judge (Node 22 refuses `xn--zz`,
  // Node 24 accepts it); the facet must name the host that fetch() would connect to.
  it.each(['xn--zz', 'xn--a', 'xn--', 'xn--bcher-kva', 'xn---', 'a.xn--zz.b'])('normalizes the edge punycode %j exactly as the runtime URL parser reads it', (input) => {
    const expected = URL.canParse(`http://${input}/`) ? new URL(`http://${input}/`).hostname : '';
    expect(normalizeHost(input)).toBe(expected);
  });

  it('is idempotent on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.domain(), fc.ipV4Extended(), fc.ipV6()), (s) => {
        const once = normalizeHost(s);
        expect(normalizeHost(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the fast path only where the WHATWG parser agrees', () => {
    const label = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const host = labels.join('.');
        expect(normalizeHost(host)).toBe(normalizeHostSlow(host));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('domainMatches', () => {
  const CASES: [string, string, boolean][] = [
    ['example.com', 'example.com', true],
    ['api.example.com', 'example.com', true],
    ['a.b.example.com', 'example.com', true],
    ['evil-example.com', 'example.com', false],
    ['example.com.evil.com', 'example.com', false],
    ['notexample.com', 'example.com', false],
    ['EXAMPLE.COM.', 'example.com', true],
    ['api.example.com', 'EXAMPLE.com.', true],
    ['xn--bcher-kva.de', 'bücher.de', true],
    ['shop.bücher.de', 'xn--bcher-kva.de', true],
    ['example.com', '*.example.com', false],
    ['a.example.com', '*.example.com', true],
    ['a.example.com', '.example.com', true],
    ['example.com', '', false],
    ['', 'example.com', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['0x7f000001', '127.0.0.1', true],
    ['1.127.0.0.1', '127.0.0.1', false],
    ['evil.com', 'com', true],
    ['evil.com/example.com', 'example.com', false],
    ['example.com', 'example.com/x', false],
  ];
  it.each(CASES)('domainMatches(%j, %j) is %s', (host, domain, expected) => {
    expect(domainMatches(host, domain)).toBe(expected);
  });

  it('matches any subdomain and no glued prefix (property)', () => {
    fc.assert(
      fc.property(fc.domain(), fc.stringMatching(/^[a-z0-9]{1,10}$/), (d, sub) => {
        expect(domainMatches(`${sub}.${d}`, d)).toBe(true);
        expect(domainMatches(`${sub}${d}`, d)).toBe(false);
      }),
    );
  });
});

describe('inCidr', () => {
  const CASES: [string, string, boolean][] = [
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['0x0a000001', '10.0.0.0/8', true],
    ['[::ffff:10.1.2.3]', '10.0.0.0/8', true],
    ['::ffff:a01:203', '10.0.0.0/8', true],
    ['64:ff9b::a01:203', '10.0.0.0/8', true],
    ['127.0.0.1', '::ffff:0:0/96', true],
    ['169.254.169.254', '169.254.0.0/16', true],
    ['fe80::1', 'fe80::/10', true],
    ['fd00:ec2::254', 'fc00::/7', true],
    ['::1', '127.0.0.0/8', false],
    ['1.2.3.4', '1.2.3.4', true],
    ['1.2.3.5', '1.2.3.4', false],
    ['example.com', '0.0.0.0/0', false],
    ['10.0.0.1', '10.0.0.0/33', false],
    ['10.0.0.1', '010.0.0.0/8', false],
    ['10.0.0.1', 'not a cidr', false],
    ['10.0.0.1', '', false],
    ['10.0.0.1', '10.0.0.0/', false],
    ['10.0.0.1', '10.0.0.0/8x', false],
    ['', '0.0.0.0/0', false],
  ];
  it.each(CASES)('inCidr(%j, %j) is %s', (host, cidr, expected) => {
    expect(inCidr(host, cidr)).toBe(expected);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (h, c) => {
        expect(typeof inCidr(h, c)).toBe('boolean');
      }),
    );
  });
});

describe('parseUrlFacts', () => {
  const CASES: [string, string | null][] = [
    ['HTTP://[::ffff:127.0.0.1]:80/x', 'http 127.0.0.1 80 /x - isIp loopback'],
    ['evil.com:8080/a', '- evil.com 8080 /a evil.com'],
    ['readme', '- readme 0 / -'],
    ['user@host.example.com', '- host.example.com 0 / example.com hasUserinfo'],
    ['git@github.com:org/repo', '- github.com 0 / github.com hasUserinfo'],
    ['//evil.com/x', '- evil.com 0 /x evil.com'],
    ['[fe80::1]:1', '- fe80::1 1 / - isIp linkLocal'],
    ['http://ev\til.com', 'http evil.com 80 / evil.com'],
    ['mailto:a@b.example', 'mailto - 0 a@b.example -'],
    ['not a url', null],
    ['', null],
    ['/just/a/path', null],
  ];
  it.each(CASES)('parses %j', (text, expected) => {
    const f = parseUrlFacts(text);
    expect(f === null ? null : show(f)).toBe(expected);
  });

  it('is idempotent: parsing the normalized form gives the same facts', () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV4Extended(), fc.ipV6().map((h) => `[${h}]`), fc.constantFrom('EXAMPLE.com.', 'bücher.de', '[::ffff:127.0.0.1]', '0x7f000001', '%31%32%37.0.0.1'));
    const url = fc.tuple(fc.constantFrom('http', 'https', 'ws', 'wss', 'ftp', 'gopher', 'ldap', ''), host, fc.option(fc.integer({ min: 1, max: 65535 })), fc.webPath());
    fc.assert(
      fc.property(url, ([scheme, h, port, path]) => {
        const text = `${scheme === '' ? '' : `${scheme}://`}${h}${port === null ? '' : `:${port}`}${path}`;
        const f = parseUrlFacts(text);
        if (f === null) return;
        const hostPart = f.host.includes(':') ? `[${f.host}]` : f.host;
        const again = `${f.scheme === '' ? '' : `${f.scheme}://`}${hostPart}${f.port === 0 ? '' : `:${f.port}`}${f.path}${f.query === '' ? '' : `?${f.query}`}`;
        const g = parseUrlFacts(again);
        expect(g).not.toBeNull();
        expect({ ...g, raw: '' }).toEqual({ ...f, raw: '' });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('scanUrls: properties', () => {
  it('never throws and always returns well-formed facts', () => {
    fc.assert(
      fc.property(fc.anything({ withMap: true, withSet: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (v) => {
        const r = scanUrls(v);
        expect(typeof r.truncated).toBe('boolean');
        expect(typeof r.error).toBe('string');
        for (const u of r.urls) {
          expect(typeof u.host).toBe('string');
          expect(Number.isInteger(u.port)).toBe(true);
          expect(normalizeHost(u.host) === u.host || !u.valid || u.host === '' || u.scheme !== '').toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary text, including URL-ish noise', () => {
    const piece = fc.constantFrom('http://', 'https:', '//', '\\\\', '@', ':', '[', ']', '::', '.', '%2e', '%', '0x7f', '127.1', 'evil.com', 'localhost', '?', '#', '/', ' ', '\t', 'é', '。', '😀');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string()), { maxLength: 30 }), (parts) => {
        const r = scanUrls({ s: parts.join('') });
        expect(r.error).toBe('');
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the host of any web URL embedded in prose', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (u) => {
        const expected = normalizeHost(new URL(u).hostname);
        const hosts = scanUrls({ note: `please open ${u} now` }).urls.map((x) => x.host);
        expect(hosts).toContain(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

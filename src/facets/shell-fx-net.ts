/**
 * Program models for network clients: where `curl`, `wget`, `nc`, `socat`, `telnet`, `ssh`,
 * `scp`, `sftp`, `rsync`, `ftp`, DNS and ICMP tools, `openssl s_client`, `httpie`, `aria2c` and
 * `gh` connect or listen, what they read and write locally, and the commands their options run
 * (`ssh -o ProxyCommand`, `scp -S`, `rsync -e`, `curl` config files, `wget --use-askpass`).
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { argSpec, copyInto, has, parseArgs, values, subWord, joined, withValue, type FxCall, type FxModel, type ParsedArgs } from './shell-fx-api.js';
import { syntheticWord, type WordFacts } from './shell-words.js';
import { looksLikeHost } from './effects-urls.js';

const HELP = ['help', 'version'];

/** A file name only known when the command runs, inside the directory `dir` (`.` by default). */
function unnamedIn(call: FxCall, dir: WordFacts | undefined, via: string): void {
  const base = dir?.value ?? (dir === undefined ? '.' : null);
  if (base === null) {
    call.fx.path('write', dir as WordFacts, via, true);
    return;
  }
  const escaped = base.replace(/[*?[\\\]]/g, (c) => `\\${c}`);
  const pattern = `${escaped.endsWith('/') ? escaped : `${escaped}/`}*`;
  call.fx.path('write', { value: null, text: `${base.endsWith('/') ? base : `${base}/`}<name from the server>`, singleField: false, prefix: base, tilde: dir?.tilde ?? false, pattern }, via);
}

// ---- curl ----------------------------------------------------------------------------------

const CURL = argSpec({
  short: '#0123456aBfgGiIjJklLMnNOpqRsSvVZ:b:c:C:d:D:e:E:F:H:h:K:m:o:P:Q:r:t:T:u:U:w:x:X:y:Y:z:A:',
  long: [
    'url=', 'output=/o', 'remote-name/O', 'remote-name-all', 'output-dir=', 'create-dirs', 'dump-header=/D', 'cookie=/b', 'cookie-jar=/c',
    'config=/K', 'upload-file=/T', 'data=/d', 'data-ascii=', 'data-binary=', 'data-raw=', 'data-urlencode=', 'json=', 'form=/F', 'form-string=',
    'proxy=/x', 'preproxy=', 'socks4=', 'socks4a=', 'socks5=', 'socks5-hostname=', 'doh-url=', 'resolve=', 'connect-to=', 'unix-socket=',
    'abstract-unix-socket=', 'trace=', 'trace-ascii=', 'stderr=', 'libcurl=', 'etag-save=', 'etag-compare=', 'hsts=', 'alt-svc=', 'cert=/E',
    'key=', 'cacert=', 'capath=', 'crlfile=', 'netrc-file=', 'proxy-cert=', 'proxy-key=', 'proxy-cacert=', 'pinnedpubkey=', 'header=/H',
    'request=/X', 'user-agent=/A', 'referer=/e', 'user=/u', 'proxy-user=/U', 'max-time=/m', 'connect-timeout=', 'range=/r', 'continue-at=/C',
    'write-out=/w', 'time-cond=/z', 'speed-limit=/Y', 'speed-time=/y', 'retry=', 'retry-delay=', 'retry-max-time=', 'limit-rate=', 'max-redirs=',
    'max-filesize=', 'oauth2-bearer=', 'interface=', 'local-port=', 'quote=/Q', 'telnet-option=/t', 'mail-from=', 'mail-rcpt=', 'mail-auth=',
    'proto=', 'proto-redir=', 'proto-default=', 'noproxy=', 'variable=', 'aws-sigv4=', 'ciphers=', 'tls-max=', 'tlsv1.3', 'ftp-port=/P',
    'keepalive-time=', 'expect100-timeout=', 'happy-eyeballs-timeout-ms=', 'dns-servers=', 'dns-interface=', 'dns-ipv4-addr=', 'dns-ipv6-addr=',
    'engine=', 'netrc/n', 'netrc-optional', 'location/L', 'silent/s', 'show-error/S', 'fail/f', 'insecure/k', 'include/i', 'head/I', 'verbose/v',
    'compressed', 'get/G', 'globoff/g', 'remote-header-name/J', 'junk-session-cookies/j', 'progress-bar', 'no-progress-meter', 'http1.1', 'http2',
    'http3', 'ipv4/4', 'ipv6/6', 'fail-with-body', 'location-trusted', 'parallel/Z', 'proxy-insecure', 'ssl-reqd', 'tlsv1.2', 'create-file-mode=',
    ...HELP,
  ],
});

const curl: FxModel = (call) => {
  const p = parseArgs(call.words, 1, CURL);
  for (const u of [...p.operands, ...values(p, 'url')]) call.fx.url(u, 'curl', 'http', 80);
  for (const w of values(p, 'o')) if (w.value !== '-') call.fx.path('write', w, 'curl -o');
  const outDirs = values(p, 'output-dir');
  if (has(p, 'O', 'remote-name-all')) unnamedIn(call, outDirs[outDirs.length - 1], 'curl -O');
  for (const w of values(p, 'D', 'c', 'trace', 'trace-ascii', 'stderr', 'libcurl', 'etag-save')) if (w.value !== '-' && w.value !== '%') call.fx.path('write', w, 'curl');
  for (const w of values(p, 'hsts', 'alt-svc')) {
    call.fx.path('read', w, 'curl');
    call.fx.path('write', w, 'curl');
  }
  for (const w of values(p, 'E', 'key', 'cacert', 'capath', 'crlfile', 'netrc-file', 'proxy-cert', 'proxy-key', 'proxy-cacert', 'etag-compare')) call.fx.path('read', w, 'curl');
  if (has(p, 'n', 'netrc-optional')) call.fx.pathText('read', '~/.netrc', 'curl --netrc');
  for (const w of values(p, 'K')) {
    if (w.value !== '-') call.fx.path('read', w, 'curl -K');
    call.fx.unknownHost('<URLs from the curl config file>', 'http', 'curl -K');
    call.fx.path('write', { value: null, text: '<outputs from the curl config file>', singleField: false, prefix: '', tilde: false, pattern: null }, 'curl -K');
  }
  for (const w of values(p, 'T')) if (w.value !== '-' && w.value !== '.') call.fx.path('read', w, 'curl -T');
  for (const w of values(p, 'd', 'data-ascii', 'data-binary', 'json')) dataFile(call, w, '@');
  for (const w of values(p, 'data-urlencode')) dataFile(call, w, '@', true);
  for (const w of values(p, 'F')) dataFile(call, w, '=', false, true);
  for (const w of values(p, 'b')) if (w.value !== null && !w.value.includes('=')) call.fx.path('read', w, 'curl -b');
  for (const w of values(p, 'variable')) dataFile(call, w, '@', true);
  for (const w of values(p, 'x', 'preproxy', 'socks4', 'socks4a', 'socks5', 'socks5-hostname', 'doh-url')) call.fx.url(w, 'curl proxy', 'http', 1080);
  for (const w of values(p, 'resolve', 'connect-to')) {
    // host:port:address / host1:port1:host2:port2: the connection goes to the address.
    const parts = (w.value ?? '').split(':');
    const addr = parts.length >= 3 ? parts.slice(2).join(':').replace(/^\[|\]$/g, '') : '';
    if (w.value === null || addr === '') call.fx.unknownHost(w.text, 'http', 'curl --resolve');
    else for (const a of addr.split(',')) call.fx.host(a.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, ''), Number(parts[1]) || 0, 'tcp', 'curl --resolve');
  }
  for (const w of values(p, 'unix-socket', 'abstract-unix-socket')) {
    call.fx.path('read', w, 'curl --unix-socket');
    call.fx.path('write', w, 'curl --unix-socket');
  }
  for (const w of values(p, 'engine')) call.fx.exec('curl', w.value ?? w.text, 'curl --engine', 'curl loads a crypto engine', false, 'module');
};

/** `-d @file`, `--data-urlencode name@file`, `-F name=@file` / `name=<file`: the file is read. */
function dataFile(call: FxCall, w: WordFacts, marker: string, named = false, form = false): void {
  const v = w.value;
  if (v === null) {
    if (w.prefix.startsWith('@') || w.prefix.includes('=@') || w.prefix.includes('=<') || w.prefix === '') call.fx.path('read', subWord(w, w.prefix.startsWith('@') ? 1 : w.prefix.length), 'curl data');
    return;
  }
  let file: string | null = null;
  if (form) {
    const eq = v.indexOf('=');
    if (eq !== -1 && (v[eq + 1] === '@' || v[eq + 1] === '<')) file = v.slice(eq + 2).split(';')[0] ?? '';
  } else if (v.startsWith(marker)) file = v.slice(1);
  else if (named) {
    const at = v.indexOf('@');
    if (at > 0 && !v.slice(0, at).includes('=')) file = v.slice(at + 1);
  }
  if (file !== null && file !== '-' && file !== '') call.fx.pathText('read', file, 'curl data');
}

// ---- wget ----------------------------------------------------------------------------------

const WGET = argSpec({
  short: 'bqvndNcSrmpkKEHLxh46VFO:o:a:P:i:e:t:T:w:Q:l:A:R:D:I:X:U:B:Y:',
  long: [
    'output-document=/O', 'output-file=/o', 'append-output=/a', 'directory-prefix=/P', 'input-file=/i', 'execute=/e', 'tries=/t', 'timeout=/T',
    'wait=/w', 'quota=/Q', 'level=/l', 'accept=/A', 'reject=/R', 'domains=/D', 'include-directories=/I', 'exclude-directories=/X',
    'user-agent=/U', 'base=/B', 'post-file=', 'body-file=', 'post-data=', 'body-data=', 'load-cookies=', 'save-cookies=', 'ca-certificate=',
    'ca-directory=', 'certificate=', 'private-key=', 'config=', 'warc-file=', 'use-askpass=?', 'header=', 'method=', 'user=', 'password=',
    'http-user=', 'http-password=', 'proxy-user=', 'proxy-password=', 'referer=', 'limit-rate=', 'bind-address=', 'dns-timeout=',
    'connect-timeout=', 'read-timeout=', 'waitretry=', 'restrict-file-names=', 'default-page=', 'cut-dirs=', 'secure-protocol=', 'https-only',
    'no-check-certificate', 'mirror/m', 'recursive/r', 'page-requisites/p', 'force-directories/x', 'no-directories', 'continue/c',
    'timestamping/N', 'no-clobber', 'quiet/q', 'verbose/v', 'no-verbose', 'server-response/S', 'spider', 'show-progress', 'progress=',
    'adjust-extension/E', 'convert-links/k', 'span-hosts/H', 'no-parent', 'content-disposition', 'trust-server-names', 'background/b',
    'rejected-log=', 'crl-file=', 'hsts-file=', 'ciphers=', 'compression=', 'local-encoding=', 'remote-encoding=', 'report-speed=',
    'ftp-user=', 'ftp-password=', 'retry-connrefused', 'auth-no-challenge', 'no-cache', 'no-cookies', 'keep-session-cookies',
    'force-html/F', 'inet4-only/4', 'inet6-only/6', 'prefer-family=', 'follow-tags=', 'ignore-tags=', 'regex-type=', 'accept-regex=', 'reject-regex=',
    ...HELP,
  ],
});

const wget: FxModel = (call) => {
  const p = parseArgs(call.words, 1, WGET);
  for (const u of p.operands) call.fx.url(u, 'wget', 'http', 80);
  if (has(p, 'b')) call.fx.pathText('write', 'wget-log', 'wget -b');
  for (const w of values(p, 'o', 'a', 'save-cookies', 'warc-file', 'rejected-log')) call.fx.path('write', w, 'wget');
  for (const w of values(p, 'post-file', 'body-file', 'load-cookies', 'ca-certificate', 'certificate', 'private-key', 'config', 'crl-file')) call.fx.path('read', w, 'wget');
  for (const w of values(p, 'hsts-file')) {
    call.fx.path('read', w, 'wget');
    call.fx.path('write', w, 'wget');
  }
  for (const w of values(p, 'i')) {
    if (w.value !== '-') call.fx.path('read', w, 'wget -i');
    call.fx.unknownHost('<URLs from the input file>', 'http', 'wget -i');
  }
  for (const w of values(p, 'e')) call.fx.exec('wget', w.value ?? w.text, 'wget -e', 'wget runs a .wgetrc command, which can change where it connects and writes', false, 'hidden');
  for (const o of p.options) if (o.key === 'use-askpass') call.fx.exec('wget', o.value?.value ?? '', 'wget --use-askpass', 'wget runs the askpass program', false, 'hidden');
  const docs = values(p, 'O');
  const prefixes = values(p, 'P');
  const recursive = has(p, 'r', 'm', 'p');
  if (recursive) {
    if (has(p, 'H')) call.fx.unknownHost('<hosts the pages link to>', 'http', 'wget -H');
    call.fx.path('write', prefixes[prefixes.length - 1] ?? syntheticWord('.'), 'wget -r', true);
  }
  if (docs.length > 0) {
    for (const d of docs) if (d.value !== '-') call.fx.path('write', d, 'wget -O');
  }
  else if (!recursive && !has(p, 'spider')) {
    const dir = prefixes[prefixes.length - 1];
    // The file is named by the URL's last path segment (index.html for none), with `.1`, `.2`
    // appended when it exists; the server names it only with --content-disposition or
    // --trust-server-names (or a .wgetrc that says so, which -e and --config above already flag).
    const names = has(p, 'content-disposition', 'trust-server-names') ? null : p.operands.map((u) => wgetName(u.value));
    if (names === null || names.length === 0 || names.some((n) => n === null) || (dir !== undefined && dir.value === null)) unnamedIn(call, dir, 'wget');
    else {
      const base = dir?.value ?? '.';
      for (const n of names as string[]) {
        const file = `${base.replace(/\/?$/, '/')}${n}`;
        call.fx.path('write', { ...syntheticWord(file), tilde: dir?.tilde ?? false }, 'wget');
        // `name.1`, `name.2`, ... when the file exists already: `name.1` stands for them.
        call.fx.path('write', { ...syntheticWord(`${file}.1`), tilde: dir?.tilde ?? false }, 'wget (name.1, name.2, ...)');
      }
    }
  }
};

/** The file wget saves a URL to: its last path segment, decoded (`index.html` for none); null when not known. */
function wgetName(url: string | null): string | null {
  if (url === null) return null;
  const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/?#]*(\/[^?#]*)?/.exec(url);
  const path = m?.[1] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last === '') return 'index.html';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    return null;
  }
  return name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\u0000') ? null : name;
}

// ---- nc, socat, telnet -----------------------------------------------------------------------

const NC_VALUES = new Set(['-I', '-i', '-M', '-m', '-O', '-P', '-p', '-q', '-s', '-T', '-V', '-W', '-w', '-X', '-x', '-e', '-c', '-g', '-G', '-o']);
const NC_LONG_VALUES = new Set(['--exec', '--sh-exec', '--lua-exec', '--proxy', '--proxy-type', '--proxy-auth', '--source', '--source-port', '--wait', '--idle-timeout', '--output', '--hex-dump', '--allow', '--allowfile', '--deny', '--denyfile', '--max-conns', '--append-output', '--ssl-cert', '--ssl-key', '--ssl-trustfile', '--ssl-ciphers', '--ssl-alpn', '--ssl-servername', '--delay', '--send-only']);

/** netcat variants: `host port`, `-l [port]`, `-U path`, `-x proxy`; `-e`/`-c` code is analysed by the shell facet. */
const netcat: FxModel = (call) => {
  let listen = false;
  let udp = false;
  let unix = false;
  let port = 0;
  let source = '';
  const operands: WordFacts[] = [];
  for (let i = 1; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const v = w.value;
    if (v === null || !v.startsWith('-') || v === '-') {
      operands.push(w);
      continue;
    }
    const eq = v.indexOf('=');
    const name = eq === -1 ? v : v.slice(0, eq);
    if (v.startsWith('--')) {
      if (name === '--listen') listen = true;
      else if (name === '--udp') udp = true;
      else if (name === '--unixsock') unix = true;
      if (NC_LONG_VALUES.has(name)) {
        const value = eq === -1 ? call.words[++i] : subWord(w, eq + 1);
        if (value === undefined) continue;
        if (name === '--proxy') call.fx.url(value, 'nc --proxy', 'tcp', 1080);
        else if (name === '--output' || name === '--hex-dump' || name === '--append-output') call.fx.path('write', value, `nc ${name}`);
        else if (name === '--source') source = value.value ?? '';
        else if (name === '--allowfile' || name === '--denyfile' || name === '--ssl-cert' || name === '--ssl-key' || name === '--ssl-trustfile') call.fx.path('read', value, `nc ${name}`);
      }
      continue;
    }
    for (let j = 1; j < v.length; j++) {
      const ch = v[j] as string;
      if (ch === 'l') listen = true;
      else if (ch === 'u') udp = true;
      else if (ch === 'U') unix = true;
      if (!NC_VALUES.has(`-${ch}`)) continue;
      const value = j + 1 < v.length ? subWord(w, j + 1) : call.words[++i];
      if (value !== undefined) {
        if (ch === 'p') port = Number(value.value) || 0;
        else if (ch === 's') source = value.value ?? '';
        else if (ch === 'x') {
          if (value.value !== null && (value.value.includes(':') || looksLikeHost(value.value))) call.fx.url(value, 'nc -x', 'tcp', 1080);
          else call.fx.path('write', value, 'nc -x');
        } else if (ch === 'o') call.fx.path('write', value, 'nc -o');
      }
      break;
    }
  }
  const scheme = udp ? 'udp' : 'tcp';
  if (unix) {
    for (const o of operands) {
      call.fx.path('read', o, 'nc -U');
      call.fx.path('write', o, 'nc -U');
    }
    return;
  }
  if (listen) {
    const [a, b] = operands;
    const lport = b !== undefined ? Number(b.value) || 0 : a !== undefined && /^[0-9]+$/.test(a.value ?? '') ? Number(a.value) : port;
    call.fx.host(b !== undefined && a !== undefined ? a : source !== '' ? source : '0.0.0.0', lport, scheme, 'nc -l (listens)');
    return;
  }
  const [host, ...ports] = operands;
  if (host === undefined) return;
  const first = ports[0];
  call.fx.host(host, first !== undefined && first.value !== null && /^[0-9]+$/.test(first.value) ? Number(first.value) : 0, scheme, call.name);
};

/** socat addresses: `TCP:host:port`, `*-LISTEN:port`, `OPEN:path`, `UNIX-CONNECT:path`, ... (EXEC/SYSTEM are analysed by the shell facet). */
const socat: FxModel = (call) => {
  for (let i = 1; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const known = w.value ?? w.prefix;
    if (w.value !== null && w.value.startsWith('-') && w.value !== '-') {
      if (['-lf', '-L', '-W'].includes(w.value)) {
        const file = call.words[++i];
        if (file !== undefined) call.fx.path('write', file, `socat ${w.value}`);
      } else if (['-lp', '-t', '-T', '-b'].includes(w.value)) i++;
      continue;
    }
    const colon = known.indexOf(':');
    const type = (colon === -1 ? known : known.slice(0, colon)).toUpperCase();
    if (w.value === null && colon === -1) {
      call.fx.unknownHost(w.text, 'tcp', 'socat');
      continue;
    }
    const rest = w.value === null ? null : w.value.slice(colon + 1).split(',')[0] ?? '';
    if (type === 'EXEC' || type === 'SYSTEM') continue;
    if (type === '-' || type === 'STDIO' || type === 'STDIN' || type === 'STDOUT' || type === 'STDERR' || type === 'PTY' || type === 'FD' || type === 'READLINE' || type === 'PIPE' && colon === -1) continue;
    if (rest === null) {
      call.fx.unknownHost(w.text, 'tcp', 'socat');
      continue;
    }
    const parts = rest.split(':');
    if (/LISTEN|^TCP-L$|^TCP4-L$|^TCP6-L$|RECV|RECVFROM/.test(type)) {
      call.fx.host('0.0.0.0', Number(parts[0]) || 0, type.startsWith('UDP') ? 'udp' : 'tcp', 'socat (listens)');
    } else if (/^(TCP|TCP4|TCP6|TCP-CONNECT|TCP4-CONNECT|TCP6-CONNECT|UDP|UDP4|UDP6|UDP-CONNECT|UDP4-CONNECT|UDP6-CONNECT|UDP-SENDTO|UDP4-SENDTO|UDP6-SENDTO|UDP-DATAGRAM|SCTP-CONNECT|SCTP|OPENSSL|OPENSSL-CONNECT|SSL|DTLS|OPENSSL-DTLS-CLIENT|DCCP-CONNECT|UDPLITE|UDPLITE-CONNECT)$/.test(type)) {
      const port = Number(parts[parts.length - 1]) || 0;
      call.fx.host(parts.slice(0, -1).join(':').replace(/^\[|\]$/g, '') || (parts[0] ?? ''), port, type.startsWith('UDP') ? 'udp' : 'tcp', `socat ${type}`);
    } else if (/^(SOCKS4|SOCKS4A|SOCKS5|PROXY|PROXY-CONNECT|SOCKS)$/.test(type)) {
      call.fx.host(parts[0] ?? '', 0, 'tcp', `socat ${type} (proxy)`);
      if (parts[1] !== undefined) call.fx.host(parts[1], Number(parts[2]) || 0, 'tcp', `socat ${type}`);
    } else if (/^(OPEN|FILE|CREATE|CREAT|GOPEN|NAMEDPIPE|PIPE|UNIX-CONNECT|UNIX-LISTEN|UNIX-SENDTO|UNIX-RECVFROM|UNIX-RECV|UNIX-CLIENT|UNIX|LOCAL)$/.test(type)) {
      call.fx.pathText('read', rest, `socat ${type}`);
      call.fx.pathText('write', rest, `socat ${type}`);
    } else if (type.startsWith('ABSTRACT') || type === 'INTERFACE' || type === 'TUN' || type === 'IP' || type.startsWith('IP4') || type.startsWith('IP6') || type.startsWith('IP-')) {
      call.fx.unknownHost(w.value ?? w.text, 'ip', `socat ${type}`);
    } else {
      // A bare host:port is not a socat address; anything else is not modelled.
      call.fx.unknownHost(w.value ?? w.text, 'tcp', 'socat (address not modelled)');
    }
  }
};

const telnet: FxModel = (call) => {
  const p = parseArgs(call.words, 1, argSpec({ short: '8EFfKLacdrx46Nb:e:l:n:X:', long: [] }));
  for (const w of values(p, 'n')) call.fx.path('write', w, 'telnet -n');
  const [host, port] = p.operands;
  if (host !== undefined) call.fx.host(host.value !== null ? host.value.replace(/^.*@/, '') : host, Number(port?.value) || 23, 'telnet', 'telnet');
};

// ---- ssh, scp, sftp, rsync -------------------------------------------------------------------

const SSH = argSpec({ short: '46AaCfGgKkMNnqsTtVvXxYyB:b:c:D:E:e:F:I:i:J:L:l:m:O:o:P:p:Q:R:S:W:w:', inOrder: true });

/** ssh `-o` options whose value is a command run here (ProxyCommand, LocalCommand, KnownHostsCommand) or code loaded. */
const SSH_LOCAL_COMMANDS = new Set(['proxycommand', 'localcommand', 'knownhostscommand', 'pkcs11provider', 'securitykeyprovider', 'include', 'match']);

/** ssh-style options common to ssh, scp, sftp: `-o`, `-F`, `-i`, `-J`, `-S`; returns the port from `-o Port`. */
function sshOptions(call: FxCall, p: ParsedArgs, via: string, programKey: string): { port: number; remoteCommand: WordFacts | null; hostname: string | null } {
  let port = 0;
  let remoteCommand: WordFacts | null = null;
  let hostname: string | null = null;
  for (const o of values(p, 'o')) {
    const v = o.value;
    if (v === null) {
      call.fx.exec(call.name, o.text, `${via} -o`, `${via} is given an option only known when the line runs; options can run commands`, false, 'runtime');
      continue;
    }
    const m = /^\s*([A-Za-z0-9]+)\s*(?:=|\s)\s*(.*)$/s.exec(v);
    if (m === null) continue;
    const key = (m[1] as string).toLowerCase();
    const value = m[2] as string;
    if (SSH_LOCAL_COMMANDS.has(key)) {
      const code = key === 'include' || key === 'pkcs11provider' || key === 'securitykeyprovider' ? null : value;
      call.fx.exec(key === 'proxycommand' ? 'sh' : call.name, value, `${via} -o ${m[1] as string}`, `${via} runs or loads what ${m[1] as string} names`, code !== null && key !== 'match', 'hidden');
      if (code !== null && key !== 'match') call.sink.code(code, 'bash');
    } else if (key === 'proxyjump') {
      for (const hop of value.split(',')) if (hop !== 'none') call.fx.url(syntheticWord(hop.includes('://') ? hop : `ssh://${hop}`), `${via} -o ProxyJump`, 'ssh', 22);
    } else if (key === 'port') port = Number(value) || 0;
    else if (key === 'hostname') hostname = value;
    else if (key === 'remotecommand') remoteCommand = syntheticWord(value);
    else if (key === 'identityfile' || key === 'certificatefile' || key === 'userknownhostsfile' || key === 'globalknownhostsfile') call.fx.pathText('read', value, `${via} -o ${m[1] as string}`);
  }
  for (const f of values(p, 'F')) {
    if (f.value === '/dev/null' || f.value === 'none') continue;
    call.fx.path('read', f, `${via} -F`);
    call.fx.exec(call.name, f.value ?? f.text, `${via} -F`, `${via} reads a configuration file, which can run commands (ProxyCommand, Match exec)`, false, 'hidden');
  }
  for (const f of values(p, 'i')) call.fx.path('read', f, `${via} -i`);
  for (const j of values(p, 'J')) {
    for (const hop of (j.value ?? j.text).split(',')) call.fx.url(j.value === null ? j : syntheticWord(hop.includes('://') ? hop : `ssh://${hop}`), `${via} -J`, 'ssh', 22);
  }
  for (const s of values(p, programKey)) call.fx.exec(s.value ?? s.text, s.value ?? s.text, `${via} -${programKey}`, `${via} runs the given program in place of ssh`, false, 'hidden');
  return { port, remoteCommand, hostname };
}

/** `[user@]host` or `ssh://[user@]host[:port]` as a destination. */
function sshDestination(call: FxCall, w: WordFacts, port: number, via: string, hostname: string | null): string {
  const v = w.value;
  if (v === null) {
    call.fx.unknownHost(w.text, 'ssh', via);
    return w.text;
  }
  if (hostname !== null) {
    call.fx.host(hostname, port || 22, 'ssh', via);
    return hostname;
  }
  if (v.startsWith('ssh://')) {
    call.fx.url(w, via, 'ssh', port || 22);
    return v;
  }
  const host = v.replace(/^.*@/, '');
  call.fx.host(host.replace(/^\[|\]$/g, ''), port || 22, 'ssh', via);
  return host;
}

const ssh: FxModel = (call) => {
  let p = parseArgs(call.words, 1, SSH);
  // OpenSSH reads options once more right after the destination (`ssh host -p 2222 cmd`).
  const after = p.operandIndex[1];
  if (after !== undefined && call.words[after]?.value?.startsWith('-') === true) {
    const more = parseArgs(call.words, after, SSH);
    p = { options: [...p.options, ...more.options], operands: [p.operands[0] as WordFacts, ...more.operands], unknown: [...p.unknown, ...more.unknown], operandIndex: [] };
  }
  const opts = sshOptions(call, p, 'ssh', 'S-unused');
  const port = Number(values(p, 'p')[0]?.value) || opts.port;
  for (const w of values(p, 'E')) call.fx.path('write', w, 'ssh -E');
  for (const w of values(p, 'S')) call.fx.path('read', w, 'ssh -S');
  for (const w of values(p, 'W')) call.fx.url(syntheticWord(`tcp://${w.value ?? w.text}`), 'ssh -W', 'tcp', 0);
  for (const w of values(p, 'L')) forward(call, w, 'ssh -L');
  for (const w of values(p, 'R')) forward(call, w, 'ssh -R');
  for (const w of values(p, 'D')) {
    call.fx.host('127.0.0.1', Number((w.value ?? '').split(':').pop()) || 0, 'socks', 'ssh -D (listens)');
    call.fx.unknownHost('<any destination through the SOCKS proxy>', 'tcp', 'ssh -D');
  }
  const [dest, ...rest] = p.operands;
  if (dest === undefined) return;
  const host = sshDestination(call, dest, port, 'ssh', opts.hostname);
  const command = rest.length > 0 ? joined(rest, 0) : opts.remoteCommand?.value ?? null;
  if (rest.length > 0 || opts.remoteCommand !== null) {
    call.fx.exec('ssh', command ?? rest.map((w) => w.text).join(' '), 'ssh (remote command)', `ssh runs the command on ${host}`, command !== null, 'remote');
  } else if (!has(p, 'N', 'O')) {
    call.fx.exec('ssh', call.stdin.kind === 'text' && call.stdin.text !== null ? call.stdin.text : '', 'ssh (remote shell)', `ssh starts a shell on ${host}`, call.stdin.kind === 'text' && call.stdin.text !== null, 'remote');
  }
};

/** `-L [bind:]port:host:hostport` / `-R ...`: a listener, and a destination reached through it. */
function forward(call: FxCall, w: WordFacts, via: string): void {
  const v = w.value;
  if (v === null) {
    call.fx.unknownHost(w.text, 'tcp', via);
    return;
  }
  const parts = v.split(':');
  if (parts.length >= 3) {
    const hostport = Number(parts[parts.length - 1]) || 0;
    call.fx.host(parts[parts.length - 2] as string, hostport, 'tcp', via);
  } else if (parts.length === 2 && parts[0]?.startsWith('/')) call.fx.pathText('read', parts[0], via);
  call.fx.host('127.0.0.1', Number(parts[parts.length >= 4 ? 1 : 0]) || 0, 'tcp', `${via} (listens)`);
}

/** A `[user@]host:path` operand: the host, or null for a local path. */
function remoteHost(w: WordFacts): string | null {
  const v = w.value ?? w.prefix;
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('../') || v.startsWith('~')) return null;
  if (v.startsWith('scp://') || v.startsWith('sftp://') || v.startsWith('rsync://')) return v;
  const colon = v.indexOf(':');
  if (colon <= 0 || v.slice(0, colon).includes('/')) return null;
  return v.slice(0, colon).replace(/^.*@/, '');
}

const SCP = argSpec({ short: '346ABCOpqRrsTvc:D:F:i:J:l:o:P:S:X:' });

const scp: FxModel = (call) => {
  const p = parseArgs(call.words, 1, SCP);
  const opts = sshOptions(call, p, 'scp', 'S');
  const port = Number(values(p, 'P')[0]?.value) || opts.port || 22;
  const recursive = has(p, 'r');
  const ops = p.operands;
  const dest = ops[ops.length - 1];
  const sources = ops.slice(0, -1);
  for (const s of sources) {
    const h = remoteHost(s);
    if (h === null) call.fx.path('read', s, 'scp', recursive);
    else reachHost(call, h, port, 'scp');
  }
  if (dest === undefined) return;
  const h = remoteHost(dest);
  if (h === null) copyInto(call.fx, sources.map((s) => (remoteHost(s) === null ? s : syntheticWord((s.value ?? '').replace(/^[^:]*:/, '')))), dest, undefined, recursive, 'scp');
  else reachHost(call, h, port, 'scp');
};

function reachHost(call: FxCall, h: string, port: number, via: string): void {
  if (h.includes('://')) call.fx.url(syntheticWord(h), via, 'ssh', port);
  else call.fx.host(h.replace(/^\[|\]$/g, ''), port, 'ssh', via);
}

const sftp: FxModel = (call) => {
  const p = parseArgs(call.words, 1, argSpec({ short: '46AaCfNpqrvB:b:c:D:F:i:J:l:o:P:R:S:s:X:' }));
  const opts = sshOptions(call, p, 'sftp', 'S');
  for (const d of values(p, 'D')) call.fx.exec(d.value ?? d.text, d.value ?? d.text, 'sftp -D', 'sftp runs the given sftp server program locally', false, 'hidden');
  for (const b of values(p, 'b')) if (b.value !== '-') call.fx.path('read', b, 'sftp -b');
  const dest = p.operands[0];
  if (dest !== undefined) sshDestination(call, syntheticWord((dest.value ?? dest.text).replace(/:.*$/, '')), Number(values(p, 'P')[0]?.value) || opts.port, 'sftp', opts.hostname);
  // The transfer commands come from a batch file or stdin: local files anywhere may be read or written.
  const anywhere: WordFacts = { value: null, text: '<local files named by sftp commands>', singleField: false, prefix: '', tilde: false, pattern: null };
  call.fx.path('read', anywhere, 'sftp');
  call.fx.path('write', anywhere, 'sftp');
};

const RSYNC = argSpec({
  short: 'vqcarRbuldLkKHpEAXogDtUONJSnWxyCzhPi0468e:f:B:T:M:',
  long: [
    'rsh=/e', 'rsync-path=', 'files-from=', 'exclude-from=', 'include-from=', 'exclude=', 'include=', 'filter=/f', 'password-file=', 'log-file=',
    'log-file-format=', 'write-batch=', 'only-write-batch=', 'read-batch=', 'backup-dir=', 'suffix=', 'temp-dir=/T', 'partial-dir=', 'compare-dest=',
    'copy-dest=', 'link-dest=', 'chmod=', 'chown=', 'usermap=', 'groupmap=', 'timeout=', 'contimeout=', 'port=', 'sockopts=', 'out-format=',
    'max-size=', 'min-size=', 'max-delete=', 'bwlimit=', 'block-size=/B', 'modify-window=', 'iconv=', 'config=', 'address=', 'checksum-choice=',
    'compress-choice=', 'compress-level=', 'skip-compress=', 'outbuf=', 'info=', 'debug=', 'stop-after=', 'stop-at=', 'protocol=', 'remote-option=/M',
    'copy-as=', 'early-input=', 'daemon', 'delete', 'delete-before', 'delete-during', 'delete-delay', 'delete-after', 'delete-excluded',
    'delete-missing-args', 'remove-source-files', 'archive/a', 'recursive/r', 'dry-run/n', 'list-only', 'mkpath', ...HELP,
  ],
});

const rsync: FxModel = (call) => {
  const p = parseArgs(call.words, 1, RSYNC);
  for (const e of values(p, 'e')) {
    call.fx.exec('sh', e.value ?? e.text, 'rsync -e', 'rsync runs the remote shell command it is given', e.value !== null, 'hidden');
    call.sink.code(e.value, 'bash');
  }
  for (const r of values(p, 'rsync-path')) call.fx.exec('rsync', r.value ?? r.text, 'rsync --rsync-path', 'rsync runs the given command on the remote host', r.value !== null, 'remote');
  for (const w of values(p, 'files-from', 'exclude-from', 'include-from', 'password-file', 'read-batch', 'config', 'early-input')) if (w.value !== '-') call.fx.path('read', w, 'rsync');
  for (const w of values(p, 'log-file', 'write-batch', 'only-write-batch', 'backup-dir', 'T', 'partial-dir')) call.fx.path('write', w, 'rsync', true);
  if (has(p, 'daemon')) call.fx.host('0.0.0.0', Number(values(p, 'port')[0]?.value) || 873, 'rsync', 'rsync --daemon (listens)');
  const port = Number(values(p, 'port')[0]?.value) || 0;
  const dry = has(p, 'n', 'list-only');
  const recursive = has(p, 'r', 'a');
  const ops = p.operands;
  const dest = ops.length > 1 ? ops[ops.length - 1] : undefined;
  const sources = dest === undefined ? ops : ops.slice(0, -1);
  const remote = (w: WordFacts): boolean => {
    const v = w.value ?? w.prefix;
    if (v.startsWith('rsync://')) {
      call.fx.url(w, 'rsync', 'rsync', 873);
      return true;
    }
    const h = remoteHost(w);
    if (h === null) return false;
    const daemon = (w.value ?? w.prefix).includes('::');
    call.fx.host(h.replace(/^\[|\]$/g, ''), port || (daemon ? 873 : 22), daemon ? 'rsync' : 'ssh', 'rsync');
    return true;
  };
  for (const s of sources) {
    if (remote(s)) continue;
    call.fx.path('read', s, 'rsync', recursive);
    if (has(p, 'remove-source-files') && !dry) call.fx.path('delete', s, 'rsync --remove-source-files', true);
  }
  if (dest === undefined || remote(dest) || dry) return;
  call.fx.path('write', dest, 'rsync', true);
  if (has(p, 'delete', 'delete-before', 'delete-during', 'delete-delay', 'delete-after', 'delete-excluded', 'delete-missing-args')) call.fx.path('delete', dest, 'rsync --delete', true);
};

// ---- other clients -------------------------------------------------------------------------

/** Programs whose operands are hosts to reach, with the value-taking short options to skip. */
function hostClient(scheme: string, valueLetters: string, port = 0): FxModel {
  const spec = argSpec({ short: [...'46AabBCdDfFhHlLnNOqrRUvVx'].filter((c) => !valueLetters.includes(c)).join('') + [...valueLetters].map((c) => `${c}:`).join('') });
  return (call) => {
    const p = parseArgs(call.words, 1, spec);
    for (const o of p.operands) call.fx.host(o.value !== null ? o.value.replace(/^.*@/, '') : o, port, scheme, call.name);
  };
}

/** DNS lookups: the names looked up (the query reaches their name servers) and `@server`. */
const dnsLookup: FxModel = (call) => {
  const skipNext = new Set(['-b', '-c', '-f', '-k', '-p', '-q', '-t', '-x', '-y', '-W', '-R', '-m', '-N', '-i']);
  const types = /^(A|AAAA|ANY|AXFR|CAA|CNAME|DNSKEY|DS|HINFO|HTTPS|IXFR|MX|NAPTR|NS|NSEC|NSEC3|PTR|RRSIG|SOA|SPF|SRV|SSHFP|SVCB|TLSA|TXT|IN|CH|HS)$/i;
  let operands = 0;
  for (let i = 1; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const v = w.value;
    if (v !== null && skipNext.has(v)) {
      const value = call.words[++i];
      if (value !== undefined && (v === '-q' || v === '-x')) call.fx.host(value, 53, 'dns', call.name);
      if (value !== undefined && v === '-f') {
        call.fx.path('read', value, `${call.name} -f`);
        call.fx.unknownHost('<names from the batch file>', 'dns', call.name);
      }
      continue;
    }
    if (v !== null && (v.startsWith('-') || v.startsWith('+') || types.test(v))) continue;
    if (v !== null && v.startsWith('@')) {
      call.fx.host(v.slice(1), 53, 'dns', `${call.name} @server`);
      continue;
    }
    operands++;
    if (v === null) call.fx.unknownHost(w.text, 'dns', call.name);
    else call.fx.host(v.replace(/\.$/, ''), 53, 'dns', operands === 2 && call.name !== 'dig' ? `${call.name} (server)` : call.name);
  }
};

const openssl: FxModel = (call) => {
  const sub = call.words[1]?.value;
  for (let i = 2; i < call.words.length; i++) {
    const v = call.words[i]?.value;
    const next = call.words[i + 1];
    if (v === null || v === undefined || next === undefined || !v.startsWith('-')) continue;
    if (v === '-connect' || v === '-proxy') {
      call.fx.url(syntheticWord(`tcp://${next.value ?? next.text}`), `openssl ${sub ?? ''} ${v}`, 'tls', 443);
      i++;
    } else if (v === '-accept' || v === '-port') {
      call.fx.host('0.0.0.0', Number((next.value ?? '').split(':').pop()) || 0, 'tls', `openssl ${sub ?? ''} (listens)`);
      i++;
    } else if (v === '-out' || v === '-keyout' || v === '-sess_out' || v === '-msgfile' || v === '-keylogfile') {
      call.fx.path('write', next, `openssl ${v}`);
      i++;
    } else if (['-in', '-inkey', '-key', '-cert', '-CAfile', '-config', '-signkey', '-passin', '-sess_in', '-certfile', '-CAkey', '-extfile', '-kfile', '-paramfile', '-infiles'].includes(v)) {
      if (!(v === '-passin' && next.value !== null && !next.value.startsWith('file:'))) call.fx.path('read', v === '-passin' ? syntheticWord((next.value ?? '').slice(5)) : next, `openssl ${v}`);
      i++;
    } else if (v === '-engine' || v === '-provider' || v === '-provider-path') {
      call.fx.exec('openssl', next.value ?? next.text, `openssl ${v}`, 'openssl loads a crypto engine or provider', false, 'module');
      i++;
    }
  }
  if (sub === 's_client' && !call.words.some((w) => w.value === '-connect')) call.fx.host('localhost', 443, 'tls', 'openssl s_client');
};

/** httpie and xh: `[METHOD] URL [items]`; `@file` items are read, `--download`/`--output` write. */
const httpie: FxModel = (call) => {
  const p = parseArgs(call.words, 1, argSpec({ short: 'bdfhjsvFIo:a:A:', long: ['output=/o', 'download/d', 'session=', 'session-read-only=', 'auth=/a', 'auth-type=/A', 'verify=', 'cert=', 'cert-key=', 'proxy=', 'timeout=', 'style=', 'pretty=', 'print=', 'form/f', 'json/j', 'follow/F', 'offline', 'ignore-stdin', 'check-status', ...HELP] }));
  let ops = p.operands;
  if (ops[0]?.value !== null && ops[0]?.value !== undefined && /^[A-Z]+$/.test(ops[0].value)) ops = ops.slice(1);
  const [url, ...items] = ops;
  const scheme = call.name === 'https' || call.name === 'xhs' ? 'https' : 'http';
  if (url !== undefined && !has(p, 'offline')) {
    const v = url.value;
    call.fx.url(v !== null && v.startsWith(':') ? syntheticWord(`localhost${v}`) : url, call.name, scheme, scheme === 'https' ? 443 : 80);
  }
  for (const it of items) {
    const m = it.value === null ? null : /^[^=:@]*(?:=@|:=@|@)(.+)$/.exec(it.value);
    if (m !== null) call.fx.pathText('read', m[1] as string, call.name);
  }
  for (const w of values(p, 'o')) call.fx.path('write', w, call.name);
  if (has(p, 'd') && values(p, 'o').length === 0) unnamedIn(call, undefined, call.name);
  for (const w of values(p, 'session')) {
    call.fx.path('read', w, call.name);
    call.fx.path('write', w, call.name);
  }
  for (const w of values(p, 'proxy')) call.fx.url(syntheticWord((w.value ?? w.text).replace(/^[a-z]+:(?!\/)/, '')), `${call.name} --proxy`, 'http', 80);
  for (const w of values(p, 'cert', 'cert-key', 'session-read-only')) call.fx.path('read', w, call.name);
};

const aria2c: FxModel = (call) => {
  for (let i = 1; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const v = w.value;
    if (v === null || !v.startsWith('-')) {
      call.fx.url(w, 'aria2c', 'http', 80);
      continue;
    }
    const eq = v.indexOf('=');
    const name = eq === -1 ? v : v.slice(0, eq);
    const value = eq === -1 ? (/^-[dioxsjkx]$/.test(v) ? call.words[++i] : undefined) : subWord(w, eq + 1);
    if (name.startsWith('--on-')) call.fx.exec('aria2c', value?.value ?? '', `aria2c ${name}`, 'aria2c runs the hook command', false, 'hidden');
    else if (name === '-d' || name === '--dir') call.fx.path('write', value ?? syntheticWord('.'), 'aria2c', true);
    else if (name === '-i' || name === '--input-file') {
      if (value !== undefined) call.fx.path('read', value, 'aria2c -i');
      call.fx.unknownHost('<URLs from the input file>', 'http', 'aria2c -i');
    } else if (name === '-o' || name === '--out') {
      if (value !== undefined) call.fx.path('write', value, 'aria2c -o');
    }
  }
  unnamedIn(call, undefined, 'aria2c');
};

/** `gh`: the GitHub API (or `--hostname`), plus what some subcommands write or run. */
const gh: FxModel = (call) => {
  const words = call.words;
  const host = words.find((w) => w.value?.startsWith('--hostname=') === true)?.value?.slice(11) ?? 'github.com';
  const [sub, action] = [words[1]?.value, words[2]?.value];
  if (sub === '--version' || sub === 'version' || sub === 'help' || sub === undefined || sub === '--help') return;
  call.fx.host(host === 'github.com' ? 'api.github.com' : host, 443, 'https', `gh ${sub ?? ''}`);
  if (sub === 'repo' && action === 'clone') {
    const target = words[4] ?? (words[3]?.value !== null && words[3]?.value !== undefined ? syntheticWord(words[3].value.split('/').pop() ?? '.') : undefined);
    if (target !== undefined) call.fx.path('write', target, 'gh repo clone', true);
    call.fx.host('github.com', 443, 'https', 'gh repo clone');
  } else if ((sub === 'pr' && action === 'checkout') || (sub === 'repo' && action === 'sync')) {
    call.fx.pathText('write', '.', `gh ${sub} ${action}`, true);
    call.fx.exec('git', '.git/hooks: post-checkout', 'hook', 'gh checks out a branch with git, which runs the repository hooks', false, 'hook');
  } else if ((sub === 'release' || sub === 'run') && action === 'download') {
    unnamedIn(call, undefined, `gh ${sub} download`);
  } else if (sub === 'extension' || sub === 'ext' || sub === 'codespace' || sub === 'cs' || (sub === 'alias' && action === 'set') || sub === 'attestation') {
    call.fx.exec('gh', `${sub} ${action ?? ''}`.trim(), `gh ${sub}`, `gh ${sub} installs or runs programs, or changes what later gh commands run`, false, 'program');
  } else if (sub === 'auth' || sub === 'config' || sub === 'secret' || sub === 'variable' || sub === 'ssh-key' || sub === 'gpg-key') {
    call.fx.pathText('write', '~/.config/gh', `gh ${sub}`, true);
  } else if (!['api', 'issue', 'pr', 'repo', 'release', 'run', 'workflow', 'gist', 'search', 'status', 'browse', 'label', 'project', 'org', 'ruleset', 'cache', 'completion', 'copilot'].includes(sub ?? '')) {
    call.fx.exec('gh', sub ?? '', `gh ${sub ?? ''}`, `gh ${sub ?? ''} is not a gh command Warden models (an extension or alias runs a program)`, false, 'program');
  }
  // Files gh uploads: `gist create|edit`, `release create|upload` (`file#label`), `ssh-key|gpg-key add`.
  const uploads = (sub === 'gist' && (action === 'create' || action === 'new' || action === 'edit')) || (sub === 'release' && (action === 'create' || action === 'new' || action === 'upload')) || ((sub === 'ssh-key' || sub === 'gpg-key') && action === 'add');
  if (uploads) {
    const valued = new Set(['-d', '--desc', '-f', '--filename', '-a', '--add', '-n', '--notes', '-F', '--notes-file', '-t', '--title', '--target', '--discussion-category', '--notes-start-tag', '-R', '--repo', '--type']);
    const operands: WordFacts[] = [];
    for (let i = 3; i < words.length; i++) {
      const w = words[i] as WordFacts;
      const v = w.value;
      if (v !== null && v.startsWith('-') && v !== '-') {
        if (valued.has(v)) {
          if (v === '-a' || v === '--add') {
            const f = words[i + 1];
            if (f !== undefined) call.fx.path('read', f, `gh ${sub} ${action}`);
          }
          i++;
        }
        continue;
      }
      operands.push(w);
    }
    // `release create <tag> files...`, `release upload <tag> files...`, `gist edit <id> [file]`.
    const files = sub === 'release' || (sub === 'gist' && action === 'edit') ? operands.slice(1) : operands;
    for (const f of files) {
      if (f.value === '-') continue;
      call.fx.path('read', f.value !== null && f.value.includes('#') ? withValue(f, f.value.slice(0, f.value.indexOf('#'))) : f, `gh ${sub} ${action}`);
    }
  }
  for (let i = 1; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === '--input' || v === '-F' || v === '--field' || v === '--body-file' || v === '-F') {
      const next = words[i + 1];
      if (next !== undefined && next.value !== null && (v === '--input' || v === '--body-file' || next.value.includes('=@'))) {
        call.fx.pathText('read', v === '--input' || v === '--body-file' ? next.value : next.value.slice(next.value.indexOf('=@') + 2), `gh ${v}`);
      }
    }
  }
};

/** Plain FTP-style clients: the host, and local files anywhere their commands name. */
function transferClient(scheme: string, port: number): FxModel {
  return (call) => {
    const host = call.words.slice(1).find((w) => w.value === null || !w.value.startsWith('-'));
    if (host !== undefined) call.fx.host(host.value !== null ? host.value.replace(/^[a-z]+:\/\//, '').replace(/^.*@/, '').replace(/[:/].*$/, '') : host, port, scheme, call.name);
    const anywhere: WordFacts = { value: null, text: `<local files named by ${call.name} commands>`, singleField: false, prefix: '', tilde: false, pattern: null };
    call.fx.path('read', anywhere, call.name);
    call.fx.path('write', anywhere, call.name);
    if (call.name === 'lftp' || call.name === 'ncftp') call.fx.exec(call.name, '', call.name, `${call.name} commands can run shell commands`, false, 'hidden');
  };
}

/**
 * The network-client models, by name.
 *
 * @example
 * ```ts
 * NET_MODELS.get('curl');
 * ```
 */
export const NET_MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([
  ['curl', curl],
  ['wget', wget],
  ['wget2', wget],
  ['nc', netcat],
  ['ncat', netcat],
  ['netcat', netcat],
  ['nc.traditional', netcat],
  ['nc.openbsd', netcat],
  ['socat', socat],
  ['telnet', telnet],
  ['ssh', ssh],
  ['scp', scp],
  ['sftp', sftp],
  ['rsync', rsync],
  ['ftp', transferClient('ftp', 21)],
  ['tftp', transferClient('tftp', 69)],
  ['lftp', transferClient('ftp', 21)],
  ['ncftp', transferClient('ftp', 21)],
  ['dig', dnsLookup],
  ['nslookup', dnsLookup],
  ['host', dnsLookup],
  ['drill', dnsLookup],
  ['kdig', dnsLookup],
  ['delv', dnsLookup],
  ['ping', hostClient('icmp', 'cistwWIlmMpQFT')],
  ['ping6', hostClient('icmp', 'cistwWIlmMpQFT')],
  ['fping', hostClient('icmp', 'cipbBtrIOHQ')],
  ['traceroute', hostClient('icmp', 'fgimNpqswtzM')],
  ['tracepath', hostClient('icmp', 'lmp')],
  ['mtr', hostClient('icmp', 'acfimoQsuBIZ')],
  ['arping', hostClient('arp', 'cfIswS')],
  ['whois', hostClient('whois', 'hp', 43)],
  ['openssl', openssl],
  ['http', httpie],
  ['https', httpie],
  ['xh', httpie],
  ['xhs', httpie],
  ['aria2c', aria2c],
  ['gh', gh],
]);

/**
 * Network destinations of a request's arguments: which of the URLs and hosts the URL scan finds
 * are places the action goes, as opposed to text that mentions them.
 *
 * A URL counts as a destination when it is in an argument itself (not inside another URL's path,
 * query or fragment: `https://a.com/?q=b.com` goes to a.com) and it has a scheme, an IP address, a
 * special name (`localhost`, metadata), a port, a path or userinfo, or it is the whole value of an
 * argument (`evil.com`). A bare dotted word inside prose (`see README.md and evil.com`) is not a
 * destination, and neither is a bare name whose last label is also a common file extension
 * (`setup.py`, `README.md`, `run.sh`) even as a whole value: those are file names far more often
 * than hosts. Everything the scan finds stays in the `urls` variable for rules that want it all.
 */
import type { Effects, NetworkEffect } from './effects-types.js';
import { emptyEffects } from './effects.js';
import { isKnownTld, normalizeHost } from './url-host.js';
import { scanDestinations } from './url.js';

/**
 * Top-level labels that are country or generic TLDs and also common file extensions.
 *
 * @example
 * ```ts
 * FILE_EXTENSION_TLDS.has('py'); // true: setup.py
 * ```
 */
export const FILE_EXTENSION_TLDS: ReadonlySet<string> = new Set([
  'md', 'py', 'sh', 'rs', 'pl', 'pm', 'ps', 'so', 'zip', 'mov', 'tf', 'mk', 'in', 'am', 'ac', 'cc', 'cr', 'sc', 'sv',
  'ml', 'mm', 're', 'gd', 'gs', 'nu', 'st', 'do', 'as', 'ts', 'rb', 'js', 'go', 'cs', 'hs', 'el', 'kt', 'txt', 'lock',
]);

/**
 * The default port of a scheme, 0 when it has none.
 *
 * @example
 * ```ts
 * schemeDefaultPort('ssh'); // 22
 * ```
 */
export function schemeDefaultPort(scheme: string): number {
  switch (scheme) {
    case 'http':
    case 'ws':
      return 80;
    case 'https':
    case 'wss':
      return 443;
    case 'ssh':
    case 'sftp':
    case 'scp':
      return 22;
    case 'ftp':
      return 21;
    case 'git':
      return 9418;
    case 'rsync':
      return 873;
    case 'telnet':
      return 23;
    case 'dns':
      return 53;
    default:
      return 0;
  }
}

const DOTTED_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+\.?(?::[0-9]{1,5})?$/;
const DOTTED_QUAD = /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]{1,5})?$/;

/**
 * True when `text` (no scheme, no path) reads as a host: a dotted name under a known top-level
 * label that is not a common file extension, a dotted-quad IPv4 address, or `localhost`, with an
 * optional port.
 *
 * @example
 * ```ts
 * looksLikeHost('github.com');  // true
 * looksLikeHost('setup.py');    // false
 * ```
 */
export function looksLikeHost(text: string): boolean {
  if (text === 'localhost' || text.startsWith('localhost:')) return true;
  if (DOTTED_QUAD.test(text)) return true;
  if (!DOTTED_NAME.test(text)) return false;
  const name = text.replace(/:[0-9]+$/, '').replace(/\.$/, '').toLowerCase();
  const tld = name.slice(name.lastIndexOf('.') + 1);
  return isKnownTld(tld) && !FILE_EXTENSION_TLDS.has(tld);
}

/**
 * The network destinations in `args` (see the module documentation), as effects; an error when
 * the scan stopped at a limit.
 *
 * @example
 * ```ts
 * urlNetworkEffects({ url: 'https://a.com/?q=b.com' }); // { effects: { network: [a.com:443] ... } }
 * ```
 */
export function urlNetworkEffects(args: unknown): { effects: Effects } | { error: string } {
  const scan = scanDestinations(args);
  if (scan.truncated || scan.error !== '') return { error: `the URL scan of the arguments stopped: ${scan.error || 'a limit was reached'}` };
  const effects = emptyEffects();
  const seen = new Set<string>();
  for (const f of scan.urls) {
    if (!scan.top.has(f) || f.host === '') continue;
    if (f.scheme === '') {
      const raw = f.raw.trim();
      const extra = f.hasUserinfo || /[/?#:\\]/.test(raw);
      const special = f.isIp || f.loopback || f.metadata;
      const tld = f.host.slice(f.host.lastIndexOf('.') + 1);
      if (!special && !extra && (!scan.whole.has(f) || FILE_EXTENSION_TLDS.has(tld))) continue;
    }
    const host = normalizeHost(f.host) || f.host;
    const e: NetworkEffect = { host, port: f.port, scheme: f.scheme, via: 'argument', known: f.valid };
    const key = `${e.host}\u0000${e.port}\u0000${e.scheme}\u0000${e.known}`;
    if (seen.has(key)) continue;
    seen.add(key);
    effects.network.push(e);
    if (!f.valid) {
      effects.complete = false;
      effects.unknown.push(`the URL ${f.raw} does not parse, so where it goes is a guess`);
    }
  }
  return { effects };
}

/**
 * How the egress proxy decides one connection from a sandbox: the destination as the request line
 * names it is decided by the policy (through the pipeline, as a URL in `args.url`, so the `urls`
 * facet reads its scheme, host and port), then resolved on the host, and the address actually
 * connected to is checked too. A loopback, private, link-local, metadata or otherwise non-public
 * address is reached only when a rule of the policy (not its default) allows a request naming
 * that address: a name that resolves to 127.0.0.1 (DNS rebinding) is not allowed by an allowlist
 * of names alone.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { lazyModule } from '../lib/lazy-module.js';
import type { Verdict } from '../enforce/verdict.js';

// The host classifier (tldts, ipaddr.js) loads with the first destination checked (src/lib/lazy-module.ts).
const urlHost = lazyModule<typeof import('../facets/url-host.js')>('facets/url-host');

/**
 * One destination asked for through the proxy, already parsed; `host` is in {@link normalizeHost}
 * form.
 *
 * @example
 * ```ts
 * const t: EgressTarget = { scheme: 'tcp', host: 'registry.npmjs.org', port: 443, path: '', method: 'CONNECT' };
 * ```
 */
export interface EgressTarget {
  /** `tcp` for a CONNECT tunnel (the proxy cannot see what it carries), `http` for a plain HTTP request. */
  scheme: 'tcp' | 'http';
  host: string;
  port: number;
  /** Path and query of a plain HTTP request; `''` for a tunnel. */
  path: string;
  method: string;
}

/**
 * The proxy's answer for one destination.
 *
 * @example
 * ```ts
 * const v: EgressVerdict = { allowed: false, reason: 'denied by the policy: not on the allowlist', address: null, calls: ['c1'] };
 * ```
 */
export interface EgressVerdict {
  allowed: boolean;
  reason: string;
  /** The address to connect to (the one that was checked); null when denied before resolution. */
  address: string | null;
  /** The pipeline's call ids of the decisions made (one, or two when the resolved address was decided too). */
  calls: string[];
}

/**
 * What {@link decideEgress} needs: the pipeline's decision on a request, and name resolution.
 *
 * @example
 * ```ts
 * const deps: EgressDeps = { tool: 'egress', decide: async (request) => (await pipeline.decide({ request })).verdict, resolve: resolveHost };
 * ```
 */
export interface EgressDeps {
  /** The tool name the connection requests are decided as. */
  tool: string;
  decide(request: { tool: string; args: { url: string }; context: Record<string, unknown> }): Promise<Verdict>;
  /** Addresses of a name, in the order to try; an empty list or a throw denies. */
  resolve(host: string): Promise<string[]>;
  /** Added to each request's `context.egress` (which command the connection belongs to). */
  context?: Record<string, unknown>;
}

/**
 * The URL a destination is decided as: `tcp://host:port` for a tunnel, `http://host:port/path` for
 * a plain request; the port is always written out, an IPv6 host is bracketed.
 *
 * @example
 * ```ts
 * egressUrl({ scheme: 'tcp', host: '::1', port: 22, path: '', method: 'CONNECT' }); // 'tcp://[::1]:22'
 * ```
 */
export function egressUrl(t: Pick<EgressTarget, 'scheme' | 'host' | 'port' | 'path'>): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.scheme}://${host}:${t.port}${t.path}`;
}

/**
 * True for an address the open Internet does not route to this host: loopback, private (RFC 1918,
 * CGNAT, unique-local), link-local, cloud metadata, unspecified, multicast, broadcast, reserved,
 * and IPv6 transition forms (NAT64, 6to4, Teredo) that can carry one. Anything that is not an IP
 * literal counts as special (fail closed).
 *
 * @example
 * ```ts
 * specialAddress('127.0.0.1');      // true
 * specialAddress('::ffff:10.0.0.1'); // true
 * specialAddress('93.184.216.34');  // false
 * ```
 */
export function specialAddress(address: string): boolean {
  const host = urlHost().normalizeHost(address);
  if (host === '' || !urlHost().isIpHost(host)) return true;
  const c = urlHost().classifyHost(host);
  if (c.loopback || c.private || c.linkLocal || c.metadata) return true;
  try {
    let parsed = ipaddr.parse(host);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    return parsed.range() !== 'unicast';
  } catch {
    return true;
  }
}

/**
 * Parses the authority of a CONNECT request line (`host:port`, `[v6]:port`) into a normalized
 * host and a port, or says why it is refused (no port, a port out of range, userinfo, a path, a
 * host that is not one).
 *
 * @example
 * ```ts
 * parseConnectAuthority('Example.COM:443'); // { host: 'example.com', port: 443 }
 * parseConnectAuthority('2130706433:80');   // { host: '127.0.0.1', port: 80 }
 * parseConnectAuthority('a@b.com:443');     // { error: '...' }
 * ```
 */
export function parseConnectAuthority(authority: string): { host: string; port: number } | { error: string } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/@[\]?#\\%]+):([0-9]{1,5})$/.exec(authority);
  if (m === null) return { error: `CONNECT needs host:port (or [IPv6]:port) and nothing else; got ${JSON.stringify(authority.slice(0, 200))}` };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return { error: `port ${m[2]} is out of range` };
  const host = urlHost().normalizeHost(m[1] as string);
  if (host === '') return { error: `${JSON.stringify(m[1])} is not a host name or address` };
  return { host, port };
}

/**
 * Resolves a name on the host (the system resolver), every address, in its order.
 *
 * @example
 * ```ts
 * await resolveHost('localhost'); // ['127.0.0.1', '::1'] (as /etc/hosts says)
 * ```
 */
export async function resolveHost(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/**
 * Decides one destination: the policy on the destination as named, then the address it resolves
 * to (see the module comment). Never throws: a failure of the pipeline or the resolver denies.
 *
 * @example
 * ```ts
 * const v = await decideEgress({ scheme: 'tcp', host: 'example.com', port: 443, path: '', method: 'CONNECT' }, deps);
 * if (v.allowed) net.connect({ host: v.address!, port: 443 });
 * ```
 */
export async function decideEgress(target: EgressTarget, deps: EgressDeps): Promise<EgressVerdict> {
  const calls: string[] = [];
  const ask = async (host: string, extra: Record<string, unknown>): Promise<Verdict | string> => {
    try {
      const v = await deps.decide({ tool: deps.tool, args: { url: egressUrl({ ...target, host }) }, context: { egress: { method: target.method, ...deps.context, ...extra } } });
      calls.push(v.call);
      return v;
    } catch (e) {
      return `the decision failed (${(e as Error).message})`;
    }
  };
  const deny = (reason: string, address: string | null = null): EgressVerdict => ({ allowed: false, reason, address, calls });
  const named = await ask(target.host, {});
  if (typeof named === 'string') return deny(named);
  if (!named.allowed) return deny(`denied by the policy: ${named.reason}`);
  const literal = urlHost().isIpHost(target.host);
  let address: string | undefined;
  if (literal) address = target.host;
  else {
    try {
      address = (await deps.resolve(target.host))[0];
    } catch (e) {
      return deny(`${target.host} could not be resolved (${(e as Error).message})`);
    }
    if (address === undefined) return deny(`${target.host} resolved to no address`);
  }
  if (!specialAddress(address)) return { allowed: true, reason: named.reason, address, calls };
  const what = `${address} is not a public address (loopback, private, link-local, metadata or reserved)`;
  if (literal) {
    return named.rule !== null ? { allowed: true, reason: named.reason, address, calls } : deny(`${what}; only a policy rule that allows it by name allows it, not the policy's default`, address);
  }
  const resolved = await ask(address, { resolvedFrom: target.host });
  if (typeof resolved === 'string') return deny(resolved, address);
  if (!resolved.allowed || resolved.rule === null) return deny(`${target.host} resolved to ${what}, and no policy rule allows ${egressUrl({ ...target, host: address, path: '' })}${resolved.allowed ? '' : `: ${resolved.reason}`}`, address);
  return { allowed: true, reason: resolved.reason, address, calls };
}

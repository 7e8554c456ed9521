/** Facet helper functions exposed to CEL conditions. */
import { pathWithin } from './path.js';
import { domainMatches, inCidr } from './url.js';

/** A function for CEL conditions: its CEL signature and its implementation. */
export interface FacetFunction {
  readonly signature: string;
  readonly handler: (...args: never[]) => unknown;
}

/**
 * `domainMatches(host, domain)`, `inCidr(host, cidr)` and `pathWithin(path, dir)`.
 *
 * @example
 * ```yaml
 * when: "urls.exists(u, !domainMatches(u.host, 'example.com'))"
 * ```
 */
export const FACET_FUNCTIONS: readonly FacetFunction[] = [
  { signature: 'domainMatches(string, string): bool', handler: ((host: string, domain: string) => domainMatches(host, domain)) as FacetFunction['handler'] },
  { signature: 'inCidr(string, string): bool', handler: ((host: string, cidr: string) => inCidr(host, cidr)) as FacetFunction['handler'] },
  { signature: 'pathWithin(string, string): bool', handler: ((p: string, dir: string) => pathWithin(p, dir)) as FacetFunction['handler'] },
];

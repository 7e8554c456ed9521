/** Facet helper functions exposed to CEL conditions. */
import type { CelFunction } from '../policy/cel.js';
import { pathWithin } from './path.js';
import { domainMatches, inCidr } from './url.js';

/**
 * `domainMatches(host, domain)`, `inCidr(host, cidr)` and `pathWithin(path, dir)`.
 *
 * @example
 * ```yaml
 * when: "urls.exists(u, !domainMatches(u.host, 'example.com'))"
 * ```
 */
export const FACET_FUNCTIONS: readonly CelFunction[] = [
  { signature: 'domainMatches(string, string): bool', handler: ((host: string, domain: string) => domainMatches(host, domain)) as CelFunction['handler'] },
  { signature: 'inCidr(string, string): bool', handler: ((host: string, cidr: string) => inCidr(host, cidr)) as CelFunction['handler'] },
  { signature: 'pathWithin(string, string): bool', handler: ((p: string, dir: string) => pathWithin(p, dir)) as CelFunction['handler'] },
];

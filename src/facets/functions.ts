/** Facet helper functions exposed to CEL conditions. */
import { pathWithin } from './path.js';
import { effectWithin, isPrivateKeyPath, mayBePrivateKey, pathDecoded, PathMatchers } from './path-match.js';
import { escapeGlob } from './path-glob.js';
import { isCredentialPath, mayBeCredentialFile } from './credential-files.js';
import { lazyModule } from '../lib/lazy-module.js';

// The URL facet (tldts, ipaddr.js) loads when a condition first calls domainMatches or inCidr.
const urlModule = lazyModule<typeof import('./url.js')>('facets/url');

/** A function for CEL conditions: its CEL signature and its implementation. */
export interface FacetFunction {
  readonly signature: string;
  readonly handler: (...args: never[]) => unknown;
}

type Handler = FacetFunction['handler'];

/**
 * The facet functions of one compiled policy set (each set gets its own bounded pattern cache):
 *
 * - `domainMatches(host, domain)`, `inCidr(host, cidr)`, `pathWithin(path, dir)`;
 * - `pathMatches(path, glob)` and `pathMatches(path, glob, {"fold": true, "decode": true})`;
 * - `pathMayMatch(effect, glob)` and `pathMayMatch(effect, glob, options)` for path effects;
 * - `effectWithin(effect, dir)`: the effect's path certainly lies within `dir`;
 * - `pathDecoded(path)`: the percent-decoded reading;
 * - `isPrivateKey(path)`, and `isPrivateKey(effect)` (may name a private key);
 * - `isCredentialFile(path)`, and `isCredentialFile(effect)` (may touch a credential file: the one list in credential-files.ts);
 * - `globEscape(text)`: glob metacharacters escaped, to lead a pattern with a literal directory.
 *
 * @example
 * ```yaml
 * when: "effects.writes.exists(w, pathMayMatch(w, '/workspace/.warden/**', {'fold': true}))"
 * ```
 */
export function facetFunctions(): readonly FacetFunction[] {
  const m = new PathMatchers();
  return [
    { signature: 'domainMatches(string, string): bool', handler: ((host: string, domain: string) => urlModule().domainMatches(host, domain)) as Handler },
    { signature: 'inCidr(string, string): bool', handler: ((host: string, cidr: string) => urlModule().inCidr(host, cidr)) as Handler },
    { signature: 'pathWithin(string, string): bool', handler: ((p: string, dir: string) => pathWithin(p, dir)) as Handler },
    { signature: 'pathMatches(string, string): bool', handler: ((p: string, pattern: string) => m.pathMatches(p, pattern)) as Handler },
    { signature: 'pathMatches(string, string, map): bool', handler: ((p: string, pattern: string, o: unknown) => m.pathMatches(p, pattern, o)) as Handler },
    { signature: 'pathMayMatch(map, string): bool', handler: ((e: unknown, pattern: string) => m.pathMayMatch(e, pattern)) as Handler },
    { signature: 'pathMayMatch(map, string, map): bool', handler: ((e: unknown, pattern: string, o: unknown) => m.pathMayMatch(e, pattern, o)) as Handler },
    { signature: 'effectWithin(map, string): bool', handler: ((e: unknown, dir: string) => effectWithin(e, dir)) as Handler },
    { signature: 'pathDecoded(string): string', handler: ((p: string) => pathDecoded(p)) as Handler },
    { signature: 'isPrivateKey(string): bool', handler: ((p: string) => isPrivateKeyPath(p)) as Handler },
    { signature: 'isPrivateKey(map): bool', handler: ((e: unknown) => mayBePrivateKey(e)) as Handler },
    { signature: 'isCredentialFile(string): bool', handler: ((p: string) => isCredentialPath(m, p)) as Handler },
    { signature: 'isCredentialFile(map): bool', handler: ((e: unknown) => mayBeCredentialFile(m, e)) as Handler },
    { signature: 'globEscape(string): string', handler: ((t: string) => escapeGlob(t)) as Handler },
  ];
}


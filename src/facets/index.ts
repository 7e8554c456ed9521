/**
 * Facets as library functions: the same parsers the policy engine uses, for callers who want
 * the facts themselves.
 *
 * @example
 * ```ts
 * import { shellFacet, sqlFacet, loadSqlParsers, scanUrls } from 'agent-warden/facets';
 * await loadSqlParsers();
 * sqlFacet('SELECT 1; DROP TABLE t', { dialect: 'postgresql' }).verbs; // ['SELECT', 'DROP']
 * shellFacet("bash -c 'curl x'").names;                                // ['bash', 'curl']
 * ```
 */
export { sqlFacet, loadSqlParsers, SQL_DIALECTS, EMPTY_SQL_FACTS, SQL_MAX_INPUT, type SqlFacts, type SqlStatementFacts, type SqlDialect } from './sql.js';
export { shellFacet, EMPTY_SHELL_FACTS, SHELL_MAX_INPUT, type ShellFacts, type ShellCommandFacts, type ShellRedirectFacts } from './shell.js';
export { scanUrls, parseUrlFacts, normalizeHost, domainMatches, inCidr, URL_SCAN_LIMITS, type UrlFacts, type UrlScan } from './url.js';
export { pathFacet, pathWithin, EMPTY_PATH_FACTS, type PathFacts } from './path.js';
export { k8sFacet, EMPTY_K8S_FACTS, K8S_MAX_INPUT, type K8sFacts, type K8sObjectFacts } from './k8s.js';

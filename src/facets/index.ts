/**
 * Facets as library functions: the same parsers the policy engine uses, for callers who want
 * the facts themselves.
 *
 * @example
 * ```ts
 * import { shellFacet, sqlFacet, loadSqlParsers, scanUrls } from 'agent-warden/facets';
 * const parsers = await loadSqlParsers({ dialects: ['postgresql'] });
 * sqlFacet('SELECT 1; DROP TABLE t', { dialect: 'postgresql', parsers }).verbs; // ['SELECT', 'DROP']
 * shellFacet("bash -c 'curl x'").names;                                // ['bash', 'curl']
 * shellEffects('cp a ~/.bashrc', { cwd: '/w', home: '/h' });          // { effects: { writes: [{ path: '/h/.bashrc', ... }, ...] } }
 * ```
 */
export {
  sqlFacet,
  loadSqlParsers,
  classifyFunction,
  SQL_DIALECTS,
  SQL_CLASSES,
  EMPTY_SQL_FACTS,
  SQL_MAX_INPUT,
  type SqlFacts,
  type SqlFacetOptions,
  type SqlStatementFacts,
  type SqlCallFacts,
  type SqlDialect,
  type SqlClass,
  type SqlParsers,
  type LoadSqlParsersOptions,
  type FunctionClass,
} from './sql.js';
export { sqlEffects } from './sql-effects.js';
export { shellFacet, shellEffects, EMPTY_SHELL_FACTS, SHELL_MAX_INPUT, type ShellFacts, type ShellCommandFacts, type ShellRedirectFacts, type ShellEffectsOptions } from './shell.js';
export { scanUrls, parseUrlFacts, normalizeHost, domainMatches, inCidr, URL_SCAN_LIMITS, type UrlFacts, type UrlScan } from './url.js';
export { pathFacet, pathWithin, EMPTY_PATH_FACTS, type PathFacts } from './path.js';
export { k8sFacet, EMPTY_K8S_FACTS, K8S_MAX_INPUT, type K8sFacts, type K8sObjectFacts } from './k8s.js';
export { k8sEffects } from './k8s-effects.js';
export { emptyEffects, mergeEffects, type Effects, type ExecEffect, type ExecKind, type NetworkEffect, type PathEffect, type PrivilegeEffect } from './effects.js';
export { urlNetworkEffects } from './effects-urls.js';
export { PathMatchers, effectWithin, isPrivateKeyPath, mayBePrivateKey, pathDecoded, type PathMatchOptions } from './path-match.js';
export { CREDENTIAL_FILE_LISTS, isCredentialPath, mayBeCredentialFile } from './credential-files.js';

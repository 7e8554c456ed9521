/**
 * Tool and prompt names of many servers behind one gateway: each carries its server's name as a
 * prefix, `<server>__<tool>`, so two servers' `search` tools stay apart and a call goes to exactly
 * the server that listed it. Server names are restricted so the split is unambiguous: letters,
 * digits and single hyphens, never an underscore.
 */
import { WardenError } from '../../errors.js';

/** Between a server's name and its tool's name. */
export const NAMESPACE_SEPARATOR = '__';

/** What a server name may be: 1-32 letters, digits and hyphens, starting with a letter or digit. */
export const SERVER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,31})$/;

/**
 * Throws unless `name` can be a server's prefix.
 *
 * @example
 * ```ts
 * checkServerName('github');   // ok
 * checkServerName('my_fs');    // throws: an underscore would make `my_fs__read` ambiguous
 * ```
 * @throws WardenError `ERR_MCP_CONFIG`.
 */
export function checkServerName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SERVER_NAME.test(name)) {
    throw new WardenError(
      'ERR_MCP_CONFIG',
      `Server name ${JSON.stringify(name)} is not allowed: use 1-32 letters, digits and hyphens (no underscores, which separate the server from the tool in "<server>__<tool>").`,
    );
  }
}

/**
 * The name a client sees for `tool` of `server`.
 *
 * @example
 * ```ts
 * namespacedName('github', 'search_issues'); // 'github__search_issues'
 * ```
 */
export function namespacedName(server: string, tool: string): string {
  return `${server}${NAMESPACE_SEPARATOR}${tool}`;
}

/**
 * Splits a client's name into server and tool; null when it carries no server prefix. The server
 * part is everything before the first `__` (server names hold no underscore), so the tool keeps
 * any `__` of its own.
 *
 * @example
 * ```ts
 * splitNamespaced('github__search_issues'); // { server: 'github', tool: 'search_issues' }
 * splitNamespaced('fs__a__b');              // { server: 'fs', tool: 'a__b' }
 * splitNamespaced('search');                // null
 * ```
 */
export function splitNamespaced(name: string): { server: string; tool: string } | null {
  const i = name.indexOf(NAMESPACE_SEPARATOR);
  if (i <= 0) return null;
  const server = name.slice(0, i);
  const tool = name.slice(i + NAMESPACE_SEPARATOR.length);
  if (!SERVER_NAME.test(server) || tool === '') return null;
  return { server, tool };
}

/**
 * The pieces every PostgreSQL edge shares (the state store, the audit sink and its reader):
 * loading the optional `pg` package, and a connection url fit for messages.
 */
import { WardenError } from '../errors.js';

/**
 * Loads `pg` (an optional peer dependency) for `what` (named in the error).
 *
 * @example
 * ```ts
 * const pg = await loadPg('The PostgreSQL audit sink');
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when it is not installed.
 */
export async function loadPg(what: string): Promise<typeof import('pg')> {
  try {
    const mod = (await import('pg')) as typeof import('pg') & { default?: typeof import('pg') };
    return mod.default ?? mod;
  } catch (e) {
    throw new WardenError('ERR_MISSING_DEPENDENCY', `${what} needs the optional package pg. Install it beside agent-warden: npm install pg`, { cause: e });
  }
}

/**
 * The url without its password, for messages and records.
 *
 * @example
 * ```ts
 * redactUrl('postgres://u:secret@db/warden'); // 'postgres://u:***@db/warden'
 * ```
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable url)';
  }
}

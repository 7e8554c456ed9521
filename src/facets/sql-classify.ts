/**
 * What a SQL statement does, as a class: `read | write | ddl | admin | lock | file | network | exec`.
 *
 * A statement's classes come from its kind (verb and object) and from every function it calls.
 * Functions are classified from data: PostgreSQL's own catalog (`pg_proc`, generated into
 * sql-catalog-postgres.ts) and SQLite's (`PRAGMA function_list`, sql-catalog-sqlite.ts), with the
 * reviewed list in sql-functions-reviewed.ts for what a catalog cannot say. Unknown is the most
 * dangerous reading: a function that is not a known built-in is `exec` with `known: false`.
 */
import { PG_CATALOG_ROWS } from './sql-catalog-postgres.js';
import { SQLITE_CATALOG_ROWS } from './sql-catalog-sqlite.js';
import {
  MYSQL_FUNCTIONS,
  MYSQL_READ_PREFIXES,
  MYSQL_REVIEWED,
  PG_REVIEWED,
  PG_SYNTAX_FUNCTIONS,
  SQLITE_READ_PRAGMAS,
  SQLITE_REVIEWED,
  type Reviewed,
} from './sql-functions-reviewed.js';
import type { SqlDialect } from './sql-parsers.js';
import type { SqlClass } from './sql-facts.js';

export { SQL_CLASSES, type SqlClass } from './sql-facts.js';


/**
 * How one function call is classified.
 *
 * @example
 * ```ts
 * classifyFunction('postgresql', 'pg_catalog.lo_import'); // { class: 'file', known: true, reason: 'reads a server file into a large object' }
 * ```
 */
export interface FunctionClass {
  class: SqlClass;
  /** False when the function is not a known built-in: it may be anything. */
  known: boolean;
  reason: string;
}

interface PgEntry {
  volatility: 'i' | 's' | 'v';
}

/** pg_catalog and information_schema built-ins by `schema.name`, extension functions by name. */
const PG_BUILTINS = new Map<string, PgEntry>();
const PG_EXTENSION_FUNCTIONS = new Map<string, PgEntry>();
for (const line of PG_CATALOG_ROWS.split('\n')) {
  const [schema, name, volatility, , , , ext] = line.split('\t');
  if (name === undefined || (volatility !== 'i' && volatility !== 's' && volatility !== 'v')) continue;
  const map = ext ? PG_EXTENSION_FUNCTIONS : PG_BUILTINS;
  const key = ext ? name : `${schema}.${name}`;
  const prior = map.get(key);
  // Overloads: a name is as dangerous as its most volatile overload.
  if (!prior || rank(volatility) > rank(prior.volatility)) map.set(key, { volatility });
}

const SQLITE_BUILTINS = new Map<string, boolean>();
for (const line of SQLITE_CATALOG_ROWS.split('\n')) {
  const [name, , , det] = line.split('\t');
  if (name === undefined || name === '') continue;
  // Deterministic only when every registration of the name is.
  SQLITE_BUILTINS.set(name, (SQLITE_BUILTINS.get(name) ?? true) && det === 'd');
}

function rank(v: 'i' | 's' | 'v'): number {
  return v === 'i' ? 0 : v === 's' ? 1 : 2;
}

const UNKNOWN_REASON = 'not a known built-in function: it may do anything';

function unknown(name: string): FunctionClass {
  return { class: 'exec', known: false, reason: `${name} is ${UNKNOWN_REASON}` };
}

function reviewed(r: Reviewed): FunctionClass {
  return { class: r[0], known: true, reason: r[1] };
}

/**
 * The parts of a function name as the facet reports it: dot-separated, a part holding a dot or a
 * quote written in double quotes (`"a.b"`). Undefined when a part is quoted (such a name is never
 * a built-in).
 */
function nameParts(name: string): string[] | undefined {
  if (name.includes('"')) return undefined;
  return name.split('.');
}

/**
 * Classifies a function call of `dialect` by its name as the facet reports it (lower case,
 * schema-qualified as written). For PostgreSQL only `pg_catalog.` (and `information_schema.`), a
 * leading database name before those, or no schema reach the built-ins: `public.lo_import` is a
 * user function, so unknown.
 *
 * @example
 * ```ts
 * classifyFunction('postgresql', 'now').class;             // 'read' (stable)
 * classifyFunction('postgresql', 'nextval').class;         // 'write'
 * classifyFunction('postgresql', 'public.lo_import');      // { class: 'exec', known: false, ... }
 * classifyFunction('sqlite', 'load_extension').class;      // 'exec'
 * ```
 */
export function classifyFunction(dialect: SqlDialect, name: string): FunctionClass {
  const parts = nameParts(name);
  if (parts === undefined || parts.length === 0 || parts.some((p) => p === '')) return unknown(name);
  switch (dialect) {
    case 'postgresql':
      return classifyPostgres(name, parts);
    case 'sqlite':
      return parts.length === 1 ? classifySqlite(name) : unknown(name);
    default:
      return parts.length === 1 ? classifyMysql(name) : unknown(name);
  }
}

function classifyPostgres(written: string, parts: string[]): FunctionClass {
  if (parts.length > 3) return unknown(written);
  const name = parts[parts.length - 1] as string;
  const schema = parts.length >= 2 ? (parts[parts.length - 2] as string) : '';
  if (schema === '') {
    if (PG_SYNTAX_FUNCTIONS.has(name)) return { class: 'read', known: true, reason: 'SQL syntax (a read)' };
    const builtin = PG_BUILTINS.get(`pg_catalog.${name}`);
    if (builtin) return fromVolatility(name, builtin);
    // Extension functions are reached unqualified, through the search path.
    const ext = PG_EXTENSION_FUNCTIONS.get(name);
    if (ext) return fromVolatility(name, ext);
    return unknown(written);
  }
  if (schema !== 'pg_catalog' && schema !== 'information_schema') return unknown(written);
  const builtin = PG_BUILTINS.get(`${schema}.${name}`);
  return builtin ? fromVolatility(name, builtin) : unknown(written);
}

function fromVolatility(name: string, entry: PgEntry): FunctionClass {
  const r = PG_REVIEWED.get(name);
  if (r) return reviewed(r);
  if (entry.volatility === 'v') return { class: 'exec', known: true, reason: `${name} is volatile and has not been reviewed: treated as running anything` };
  return { class: 'read', known: true, reason: entry.volatility === 'i' ? 'immutable built-in' : 'stable built-in' };
}

function classifySqlite(name: string): FunctionClass {
  const r = SQLITE_REVIEWED.get(name);
  if (r) return reviewed(r);
  if (name.startsWith('pragma_')) {
    // SQLite only offers table-valued pragma functions for pragmas that report and change nothing.
    return { class: 'read', known: true, reason: 'table-valued pragma (reports only)' };
  }
  const deterministic = SQLITE_BUILTINS.get(name);
  if (deterministic === undefined) return unknown(name);
  if (deterministic) return { class: 'read', known: true, reason: 'deterministic built-in' };
  return { class: 'exec', known: true, reason: `${name} is not deterministic and has not been reviewed: treated as running anything` };
}

function classifyMysql(name: string): FunctionClass {
  const r = MYSQL_REVIEWED.get(name);
  if (r) return reviewed(r);
  if (MYSQL_FUNCTIONS.has(name) || MYSQL_READ_PREFIXES.some((p) => name.startsWith(p))) return { class: 'read', known: true, reason: 'built-in function' };
  return unknown(name);
}

/**
 * The classes of a statement kind, before its functions are counted.
 *
 * @example
 * ```ts
 * verbClasses({ verb: 'COPY', object: 'to', program: true, file: 'curl x' }); // ['read', 'exec']
 * verbClasses({ verb: 'SET', object: 'role', program: false, file: '' });   // ['admin']
 * ```
 */
export function verbClasses(s: { verb: string; object: string; program: boolean; file: string }): SqlClass[] {
  const { verb, object } = s;
  switch (verb) {
    case 'SELECT':
    case 'SHOW':
    case 'EXPLAIN':
    case 'DESCRIBE':
    case 'FETCH':
    case 'MOVE':
    case 'DECLARE':
    case 'CLOSE':
    case 'DEALLOCATE':
    case 'LISTEN':
    case 'UNLISTEN':
    case 'RETURN':
    case 'BEGIN':
    case 'SAVEPOINT':
    case 'RELEASE':
      return ['read'];
    case 'COMMIT':
    case 'ROLLBACK':
      // COMMIT/ROLLBACK PREPARED finishes another session's transaction.
      return object === 'transaction' ? ['write'] : ['read'];
    case 'PREPARE':
      // The statement it stores is reported (nested); one held in a variable cannot be seen.
      return object === 'transaction' ? ['write'] : object === 'variable' ? ['exec'] : ['read'];
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
    case 'REPLACE':
    case 'TRUNCATE':
    case 'REFRESH':
    case 'NOTIFY':
      return ['write'];
    case 'COPY': {
      const out: SqlClass[] = [object === 'from' ? 'write' : 'read'];
      if (s.program) out.push('exec');
      else if (s.file !== '') out.push('file');
      return out;
    }
    case 'WRITE_FILE':
      return ['read', 'file'];
    case 'LOAD_FILE':
      return ['write', 'file'];
    case 'ATTACH':
      return ['admin', 'file'];
    case 'VACUUM':
      return s.file !== '' ? ['admin', 'file'] : ['admin'];
    case 'LOAD':
      return ['file', 'exec'];
    case 'DO':
    case 'EXECUTE':
    case 'CALL':
      return ['exec'];
    case 'LOCK':
    case 'UNLOCK':
      return ['lock'];
    case 'CREATE':
    case 'ALTER':
    case 'DROP':
      if (object === 'role' || object === 'user' || object === 'group' || object === 'system') return object === 'system' ? ['admin'] : ['ddl', 'admin'];
      if (object === 'extension' || object === 'language') return ['ddl', 'exec'];
      return ['ddl'];
    case 'RENAME':
    case 'COMMENT':
    case 'SECURITY_LABEL':
    case 'IMPORT':
      return ['ddl'];
    case 'INSTALL':
    case 'UNINSTALL':
      return ['admin', 'exec'];
    case 'PRAGMA':
      // The analyser says whether the pragma only reported; what reaches here changes something.
      return ['admin'];
    default:
      // SET, RESET, GRANT, REVOKE, VACUUM, ANALYZE, REINDEX, CLUSTER, CHECKPOINT, DISCARD, REASSIGN,
      // USE, DETACH, FLUSH, KILL, ... and every statement kind not listed above.
      return ['admin'];
  }
}

/**
 * True when `pragma` (lower case) in its query form (no value) only reports.
 *
 * @example
 * ```ts
 * readOnlyPragma('table_info'); // true
 * readOnlyPragma('writable_schema'); // false
 * ```
 */
export function readOnlyPragma(pragma: string): boolean {
  return SQLITE_READ_PRAGMAS.has(pragma);
}

/**
 * True when `table` (as the facet reports it) is a system catalog of `dialect`, whatever database
 * or schema prefix it is written with (`mydb.pg_catalog.pg_authid`, `main.sqlite_master`).
 *
 * @example
 * ```ts
 * systemTable('postgresql', 'mydb.pg_catalog.pg_authid'); // true
 * systemTable('sqlite', 'temp.sqlite_temp_master');        // true
 * systemTable('mysql', 'mysql.user');                      // true
 * ```
 */
export function systemTable(dialect: SqlDialect, table: string): boolean {
  const parts = table.split('.');
  const name = parts[parts.length - 1] ?? '';
  const schema = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
  switch (dialect) {
    case 'postgresql':
      // Unqualified pg_* names resolve to pg_catalog first (it is searched before the path).
      return PG_SYSTEM_SCHEMAS.has(schema) || (schema === '' && name.startsWith('pg_'));
    case 'sqlite': {
      // SQLite names are case-insensitive, quoted or not. A pragma's table-valued function
      // (pragma_table_info) may be named as a table without arguments.
      const n = name.toLowerCase();
      return n.startsWith('sqlite_') || n.startsWith('pragma_') || SQLITE_SYSTEM_TABLES.has(n);
    }
    default:
      return MYSQL_SYSTEM_SCHEMAS.has(parts.length >= 2 ? (parts[0] ?? '') : '');
  }
}

const PG_SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema', 'pg_toast']);
const MYSQL_SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
const SQLITE_SYSTEM_TABLES: ReadonlySet<string> = new Set(['dbstat']);

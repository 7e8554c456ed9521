/**
 * The light part of the sql facet: its facts' shape, its classes, and the empty facts. The analyser
 * itself (sql.ts, with the PostgreSQL function catalog, about 240 KB) is not imported from here:
 * a process whose policy binds no SQL never loads it. sql.ts hands its analyser over when it
 * loads ({@link provideSqlAnalyser}), and loadSqlParsers() loads it, so any set that has SQL
 * parsers has the analyser too; a facet engine that asks without it gets `parsed: false` (every
 * class), which fails closed.
 */
import type { SqlDialect, SqlParsers } from './sql-parsers.js';

/**
 * What a statement does, one word. A statement can have several (`COPY t TO '/tmp/x'` reads and
 * writes a file: `read` and `file`).
 * - `read`: reads data, or has no lasting effect (SELECT, SHOW, EXPLAIN, transaction control).
 * - `write`: changes rows, sequences, large objects or notifications (INSERT, UPDATE, DELETE, `nextval`).
 * - `ddl`: creates, changes or drops schema objects.
 * - `admin`: changes settings, privileges, sessions or the server (SET, GRANT, VACUUM, `pg_terminate_backend`).
 * - `lock`: takes locks or holds the session (LOCK, SELECT ... FOR UPDATE, advisory locks, `pg_sleep`).
 * - `file`: reads or writes files on the database server (COPY to/from a file, `pg_read_file`, INTO OUTFILE, ATTACH).
 * - `network`: connects to another server (`dblink`, postgres_fdw).
 * - `exec`: runs code or SQL the facet cannot see (COPY ... PROGRAM, DO, EXECUTE, `load_extension`,
 *   `query_to_xml`, an unknown function).
 *
 * @example
 * ```ts
 * const c: SqlClass = 'lock';
 * ```
 */
export type SqlClass = 'read' | 'write' | 'ddl' | 'admin' | 'lock' | 'file' | 'network' | 'exec';

/**
 * Every class, in the order classes are listed.
 *
 * @example
 * ```ts
 * SQL_CLASSES.length; // 8
 * ```
 */
export const SQL_CLASSES: readonly SqlClass[] = Object.freeze(['read', 'write', 'ddl', 'admin', 'lock', 'file', 'network', 'exec'] as const);

/**
 * What one statement does.
 *
 * @example
 * ```ts
 * const s: SqlStatementFacts = sqlFacet('DELETE FROM t WHERE id = 1', { dialect: 'postgresql' }).statements[0]!;
 * // { verb: 'DELETE', tables: ['t'], functions: [], hasWhere: true, object: '', program: false, file: '', nested: false }
 * ```
 */
export interface SqlStatementFacts {
  /** Upper-case statement kind: SELECT, INSERT, DROP, CREATE, WRITE_FILE, ... */
  verb: string;
  /** Tables read or written, lower-case, schema-qualified as written, in source order. */
  tables: string[];
  /** Functions called (including table functions and CALLed procedures), lower-case. */
  functions: string[];
  /** The statement (SELECT, UPDATE, DELETE) has a WHERE clause; for a UNION, every branch has one. */
  hasWhere: boolean;
  /** What a CREATE/ALTER/DROP/GRANT acts on ('table', 'function', ...), or the setting of SET/SHOW/PRAGMA; '' otherwise. */
  object: string;
  /** COPY ... TO/FROM PROGRAM: `file` is then the shell command. */
  program: boolean;
  /** File (or program) a statement reads or writes when written literally: COPY, INTO OUTFILE, LOAD DATA, ATTACH, VACUUM INTO, LOAD; '' otherwise. */
  file: string;
  /** This statement sits inside another (data-modifying CTE, EXPLAIN/PREPARE target, trigger or rule body). */
  nested: boolean;
  /** What the statement does (with the statements nested in it and the functions it calls), in {@link SQL_CLASSES} order. */
  classes: SqlClass[];
}

/**
 * One function call and its classification.
 *
 * @example
 * ```ts
 * const c: SqlCallFacts = { name: 'pg_catalog.pg_read_file', args: ['/etc/passwd'], class: 'file', known: true, reason: 'reads or lists files on the database server' };
 * ```
 */
export interface SqlCallFacts {
  /** Lower case, schema-qualified as written; a name part holding a dot or quote is written in double quotes. */
  name: string;
  /** Each argument's text when it is a literal (string or number), null otherwise. */
  args: Array<string | null>;
  /** What calling it does. */
  class: SqlClass;
  /** False when the function is not a known built-in (it is then `exec`: it may do anything). */
  known: boolean;
  /** Why it has this class, for people. */
  reason: string;
}

/**
 * The `sql` variable of policy conditions.
 *
 * @example
 * ```ts
 * const f: SqlFacts = sqlFacet('SELECT 1; DROP TABLE x', { dialect: 'postgresql' });
 * f.verbs; // ['SELECT', 'DROP']
 * ```
 */
export interface SqlFacts {
  /** The whole input parsed. When false, `error` says why and the lists are empty. */
  parsed: boolean;
  /** Why the input did not parse; '' when it did (or when no binding applies). */
  error: string;
  /** The dialect the input was parsed as ('' when no binding applies). */
  dialect: string;
  /** Every statement, top-level and nested, in order. */
  statements: SqlStatementFacts[];
  /** Union of the statements' verbs, in first-seen order. */
  verbs: string[];
  /** Union of the statements' tables, in first-seen order. */
  tables: string[];
  /** Union of the statements' functions, in first-seen order. */
  functions: string[];
  /**
   * Union of the statements' classes, in {@link SQL_CLASSES} order. Input that did not parse has
   * every class (it could be anything); a request no binding applies to has none.
   */
  classes: SqlClass[];
  /** Every distinct function call (name and literal arguments), in source order, classified. */
  calls: SqlCallFacts[];
  /** The tables that are system catalogs, whatever their database or schema prefix (`mydb.pg_catalog.pg_authid`, `main.sqlite_master`). */
  systemTables: string[];
}

/**
 * The value of `sql` when no SQL binding applies to the request.
 *
 * @example
 * ```ts
 * EMPTY_SQL_FACTS.parsed; // false
 * EMPTY_SQL_FACTS.error; // ''
 * ```
 */
export const EMPTY_SQL_FACTS: SqlFacts = Object.freeze({
  parsed: false,
  error: '',
  dialect: '',
  statements: Object.freeze([]) as unknown as SqlStatementFacts[],
  verbs: Object.freeze([]) as unknown as string[],
  tables: Object.freeze([]) as unknown as string[],
  functions: Object.freeze([]) as unknown as string[],
  classes: Object.freeze([]) as unknown as SqlClass[],
  calls: Object.freeze([]) as unknown as SqlCallFacts[],
  systemTables: Object.freeze([]) as unknown as string[],
});

/** Longest error message returned (parser messages can quote the input). */
const MAX_ERROR_LENGTH = 300;

/**
 * The facts of SQL that was not analysed: `parsed: false` with the reason, and every class.
 *
 * @example
 * ```ts
 * sqlFailure('postgresql', 'empty SQL string').classes.length; // 8
 * ```
 */
export function sqlFailure(dialect: string, error: string): SqlFacts {
  const bounded = error.length > MAX_ERROR_LENGTH ? error.slice(0, MAX_ERROR_LENGTH - 3) + '...' : error;
  // invariant: what did not parse could be anything, so it has every class (never only 'read').
  return { parsed: false, error: bounded, dialect, statements: [], verbs: [], tables: [], functions: [], classes: [...SQL_CLASSES], calls: [], systemTables: [] };
}

/** The analyser sql.ts provides: the same function as `sqlFacet`. */
type SqlAnalyser = (input: unknown, options: { dialect: SqlDialect; parsers: SqlParsers }) => SqlFacts;

// The only state here: set once, to the same function, by sql.ts when it is evaluated.
let analyser: SqlAnalyser | null = null;

/**
 * Called by sql.ts as it loads, with its `sqlFacet`.
 *
 * @internal
 * @example
 * ```ts
 * provideSqlAnalyser(sqlFacet);
 * ```
 */
export function provideSqlAnalyser(f: SqlAnalyser): void {
  analyser = f;
}

/**
 * The sql facet of `input`: `sqlFacet` when sql.ts has loaded (it has whenever SQL parsers were
 * loaded with loadSqlParsers()), else `parsed: false` saying so.
 *
 * @example
 * ```ts
 * analyseSql('SELECT 1', { dialect: 'postgresql', parsers }).verbs; // ['SELECT']
 * ```
 */
export function analyseSql(input: unknown, options: { dialect: SqlDialect; parsers: SqlParsers }): SqlFacts {
  if (analyser === null) return sqlFailure(typeof options?.dialect === 'string' ? options.dialect : '', 'the SQL analyser is not loaded: load the parsers with `await loadSqlParsers()` (policies: loadPolicyFiles() does this)');
  return analyser(input, options);
}

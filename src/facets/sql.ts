/**
 * The `sql` facet: what a SQL string does, from real parsers.
 *
 * PostgreSQL goes through libpg-query (the server's own parser, as WebAssembly). MySQL, MariaDB
 * and SQLite go through node-sql-parser, after a lexer that follows each server's rules for
 * comments, executable comments (`/*! ... *\/` is run by MySQL, so it is read), quoting and
 * statement separators (see `sql-lexer.ts`), so the parser sees the statements the server would
 * run. What cannot be parsed is `parsed: false` with the reason; nothing is guessed. That includes
 * text whose meaning depends on server settings (a backslash-escaped quote under
 * NO_BACKSLASH_ESCAPES or standard_conforming_strings), space-like or invisible characters outside
 * quotes (MySQL, SQLite), and statement kinds node-sql-parser has no grammar for.
 *
 * Verbs are upper-case statement kinds. Every statement counts, including those nested in another
 * (`nested: true`): a data-modifying CTE, the statement of an EXPLAIN (ANALYZE) or PREPARE (also
 * MySQL `PREPARE s FROM '<sql>'`), the body of a trigger, rule or SQL-standard function. Verbs that
 * need a word of explanation:
 * - `CREATE` for every CREATE form (`object` says what: 'table', 'function', 'extension', ...),
 *   and for PostgreSQL `SELECT ... INTO new_table`.
 * - `WRITE_FILE` for MySQL `SELECT ... INTO OUTFILE | DUMPFILE` (`object` 'outfile' or 'dumpfile',
 *   `file` the path).
 * - `LOAD_FILE` for MySQL `LOAD DATA [LOCAL] INFILE` (reads a file into a table; `file` the path).
 *   The function `load_file()` is reported under `functions`, in a SELECT.
 * - `LOAD` for PostgreSQL `LOAD 'library'` (`file` the library).
 * - `COPY` with `object` 'to' or 'from', and `program: true` and `file` the command for COPY ...
 *   TO/FROM PROGRAM.
 * - `BEGIN` (also START TRANSACTION), `COMMIT` (also END), `ROLLBACK` (also ABORT, ROLLBACK TO),
 *   `SAVEPOINT`, `RELEASE`.
 * - `SET` / `RESET` / `SHOW` (`object` the setting: 'role', 'search_path', ...), `PRAGMA` (`object`
 *   the pragma, e.g. 'writable_schema').
 * - `EXPLAIN` for EXPLAIN of a statement (which is also reported, nested); `DESCRIBE` for MySQL
 *   DESCRIBE/EXPLAIN of a table.
 * - `DO` for PostgreSQL DO blocks (their body is not analysed) and MySQL DO expressions (whose
 *   functions are reported).
 * - `REPLACE` for REPLACE INTO, `RENAME` for MySQL RENAME TABLE, `ATTACH`/`DETACH` and `VACUUM`
 *   (`file` for VACUUM INTO) for SQLite.
 * - A SELECT that carries a data-modifying CTE takes that CTE's verb: it is never `SELECT`.
 *
 * Names: tables and functions are lower-cased and schema-qualified as written
 * (`pg_catalog.pg_authid`; unqualified stays unqualified, so `pg_authid` alone is also the catalog
 * table through the search path). Quoted identifiers are lower-cased too, although `"Users"` and
 * `users` are different tables to PostgreSQL: a rule naming `users` then also matches `"Users"`,
 * which errs on the side of matching. A reference to a common table expression is not a table;
 * the tables inside it are. Functions include table functions, CALLed procedures and SQL-syntax
 * functions (`extract`, `current_user`, `coalesce`); names inside strings (`dblink('...')`'s query,
 * PREPARE from a variable, a DO body) are not seen, so rules should treat those verbs and functions
 * as opaque (their class says so: `exec`).
 *
 * Classes (`read | write | ddl | admin | lock | file | network | exec`, see sql-classify.ts) say what
 * each statement does, from its kind and every function it calls, classified from the databases'
 * own catalogs; an unknown function is `exec`. Rules written on classes need no list of spellings:
 * `sql.classes.all(c, c == 'read')` is a read-only policy.
 */
import { SQL_CLASSES, systemTable } from './sql-classify.js';
import { provideSqlAnalyser, sqlFailure as failure, type SqlFacts } from './sql-facts.js';
import { SqlAnalysisError, StatementCollector, uniqueInOrder } from './sql-collect.js';
import { analyseNodeSql } from './sql-nodesql.js';
import { SQL_DIALECTS, type SqlDialect, type SqlParsers } from './sql-parsers.js';
import { analysePostgres } from './sql-postgres.js';

export { SQL_DIALECTS, loadSqlParsers, type SqlDialect, type SqlParsers, type LoadSqlParsersOptions } from './sql-parsers.js';
export { SQL_CLASSES, classifyFunction, type SqlClass, type FunctionClass } from './sql-classify.js';
export { EMPTY_SQL_FACTS, type SqlCallFacts, type SqlFacts, type SqlStatementFacts } from './sql-facts.js';


/**
 * Longest input analysed, in characters (UTF-16 code units). Longer is `parsed: false`.
 *
 * @example
 * ```ts
 * sqlFacet('x'.repeat(SQL_MAX_INPUT + 1), { dialect: 'sqlite' }).parsed; // false
 * ```
 */
export const SQL_MAX_INPUT = 100_000;


/**
 * Options of {@link sqlFacet}.
 *
 * @example
 * ```ts
 * const options: SqlFacetOptions = { dialect: 'postgresql', parsers: await loadSqlParsers() };
 * ```
 */
export interface SqlFacetOptions {
  dialect: SqlDialect;
  /** The loaded parsers ({@link loadSqlParsers}); without them, or without the dialect in them, the input is not parsed. */
  parsers: SqlParsers;
}

/**
 * Parses `input` as SQL of `options.dialect` with `options.parsers` and reports every statement,
 * table and function, and what each does (`classes`, `calls`). Synchronous and never throws:
 * anything that is not a string, is empty or too long, or does not parse gives `parsed: false`
 * with a specific `error` (and every class).
 *
 * @example
 * ```ts
 * const parsers = await loadSqlParsers({ dialects: ['postgresql'] });
 * const f = sqlFacet('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', { dialect: 'postgresql', parsers });
 * f.verbs; // ['DELETE']
 * f.tables; // ['t']
 * f.classes; // ['write']
 * sqlFacet("SELECT pg_catalog.lo_import('/etc/passwd')", { dialect: 'postgresql', parsers }).classes; // ['read', 'file']
 * ```
 */
export function sqlFacet(input: unknown, options: SqlFacetOptions): SqlFacts {
  return analyseGuarded(input, options, true);
}

/**
 * The facet without classification (`classes` and `calls` left empty): only for bench/sql.ts,
 * which measures what classification costs. Never use it to decide.
 *
 * @internal
 * @example
 * ```ts
 * sqlFacetUnclassified('SELECT 1', { dialect: 'postgresql', parsers }).classes; // []
 * ```
 */
export function sqlFacetUnclassified(input: unknown, options: SqlFacetOptions): SqlFacts {
  return analyseGuarded(input, options, false);
}

provideSqlAnalyser(sqlFacet);

function analyseGuarded(input: unknown, options: SqlFacetOptions, classify: boolean): SqlFacts {
  try {
    return analyse(input, options, classify);
  } catch {
    // Even hostile values (a throwing getter, a revoked Proxy) must not escape the facet; the
    // thrown value itself is not touched, it may be hostile too.
    return failure('', 'SQL analysis failed on an unexpected input or options value');
  }
}

function analyse(input: unknown, options: SqlFacetOptions, classify: boolean): SqlFacts {
  const requested: unknown = (options as { dialect?: unknown } | null | undefined)?.dialect;
  const dialect = typeof requested === 'string' && (SQL_DIALECTS as readonly string[]).includes(requested) ? (requested as SqlDialect) : undefined;
  if (dialect === undefined) {
    const shown = typeof requested === 'string' ? JSON.stringify(requested.slice(0, 40)) : typeof requested;
    return failure('', `unknown SQL dialect ${shown}; supported: ${SQL_DIALECTS.join(', ')}`);
  }
  const parsers = (options as { parsers?: SqlParsers }).parsers;
  if (parsers === undefined || parsers === null || typeof parsers !== 'object' || !(parsers.dialects instanceof Set)) {
    return failure(dialect, 'no SQL parsers were given: load them with `await loadSqlParsers()` and pass them as { parsers } (policies: loadPolicyFiles() does this)');
  }
  if (!parsers.dialects.has(dialect)) {
    return failure(dialect, `the SQL parsers were loaded without ${dialect}: load them with loadSqlParsers({ dialects: [..., '${dialect}'] })`);
  }
  if (typeof input !== 'string') {
    const kind = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
    return failure(dialect, `expected the SQL as a string, got ${kind}`);
  }
  if (input.length === 0) return failure(dialect, 'empty SQL string');
  if (input.length > SQL_MAX_INPUT) return failure(dialect, `SQL is ${input.length} characters; the limit is ${SQL_MAX_INPUT}`);
  if (input.includes('\0')) return failure(dialect, 'SQL contains a NUL character (U+0000), which parsers and servers disagree on');
  try {
    const out = new StatementCollector(dialect, classify);
    let error: string | undefined;
    if (dialect === 'postgresql') {
      const pg = parsers.postgres;
      error = pg ? analysePostgres(input, out, pg) : 'the PostgreSQL parser is missing from the loaded parsers';
    } else {
      const grammar = parsers.nodeSql(dialect);
      error = grammar ? analyseNodeSql(input, dialect, grammar, out) : `the ${dialect} parser is missing from the loaded parsers`;
    }
    if (error !== undefined) return failure(dialect, error);
    if (out.size === 0) return failure(dialect, 'no SQL statement found (only comments or whitespace)');
    const statements = out.finish();
    const tables = uniqueInOrder(statements.flatMap((s) => s.tables));
    const classes = new Set(statements.flatMap((s) => s.classes));
    return {
      parsed: true,
      error: '',
      dialect,
      statements,
      verbs: uniqueInOrder(statements.map((s) => s.verb)),
      tables,
      functions: uniqueInOrder(statements.flatMap((s) => s.functions)),
      classes: SQL_CLASSES.filter((c) => classes.has(c)),
      calls: out.calls(),
      systemTables: tables.filter((t) => systemTable(dialect, t)),
    };
  } catch (e) {
    if (e instanceof SqlAnalysisError) return failure(dialect, e.message);
    // A parser bug or resource exhaustion must not escape the facet: fail closed with the reason.
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return failure(dialect, `SQL analysis failed: ${why.slice(0, 200)}`);
  }
}

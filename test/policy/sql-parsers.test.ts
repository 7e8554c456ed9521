/**
 * Parser readiness is explicit: a set that binds the sql facet is compiled with its parsers, or
 * not at all; loadPolicyFiles() loads exactly the dialects bound, so the first decision parses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParsers, type SqlParsers } from '../../src/facets/sql.js';
import type { SqlDialect } from '../../src/facets/sql-parsers.js';
import { loadPolicyFiles, sqlParsersFor } from '../../src/enforce/load-files.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy, stagePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import { lintPolicy } from '../../src/policy/lint.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: sql-read-only
default: deny
facets:
  - tools: [query_db]
    sql: { from: args.query, dialect: postgresql }
rules:
  - name: read-only
    tools: [query_db]
    when: "sql.parsed && sql.classes.all(c, c == 'read')"
    effect: allow
`;

let pg: SqlParsers;
let dir: string;
beforeAll(async () => {
  pg = await loadSqlParsers({ dialects: ['postgresql'] });
  dir = mkdtempSync(join(tmpdir(), 'warden-sql-parsers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadError(fn: () => unknown): PolicyLoadError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyLoadError) return e;
    throw e;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('compiling a policy that binds the sql facet', () => {
  it('is a load error without parsers, at the binding, saying how to fix it', () => {
    const e = loadError(() => compilePolicy([{ name: 'p.yaml', text: POLICY }]));
    expect(e.issues).toEqual([
      {
        severity: 'error',
        code: 'sql_parsers_missing',
        file: 'p.yaml',
        line: 6,
        col: 5,
        message: "The sql binding of tools [\"query_db\"] needs the SQL parsers, and none were given. loadPolicyFiles() loads them for you; with compilePolicy(), pass { sqlParsers: await loadSqlParsers({ dialects: ['postgresql'] }) }.",
      },
    ]);
  });

  it('is a load error when the parsers lack the bound dialect', async () => {
    const sqliteOnly = await loadSqlParsers({ dialects: ['sqlite'] });
    const e = loadError(() => compilePolicy([{ name: 'p.yaml', text: POLICY }], { sqlParsers: sqliteOnly }));
    expect(e.issues.map((i) => [i.code, i.message])).toEqual([
      ['sql_parsers_missing', expect.stringContaining('uses dialect postgresql, but the SQL parsers given were loaded without it')],
    ]);
  });

  it('decides with parsed SQL from the first decision when given the parsers', () => {
    const set = compilePolicy([{ name: 'p.yaml', text: POLICY }], { sqlParsers: pg });
    expect(set.decide({ tool: 'query_db', args: { query: 'SELECT id FROM users' } }).effect).toBe('allow');
    expect(set.decide({ tool: 'query_db', args: { query: "SELECT pg_catalog.lo_import('/etc/passwd')" } }).effect).toBe('deny');
  });

  it('puts a parser load failure at each sql binding, with the reason', () => {
    const staged = stagePolicy([{ name: 'p.yaml', text: POLICY }], []);
    expect([...staged.sqlDialects]).toEqual(['postgresql']);
    const e = loadError(() => staged.complete(undefined, 'the optional package node-sql-parser is not installed'));
    expect(e.issues.map((i) => [i.code, i.file, i.line, i.col, i.message])).toEqual([
      ['sql_parsers_missing', 'p.yaml', 6, 5, 'The sql binding of tools ["query_db"] (dialect postgresql) cannot parse: the optional package node-sql-parser is not installed'],
    ]);
  });

  it('needs no parsers when no binding is sql', () => {
    const set = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: a\n    tools: [x]\n    effect: allow\n' }]);
    expect(set.decide({ tool: 'x', args: {} }).effect).toBe('allow');
  });

  it('lints a sql policy without parsers (lint never decides real requests)', () => {
    const report = lintPolicy([{ name: 'p.yaml', text: POLICY }]);
    expect([report.loaded, report.errors]).toEqual([true, 0]);
  });
});

describe('loadPolicyFiles', () => {
  it('loads the parsers a just-compiled set needs, so its first decision parses', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, POLICY);
    const set = await loadPolicyFiles([file]);
    expect(set.decide({ tool: 'query_db', args: { query: 'SELECT 1' } }).effect).toBe('allow');
    expect(set.decide({ tool: 'query_db', args: { query: 'SELECT 1; DROP TABLE x' } }).effect).toBe('deny');
  });

  it('uses the given parsers when they have every bound dialect (a trapped instance denies until it is renewed)', async () => {
    const file = join(dir, 'p2.yaml');
    writeFileSync(file, POLICY);
    const own = await loadSqlParsers({ dialects: ['postgresql'] });
    const set = await loadPolicyFiles([file], { sqlParsers: own });
    expect(set.decide({ tool: 'query_db', args: { query: 'SELECT 1' } }).effect).toBe('allow');
    own.postgres?.parse('SELECT ' + Array(60_000).fill('a').join('+')); // traps inside WebAssembly
    expect(set.decide({ tool: 'query_db', args: { query: 'SELECT 1' } }).effect).toBe('deny');
    await own.postgres?.settled();
    expect(set.decide({ tool: 'query_db', args: { query: 'SELECT 1' } }).effect).toBe('allow');
  });
});

describe('sqlParsersFor, when an optional dialect package is missing', () => {
  // node-sql-parser is optional (MySQL, MariaDB, SQLite); libpg-query (PostgreSQL) is a dependency.
  // The loader refuses mysql the way loadSqlParsers does without the package; the rest load for real.
  const withoutMysql = async (o: { dialects: SqlDialect[] }): Promise<SqlParsers> => {
    const missing = o.dialects.find((d) => d === 'mysql' || d === 'sqlite');
    if (missing !== undefined) {
      throw new WardenError('ERR_SQL_PARSER_LOAD', `The sql facet cannot parse ${missing}: the optional package node-sql-parser is not installed.`);
    }
    return loadSqlParsers(o);
  };
  const MIXED = `${POLICY.replace('facets:\n', 'facets:\n  - tools: [query_mysql]\n    sql: { from: args.query, dialect: mysql }\n  - tools: [query_sqlite]\n    sql: { from: args.query, dialect: sqlite }\n')}`;

  it('blames only the bindings whose dialect cannot load, each for its own dialect, and the PostgreSQL binding still parses', async () => {
    const staged = stagePolicy([{ name: 'p.yaml', text: MIXED }], []);
    const r = await sqlParsersFor(staged.sqlDialects, undefined, withoutMysql);
    expect('error' in r && r.partial?.dialects.has('postgresql')).toBe(true);
    if (!('error' in r)) throw new Error('expected a load failure');
    const e = loadError(() => staged.complete(r.partial, r.error));
    const issues = e.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.line, i.message]);
    expect(issues).toEqual([
      ['sql_parsers_missing', 6, 'The sql binding of tools ["query_mysql"] (dialect mysql) cannot parse: The sql facet cannot parse mysql: the optional package node-sql-parser is not installed.'],
      ['sql_parsers_missing', 8, 'The sql binding of tools ["query_sqlite"] (dialect sqlite) cannot parse: The sql facet cannot parse sqlite: the optional package node-sql-parser is not installed.'],
    ]);
  });

  it('is still a load error for the policy (fail closed), never a set that skips the mysql binding', async () => {
    const staged = stagePolicy([{ name: 'p.yaml', text: MIXED }], []);
    const r = await sqlParsersFor(staged.sqlDialects, undefined, withoutMysql);
    if (!('error' in r)) throw new Error('expected a load failure');
    expect(() => staged.complete(r.partial, r.error)).toThrow(PolicyLoadError);
  });

  it('loads every dialect at once when all are available (no partial result)', async () => {
    const r = await sqlParsersFor(new Set<SqlDialect>(['postgresql', 'mysql']), undefined);
    expect('parsers' in r && [...(r.parsers?.dialects ?? [])].sort()).toEqual(['mysql', 'postgresql']);
  });
});

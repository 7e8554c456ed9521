/**
 * Parser readiness is explicit: a set that binds the sql facet is compiled with its parsers, or
 * not at all; loadPolicyFiles() loads exactly the dialects bound, so the first decision parses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParsers, type SqlParsers } from '../../src/facets/sql.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
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

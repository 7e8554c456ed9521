/**
 * The generated PostgreSQL function catalog against a live server's pg_proc: every pg_catalog
 * function is classified as its live volatility and the reviewed list say. Needs PostgreSQL at
 * 127.0.0.1:5432 (database `test`, trust auth); outside CI it skips with a message when the server
 * is absent, in CI it fails.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFunction } from '../../src/facets/sql-classify.js';
import { PG_CATALOG_ROWS, PG_CATALOG_VERSION_NUM } from '../../src/facets/sql-catalog-postgres.js';
import { PG_REVIEWED } from '../../src/facets/sql-functions-reviewed.js';

const HOST = '127.0.0.1';
const PORT = 5432;

function reachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port: PORT });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

const up = await reachable();
if (!up && process.env.CI) throw new Error(`PostgreSQL is not reachable at ${HOST}:${PORT}; CI must run the live catalog test`);
if (!up) console.warn(`sql-catalog-live: skipped, no PostgreSQL at ${HOST}:${PORT}`);

describe.skipIf(!up)('the PostgreSQL catalog against live pg_proc', () => {
  const client = new pg.Client({ host: HOST, port: PORT, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' });
  let live: Map<string, string>;
  let versionNum = 0;

  beforeAll(async () => {
    await client.connect();
    versionNum = Number((await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v);
    const rows = await client.query<{ name: string; vol: string }>(
      "SELECT p.proname AS name, max(p.provolatile) AS vol FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'pg_catalog' GROUP BY p.proname",
    );
    // max() over 'i' < 's' < 'v' is the most volatile overload.
    live = new Map(rows.rows.map((r) => [r.name, r.vol]));
  });

  afterAll(async () => {
    await client.end();
  });

  it('is the same major version as the catalog (otherwise run npm run sql-catalog)', () => {
    expect(Math.floor(versionNum / 10_000)).toBe(Math.floor(PG_CATALOG_VERSION_NUM / 10_000));
  });

  it('holds every live pg_catalog function with its live volatility', () => {
    const data = new Map<string, string>();
    for (const line of PG_CATALOG_ROWS.split('\n')) {
      const [schema, name, vol] = line.split('\t') as [string, string, string];
      if (schema !== 'pg_catalog') continue;
      const prior = data.get(name);
      if (prior === undefined || vol > prior) data.set(name, vol);
    }
    expect(new Map([...live].sort())).toEqual(new Map([...data].sort()));
  });

  it('classifies every live pg_catalog function from its volatility and the reviewed list', () => {
    const wrong: string[] = [];
    for (const [name, vol] of live) {
      const expected = PG_REVIEWED.get(name)?.[0] ?? (vol === 'v' ? 'exec' : 'read');
      for (const written of [name, `pg_catalog.${name}`, `test.pg_catalog.${name}`]) {
        const got = classifyFunction('postgresql', written);
        if (got.class !== expected || !got.known) wrong.push(`${written}: ${got.class} (expected ${expected})`);
      }
      if (classifyFunction('postgresql', `public.${name}`).known) wrong.push(`public.${name} should be unknown`);
    }
    expect(wrong).toEqual([]);
  });

  it('classifies the dblink extension functions from their live definitions', async () => {
    await client.query('BEGIN');
    try {
      await client.query('CREATE SCHEMA warden_live_test');
      await client.query('CREATE EXTENSION dblink SCHEMA warden_live_test');
      const rows = await client.query<{ name: string; vol: string }>(
        "SELECT DISTINCT p.proname AS name, p.provolatile AS vol FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'warden_live_test' AND p.proname LIKE 'dblink%'",
      );
      expect(rows.rows.length).toBeGreaterThan(10);
      for (const r of rows.rows) {
        const cls = classifyFunction('postgresql', r.name);
        expect([r.name, cls.known]).toEqual([r.name, true]);
        expect([r.name, cls.class]).toEqual([r.name, PG_REVIEWED.get(r.name)?.[0] ?? (r.vol === 'v' ? 'exec' : 'read')]);
      }
      expect(classifyFunction('postgresql', 'dblink_connect').class).toBe('network');
    } finally {
      await client.query('ROLLBACK');
    }
  });
});

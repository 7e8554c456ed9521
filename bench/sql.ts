/**
 * SQL facet cost per request, per dialect, on typical agent queries: the facet with its
 * classification (classes, calls from the function catalogs) and without it, so the cost of
 * classification is visible (target: at most +10%); beside them, the bare parser call a user
 * would otherwise make (libpg-query's raw parse, node-sql-parser astify), so the facet's own
 * overhead (server-faithful lexing, tree walk, fact building) is visible. Target: p99 < 200 µs.
 */
import { createRequire } from 'node:module';
import { loadSqlParsers, sqlFacet, sqlFacetUnclassified, SQL_DIALECTS, type SqlDialect } from '../src/facets/sql.js';
import { measure, printTable, type Timing } from './stats.js';

const COMMON: Record<string, string> = {
  'point select': 'SELECT id, name, email FROM users WHERE id = 42',
  'join + aggregate':
    "SELECT u.id, count(o.id) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE u.created_at > '2024-01-01' GROUP BY u.id ORDER BY n DESC LIMIT 10",
  insert: "INSERT INTO events (user_id, kind, payload) VALUES (42, 'login', '{\"ip\": \"10.0.0.1\"}')",
  update: 'UPDATE accounts SET balance = balance - 10 WHERE id = 42',
  'subquery in WHERE': 'SELECT * FROM products WHERE category_id IN (SELECT id FROM categories WHERE parent_id = 3) AND price < 100',
  'three statements': 'BEGIN; UPDATE accounts SET balance = balance - 10 WHERE id = 42; COMMIT',
};

/** Function calls to classify (node-sql-parser's SQLite grammar has no window functions). */
const FUNCTIONS_QUERY = "SELECT id, lower(name), coalesce(nick, 'x'), row_number() OVER (ORDER BY id), abs(score) FROM users WHERE length(name) > 3";
const FUNCTIONS: Record<SqlDialect, string> = {
  postgresql: FUNCTIONS_QUERY,
  mysql: FUNCTIONS_QUERY,
  mariadb: FUNCTIONS_QUERY,
  sqlite: "SELECT id, lower(name), coalesce(nick, 'x'), upper(name), abs(score) FROM users WHERE length(name) > 3",
};

const CTE: Record<SqlDialect, string> = {
  postgresql: "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT customer_id, sum(total) FROM recent GROUP BY customer_id",
  mysql: 'WITH recent AS (SELECT * FROM orders WHERE created_at > NOW() - INTERVAL 1 DAY) SELECT customer_id, SUM(total) FROM recent GROUP BY customer_id',
  mariadb: 'WITH recent AS (SELECT * FROM orders WHERE created_at > NOW() - INTERVAL 1 DAY) SELECT customer_id, SUM(total) FROM recent GROUP BY customer_id',
  sqlite: "WITH recent AS (SELECT * FROM orders WHERE created_at > datetime('now', '-1 day')) SELECT customer_id, sum(total) FROM recent GROUP BY customer_id",
};

const OPTS = { samples: 5_000, warmup: 1_000, loopMs: 200 };

/** Times the facet on every typical query of every dialect, with and without classification, and the bare parsers beside it. */
export async function run(): Promise<void> {
  const parsers = await loadSqlParsers();
  const requireCjs = createRequire(import.meta.url);
  for (const dialect of SQL_DIALECTS) {
    const queries: Record<string, string> = { ...COMMON, 'functions (+ window)': FUNCTIONS[dialect], 'CTE + aggregate': CTE[dialect] };
    const rows: Timing[] = [];
    let classified = 0;
    let unclassified = 0;
    for (const [name, sql] of Object.entries(queries)) {
      const facts = sqlFacet(sql, { dialect, parsers });
      if (!facts.parsed) throw new Error(`bench query "${name}" does not parse as ${dialect}: ${facts.error}`);
      if (facts.calls.some((c) => !c.known)) throw new Error(`bench query "${name}" calls an unknown ${dialect} function: ${facts.calls.filter((c) => !c.known).map((c) => c.name).join(', ')}`);
      const plain = measure(`without classification: ${name}`, () => sqlFacetUnclassified(sql, { dialect, parsers }), OPTS);
      const full = measure(`sqlFacet: ${name}`, () => sqlFacet(sql, { dialect, parsers }), OPTS);
      rows.push(plain, full);
      unclassified += plain.p50us;
      classified += full.p50us;
    }
    const join = COMMON['join + aggregate'] as string;
    if (dialect === 'postgresql') {
      const pg = parsers.postgres;
      if (!pg) throw new Error('no PostgreSQL parser');
      rows.push(measure('bare libpg-query parse: join + aggregate', () => pg.parse(join), OPTS));
    } else {
      const { Parser } = requireCjs(`node-sql-parser/build/${dialect}`) as { Parser: new () => { astify(sql: string, o: { database: string }): unknown } };
      const parser = new Parser();
      rows.push(measure('bare node-sql-parser astify: join + aggregate', () => parser.astify(join, { database: dialect }), OPTS));
    }
    printTable(`sql facet (${dialect})`, rows);
    console.log(`classification adds ${(((classified - unclassified) / unclassified) * 100).toFixed(1)}% to the summed p50 of the ${dialect} queries`);
  }
}

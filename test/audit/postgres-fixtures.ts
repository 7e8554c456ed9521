/** Shared fixtures for the PostgreSQL audit tests: a fresh schema per test, dropped afterwards, and raw SQL for tampering. */
import { randomBytes } from 'node:crypto';
import { PG_URL } from '../store/live.js';

export { PG_URL };

export const HMAC = 'fleet-test-hmac-key-0123456789';

const run = randomBytes(4).toString('hex');
let n = 0;
const schemas: string[] = [];

/** A schema name no other test uses (dropped by dropSchemas). */
export function freshSchema(): string {
  const schema = `warden_audit_${run}_${++n}`;
  schemas.push(schema);
  return schema;
}

/** Runs SQL directly against the test database (for tampering and inspection). */
export async function sql<R extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<R[]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Drops every schema freshSchema() handed out. */
export async function dropSchemas(): Promise<void> {
  for (const schema of schemas.splice(0)) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

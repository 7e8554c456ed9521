import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { storeConformance } from './conformance.js';
import { sreStateConformance } from './sre-conformance.js';
import { PG_URL, serviceUp } from './live.js';

const up = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');
const run = randomBytes(4).toString('hex');
const schemas: string[] = [];
let n = 0;

afterAll(async () => {
  if (!up || schemas.length === 0) return;
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe.skipIf(!up)('postgres', () => {
  const openFresh = async (clock: () => number): Promise<Awaited<ReturnType<typeof openPostgresStore>>> => {
    const schema = `warden_test_${run}_${++n}`;
    schemas.push(schema);
    return openPostgresStore({ url: PG_URL, schema, clock });
  };
  storeConformance('postgres', openFresh);
  sreStateConformance('postgres', openFresh);

  it('is unavailable (ERR_STORE_UNAVAILABLE, password not shown) when nothing listens at the url', async () => {
    await expect(openPostgresStore({ url: 'postgres://u:secret@127.0.0.1:1/test', timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.not.stringContaining('secret'),
    });
  });
});

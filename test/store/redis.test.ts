import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/store/redis.js';
import { storeConformance } from './conformance.js';
import { sreStateConformance } from './sre-conformance.js';
import { PG_URL, REDIS_URL, reachable, serviceUp } from './live.js';

const up = await serviceUp('Redis', REDIS_URL, 'redis-server on 127.0.0.1:6379');
const run = randomBytes(4).toString('hex');
let n = 0;

afterAll(async () => {
  if (!up) return;
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`warden-test:${run}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe.skipIf(!up)('redis', () => {
  // Each store gets its own prefix, so the suite's keys never meet another run's (Redis keeps nothing on disk here).
  storeConformance('redis', async (clock) => openRedisStore({ url: REDIS_URL, prefix: `warden-test:${run}:${++n}:`, clock }));
  sreStateConformance('redis', async (clock) => openRedisStore({ url: REDIS_URL, prefix: `warden-test:${run}:${++n}:`, clock }));

  it('is unavailable (ERR_STORE_UNAVAILABLE, password not shown) when nothing listens at the url', async () => {
    await expect(openRedisStore({ url: 'redis://:secret@127.0.0.1:1', timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.not.stringContaining('secret'),
    });
  });
});

const pgUp = await reachable(PG_URL);

describe.skipIf(!up || !pgUp)('composite postgres + redis', () => {
  it('opens from a postgres url with a redis option: logs in PostgreSQL, the rest in Redis', async () => {
    const { openStore } = await import('../../src/store/open.js');
    const schema = `warden_test_${run}_composite`;
    const store = await openStore(PG_URL, { redis: REDIS_URL, schema, prefix: `warden-test:${run}:composite:` });
    expect(store.kind).toBe('composite');
    expect(store.location).toContain('postgres://');
    expect(store.location).toContain('redis://');
    const key = `warden-test:${run}:composite`;
    expect(await store.counters.add(key, 2)).toEqual({ ok: true, value: 2 });
    expect(await store.log.append('composite', 'in postgres')).toBe(1);
    await store.counters.delete(key);
    await store.close();
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    expect((await client.query(`SELECT data FROM "${schema}".warden_log`)).rows).toEqual([{ data: '"in postgres"' }]);
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  });
});

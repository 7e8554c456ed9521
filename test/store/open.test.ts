/**
 * openStore's options: a bad timeout is refused before anything opens, and the timeout given is the
 * one a stalled PostgreSQL or Redis is held to (the store fails as unavailable, it never hangs).
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { PG_URL, REDIS_URL, serviceUp } from './live.js';

const redisUp = await serviceUp('Redis', REDIS_URL, 'redis-server on 127.0.0.1:6379');
const pgUp = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');

describe('openStore timeoutMs', () => {
  it.each([0, -1, 1.5, Number.NaN, '1000'])('refuses timeoutMs %s with ERR_OPTIONS', async (timeoutMs) => {
    await expect(openStore('memory:', { timeoutMs: timeoutMs as number })).rejects.toMatchObject({ code: 'ERR_OPTIONS', message: expect.stringContaining('timeoutMs') });
  });

  it('accepts a positive whole number of milliseconds', async () => {
    const store = await openStore('memory:', { timeoutMs: 250 });
    await store.close();
  });
});

describe.skipIf(!redisUp)('a stalled Redis is held to the timeout given', () => {
  it('a command on a stalled connection fails as unavailable instead of waiting for ever', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
    const store = await openStore(`redis://127.0.0.1:${proxy.port}`, { timeoutMs: 300, prefix: `warden-test:open:${process.pid}:` });
    try {
      await store.kv.set('k', 'v');
      proxy.stall();
      await expect(store.kv.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      proxy.restore();
      await store.close();
      await proxy.close();
    }
  });
});

describe.skipIf(!pgUp)('a stalled PostgreSQL is held to the timeout given', () => {
  it('a statement on a stalled connection fails as unavailable instead of waiting for ever', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(PG_URL).port || 5432));
    const u = new URL(PG_URL);
    u.host = `127.0.0.1:${proxy.port}`;
    const schema = `warden_open_${process.pid}`;
    const store = await openStore(u.toString(), { timeoutMs: 300, schema });
    try {
      await store.kv.set('k', 'v');
      proxy.stall();
      await expect(store.kv.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      proxy.restore();
      await store.close();
      await proxy.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});

/**
 * Kill propagation across three processes sharing a store: once `kill` returns, the first decision
 * in every process is a deny, and each process's in-flight call is aborted. Against SQLite, and
 * against PostgreSQL + Redis when they run here (in CI they must).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnChild, type Child } from '../../bench/kill-harness.js';
import { KillSwitch, parseKillTarget } from '../../src/runtime/index.js';
import { openStore } from '../../src/store/open.js';
import { ROOT } from '../helpers/cli.js';
import { PG_URL, REDIS_URL, serviceUp } from '../store/live.js';
import { ops } from './helpers.js';

const dist = join(dirname(inject('wardenCli')), '..');
const script = join(ROOT, 'bench', 'kill-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'warden-propagation-'));
const fleetUp = (await serviceUp('PostgreSQL', PG_URL, 'PostgreSQL on 127.0.0.1:5432')) && (await serviceUp('Redis', REDIS_URL, 'redis-server on 127.0.0.1:6379'));
const schema = `warden_test_prop_${randomBytes(4).toString('hex')}`;
const prefix = `warden-test:${schema}:`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!fleetUp) return;
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function propagate(env: Record<string, string>, open: () => ReturnType<typeof openStore>): Promise<void> {
  const children: Child[] = await Promise.all([0, 1, 2].map(() => spawnChild(script, { WARDEN_DIST: dist, SIGNER: ops.did, ...env })));
  const store = await open();
  try {
    const ks = new KillSwitch({ store, signers: [ops.did] });
    for (const c of children) c.send({ op: 'call', agent: 'bot' });
    for (const c of children) expect((await c.next((m) => m.started === 'bot')).allowed).toBe(true);
    await ks.kill(parseKillTarget('agent:bot'), { reason: 'propagation test', key: ops });
    for (const c of children) c.send({ op: 'decide', agent: 'bot' });
    const decisions = await Promise.all(children.map((c) => c.next((m) => m.decided === 'bot')));
    expect(decisions.map((d) => [d.allowed, d.rule])).toEqual([
      [false, 'kill-switch'],
      [false, 'kill-switch'],
      [false, 'kill-switch'],
    ]);
    const aborts = await Promise.all(children.map((c) => c.next((m) => m.aborted === 'bot')));
    expect(aborts).toHaveLength(3);
    for (const c of children) c.send({ op: 'decide', agent: 'other' });
    expect((await Promise.all(children.map((c) => c.next((m) => m.decided === 'other')))).map((d) => d.allowed)).toEqual([true, true, true]);
  } finally {
    await Promise.all(children.map((c) => c.exit()));
    await store.close();
  }
}

describe('kill propagation across three processes', () => {
  it('sqlite: every process denies its next decision and aborts its in-flight call', async () => {
    const url = `sqlite:${join(dir, 'state.db')}`;
    await propagate({ STORE_URL: url }, () => openStore(url));
  });

  it.skipIf(!fleetUp)('postgres + redis: every process denies its next decision and aborts its in-flight call', async () => {
    await propagate({ STORE_URL: PG_URL, REDIS_URL, PG_SCHEMA: schema, REDIS_PREFIX: prefix }, () => openStore(PG_URL, { redis: REDIS_URL, schema, prefix }));
  });
});

/**
 * A fleet losing its backends mid-load. Three `warden serve` processes reach PostgreSQL and Redis
 * through TCP forwarders this test owns (the shared servers are never touched). Two kinds of
 * outage: cut (every connection dropped, new ones refused: a server stopped) and stall (connections
 * stay open but no byte moves: a partition only timeouts notice). While PostgreSQL (the audit
 * chain) or Redis (kill state, counters) is out, every decision answered on every instance is a
 * denial with a reason, none allowed, none left hanging; once it returns, each instance serves
 * allowed decisions again without a restart; and every decision an instance answered as recorded
 * is in the audit chain, which verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../bench/fleet-harness.js';
import { readPostgresAuditRecords } from '../../src/audit/postgres-read.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { fleetOf, fleetPolicy, fleetServicesUp, PG_URL, REDIS_URL } from './fleet-fixture.js';

const up = await fleetServicesUp();

type Phase = 'up' | `${'pg' | 'redis'}-${'out' | 'back'}`;

interface Answer {
  instance: number;
  tool: string;
  path: string;
  sent: Phase;
  received: Phase;
  status: number;
  allowed: boolean;
  reason: string;
  recorded: boolean;
  call: string | undefined;
  effect: string | undefined;
}

/** The url with its host and port replaced by the forwarder's. */
function via(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.host = `127.0.0.1:${proxy.port}`;
  return u.toString();
}

let pg: TcpProxy;
let redis: TcpProxy;
let fleet: Fleet;
beforeAll(async () => {
  if (!up) return;
  pg = await TcpProxy.start('127.0.0.1', Number(new URL(PG_URL).port || 5432));
  redis = await TcpProxy.start('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
  // A limit no test reaches: refund calls draw from Redis counters as well as reading the kill state.
  // A stalled backend holds each call for the backend timeout: 1 s here (the default is 5 s) keeps the stall cases short.
  fleet = await fleetOf({ subjects: ['bot-a'], policy: fleetPolicy(1_000_000), via: { pg: via(PG_URL, pg), redis: via(REDIS_URL, redis) }, backendTimeout: '1s' });
}, 60_000);
afterAll(async () => {
  if (!up) return;
  await fleet?.drop();
  await pg?.close();
  await redis?.close();
});

describe.skipIf(!up)('three warden serve instances losing PostgreSQL, then Redis, mid-load', () => {
  // Denials to see on each instance before the backend returns (a stalled call waits out the 1 s backend timeout).
  const outages: Array<[kind: 'cut' | 'stall', denials: number]> = [
    ['cut', 10],
    ['stall', 2],
  ];
  it.each(outages)('deny with a reason while a backend is out (%s), serve again when it returns, and lose no acknowledged record', { timeout: 180_000 }, async (kind, denials) => {
    let phase: Phase = 'up';
    const answers: Answer[] = [];
    const unexpected: unknown[] = [];
    let stop = false;
    let n = 0;
    const worker = async (instance: number, w: number): Promise<void> => {
      while (!stop) {
        const tool = w % 2 === 0 ? 'write_file' : 'refund';
        const path = `/tmp/${instance}-${w}-${n++}`;
        const sent = phase;
        try {
          const { status, body } = await fleet.decide(instance, 'bot-a', { tool, args: { path, amount: 1 } });
          answers.push({ instance, tool, path, sent, received: phase, status, allowed: status === 200 && body.allowed === true, reason: String(body.reason ?? body.error?.message ?? ''), recorded: body.recorded === true, call: body.call, effect: body.effect });
        } catch (e) {
          unexpected.push(e);
        }
      }
    };
    const during = (p: Phase) => answers.filter((a) => a.sent === p && a.received === p);
    const allowedOnEach = (p: Phase) => [0, 1, 2].every((i) => answers.some((a) => a.instance === i && a.sent === p && a.allowed));
    const deniedOnEach = (p: Phase, k: number) => [0, 1, 2].every((i) => during(p).filter((a) => a.instance === i && !a.allowed).length >= k);
    const load = fleet.instances.flatMap((_, i) => [0, 1, 2, 3].map((w) => worker(i, w)));
    const poll = { timeout: 60_000 };
    try {
      await expect.poll(() => allowedOnEach('up'), poll).toBe(true);

      for (const [backend, proxy] of [['pg', pg], ['redis', redis]] as const) {
        if (kind === 'cut') proxy.cut();
        else proxy.stall();
        phase = `${backend}-out`;
        await expect.poll(() => deniedOnEach(`${backend}-out`, denials), poll).toBe(true);
        proxy.restore();
        phase = `${backend}-back`;
        await expect.poll(() => allowedOnEach(`${backend}-back`), poll).toBe(true);
      }
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(unexpected).toEqual([]);

    // While a backend was out, nothing was allowed, and every denial says why.
    for (const p of ['pg-out', 'redis-out'] as const) {
      expect(during(p).filter((a) => a.allowed)).toEqual([]);
      for (const a of during(p)) expect(a.reason).not.toBe('');
    }
    for (const a of during('pg-out')) expect(a).toMatchObject({ recorded: false, reason: expect.stringMatching(/could not be recorded/) });
    for (const a of during('redis-out')) expect(a.reason).toMatch(/The Redis store \S+ cannot be used/);
    // The processes never restarted.
    for (const instance of fleet.instances) expect(instance.child.exitCode).toBeNull();

    const verified = await fleet.verifyAudit();
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const records: AuditRecord[] = [];
    for await (const r of readPostgresAuditRecords({ url: PG_URL, schema: fleet.schema, stream: fleet.stream })) records.push(r);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
    const byCall = new Map(records.flatMap((r) => (r.type === 'decision' ? [[r.call as string, r] as const] : [])));
    const acknowledged = answers.filter((a) => a.recorded);
    expect(acknowledged.length).toBeGreaterThan(0);
    const missing = acknowledged.filter((a) => !byCall.has(a.call as string));
    expect(missing).toEqual([]);
    for (const a of acknowledged) expect(byCall.get(a.call as string)).toMatchObject({ request: { tool: a.tool, args: { path: a.path } }, decision: { effect: a.effect } });
    // Every allowed answer was an acknowledged one: nothing was allowed without its record.
    expect(answers.filter((a) => a.allowed && !a.recorded)).toEqual([]);
  });

  it('without a kill switch, a Redis outage denies only the calls that need Redis (limits), and the others go on being served', { timeout: 120_000 }, async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
    const plain = await fleetOf({ subjects: ['bot-a'], killSwitch: false, policy: fleetPolicy(1_000_000), via: { redis: via(REDIS_URL, proxy) }, backendTimeout: '1s' });
    try {
      const ask = (i: number, tool: string) => plain.decide(i, 'bot-a', { tool, args: { path: '/tmp/a' } });
      for (let i = 0; i < 3; i++) for (const tool of ['write_file', 'refund', 'payout']) expect((await ask(i, tool)).body.allowed).toBe(true);
      proxy.cut();
      for (let i = 0; i < 3; i++) {
        expect((await ask(i, 'write_file')).body).toMatchObject({ allowed: true, recorded: true });
        for (const [tool, limit] of [['refund', 'refunds-per-agent'], ['payout', 'payout-budget']] as const) {
          const { body } = await ask(i, tool);
          expect(body).toMatchObject({ allowed: false, rule: limit, errors: [{ code: 'limit_error' }], recorded: true });
          expect(body.reason).toMatch(/could not be checked .*The Redis store \S+ cannot be used/);
        }
      }
      proxy.restore();
      for (let i = 0; i < 3; i++) await expect.poll(async () => (await ask(i, 'refund')).body.allowed, { timeout: 30_000 }).toBe(true);
    } finally {
      await plain.drop();
      await proxy.close();
    }
  });
});

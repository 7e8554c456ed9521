/**
 * The kill switch across a fleet: three `warden serve` processes share one state store (kill
 * state in Redis, PostgreSQL for the durable parts). `warden kill agent:bot-a` is issued once,
 * from another process, while all three serve bot-a and bot-b under load: from the moment the
 * command returns, every instance denies bot-a's next call and every later one (rule
 * `kill-switch`, with the kill's reason, recorded), and bot-b is not affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../bench/fleet-harness.js';
import { fleetOf, fleetServicesUp } from './fleet-fixture.js';

const up = await fleetServicesUp();

let fleet: Fleet;
beforeAll(async () => {
  if (up) fleet = await fleetOf({ subjects: ['bot-a', 'bot-b'] });
}, 60_000);
afterAll(async () => {
  if (up) await fleet?.drop();
});

interface Seen {
  instance: number;
  subject: string;
  /** Sent after `warden kill` returned. */
  afterKill: boolean;
  allowed: boolean;
  rule: string | null | undefined;
  recorded: boolean | undefined;
}

describe.skipIf(!up)('warden kill across three warden serve instances', () => {
  it('one kill: every instance denies the killed agent from its next call on, and only that agent', { timeout: 120_000 }, async () => {
    const write = { tool: 'write_file', args: { path: '/tmp/report' } };
    for (let i = 0; i < 3; i++) expect((await fleet.decide(i, 'bot-a', write)).body.allowed).toBe(true);

    const seen: Seen[] = [];
    let killed = false;
    let stop = false;
    const load = fleet.instances.flatMap((_, instance) =>
      ['bot-a', 'bot-b'].map(async (subject) => {
        while (!stop) {
          const afterKill = killed;
          const { body } = await fleet.decide(instance, subject, write);
          seen.push({ instance, subject, afterKill, allowed: body.allowed === true, rule: body.rule, recorded: body.recorded });
        }
      }),
    );
    try {
      await expect.poll(() => seen.filter((s) => s.subject === 'bot-a').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(30);
      const kill = await fleet.kill('agent:bot-a', 'fleet test: runaway loop');
      expect(kill.code, kill.stderr).toBe(0);
      killed = true;

      // The next call on each instance, made after the command returned, is a deny.
      for (let i = 0; i < 3; i++) {
        const next = await fleet.decide(i, 'bot-a', write);
        expect(next.body).toMatchObject({ allowed: false, effect: 'deny', rule: 'kill-switch', recorded: true });
        expect(next.body.reason).toContain('fleet test: runaway loop');
      }
      // The load on every instance sees it too, and bot-b goes on being served.
      await expect.poll(() => [0, 1, 2].every((i) => seen.some((s) => s.instance === i && s.subject === 'bot-a' && s.afterKill && !s.allowed)), { timeout: 30_000 }).toBe(true);
      await expect.poll(() => [0, 1, 2].every((i) => seen.some((s) => s.instance === i && s.subject === 'bot-b' && s.afterKill && s.allowed)), { timeout: 30_000 }).toBe(true);
    } finally {
      stop = true;
      await Promise.all(load);
    }

    const afterA = seen.filter((s) => s.subject === 'bot-a' && s.afterKill);
    expect(afterA.filter((s) => s.allowed)).toEqual([]);
    for (const s of afterA) expect(s).toMatchObject({ rule: 'kill-switch', recorded: true });
    const b = seen.filter((s) => s.subject === 'bot-b');
    expect(b.filter((s) => !s.allowed)).toEqual([]);
    // Before the kill, bot-a was served on every instance.
    expect(new Set(seen.filter((s) => s.subject === 'bot-a' && !s.afterKill && s.allowed).map((s) => s.instance))).toEqual(new Set([0, 1, 2]));
  });
});

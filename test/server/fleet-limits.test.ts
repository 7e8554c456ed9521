/**
 * Limits shared by a fleet: three `warden serve` processes draw from the same counters (Redis,
 * one atomic script per check-and-charge). Under concurrent load on all three, a rate of N per day
 * and a budget of N in total each admit exactly N calls: no over-admission, no call lost to a
 * race; every refusal says `limit_exceeded` and is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet, FleetAnswer } from '../../bench/fleet-harness.js';
import { fleetOf, fleetPolicy, fleetServicesUp } from './fleet-fixture.js';

const up = await fleetServicesUp();
const LIMIT = 40;

let fleet: Fleet;
beforeAll(async () => {
  if (up) fleet = await fleetOf({ subjects: ['bot-a', 'bot-b'], policy: fleetPolicy(LIMIT) });
}, 60_000);
afterAll(async () => {
  if (up) await fleet?.drop();
});

/** `callers` concurrent callers on each instance, `each` calls apiece, all as `subject`. */
async function hammer(tool: string, subject: string, callers: number, each: number): Promise<FleetAnswer[]> {
  const answers: FleetAnswer[] = [];
  await Promise.all(
    fleet.instances.flatMap((_, i) =>
      Array.from({ length: callers }, async (_unused, c) => {
        for (let k = 0; k < each; k++) answers.push(await fleet.decide(i, subject, { tool, args: { amount: 1, n: `${i}-${c}-${k}` } }));
      }),
    ),
  );
  return answers;
}

describe.skipIf(!up)('a limit shared by three warden serve instances', () => {
  const cases: Array<[what: string, tool: string, rule: string]> = [
    [`a rate of ${LIMIT} per day per agent`, 'refund', 'refunds-per-agent'],
    [`a budget of ${LIMIT} in total`, 'payout', 'payout-budget'],
  ];
  it.each(cases)('%s admits exactly that many of 3 x 8 x 10 concurrent calls', { timeout: 120_000 }, async (_what, tool, rule) => {
    const answers = await hammer(tool, 'bot-a', 8, 10);
    expect(answers).toHaveLength(240);
    for (const a of answers) expect(a.status).toBe(200);
    const admitted = answers.filter((a) => a.body.allowed === true);
    expect(admitted).toHaveLength(LIMIT);
    for (const a of answers.filter((x) => x.body.allowed !== true)) {
      expect(a.body).toMatchObject({ effect: 'deny', rule, errors: [{ code: 'limit_exceeded' }], recorded: true });
    }
  });

  it('keys the rate per agent: bot-b has its own while bot-a is spent', async () => {
    const a = await fleet.decide(0, 'bot-a', { tool: 'refund', args: { amount: 1 } });
    const b = await Promise.all([0, 1, 2].map((i) => fleet.decide(i, 'bot-b', { tool: 'refund', args: { amount: 1 } })));
    expect(a.body).toMatchObject({ allowed: false, errors: [{ code: 'limit_exceeded' }] });
    expect(b.map((x) => x.body.allowed)).toEqual([true, true, true]);
  });
});

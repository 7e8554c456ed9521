/**
 * What the fleet tests share: whether PostgreSQL and Redis run here (outside CI an absent one
 * skips the fleet tests with a message; under CI=true it fails), the policy every instance
 * serves, and a fleet started from the CLI the test run built.
 */
import { inject } from 'vitest';
import { startFleet, type Fleet, type FleetOptions } from '../../bench/fleet-harness.js';
import { PG_URL, REDIS_URL, serviceUp } from '../store/live.js';

export { PG_URL, REDIS_URL };

/** Both services up (checked once per file). */
export async function fleetServicesUp(): Promise<boolean> {
  const pg = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');
  const redis = await serviceUp('Redis', REDIS_URL, 'redis-server on 127.0.0.1:6379');
  return pg && redis;
}

/**
 * The fleet's policy: writes under /tmp allowed, under /etc denied; `refund` drawn from a rate of
 * `limit` per day per agent, `payout` from a budget of `limit` in total.
 */
export function fleetPolicy(limit = 40): string {
  return `apiVersion: warden/v1
kind: Policy
name: fleet
rules:
  - name: no-etc
    tools: [write_file]
    when: "args.path.startsWith('/etc/')"
    effect: deny
  - name: writes
    tools: [write_file]
    effect: allow
  - name: money
    tools: [refund, payout]
    effect: allow
limits:
  - name: refunds-per-agent
    tools: [refund]
    key: [agent.id]
    rate: { limit: ${limit}, per: 1d }
  - name: payout-budget
    tools: [payout]
    budget: { max: ${limit}, amount: "1" }
`;
}

/** A fleet of `warden serve` processes from the CLI this test run built. */
export function fleetOf(options: Omit<FleetOptions, 'cli' | 'pgUrl' | 'redisUrl' | 'policy'> & { policy?: string }): Promise<Fleet> {
  return startFleet({ cli: inject('wardenCli'), pgUrl: PG_URL, redisUrl: REDIS_URL, policy: options.policy ?? fleetPolicy(), ...options });
}

/**
 * What the fleet tests share: whether PostgreSQL and Redis run here (outside CI an absent one
 * skips the fleet tests with a message; under CI=true it fails), and a fleet started from the
 * CLI the test run built, serving fleetPolicy (bench/fleet-harness.ts).
 */
import { inject } from 'vitest';
import { fleetPolicy, startFleet, type Fleet, type FleetOptions } from '../../bench/fleet-harness.js';
import { PG_URL, REDIS_URL, serviceUp } from '../store/live.js';

export { fleetPolicy, PG_URL, REDIS_URL };

/** Both services up (checked once per file). */
export async function fleetServicesUp(): Promise<boolean> {
  const pg = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');
  const redis = await serviceUp('Redis', REDIS_URL, 'redis-server on 127.0.0.1:6379');
  return pg && redis;
}

/** A fleet of `warden serve` processes from the CLI this test run built. */
export function fleetOf(options: Omit<FleetOptions, 'cli' | 'pgUrl' | 'redisUrl' | 'policy'> & { policy?: string }): Promise<Fleet> {
  return startFleet({ cli: inject('wardenCli'), pgUrl: PG_URL, redisUrl: REDIS_URL, policy: options.policy ?? fleetPolicy(40), ...options });
}

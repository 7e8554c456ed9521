/**
 * Whether the PostgreSQL and Redis services this machine runs are up. Outside CI an absent service
 * skips its tests with a message saying what to start; with CI=true it is a failure.
 */
import { Socket } from 'node:net';

export const PG_URL = process.env.WARDEN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.WARDEN_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export async function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'redis:' ? 6379 : 5432));
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, u.hostname, () => done(true));
  });
}

/** Up, or: under CI, throws; outside, warns what to start and answers false. */
export async function serviceUp(name: string, url: string, start: string): Promise<boolean> {
  const up = await reachable(url);
  if (!up && process.env.CI) throw new Error(`${name} is not reachable at ${url}; CI must run the live store tests (${start}).`);
  if (!up) console.warn(`${name} store tests skipped: nothing at ${url}. Start it (${start}) to run them.`);
  return up;
}

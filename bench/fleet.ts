/**
 * The fleet bench (issue 19, "Three instances"): three `warden serve` processes (dist/cli/main.js,
 * so run `npm run build` first) on one PostgreSQL (audit chain, durable state) and one Redis
 * (counters, kill state), the load generator in this process on the same 2 cores.
 *
 * - Load: decisions/s and latency with 16 callers per instance, then `warden audit verify` on the
 *   stream and the record count against the acknowledged decisions.
 * - Kill propagation: per trial a fresh agent is polled on every instance (one request in flight
 *   each); the kill is written with the library (`KillSwitch.kill`, what `warden kill` runs) and the
 *   time from just before that call to each instance's first denial is one sample (target: p99 at
 *   most 100 ms). A few trials of the `warden kill` command itself (a Node process start) beside it.
 * - Limits: a rate and a budget of N shared by the three under 16 callers each: admitted vs N.
 *
 * Run: `npm run build && npm run bench -- fleet` (read the load average printed).
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileKeyStore } from '../src/identity/key-store.js';
import { KillSwitch, parseKillTarget } from '../src/runtime/kill.js';
import { openStore } from '../src/store/open.js';
import { fleetPolicy, startFleet, type Fleet } from './fleet-harness.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PG = process.env.WARDEN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.WARDEN_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const KILL_TRIALS = 40;
const CLI_KILL_TRIALS = 5;
const LIMIT = 300;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? Number.NaN;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

/** `callers` concurrent callers per instance, `each` calls apiece; the answers and the wall time. */
async function load(fleet: Fleet, subject: string, callers: number, each: number, request: (i: number, k: number) => unknown): Promise<{ allowed: number; recorded: number; total: number; seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let allowed = 0;
  let recorded = 0;
  const start = performance.now();
  await Promise.all(
    fleet.instances.flatMap((_, i) =>
      Array.from({ length: callers }, async (_unused, c) => {
        for (let k = 0; k < each; k++) {
          const t0 = performance.now();
          const { body } = await fleet.decide(i, subject, request(i, c * each + k));
          latencies.push(performance.now() - t0);
          if (body.allowed === true) allowed++;
          if (body.recorded === true) recorded++;
        }
      }),
    ),
  );
  return { allowed, recorded, total: latencies.length, seconds: (performance.now() - start) / 1000, latencies };
}

interface Trial {
  /** From just before the kill was issued to each instance's first denial. */
  seen: number[];
  /** Latency of each instance's first call sent after the kill returned. */
  next: number[];
  /** Calls sent after the kill returned that were allowed (must be 0). */
  late: number;
  /** How long the kill took to return. */
  write: number;
}

/**
 * One trial: `subject` is polled on every instance (one call in flight each) until each has
 * answered once, then `kill` runs, and the polling goes on until every instance has denied a call
 * sent after the kill returned.
 */
async function trial(fleet: Fleet, subject: string, kill: () => Promise<unknown>): Promise<Trial> {
  let warm: () => void = () => undefined;
  const warmed = new Promise<void>((resolve) => (warm = resolve));
  let answered = 0;
  let t0 = Number.NaN;
  let killed = Number.POSITIVE_INFINITY;
  const out: Trial = { seen: [], next: [], late: 0, write: 0 };
  const polls = fleet.instances.map(async (_, i) => {
    let firstDenial = true;
    for (;;) {
      const sent = performance.now();
      const { body } = await fleet.decide(i, subject, { tool: 'write_file', args: { path: '/tmp/x' } });
      const at = performance.now();
      if (++answered === fleet.instances.length) warm();
      if (body.allowed !== true && firstDenial) {
        firstDenial = false;
        out.seen.push(at - t0);
      }
      if (sent >= killed) {
        if (body.allowed === true) out.late++;
        out.next.push(at - sent);
        return;
      }
    }
  });
  await warmed;
  t0 = performance.now();
  await kill();
  killed = performance.now();
  out.write = killed - t0;
  await Promise.all(polls);
  return out;
}

async function killPropagation(fleet: Fleet): Promise<string[]> {
  const key = await new FileKeyStore(join(fleet.dir, 'identity')).load('ops');
  const store = await openStore(PG, { redis: REDIS, schema: fleet.schema, prefix: fleet.prefix });
  const ks = new KillSwitch({ store, signers: [key.did] });
  const all: Trial[] = [];
  const cli: Trial[] = [];
  try {
    for (let t = 0; t < KILL_TRIALS; t++) all.push(await trial(fleet, `agent-${t}`, () => ks.kill(parseKillTarget(`agent:agent-${t}`), { reason: 'bench', key })));
  } finally {
    await store.close();
  }
  for (let t = KILL_TRIALS; t < KILL_TRIALS + CLI_KILL_TRIALS; t++) {
    cli.push(
      await trial(fleet, `agent-${t}`, async () => {
        const r = await fleet.kill(`agent:agent-${t}`, 'bench');
        if (r.code !== 0) throw new Error(`warden kill failed: ${r.stderr}`);
      }),
    );
  }
  const seen = all.flatMap((x) => x.seen);
  const next = all.flatMap((x) => x.next);
  const writes = all.map((x) => x.write);
  const cliSeen = cli.flatMap((x) => x.seen);
  const late = [...all, ...cli].reduce((n, x) => n + x.late, 0);
  return [
    `kill propagation, KillSwitch.kill issued -> first denial on each instance (${KILL_TRIALS} trials x 3 = ${seen.length} samples): p50 ${ms(pct(seen, 0.5))}, p99 ${ms(pct(seen, 0.99))}, max ${ms(Math.max(...seen))} (target p99 <= 100 ms: ${pct(seen, 0.99) <= 100 ? 'met' : 'NOT met'})`,
    `  the kill itself (Redis compare-and-set + publish): p50 ${ms(pct(writes, 0.5))}, p99 ${ms(pct(writes, 0.99))}`,
    `  the first call sent after the kill returned, on each instance: p50 ${ms(pct(next, 0.5))}, p99 ${ms(pct(next, 0.99))}; allowed: ${late} of ${next.length + cli.length * 3}`,
    `warden kill command issued -> first denial on each instance (${cliSeen.length} samples, includes starting Node): p50 ${ms(pct(cliSeen, 0.5))}, max ${ms(Math.max(...cliSeen))}`,
  ];
}

/** Runs the fleet bench and prints its figures. */
export async function run(): Promise<void> {
  console.log(`\n## fleet: three warden serve processes on one PostgreSQL + Redis (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  if (!existsSync(CLI)) {
    console.log(`skipped: ${CLI} is missing; run npm run build first.`);
    return;
  }
  const subjects = ['bot', 'bot-2', ...Array.from({ length: KILL_TRIALS + CLI_KILL_TRIALS }, (_, t) => `agent-${t}`)];
  let fleet: Fleet;
  try {
    fleet = await startFleet({ cli: CLI, pgUrl: PG, redisUrl: REDIS, policy: fleetPolicy(LIMIT), subjects });
  } catch (e) {
    console.log(`skipped: the fleet did not start (PostgreSQL at ${PG} and Redis at ${REDIS} must run): ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  try {
    const l = await load(fleet, 'bot', 16, 100, (i, k) => ({ tool: k % 4 === 0 ? 'delete_file' : 'write_file', args: { path: `/tmp/${i}-${k}` } }));
    const verify = await fleet.verifyAudit();
    const result = JSON.parse(verify.stdout || '{}') as { ok?: boolean; decisions?: number };
    console.log(`load: ${l.total} decisions (3 x 16 callers), ${Math.round(l.total / l.seconds).toLocaleString('en-US')} decisions/s, p50 ${ms(pct(l.latencies, 0.5))}, p99 ${ms(pct(l.latencies, 0.99))}; ${l.recorded} acknowledged as recorded`);
    console.log(`audit verify on the shared stream: ${result.ok === true ? 'ok' : `FAILED ${verify.stdout}${verify.stderr}`}, ${result.decisions} decision records for ${l.recorded} acknowledged decisions`);

    for (const line of await killPropagation(fleet)) console.log(line);

    for (const [what, tool] of [['rate of N per day', 'refund'], ['budget of N', 'payout']] as const) {
      const r = await load(fleet, 'bot-2', 16, Math.ceil((LIMIT * 3) / 48), (i, k) => ({ tool, args: { n: `${i}-${k}` } }));
      console.log(`limit (${what}, N = ${LIMIT}), ${r.total} concurrent calls on 3 instances: ${r.allowed} admitted, ${Math.max(0, r.allowed - LIMIT)} over-admissions, ${Math.max(0, LIMIT - r.allowed)} under`);
    }
  } finally {
    await fleet.drop();
  }
}

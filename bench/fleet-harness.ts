/**
 * A fleet of `warden serve` processes on one PostgreSQL and one Redis, for the fleet tests
 * (test/server/fleet-*.test.ts) and the fleet bench (bench/fleet.ts). Each process is started from
 * the built CLI with `--listen 127.0.0.1:0` and found by its "listening on" log line. Every fleet
 * gets its own PostgreSQL schema (state store and audit tables), Redis key prefix and audit stream,
 * so fleets never meet each other or anyone else's data; `drop()` removes all three.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The audit HMAC key every instance of a fleet shares (WARDEN_AUDIT_HMAC_KEY). */
export const FLEET_HMAC = 'fleet-harness-hmac-key-0123456789';

/**
 * The policy the fleet tests and bench serve: `write_file` allowed, `delete_file` denied, and
 * `refund` and `payout` allowed but drawn from a rate of `limit` per day per agent and a budget
 * of `limit` in total.
 *
 * @example
 * ```ts
 * const fleet = await startFleet({ cli, pgUrl, redisUrl, policy: fleetPolicy(40), subjects: ['bot'] });
 * ```
 */
export function fleetPolicy(limit: number): string {
  return `apiVersion: warden/v1
kind: Policy
name: fleet
rules:
  - name: no-deletes
    tools: [delete_file]
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

/** One run of a CLI command. */
export interface FleetCliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A decision answer: the HTTP status and the parsed body. */
export interface FleetAnswer {
  status: number;
  body: { allowed?: boolean; effect?: string; reason?: string; rule?: string | null; call?: string; recorded?: boolean; errors?: Array<{ code: string; message: string }>; error?: { code: string; message: string } } & Record<string, unknown>;
}

/** Where the fleet's instances reach PostgreSQL and Redis, and where the harness itself does. */
export interface FleetOptions {
  /** The built CLI (dist/cli/main.js). */
  cli: string;
  /** PostgreSQL as the harness reaches it (schema set-up, reads, drop). */
  pgUrl: string;
  /** Redis as the harness reaches it (dropping the fleet's keys). */
  redisUrl: string;
  /** PostgreSQL and Redis as the instances reach them (a forwarder in front, to cut); default the harness's. */
  via?: { pg?: string; redis?: string };
  /** The policy (YAML) every instance serves. */
  policy: string;
  /** Callers: each gets a bearer token naming it as the subject (the agent id of its calls). */
  subjects: string[];
  /** How many instances; default 3. */
  instances?: number;
  /** Give the instances a runtime (kill switch) whose one signer is the fleet's `ops` identity; default true. */
  killSwitch?: boolean;
  /** The instances' `--backend-timeout` (e.g. `1s`): how long a stalled PostgreSQL or Redis holds a call; default the service's (5 s). */
  backendTimeout?: string;
}

/** One running instance. */
export interface FleetInstance {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** What it wrote to stderr so far. */
  log(): string;
}

/** A running fleet. */
export interface Fleet {
  readonly dir: string;
  readonly schema: string;
  readonly prefix: string;
  readonly stream: string;
  readonly instances: FleetInstance[];
  /** The bearer token of a subject. */
  token(subject: string): string;
  /** POST /v1/decide to instance `i` as `subject`. */
  decide(i: number, subject: string, request: unknown): Promise<FleetAnswer>;
  /** Runs the CLI in the fleet's directory. */
  cli(args: string[]): Promise<FleetCliRun>;
  /** The store flags the instances were given (for warden kill and friends), as the harness reaches the store. */
  storeArgs(): string[];
  /** `warden kill <target>` signed by the fleet's ops identity, on the fleet's store. */
  kill(target: string, reason: string): Promise<FleetCliRun>;
  /** `warden audit verify --json` on the fleet's PostgreSQL stream. */
  verifyAudit(): Promise<FleetCliRun>;
  /** The ops identity (did) that signs kills; null without a kill switch. */
  readonly signer: string | null;
  /** SIGTERM to every instance; resolves with their exit codes. */
  stop(): Promise<Array<number | null>>;
  /** Stops what still runs and removes the schema, the Redis keys and the directory. */
  drop(): Promise<void>;
}

const run = randomBytes(4).toString('hex');
let fleets = 0;

/**
 * Runs the CLI as a child process.
 *
 * @example
 * ```ts
 * const r = await runWarden('dist/cli/main.js', ['audit', 'verify', '--postgres', url, '--json'], dir);
 * ```
 */
export function runWarden(cli: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<FleetCliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/**
 * Starts `warden serve` and resolves with its url once it logs "listening on"; rejects with its log if it exits first.
 *
 * @example
 * ```ts
 * const instance = await startServe('dist/cli/main.js', ['--policy', 'policy.yaml'], dir, { WARDEN_SERVE_TOKEN: token });
 * ```
 */
export function startServe(cli: string, args: string[], cwd: string, env: Record<string, string>): Promise<FleetInstance> {
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
  let stderr = '';
  child.stdout.resume();
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on (https?:\/\/[^ ]+)/.exec(stderr);
      if (m) resolve({ url: m[1] as string, child, log: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`warden serve exited ${code}: ${stderr}`)));
  });
}

/**
 * SIGTERM, and the exit code.
 *
 * @example
 * ```ts
 * const code = await stopServe(instance.child); // 0 after a clean shutdown
 * ```
 */
export function stopServe(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

/**
 * Starts a fleet: a fresh schema, prefix and stream, an ops identity that signs kills, a token per
 * subject, and `instances` serve processes started in parallel.
 *
 * @example
 * ```ts
 * const fleet = await startFleet({ cli: 'dist/cli/main.js', pgUrl, redisUrl, policy, subjects: ['bot'] });
 * const a = await fleet.decide(0, 'bot', { tool: 'read_file', args: { path: '/a' } });
 * await fleet.drop();
 * ```
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const n = ++fleets;
  const dir = mkdtempSync(join(tmpdir(), 'warden-fleet-'));
  const schema = `warden_fleet_${run}_${n}`;
  const prefix = `warden-fleet:${run}:${n}:`;
  const stream = `fleet-${run}-${n}`;
  const tokens = new Map(options.subjects.map((s) => [s, `${s}-${randomBytes(18).toString('hex')}`]));
  const token = (subject: string): string => {
    const t = tokens.get(subject);
    if (t === undefined) throw new Error(`no token for ${subject}: list it in subjects`);
    return t;
  };
  writeFileSync(join(dir, 'policy.yaml'), options.policy);
  writeFileSync(join(dir, 'tokens'), [...tokens].map(([s, t]) => `${s} ${t}`).join('\n') + '\n', { mode: 0o600 });
  const env = { WARDEN_AUDIT_HMAC_KEY: FLEET_HMAC };
  const instances: FleetInstance[] = [];
  const pgVia = options.via?.pg ?? options.pgUrl;
  const redisVia = options.via?.redis ?? options.redisUrl;
  const storeArgs = (pg: string, redis: string): string[] => ['--store', pg, '--store-schema', schema, '--redis', redis, '--redis-prefix', prefix];
  let signer: string | null = null;

  const cli = (args: string[]): Promise<FleetCliRun> => runWarden(options.cli, args, dir, env);
  const stop = async (): Promise<Array<number | null>> => Promise.all(instances.map((i) => stopServe(i.child)));
  const drop = async (): Promise<void> => {
    await stop();
    await dropFleetData(options.pgUrl, options.redisUrl, schema, prefix);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.killSwitch !== false) {
      const made = await cli(['id', 'new', 'ops', '--dir', 'identity', '--json']);
      if (made.code !== 0) throw new Error(`warden id new failed: ${made.stderr}`);
      signer = (JSON.parse(made.stdout) as { did: string }).did;
      writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ signers: [signer] }));
    }
    const args = [
      '--policy', 'policy.yaml', '--token-file', 'tokens',
      ...storeArgs(pgVia, redisVia),
      '--audit-postgres', pgVia, '--audit-schema', schema, '--audit-stream', stream,
      ...(signer === null ? [] : ['--config', 'runtime.json']),
      ...(options.backendTimeout === undefined ? [] : ['--backend-timeout', options.backendTimeout]),
    ];
    // One at a time: the first creates the schema's tables, so the others never race to.
    instances.push(await startServe(options.cli, args, dir, env));
    instances.push(...(await Promise.all(Array.from({ length: (options.instances ?? 3) - 1 }, () => startServe(options.cli, args, dir, env)))));
  } catch (e) {
    await drop();
    throw e;
  }
  return {
    dir,
    schema,
    prefix,
    stream,
    instances,
    signer,
    token,
    async decide(i, subject, request) {
      const instance = instances[i % instances.length] as FleetInstance;
      const res = await fetch(`${instance.url}/v1/decide`, { method: 'POST', headers: { authorization: `Bearer ${token(subject)}`, 'content-type': 'application/json' }, body: JSON.stringify(request) });
      return { status: res.status, body: (await res.json()) as FleetAnswer['body'] };
    },
    cli,
    storeArgs: () => storeArgs(options.pgUrl, options.redisUrl),
    kill: (target, reason) => cli(['kill', target, '--reason', reason, '--key', 'ops', '--key-dir', 'identity', '--config', 'runtime.json', ...storeArgs(options.pgUrl, options.redisUrl)]),
    verifyAudit: () => cli(['audit', 'verify', '--postgres', options.pgUrl, '--schema', schema, '--stream', stream, '--json']),
    stop,
    drop,
  };
}

/** Drops a fleet's schema and deletes its Redis keys. */
async function dropFleetData(pgUrl: string, redisUrl: string, schema: string, prefix: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

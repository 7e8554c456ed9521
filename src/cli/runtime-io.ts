/**
 * Shared plumbing of the runtime commands (`warden trust`, `warden ring`, `warden kill`,
 * `warden revive`, `warden status`): the runtime config file, opening its store, loading a signing
 * key, durations.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { WardenError } from '../errors.js';
import type { AgentKey } from '../identity/agent-key.js';
import { FileKeyStore } from '../identity/key-store.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { createRuntime, type Runtime } from '../runtime/runtime.js';
import type { RingConfig } from '../runtime/rings.js';
import { openStore, type OpenStoreOptions } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { TrustModel } from '../trust/model.js';
import { DEFAULT_IDENTITY_DIR, usage } from './identity-io.js';

/** Where the runtime config lives unless `--config` says otherwise. */
export const DEFAULT_RUNTIME_CONFIG = join('.warden', 'runtime.json');
/** The store unless the config or `--store` names another. */
export const DEFAULT_STORE = 'sqlite:.warden/state.db';

/**
 * The runtime config file (JSON): which store, who signs, the trust model and the rings.
 *
 * @example
 * ```ts
 * const c: RuntimeConfigFile = { store: 'sqlite:.warden/state.db', signers: ['did:key:z6Mk...'], rings: { agents: { orchestrator: 0 } } };
 * ```
 */
export interface RuntimeConfigFile {
  store?: string;
  redis?: string;
  signers?: string[];
  approvers?: string[];
  trust?: Partial<TrustModel>;
  rings?: RingConfig;
  maxElevationMs?: number;
}

/** The flags every runtime command takes. */
export interface RuntimeFlags extends StoreFlags {
  config?: string;
  store?: string;
}

/** The flags that place a store's data inside a shared PostgreSQL or Redis (`warden serve` takes them too). */
export interface StoreFlags {
  redis?: string;
  storeSchema?: string;
  redisPrefix?: string;
}

/** Adds `--config`, `--store`, `--store-schema`, `--redis` and `--redis-prefix` to a command. */
export function runtimeFlags(command: Command): Command {
  return command
    .option('--config <file>', `the runtime config (JSON: store, signers, approvers, trust, rings); default ${DEFAULT_RUNTIME_CONFIG} when it exists`)
    .option('--store <url>', `the state store: sqlite:<path>, postgres://..., redis://... (default: the config's, else ${DEFAULT_STORE})`)
    .option('--store-schema <name>', 'with a postgres:// store: the schema of its tables (default public)')
    .option('--redis <url>', 'with a postgres:// store: keep counters, keys and the broadcast in this Redis')
    .option('--redis-prefix <prefix>', 'with Redis: the prefix of every key and channel (default warden:)');
}

/**
 * The openStore options the store flags name; `--redis-prefix` without any Redis is refused
 * (openStore refuses `--store-schema` without PostgreSQL), so a flag is never silently ignored.
 *
 * @example
 * ```ts
 * storeOptionsOf({ redis: 'redis://127.0.0.1:6379', storeSchema: 'staging', redisPrefix: 'staging:' });
 * // { redis: 'redis://127.0.0.1:6379', schema: 'staging', prefix: 'staging:' }
 * ```
 */
export function storeOptionsOf(flags: StoreFlags, url?: string): OpenStoreOptions {
  if (flags.redisPrefix !== undefined && flags.redis === undefined && !(url ?? '').startsWith('redis')) throw usage('--redis-prefix goes with a Redis store: --redis <url>, or --store redis://...');
  return {
    ...(flags.redis === undefined ? {} : { redis: flags.redis }),
    ...(flags.storeSchema === undefined ? {} : { schema: flags.storeSchema }),
    ...(flags.redisPrefix === undefined ? {} : { prefix: flags.redisPrefix }),
  };
}

/** Reads the config file: the named one must exist; the default one may be absent. */
export async function readRuntimeConfig(flags: RuntimeFlags): Promise<RuntimeConfigFile> {
  const path = flags.config ?? DEFAULT_RUNTIME_CONFIG;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (flags.config === undefined && (e as { code?: string }).code === 'ENOENT') return {};
    throw new WardenError('ERR_INPUT', `Cannot read the runtime config ${path}: ${(e as Error).message}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usage(`The runtime config ${path} is not JSON: ${(e as Error).message}.`);
  }
  rejectUnknownKeys(parsed, ['store', 'redis', 'signers', 'approvers', 'trust', 'rings', 'maxElevationMs'], 'ERR_USAGE', `the runtime config ${path}`);
  return parsed as RuntimeConfigFile;
}

/** Opens the store the flags and config name. */
export async function openConfiguredStore(flags: RuntimeFlags, config: RuntimeConfigFile): Promise<Store> {
  const url = flags.store ?? config.store ?? DEFAULT_STORE;
  const redis = flags.redis ?? config.redis;
  return openStore(url, storeOptionsOf({ ...flags, ...(redis === undefined ? {} : { redis }) }, url));
}

/**
 * The runtime over the configured store. Without signers in the config, `extraSigner` (the key the
 * command signs with) is trusted for this run, so `warden kill --key ops` works on a fresh setup;
 * the pipeline's processes must list it in their signers to honour what it signs.
 */
export async function openRuntime(flags: RuntimeFlags, extraSigner?: string): Promise<{ runtime: Runtime; store: Store; config: RuntimeConfigFile }> {
  const config = await readRuntimeConfig(flags);
  const signers = config.signers ?? (extraSigner === undefined ? [] : [extraSigner]);
  if (signers.length === 0) throw usage('No runtime signers: list the DIDs that sign kills and elevations in the runtime config ("signers": ["did:key:..."]); warden id new makes one.');
  const store = await openConfiguredStore(flags, config);
  try {
    const runtime = createRuntime({
      store,
      signers,
      ...(config.approvers === undefined ? {} : { approvers: config.approvers }),
      ...(config.trust === undefined ? {} : { trust: config.trust }),
      ...(config.rings === undefined ? {} : { rings: config.rings }),
      ...(config.maxElevationMs === undefined ? {} : { maxElevationMs: config.maxElevationMs }),
      trustEvents: false,
    });
    return { runtime, store, config };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Loads a signing key from the identity key store (`warden id new <name>` makes one). */
export async function loadKey(name: string | undefined, dir: string | undefined): Promise<AgentKey> {
  if (name === undefined) throw usage('Give --key <name>: the identity that signs (warden id new <name> makes one).');
  return new FileKeyStore(dir ?? DEFAULT_IDENTITY_DIR).load(name);
}

/** A duration flag (`90s`, `15m`, `2h`, `1d`, or plain milliseconds) in milliseconds. */
export function durationMs(value: string, flag: string): number {
  const m = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(value);
  if (m === null) throw usage(`${flag} ${JSON.stringify(value)} is not a duration (90s, 15m, 2h, 1d).`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * Chaos experiments shared by every process on one state store: `warden chaos run` (or
 * {@link startSharedExperiment}) decides the experiment under the policy, signs it with a runtime
 * signer's key and adds it to one key-value entry; every SRE runtime on the store with those
 * signers injects its fault until it expires or is stopped. Stopping removes it from the entry, so
 * it ends in every process at the next call; a kill of all, or of an agent the experiment covers,
 * ends it the same way (see {@link experimentsKilled}).
 */
import { randomBytes } from 'node:crypto';
import { WardenError } from '../errors.js';
import type { AgentKey } from '../identity/agent-key.js';
import { openDocument, signDocument, type SignedDocument } from '../runtime/signed.js';
import { storeKey } from '../store/check.js';
import type { JsonValue, KvEntry, Store } from '../store/types.js';
import { defineExperiment, type ExperimentDefinition, type ExperimentSpec } from './chaos.js';

/** The key holding the running experiments. */
export const CHAOS_KEY = storeKey('sre', 'chaos');
/** The log every start and stop is appended to. */
export const CHAOS_LOG = storeKey('sre', 'chaos-log');
/** The broadcast channel that wakes processes when the experiments change. */
export const CHAOS_CHANNEL = 'sre-chaos';
/** The signature purpose of a shared experiment. */
export const CHAOS_PURPOSE = 'warden.chaos-experiment';
/** The tool name under which starting an experiment is decided by the policy. */
export const CHAOS_START_TOOL = 'warden.chaos.start';
/** Most experiments running at once on one store. */
const MAX_RUNNING = 100;
const ROUNDS = 16;

/**
 * A running shared experiment, as signed.
 *
 * @example
 * ```ts
 * const e: SharedExperiment = { id: 'ch_x', spec: { name: 'flaky', tools: ['search'], fault: { latency: '2s' }, duration: '5m' }, startedAt: 0, endsAt: 300000, by: 'did:key:z6Mk...', reason: 'game day' };
 * ```
 */
export interface SharedExperiment {
  id: string;
  spec: ExperimentSpec;
  startedAt: number;
  endsAt: number;
  by: string;
  reason: string;
}

/**
 * Decides a start, as the pipeline's `decide` (or a Governor's `check`) would: only an allowed
 * verdict starts the experiment.
 *
 * @example
 * ```ts
 * const authorize: ChaosAuthorizer = (request) => governor.check(request);
 * ```
 */
export type ChaosAuthorizer = (request: { tool: string; args: Record<string, unknown> }) => Promise<{ allowed: boolean; reason: string }>;

function docs(value: JsonValue | undefined): SignedDocument[] {
  const list = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, JsonValue>).experiments : undefined;
  return Array.isArray(list) ? (list as unknown as SignedDocument[]) : [];
}

function payloadOf(doc: SignedDocument, signers: ReadonlySet<string> | null): SharedExperiment | null {
  const opened = signers === null ? { payload: (doc as { payload?: JsonValue })?.payload ?? null } : openDocument(doc, CHAOS_PURPOSE, signers);
  if ('error' in opened) return null;
  const p = opened.payload as Partial<Record<keyof SharedExperiment, unknown>> | null;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return null;
  if (typeof p.id !== 'string' || !Number.isSafeInteger(p.startedAt) || !Number.isSafeInteger(p.endsAt) || p.spec === null || typeof p.spec !== 'object') return null;
  return p as SharedExperiment;
}

/**
 * Starts an experiment for every process on `store`: validated, decided by `authorize` as tool
 * `warden.chaos.start`, signed with `key` (one of `signers`), recorded in the chaos log.
 *
 * @example
 * ```ts
 * await startSharedExperiment(store, spec, { key: ops, signers: [ops.did], reason: 'game day', authorize: (r) => governor.check(r) });
 * ```
 * @throws WardenError `ERR_CHAOS_DENIED` when the decision is not an allow (or there is none);
 *   `ERR_SRE_CONFIG` for an invalid experiment, one of that name running, or a key that is not a signer.
 */
export async function startSharedExperiment(store: Store, spec: ExperimentSpec, options: { key: AgentKey; signers: readonly string[]; reason: string; authorize: ChaosAuthorizer }): Promise<SharedExperiment> {
  const definition = defineExperiment(spec);
  if (typeof options?.authorize !== 'function') throw new WardenError('ERR_CHAOS_DENIED', `Chaos experiment "${definition.name}" is started only when the policy decides it: give a policy (warden chaos run --policy).`);
  if (!options.signers.includes(options.key?.did)) throw new WardenError('ERR_SRE_CONFIG', `The key ${String(options.key?.did)} is not one of the runtime signers, so processes would not trust the experiment; add its DID to signers.`);
  const reason = String(options.reason ?? '');
  if (reason.trim() === '' || reason.length > 500) throw new WardenError('ERR_USAGE', 'Give a reason for the experiment (at most 500 characters).');
  const args = { name: definition.name, tools: [...definition.selector.tools], agents: definition.selector.agents === null ? null : [...definition.selector.agents], hosts: definition.selector.hosts === null ? null : [...definition.selector.hosts], fault: { ...definition.fault }, fraction: definition.fraction, durationMs: definition.durationMs, maxCalls: definition.maxCalls };
  let verdict: { allowed: boolean; reason: string };
  try {
    verdict = await options.authorize({ tool: CHAOS_START_TOOL, args });
  } catch (e) {
    throw new WardenError('ERR_CHAOS_DENIED', `Starting chaos experiment "${definition.name}" could not be decided (${e instanceof Error ? e.message : String(e)}); nothing was started.`, { cause: e });
  }
  if (verdict?.allowed !== true) throw new WardenError('ERR_CHAOS_DENIED', `Starting chaos experiment "${definition.name}" was not allowed: ${String(verdict?.reason ?? 'no reason')}`);
  for (let round = 0; round < ROUNDS; round++) {
    const now = store.now();
    const entry = await store.kv.get(CHAOS_KEY);
    const live = docs(entry?.value).filter((d) => {
      const p = payloadOf(d, null);
      return p !== null && p.endsAt > now;
    });
    if (live.some((d) => payloadOf(d, null)?.spec.name === definition.name)) throw new WardenError('ERR_SRE_CONFIG', `Chaos experiment "${definition.name}" is already running on ${store.location}; stop it first (warden chaos stop ${definition.name}).`);
    if (live.length >= MAX_RUNNING) throw new WardenError('ERR_SRE_CONFIG', `${MAX_RUNNING} chaos experiments are running on ${store.location}; stop one first.`);
    const experiment: SharedExperiment = { id: `ch_${randomBytes(9).toString('base64url')}`, spec, startedAt: now, endsAt: now + definition.durationMs, by: options.key.did, reason };
    const doc = signDocument(options.key, CHAOS_PURPOSE, experiment as unknown as JsonValue);
    const ttlMs = Math.max(1, Math.max(definition.durationMs, ...live.map((d) => (payloadOf(d, null)?.endsAt ?? now) - now)));
    if ((await store.kv.compareAndSet(CHAOS_KEY, entry?.version ?? null, { experiments: [...live, doc] as unknown as JsonValue[] }, { ttlMs })) === null) continue;
    await store.log.append(CHAOS_LOG, { event: 'start', ...doc } as unknown as JsonValue);
    await store.bus.publish(CHAOS_CHANNEL, 'start').catch(() => undefined);
    return experiment;
  }
  throw new WardenError('ERR_STORE_UNAVAILABLE', `The running chaos experiments on ${store.location} changed ${ROUNDS} times while starting "${definition.name}"; try again.`);
}

/**
 * Stops running experiments (one by name, or all), in every process on the store. Stopping needs
 * no permission: it only ever makes calls run unharmed. Returns the names stopped.
 *
 * @example
 * ```ts
 * await stopSharedExperiments(store, { reason: 'done', by: 'ops' });
 * ```
 */
export async function stopSharedExperiments(store: Store, options: { name?: string; reason: string; by: string; where?: (e: SharedExperiment) => boolean }): Promise<string[]> {
  for (let round = 0; round < ROUNDS; round++) {
    const now = store.now();
    const entry = await store.kv.get(CHAOS_KEY);
    if (entry === null) return [];
    const keep: SignedDocument[] = [];
    const stopped: string[] = [];
    for (const d of docs(entry.value)) {
      const p = payloadOf(d, null);
      if (p === null || p.endsAt <= now) continue;
      const hit = (options.name === undefined || p.spec.name === options.name) && (options.where === undefined || options.where(p));
      if (hit) stopped.push(p.spec.name);
      else keep.push(d);
    }
    if (stopped.length === 0) return [];
    const written = keep.length === 0 ? await store.kv.delete(CHAOS_KEY, entry.version) : (await store.kv.compareAndSet(CHAOS_KEY, entry.version, { experiments: keep as unknown as JsonValue[] }, { ttlMs: Math.max(1, (entry.expiresAt ?? now + 1) - now) })) !== null;
    if (!written) continue;
    await store.log.append(CHAOS_LOG, { event: 'stop', names: stopped, at: now, reason: String(options.reason), by: String(options.by) });
    await store.bus.publish(CHAOS_CHANNEL, 'stop').catch(() => undefined);
    return stopped;
  }
  throw new WardenError('ERR_STORE_UNAVAILABLE', `The running chaos experiments on ${store.location} changed ${ROUNDS} times while stopping; try again.`);
}

/**
 * The experiments running on the store now whose signatures verify against `signers`, with the
 * entry's version (null when there is none). Anything that does not verify is left out: an
 * unsigned entry written into the store injects nothing.
 *
 * @example
 * ```ts
 * const { experiments } = await readSharedExperiments(store, [ops.did], Date.now());
 * ```
 */
export async function readSharedExperiments(store: Store, signers: ReadonlySet<string>, now: number): Promise<{ version: number | null; experiments: { experiment: SharedExperiment; definition: ExperimentDefinition }[] }> {
  const entry = await store.kv.get(CHAOS_KEY);
  return { version: entry?.version ?? null, experiments: experimentsOf(entry, signers, now) };
}

/**
 * The live, verified experiments of a chaos entry read from the store (see {@link readSharedExperiments}).
 *
 * @example
 * ```ts
 * const running = experimentsOf(await store.kv.get(CHAOS_KEY), new Set([ops.did]), Date.now());
 * ```
 */
export function experimentsOf(entry: KvEntry | null, signers: ReadonlySet<string>, now: number): { experiment: SharedExperiment; definition: ExperimentDefinition }[] {
  const out: { experiment: SharedExperiment; definition: ExperimentDefinition }[] = [];
  for (const d of docs(entry?.value)) {
    const p = payloadOf(d, signers);
    if (p === null || p.endsAt <= now) continue;
    try {
      out.push({ experiment: p, definition: defineExperiment(p.spec) });
    } catch {
      // A signed spec this version cannot read injects nothing.
    }
  }
  return out;
}

/**
 * Whether a kill state ends an experiment: a kill of all does, and so does a kill of an agent the
 * experiment covers (an experiment without an agent list covers every agent). Session kills do not.
 *
 * @example
 * ```ts
 * experimentsKilled(definition, [{ scope: 'all', id: '' }]); // true
 * ```
 */
export function experimentsKilled(definition: ExperimentDefinition, kills: readonly { scope: string; id: string }[]): boolean {
  for (const k of kills) {
    if (k.scope === 'all') return true;
    if (k.scope !== 'agent') continue;
    if (definition.selector.coversAgent(k.id)) return true;
  }
  return false;
}

/**
 * The spec an experiment definition was made from (what a shared experiment carries, signed).
 *
 * @example
 * ```ts
 * specOf(defineExperiment({ name: 'slow', tools: ['search'], fault: { latency: '2s' }, duration: '5m' })).fault; // { latency: 2000 }
 * ```
 */
export function specOf(d: ExperimentDefinition): ExperimentSpec {
  const f = d.fault;
  const fault: ExperimentSpec['fault'] =
    f.kind === 'latency' ? { latency: f.ms } : f.kind === 'timeout' ? { timeout: f.ms } : f.kind === 'slow-stream' ? { slowStream: f.ms } : f.kind === 'large-result' ? { largeResult: f.bytes } : { error: { name: f.name, message: f.message } };
  const spec: ExperimentSpec = { name: d.name, tools: [...d.selector.tools], fault, fraction: d.fraction, duration: d.durationMs };
  if (d.selector.agents !== null) spec.agents = [...d.selector.agents];
  if (d.selector.hosts !== null) spec.hosts = [...d.selector.hosts];
  if (d.maxCalls !== null) spec.maxCalls = d.maxCalls;
  return spec;
}

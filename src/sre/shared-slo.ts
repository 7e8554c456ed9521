/**
 * SLO windows shared by every process on one state store. Each process counts its own outcomes
 * (its {@link SloTracker}) and, at most once per resolution step, writes its buckets to the store
 * under its own member id and reads the others': buckets are numbered by absolute time, so the
 * fleet's window is the sum of every member's, exactly. A member's buckets expire with the SLO
 * window, so a process that stopped still counts until its outcomes leave the window.
 *
 * Every method rejects with the store's `ERR_STORE_*` error when it cannot be reached; the SRE
 * runtime then denies the calls the SLO covers.
 */
import { WardenError } from '../errors.js';
import { storeKey } from '../store/check.js';
import type { JsonValue, Store } from '../store/types.js';
import { SloTracker } from './slo.js';

/** Most processes one SLO is shared by at once. */
export const MAX_SLO_MEMBERS = 1000;
const ROUNDS = 16;

function membersKey(slo: string): string {
  return storeKey('sre', 'slo-members', slo);
}

/**
 * The store key of one member's buckets of SLO `slo`.
 *
 * @example
 * ```ts
 * sloMemberKey('search', 'p-1'); // 'sre:slo:search:p-1'
 * ```
 */
export function sloMemberKey(slo: string, member: string): string {
  return storeKey('sre', 'slo', slo, member);
}

/**
 * Writes `local`'s buckets as `member`'s and returns a tracker holding the whole fleet's counts
 * (this member's and every other live member's) at `t`.
 *
 * @example
 * ```ts
 * const fleet = await exchangeSloCounts(store, local, 'p-1', Date.now(), 60);
 * fleet.status(Date.now()).budgetRemaining;
 * ```
 * @throws WardenError `ERR_STORE_FULL` when {@link MAX_SLO_MEMBERS} live processes already share it; the store's errors.
 */
export async function exchangeSloCounts(store: Store, local: SloTracker, member: string, t: number, bucketsPerWindow: number): Promise<SloTracker> {
  const d = local.definition;
  const ttlMs = d.windowMs;
  await store.kv.set(sloMemberKey(d.name, member), { at: t, counts: local.counts(t) } as unknown as JsonValue, { ttlMs });
  const members = await join(store, d.name, member, t, ttlMs);
  const fleet = new SloTracker(d, { bucketsPerWindow, alerts: local.alerts });
  fleet.merge(local.counts(t));
  for (const m of members) {
    if (m === member) continue;
    const entry = await store.kv.get(sloMemberKey(d.name, m));
    const v = entry?.value;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) fleet.merge((v as Record<string, JsonValue>).counts);
  }
  return fleet;
}

/** Adds `member` to the SLO's member list (refreshing its time) and returns the live members. */
async function join(store: Store, slo: string, member: string, t: number, ttlMs: number): Promise<string[]> {
  for (let round = 0; round < ROUNDS; round++) {
    const entry = await store.kv.get(membersKey(slo));
    const list = Array.isArray(entry?.value) ? (entry.value as JsonValue[]) : [];
    const live = new Map<string, number>();
    for (const e of list) if (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && e[1] > t - ttlMs) live.set(e[0], e[1]);
    const seen = live.get(member);
    // Written again only when this member is new or its time is a window's tenth old: most exchanges only read.
    if (seen !== undefined && seen > t - ttlMs / 10) return [...live.keys()];
    live.set(member, t);
    if (live.size > MAX_SLO_MEMBERS) throw new WardenError('ERR_STORE_FULL', `${MAX_SLO_MEMBERS} processes already share SLO "${slo}" on ${store.location}; this one cannot join, so the calls it covers are denied.`);
    const value = [...live].map(([m, at]) => [m, at]);
    if ((await store.kv.compareAndSet(membersKey(slo), entry?.version ?? null, value, { ttlMs })) !== null) return [...live.keys()];
  }
  throw new WardenError('ERR_STORE_UNAVAILABLE', `The members of SLO "${slo}" on ${store.location} changed ${ROUNDS} times while this process joined; try again.`);
}

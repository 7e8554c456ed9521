/**
 * The kill switch: one signed kill state in the store (key `runtime:kill`), holding every active
 * kill (of an agent, a session, or all) and an epoch that only goes up. The pipeline's `kill`
 * stage reads it before every decision; a state that is missing after one was seen, that does not
 * verify, or whose epoch went back denies every call (someone tampered with the store).
 */
import { WardenError } from '../errors.js';
import type { AgentKey } from '../identity/agent-key.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { storeKey } from '../store/check.js';
import type { JsonValue, Store } from '../store/types.js';
import { openDocument, PURPOSES, signDocument, type SignedDocument } from './signed.js';

/** The key of the kill state. */
export const KILL_KEY = storeKey('runtime', 'kill');
/** The broadcast channel a new kill state is announced on (the message is its epoch). */
export const KILL_CHANNEL = 'kill';
/** The most active kills one state holds; past it a kill fails (kill `all` instead). */
export const MAX_KILLS = 10_000;

/**
 * What a kill stops: one agent (by id), one session (`context.session`), or everything.
 *
 * @example
 * ```ts
 * const t: KillTarget = { scope: 'agent', id: 'did:key:z6Mk...' };
 * ```
 */
export interface KillTarget {
  scope: 'agent' | 'session' | 'all';
  /** The agent or session id; '' for `all`. */
  id: string;
}

/**
 * One active kill.
 *
 * @example
 * ```ts
 * const k: KillEntry = { scope: 'agent', id: 'bot', epoch: 4, at: 1765100000000, reason: 'exfiltration suspected', by: 'did:key:z6Mk...' };
 * ```
 */
export interface KillEntry extends KillTarget {
  /** The epoch of the state that added it. */
  epoch: number;
  at: number;
  reason: string;
  /** The DID that signed the kill. */
  by: string;
}

/**
 * The kill state: what is killed now.
 *
 * @example
 * ```ts
 * const s: KillState = { epoch: 4, at: 1765100000000, entries: [], revived: null };
 * ```
 */
export interface KillState {
  epoch: number;
  at: number;
  entries: KillEntry[];
  /** The last revival, with the approval that allowed it. */
  revived: { target: KillTarget; epoch: number; by: string; approvedBy: string; reason: string } | null;
}

/**
 * Reads `all`, `agent:<id>`, `session:<id>`, or a bare agent id.
 *
 * @example
 * ```ts
 * parseKillTarget('session:s-42'); // { scope: 'session', id: 's-42' }
 * parseKillTarget('bot');          // { scope: 'agent', id: 'bot' }
 * ```
 */
export function parseKillTarget(text: string): KillTarget {
  if (typeof text !== 'string' || text === '' || text.length > 2000) throw new WardenError('ERR_USAGE', 'Name what to kill: all, agent:<id>, session:<id>, or an agent id.');
  if (text === 'all') return { scope: 'all', id: '' };
  if (text.startsWith('agent:') && text.length > 6) return { scope: 'agent', id: text.slice(6) };
  if (text.startsWith('session:') && text.length > 8) return { scope: 'session', id: text.slice(8) };
  return { scope: 'agent', id: text };
}

/**
 * Options of {@link KillSwitch}.
 *
 * @example
 * ```ts
 * const o: KillSwitchOptions = { store, signers: [ops.did], approvers: [lead.did] };
 * ```
 */
export interface KillSwitchOptions {
  store: Store;
  /** The DIDs (did:key, Ed25519) whose signatures on a kill state are trusted. */
  signers: readonly string[];
  /** The DIDs whose approval revives (default: the signers); an approver never approves its own revival. */
  approvers?: readonly string[];
}

/** What the switch found in the store, verified. */
export type KillReading = { ok: true; state: KillState | null; version: number | null } | { ok: false; error: string };

/**
 * The kill switch over a store.
 *
 * @example
 * ```ts
 * const ks = new KillSwitch({ store, signers: [ops.did] });
 * await ks.kill({ scope: 'agent', id: 'bot' }, { reason: 'runaway loop', key: ops });
 * await ks.check('bot', null); // 'Killed by the kill switch ...'
 * ```
 */
export class KillSwitch {
  readonly store: Store;
  readonly #signers: ReadonlySet<string>;
  readonly #approvers: ReadonlySet<string>;
  #cache: { version: number; reading: KillReading } | null = null;
  #highest = 0;

  constructor(options: KillSwitchOptions) {
    rejectUnknownKeys(options, ['store', 'signers', 'approvers'], 'ERR_OPTIONS', 'KillSwitch options');
    if (!options?.store) throw new WardenError('ERR_OPTIONS', 'KillSwitch needs { store, signers }.');
    this.store = options.store;
    this.#signers = didSet(options.signers, 'signers');
    this.#approvers = didSet(options.approvers ?? options.signers, 'approvers');
  }

  /**
   * The verified kill state now. Store failures reject (ERR_STORE_*); a state that does not
   * verify is `{ ok: false, error }`.
   */
  async read(): Promise<KillReading> {
    const entry = await this.store.kv.get(KILL_KEY);
    if (entry === null) {
      if (this.#highest > 0) return { ok: false, error: `the kill state (last seen at epoch ${this.#highest}) is gone from the store` };
      return { ok: true, state: null, version: null };
    }
    if (this.#cache !== null && this.#cache.version === entry.version) return this.#cache.reading;
    const reading = this.#verify(entry.value, entry.version);
    if (reading.ok && reading.state !== null) {
      if (reading.state.epoch < this.#highest) return { ok: false, error: `the kill state went back from epoch ${this.#highest} to ${reading.state.epoch}` };
      this.#highest = reading.state.epoch;
    }
    this.#cache = { version: entry.version, reading };
    return reading;
  }

  /**
   * Why a call by `agent` in `session` must be denied by the kill switch, or null when it may go
   * on to the policy. Rejects (ERR_STORE_*) when the store cannot be read: the caller denies.
   *
   * @example
   * ```ts
   * const reason = await ks.check('bot', 'session-1');
   * ```
   */
  async check(agent: string | null, session: string | null): Promise<string | null> {
    const reading = await this.read();
    if (!reading.ok) return `The kill state in the store cannot be trusted (${reading.error}), so every call is denied until an operator writes a signed one with warden kill or warden revive.`;
    const hit = reading.state === null ? undefined : matchKill(reading.state, agent, session);
    if (hit === undefined) return null;
    const what = hit.scope === 'all' ? 'every agent' : `${hit.scope} ${JSON.stringify(hit.id)}`;
    return `Killed by the kill switch (epoch ${hit.epoch}, ${what}: ${hit.reason}); denied whatever the policy says. An operator can revive it with warden revive and an approval.`;
  }

  /**
   * Adds a kill and announces it. Resolves to the new state once it is in the store: from then on
   * the first decision in every process is a deny.
   *
   * @example
   * ```ts
   * await ks.kill(parseKillTarget('all'), { reason: 'incident 42', key: ops });
   * ```
   */
  async kill(target: KillTarget, options: { reason: string; key: AgentKey }): Promise<KillState> {
    checkTarget(target);
    const reason = checkReason(options?.reason);
    this.#checkSigner(options.key);
    return this.#update((current) => {
      const entries = current.entries.filter((e) => !(e.scope === target.scope && e.id === target.id));
      if (entries.length >= MAX_KILLS) throw new WardenError('ERR_KILL', `The kill state holds ${MAX_KILLS} kills; kill all instead.`);
      const epoch = current.epoch + 1;
      entries.push({ scope: target.scope, id: target.id, epoch, at: this.store.now(), reason, by: options.key.did });
      return { epoch, at: this.store.now(), entries, revived: current.revived };
    }, options.key, true);
  }

  /**
   * Removes a kill, with the approval of an approver other than the signer (see
   * {@link KillSwitch.approveRevival}).
   *
   * @example
   * ```ts
   * const approval = KillSwitch.approveRevival(lead, { scope: 'agent', id: 'bot' }, 'fixed');
   * await ks.revive({ scope: 'agent', id: 'bot' }, { reason: 'fixed', key: ops, approval });
   * ```
   */
  async revive(target: KillTarget, options: { reason: string; key: AgentKey; approval: SignedDocument }): Promise<KillState> {
    checkTarget(target);
    const reason = checkReason(options?.reason);
    this.#checkSigner(options.key);
    const opened = openDocument(options.approval, PURPOSES.revive, this.#approvers);
    if ('error' in opened) throw new WardenError('ERR_KILL', `The revival approval is not valid: ${opened.error}. An approver signs it with warden revive --approve.`);
    const approvedBy = (options.approval as SignedDocument).signer;
    if (approvedBy === options.key.did) throw new WardenError('ERR_KILL', 'A revival needs the approval of someone else than the one who signs it.');
    const p = opened.payload as { scope?: unknown; id?: unknown };
    if (p === null || typeof p !== 'object' || p.scope !== target.scope || p.id !== target.id) throw new WardenError('ERR_KILL', 'The revival approval is for another target.');
    return this.#update((current) => {
      const hit = current.entries.find((e) => e.scope === target.scope && e.id === target.id);
      if (hit === undefined) throw new WardenError('ERR_KILL', `Nothing to revive: ${target.scope} ${JSON.stringify(target.id)} is not killed.`);
      return { epoch: current.epoch + 1, at: this.store.now(), entries: current.entries.filter((e) => e !== hit), revived: { target: { scope: target.scope, id: target.id }, epoch: hit.epoch, by: options.key.did, approvedBy, reason } };
    }, options.key, false);
  }

  /**
   * An approver's signed approval to revive `target`.
   *
   * @example
   * ```ts
   * const approval = KillSwitch.approveRevival(lead, { scope: 'all', id: '' }, 'incident closed');
   * ```
   */
  static approveRevival(approver: AgentKey, target: KillTarget, reason: string): SignedDocument {
    checkTarget(target);
    return signDocument(approver, PURPOSES.revive, { scope: target.scope, id: target.id, reason: checkReason(reason) });
  }

  async #update(next: (current: KillState) => KillState, key: AgentKey, isKill: boolean): Promise<KillState> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const entry = await this.store.kv.get(KILL_KEY);
      let current: KillState = { epoch: 0, at: 0, entries: [], revived: null };
      if (entry !== null) {
        const reading = this.#verify(entry.value, entry.version);
        if (reading.ok && reading.state !== null) current = reading.state;
        else if (!isKill) throw new WardenError('ERR_KILL', `The kill state in the store does not verify (${reading.ok ? 'empty' : reading.error}); only a kill can be written over it.`);
        else current = { ...unverifiedState(entry.value), revived: null };
      }
      current = { ...current, epoch: Math.max(current.epoch, this.#highest) };
      const state = next(current);
      const doc = signDocument(key, PURPOSES.kill, state as unknown as JsonValue);
      const written = await this.store.kv.compareAndSet(KILL_KEY, entry?.version ?? null, doc as unknown as JsonValue);
      if (written !== null) {
        this.#highest = Math.max(this.#highest, state.epoch);
        await this.store.bus.publish(KILL_CHANNEL, String(state.epoch)).catch(() => undefined);
        return state;
      }
    }
    throw new WardenError('ERR_KILL', 'The kill state kept changing under this write (20 tries); try again.');
  }

  #verify(value: unknown, version: number): KillReading {
    const opened = openDocument(value, PURPOSES.kill, this.#signers);
    if ('error' in opened) return { ok: false, error: opened.error };
    const state = parseState(opened.payload);
    if (state === null) return { ok: false, error: 'it is signed but not a kill state' };
    return { ok: true, state, version };
  }

  #checkSigner(key: AgentKey): void {
    if (!key || typeof key.did !== 'string' || !this.#signers.has(key.did)) throw new WardenError('ERR_KILL', `The key ${String(key?.did)} is not one of the runtime signers, so its kill state would not verify; add its DID to signers.`);
  }
}

/** The kill that applies to a call, if any. */
export function matchKill(state: KillState, agent: string | null, session: string | null): KillEntry | undefined {
  return state.entries.find((e) => e.scope === 'all' || (e.scope === 'agent' && e.id === agent) || (e.scope === 'session' && session !== null && e.id === session));
}

function parseState(v: JsonValue): KillState | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, JsonValue>;
  if (!Number.isSafeInteger(o.epoch) || (o.epoch as number) < 1 || !Number.isSafeInteger(o.at) || !Array.isArray(o.entries)) return null;
  const entries: KillEntry[] = [];
  for (const e of o.entries) {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return null;
    const { scope, id, epoch, at, reason, by } = e as Record<string, JsonValue>;
    if ((scope !== 'agent' && scope !== 'session' && scope !== 'all') || typeof id !== 'string' || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(at) || typeof reason !== 'string' || typeof by !== 'string') return null;
    entries.push({ scope, id, epoch: epoch as number, at: at as number, reason, by });
  }
  return { epoch: o.epoch as number, at: o.at as number, entries, revived: (o.revived ?? null) as KillState['revived'] };
}

/** The entries of a state that does not verify, kept when a kill is written over it (more kills can only deny more). */
function unverifiedState(value: unknown): Omit<KillState, 'revived'> {
  const payload = value !== null && typeof value === 'object' && Object.hasOwn(value, 'payload') ? (value as { payload: JsonValue }).payload : null;
  const o = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, JsonValue>) : {};
  const epoch = Number.isSafeInteger(o.epoch) ? (o.epoch as number) : 0;
  const parsed = parseState({ ...o, epoch: Math.max(1, epoch), at: Number.isSafeInteger(o.at) ? o.at : 0, revived: null } as JsonValue);
  return { epoch, at: 0, entries: parsed?.entries ?? [] };
}

function checkTarget(t: KillTarget): void {
  if (t === null || typeof t !== 'object' || !['agent', 'session', 'all'].includes(t.scope) || typeof t.id !== 'string' || (t.scope === 'all') !== (t.id === '') || t.id.length > 2000) {
    throw new WardenError('ERR_USAGE', 'A kill target is { scope: "agent" | "session", id } or { scope: "all", id: "" }.');
  }
}

function checkReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500) throw new WardenError('ERR_USAGE', 'Give a reason (at most 500 characters): it is recorded and shown in every denial.');
  return reason;
}

export function didSet(list: unknown, what: string): ReadonlySet<string> {
  if (!Array.isArray(list) || list.length === 0 || !list.every((d) => typeof d === 'string' && d.startsWith('did:key:'))) {
    throw new WardenError('ERR_OPTIONS', `${what} must be a non-empty list of did:key DIDs (warden id new prints one).`);
  }
  return new Set(list as string[]);
}

/**
 * The approval queue: a `require_approval` call parked (bound to its request digest) in the state
 * store, answered by a person (the dashboard, `warden approvals`), and waited for by its caller.
 *
 * It lives on the {@link Store} interfaces, so every store backend is a queue backend: SQLite (the
 * embedded default, one file shared by the processes of one machine) and PostgreSQL (fleets), also
 * memory (tests) and Redis. One item is one key-value entry (`approval:item:<id>`) changed only by
 * compare-and-set, so an item is answered exactly once even when two people (or two processes)
 * answer at the same moment; an index stream (`approval:index`) lists what was parked, and the
 * broadcast channel `approvals` wakes waiting callers in every process (they also read the store
 * at a bounded interval, so a missed broadcast delays an answer, never loses it).
 */
import { randomBytes } from 'node:crypto';
import type { ApprovalHandler, ApprovalRequest } from '../enforce/approval.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { storeKey } from '../store/check.js';
import { openStore } from '../store/open.js';
import type { JsonValue, Store } from '../store/types.js';

/**
 * The broadcast channel an answer is announced on (the message is the item's id).
 *
 * @example
 * ```ts
 * await store.bus.subscribe(APPROVAL_CHANNEL, (id) => console.log(`approval ${id} was answered`));
 * ```
 */
export const APPROVAL_CHANNEL = 'approvals';
/**
 * The index stream: one entry `{ id }` per parked item, in parking order.
 *
 * @example
 * ```ts
 * const parkedSoFar = (await store.log.read(APPROVAL_INDEX)).length;
 * ```
 */
export const APPROVAL_INDEX = storeKey('approval', 'index');
const LOW_WATER = storeKey('approval', 'low-water');

/**
 * One parked approval, as the queue keeps and lists it.
 *
 * @example
 * ```ts
 * const item: ApprovalItem = (await queue.list())[0]!;
 * console.log(item.id, item.tool, JSON.stringify(item.args), item.approvers.join(', '));
 * ```
 */
export interface ApprovalItem {
  /** The queue's id of the item (what `answer` and `warden approvals approve` take). */
  id: string;
  /** The call's id, as its audit record names it. */
  call: string;
  tool: string;
  /** The exact arguments decided (and approved, if approved). */
  args: JsonValue;
  context: JsonValue | null;
  /** `sha256:<hex>` of the canonical request: an answer covers exactly this request. */
  requestDigest: string;
  /** The authenticated caller (the agent's id), or null when the call had no identity. */
  caller: string | null;
  rule: string | null;
  policy: string | null;
  reason: string;
  approvers: string[];
  /** Milliseconds since the epoch (the store's clock). */
  parkedAt: number;
  expiresAt: number;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  /** Who answered, when, and what they said; null while pending (and for an expired item). */
  answer: { decision: 'approve' | 'deny'; by: string; at: number; note: string } | null;
}

/**
 * Options of {@link openApprovalQueue}.
 *
 * @example
 * ```ts
 * const o: ApprovalQueueOptions = { store: 'sqlite:.warden/state.db', adminRoles: ['ops'] };
 * ```
 */
export interface ApprovalQueueOptions {
  /** An open store (the queue does not close it), or a store url (`sqlite:<path>`, `postgres://...`) the queue opens and closes. */
  store: Store | string;
  /** Roles that may answer any item, whatever approvers its rule names (default none). */
  adminRoles?: readonly string[];
  /** How long an answered or expired item stays listed by `get` after it settles (default 24 hours). */
  retentionMs?: number;
  /** How often a waiting caller reads the store in case a broadcast was missed (default 500 ms). */
  pollMs?: number;
}

/**
 * Options of {@link ApprovalQueue.answer}.
 *
 * @example
 * ```ts
 * const a: AnswerOptions = { by: 'alice', roles: ['security'], note: 'checked the ticket', requestDigest: item.requestDigest };
 * ```
 */
export interface AnswerOptions {
  /** Who answers, as authenticated by the caller of `answer` (a dashboard login, the CLI's --as). */
  by: string;
  /** The answerer's roles: one of them named as an approver, or an admin role, also qualifies. */
  roles?: readonly string[];
  note?: string;
  /** The digest the answerer was shown; when given it must equal the parked one. */
  requestDigest?: string;
}

/**
 * Options of {@link ApprovalQueue.handler}.
 *
 * @example
 * ```ts
 * const h: ApprovalHandlerOptions = { timeoutMs: 5 * 60_000 };
 * ```
 */
export interface ApprovalHandlerOptions {
  /** How long a parked call waits for an answer; then it is denied and the item expires. Keep it at most the pipeline's approvalTimeoutMs. */
  timeoutMs: number;
}

/**
 * The approval queue (see the module comment).
 *
 * @example
 * ```ts
 * const queue = await openApprovalQueue({ store: 'sqlite:.warden/state.db' });
 * const governor = new Governor({ policy, approvalHandler: queue.handler({ timeoutMs: 300_000 }), approvalTimeoutMs: 300_000 });
 * ```
 */
export interface ApprovalQueue {
  readonly store: Store;
  /** Parks an approval question; resolves to the pending item. */
  park(ask: ApprovalRequest, options: { timeoutMs: number }): Promise<ApprovalItem>;
  /** Pending, unexpired items, oldest first, at most `limit` (default 100, at most 1000). */
  list(options?: { limit?: number }): Promise<ApprovalItem[]>;
  /** One item, pending or settled; null when there is none. */
  get(id: string): Promise<ApprovalItem | null>;
  /**
   * Answers a pending item. Rejects with `ERR_APPROVAL_NOT_FOUND`, `ERR_APPROVAL_ANSWERED`,
   * `ERR_APPROVAL_EXPIRED`, `ERR_APPROVAL_DIGEST` or `ERR_APPROVAL_FORBIDDEN`; nothing changes then.
   */
  answer(id: string, decision: 'approve' | 'deny', options: AnswerOptions): Promise<ApprovalItem>;
  /** An {@link ApprovalHandler} that parks each question and waits for its answer: `true` only for an approve of that exact digest. */
  handler(options: ApprovalHandlerOptions): ApprovalHandler;
  /** Waits until the item settles (or `until`, ms since the epoch, passes); resolves to the item as last read. */
  wait(id: string, until: number): Promise<ApprovalItem | null>;
  /** Stops listening; closes the store when the queue opened it. Waiting callers are denied. */
  close(): Promise<void>;
}

const MAX_NOTE = 1000;
const MAX_NAME = 200;

/**
 * Opens the approval queue over a store.
 *
 * @example
 * ```ts
 * import { openApprovalQueue } from 'agent-warden/server';
 * const queue = await openApprovalQueue({ store: 'sqlite:.warden/state.db' });
 * for (const item of await queue.list()) console.log(item.id, item.tool, item.args);
 * await queue.close();
 * ```
 * @throws WardenError `ERR_OPTIONS` for unknown or invalid options; store errors (`ERR_STORE_*`) when a url cannot be opened.
 */
export async function openApprovalQueue(options: ApprovalQueueOptions): Promise<ApprovalQueue> {
  rejectUnknownKeys(options, ['store', 'adminRoles', 'retentionMs', 'pollMs'], 'ERR_OPTIONS', 'approval queue options');
  const adminRoles = stringList(options?.adminRoles ?? [], 'adminRoles');
  const retentionMs = positive(options?.retentionMs ?? 86_400_000, 'retentionMs');
  const pollMs = positive(options?.pollMs ?? 500, 'pollMs');
  const given = options?.store;
  if (typeof given !== 'string' && (given === null || typeof given !== 'object' || typeof given.kv?.compareAndSet !== 'function')) {
    throw new WardenError('ERR_OPTIONS', 'The approval queue needs { store }: a store from openStore(), or a store url such as sqlite:.warden/state.db or postgres://...');
  }
  const store = typeof given === 'string' ? await openStore(given) : given;
  return new StoreApprovalQueue(store, typeof given === 'string', adminRoles, retentionMs, pollMs);
}

class StoreApprovalQueue implements ApprovalQueue {
  readonly store: Store;
  readonly #owned: boolean;
  readonly #admin: ReadonlySet<string>;
  readonly #retentionMs: number;
  readonly #pollMs: number;
  readonly #waiters = new Map<string, Set<() => void>>();
  #subscription: Promise<() => Promise<void>> | null = null;
  #closed = false;

  constructor(store: Store, owned: boolean, admin: readonly string[], retentionMs: number, pollMs: number) {
    this.store = store;
    this.#owned = owned;
    this.#admin = new Set(admin);
    this.#retentionMs = retentionMs;
    this.#pollMs = pollMs;
  }

  async park(ask: ApprovalRequest, options: { timeoutMs: number }): Promise<ApprovalItem> {
    this.#open();
    const timeoutMs = positive(options?.timeoutMs, 'timeoutMs');
    if (typeof ask?.requestDigest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(ask.requestDigest)) throw new WardenError('ERR_STORE_DATA', 'An approval is parked only bound to a sha256 request digest.');
    const now = this.store.now();
    const agent = ask.request.agent;
    const item: ApprovalItem = {
      // Hex, never base64url: an id a command line takes must not start with '-' (it would be read as an option).
      id: randomBytes(12).toString('hex'),
      call: String(ask.call),
      tool: String(ask.request.tool),
      args: jsonOf(ask.request.args),
      context: ask.request.context === undefined ? null : jsonOf(ask.request.context),
      requestDigest: ask.requestDigest,
      caller: typeof agent?.id === 'string' ? agent.id : null,
      rule: ask.decision.rule,
      policy: ask.decision.policy,
      reason: ask.decision.reason,
      approvers: [...ask.approvers].map(String),
      parkedAt: now,
      expiresAt: now + timeoutMs,
      status: 'pending',
      answer: null,
    };
    // The item first, then the index: an index entry always names an item that was written.
    await this.store.kv.set(itemKey(item.id), item as unknown as JsonValue, { ttlMs: timeoutMs + this.#retentionMs });
    await this.store.log.append(APPROVAL_INDEX, { id: item.id });
    return item;
  }

  async list(options: { limit?: number } = {}): Promise<ApprovalItem[]> {
    this.#open();
    rejectUnknownKeys(options, ['limit'], 'ERR_OPTIONS', 'approval list options');
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new WardenError('ERR_OPTIONS', `limit must be a whole number from 1 to 1000; got ${String(limit)}.`);
    const low = await this.store.kv.get(LOW_WATER);
    const from = typeof low?.value === 'number' ? low.value : 0;
    const now = this.store.now();
    const out: ApprovalItem[] = [];
    let after = from;
    let settledPrefix = from;
    let prefix = true;
    for (;;) {
      const page = await this.store.log.read(APPROVAL_INDEX, { after, limit: 1000 });
      if (page.length === 0) break;
      for (const entry of page) {
        after = entry.seq;
        const id = (entry.data as { id?: unknown } | null)?.id;
        const item = typeof id === 'string' ? await this.get(id) : null;
        const live = item !== null && item.status === 'pending' && item.expiresAt > now;
        if (live && out.length < limit) out.push(item);
        if (live) prefix = false;
        else if (prefix) settledPrefix = entry.seq;
      }
      if (out.length >= limit) break;
    }
    // Later lists start after the items that can no longer be pending (best effort: a lost race only costs a re-read).
    if (settledPrefix > from) await this.store.kv.compareAndSet(LOW_WATER, low?.version ?? null, settledPrefix).catch(() => null);
    return out;
  }

  async get(id: string): Promise<ApprovalItem | null> {
    this.#open();
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
    const entry = await this.store.kv.get(itemKey(id));
    return entry === null ? null : settle(entry.value as unknown as ApprovalItem, this.store.now());
  }

  async answer(id: string, decision: 'approve' | 'deny', options: AnswerOptions): Promise<ApprovalItem> {
    this.#open();
    rejectUnknownKeys(options, ['by', 'roles', 'note', 'requestDigest'], 'ERR_OPTIONS', 'approval answer options');
    if (decision !== 'approve' && decision !== 'deny') throw new WardenError('ERR_OPTIONS', `An answer is "approve" or "deny"; got ${JSON.stringify(decision)}.`);
    const by = options?.by;
    if (typeof by !== 'string' || by.trim() === '' || by.length > MAX_NAME) throw new WardenError('ERR_OPTIONS', `An answer names who answers (by: a non-empty name of at most ${MAX_NAME} characters).`);
    const roles = stringList(options.roles ?? [], 'roles');
    const note = options.note ?? '';
    if (typeof note !== 'string' || note.length > MAX_NOTE) throw new WardenError('ERR_OPTIONS', `note must be text of at most ${MAX_NOTE} characters.`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await this.store.kv.get(itemKey(id)) : null;
      if (entry === null) throw new WardenError('ERR_APPROVAL_NOT_FOUND', `No parked approval has the id ${JSON.stringify(String(id).slice(0, 80))}; list them with \`warden approvals list\`.`);
      const now = this.store.now();
      const item = settle(entry.value as unknown as ApprovalItem, now);
      if (item.status === 'expired') throw new WardenError('ERR_APPROVAL_EXPIRED', `Approval ${id} expired at ${new Date(item.expiresAt).toISOString()} before it was answered; its caller was denied. It must ask again.`);
      if (item.status !== 'pending') throw new WardenError('ERR_APPROVAL_ANSWERED', `Approval ${id} was already answered (${item.status} by ${item.answer?.by ?? 'nobody'}); an approval is answered once.`);
      if (options.requestDigest !== undefined && options.requestDigest !== item.requestDigest) {
        throw new WardenError('ERR_APPROVAL_DIGEST', `The answer is for request ${String(options.requestDigest).slice(0, 80)}, but approval ${id} is for ${item.requestDigest}; reload the queue and answer what it shows.`);
      }
      if (!mayAnswer(item.approvers, by, roles, this.#admin)) {
        throw new WardenError('ERR_APPROVAL_FORBIDDEN', `${JSON.stringify(by)} may not answer approval ${id}: its rule names the approvers ${item.approvers.map((a) => JSON.stringify(a)).join(', ')}, and none of those (or an admin role) is theirs.`);
      }
      const answered: ApprovalItem = { ...item, status: decision === 'approve' ? 'approved' : 'denied', answer: { decision, by, at: now, note } };
      const ttlMs = Math.max(1, item.expiresAt - now) + this.#retentionMs;
      const written = await this.store.kv.compareAndSet(itemKey(id), entry.version, answered as unknown as JsonValue, { ttlMs });
      if (written === null) continue; // someone changed it first: judge again on what is there now
      await this.store.bus.publish(APPROVAL_CHANNEL, id).catch(() => undefined);
      return answered;
    }
    throw new WardenError('ERR_APPROVAL_ANSWERED', `Approval ${id} kept changing while it was answered; read it again.`);
  }

  handler(options: ApprovalHandlerOptions): ApprovalHandler {
    rejectUnknownKeys(options, ['timeoutMs'], 'ERR_OPTIONS', 'approval handler options');
    const timeoutMs = positive(options?.timeoutMs, 'timeoutMs');
    return async (ask: ApprovalRequest): Promise<boolean> => {
      const parked = await this.park(ask, { timeoutMs });
      const item = await this.#giveUpAt(parked.id, parked.expiresAt);
      const answer = item?.answer ?? null;
      if (answer === null) {
        ask.note?.({ reason: `nobody answered approval ${parked.id} within ${timeoutMs} ms` });
        return false;
      }
      const approved = answer.decision === 'approve' && item?.requestDigest === ask.requestDigest;
      ask.note?.({ by: answer.by, reason: approved ? 'approved' : `denied by ${answer.by}${answer.note === '' ? '' : `: ${answer.note}`}` });
      return approved;
    };
  }

  async wait(id: string, until: number): Promise<ApprovalItem | null> {
    this.#open();
    await this.#listen();
    let item = await this.get(id);
    while (item !== null && item.status === 'pending' && !this.#closed) {
      const left = until - this.store.now();
      if (left <= 0) break;
      await this.#nap(id, Math.min(left, this.#pollMs));
      item = await this.get(id).catch(() => item);
    }
    return item;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const wake of set) wake();
    this.#waiters.clear();
    const sub = this.#subscription;
    this.#subscription = null;
    if (sub !== null) await (await sub.catch(() => async () => undefined))().catch(() => undefined);
    if (this.#owned) await this.store.close();
  }

  /** Waits for the item; at its expiry marks it expired (unless an answer won the race) and returns what settled. */
  async #giveUpAt(id: string, expiresAt: number): Promise<ApprovalItem | null> {
    const item = await this.wait(id, expiresAt);
    if (item === null || item.answer !== null) return item;
    // invariant: a caller that stopped waiting can no longer be approved: the item is closed first, and an answer that got in first is honoured.
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await this.store.kv.get(itemKey(id));
      if (entry === null) return null;
      const current = entry.value as unknown as ApprovalItem;
      if (current.answer !== null || current.status !== 'pending') return current;
      const expired: ApprovalItem = { ...current, status: 'expired' };
      if ((await this.store.kv.compareAndSet(itemKey(id), entry.version, expired as unknown as JsonValue, { ttlMs: this.#retentionMs })) !== null) return expired;
    }
    return null;
  }

  #nap(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(id);
      if (set === undefined) this.#waiters.set(id, (set = new Set()));
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(id) === waiters) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  #listen(): Promise<unknown> {
    if (this.#subscription === null) {
      this.#subscription = this.store.bus.subscribe(APPROVAL_CHANNEL, (message) => {
        for (const wake of [...(this.#waiters.get(message) ?? [])]) wake();
      });
      // A store without a working broadcast still answers: waiters read it every pollMs.
      this.#subscription.catch(() => undefined);
    }
    return this.#subscription.catch(() => undefined);
  }

  #open(): void {
    if (this.#closed) throw new WardenError('ERR_STORE_UNAVAILABLE', 'The approval queue was closed.');
  }
}

/** Whether `by` (with `roles`) may answer an item whose rule names `approvers`. */
function mayAnswer(approvers: readonly string[], by: string, roles: readonly string[], admin: ReadonlySet<string>): boolean {
  // invariant: an empty approver list lets nobody answer (but an admin role).
  if (approvers.includes(by)) return true;
  return roles.some((r) => approvers.includes(r) || admin.has(r));
}

/** An item whose expiry passed reads as expired, whatever the store says. */
function settle(item: ApprovalItem, now: number): ApprovalItem {
  if (item.status === 'pending' && item.expiresAt <= now) return { ...item, status: 'expired' };
  return item;
}

function itemKey(id: string): string {
  return storeKey('approval', 'item', id);
}

function jsonOf(v: unknown): JsonValue {
  return v === undefined ? null : (JSON.parse(JSON.stringify(v)) as JsonValue);
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new WardenError('ERR_OPTIONS', `${name} must be a positive whole number of milliseconds; got ${String(v)}.`);
  return v;
}

function stringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '' || s.length > MAX_NAME)) throw new WardenError('ERR_OPTIONS', `${name} must be a list of non-empty names.`);
  return [...(v as string[])];
}

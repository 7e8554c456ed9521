/**
 * Session state across calls: the flow labels a session has accumulated, how often each tool was
 * called, and a bounded history. Kept in the state store's key-value under the host's session id
 * (Claude Code's `session_id`, an MCP session, what an adapter provides; never anything the model
 * writes), with an expiry, and updated by compare-and-set so concurrent calls of one session
 * serialize. The pure part (what a call does to a session) is {@link sessionAfterCall}.
 */
import type { FlowLabels } from '../policy/limit-compile.js';
import type { SessionHistoryEntry, SessionView } from '../policy/session-view.js';
import { storeKey } from '../store/check.js';
import type { JsonValue, Store } from '../store/types.js';

/** Defaults: sessions expire a day after their last call; the history keeps the last 50 calls. */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_HISTORY_SIZE = 50;
/** Bounds that keep a session's stored value small whatever the agent does. */
const MAX_LABELS = 256;
const MAX_TOOLS = 1_000;
const MAX_SESSION_ID = 256;

/** A session as stored. */
export interface SessionState {
  readonly labels: readonly string[];
  readonly calls: Readonly<Record<string, number>>;
  readonly history: readonly SessionHistoryEntry[];
}

/** A session read from the store, with the version a compare-and-set must match (null: none stored yet). */
export interface LoadedSession {
  readonly id: string;
  readonly view: SessionView;
  readonly version: number | null;
}

export const EMPTY_SESSION: SessionState = Object.freeze({ labels: Object.freeze([]), calls: Object.freeze({}), history: Object.freeze([]) });

/**
 * Why `id` cannot name a session, or null.
 *
 * @example
 * ```ts
 * sessionIdProblem(''); // 'the session id is empty'
 * ```
 */
export function sessionIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') return 'the session id is not a string';
  if (id.length === 0) return 'the session id is empty';
  if (id.length > MAX_SESSION_ID) return `the session id is longer than ${MAX_SESSION_ID} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'the session id holds control characters';
  return null;
}

/**
 * The store key of a session.
 *
 * @example
 * ```ts
 * sessionStoreKey('abc:1'); // 'session:abc%3A1'
 * ```
 */
export function sessionStoreKey(id: string): string {
  return storeKey('session', id);
}

/**
 * The session after an allowed call of `tool` carrying `flow` labels at `at`: the labels it reads
 * and ingests are added, those it declassifies removed (after adding: a declassifying tool cannot
 * launder its own reads), the call counted and appended to the history (the oldest dropped past
 * `historySize`). Pure.
 *
 * @example
 * ```ts
 * const s = sessionAfterCall(EMPTY_SESSION, 'read_customer', set.flowLabels('read_customer'), new Date(), 50);
 * s.labels; // ['private']
 * ```
 */
export function sessionAfterCall(state: SessionState, tool: string, flow: FlowLabels, at: Date, historySize: number, extra: readonly string[] = []): SessionState {
  const added = [...flow.reads, ...flow.ingests, ...extra];
  const labels = new Set(state.labels);
  for (const l of added) labels.add(l);
  for (const l of flow.declassifies) if (!added.includes(l)) labels.delete(l);
  const calls: Record<string, number> = { ...state.calls };
  if (Object.prototype.hasOwnProperty.call(calls, tool) || Object.keys(calls).length < MAX_TOOLS) calls[tool] = (Object.prototype.hasOwnProperty.call(calls, tool) ? (calls[tool] as number) : 0) + 1;
  const entry: SessionHistoryEntry = { tool, labels: [...new Set(added)].sort(), at: at.toISOString() };
  const history = [...state.history, entry].slice(-Math.max(0, historySize));
  return { labels: [...labels].sort().slice(0, MAX_LABELS), calls, history };
}

/**
 * The session with `labels` added by what a call returned (an output scanner marking a result
 * `untrusted`). Pure.
 *
 * @example
 * ```ts
 * sessionWithLabels(EMPTY_SESSION, ['untrusted']).labels; // ['untrusted']
 * ```
 */
export function sessionWithLabels(state: SessionState, labels: readonly string[]): SessionState {
  return { ...state, labels: [...new Set([...state.labels, ...labels])].sort().slice(0, MAX_LABELS) };
}

/**
 * Reads a session from the store (an absent or expired one is empty). Rejects when the store
 * fails or holds something that is not a session.
 *
 * @example
 * ```ts
 * const { view, version } = await loadSession(store, 'sess-1');
 * ```
 */
export async function loadSession(store: Store, id: string): Promise<LoadedSession> {
  const bad = sessionIdProblem(id);
  if (bad !== null) throw new Error(bad);
  const entry = await store.kv.get(sessionStoreKey(id));
  const state = entry === null ? EMPTY_SESSION : parseSession(entry.value);
  return { id, view: { id, labels: state.labels, calls: state.calls, history: state.history }, version: entry === null ? null : entry.version };
}

/**
 * Writes `next` if the session is still at `version`; false when another call changed it first.
 *
 * @example
 * ```ts
 * const ok = await commitSession(store, loaded, next, DEFAULT_SESSION_TTL_MS);
 * ```
 */
export async function commitSession(store: Store, loaded: LoadedSession, next: SessionState, ttlMs: number): Promise<boolean> {
  const value = { labels: [...next.labels], calls: { ...next.calls }, history: next.history.map((h) => ({ tool: h.tool, labels: [...h.labels], at: h.at })) } as unknown as JsonValue;
  return (await store.kv.compareAndSet(sessionStoreKey(loaded.id), loaded.version, value, { ttlMs })) !== null;
}

/**
 * Adds labels to a stored session (what an outcome brought in), retrying on concurrent writes.
 *
 * @example
 * ```ts
 * await markSession(store, 'sess-1', ['untrusted']);
 * ```
 */
export async function markSession(store: Store, id: string, labels: readonly string[], ttlMs = DEFAULT_SESSION_TTL_MS): Promise<void> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const loaded = await loadSession(store, id);
    if (await commitSession(store, loaded, sessionWithLabels(loaded.view, labels), ttlMs)) return;
  }
  throw new Error(`session "${id}" kept changing; its labels were not added`);
}

/** The stored value as a session; throws when it is not one (the store was written by something else). */
function parseSession(value: JsonValue): SessionState {
  const v = value as { labels?: unknown; calls?: unknown; history?: unknown } | null;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    Array.isArray(v.labels) &&
    v.labels.every((l) => typeof l === 'string') &&
    v.calls !== null &&
    typeof v.calls === 'object' &&
    !Array.isArray(v.calls) &&
    Object.values(v.calls as object).every((n) => Number.isSafeInteger(n) && (n as number) >= 0) &&
    Array.isArray(v.history) &&
    v.history.every((h: unknown) => h !== null && typeof h === 'object' && typeof (h as SessionHistoryEntry).tool === 'string' && typeof (h as SessionHistoryEntry).at === 'string' && Array.isArray((h as SessionHistoryEntry).labels));
  if (!ok) throw new Error('the stored session is malformed');
  return v as SessionState;
}

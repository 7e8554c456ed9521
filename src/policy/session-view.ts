/**
 * What a policy sees of the session a call belongs to (`session` in conditions): the labels it
 * has accumulated, how often each tool was called, and a bounded history. The runtime keeps the
 * session in a store and passes this view in per decision; the core only reads it.
 */

/** One past call of a session, as policies see it. */
export interface SessionHistoryEntry {
  readonly tool: string;
  /** Labels the call added (reads, ingests, outcome labels). */
  readonly labels: readonly string[];
  /** When it was decided, ISO 8601. */
  readonly at: string;
}

/**
 * The session of a call, as passed to `PolicySet.decide(request, { session })`.
 *
 * @example
 * ```ts
 * const session: SessionView = { id: 's-1', labels: ['private'], calls: { read_customer: 1 }, history: [] };
 * set.decide({ tool: 'post_webhook', args: {} }, { session });
 * ```
 */
export interface SessionView {
  readonly id: string;
  readonly labels: readonly string[];
  readonly calls: Readonly<Record<string, number>>;
  readonly history: readonly SessionHistoryEntry[];
}

/** Bounds on a session view; a view over them is refused (the conditions reading it error, so deny rules apply). */
const MAX_LABELS = 256;
const MAX_TOOLS = 10_000;
const MAX_HISTORY = 1_000;

/**
 * The session as CEL values, or a string saying why the view is unusable.
 *
 * @example
 * ```ts
 * sessionToCel({ id: 's', labels: [], calls: {}, history: [] }) instanceof Map; // true
 * ```
 */
export function sessionToCel(view: unknown): Map<string, unknown> | string {
  if (view === null || typeof view !== 'object') return 'the session is not an object';
  const v = view as Partial<SessionView>;
  if (typeof v.id !== 'string' || v.id.length === 0) return 'the session has no id';
  if (!Array.isArray(v.labels) || v.labels.length > MAX_LABELS || !v.labels.every((l) => typeof l === 'string')) return 'session.labels is not a list of at most 256 strings';
  const calls = new Map<string, unknown>();
  if (v.calls === null || typeof v.calls !== 'object' || Array.isArray(v.calls)) return 'session.calls is not a map';
  const entries = Object.entries(v.calls);
  if (entries.length > MAX_TOOLS) return 'session.calls has too many tools';
  for (const [tool, n] of entries) {
    if (!Number.isSafeInteger(n) || n < 0) return `session.calls of "${tool}" is not a count`;
    calls.set(tool, n);
  }
  if (!Array.isArray(v.history) || v.history.length > MAX_HISTORY) return 'session.history is not a list of at most 1000 entries';
  const history: Map<string, unknown>[] = [];
  for (const h of v.history) {
    if (h === null || typeof h !== 'object' || typeof h.tool !== 'string' || typeof h.at !== 'string' || !Array.isArray(h.labels) || !(h.labels as unknown[]).every((l) => typeof l === 'string')) return 'an entry of session.history is malformed';
    const m = new Map<string, unknown>();
    m.set('tool', h.tool);
    m.set('labels', [...h.labels]);
    m.set('at', h.at);
    history.push(m);
  }
  const out = new Map<string, unknown>();
  out.set('id', v.id);
  out.set('labels', [...v.labels]);
  out.set('calls', calls);
  out.set('history', history);
  return out;
}

/**
 * Policy regression replay: re-decide recorded requests under a candidate PolicySet and count
 * what would change.
 *
 * The engine streams: it keeps counters, one group per deciding rule (bounded by the size of the
 * policy), and a bounded number of examples, so memory does not grow with the number of records.
 */
import type { AuditRequest, RedactionNote } from '../audit/record.js';
import { WardenError } from '../errors.js';
import type { PolicySet } from '../policy/policy-set.js';
import { EFFECTS, type AgentIdentity, type Decision, type Effect } from '../decision.js';
import { DEFAULT_HISTORY_SIZE, DEFAULT_SESSION_TTL_MS, EMPTY_SESSION, sessionAfterCall, sessionIdProblem, sessionWithLabels, type SessionState } from '../runtime/session.js';
import type { SessionView } from '../policy/session-view.js';
import { hiddenFields } from './hidden-fields.js';
import { RuleReads } from './rule-reads.js';

/**
 * A recorded decision as replay reads it: the fields of an audit decision record that
 * re-evaluation needs. Every `AuditDecisionRecord` is one; traces kept elsewhere can be mapped onto it.
 *
 * @example
 * ```ts
 * const r: ReplayDecisionRecord = {
 *   type: 'decision', seq: 1, ts: '2025-06-01T12:00:00.000Z', agent: { id: 'coder' },
 *   request: { tool: 'write_file', args: { path: '/etc/hosts' } },
 *   decision: { effect: 'allow', rule: 'writes', policy: 'prod' }, redactions: [],
 * };
 * ```
 */
export interface ReplayDecisionRecord {
  type: 'decision';
  /** Position in the stream; shown in examples. */
  seq?: number;
  /** ISO-8601 time of the decision: the `now` rules see on replay. */
  ts: string;
  agent: AgentIdentity | null;
  request: AuditRequest;
  decision: { effect: Effect; rule: string | null; policy: string | null; reason?: string };
  /** Every redacted span. Required: without it replay cannot tell a redacted value from a real one. */
  redactions: readonly RedactionNote[];
  /** The call's id: joins the call's outcome record (its labels reach the session). */
  call?: string;
  /** Whether the call went on after approval handling and limits (`executed`): it then joined its session. */
  outcome?: { executed?: boolean };
}

/**
 * An outcome record as replay reads it: the call it belongs to and the labels its result added to
 * the call's session (an output scanner's `untrusted`). Every `AuditOutcomeRecord` is one.
 *
 * @example
 * ```ts
 * const o: ReplayOutcomeRecord = { type: 'outcome', call: 'c-7', outcome: { status: 'ok', labels: ['untrusted'] } };
 * ```
 */
export interface ReplayOutcomeRecord {
  type: 'outcome';
  call?: string;
  outcome?: { labels?: readonly string[] };
}

/**
 * A line that could not be read as a record, handed to {@link replay} so it is counted, not lost.
 *
 * @example
 * ```ts
 * const bad: ReplayMalformedLine = { type: 'malformed', file: 'audit.jsonl', line: 7, message: 'the line is not JSON' };
 * ```
 */
export interface ReplayMalformedLine {
  type: 'malformed';
  file: string;
  /** 1-based line number. */
  line: number;
  message: string;
}

/**
 * One item replay reads: a decision record, a checkpoint or outcome record (skipped), or a malformed line.
 *
 * @example
 * ```ts
 * const items: ReplayRecord[] = [{ type: 'checkpoint' }, { type: 'malformed', file: 'a.jsonl', line: 3, message: 'not JSON' }];
 * ```
 */
export type ReplayRecord = ReplayDecisionRecord | { type: 'checkpoint' } | ReplayOutcomeRecord | ReplayMalformedLine;

/**
 * A change of effect: `allow->deny`, `deny->allow`, `allow->require_approval`, ...
 *
 * @example
 * ```ts
 * const kind: ChangeKind = 'allow->deny';
 * ```
 */
export type ChangeKind = `${Effect}->${Effect}`;

/**
 * A decision, as far as a replay report needs it.
 *
 * @example
 * ```ts
 * const d: DecisionSummary = { effect: 'deny', rule: 'no-prod-writes', policy: 'production' };
 * ```
 */
export interface DecisionSummary {
  effect: Effect;
  /** The deciding rule; null when a policy default (or a request error) decided. */
  rule: string | null;
  policy: string | null;
}

/**
 * One replayed request whose decision changed (or could not be determined).
 *
 * @example
 * ```ts
 * const e: ReplayExample = {
 *   seq: 12, ts: '2025-06-01T12:00:00.000Z', tool: 'write_file', agent: 'coder', args: '{"path":"/etc/hosts"}',
 *   before: { effect: 'allow', rule: 'writes', policy: 'prod' },
 *   after: { effect: 'deny', rule: 'no-etc', policy: 'prod', reason: 'No writes under /etc' },
 *   kind: 'allow->deny',
 * };
 * ```
 */
export interface ReplayExample {
  seq: number | null;
  ts: string;
  tool: string;
  /** The authenticated agent id, or null. */
  agent: string | null;
  /** The recorded (redacted) arguments as JSON, cut to {@link ARGS_SUMMARY_CHARS} characters. */
  args: string;
  /** The recorded decision, or the baseline's decision in baseline mode. */
  before: DecisionSummary;
  /** The candidate's decision (for an indeterminate record: on the redacted arguments, so not to be trusted). */
  after: DecisionSummary & { reason: string };
  /** `before.effect->after.effect`. */
  kind: ChangeKind;
  /** Set for indeterminate records: what was hidden, and which evaluated rule reads it. */
  indeterminate?: { hidden: string[]; reason: string };
}

/**
 * The changed decisions that one rule (or a default) now decides.
 *
 * @example
 * ```ts
 * for (const g of report.groups) console.log(g.rule ?? '(default)', g.count, g.changes);
 * ```
 */
export interface ReplayGroup {
  /** The rule that now decides; null for a policy default (or a request the candidate refuses as invalid). */
  rule: string | null;
  policy: string | null;
  /** The effect it now decides. */
  effect: Effect;
  /** Changed decisions in this group. */
  count: number;
  /** The group's changes by kind. */
  changes: Partial<Record<ChangeKind, number>>;
  /** The first few, in log order. */
  examples: ReplayExample[];
}

/**
 * A line or item that was not a readable record.
 *
 * @example
 * ```ts
 * const m: MalformedExample = { file: 'audit.jsonl', line: 7, seq: null, message: 'the line is not JSON' };
 * ```
 */
export interface MalformedExample {
  file: string | null;
  line: number | null;
  seq: number | null;
  message: string;
}

/**
 * The result of a replay. Invariant: `decisions === unchanged + changed + indeterminate`.
 *
 * @example
 * ```ts
 * const report = await replay(records, candidate);
 * console.log(report.changed, report.changes['deny->allow'] ?? 0, report.indeterminate);
 * ```
 */
export interface ReplayReport {
  /** `recorded`: compared with the recorded decisions; `baseline`: with a baseline PolicySet's decisions. */
  mode: 'recorded' | 'baseline';
  candidate: { digest: string; policies: string[] };
  baseline: { digest: string; policies: string[] } | null;
  /** Items read: decision records, checkpoints and malformed lines. */
  read: number;
  decisions: number;
  checkpoints: number;
  malformed: number;
  /** Same effect as before. */
  unchanged: number;
  /** Of the unchanged: decided by another rule than before (a rule instead of a default, or the reverse, counts). */
  unchangedOtherRule: number;
  /** Another effect than before. */
  changed: number;
  /** Records whose redacted arguments a deciding rule reads: neither unchanged nor changed. */
  indeterminate: number;
  /** Changed decisions by kind, only kinds that occurred, most restrictive source effect first. */
  changes: Partial<Record<ChangeKind, number>>;
  /** Changed decisions by the rule that now decides them, largest group first. */
  groups: ReplayGroup[];
  /** The first few indeterminate records. */
  indeterminateExamples: ReplayExample[];
  /** The first few malformed items (at most {@link MAX_MALFORMED_EXAMPLES}). */
  malformedExamples: MalformedExample[];
  /** `ts` of the first and last decision record read. */
  firstTs: string | null;
  lastTs: string | null;
  /**
   * Sessions rebuilt from the stream (see {@link ReplayOptions.sessions}): how many distinct ones,
   * and how many were dropped past {@link MAX_REPLAY_SESSIONS} (their later calls were decided from
   * an empty session). Zero when sessions were not rebuilt.
   */
  sessions: { rebuilt: number; dropped: number };
}

/**
 * Counters reported while replay runs.
 *
 * @example
 * ```ts
 * const onProgress = (p: ReplayProgress) => console.error(`${p.read} read, ${p.changed} changed`);
 * ```
 */
export interface ReplayProgress {
  read: number;
  decisions: number;
  changed: number;
  indeterminate: number;
  malformed: number;
}

/**
 * A changed or indeterminate decision, as it happens (for streaming consumers such as a JUnit writer).
 *
 * @example
 * ```ts
 * const onChange = (c: ReplayChange) => { if (c.status === 'changed') console.log(c.example.kind); };
 * ```
 */
export interface ReplayChange {
  status: 'changed' | 'indeterminate';
  example: ReplayExample;
}

/**
 * Options of {@link replay}.
 *
 * @example
 * ```ts
 * const options: ReplayOptions = { baseline: current, examplesPerGroup: 5, onProgress: (p) => console.error(p.read) };
 * ```
 */
export interface ReplayOptions {
  /** Compare the candidate with this PolicySet's decisions on the same requests instead of the recorded ones. */
  baseline?: PolicySet;
  /** Examples kept per group (and of indeterminate records): 0 to {@link MAX_EXAMPLES_PER_GROUP}. Default 3. */
  examplesPerGroup?: number;
  /** Called every `progressEvery` items and once at the end. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Items between progress calls. Default 10,000. */
  progressEvery?: number;
  /** Called for every changed or indeterminate decision, in log order. */
  onChange?: (change: ReplayChange) => void;
  /**
   * Rebuild each session (`context.session`) from the stream, as the pipeline built it: every call
   * recorded as allowed adds its tool's flow labels, count and history entry (under each policy's
   * own flow labels), an outcome adds the labels its result carried, and a session a day idle
   * starts empty. Each call is decided with the session the calls before it built. Default true;
   * false decides each record alone (a rule that reads `session` then fails closed).
   */
  sessions?: boolean;
}

/** Sessions (and calls awaiting their outcome) replay keeps at once; the least recently used go first. */
export const MAX_REPLAY_SESSIONS = 100_000;

/** Largest `examplesPerGroup`. */
export const MAX_EXAMPLES_PER_GROUP = 1000;
/** Malformed items kept as examples in a report. */
export const MAX_MALFORMED_EXAMPLES = 20;
/** Characters of the arguments' JSON kept in an example. */
export const ARGS_SUMMARY_CHARS = 200;

const DEFAULT_EXAMPLES = 3;
const DEFAULT_PROGRESS_EVERY = 10_000;
const EFFECT_SET: ReadonlySet<string> = new Set(EFFECTS);

/**
 * Why `value` cannot be replayed as a record, or null when it can. Checks only what replay reads.
 *
 * @example
 * ```ts
 * replayRecordProblem({ type: 'decision' }); // '`ts` is not a string'
 * ```
 */
export function replayRecordProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.type === 'checkpoint' || v.type === 'malformed' || v.type === 'outcome') return null;
  if (v.type !== 'decision') return '`type` is not "decision", "checkpoint" or "outcome"';
  if (typeof v.ts !== 'string') return '`ts` is not a string';
  if (v.seq !== undefined && (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq))) return '`seq` is not an integer';
  const request = v.request as Record<string, unknown> | null | undefined;
  if (!isObject(request)) return '`request` is not an object';
  if (typeof request.tool !== 'string') return '`request.tool` is not a string';
  const decisionErrors = (v.decision as { errors?: unknown } | null | undefined)?.errors;
  const invalid = Array.isArray(decisionErrors) && decisionErrors.some((e) => isObject(e) && e.code === 'invalid_request');
  // A request refused as invalid is recorded as the caller gave it (args a list, say), so it stays invalid on replay.
  if (!isObject(request.args) && !invalid) return '`request.args` is not an object';
  if (request.context !== undefined && !isObject(request.context)) return '`request.context` is not an object';
  if (v.agent !== null && v.agent !== undefined && !isObject(v.agent)) return '`agent` is neither an object nor null';
  const decision = v.decision as Record<string, unknown> | null | undefined;
  if (!isObject(decision)) return '`decision` is not an object';
  if (typeof decision.effect !== 'string' || !EFFECT_SET.has(decision.effect)) return '`decision.effect` is not allow, deny, require_approval or warn';
  if (decision.rule !== null && typeof decision.rule !== 'string') return '`decision.rule` is neither a string nor null';
  if (decision.policy !== null && typeof decision.policy !== 'string') return '`decision.policy` is neither a string nor null';
  if (!Array.isArray(v.redactions)) return '`redactions` is not a list (replay cannot tell redacted values from real ones)';
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface GroupState {
  rule: string | null;
  policy: string | null;
  effect: Effect;
  count: number;
  changes: Map<ChangeKind, number>;
  examples: ReplayExample[];
}

/**
 * Re-decides every recorded request under `candidate` (with `now` = the record's `ts`) and
 * compares with the recorded decision, or with `baseline`'s decision on the same request.
 * Checkpoints are skipped; malformed items are counted and listed. A record whose redacted fields
 * a rule evaluated for the decision reads is `indeterminate`, never unchanged or changed (see
 * docs/replay.md). Hashes are not checked: that is `warden audit verify`.
 *
 * @example
 * ```ts
 * const candidate = await loadPolicyFiles(['policies/']);
 * const report = await replay(queryAuditLog(['.warden/audit/warden.jsonl']), candidate, { examplesPerGroup: 5 });
 * if ((report.changes['deny->allow'] ?? 0) > 0) console.log('the candidate allows what was denied');
 * ```
 * @throws WardenError `ERR_REPLAY_OPTIONS` for an `examplesPerGroup` or `progressEvery` out of range.
 */
export async function replay(
  records: Iterable<ReplayRecord> | AsyncIterable<ReplayRecord>,
  candidate: PolicySet,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const run = new ReplayRun(candidate, options);
  if (Symbol.asyncIterator in records) {
    for await (const item of records) run.add(item);
  } else {
    for (const item of records) run.add(item);
  }
  return run.finish();
}

/** One replay's state: counters, groups and examples. */
class ReplayRun {
  readonly #candidate: PolicySet;
  readonly #baseline: PolicySet | null;
  readonly #candidateReads: RuleReads;
  readonly #baselineReads: RuleReads | null;
  readonly #examples: number;
  readonly #every: number;
  readonly #onProgress: ReplayOptions['onProgress'];
  readonly #onChange: ReplayOptions['onChange'];
  readonly #groups = new Map<string, GroupState>();
  readonly #changes = new Map<ChangeKind, number>();
  readonly #indeterminateExamples: ReplayExample[] = [];
  readonly #malformedExamples: MalformedExample[] = [];
  #read = 0;
  #decisions = 0;
  #checkpoints = 0;
  #malformed = 0;
  #unchanged = 0;
  #unchangedOtherRule = 0;
  #changed = 0;
  #indeterminate = 0;
  #firstTs: string | null = null;
  #lastTs: string | null = null;
  /** Per session: its state under the candidate and under the baseline, and its last call. Null when sessions are not rebuilt. */
  readonly #sessions: Map<string, ReplaySession> | null;
  /** Call id to session id, for the outcome records still to come. */
  readonly #callSessions = new Map<string, string>();
  #sessionsRebuilt = 0;
  #sessionsDropped = 0;

  constructor(candidate: PolicySet, options: ReplayOptions) {
    this.#examples = boundedInt(options.examplesPerGroup, DEFAULT_EXAMPLES, 0, MAX_EXAMPLES_PER_GROUP, 'examplesPerGroup');
    this.#every = boundedInt(options.progressEvery, DEFAULT_PROGRESS_EVERY, 1, Number.MAX_SAFE_INTEGER, 'progressEvery');
    this.#candidate = candidate;
    this.#baseline = options.baseline ?? null;
    this.#candidateReads = new RuleReads(candidate);
    this.#baselineReads = this.#baseline === null ? null : new RuleReads(this.#baseline);
    this.#onProgress = options.onProgress;
    this.#onChange = options.onChange;
    if (options.sessions !== undefined && typeof options.sessions !== 'boolean') throw new WardenError('ERR_REPLAY_OPTIONS', `sessions must be true or false; got ${JSON.stringify(options.sessions)}.`);
    this.#sessions = options.sessions === false ? null : new Map();
  }

  add(item: ReplayRecord): void {
    this.#read += 1;
    const problem = replayRecordProblem(item);
    if (problem !== null) {
      const seq = (item as { seq?: unknown } | null)?.seq;
      this.#addMalformed({ file: null, line: null, seq: typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null, message: problem });
    } else if (item.type === 'malformed') {
      this.#addMalformed({ file: String(item.file), line: Number.isSafeInteger(item.line) ? item.line : null, seq: null, message: String(item.message) });
    } else if (item.type === 'checkpoint') {
      this.#checkpoints += 1;
    } else if (item.type === 'outcome') {
      // What ran and how it went: nothing to re-decide, but the labels its result carried reach its session.
      this.#outcome(item);
    } else {
      this.#decide(item);
    }
    if (this.#onProgress !== undefined && this.#read % this.#every === 0) this.#onProgress(this.#progress());
  }

  /** The session a decision record belongs to (rebuilt so far), or null when it names none or sessions are not rebuilt. */
  #sessionOf(record: ReplayDecisionRecord, now: Date): ReplaySession | null {
    const sessions = this.#sessions;
    if (sessions === null) return null;
    const id = (record.request.context as Record<string, unknown> | undefined)?.session;
    // A call without a usable session id had no session in production either.
    if (typeof id !== 'string' || sessionIdProblem(id) !== null) return null;
    let s = sessions.get(id);
    if (s !== undefined) {
      sessions.delete(id);
      // An idle session expired in the store: the next call starts an empty one.
      if (now.getTime() - s.last > DEFAULT_SESSION_TTL_MS) s = { id, candidate: EMPTY_SESSION, baseline: EMPTY_SESSION, last: now.getTime() };
    } else {
      this.#sessionsRebuilt += 1;
      s = { id, candidate: EMPTY_SESSION, baseline: EMPTY_SESSION, last: now.getTime() };
      if (sessions.size >= MAX_REPLAY_SESSIONS) {
        sessions.delete(sessions.keys().next().value as string);
        this.#sessionsDropped += 1;
      }
    }
    s.last = Math.max(s.last, now.getTime());
    sessions.set(id, s);
    return s;
  }

  /** An outcome's labels (what its result carried) join the session its call ran in. */
  #outcome(item: ReplayOutcomeRecord): void {
    if (this.#sessions === null || typeof item.call !== 'string') return;
    const labels = item.outcome?.labels;
    const id = this.#callSessions.get(item.call);
    this.#callSessions.delete(item.call);
    if (id === undefined || !Array.isArray(labels) || labels.length === 0) return;
    const s = this.#sessions.get(id);
    if (s === undefined) return;
    const strings = labels.filter((l): l is string => typeof l === 'string');
    s.candidate = sessionWithLabels(s.candidate, strings);
    s.baseline = sessionWithLabels(s.baseline, strings);
  }

  #addMalformed(example: MalformedExample): void {
    this.#malformed += 1;
    if (this.#malformedExamples.length < MAX_MALFORMED_EXAMPLES) this.#malformedExamples.push(example);
  }

  #decide(record: ReplayDecisionRecord): void {
    this.#decisions += 1;
    this.#firstTs ??= record.ts;
    this.#lastTs = record.ts;
    const { tool, args, context } = record.request;
    const request: Record<string, unknown> = { tool, args };
    if (context !== undefined) request.context = context;
    if (record.agent !== null && record.agent !== undefined) request.agent = record.agent;
    const now = new Date(record.ts);
    const session = this.#sessionOf(record, now);
    const after = this.#candidate.decide(request, session === null ? { now } : { now, session: viewOf(session.id, session.candidate) });
    const before: DecisionSummary & { reason?: string } = this.#baseline === null ? record.decision : this.#baseline.decide(request, session === null ? { now } : { now, session: viewOf(session.id, session.baseline) });
    // As in production: the call joined its session when it went on (approved, within its limits);
    // a record without that outcome joins when its policy decision allowed it.
    const executed = record.outcome?.executed;
    const joined = typeof executed === 'boolean' ? executed : record.decision.effect === 'allow' || record.decision.effect === 'warn';
    if (session !== null && joined) {
      session.candidate = sessionAfterCall(session.candidate, tool, this.#candidate.flowLabels(tool), now, DEFAULT_HISTORY_SIZE);
      if (this.#baseline !== null) session.baseline = sessionAfterCall(session.baseline, tool, this.#baseline.flowLabels(tool), now, DEFAULT_HISTORY_SIZE);
      if (typeof record.call === 'string') {
        this.#callSessions.delete(record.call);
        this.#callSessions.set(record.call, session.id);
        if (this.#callSessions.size > MAX_REPLAY_SESSIONS) this.#callSessions.delete(this.#callSessions.keys().next().value as string);
      }
    }

    const hidden = record.redactions.length === 0 ? null : hiddenFields(record.redactions);
    if (hidden !== null && (hidden.everything || hidden.paths.length > 0)) {
      const why = this.#whyIndeterminate(tool, before, after, hidden);
      if (why !== null) {
        this.#indeterminate += 1;
        const wanted = this.#indeterminateExamples.length < this.#examples;
        if (wanted || this.#onChange !== undefined) {
          const example = exampleOf(record, before, after);
          example.indeterminate = { hidden: hidden.everything ? ['(everything)'] : [...hidden.paths], reason: why };
          if (wanted) this.#indeterminateExamples.push(example);
          this.#onChange?.({ status: 'indeterminate', example });
        }
        return;
      }
    }

    if (before.effect === after.effect) {
      this.#unchanged += 1;
      // A default on both sides is the same decider even when the policy was renamed.
      if (before.rule !== after.rule || (after.rule !== null && before.policy !== after.policy)) this.#unchangedOtherRule += 1;
      return;
    }
    this.#changed += 1;
    const kind: ChangeKind = `${before.effect}->${after.effect}`;
    this.#changes.set(kind, (this.#changes.get(kind) ?? 0) + 1);
    const key = `${after.policy ?? ''}\u0000${after.rule ?? ''}\u0000${after.rule === null ? after.effect : ''}`;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { rule: after.rule, policy: after.policy, effect: after.effect, count: 0, changes: new Map(), examples: [] };
      this.#groups.set(key, group);
    }
    group.count += 1;
    group.changes.set(kind, (group.changes.get(kind) ?? 0) + 1);
    const wanted = group.examples.length < this.#examples;
    if (wanted || this.#onChange !== undefined) {
      const example = exampleOf(record, before, after);
      if (wanted) group.examples.push(example);
      this.#onChange?.({ status: 'changed', example });
    }
  }

  /** Why the comparison cannot be trusted on this record's redacted data, or null when it can. */
  #whyIndeterminate(tool: string, before: DecisionSummary & { reason?: string }, after: Decision, hidden: ReturnType<typeof hiddenFields>): string | null {
    // Redaction changes sizes and key names, so a request refused as invalid (or accepted) on the
    // redacted data may not have been on the real one.
    if (isInvalid(after) || isInvalid(before)) return 'the request is refused as invalid on one side, and redaction changes what the size and shape limits see';
    const candidate = this.#candidateReads.hiddenRead(tool, after, hidden);
    if (candidate !== null) return describeHiddenRead('candidate', candidate);
    if (this.#baselineReads !== null) {
      const baseline = this.#baselineReads.hiddenRead(tool, before, hidden);
      if (baseline !== null) return describeHiddenRead('baseline', baseline);
    }
    return null;
  }

  #progress(): ReplayProgress {
    return { read: this.#read, decisions: this.#decisions, changed: this.#changed, indeterminate: this.#indeterminate, malformed: this.#malformed };
  }

  finish(): ReplayReport {
    this.#onProgress?.(this.#progress());
    const groups: ReplayGroup[] = [...this.#groups.values()]
      .map((g) => ({ rule: g.rule, policy: g.policy, effect: g.effect, count: g.count, changes: ordered(g.changes), examples: g.examples }))
      .sort((a, b) => b.count - a.count || compareNullable(a.policy, b.policy) || compareNullable(a.rule, b.rule));
    return {
      mode: this.#baseline === null ? 'recorded' : 'baseline',
      candidate: setInfo(this.#candidate),
      baseline: this.#baseline === null ? null : setInfo(this.#baseline),
      read: this.#read,
      decisions: this.#decisions,
      checkpoints: this.#checkpoints,
      malformed: this.#malformed,
      unchanged: this.#unchanged,
      unchangedOtherRule: this.#unchangedOtherRule,
      changed: this.#changed,
      indeterminate: this.#indeterminate,
      changes: ordered(this.#changes),
      groups,
      indeterminateExamples: this.#indeterminateExamples,
      malformedExamples: this.#malformedExamples,
      firstTs: this.#firstTs,
      lastTs: this.#lastTs,
      sessions: { rebuilt: this.#sessionsRebuilt, dropped: this.#sessionsDropped },
    };
  }
}

function describeHiddenRead(side: 'candidate' | 'baseline', r: { policy: string | null; rule: string | null; read: string }): string {
  if (r.rule === null) return `${r.read} was redacted`;
  return `${side} rule "${r.rule}" of policy "${r.policy ?? ''}" reads ${r.read}, which was redacted`;
}

function isInvalid(d: { rule: string | null; policy: string | null; reason?: string }): boolean {
  return d.rule === null && d.policy === null && d.reason === 'invalid_request';
}

function exampleOf(record: ReplayDecisionRecord, before: DecisionSummary, after: Decision): ReplayExample {
  const agent = record.agent?.id;
  return {
    seq: typeof record.seq === 'number' ? record.seq : null,
    ts: record.ts,
    tool: record.request.tool,
    agent: typeof agent === 'string' ? agent : null,
    args: summarizeArgs(record.request.args),
    before: { effect: before.effect, rule: before.rule, policy: before.policy },
    after: { effect: after.effect, rule: after.rule, policy: after.policy, reason: after.reason },
    kind: `${before.effect}->${after.effect}`,
  };
}

/**
 * The arguments as JSON, cut to {@link ARGS_SUMMARY_CHARS} characters (with `…` when cut).
 *
 * @example
 * ```ts
 * summarizeArgs({ path: '/etc/hosts' }); // '{"path":"/etc/hosts"}'
 * ```
 */
export function summarizeArgs(args: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(args) ?? 'undefined';
  } catch (e) {
    text = `(not JSON: ${e instanceof Error ? e.message : String(e)})`;
  }
  return text.length > ARGS_SUMMARY_CHARS ? `${text.slice(0, ARGS_SUMMARY_CHARS - 1)}…` : text;
}

/** Every change kind, in report order: most restrictive source effect first, then target. */
const KIND_ORDER: readonly ChangeKind[] = EFFECTS.flatMap((from) => EFFECTS.filter((to) => to !== from).map((to) => `${from}->${to}` as ChangeKind));

function ordered(counts: ReadonlyMap<ChangeKind, number>): Partial<Record<ChangeKind, number>> {
  const out: Partial<Record<ChangeKind, number>> = {};
  for (const kind of KIND_ORDER) {
    const n = counts.get(kind);
    if (n !== undefined) out[kind] = n;
  }
  return out;
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function setInfo(set: PolicySet): { digest: string; policies: string[] } {
  return { digest: set.digest, policies: set.policies.map((p) => p.name) };
}

function boundedInt(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new WardenError('ERR_REPLAY_OPTIONS', `${name} must be an integer from ${min} to ${max}, got ${String(value)}.`);
  }
  return value;
}

/** A session as replay rebuilds it: one state per policy compared (each policy's flow labels build its own). */
interface ReplaySession {
  readonly id: string;
  candidate: SessionState;
  baseline: SessionState;
  /** Time of its last call (ms): an idle session expires as in the store. */
  last: number;
}

function viewOf(id: string, state: SessionState): SessionView {
  return { id, labels: state.labels, calls: state.calls, history: state.history };
}

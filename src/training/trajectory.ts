/**
 * Trajectories: the calls one rollout episode made, in order, each with the decision it was given
 * and what came of it. The interchange form is JSONL, one call per line (schema
 * `warden.trajectory/v1`, docs/training.md); {@link parseTrajectoryJsonl} reads it strictly
 * (unknown keys, duplicate keys, non-finite numbers, out-of-order steps are errors naming the
 * line) and {@link trajectoryJsonl} writes it.
 */
import type { AgentIdentity, Effect } from '../decision.js';
import { EFFECTS } from '../decision.js';
import { WardenError } from '../errors.js';
import { firstDuplicateKey } from '../lib/json-text.js';

/**
 * The schema name of the JSONL form (docs/training.md).
 *
 * @example
 * ```ts
 * console.log(`trajectories are ${TRAJECTORY_SCHEMA} JSONL`);
 * ```
 */
export const TRAJECTORY_SCHEMA = 'warden.trajectory/v1';

/**
 * Longest JSONL line accepted: 1 MiB.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(line) > MAX_TRAJECTORY_LINE_BYTES) console.warn('split this call');
 * ```
 */
export const MAX_TRAJECTORY_LINE_BYTES = 1024 * 1024;

/**
 * Most calls read from one input (bounded work).
 *
 * @example
 * ```ts
 * if (calls.length > MAX_TRAJECTORY_CALLS) console.warn('split the file');
 * ```
 */
export const MAX_TRAJECTORY_CALLS = 100_000;

/**
 * The decision a call was given when it was recorded (in the rollout, or in production).
 *
 * @example
 * ```ts
 * const d: RecordedDecision = { effect: 'deny', rule: 'no-secrets', policy: 'p', reason: 'secrets stay put' };
 * ```
 */
export interface RecordedDecision {
  effect: Effect;
  rule: string | null;
  policy: string | null;
  reason?: string;
}

/**
 * What came of a call: `ok` or `error` when it ran, `denied` when the environment returned a
 * denial instead of running it.
 *
 * @example
 * ```ts
 * const o: CallOutcome = { status: 'ok', result: { bytes: 120 } };
 * ```
 */
export interface CallOutcome {
  status: 'ok' | 'error' | 'denied';
  /** What the tool returned (plain JSON data), when recorded. */
  result?: unknown;
  /** The error message, for `error`. */
  error?: string;
}

/**
 * One call of a trajectory.
 *
 * @example
 * ```ts
 * const call: TrajectoryCall = { step: 0, ts: '2026-01-01T00:00:00.000Z', tool: 'read_file', args: { path: 'notes.txt' }, outcome: { status: 'ok' } };
 * ```
 */
export interface TrajectoryCall {
  /** Position in the episode: 0, 1, 2, ... strictly increasing. */
  step: number;
  /** When the call was made (ISO 8601): the `now` rules and limits see; the core reads no clock. */
  ts: string;
  tool: string;
  args: Record<string, unknown>;
  agent?: AgentIdentity;
  /** Context as the enforcement point gave it (not `session`: the trajectory is the session). */
  context?: Record<string, unknown>;
  /** The decision recorded at the time, when there was one. */
  decision?: RecordedDecision;
  outcome?: CallOutcome;
  /** The environment's own (task) reward for this step; finite. */
  reward?: number;
}

/**
 * One episode: its id, the training checkpoint whose policy produced it, and its calls in order.
 *
 * @example
 * ```ts
 * const t: Trajectory = { id: 'ep-1', checkpoint: 'step-100', calls: [] };
 * ```
 */
export interface Trajectory {
  id: string;
  /** The checkpoint (model version) that acted; null when not known. */
  checkpoint: string | null;
  calls: TrajectoryCall[];
}

const LINE_KEYS = ['trajectory', 'checkpoint', 'step', 'ts', 'tool', 'args', 'agent', 'context', 'decision', 'outcome', 'reward'] as const;
const DECISION_KEYS = ['effect', 'rule', 'policy', 'reason'];
const OUTCOME_KEYS = ['status', 'result', 'error'];
const AGENT_KEYS = ['id', 'roles', 'labels'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_ID = 256;

/**
 * Reads trajectories from JSONL text: one call per line, blank lines ignored, lines of one
 * trajectory in step order (trajectories may interleave). Strict: any line that is not a call of
 * the schema is an error naming the line.
 *
 * @example
 * ```ts
 * const [t] = parseTrajectoryJsonl('{"trajectory":"ep-1","step":0,"ts":"2026-01-01T00:00:00Z","tool":"ls","args":{}}\n');
 * t.calls.length; // 1
 * ```
 * @throws WardenError `ERR_TRAINING_INPUT` naming `source:line` and what is wrong.
 */
export function parseTrajectoryJsonl(text: string, source = '(input)'): Trajectory[] {
  if (typeof text !== 'string') throw new WardenError('ERR_TRAINING_INPUT', `${source}: trajectories must be JSONL text.`);
  const byId = new Map<string, Trajectory>();
  let calls = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const where = `${source}:${lineNo}`;
    if (Buffer.byteLength(line, 'utf8') > MAX_TRAJECTORY_LINE_BYTES) throw input(where, `the line is over ${MAX_TRAJECTORY_LINE_BYTES} bytes; split large arguments out of the trajectory`);
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim() === '') continue;
    if (++calls > MAX_TRAJECTORY_CALLS) throw input(where, `more than ${MAX_TRAJECTORY_CALLS} calls in one input; split the file`);
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      throw input(where, `the line is not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const dup = firstDuplicateKey(trimmed);
    if (dup !== null) throw input(where, `the key ${JSON.stringify(dup.key)} appears twice in one object`);
    const { id, checkpoint, call } = callOfLine(value, where);
    let t = byId.get(id);
    if (t === undefined) {
      t = { id, checkpoint, calls: [] };
      byId.set(id, t);
    } else if (t.checkpoint !== checkpoint) {
      throw input(where, `trajectory ${JSON.stringify(id)} was labelled checkpoint ${JSON.stringify(t.checkpoint)} earlier and ${JSON.stringify(checkpoint)} here; one trajectory comes from one checkpoint`);
    }
    const last = t.calls[t.calls.length - 1];
    if (last !== undefined && call.step <= last.step) throw input(where, `step ${call.step} of trajectory ${JSON.stringify(id)} does not come after step ${last.step}; write each trajectory's calls in step order`);
    t.calls.push(call);
  }
  return [...byId.values()];
}

/**
 * Checks one call as a value (the object form of a JSONL line) and returns it with its trajectory
 * id and checkpoint.
 *
 * @example
 * ```ts
 * callOfLine({ trajectory: 'ep-1', step: 0, ts: '2026-01-01T00:00:00Z', tool: 'ls', args: {} }, 'x:1').call.tool; // 'ls'
 * ```
 * @throws WardenError `ERR_TRAINING_INPUT` naming `where` and the field.
 */
export function callOfLine(value: unknown, where: string): { id: string; checkpoint: string | null; call: TrajectoryCall } {
  const o = plainObject(value, where, 'the line');
  for (const key of Object.keys(o)) {
    if (!(LINE_KEYS as readonly string[]).includes(key)) throw input(where, `unknown key ${JSON.stringify(key)}; a call line has ${LINE_KEYS.join(', ')}`);
  }
  const id = shortString(o.trajectory, where, 'trajectory');
  const checkpoint = own(o, 'checkpoint') && o.checkpoint !== null ? shortString(o.checkpoint, where, 'checkpoint') : null;
  if (!Number.isSafeInteger(o.step) || (o.step as number) < 0) throw input(where, '`step` must be a whole number 0 or more');
  const ts = o.ts;
  if (typeof ts !== 'string' || !ISO.test(ts) || Number.isNaN(Date.parse(ts))) throw input(where, '`ts` must be an ISO 8601 time with a zone, like "2026-01-01T00:00:00.000Z"');
  const tool = shortString(o.tool, where, 'tool');
  const args = plainObject(o.args, where, '`args`');
  finiteNumbers(args, where, 'args', 0);
  const call: TrajectoryCall = { step: o.step as number, ts: new Date(ts).toISOString(), tool, args };
  if (own(o, 'agent')) call.agent = agentOf(o.agent, where);
  if (own(o, 'context')) {
    const context = plainObject(o.context, where, '`context`');
    if (own(context, 'session')) throw input(where, '`context.session` is not accepted: the trajectory is the session (its id names it)');
    finiteNumbers(context, where, 'context', 0);
    call.context = context;
  }
  if (own(o, 'decision')) call.decision = decisionOf(o.decision, where);
  if (own(o, 'outcome')) call.outcome = outcomeOf(o.outcome, where);
  if (own(o, 'reward')) {
    if (typeof o.reward !== 'number' || !Number.isFinite(o.reward)) throw input(where, '`reward` must be a finite number');
    call.reward = o.reward;
  }
  return { id, checkpoint, call };
}

/**
 * Writes trajectories as JSONL (the form {@link parseTrajectoryJsonl} reads), one call per line.
 *
 * @example
 * ```ts
 * const text = trajectoryJsonl([{ id: 'ep-1', checkpoint: null, calls: [{ step: 0, ts: '2026-01-01T00:00:00.000Z', tool: 'ls', args: {} }] }]);
 * ```
 */
export function trajectoryJsonl(trajectories: readonly Trajectory[]): string {
  let out = '';
  for (const t of trajectories) {
    for (const c of t.calls) {
      const line: Record<string, unknown> = { trajectory: t.id };
      if (t.checkpoint !== null) line.checkpoint = t.checkpoint;
      line.step = c.step;
      line.ts = c.ts;
      line.tool = c.tool;
      line.args = c.args;
      if (c.agent !== undefined) line.agent = c.agent;
      if (c.context !== undefined) line.context = c.context;
      if (c.decision !== undefined) line.decision = c.decision;
      if (c.outcome !== undefined) line.outcome = c.outcome;
      if (c.reward !== undefined) line.reward = c.reward;
      out += `${JSON.stringify(line)}\n`;
    }
  }
  return out;
}

function agentOf(value: unknown, where: string): AgentIdentity {
  const a = plainObject(value, where, '`agent`');
  for (const key of Object.keys(a)) if (!AGENT_KEYS.includes(key)) throw input(where, `unknown key ${JSON.stringify(key)} in \`agent\`; it has ${AGENT_KEYS.join(', ')} (trust, ring and verification come from the runtime, never from a trajectory)`);
  const agent: AgentIdentity = { id: shortString(a.id, where, 'agent.id') };
  if (own(a, 'roles')) {
    if (!Array.isArray(a.roles) || !a.roles.every((r) => typeof r === 'string')) throw input(where, '`agent.roles` must be a list of strings');
    agent.roles = [...(a.roles as string[])];
  }
  if (own(a, 'labels')) {
    const labels = plainObject(a.labels, where, '`agent.labels`');
    if (!Object.values(labels).every((v) => typeof v === 'string')) throw input(where, '`agent.labels` values must be strings');
    agent.labels = labels as Record<string, string>;
  }
  return agent;
}

function decisionOf(value: unknown, where: string): RecordedDecision {
  const d = plainObject(value, where, '`decision`');
  for (const key of Object.keys(d)) if (!DECISION_KEYS.includes(key)) throw input(where, `unknown key ${JSON.stringify(key)} in \`decision\`; it has ${DECISION_KEYS.join(', ')}`);
  if (!EFFECTS.includes(d.effect as Effect)) throw input(where, `\`decision.effect\` must be one of ${EFFECTS.join(', ')}`);
  const nullable = (v: unknown, what: string): string | null => {
    if (v === undefined || v === null) return null;
    return shortString(v, where, what);
  };
  const out: RecordedDecision = { effect: d.effect as Effect, rule: nullable(d.rule, 'decision.rule'), policy: nullable(d.policy, 'decision.policy') };
  if (own(d, 'reason')) {
    if (typeof d.reason !== 'string') throw input(where, '`decision.reason` must be a string');
    out.reason = d.reason;
  }
  return out;
}

function outcomeOf(value: unknown, where: string): CallOutcome {
  const o = plainObject(value, where, '`outcome`');
  for (const key of Object.keys(o)) if (!OUTCOME_KEYS.includes(key)) throw input(where, `unknown key ${JSON.stringify(key)} in \`outcome\`; it has ${OUTCOME_KEYS.join(', ')}`);
  if (o.status !== 'ok' && o.status !== 'error' && o.status !== 'denied') throw input(where, '`outcome.status` must be "ok", "error" or "denied"');
  const out: CallOutcome = { status: o.status };
  if (own(o, 'result')) {
    finiteNumbers(o.result, where, 'outcome.result', 0);
    out.result = o.result;
  }
  if (own(o, 'error')) {
    if (typeof o.error !== 'string') throw input(where, '`outcome.error` must be a string');
    out.error = o.error;
  }
  return out;
}

/** A JSON number that overflowed to Infinity (`1e999`) is no number a trainer meant: refused. */
function finiteNumbers(value: unknown, where: string, path: string, depth: number): void {
  if (depth > 64) throw input(where, `\`${path}\` is nested more than 64 levels deep`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw input(where, `\`${path}\` holds a number out of range`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => finiteNumbers(v, where, `${path}[${i}]`, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) finiteNumbers(v, where, `${path}.${k}`, depth + 1);
}

function plainObject(value: unknown, where: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw input(where, `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function shortString(value: unknown, where: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) throw input(where, `\`${what}\` must be a non-empty string of at most ${MAX_ID} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw input(where, `\`${what}\` holds control characters`);
  return value;
}

function own(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function input(where: string, message: string): WardenError {
  return new WardenError('ERR_TRAINING_INPUT', `${where}: ${message}.`);
}

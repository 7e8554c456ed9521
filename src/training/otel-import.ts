/**
 * Trajectories from OpenTelemetry GenAI spans: an OTLP JSON trace export (what an OTLP/HTTP JSON
 * exporter sends, or a collector's file exporter writes: `{ resourceSpans: [...] }`). Each
 * `execute_tool` span (`gen_ai.operation.name` = `execute_tool`) is one call: `gen_ai.tool.name`,
 * `gen_ai.tool.call.arguments` (a JSON object as a string), `gen_ai.tool.call.result`,
 * `gen_ai.tool.call.id`, `gen_ai.agent.id`, the span's start time and status. Calls are grouped by
 * `gen_ai.conversation.id` (else the trace id) and ordered by start time. Other spans are ignored.
 */
import { WardenError } from '../errors.js';
import { firstDuplicateKey } from '../lib/json-text.js';
import { MAX_TRAJECTORY_CALLS, type CallOutcome, type RecordedDecision, type Trajectory, type TrajectoryCall } from './trajectory.js';
import { EFFECTS, type Effect } from '../decision.js';

interface ToolSpan {
  group: string;
  checkpoint: string | null;
  start: bigint;
  spanId: string;
  call: Omit<TrajectoryCall, 'step'>;
}

/**
 * Reads the `execute_tool` spans of an OTLP JSON trace export as trajectories.
 *
 * @example
 * ```ts
 * const trajectories = trajectoriesFromOtlp(readFileSync('spans.json', 'utf8'), 'spans.json');
 * ```
 * @throws WardenError `ERR_TRAINING_INPUT` naming the span (by its JSON path) and the attribute that is wrong.
 */
export function trajectoriesFromOtlp(text: string, source = '(input)'): Trajectory[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(source, `the export is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const dup = firstDuplicateKey(text);
  if (dup !== null) throw bad(source, `the key ${JSON.stringify(dup.key)} appears twice in one object`);
  const resourceSpans = arrayAt(object(doc, source, '$'), 'resourceSpans', source, '$');
  const spans: ToolSpan[] = [];
  resourceSpans.forEach((rs, i) => {
    const rPath = `$.resourceSpans[${i}]`;
    const r = object(rs, source, rPath);
    const resource = r.resource === undefined ? {} : attributesOf(object(r.resource, source, `${rPath}.resource`), source, `${rPath}.resource`);
    arrayAt(r, 'scopeSpans', source, rPath).forEach((ss, j) => {
      const sPath = `${rPath}.scopeSpans[${j}]`;
      arrayAt(object(ss, source, sPath), 'spans', source, sPath).forEach((sp, k) => {
        const path = `${sPath}.spans[${k}]`;
        const span = object(sp, source, path);
        const attrs = attributesOf(span, source, path);
        if (attrs['gen_ai.operation.name'] !== 'execute_tool') return;
        if (spans.length >= MAX_TRAJECTORY_CALLS) throw bad(source, `more than ${MAX_TRAJECTORY_CALLS} execute_tool spans; split the export`);
        spans.push(toolSpan(span, attrs, resource, source, path));
      });
    });
  });
  spans.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
  const byId = new Map<string, Trajectory>();
  for (const s of spans) {
    let t = byId.get(s.group);
    if (t === undefined) byId.set(s.group, (t = { id: s.group, checkpoint: s.checkpoint, calls: [] }));
    t.calls.push({ step: t.calls.length, ...s.call });
  }
  return [...byId.values()];
}

function toolSpan(span: Record<string, unknown>, attrs: Record<string, unknown>, resource: Record<string, unknown>, source: string, path: string): ToolSpan {
  const tool = attrs['gen_ai.tool.name'];
  if (typeof tool !== 'string' || tool.length === 0) throw bad(source, `${path}: an execute_tool span needs a gen_ai.tool.name string`);
  const traceId = span.traceId;
  const spanId = span.spanId;
  if (typeof traceId !== 'string' || typeof spanId !== 'string') throw bad(source, `${path}: a span needs traceId and spanId`);
  const startText = span.startTimeUnixNano;
  if ((typeof startText !== 'string' && typeof startText !== 'number') || !/^\d{1,20}$/.test(String(startText))) throw bad(source, `${path}: startTimeUnixNano must be a whole number of nanoseconds`);
  const start = BigInt(String(startText));
  const ms = Number(start / 1_000_000n);
  if (!Number.isSafeInteger(ms) || ms > 8.64e15) throw bad(source, `${path}: startTimeUnixNano is out of range`);
  let args: Record<string, unknown> = {};
  const rawArgs = attrs['gen_ai.tool.call.arguments'];
  if (rawArgs !== undefined) {
    if (typeof rawArgs !== 'string') throw bad(source, `${path}: gen_ai.tool.call.arguments must be a JSON string`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawArgs);
    } catch {
      throw bad(source, `${path}: gen_ai.tool.call.arguments is not JSON`);
    }
    if (firstDuplicateKey(rawArgs) !== null) throw bad(source, `${path}: gen_ai.tool.call.arguments repeats a key`);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad(source, `${path}: gen_ai.tool.call.arguments must be a JSON object`);
    args = parsed as Record<string, unknown>;
  }
  const call: Omit<TrajectoryCall, 'step'> = { ts: new Date(ms).toISOString(), tool, args };
  const agent = attrs['gen_ai.agent.id'];
  if (typeof agent === 'string' && agent.length > 0) call.agent = { id: agent };
  const effect = attrs['warden.decision.effect'];
  if (typeof effect === 'string') {
    if (!EFFECTS.includes(effect as Effect)) throw bad(source, `${path}: warden.decision.effect ${JSON.stringify(effect)} is not an effect`);
    const rule = attrs['warden.decision.rule'];
    const d: RecordedDecision = { effect: effect as Effect, rule: typeof rule === 'string' ? rule : null, policy: null };
    call.decision = d;
  }
  const status = object(span.status ?? {}, source, `${path}.status`);
  const outcome: CallOutcome = { status: 'ok' };
  // STATUS_CODE_ERROR is 2 in OTLP (a string name in some exporters).
  if (status.code === 2 || status.code === 'STATUS_CODE_ERROR') {
    const denied = attrs['error.type'] === 'GovernanceDenied';
    outcome.status = denied ? 'denied' : 'error';
    if (!denied && typeof status.message === 'string') outcome.error = status.message;
  }
  const result = attrs['gen_ai.tool.call.result'];
  if (result !== undefined && outcome.status === 'ok') {
    try {
      outcome.result = typeof result === 'string' ? (JSON.parse(result) as unknown) : result;
    } catch {
      outcome.result = result;
    }
  }
  call.outcome = outcome;
  const conversation = attrs['gen_ai.conversation.id'];
  const group = typeof conversation === 'string' && conversation.length > 0 && conversation.length <= 256 ? conversation : traceId;
  const cp = attrs['warden.training.checkpoint'] ?? resource['warden.training.checkpoint'];
  return { group, checkpoint: typeof cp === 'string' && cp.length > 0 ? cp : null, start, spanId, call };
}

/** OTLP attributes (`[{ key, value: { stringValue | intValue | ... } }]`) as plain values; own keys only. */
function attributesOf(holder: Record<string, unknown>, source: string, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (holder.attributes === undefined) return out;
  if (!Array.isArray(holder.attributes)) throw bad(source, `${path}.attributes must be a list`);
  holder.attributes.forEach((a: unknown, i: number) => {
    const kv = object(a, source, `${path}.attributes[${i}]`);
    if (typeof kv.key !== 'string') throw bad(source, `${path}.attributes[${i}].key must be a string`);
    out[kv.key] = anyValue(kv.value, source, `${path}.attributes[${i}].value`, 0);
  });
  return out;
}

function anyValue(v: unknown, source: string, path: string, depth: number): unknown {
  if (depth > 32) throw bad(source, `${path} is nested too deeply`);
  if (v === undefined || v === null) return null;
  const o = object(v, source, path);
  if (typeof o.stringValue === 'string') return o.stringValue;
  if (typeof o.boolValue === 'boolean') return o.boolValue;
  if (o.intValue !== undefined) {
    const n = Number(o.intValue);
    if (!Number.isSafeInteger(n)) throw bad(source, `${path}.intValue is not a safe integer`);
    return n;
  }
  if (o.doubleValue !== undefined) {
    const n = Number(o.doubleValue);
    if (!Number.isFinite(n)) throw bad(source, `${path}.doubleValue is not a finite number`);
    return n;
  }
  if (o.arrayValue !== undefined) {
    const values = object(o.arrayValue, source, `${path}.arrayValue`).values ?? [];
    if (!Array.isArray(values)) throw bad(source, `${path}.arrayValue.values must be a list`);
    return values.map((x: unknown, i: number) => anyValue(x, source, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if (o.kvlistValue !== undefined) return null;
  if (o.bytesValue !== undefined) return null;
  return null;
}

function object(v: unknown, source: string, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(source, `${path} must be an object`);
  return v as Record<string, unknown>;
}

function arrayAt(o: Record<string, unknown>, key: string, source: string, path: string): unknown[] {
  const v = Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(source, `${path}.${key} must be a list`);
  return v;
}

function bad(source: string, message: string): WardenError {
  return new WardenError('ERR_TRAINING_INPUT', `${source}: ${message}.`);
}

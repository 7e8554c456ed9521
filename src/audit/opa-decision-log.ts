/**
 * Warden decision records as OPA decision-log events, so tools that ingest OPA's decision logs
 * (log pipelines, SIEM parsers, decision-log services) read Warden's too.
 *
 * The mapping (one event per decision record; checkpoint and outcome records have no OPA
 * counterpart and are skipped):
 * - `decision_id`: the record's call id; a record without one gets a UUID derived from its hash.
 * - `path`: `warden/decide` (the one query Warden evaluates); `input`: `{ agent, tool, args, context }`
 *   as recorded (redacted); `result`: `{ allowed, effect, rule, policy, reason, approvers, errors }`
 *   plus `outcome` when recorded.
 * - `timestamp`: the record's time; `req_id`: its seq; `requested_by`: the authenticated agent id.
 * - `labels`: `app: agent-warden`, `stream`, plus the caller's; `bundles`: `{ <name>: { revision } }`
 *   with the policy digest as the revision.
 * - `masked`: JSON pointers (into the event) of every value the redactor replaced; `erased`: the
 *   arguments and context dropped from an oversize record. A redaction path that cannot be
 *   translated masks all of `/input`, never nothing.
 * - `custom.warden`: where the record sits in the chain (stream, seq, prev, hash) and its argsDigest,
 *   so an exported event can be traced back to the verified record.
 * Warden records carry no evaluation timings, so `metrics` is absent.
 */
import { createHash } from 'node:crypto';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { AuditDecisionRecord, AuditRecord } from './record.js';

/**
 * One event in OPA's decision-log shape.
 *
 * @example
 * ```ts
 * const e: OpaDecisionLogEvent = toOpaDecisionLogEvent(record)!;
 * console.log(e.decision_id, e.result.allowed);
 * ```
 */
export interface OpaDecisionLogEvent {
  decision_id: string;
  labels: Record<string, string>;
  bundles: Record<string, { revision: string }>;
  path: string;
  input: { agent: AuditDecisionRecord['agent']; tool: string; args: Record<string, unknown>; context?: Record<string, unknown> };
  result: {
    allowed: boolean;
    effect: string;
    rule: string | null;
    policy: string | null;
    reason: string;
    approvers: string[];
    errors: AuditDecisionRecord['decision']['errors'];
    outcome?: AuditDecisionRecord['outcome'];
  };
  requested_by?: string;
  timestamp: string;
  req_id: number;
  erased?: string[];
  masked?: string[];
  custom: { warden: { stream: string; seq: number; prev: string; hash: string; argsDigest: string; call?: string } };
}

/**
 * Options of {@link toOpaDecisionLogEvent}.
 *
 * @example
 * ```ts
 * const o: OpaExportOptions = { labels: { id: 'warden-0', version: '0.1.0' }, bundleName: 'agents' };
 * ```
 */
export interface OpaExportOptions {
  /** Added to every event's labels (string values; `app` and `stream` are set by the exporter unless given here). */
  labels?: Record<string, string>;
  /** The key under `bundles` (default `warden`). */
  bundleName?: string;
}

/** The one query Warden evaluates, as OPA names a decision's path. */
export const OPA_DECISION_PATH = 'warden/decide';

/**
 * The OPA decision-log event of one record, or null for checkpoint and outcome records.
 *
 * @example
 * ```ts
 * for await (const r of queryAuditLog(files)) console.log(JSON.stringify(toOpaDecisionLogEvent(r)));
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS` for labels that are not strings or an empty bundle name.
 */
export function toOpaDecisionLogEvent(record: AuditRecord, options: OpaExportOptions = {}): OpaDecisionLogEvent | null {
  checkOptions(options);
  if (record.type !== 'decision') return null;
  const { request, decision } = record;
  const input: OpaDecisionLogEvent['input'] = { agent: record.agent, tool: request.tool, args: request.args };
  if (request.context !== undefined) input.context = request.context;
  const result: OpaDecisionLogEvent['result'] = {
    allowed: decision.effect === 'allow' || decision.effect === 'warn',
    effect: decision.effect,
    rule: decision.rule,
    policy: decision.policy,
    reason: decision.reason,
    approvers: decision.approvers,
    errors: decision.errors,
  };
  if (record.outcome !== undefined) result.outcome = record.outcome;
  const warden: OpaDecisionLogEvent['custom']['warden'] = { stream: record.stream, seq: record.seq, prev: record.prev, hash: record.hash, argsDigest: record.argsDigest };
  if (record.call !== undefined) warden.call = record.call;
  const event: OpaDecisionLogEvent = {
    decision_id: record.call ?? uuidFromHash(record.hash),
    labels: { app: 'agent-warden', stream: record.stream, ...options.labels },
    bundles: { [options.bundleName ?? 'warden']: { revision: record.policyDigest } },
    path: OPA_DECISION_PATH,
    input,
    result,
    timestamp: record.ts,
    req_id: record.seq,
    custom: { warden },
  };
  if (record.agent !== null && typeof record.agent.id === 'string') event.requested_by = record.agent.id;
  const erased: string[] = [];
  const masked = new Set<string>();
  for (const note of record.redactions) {
    if (note.kind === 'oversize') {
      erased.push('/input/args');
      if (request.context === undefined) erased.push('/input/context');
      continue;
    }
    masked.add(pointerOf(note.path) ?? '/input');
  }
  if (erased.length > 0) event.erased = erased;
  if (masked.size > 0) event.masked = [...masked].sort();
  return event;
}

/**
 * The events of a sequence of records, in order (checkpoints and outcomes skipped).
 *
 * @example
 * ```ts
 * for await (const e of opaDecisionLogEvents(queryAuditLog(files))) process.stdout.write(`${JSON.stringify(e)}\n`);
 * ```
 * @throws as {@link toOpaDecisionLogEvent} does, and whatever the source throws.
 */
export async function* opaDecisionLogEvents(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, options: OpaExportOptions = {}): AsyncGenerator<OpaDecisionLogEvent> {
  checkOptions(options);
  for await (const record of records) {
    const event = toOpaDecisionLogEvent(record, options);
    if (event !== null) yield event;
  }
}

function checkOptions(options: OpaExportOptions): void {
  rejectUnknownKeys(options, ['labels', 'bundleName'], 'ERR_AUDIT_OPTIONS', 'OPA export options');
  if (options.labels !== undefined) {
    if (typeof options.labels !== 'object' || options.labels === null) throw new WardenError('ERR_AUDIT_OPTIONS', 'labels must be an object of strings.');
    for (const [k, v] of Object.entries(options.labels)) {
      if (typeof v !== 'string') throw new WardenError('ERR_AUDIT_OPTIONS', `label ${JSON.stringify(k)} must be a string (OPA labels are strings).`);
    }
  }
  if (options.bundleName !== undefined && (typeof options.bundleName !== 'string' || options.bundleName === '')) {
    throw new WardenError('ERR_AUDIT_OPTIONS', 'bundleName must be a non-empty string.');
  }
}

/** A UUID (version 8, RFC 9562: custom) from the first 16 bytes of a digest of the record hash. */
function uuidFromHash(hash: string): string {
  const b = createHash('sha256').update(`warden-decision-id\n${hash}`).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The JSON pointer into the event for a redactor path (`$.request.args.password`,
 * `$.request.args["x-api-key"]`, `$.agent.claims[0]`, `…#key`), or null when it cannot be read.
 */
function pointerOf(path: string): string | null {
  const p = path.endsWith('#key') ? path.slice(0, -4) : path;
  if (!p.startsWith('$')) return null;
  const segments: string[] = [];
  let i = 1;
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(p.slice(i + 1));
      if (m === null) return null;
      segments.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = p.slice(i + 1);
      const index = /^([0-9]+)\]/.exec(rest);
      if (index !== null) {
        segments.push(index[1] as string);
        i += 1 + index[0].length;
        continue;
      }
      const quoted = /^("(?:[^"\\]|\\.)*")\]/.exec(rest);
      if (quoted === null) return null;
      let key: unknown;
      try {
        key = JSON.parse(quoted[1] as string);
      } catch {
        return null;
      }
      if (typeof key !== 'string') return null;
      segments.push(key);
      i += 1 + quoted[0].length;
    } else {
      return null;
    }
  }
  // The record's request and agent live under the event's input.
  const [root, ...rest] = segments;
  let mapped: string[];
  if (root === 'request') mapped = ['input', ...rest];
  else if (root === 'agent') mapped = ['input', 'agent', ...rest];
  else if (root === 'decision') mapped = ['result', ...rest];
  else if (root === 'outcome') mapped = ['result', 'outcome', ...rest];
  else return null;
  return `/${mapped.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

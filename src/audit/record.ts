/**
 * The audit record: one JSON object per decision (or checkpoint), hash-chained.
 *
 * A record's `hash` is `sha256:` + SHA-256 over the RFC 8785 canonical JSON of the record
 * without `hash`; every other field, `prev` included, sits inside that hash. A stored line is
 * exactly `canonicalJson(record)`, so the verifier can demand byte equality and a line can
 * never carry a raw newline or control character (JSON escapes them).
 */
import { isUtf8 } from 'node:buffer';
import { createHash, createHmac } from 'node:crypto';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import type { DecisionEvent, DecisionOutcome } from '../enforce/sink.js';
import type { AgentIdentity, DecisionError, Effect } from '../policy/types.js';
import { redactDetailed } from './redact.js';

/**
 * The `prev` of the first record of a stream.
 *
 * @example
 * ```ts
 * if (record.seq === 1 && record.prev !== GENESIS_HASH) console.log('not the start of the stream');
 * ```
 */
export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

/**
 * What the record says about the request: tool, arguments and context, after redaction.
 *
 * @example
 * ```ts
 * const req: AuditRequest = { tool: 'http_get', args: { url: 'https://example.com' }, context: { environment: 'prod' } };
 * ```
 */
export interface AuditRequest {
  tool: string;
  args: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/**
 * The decision as recorded: the fields of a Decision that replay and auditors read.
 *
 * @example
 * ```ts
 * const d: AuditDecision = { effect: 'deny', rule: 'no-prod-writes', policy: 'production', reason: 'no writes in prod', errors: [], approvers: [] };
 * ```
 */
export interface AuditDecision {
  effect: Effect;
  rule: string | null;
  policy: string | null;
  reason: string;
  errors: DecisionError[];
  approvers: string[];
}

/**
 * One span the redactor replaced (or `oversize` when arguments were dropped for size).
 *
 * @example
 * ```ts
 * const note: RedactionNote = { path: '$.request.args.password', kind: 'password' };
 * ```
 */
export interface RedactionNote {
  /** Where in the record, as the redactor reports it: `$.request.args.password`, `$.request.args["x-api-key"]`. */
  path: string;
  /** What was found: `aws_access_key`, `key:password`, `oversize`, ... */
  kind: string;
}

/** Fields every record has. */
interface AuditRecordBase {
  /** Position in the stream: 1, 2, 3, ... with no gaps. */
  seq: number;
  /** ISO-8601 time: the decision's time, or when the checkpoint was made. */
  ts: string;
  /** The log id; one chain per stream. */
  stream: string;
  /** `hash` of the previous record, or {@link GENESIS_HASH} for seq 1. */
  prev: string;
  /** `sha256:<hex>` over canonicalJson(record without `hash`). */
  hash: string;
}

/**
 * A recorded decision.
 *
 * @example
 * ```ts
 * const r: AuditDecisionRecord = JSON.parse(line);
 * console.log(r.seq, r.agent?.id, r.request.tool, r.decision.effect);
 * ```
 */
export interface AuditDecisionRecord extends AuditRecordBase {
  type: 'decision';
  /** The identity the enforcement point authenticated (null when none). */
  agent: AgentIdentity | null;
  request: AuditRequest;
  decision: AuditDecision;
  outcome?: DecisionOutcome;
  /** Digest of the policy sources in force. */
  policyDigest: string;
  /** `hmac-sha256:<hex>` over canonicalJson of the unredacted {tool, args, context}. */
  argsDigest: string;
  /** Every span replaced before writing, so replay can tell which fields it cannot trust. */
  redactions: RedactionNote[];
}

/**
 * The signed statement of a checkpoint: this stream's head was `seq`/`hash`.
 *
 * @example
 * ```ts
 * const ok = checkCheckpointSignature(record.checkpoint, publicKey) === null;
 * ```
 */
export interface CheckpointStatement {
  stream: string;
  /** Seq of the record this checkpoint covers (the one right before it). */
  seq: number;
  /** Hash of that record. */
  hash: string;
  /** `sha256:<hex>` of the signing public key's SPKI DER. */
  keyId: string;
  /** Base64 Ed25519 signature over the checkpoint signing bytes. */
  signature: string;
}

/**
 * A signed checkpoint: part of the chain (own seq), covering the record before it.
 *
 * @example
 * ```ts
 * if (record.type === 'checkpoint') console.log(record.checkpoint.seq, record.checkpoint.keyId);
 * ```
 */
export interface AuditCheckpointRecord extends AuditRecordBase {
  type: 'checkpoint';
  checkpoint: CheckpointStatement;
}

/**
 * Any line of an audit log.
 *
 * @example
 * ```ts
 * function label(r: AuditRecord): string { return r.type === 'decision' ? r.decision.effect : 'checkpoint'; }
 * ```
 */
export type AuditRecord = AuditDecisionRecord | AuditCheckpointRecord;

/**
 * A decision record before it is placed in the chain: everything but `seq`, `stream`, `prev`, `hash`.
 *
 * @example
 * ```ts
 * const body: DecisionRecordBody = buildDecisionBody(event, { hmacKey });
 * ```
 */
export type DecisionRecordBody = Omit<AuditDecisionRecord, 'seq' | 'stream' | 'prev' | 'hash'>;

/**
 * Any record before it is placed in the chain.
 *
 * @example
 * ```ts
 * const body: AuditRecordBody = { type: 'checkpoint', ts, checkpoint };
 * ```
 */
export type AuditRecordBody = DecisionRecordBody | Omit<AuditCheckpointRecord, 'seq' | 'stream' | 'prev' | 'hash'>;

/**
 * Hash of a record: `sha256:` + SHA-256 hex of canonicalJson(record without `hash`).
 *
 * @example
 * ```ts
 * const ok = computeRecordHash(record) === record.hash;
 * ```
 */
export function computeRecordHash(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key !== 'hash') copy[key] = (record as unknown as Record<string, unknown>)[key];
  }
  return `sha256:${sha256Hex(canonicalJson(copy))}`;
}

/**
 * A record member already serialized: `[key, canonicalJson(value)]`, e.g. `['seq', '42']`.
 * Serializing members once lets the writer place a prepared body in the chain (add seq and prev)
 * without canonicalizing the arguments again, and lets the verifier get the canonical text with
 * and without `hash` from one pass.
 *
 * @example
 * ```ts
 * const members: EncodedMember[] = [['seq', '42'], ['stream', '"main"']];
 * ```
 */
export type EncodedMember = readonly [key: string, json: string];

/**
 * Serializes the members of an object in key order (undefined members are left out, as
 * canonicalJson does).
 *
 * @example
 * ```ts
 * encodeMembers({ b: 1, a: 'x' }); // [['a', '"x"'], ['b', '1']]
 * ```
 */
export function encodeMembers(value: object): EncodedMember[] {
  const out: EncodedMember[] = [];
  for (const key of Object.keys(value).sort()) {
    const member: unknown = (value as Record<string, unknown>)[key];
    if (member !== undefined) out.push([key, canonicalJson(member)]);
  }
  return out;
}

/**
 * Builds the canonical line and hash from serialized members (which must not include `hash`).
 *
 * invariant: the returned `line` equals canonicalJson(record) and `hash` equals
 * computeRecordHash(record), because members are sorted by UTF-16 code units and joined exactly
 * as canonicalJson joins them.
 *
 * @example
 * ```ts
 * const { line, hash } = assembleRecord([['seq', '1'], ['type', '"decision"']]);
 * ```
 */
export function assembleRecord(members: readonly EncodedMember[]): { line: string; hash: string } {
  const sorted = isSortedByKey(members) ? members : [...members].sort(byKey);
  // Members before and after where `hash` sorts; the hashed text is the two joined.
  let before = '';
  let after = '';
  for (const [key, json] of sorted) {
    const text = `${JSON.stringify(key)}:${json}`;
    if (key < 'hash') before = before === '' ? text : `${before},${text}`;
    else after = after === '' ? text : `${after},${text}`;
  }
  const hash = `sha256:${sha256Hex(`{${before}${before !== '' && after !== '' ? ',' : ''}${after}}`)}`;
  const line = `{${before}${before === '' ? '' : ','}"hash":"${hash}"${after === '' ? '' : ','}${after}}`;
  return { line, hash };
}

function byKey(a: EncodedMember, b: EncodedMember): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function isSortedByKey(members: readonly EncodedMember[]): boolean {
  for (let i = 1; i < members.length; i++) if (!((members[i - 1] as EncodedMember)[0] < (members[i] as EncodedMember)[0])) return false;
  return true;
}

/**
 * Places a prepared body in the chain: adds seq, stream and prev, computes the hash and the line.
 *
 * @example
 * ```ts
 * const { record, line } = chainRecord(body, { seq: 1, stream: 'main', prev: GENESIS_HASH });
 * ```
 */
export function chainRecord(
  body: AuditRecordBody,
  link: { seq: number; stream: string; prev: string },
  encodedBody: readonly EncodedMember[] = encodeMembers(body),
): { record: AuditRecord; line: string } {
  const { line, hash } = chainLine(encodedBody, link);
  const record = { ...body, seq: link.seq, stream: link.stream, prev: link.prev, hash } as AuditRecord;
  return { record, line };
}

/**
 * {@link chainRecord} without building the record object: the line and hash only (the writer's hot path).
 *
 * @example
 * ```ts
 * const { line, hash } = chainLine(encodeMembers(body), { seq: 2, stream: 'main', prev });
 * ```
 */
export function chainLine(encodedBody: readonly EncodedMember[], link: { seq: number; stream: string; prev: string }): { line: string; hash: string } {
  // invariant: the three link members are already in key order: prev < seq < stream.
  const linkMembers: EncodedMember[] = [
    ['prev', JSON.stringify(link.prev)],
    ['seq', String(link.seq)],
    ['stream', JSON.stringify(link.stream)],
  ];
  const body = isSortedByKey(encodedBody) ? encodedBody : [...encodedBody].sort(byKey);
  const merged: EncodedMember[] = [];
  let j = 0;
  for (const member of body) {
    while (j < linkMembers.length && (linkMembers[j] as EncodedMember)[0] < member[0]) merged.push(linkMembers[j++] as EncodedMember);
    merged.push(member);
  }
  while (j < linkMembers.length) merged.push(linkMembers[j++] as EncodedMember);
  return assembleRecord(merged);
}

/**
 * Options for {@link buildDecisionBody}.
 *
 * @example
 * ```ts
 * const options: BuildDecisionOptions = { hmacKey: secret, redaction: { entropy: true }, maxRecordBytes: 1 << 20 };
 * ```
 */
export interface BuildDecisionOptions {
  /** The per-log HMAC secret for `argsDigest`. */
  hmacKey: Uint8Array;
  /** Passed to the redactor. */
  redaction?: { entropy?: boolean; extraKeys?: string[] };
  /**
   * Largest record line in bytes. Over it, the request's args and context are replaced by a
   * size note (the argsDigest still covers them) so the decision is recorded without them.
   */
  maxRecordBytes?: number;
}

/** Default {@link BuildDecisionOptions.maxRecordBytes}: 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** Room left for seq, stream, prev and hash when checking a body against the record limit. */
const CHAIN_FIELDS_ALLOWANCE = 512;

/**
 * Turns a decision event into a record body: redacts the payload, computes the keyed digest of
 * the unredacted request, and lists what was redacted. Throws (never writes) when redaction fails.
 *
 * @example
 * ```ts
 * const body = buildDecisionBody(event, { hmacKey });
 * const { line } = chainRecord(body, { seq: 1, stream: 'main', prev: GENESIS_HASH });
 * ```
 * @throws WardenError from the redactor (`ERR_REDACTION_INCOMPLETE`, `ERR_REDACTION_LIMIT`),
 *   `ERR_CANONICAL_JSON` for arguments that are not plain JSON, `ERR_AUDIT_RECORD_TOO_LARGE`.
 */
export function buildDecisionBody(event: DecisionEvent, options: BuildDecisionOptions): DecisionRecordBody {
  return buildDecisionBodyEncoded(event, options).body;
}

/**
 * {@link buildDecisionBody} plus the serialized members, for writers that chain many bodies.
 *
 * @example
 * ```ts
 * const { body, members } = buildDecisionBodyEncoded(event, { hmacKey });
 * const { line } = chainRecord(body, { seq, stream, prev }, members);
 * ```
 */
export function buildDecisionBodyEncoded(
  event: DecisionEvent,
  options: BuildDecisionOptions,
): { body: DecisionRecordBody; members: EncodedMember[] } {
  const { request, decision } = event;
  const unredacted: AuditRequest = { tool: request.tool, args: request.args, context: request.context };
  const argsDigest = `hmac-sha256:${createHmac('sha256', options.hmacKey).update(canonicalJson(unredacted)).digest('hex')}`;
  const payload = {
    agent: event.agent ?? null,
    request: unredacted,
    decision: {
      effect: decision.effect,
      rule: decision.rule,
      policy: decision.policy,
      reason: decision.reason,
      errors: decision.errors,
      approvers: decision.approvers,
    } satisfies AuditDecision,
    outcome: event.outcome,
  };
  const redacted = redactDetailed(payload, options.redaction);
  const redactions = notesOf(redacted.findings);
  const body: DecisionRecordBody = {
    type: 'decision',
    ts: event.ts,
    agent: redacted.value.agent,
    request: redacted.value.request,
    decision: redacted.value.decision,
    outcome: redacted.value.outcome,
    policyDigest: decision.policyDigest,
    argsDigest,
    redactions,
  };
  let members = encodeMembers(body);
  const limit = (options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES) - CHAIN_FIELDS_ALLOWANCE;
  if (encodedBytes(members) > limit) {
    // Record the decision without the bulky part rather than not at all: the argsDigest still
    // binds the full request, and the note tells replay the arguments are gone.
    const bytes = Buffer.byteLength(members.find(([k]) => k === 'request')?.[1] ?? '', 'utf8');
    body.request = { tool: body.request.tool, args: { $omitted: { bytes } } };
    body.redactions = [...redactions.filter((n) => !isUnderRequestPayload(n.path)), { path: '$.request.args', kind: 'oversize' }];
    members = encodeMembers(body);
    if (encodedBytes(members) > limit) {
      throw new WardenError(
        'ERR_AUDIT_RECORD_TOO_LARGE',
        `The audit record for tool ${JSON.stringify(truncate(request.tool))} is over ${limit + CHAIN_FIELDS_ALLOWANCE} bytes even without its arguments (agent, decision or outcome too large). Raise maxRecordBytes or shorten the decision reason.`,
      );
    }
  }
  return { body, members };
}

function encodedBytes(members: readonly EncodedMember[]): number {
  let n = 2;
  for (const [key, json] of members) n += key.length + 4 + Buffer.byteLength(json, 'utf8');
  return n;
}

function notesOf(findings: ReadonlyArray<{ kind: string; path: string }>): RedactionNote[] {
  const seen = new Set<string>();
  const notes: RedactionNote[] = [];
  for (const f of findings) {
    const key = `${f.path}\u0000${f.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    notes.push({ path: f.path, kind: f.kind });
  }
  return notes;
}

/** True for a redaction path inside request.args or request.context (both dropped when oversize). */
function isUnderRequestPayload(path: string): boolean {
  for (const root of ['$.request.args', '$.request.context']) {
    if (path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`)) return true;
  }
  return false;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** `sha256:` and 64 lowercase hex digits (a loop: this runs twice per record in verify). */
function isDigest(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 71 || !v.startsWith('sha256:')) return false;
  for (let i = 7; i < 71; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * What reading one stored line gave: the record, or why the line is not a valid record.
 * `malformed`: not UTF-8, not JSON, or not shaped like a record; `edited`: the stored hash does not
 * match the content, or the line is not the canonical form of its content.
 *
 * @example
 * ```ts
 * const r = parseRecordLine(lineBytes);
 * if (!r.ok) console.error(r.reason, r.message);
 * ```
 */
export type ParsedLine =
  | { ok: true; record: AuditRecord }
  | { ok: false; reason: 'malformed' | 'edited'; message: string; seq?: number };

/**
 * Parses one stored line and checks it against its own hash: the line must be valid UTF-8 JSON
 * shaped like a record, the recomputed hash must equal the stored one, and the line must be
 * byte-for-byte the canonical JSON of the record (so no two lines carry the same record).
 * Links between records are the verifier's job.
 *
 * @example
 * ```ts
 * const r = parseRecordLine(Buffer.from(line));
 * if (r.ok) console.log(r.record.seq);
 * ```
 */
export function parseRecordLine(bytes: Uint8Array): ParsedLine {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isUtf8(buf)) return { ok: false, reason: 'malformed', message: 'the line is not valid UTF-8' };
  const text = buf.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: 'malformed', message: `the line is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const shape = shapeProblem(value);
  if (shape !== null) {
    const seq = (value as { seq?: unknown } | null)?.seq;
    return { ok: false, reason: 'malformed', message: shape, ...(typeof seq === 'number' && Number.isSafeInteger(seq) ? { seq } : {}) };
  }
  const record = value as AuditRecord;
  const fast = fastCheck(record, text, buf);
  if (fast === true) return { ok: true, record };
  if (fast === 'edited') {
    return { ok: false, reason: 'edited', message: `the content does not hash to ${record.hash}`, seq: record.seq };
  }
  let encoded: { line: string; hash: string };
  try {
    const members = encodeMembers(record).filter(([key]) => key !== 'hash');
    encoded = assembleRecord(members);
  } catch (e) {
    return { ok: false, reason: 'malformed', message: `the record has no canonical form (${e instanceof Error ? e.message : String(e)})`, seq: record.seq };
  }
  if (encoded.hash !== record.hash) {
    return { ok: false, reason: 'edited', message: `the content hashes to ${encoded.hash}, the record says ${record.hash}`, seq: record.seq };
  }
  if (encoded.line !== text) {
    return { ok: false, reason: 'edited', message: 'the line is not the canonical JSON of its content (bytes were changed without changing the content)', seq: record.seq };
  }
  return { ok: true, record };
}

/**
 * The verifier's fast path (JSON.stringify is native; canonicalJson is not). When every object's
 * keys are already in UTF-16 order, JSON.stringify of parsed JSON produces exactly canonicalJson's
 * text: same string and number forms, same key order, no undefined, no functions.
 * invariant: returns true only when `text` === canonicalJson(record) and the hash matches;
 * 'edited' only when the text is canonical and the hash does not match; null means "decide the
 * slow way" (unsorted keys, a non-canonical text, or anything unusual).
 */
function fastCheck(record: AuditRecord, text: string, bytes: Buffer): true | 'edited' | null {
  try {
    if (!keysSorted(record) || JSON.stringify(record) !== text) return null;
    // The canonical text without `hash` is the text minus `,"hash":"<hash>"`. `hash` is never the
    // first key (decision and checkpoint records have an earlier key), so a comma precedes it. If
    // the member text occurs more than once (content quoting its own hash), take the slow path.
    const member = `,"hash":${JSON.stringify(record.hash)}`;
    const at = text.indexOf(member);
    if (at < 0 || text.lastIndexOf(member) !== at) return null;
    // Hash the stored bytes around the member (no string building, no re-encoding). The member is
    // ASCII, so its byte length is its length; its byte offset equals `at` for an ASCII line.
    const byteAt = bytes.length === text.length ? at : Buffer.byteLength(text.slice(0, at), 'utf8');
    const digest = createHash('sha256')
      .update(bytes.subarray(0, byteAt))
      .update(bytes.subarray(byteAt + member.length))
      .digest('hex');
    return `sha256:${digest}` === record.hash ? true : 'edited';
  } catch {
    return null;
  }
}

/** True when the keys of every object inside `value` are in strictly ascending UTF-16 order. */
function keysSorted(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    let previous: string | null = null;
    for (const key of Object.keys(v)) {
      if (previous !== null && !(previous < key)) return false;
      previous = key;
      const member: unknown = (v as Record<string, unknown>)[key];
      if (typeof member === 'object' && member !== null) stack.push(member);
    }
  }
  return true;
}

function shapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the line is not a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 1) return '`seq` is not a positive integer';
  if (typeof v.stream !== 'string') return '`stream` is not a string';
  if (typeof v.ts !== 'string') return '`ts` is not a string';
  if (!isDigest(v.prev)) return '`prev` is not a sha256 digest';
  if (!isDigest(v.hash)) return '`hash` is not a sha256 digest';
  if (v.type === 'decision') {
    const request = v.request as Record<string, unknown> | null | undefined;
    const decision = v.decision as Record<string, unknown> | null | undefined;
    if (typeof request !== 'object' || request === null || typeof request.tool !== 'string') return '`request.tool` is missing';
    if (typeof decision !== 'object' || decision === null || typeof decision.effect !== 'string') return '`decision.effect` is missing';
    return null;
  }
  if (v.type === 'checkpoint') {
    const c = v.checkpoint as Record<string, unknown> | null | undefined;
    if (
      typeof c !== 'object' ||
      c === null ||
      typeof c.stream !== 'string' ||
      typeof c.seq !== 'number' ||
      typeof c.hash !== 'string' ||
      typeof c.keyId !== 'string' ||
      typeof c.signature !== 'string'
    ) {
      return '`checkpoint` is missing or incomplete';
    }
    return null;
  }
  return '`type` is neither "decision" nor "checkpoint"';
}

/**
 * The audit record: one JSON object per decision (or checkpoint), hash-chained.
 *
 * A record's `hash` is `sha256:` + SHA-256 over the RFC 8785 canonical JSON of the record
 * without `hash`; every other field, `prev` included, sits inside that hash. A stored line is
 * exactly `canonicalJson(record)`, so the verifier can demand byte equality and a line can
 * never carry a raw newline or control character (JSON escapes them).
 */
import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, createSecretKey, hash as oneShotHash, type KeyObject } from 'node:crypto';
import { WardenError } from '../errors.js';
import { canonicalJson, canonicalJsonProfile, type CanonicalProfile } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/hash.js';
import type { DecisionEvent, DecisionOutcome, Outcome, OutcomeEvent } from '../decision.js';
import { frozenValueProfile, requestSnapshotOf } from '../lib/snapshot.js';
import type { AgentIdentity, DecisionError, Effect } from '../decision.js';
import { redactDetailed, redactionIsNoop } from './redact.js';

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
  /** The call's id (the host's, or one the pipeline made); the call's outcome record names it too. */
  call?: string;
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
export type AuditRecord = AuditDecisionRecord | AuditCheckpointRecord | AuditOutcomeRecord;

/**
 * What happened when a governed call ran, recorded after its decision record and linked to it by
 * `call`.
 *
 * @example
 * ```ts
 * if (r.type === 'outcome') console.log(r.call, r.outcome.status, r.outcome.durationMs);
 * ```
 */
export interface AuditOutcomeRecord extends AuditRecordBase {
  type: 'outcome';
  call: string;
  tool: string;
  agent: AgentIdentity | null;
  outcome: Outcome;
  /** Every span replaced before writing (an error message can carry a secret). */
  redactions: RedactionNote[];
}

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
export type AuditRecordBody = DecisionRecordBody | Omit<AuditCheckpointRecord, 'seq' | 'stream' | 'prev' | 'hash'> | Omit<AuditOutcomeRecord, 'seq' | 'stream' | 'prev' | 'hash'>;

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
 * canonicalJson does). `known` supplies members already serialized (the caller vouches that each
 * equals canonicalJson of the member).
 *
 * @example
 * ```ts
 * encodeMembers({ b: 1, a: 'x' }); // [['a', '"x"'], ['b', '1']]
 * ```
 */
export function encodeMembers(value: object, known: Readonly<Record<string, string>> = {}): EncodedMember[] {
  const out: EncodedMember[] = [];
  for (const key of Object.keys(value).sort()) {
    const member: unknown = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out.push([key, Object.hasOwn(known, key) ? (known[key] as string) : canonicalJson(member)]);
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
  return redactedBody(event, options, requestParts(event, options));
}

/** The unredacted request, its canonical JSON (with profile) and its keyed digest. */
interface RequestParts {
  unredacted: AuditRequest;
  profile: CanonicalProfile;
  argsDigest: string;
}

function requestParts(event: DecisionEvent, options: BuildDecisionOptions): RequestParts {
  const { request } = event;
  const unredacted: AuditRequest = { tool: request.tool, args: request.args, context: request.context };
  // The pipeline serialized exactly these members already (its snapshot); otherwise serialize them,
  // in canonical order, so nothing is sorted.
  const profile = requestSnapshotOf(event)?.profile ?? canonicalJsonProfile({ args: unredacted.args, context: unredacted.context, tool: unredacted.tool });
  const argsDigest = `hmac-sha256:${createHmac('sha256', hmacKeyOf(options.hmacKey)).update(profile.json).digest('hex')}`;
  return { unredacted, profile, argsDigest };
}

/** Each HMAC key imported once: importing raw bytes on every createHmac costs more than the MAC of a small request. */
const hmacKeys = new WeakMap<Uint8Array, { bytes: Buffer; key: KeyObject }>();

/** The KeyObject of `raw`; a copy of the bytes is kept and compared, so a key changed in place is imported again. */
function hmacKeyOf(raw: Uint8Array): KeyObject | Uint8Array {
  if (!(raw instanceof Uint8Array)) return raw;
  const known = hmacKeys.get(raw);
  if (known !== undefined && known.bytes.equals(raw)) return known.key;
  const bytes = Buffer.from(raw);
  const key = createSecretKey(bytes);
  hmacKeys.set(raw, { bytes, key });
  return key;
}

/**
 * The record body the slow way: the redactor walks the payload and returns a redacted copy, which
 * is serialized member by member. (The request's canonical text computed for the digest is not
 * reused: the copy is what the redactor scanned, and a getter may answer differently twice.)
 */
function redactedBody(event: DecisionEvent, options: BuildDecisionOptions, parts: RequestParts): { body: DecisionRecordBody; members: EncodedMember[] } {
  const { request, decision } = event;
  const { unredacted, argsDigest } = parts;
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
  if (event.unrecordable !== undefined) redactions.push({ path: '$.request', kind: 'unrecordable' });
  const body: DecisionRecordBody = {
    type: 'decision',
    ...(event.call !== undefined ? { call: checkedCallId(event.call) } : {}),
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

/**
 * A decision record prepared without the redactor, when redaction is provably a no-op for its
 * payload (see `redactionIsNoop`): the canonical texts of agent, decision, outcome and request are
 * then the members themselves, and the redactor's walk and copy are skipped. Null when not proven (or
 * when the record would be over the size limit): the caller takes the slow path, which decides
 * (and throws) exactly as before.
 */
function provenCleanRecord(
  event: DecisionEvent,
  options: BuildDecisionOptions,
  parts: RequestParts,
  stream: string,
  proven: Set<string> | undefined,
): PreparedRecord | null {
  const { decision } = event;
  if (event.unrecordable !== undefined) return null;
  let agent: CanonicalProfile;
  let verdict: CanonicalProfile;
  let outcome: CanonicalProfile | null;
  try {
    agent = frozenValueProfile(event.agent) ?? canonicalJsonProfile(event.agent ?? null);
    // Keys in canonical order already, so nothing is sorted.
    verdict = canonicalJsonProfile({
      approvers: decision.approvers,
      effect: decision.effect,
      errors: decision.errors,
      policy: decision.policy,
      reason: decision.reason,
      rule: decision.rule,
    } satisfies AuditDecision);
    outcome = event.outcome === undefined ? null : canonicalJsonProfile(event.outcome);
  } catch {
    // Not plain JSON: the slow path redacts first and then reports this the way it always has.
    return null;
  }
  const req = parts.profile;
  const u = parts.unredacted;
  // Members the redactor visits with an undefined value, which no text shows: only these fixed
  // words may be among them (`tool`, `args`, `context` of the request; `outcome` of the payload).
  const requestUndefined = (u.tool === undefined ? 1 : 0) + (u.args === undefined ? 1 : 0) + (u.context === undefined ? 1 : 0);
  if (req.undefinedMembers !== requestUndefined) return null;
  const fixedKeys = 4 + requestUndefined; // agent, decision, outcome, request + those
  const clean = redactionIsNoop(
    {
      // agent, decision and outcome recur from call to call; the request rarely does
      texts: outcome === null ? [agent.json, verdict.json, req.json] : [agent.json, verdict.json, outcome.json, req.json],
      repeating: outcome === null ? 2 : 3,
      depth: 1 + Math.max(agent.depth, verdict.depth, outcome?.depth ?? 0, req.depth),
      undefinedMembers: agent.undefinedMembers + verdict.undefinedMembers + (outcome?.undefinedMembers ?? 0),
      binary: agent.binary + verdict.binary + (outcome?.binary ?? 0) + req.binary,
      fixedKeys,
      fixedKeyChars: fixedKeys * 'decision'.length,
    },
    options.redaction,
    proven,
  );
  if (!clean) return null;
  // The slow path's members, serialized the same way (undefined ones left out), placed around the
  // link members as prepareRecord places them: agent, argsDigest, decision | hash | outcome,
  // policyDigest, prev | redactions, request, seq | stream, ts, type.
  const policyDigest = decision.policyDigest === undefined ? '' : `"policyDigest":${canonicalJson(decision.policyDigest)},`;
  const ts = event.ts === undefined ? '' : `,"ts":${canonicalJson(event.ts)}`;
  const call = event.call === undefined ? '' : `"call":${JSON.stringify(checkedCallId(event.call))},`;
  const head = `{"agent":${agent.json},"argsDigest":"${parts.argsDigest}",${call}"decision":${verdict.json},`;
  const r0 = `${outcome === null ? '' : `"outcome":${outcome.json},`}${policyDigest}"prev":`;
  const r1 = `,"redactions":[],"request":${req.json},"seq":`;
  const streamJson = JSON.stringify(stream);
  const prepared = preparedOf(head, r0, r1, `,"stream":${streamJson}${ts},"type":"decision"}`);
  // The slow path's size check, encodedBytes(members): the body text's bytes plus one. The
  // prepared text is the body text plus `"prev":,`, `"seq":,` and `"stream":<stream>,`.
  const bodyBytes = prepared.bytes.length - 25 - Buffer.byteLength(streamJson, 'utf8') + 1;
  const limit = (options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES) - CHAIN_FIELDS_ALLOWANCE;
  return bodyBytes > limit ? null : prepared;
}

/**
 * A record body serialized around its chain links, so that placing it in the chain costs a few
 * byte copies and one hash. In text: the line is `head` + `"hash":"<hash>",` + rest and the hashed
 * text is `head` + rest, where rest is `r0` + JSON(prev) + `r1` + seq + `r2` (the stream is
 * already in `r2`). Stored as the UTF-8 bytes of `head`, `r0`, `r1`, `r2` back to back (one flat
 * buffer per record while it waits in a queue). Built by {@link prepareRecord}; chained by
 * {@link writeChainedLine}.
 *
 * @example
 * ```ts
 * const prepared: PreparedRecord = prepareRecord(encodeMembers(body), 'main');
 * ```
 */
export interface PreparedRecord {
  /** UTF-8 of `head` + `r0` + `r1` + `r2`. */
  readonly bytes: Buffer;
  /** Where `head` ends in `bytes` (it is `{` and the members that sort before `hash`, each with a comma). */
  readonly headEnd: number;
  /** Where `r0` ends. */
  readonly r0End: number;
  /** Where `r1` ends (`r2` runs to the end). */
  readonly r1End: number;
  /** Upper bound on the bytes of the line with its newline, for any seq and prev digest. */
  readonly maxBytes: number;
}

const LINK_KEYS: ReadonlySet<string> = new Set(['hash', 'prev', 'seq', 'stream']);
const LINK_ORDER: readonly string[] = ['prev', 'seq', 'stream'];

/** Bytes of `"hash":"sha256:<64 hex>",`: the member (and comma) inserted into a prepared line. */
const HASH_MEMBER_BYTES = 81;

function preparedOf(head: string, r0: string, r1: string, r2: string): PreparedRecord {
  const bytes = Buffer.from(`${head}${r0}${r1}${r2}`, 'utf8');
  const headEnd = Buffer.byteLength(head, 'utf8');
  const r0End = headEnd + Buffer.byteLength(r0, 'utf8');
  const r1End = r0End + Buffer.byteLength(r1, 'utf8');
  // prev is a quoted digest (73 bytes), seq at most 16 digits, then the hash member and a newline
  return { bytes, headEnd, r0End, r1End, maxBytes: bytes.length + 73 + 16 + HASH_MEMBER_BYTES + 1 };
}

/**
 * Prepares serialized body members (no `hash`, `prev`, `seq` or `stream`) for chaining in `stream`.
 *
 * invariant: for every seq and prev digest, {@link writeChainedLine} writes exactly the line
 * {@link chainLine} returns for these members and link, and the same hash.
 *
 * @example
 * ```ts
 * const prepared = prepareRecord(encodeMembers({ type: 'checkpoint', ts, checkpoint }), 'main');
 * ```
 * @throws WardenError `ERR_AUDIT_RECORD` when a member is one of the chain's own fields.
 */
export function prepareRecord(members: readonly EncodedMember[], stream: string): PreparedRecord {
  const sorted = isSortedByKey(members) ? members : [...members].sort(byKey);
  let head = '{';
  // The members after `hash`, with the link members merged in (prev < seq < stream); prev's and
  // seq's values go between one segment and the next.
  const segments = [''];
  let count = 0;
  let link = 0;
  const emit = (text: string): void => {
    segments[segments.length - 1] += count++ === 0 ? text : `,${text}`;
  };
  const emitLinksBefore = (key: string | null): void => {
    for (let name = LINK_ORDER[link]; name !== undefined && (key === null || name < key); name = LINK_ORDER[++link]) {
      if (name === 'stream') {
        emit(`"stream":${JSON.stringify(stream)}`);
      } else {
        emit(`"${name}":`);
        segments.push('');
      }
    }
  };
  for (const [key, json] of sorted) {
    if (LINK_KEYS.has(key)) throw new WardenError('ERR_AUDIT_RECORD', `A record body cannot carry the chain field ${JSON.stringify(key)}.`);
    const text = `${JSON.stringify(key)}:${json}`;
    if (key < 'hash') {
      head += `${text},`;
      continue;
    }
    emitLinksBefore(key);
    emit(text);
  }
  emitLinksBefore(null);
  const [r0 = '', r1 = '', r2 = ''] = segments;
  return preparedOf(head, r0, r1, `${r2}}`);
}

/**
 * Writes the line of a prepared body placed at `seq` after `prev`, and a newline, into `out` at
 * `at` (which must have `prepared.maxBytes` bytes free). Returns the offset after the newline and
 * the record's hash. The hashed bytes are the line's own bytes without the hash member: they are
 * laid down once, hashed in place, then moved apart to let the member in.
 *
 * @example
 * ```ts
 * const { end, hash } = writeChainedLine(prepared, 2, prevHash, buffer, 0);
 * ```
 */
export function writeChainedLine(prepared: PreparedRecord, seq: number, prev: string, out: Buffer, at: number): { end: number; hash: string } {
  const { bytes, headEnd, r0End, r1End } = prepared;
  let pos = at + bytes.copy(out, at, 0, r0End);
  pos += out.write(JSON.stringify(prev), pos, 'utf8');
  pos += bytes.copy(out, pos, r0End, r1End);
  pos += out.write(String(seq), pos, 'latin1');
  pos += bytes.copy(out, pos, r1End, bytes.length);
  const hash = `sha256:${oneShotHash('sha256', out.subarray(at, pos), 'hex')}`;
  const member = at + headEnd;
  out.copyWithin(member + HASH_MEMBER_BYTES, member, pos);
  out.write(`"hash":"${hash}",`, member, 'latin1');
  const end = pos + HASH_MEMBER_BYTES;
  out[end] = 0x0a;
  return { end: end + 1, hash };
}

/**
 * The file sink's preparation of a decision record: the members of {@link buildDecisionBodyEncoded}'s
 * body (exactly the same text), prepared for chaining in `stream`. Most requests hold nothing to
 * redact, which is proven from their canonical text (see `redactionIsNoop`) without walking them;
 * `proven` (one per sink, so per set of redaction options) remembers texts already proven clean.
 *
 * @example
 * ```ts
 * const prepared = prepareDecisionRecord(event, { hmacKey }, 'main', new Set());
 * ```
 * @throws WardenError as {@link buildDecisionBody} does.
 */
export function prepareDecisionRecord(event: DecisionEvent, options: BuildDecisionOptions, stream: string, proven?: Set<string>): PreparedRecord {
  const parts = requestParts(event, options);
  return provenCleanRecord(event, options, parts, stream, proven) ?? prepareRecord(redactedBody(event, options, parts).members, stream);
}

/**
 * The file sink's preparation of an outcome record: redacted (an error message can carry a
 * secret), with every replaced span listed, prepared for chaining in `stream`.
 *
 * @example
 * ```ts
 * const prepared = prepareOutcomeRecord({ ts, call: 'toolu_01', tool: 'Bash', agent: null, outcome: { status: 'ok' } }, { hmacKey }, 'main');
 * ```
 * @throws WardenError from the redactor, `ERR_AUDIT_RECORD` for a call id that is not an id, `ERR_AUDIT_RECORD_TOO_LARGE`.
 */
export function prepareOutcomeRecord(event: OutcomeEvent, options: BuildDecisionOptions, stream: string): PreparedRecord {
  const redacted = redactDetailed({ agent: event.agent ?? null, tool: event.tool, outcome: event.outcome }, options.redaction);
  const body: Omit<AuditOutcomeRecord, 'seq' | 'stream' | 'prev' | 'hash'> = {
    type: 'outcome',
    ts: event.ts,
    call: checkedCallId(event.call),
    tool: redacted.value.tool,
    agent: redacted.value.agent,
    outcome: redacted.value.outcome,
    redactions: notesOf(redacted.findings),
  };
  const members = encodeMembers(body);
  const limit = (options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES) - CHAIN_FIELDS_ALLOWANCE;
  if (encodedBytes(members) > limit) {
    throw new WardenError('ERR_AUDIT_RECORD_TOO_LARGE', `The outcome record of call ${body.call} is over ${limit + CHAIN_FIELDS_ALLOWANCE} bytes; raise maxRecordBytes.`);
  }
  return prepareRecord(members, stream);
}

/** A call id is an identifier, recorded as is (not redacted): letters, digits and `._:@-`, at most 256 characters. */
const CALL_ID = /^[A-Za-z0-9._:@-]{1,256}$/;

/**
 * `id` when it is a valid call id; throws otherwise (the pipeline only makes valid ones).
 *
 * @example
 * ```ts
 * checkedCallId('toolu_01AbC'); // 'toolu_01AbC'
 * ```
 * @throws WardenError `ERR_AUDIT_RECORD` for anything else.
 */
export function checkedCallId(id: unknown): string {
  if (typeof id !== 'string' || !CALL_ID.test(id)) throw new WardenError('ERR_AUDIT_RECORD', `A call id must be 1-256 letters, digits or ._:@- characters; got ${JSON.stringify(String(id).slice(0, 80))}.`);
  return id;
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
  return isUnder(path, '$.request.args') || isUnder(path, '$.request.context');
}

/** True when a redactor path is `root` or inside it (`root.x`, `root["x"]`, `root[0]`, `root#key`). */
function isUnder(path: string, root: string): boolean {
  if (!path.startsWith(root)) return false;
  const next = path.charAt(root.length);
  return next === '' || next === '.' || next === '[' || next === '#';
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
    // JSON.stringify escapes a lone surrogate (`\ud800`), which canonicalJson refuses: slow path.
    if (text.includes('\\ud')) return null;
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

/**
 * The fields the verifier reads from a decision record that {@link checkDecisionLine} accepted.
 *
 * @example
 * ```ts
 * const r: CheckedDecision | null = checkDecisionLine(lineBytes);
 * if (r !== null) console.log(r.seq, r.prev, r.hash);
 * ```
 */
export interface CheckedDecision {
  seq: number;
  stream: string;
  prev: string;
  hash: string;
}

/**
 * The verifier's fast path for decision records: one pass over the line's bytes that checks it is
 * exactly canonical JSON (no whitespace, keys in strictly ascending order, strings and numbers in
 * JSON.stringify's form), shaped like a decision record, and that its hash matches, without
 * building the record. Returns the fields verify needs, or null when the line is anything else
 * (a checkpoint, a key that is not plain ASCII, an unusual escape, a bad hash, ...): then
 * {@link parseRecordLine} decides, and says why.
 *
 * invariant: returns non-null only when parseRecordLine(bytes) would return `ok: true` with a
 * decision record holding these seq, stream, prev and hash. Every check either matches what
 * canonicalJson writes byte for byte or gives up; nothing is accepted that the full check would not.
 *
 * @example
 * ```ts
 * const fast = checkDecisionLine(line.bytes);
 * const record = fast ?? parseRecordLine(line.bytes);
 * // `scratch`, when given and at least as long as the line, is used to lay out the hashed bytes.
 * ```
 */
export function checkDecisionLine(bytes: Buffer, scratch?: Buffer): CheckedDecision | null {
  if (!isUtf8(bytes)) return null;
  return new LineCheck(bytes).decision(scratch);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Deepest nesting the fast path follows (canonicalJson allows 512; deeper lines take the slow path). */
const FAST_MAX_DEPTH = 128;
const DECISION_TYPE = Buffer.from('"decision"', 'latin1');
const TOOL_KEY = Buffer.from('tool', 'latin1');
const EFFECT_KEY = Buffer.from('effect', 'latin1');

/** One pass over one line; every method returns false (or -1) as soon as the text is not canonical. */
class LineCheck {
  private i = 0;
  private readonly n: number;
  /** Set by object() when the wanted key was seen with a string value. */
  private found = false;

  constructor(private readonly b: Buffer) {
    this.n = b.length;
  }

  decision(scratch: Buffer | undefined): CheckedDecision | null {
    const b = this.b;
    if (b[0] !== 0x7b) return null;
    this.i = 1;
    let prevKeyStart = -1;
    let prevKeyEnd = -1;
    let seq = -1;
    let stream: string | null = null;
    let prev: string | null = null;
    let hash: string | null = null;
    let hashFrom = -1;
    let hashTo = -1;
    let ts = false;
    let type = false;
    let tool = false;
    let effect = false;
    for (let first = true; ; first = false) {
      const memberStart = this.i;
      if (!first && b[this.i++] !== COMMA) return null;
      const keyStart = this.i + 1;
      if (!this.plainKey()) return null;
      const keyEnd = this.i - 1;
      if (prevKeyStart >= 0 && !bytesBefore(b, prevKeyStart, prevKeyEnd, keyStart, keyEnd)) return null;
      prevKeyStart = keyStart;
      prevKeyEnd = keyEnd;
      if (b[this.i++] !== COLON) return null;
      const valueStart = this.i;
      const c = b[valueStart];
      switch (topLevelKey(b, keyStart, keyEnd)) {
        case 'seq':
          if (!this.number()) return null;
          seq = plainPositiveInteger(b, valueStart, this.i);
          if (seq < 0) return null;
          break;
        case 'stream':
          if (c !== QUOTE || !this.string()) return null;
          stream = stringValue(b, valueStart, this.i);
          break;
        case 'prev':
          if (c !== QUOTE || !this.string()) return null;
          prev = digestAt(b, valueStart, this.i);
          if (prev === null) return null;
          break;
        case 'hash':
          // Its form is not checked here: it must equal the digest computed below, which has it.
          if (first || c !== QUOTE || !this.string() || this.i - valueStart !== 73) return null;
          hash = b.toString('latin1', valueStart + 1, this.i - 1);
          hashFrom = memberStart;
          hashTo = this.i;
          break;
        case 'ts':
          if (c !== QUOTE || !this.string()) return null;
          ts = true;
          break;
        case 'type':
          if (!this.value(1) || !sameBytes(b, valueStart, this.i, DECISION_TYPE)) return null;
          type = true;
          break;
        case 'request':
          if (c !== 0x7b || !this.object(1, TOOL_KEY)) return null;
          tool = this.found;
          break;
        case 'decision':
          if (c !== 0x7b || !this.object(1, EFFECT_KEY)) return null;
          effect = this.found;
          break;
        default:
          if (!this.value(1)) return null;
      }
      if (b[this.i] === 0x7d) break;
    }
    if (this.i + 1 !== this.n) return null;
    if (seq < 1 || stream === null || prev === null || hash === null || !ts || !type || !tool || !effect) return null;
    // The hashed bytes are the line without `,"hash":"<hash>"`, laid out in one buffer.
    const hashed = this.n - (hashTo - hashFrom);
    const out = scratch !== undefined && scratch.length >= hashed ? scratch : Buffer.allocUnsafe(hashed);
    b.copy(out, 0, 0, hashFrom);
    b.copy(out, hashFrom, hashTo, this.n);
    if (`sha256:${oneShotHash('sha256', out.subarray(0, hashed), 'hex')}` !== hash) return null;
    return { seq, stream, prev, hash };
  }

  /** A key of printable ASCII without escapes (so byte order is UTF-16 order); leaves i after its closing quote. */
  private plainKey(): boolean {
    const b = this.b;
    if (b[this.i] !== QUOTE) return false;
    let i = this.i + 1;
    for (; i < this.n; i++) {
      const c = b[i] as number;
      if (c === QUOTE) {
        this.i = i + 1;
        return true;
      }
      if (c < 0x20 || c === BACKSLASH || c >= 0x80) return false;
    }
    return false;
  }

  private value(depth: number): boolean {
    const c = this.b[this.i];
    if (c === QUOTE) return this.string();
    if (c === 0x7b) return this.object(depth + 1, null);
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    return this.number();
  }

  private literal(word: string): boolean {
    for (let k = 0; k < word.length; k++) if (this.b[this.i + k] !== word.charCodeAt(k)) return false;
    this.i += word.length;
    return true;
  }

  /** An object with plain ASCII keys in strictly ascending order; `want`: note whether that key holds a string. */
  private object(depth: number, want: Buffer | null): boolean {
    if (depth > FAST_MAX_DEPTH) return false;
    const b = this.b;
    this.i += 1;
    let found = false;
    if (b[this.i] === 0x7d) {
      this.i += 1;
      this.found = false;
      return true;
    }
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      const keyStart = this.i + 1;
      if (!this.plainKey()) return false;
      const keyEnd = this.i - 1;
      if (prevStart >= 0 && !bytesBefore(b, prevStart, prevEnd, keyStart, keyEnd)) return false;
      prevStart = keyStart;
      prevEnd = keyEnd;
      if (b[this.i++] !== COLON) return false;
      const isWanted = want !== null && sameBytes(b, keyStart, keyEnd, want);
      if (isWanted && b[this.i] === QUOTE) found = true;
      if (!this.value(depth)) return false;
      const c = b[this.i++];
      if (c === 0x7d) break;
      if (c !== COMMA) return false;
    }
    this.found = found;
    return true;
  }

  private array(depth: number): boolean {
    if (depth > FAST_MAX_DEPTH) return false;
    const b = this.b;
    this.i += 1;
    if (b[this.i] === 0x5d) {
      this.i += 1;
      return true;
    }
    for (;;) {
      if (!this.value(depth)) return false;
      const c = b[this.i++];
      if (c === 0x5d) return true;
      if (c !== COMMA) return false;
    }
  }

  /**
   * A string as JSON.stringify writes it: raw characters except `"`, `\` and controls, which take
   * the short escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`) or `\u00xx` in lower case. Any
   * other escape (`\/`, `\u0041`, a lone surrogate's `\ud800`) is not canonical here.
   */
  private string(): boolean {
    const b = this.b;
    const n = this.n;
    let i = this.i + 1;
    while (i < n) {
      const c = b[i] as number;
      if (c === QUOTE) {
        this.i = i + 1;
        return true;
      }
      if (c === BACKSLASH) {
        const e = b[i + 1];
        if (e === QUOTE || e === BACKSLASH || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          continue;
        }
        if (e !== 0x75 || b[i + 2] !== 0x30 || b[i + 3] !== 0x30) return false;
        const hi = b[i + 4];
        const lo = lowerHex(b[i + 5]);
        if ((hi !== 0x30 && hi !== 0x31) || lo < 0) return false;
        const code = (hi === 0x31 ? 16 : 0) + lo;
        if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return false;
        i += 6;
        continue;
      }
      if (c < 0x20) return false;
      i += 1;
    }
    return false;
  }

  /** A number exactly as ECMAScript writes it (`String(Number(t)) === t`; -0 is written 0). */
  private number(): boolean {
    const b = this.b;
    const start = this.i;
    let i = start;
    while (i < this.n) {
      const c = b[i] as number;
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) i++;
      else break;
    }
    if (i === start) return false;
    this.i = i;
    if (plainPositiveInteger(b, start, i) > 0) return true;
    const t = b.toString('latin1', start, i);
    return String(Number(t)) === t;
  }
}

/**
 * True when bytes [a, aEnd) sort strictly before [c, cEnd) (unsigned bytes, a prefix first): for
 * ASCII keys, exactly JavaScript's UTF-16 string order.
 */
function bytesBefore(b: Buffer, a: number, aEnd: number, c: number, cEnd: number): boolean {
  const n = Math.min(aEnd - a, cEnd - c);
  for (let k = 0; k < n; k++) {
    const x = b[a + k] as number;
    const y = b[c + k] as number;
    if (x !== y) return x < y;
  }
  return aEnd - a < cEnd - c;
}

function sameBytes(b: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (b[start + k] !== expected[k]) return false;
  return true;
}

const TOP_LEVEL_KEYS: ReadonlyArray<readonly [string, Buffer]> = ['seq', 'stream', 'prev', 'hash', 'ts', 'type', 'request', 'decision'].map(
  (k) => [k, Buffer.from(k, 'latin1')] as const,
);

/** Which of the top-level keys the fast path reads is at [start, end), or '' for any other key. */
function topLevelKey(b: Buffer, start: number, end: number): string {
  for (const [name, bytes] of TOP_LEVEL_KEYS) if (sameBytes(b, start, end, bytes)) return name;
  return '';
}

function lowerHex(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The value of digits [start, end) when they are a positive integer written canonically (no leading 0, at most 15 digits), else -1. */
function plainPositiveInteger(b: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len < 1 || len > 15 || b[start] === 0x30) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

const SHA256_PREFIX = Buffer.from('"sha256:', 'latin1');

/** The digest in the string token [start, end) (quotes included), or null when it is not `sha256:` and 64 lowercase hex. */
function digestAt(b: Buffer, start: number, end: number): string | null {
  if (end - start !== 73 || !sameBytes(b, start, start + SHA256_PREFIX.length, SHA256_PREFIX)) return null;
  for (let i = start + SHA256_PREFIX.length; i < end - 1; i++) if (lowerHex(b[i]) < 0) return null;
  return b.toString('latin1', start + 1, end - 1);
}

/** The string token [start, end) decoded (JSON.parse only when it holds an escape or non-ASCII bytes). */
function stringValue(b: Buffer, start: number, end: number): string {
  for (let i = start + 1; i < end - 1; i++) {
    const c = b[i] as number;
    if (c === BACKSLASH || c >= 0x80) return JSON.parse(b.toString('utf8', start, end)) as string;
  }
  return b.toString('latin1', start + 1, end - 1);
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
  if (v.type === 'outcome') {
    const o = v.outcome as Record<string, unknown> | null | undefined;
    if (typeof v.call !== 'string' || typeof v.tool !== 'string') return '`call` or `tool` of an outcome record is missing';
    if (typeof o !== 'object' || o === null || typeof o.status !== 'string') return '`outcome.status` is missing';
    return null;
  }
  return '`type` is not "decision", "checkpoint" or "outcome"';
}

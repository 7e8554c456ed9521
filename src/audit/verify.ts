/**
 * Verifies an audit log: every hash recomputed, every link checked, seq gapless, one stream, every
 * checkpoint signature checked (with a public key). Streams line by line: memory stays constant
 * however large the log.
 */
import { stat } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { WardenError } from '../errors.js';
import { checkCheckpointSignature } from './checkpoint.js';
import { codeOf, MAX_LINE_BYTES, messageOf, readLineBatches, type FileLine } from './io.js';
import { keyIdOf, toPublicKey, type KeyInput } from './keys.js';
import { checkDecisionLine, GENESIS_HASH, parseRecordLine, type AuditRecord, type CheckedDecision } from './record.js';

/**
 * Why a log fails verification:
 * - `edited`: a record's content does not match its hash, a record does not link to the one before
 *   it (it or its predecessor was rewritten), or a record differs from the head it was expected to have;
 * - `deleted`: a seq is missing;
 * - `inserted`: a record that does not belong (a second record with a seq already seen, a record of
 *   another stream, a record whose predecessor is nowhere);
 * - `reordered`: a record appears before records that precede it;
 * - `bad_signature`: a checkpoint's signature does not verify, is by another key, or signs a head
 *   other than the record before it;
 * - `truncated`: the log ends before the seq it was told to expect;
 * - `malformed`: a line is not a record (not UTF-8, not JSON, wrong shape, empty, too long);
 * - `torn`: a file ends in the middle of a line (the writer stopped mid-append; opening the log with
 *   the file sink moves the torn bytes aside).
 *
 * @example
 * ```ts
 * if (result.firstBad?.reason === 'truncated') console.error('records after the anchored head are gone');
 * ```
 */
export type VerifyReason = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'bad_signature' | 'truncated' | 'malformed' | 'torn';

/**
 * The first place the log breaks.
 *
 * @example
 * ```ts
 * const { seq, file, line, reason } = result.firstBad!;
 * ```
 */
export interface VerifyProblem {
  /** The first seq that is not intact (for `deleted`/`reordered`: the one missing from its place). */
  seq: number;
  file: string;
  /** 1-based line in `file` where the problem shows. */
  line: number;
  reason: VerifyReason;
  message: string;
}

/**
 * What {@link verifyAuditLog} found.
 *
 * @example
 * ```ts
 * console.log(result.ok ? `intact: ${result.records} records` : `broken at seq ${result.firstBad?.seq}`);
 * ```
 */
export interface VerifyResult {
  ok: boolean;
  /** Records read and verified before the first problem (decisions, outcomes and checkpoints). */
  records: number;
  decisions: number;
  /** Outcome records: what happened when a governed call ran. */
  outcomes: number;
  checkpoints: number;
  /** Checkpoint signatures verified with the given public key. */
  signaturesChecked: number;
  /** Checkpoint signatures not checked because no public key was given. */
  signaturesUnchecked: number;
  /** The stream id, or null for an empty log. */
  stream: string | null;
  /** The last verified record. */
  head: { seq: number; hash: string } | null;
  /** The head signed by the last verified checkpoint. */
  lastCheckpoint: { seq: number; hash: string; keyId: string } | null;
  files: number;
  firstBad?: VerifyProblem;
}

/**
 * Options of {@link verifyAuditLog}.
 *
 * @example
 * ```ts
 * const options: VerifyOptions = { publicKey: await loadPublicKey('warden-audit.pub'), expectCheckpoint: { seq: 1200, hash: 'sha256:…' } };
 * ```
 */
export interface VerifyOptions {
  /** Checks every checkpoint signature with this Ed25519 public key. */
  publicKey?: KeyInput;
  /** A head anchored earlier (from `warden audit head`): the log must reach it, with this hash. */
  expectCheckpoint?: { seq: number; hash: string };
  /** Longest line accepted (default 16 MiB); longer lines are `malformed`. */
  maxLineBytes?: number;
  /** Lines read past a seq gap to tell `deleted` from `reordered` and `inserted`. Default 10000. */
  lookahead?: number;
}

interface Position {
  file: string;
  line: number;
}

/** State while classifying a seq gap. */
interface Gap {
  expected: number;
  jumped: { seq: number; prev: string };
  at: Position;
  linesLeft: number;
  sawExpected: boolean;
  sawJumpedAgain: boolean;
}

/**
 * Verifies the files of one stream, in chain order (rotated files first, the active file last; see
 * {@link listAuditFiles}), as one chain, and reports the first problem.
 *
 * @example
 * ```ts
 * const result = await verifyAuditLog(await listAuditFiles('.warden/audit/main.jsonl'), { publicKey: await loadPublicKey('.warden/keys/warden-audit.pub') });
 * if (!result.ok) console.error(`seq ${result.firstBad!.seq}: ${result.firstBad!.reason}`);
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_NOT_FOUND` when a file cannot be read, `ERR_AUDIT_KEY`
 *   for an unusable public key, `ERR_AUDIT_OPTIONS` for a malformed expected head.
 */
export async function verifyAuditLog(files: readonly string[], options: VerifyOptions = {}): Promise<VerifyResult> {
  checkExpectedHead(options.expectCheckpoint);
  await assertReadable(files);
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  return verifyLineSources(
    files.map((file) => ({ name: file, batches: () => readLineBatches(file, { maxLineBytes }) })),
    options,
  );
}

/**
 * Where a verifier reads a stream's lines from: a file, or the rows of a database table, in
 * chain order. `name` is what a problem's `file` says.
 *
 * @example
 * ```ts
 * const source: LineSource = { name: 'audit.jsonl', batches: () => readLineBatches('audit.jsonl', { maxLineBytes: 1 << 24 }) };
 * ```
 */
export interface LineSource {
  name: string;
  batches: () => AsyncIterable<FileLine[]>;
}

function checkExpectedHead(expect: VerifyOptions['expectCheckpoint']): void {
  if (expect !== undefined && (!Number.isSafeInteger(expect.seq) || expect.seq < 1 || !/^sha256:[0-9a-f]{64}$/.test(expect.hash))) {
    throw new WardenError('ERR_AUDIT_OPTIONS', 'The expected head needs a positive integer seq and a sha256:<64 hex> hash, as `warden audit head` prints them.');
  }
}

/**
 * Verifies the lines of one stream read from `sources`, in order, as one chain: the same checks
 * {@link verifyAuditLog} makes on files (it is this function over the files' lines).
 *
 * @example
 * ```ts
 * const result = await verifyLineSources([{ name: 'postgres:main', batches: () => rowsOf('main') }], { publicKey });
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_KEY` for an unusable public key, `ERR_AUDIT_OPTIONS`
 *   for a malformed expected head, and whatever a source's reader throws.
 */
export async function verifyLineSources(sources: readonly LineSource[], options: VerifyOptions = {}): Promise<VerifyResult> {
  const publicKey: KeyObject | undefined = options.publicKey === undefined ? undefined : toPublicKey(options.publicKey);
  const keyId = publicKey === undefined ? undefined : keyIdOf(publicKey);
  const expect = options.expectCheckpoint;
  checkExpectedHead(expect);
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const lookahead = options.lookahead ?? 10_000;

  const result: VerifyResult = {
    ok: true,
    records: 0,
    decisions: 0,
    outcomes: 0,
    checkpoints: 0,
    signaturesChecked: 0,
    signaturesUnchecked: 0,
    stream: null,
    head: null,
    lastCheckpoint: null,
    files: sources.length,
  };
  /** Where the fast check lays out the bytes it hashes (lines longer than this get their own buffer). */
  const scratch = Buffer.allocUnsafe(64 * 1024);
  let expected = 1;
  let prev = GENESIS_HASH;
  let prevAt: Position | null = null;
  let last: Position | null = null;
  const found: { bad: VerifyProblem | null } = { bad: null };
  let gap: Gap | null = null;
  let sawExpectedHead = false;
  /** Set while classifying a gap: the record the jumped-in record links to was seen later. */
  let predecessorSeen = false;

  const fail = (problem: VerifyProblem): void => {
    found.bad = problem;
  };

  /** Classifies the gap once the lookahead has seen enough (or the log ended). */
  const settleGap = (g: Gap): void => {
    if (g.sawJumpedAgain || (g.sawExpected && !predecessorSeen)) {
      fail({ seq: g.jumped.seq, ...g.at, reason: 'inserted', message: `seq ${g.jumped.seq} appears where seq ${g.expected} belongs and is not part of the chain` });
    } else if (predecessorSeen) {
      fail({ seq: g.expected, ...g.at, reason: 'reordered', message: `seq ${g.jumped.seq} appears before seq ${g.expected}: records are out of order` });
    } else {
      const missing = g.jumped.seq - 1 === g.expected ? `seq ${g.expected} is missing` : `seq ${g.expected} to ${g.jumped.seq - 1} are missing`;
      fail({ seq: g.expected, ...g.at, reason: 'deleted', message: `${missing} (the line holds seq ${g.jumped.seq})` });
    }
  };
  outer: for (const source of sources) {
    const file = source.name;
    for await (const batch of source.batches()) {
      for (const line of batch) {
        const at: Position = { file, line: line.lineNo };
        if (gap !== null) {
          // Past a gap: only classify it.
          if (line.terminated && !line.tooLong) {
            const fast = checkDecisionLine(line.bytes, scratch);
            const parsed = fast === null ? parseRecordLine(line.bytes) : null;
            const r: { seq: number; hash: string } | null = fast ?? (parsed?.ok === true ? parsed.record : null);
            if (r !== null) {
              if (r.hash === gap.jumped.prev) predecessorSeen = true;
              if (r.seq === gap.expected) gap.sawExpected = true;
              if (r.seq === gap.jumped.seq) gap.sawJumpedAgain = true;
            }
          }
          gap.linesLeft -= 1;
          if (predecessorSeen || gap.sawJumpedAgain || gap.linesLeft <= 0) {
            settleGap(gap);
            gap = null;
            break outer;
          }
          continue;
        }
        last = at;
        if (!line.terminated) {
          fail({
            seq: expected,
            ...at,
            reason: 'torn',
            message: `the file ends in the middle of a line (${line.length} bytes without a newline): the writer stopped mid-append. Records before it are intact; opening the log with the file sink moves the torn bytes to ${file}.torn`,
          });
          break outer;
        }
        if (line.tooLong || line.length === 0) {
          fail({ seq: expected, ...at, reason: 'malformed', message: line.tooLong ? `the line is ${line.length} bytes, over the ${maxLineBytes}-byte limit` : 'the line is empty' });
          break outer;
        }
        // Most lines are decision records the one-pass check accepts; anything else is parsed whole.
        let record: CheckedDecision | AuditRecord | null = checkDecisionLine(line.bytes, scratch);
        if (record === null) {
          const parsed = parseRecordLine(line.bytes);
          if (!parsed.ok) {
            fail({ seq: parsed.seq ?? expected, ...at, reason: parsed.reason, message: parsed.message });
            break outer;
          }
          record = parsed.record;
        }
        if (result.stream === null) {
          result.stream = record.stream;
        } else if (record.stream !== result.stream) {
          fail({ seq: record.seq, ...at, reason: 'inserted', message: `the record belongs to stream ${JSON.stringify(record.stream)}, not ${JSON.stringify(result.stream)}` });
          break outer;
        }
        if (record.seq > expected) {
          gap = { expected, jumped: record, at, linesLeft: lookahead, sawExpected: false, sawJumpedAgain: false };
          if (lookahead <= 0) {
            settleGap(gap);
            gap = null;
            break outer;
          }
          continue;
        }
        if (record.seq < expected) {
          fail({ seq: record.seq, ...at, reason: 'inserted', message: `a second record with seq ${record.seq} appears after seq ${expected - 1}` });
          break outer;
        }
        if (record.prev !== prev) {
          if (expected === 1) {
            fail({ seq: 1, ...at, reason: 'edited', message: `seq 1 must link to the genesis hash; its prev is ${record.prev}. Pass every file of the stream, oldest first` });
          } else {
            fail({
              seq: expected - 1,
              ...(prevAt ?? at),
              reason: 'edited',
              message: `seq ${expected} does not link to seq ${expected - 1} (prev ${record.prev}, but seq ${expected - 1} hashes to ${prev}): one of them was rewritten`,
            });
          }
          break outer;
        }
        if ('type' in record && record.type === 'checkpoint') {
          const c = record.checkpoint;
          if (c.stream !== record.stream || c.seq !== record.seq - 1 || c.hash !== record.prev) {
            fail({ seq: record.seq, ...at, reason: 'bad_signature', message: `the checkpoint signs ${c.stream} seq ${c.seq}, not the record right before it (seq ${record.seq - 1})` });
            break outer;
          }
          if (publicKey !== undefined) {
            const problem = checkCheckpointSignature(c, publicKey, keyId);
            if (problem !== null) {
              fail({ seq: record.seq, ...at, reason: 'bad_signature', message: `checkpoint for seq ${c.seq}: ${problem}` });
              break outer;
            }
            result.signaturesChecked += 1;
          } else {
            result.signaturesUnchecked += 1;
          }
          result.checkpoints += 1;
          result.lastCheckpoint = { seq: c.seq, hash: c.hash, keyId: c.keyId };
        } else if ('type' in record && record.type === 'outcome') {
          result.outcomes += 1;
        } else {
          result.decisions += 1;
        }
        if (expect !== undefined && record.seq === expect.seq) {
          if (record.hash !== expect.hash) {
            fail({ seq: record.seq, ...at, reason: 'edited', message: `seq ${record.seq} hashes to ${record.hash}, but the expected head says ${expect.hash}: the log was rewritten since that head was taken (or the head is from another log)` });
            break outer;
          }
          sawExpectedHead = true;
        }
        result.records += 1;
        prev = record.hash;
        prevAt = at;
        expected += 1;
      }
    }
  }
  if (gap !== null) settleGap(gap);
  if (result.records > 0) result.head = { seq: expected - 1, hash: prev };
  if (found.bad === null && expect !== undefined && !sawExpectedHead) {
    const lastSeq = expected - 1;
    const where: Position = last ?? { file: sources[sources.length - 1]?.name ?? '', line: 0 };
    fail({
      seq: lastSeq + 1,
      file: where.file,
      line: where.line + 1,
      reason: 'truncated',
      message: `the log ends at seq ${lastSeq}, before seq ${expect.seq} it was expected to reach: records were removed from the end`,
    });
  }
  if (found.bad !== null) {
    result.ok = false;
    result.firstBad = found.bad;
  }
  return result;
}

async function assertReadable(files: readonly string[]): Promise<void> {
  if (files.length === 0) throw new WardenError('ERR_AUDIT_NOT_FOUND', 'No audit log files given. Pass the files of one stream, oldest first.');
  for (const file of files) {
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new WardenError('ERR_AUDIT_NOT_FOUND', `${file} is not a regular file. Pass the .jsonl files of one stream, oldest first.`);
    } catch (e) {
      if (e instanceof WardenError) throw e;
      throw new WardenError(
        'ERR_AUDIT_NOT_FOUND',
        `Cannot read ${file}: ${codeOf(e) === 'ENOENT' ? 'no such file' : messageOf(e)}. Pass the .jsonl files of one stream, oldest first.`,
        { cause: e },
      );
    }
  }
}

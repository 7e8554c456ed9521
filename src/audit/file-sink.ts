/**
 * The embedded audit sink: an append-only, hash-chained JSONL file.
 *
 * Design:
 * - One writer per file per process (a registry refuses a second open of the same file).
 * - `write()` redacts and serializes the record at once (so a failure rejects that call and
 *   nothing of it is written), then queues it. Queued records are chained and appended in
 *   batches: one write call per batch, from the event loop thread, so the order of bytes in the
 *   file is the order of the chain even when `writeSync()` interleaves. With fsync `'always'` the
 *   batch is fsynced (off the event loop) before any of its writes resolve.
 * - A failed append truncates the file back to where the batch began and rolls the chain back,
 *   so a record that was not written never consumes a seq. A failed fsync also stops the sink:
 *   the disk's state is unknown, so every later write rejects until the sink is reopened.
 * - On open, the chain resumes from the last record (the file is read backward from the end).
 *   A torn final line is moved to `<file>.torn` (or `.torn.N`) and reported.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  statSync,
  writeSync as fsWriteSync,
} from 'node:fs';
import { chmod, mkdir, open, readFile, realpath, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WardenError, type WardenErrorCode } from '../errors.js';
import type { DecisionEvent, DecisionSink, OutcomeEvent } from '../decision.js';
import { signCheckpoint } from './checkpoint.js';
import { resolveLogLocation, rotatedFileName, rotatedFiles, secretPathOf, type LogLocation } from './files.js';
import { codeOf, MAX_LINE_BYTES, messageOf, readLinesBackward } from './io.js';
import { keyIdOf, toPrivateKey, type KeyInput } from './keys.js';
import {
  DEFAULT_MAX_RECORD_BYTES,
  encodeMembers,
  GENESIS_HASH,
  parseRecordLine,
  prepareDecisionRecord,
  prepareOutcomeRecord,
  prepareRecord,
  writeChainedLine,
  type AuditRecord,
  type PreparedRecord,
} from './record.js';

const fdatasyncAsync = promisify(fdatasync);

/**
 * When appended records are forced to disk.
 * - `'always'` (default): fsync every batch before its writes resolve. A resolved write survives
 *   power loss. Costs one fsync per batch; concurrent writers share it.
 * - `{ everyMs }`: writes resolve once the bytes are in the OS; a timer fsyncs every `everyMs`.
 *   Survives a process crash; a power loss can lose the last `everyMs` of records.
 * - `'never'`: leave flushing to the OS. Survives a process crash only.
 *
 * @example
 * ```ts
 * const policy: FsyncPolicy = { everyMs: 50 };
 * ```
 */
export type FsyncPolicy = 'always' | 'never' | { everyMs: number };

/**
 * Something the sink wants an operator to know, without failing a write.
 *
 * @example
 * ```ts
 * openFileAuditSink({ path, onWarning: (w) => console.warn(`[audit] ${w.code}: ${w.message}`) });
 * ```
 */
export interface AuditWarning {
  code: 'torn_tail' | 'secret_permissions' | 'new_secret_for_existing_log' | 'rotation_failed' | 'fsync_failed' | 'checkpoint_failed';
  message: string;
}

/**
 * Where a torn tail went.
 *
 * @example
 * ```ts
 * if (sink.tornTail) console.warn(`moved ${sink.tornTail.bytes} bytes to ${sink.tornTail.movedTo}`);
 * ```
 */
export interface TornTail {
  /** The log file the bytes were cut from. */
  file: string;
  /** Byte offset in `file` where the torn bytes began (the file now ends there). */
  offset: number;
  bytes: number;
  /** The `.torn` file now holding them, byte for byte. */
  movedTo: string;
}

/**
 * Options of {@link openFileAuditSink}.
 *
 * @example
 * ```ts
 * const options: FileAuditSinkOptions = { path: '.warden/audit', stream: 'main', rotateBytes: 64 * 1024 * 1024 };
 * ```
 */
export interface FileAuditSinkOptions {
  /** A `.jsonl` file (the active file of its stream), or a directory holding `<stream>.jsonl`. */
  path: string;
  /** Log id recorded in every record. Default: the file name without `.jsonl` (`warden` for a directory). */
  stream?: string;
  /** Default `'always'`. */
  fsync?: FsyncPolicy;
  /** Rotate the active file once it reaches this many bytes (at least 4096). Default: never. */
  rotateBytes?: number;
  /**
   * Secret for `argsDigest` (at least 16 bytes; a string is taken as UTF-8). Default: read from
   * `<dir>/<stem>.secret`, created (32 random bytes, hex, mode 0600) on first open.
   */
  hmacKey?: Uint8Array | string;
  /** Ed25519 private key (KeyObject or PEM). With it the sink appends signed checkpoints. */
  signingKey?: KeyInput;
  /** Append a checkpoint after this many records. Default 1000. */
  checkpointEvery?: number;
  /** Also append one when records are pending and this much time passed; 0 turns the timer off. Default 60000. */
  checkpointIntervalMs?: number;
  /** Passed to the redactor. */
  redaction?: { entropy?: boolean; extraKeys?: string[] };
  /** Largest record line in bytes (at most 16 MiB). Default 1 MiB; bigger arguments are recorded as a size note. */
  maxRecordBytes?: number;
  /** Records waiting to be written before `write()` rejects with `ERR_AUDIT_QUEUE_FULL`. Default 10000. */
  maxQueue?: number;
  /** Records per write call. Default 1024. */
  maxBatchRecords?: number;
  onWarning?: (warning: AuditWarning) => void;
  /** Clock for checkpoint timestamps (milliseconds since the epoch). Default `Date.now`. */
  now?: () => number;
}

interface Pending {
  /** The record body, serialized (redacted), waiting for seq and prev. */
  prepared: PreparedRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface AppendedBatch {
  start: number;
  end: number;
  prevSeq: number;
  prevHash: string;
  prevUncovered: number;
  prevHeadIsCheckpoint: boolean;
}

interface Signer {
  key: KeyObject;
  keyId: string;
  every: number;
}

interface SinkState {
  loc: LogLocation;
  fd: number;
  ino: number;
  dev: number;
  size: number;
  seq: number;
  hash: string;
  headIsCheckpoint: boolean;
  nextRotation: number;
  hmacKey: Uint8Array;
  secretPath: string | null;
  signer: Signer | null;
  tornTail: TornTail | null;
  registryKey: string;
}

const NOOP = (): void => undefined;

/** Largest batch buffer a sink keeps for the next batch (bigger ones are left to the GC). */
const SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;

/** invariant: the only module state; one open writer per resolved log file in this process. */
const openWriters = new Set<string>();

/**
 * The file sink. Create it with {@link openFileAuditSink}; hand it to the Governor as its sink.
 *
 * @example
 * ```ts
 * const sink = await openFileAuditSink({ path: '.warden/audit/main.jsonl', signingKey: await loadPrivateKey('.warden/keys/warden-audit.key') });
 * await sink.write(event); // resolves once the record is on disk
 * await sink.close();      // appends the shutdown checkpoint
 * ```
 */
export class FileAuditSink implements DecisionSink {
  /** The active file. */
  readonly path: string;
  readonly stream: string;
  /** Where the HMAC secret is stored, or null when it was passed in. */
  readonly secretPath: string | null;
  /** The torn tail found and moved aside on open, or null. */
  readonly tornTail: TornTail | null;
  /** Id of the signing key, or null when checkpoints are off. */
  readonly keyId: string | null;

  private readonly loc: LogLocation;
  private readonly fsync: FsyncPolicy;
  private readonly rotateBytes: number;
  private readonly hmacKey: Uint8Array;
  private readonly signer: Signer | null;
  private readonly redaction: FileAuditSinkOptions['redaction'];
  private readonly maxRecordBytes: number;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly warn: (warning: AuditWarning) => void;
  private readonly now: () => number;
  private readonly registryKey: string;
  private readonly buildOptions: { hmacKey: Uint8Array; redaction: FileAuditSinkOptions['redaction']; maxRecordBytes: number };
  /** Canonical texts proven to hold nothing to redact under this sink's redaction options. */
  private readonly provenClean = new Set<string>();
  /** Reused between batches (appends are synchronous); dropped after a batch over SCRATCH_KEEP_BYTES. */
  private scratch: Buffer | null = null;

  private fd: number;
  private ino: number;
  private dev: number;
  private size: number;
  private seq: number;
  private hash: string;
  private headIsCheckpoint: boolean;
  private uncovered: number;
  private nextRotation: number;
  private queue: Pending[] = [];
  private checkpointWanted = false;
  private dirty = false;
  /** Size at a failed rotation: the next attempt waits until more bytes were appended. */
  private rotationBlockedAt = -1;
  private running: Promise<void> | null = null;
  private syncInFlight: Promise<void> | null = null;
  private failure: WardenError | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];

  /** @internal Use {@link openFileAuditSink}. */
  constructor(state: SinkState, options: FileAuditSinkOptions) {
    this.loc = state.loc;
    this.path = state.loc.activePath;
    this.stream = state.loc.stream;
    this.secretPath = state.secretPath;
    this.tornTail = state.tornTail;
    this.signer = state.signer;
    this.keyId = state.signer?.keyId ?? null;
    this.fsync = options.fsync ?? 'always';
    this.rotateBytes = options.rotateBytes ?? 0;
    this.hmacKey = state.hmacKey;
    this.redaction = options.redaction;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.maxBatch = options.maxBatchRecords ?? 1024;
    this.warn = options.onWarning ?? NOOP;
    this.now = options.now ?? Date.now;
    this.registryKey = state.registryKey;
    this.buildOptions = { hmacKey: this.hmacKey, redaction: this.redaction, maxRecordBytes: this.maxRecordBytes };
    this.fd = state.fd;
    this.ino = state.ino;
    this.dev = state.dev;
    this.size = state.size;
    this.seq = state.seq;
    this.hash = state.hash;
    this.headIsCheckpoint = state.headIsCheckpoint;
    this.uncovered = state.seq > 0 && !state.headIsCheckpoint ? 1 : 0;
    this.nextRotation = state.nextRotation;
    const fsync = this.fsync;
    if (typeof fsync === 'object') {
      this.timers.push(setInterval(() => this.periodicSync(), fsync.everyMs).unref());
    }
    const interval = options.checkpointIntervalMs ?? 60_000;
    if (this.signer !== null && interval > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.uncovered > 0 && !this.closing) {
            this.checkpointWanted = true;
            this.kick();
          }
        }, interval).unref(),
      );
    }
  }

  /**
   * The last record in the chain: seq 0 and the genesis hash for an empty log.
   *
   * @example
   * ```ts
   * console.log(sink.head.seq, sink.head.hash);
   * ```
   */
  get head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.hash };
  }

  /**
   * Records one decision. Resolves once the record is appended (and fsynced, with `'always'`);
   * rejects when it was not, and then it consumed no seq.
   *
   * @example
   * ```ts
   * await sink.write({ ts: new Date().toISOString(), agent: { id: 'coder' }, request, decision });
   * ```
   * @throws (rejects) WardenError `ERR_AUDIT_WRITE`, `ERR_AUDIT_CLOSED`, `ERR_AUDIT_QUEUE_FULL`,
   *   `ERR_AUDIT_RECORD_TOO_LARGE`, or the redactor's `ERR_REDACTION_*`.
   */
  write(event: DecisionEvent): Promise<void> {
    return this.enqueue(() => this.prepare(event));
  }

  /**
   * Records what happened when a governed call ran (an `outcome` record naming the call's id).
   * Resolves once appended, as {@link FileAuditSink.write} does.
   *
   * @example
   * ```ts
   * await sink.writeOutcome({ ts: new Date().toISOString(), call: verdict.call, tool: 'send_email', agent: null, outcome: { status: 'ok', durationMs: 41 } });
   * ```
   * @throws (rejects) as {@link FileAuditSink.write} does.
   */
  writeOutcome(event: OutcomeEvent): Promise<void> {
    return this.enqueue(() => prepareOutcomeRecord(event, this.buildOptions, this.stream));
  }

  private enqueue(prepare: () => PreparedRecord): Promise<void> {
    let pending: Pending;
    try {
      this.assertWritable();
      if (this.queue.length >= this.maxQueue) {
        throw new WardenError('ERR_AUDIT_QUEUE_FULL', `${this.queue.length} audit records are waiting to be written to ${this.path}; the disk is not keeping up. Retry later or use a faster fsync policy.`);
      }
      pending = { prepared: prepare(), resolve: NOOP, reject: NOOP };
    } catch (e) {
      return Promise.reject(asWardenError(e, this.path));
    }
    return new Promise<void>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
      this.queue.push(pending);
      this.kick();
    });
  }

  /**
   * Records one decision synchronously (for governing synchronous functions): appends every queued
   * record and this one in a single batch, and fsyncs before returning with `'always'` (blocking the
   * event loop for that fsync).
   *
   * @example
   * ```ts
   * sink.writeSync(event); // throws if the record could not be written
   * ```
   * @throws WardenError as {@link FileAuditSink.write} rejects.
   */
  writeSync(event: DecisionEvent): void {
    let own: Pending;
    try {
      this.assertWritable();
      own = { prepared: this.prepare(event), resolve: NOOP, reject: NOOP };
    } catch (e) {
      throw asWardenError(e, this.path);
    }
    const queued = this.queue.splice(0);
    const items = [...queued, own];
    let batch: AppendedBatch;
    try {
      batch = this.append(items, false);
    } catch (e) {
      const err = asWardenError(e, this.path);
      for (const item of queued) item.reject(err);
      throw err;
    }
    if (this.fsync === 'always') {
      try {
        fdatasyncSync(this.fd);
      } catch (e) {
        const err = this.fsyncFailed(e, batch);
        for (const item of queued) item.reject(err);
        throw err;
      }
    } else {
      this.dirty = true;
    }
    for (const item of queued) item.resolve();
    if (this.rotationDue()) this.kick();
  }

  /**
   * Flushes pending records, appends the shutdown checkpoint (with a signing key), fsyncs and closes
   * the file. Writes after `close()` reject with `ERR_AUDIT_CLOSED`.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void sink.close().finally(() => process.exit(0)));
   * ```
   * @throws (rejects) WardenError `ERR_AUDIT_WRITE` when the final records or checkpoint could not be written.
   */
  close(): Promise<void> {
    if (this.closed === null) this.closed = this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    let problem: WardenError | null = null;
    try {
      if (this.signer !== null && this.uncovered > 0 && this.failure === null) this.checkpointWanted = true;
      this.kick();
      while (this.running !== null) await this.running;
      if (this.syncInFlight !== null) await this.syncInFlight;
      if (this.failure === null && this.fsync !== 'never') fdatasyncSync(this.fd);
    } catch (e) {
      problem = asWardenError(e, this.path);
    } finally {
      try {
        closeSync(this.fd);
      } catch (e) {
        problem ??= asWardenError(e, this.path);
      }
      openWriters.delete(this.registryKey);
    }
    const failure = problem ?? this.failure;
    if (failure !== null) throw failure;
  }

  private assertWritable(): void {
    if (this.closing) {
      throw new WardenError('ERR_AUDIT_CLOSED', `The audit sink for ${this.path} is closed; open a new one with openFileAuditSink().`);
    }
    if (this.failure !== null) throw this.failure;
  }

  private prepare(event: DecisionEvent): PreparedRecord {
    return prepareDecisionRecord(event, this.buildOptions, this.stream, this.provenClean);
  }

  /** Starts the write loop unless it runs; it re-arms itself when work arrived while it finished. */
  private kick(): void {
    if (this.running !== null) return;
    this.running = this.loop()
      .catch((e: unknown) => {
        this.failure ??= asWardenError(e, this.path);
      })
      .finally(() => {
        this.running = null;
        if (this.queue.length > 0 || this.checkpointWanted || this.rotationDue()) this.kick();
      });
  }

  private async loop(): Promise<void> {
    // Let every write() of the current tick join the first batch.
    await null;
    for (;;) {
      if (this.failure !== null) {
        for (const item of this.queue.splice(0)) item.reject(this.failure);
        this.checkpointWanted = false;
        return;
      }
      if (this.rotationDue()) await this.rotate();
      if (this.queue.length === 0 && !this.checkpointWanted) return;
      const items = this.queue.splice(0, this.maxBatch);
      const wantCheckpoint = this.checkpointWanted && this.queue.length === 0;
      if (wantCheckpoint) this.checkpointWanted = false;
      let batch: AppendedBatch;
      try {
        batch = this.append(items, wantCheckpoint);
      } catch (e) {
        const err = asWardenError(e, this.path);
        for (const item of items) item.reject(err);
        if (items.length === 0) this.warn({ code: 'checkpoint_failed', message: err.message });
        continue;
      }
      if (this.fsync === 'always' && batch.end > batch.start) {
        const sync = fdatasyncAsync(this.fd);
        this.syncInFlight = sync.catch(NOOP);
        try {
          await sync;
        } catch (e) {
          const err = this.fsyncFailed(e, batch);
          for (const item of items) item.reject(err);
          continue;
        } finally {
          this.syncInFlight = null;
        }
      } else {
        this.dirty = true;
      }
      for (const item of items) item.resolve();
    }
  }

  /**
   * Chains `items` (plus checkpoints as due) onto the head and appends them in one write call.
   * On failure nothing stays in the file and the head is unchanged.
   */
  private append(items: Pending[], forceCheckpoint: boolean): AppendedBatch {
    const batch: AppendedBatch = {
      start: this.size,
      end: this.size,
      prevSeq: this.seq,
      prevHash: this.hash,
      prevUncovered: this.uncovered,
      prevHeadIsCheckpoint: this.headIsCheckpoint,
    };
    let seq = this.seq;
    let hash = this.hash;
    let uncovered = this.uncovered;
    let headIsCheckpoint = this.headIsCheckpoint;
    // The batch's lines are written straight into one buffer (each line's bytes hashed in place).
    let capacity = 0;
    for (const item of items) capacity += item.prepared.maxBytes;
    let buf = this.scratch !== null && this.scratch.length >= capacity ? this.scratch : Buffer.allocUnsafe(Math.max(capacity, 64 * 1024));
    let used = 0;
    const put = (prepared: PreparedRecord): void => {
      if (buf.length - used < prepared.maxBytes) {
        const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, used + prepared.maxBytes));
        buf.copy(bigger, 0, 0, used);
        buf = bigger;
      }
      const written = writeChainedLine(prepared, seq + 1, hash, buf, used);
      used = written.end;
      seq += 1;
      hash = written.hash;
    };
    const pushCheckpoint = (signer: Signer): void => {
      const statement = signCheckpoint({ stream: this.stream, seq, hash }, signer.key, signer.keyId);
      const body = { type: 'checkpoint' as const, ts: new Date(this.now()).toISOString(), checkpoint: statement };
      put(prepareRecord(encodeMembers(body), this.stream));
      uncovered = 0;
      headIsCheckpoint = true;
    };
    for (const item of items) {
      put(item.prepared);
      uncovered += 1;
      headIsCheckpoint = false;
      if (this.signer !== null && uncovered >= this.signer.every) pushCheckpoint(this.signer);
    }
    if (forceCheckpoint && this.signer !== null && uncovered > 0) pushCheckpoint(this.signer);
    this.scratch = buf.length <= SCRATCH_KEEP_BYTES ? buf : null;
    if (used === 0) return batch;
    this.checkStillOurs();
    let written = 0;
    try {
      while (written < used) written += fsWriteSync(this.fd, buf, written, used - written);
    } catch (e) {
      if (written > 0) this.truncateBack(batch.start, e);
      throw new WardenError('ERR_AUDIT_WRITE', `Cannot append to ${this.path}: ${describeIoError(e)}. The records were not written.`, { cause: e });
    }
    this.size += used;
    batch.end = this.size;
    this.seq = seq;
    this.hash = hash;
    this.uncovered = uncovered;
    this.headIsCheckpoint = headIsCheckpoint;
    return batch;
  }

  /** Refuses to append when the path no longer names the file we hold (removed, moved, replaced). */
  private checkStillOurs(): void {
    let st;
    try {
      st = statSync(this.path);
    } catch (e) {
      throw new WardenError('ERR_AUDIT_WRITE', `The audit log ${this.path} is gone (${describeIoError(e)}); nothing was written. Restore the file or directory, or reopen the sink.`, { cause: e });
    }
    if (st.ino !== this.ino || st.dev !== this.dev) {
      throw new WardenError('ERR_AUDIT_WRITE', `${this.path} is no longer the file this sink opened (it was moved or replaced); nothing was written. Restore it, or close and reopen the sink.`);
    }
  }

  private truncateBack(size: number, cause: unknown): void {
    try {
      ftruncateSync(this.fd, size);
    } catch (e) {
      this.failure = new WardenError(
        'ERR_AUDIT_WRITE',
        `A partial append to ${this.path} could not be undone (${describeIoError(e)} after ${describeIoError(cause)}); the sink stops. Reopen it: the torn tail is moved aside on open.`,
        { cause: e },
      );
    }
  }

  private fsyncFailed(cause: unknown, batch: AppendedBatch): WardenError {
    const err = new WardenError(
      'ERR_AUDIT_WRITE',
      `fsync of ${this.path} failed (${describeIoError(cause)}): the records may not be on disk. The sink stops accepting records; check the disk, then reopen the sink.`,
      { cause },
    );
    // Undo the batch only while nothing was appended after it (writeSync may have appended more).
    if (this.size === batch.end) {
      try {
        ftruncateSync(this.fd, batch.start);
        this.size = batch.start;
        this.seq = batch.prevSeq;
        this.hash = batch.prevHash;
        this.uncovered = batch.prevUncovered;
        this.headIsCheckpoint = batch.prevHeadIsCheckpoint;
      } catch (e) {
        this.warn({ code: 'fsync_failed', message: `${err.message} Truncating the unsynced records also failed: ${describeIoError(e)}.` });
      }
    }
    this.failure = err;
    return err;
  }

  private periodicSync(): void {
    if (!this.dirty || this.syncInFlight !== null || this.failure !== null || this.closing) return;
    this.dirty = false;
    this.syncInFlight = fdatasyncAsync(this.fd)
      .catch((e: unknown) => {
        this.failure = new WardenError(
          'ERR_AUDIT_WRITE',
          `Periodic fsync of ${this.path} failed (${describeIoError(e)}): recent records may not be on disk. The sink stops accepting records; check the disk, then reopen it.`,
          { cause: e },
        );
        this.warn({ code: 'fsync_failed', message: this.failure.message });
      })
      .finally(() => {
        this.syncInFlight = null;
      });
  }

  private rotationDue(): boolean {
    return this.rotateBytes > 0 && this.size >= this.rotateBytes && this.size > this.rotationBlockedAt && this.failure === null;
  }

  /**
   * Renames the active file to the next rotated name and starts a new active file. The chain
   * simply continues: the new file's first record links to the old file's last hash.
   */
  private async rotate(): Promise<void> {
    if (this.syncInFlight !== null) await this.syncInFlight;
    const target = join(this.loc.dir, rotatedFileName(this.loc.stem, this.nextRotation));
    try {
      if (this.fsync !== 'never') fdatasyncSync(this.fd);
      this.checkStillOurs();
      renameSync(this.path, target);
    } catch (e) {
      // Keep appending to the current file; rotation is retried after the next batch.
      this.warn({ code: 'rotation_failed', message: `Cannot rotate ${this.path} to ${target}: ${describeIoError(e)}. Still appending to ${this.path}.` });
      this.rotationBlockedAt = this.size;
      return;
    }
    this.nextRotation += 1;
    let fd: number;
    try {
      fd = openSync(this.path, 'ax', 0o600);
    } catch (e) {
      // The old descriptor (now the rotated file) stays open until close(); nothing more goes into it.
      this.failure = new WardenError(
        'ERR_AUDIT_WRITE',
        `Rotated ${this.path} to ${target} but cannot start a new file: ${describeIoError(e)}. The sink stops; reopen it (the chain resumes from ${target}).`,
        { cause: e },
      );
      return;
    }
    const oldFd = this.fd;
    const st = fstatSync(fd);
    this.fd = fd;
    this.ino = st.ino;
    this.dev = st.dev;
    this.size = 0;
    this.rotationBlockedAt = -1;
    closeQuietly(oldFd, this.warn);
    if (this.fsync !== 'never') {
      try {
        syncDirectory(this.loc.dir);
      } catch (e) {
        this.warn({ code: 'rotation_failed', message: `Rotated ${this.path} to ${target}, but syncing the directory failed: ${describeIoError(e)}.` });
      }
    }
  }
}

/**
 * Opens (creating if needed) a stream's audit log for appending and resumes its chain.
 *
 * @example
 * ```ts
 * const sink = await openFileAuditSink({ path: '.warden/audit', stream: 'main', fsync: { everyMs: 50 } });
 * if (sink.tornTail) console.warn(`torn tail moved to ${sink.tornTail.movedTo}`);
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_OPTIONS`, `ERR_AUDIT_IN_USE` (already open in this
 *   process), `ERR_AUDIT_OPEN` (cannot create or read the log), `ERR_AUDIT_CORRUPT` (the last record
 *   does not verify), `ERR_AUDIT_STREAM_MISMATCH`, `ERR_AUDIT_KEY`.
 */
export async function openFileAuditSink(options: FileAuditSinkOptions): Promise<FileAuditSink> {
  checkOptions(options);
  const loc = resolveLogLocation(options.path, options.stream);
  const signer = options.signingKey === undefined ? null : makeSigner(options);
  try {
    await mkdir(loc.dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot create the audit directory ${loc.dir}: ${describeIoError(e)}. Choose a writable location.`, { cause: e });
  }
  const registryKey = join(await realpath(loc.dir), `${loc.stem}.jsonl`);
  if (openWriters.has(registryKey)) {
    throw new WardenError(
      'ERR_AUDIT_IN_USE',
      `${loc.activePath} is already open for writing in this process; one writer per file keeps the chain gapless. Share that sink, or close it before opening another.`,
    );
  }
  openWriters.add(registryKey);
  let fd = -1;
  const warn = options.onWarning ?? NOOP;
  try {
    fd = openOrThrow(loc.activePath);
    const st = fstatSync(fd);
    const rotated = await rotatedFiles(loc.dir, loc.stem);
    const lastRotated = rotated[rotated.length - 1];
    let tail: Recovered = { head: null, torn: null };
    let size = st.size;
    if (st.size > 0) {
      tail = await recoverTail(loc.activePath, fd, warn);
      size = fstatSync(fd).size;
    }
    if (tail.head === null && lastRotated !== undefined) {
      tail = { head: (await recoverTail(lastRotated.path, null, warn)).head, torn: tail.torn };
    }
    const head = tail.head;
    if (head !== null && head.stream !== loc.stream) {
      throw new WardenError(
        'ERR_AUDIT_STREAM_MISMATCH',
        `${loc.activePath} holds stream ${JSON.stringify(head.stream)}, not ${JSON.stringify(loc.stream)}. Pass stream: ${JSON.stringify(head.stream)} or use another file.`,
      );
    }
    const { key: hmacKey, path: secretPath } = await loadHmacKey(options, loc, head !== null, warn);
    const state: SinkState = {
      loc,
      fd,
      ino: st.ino,
      dev: st.dev,
      size,
      seq: head?.seq ?? 0,
      hash: head?.hash ?? GENESIS_HASH,
      headIsCheckpoint: head?.type === 'checkpoint',
      nextRotation: (lastRotated?.n ?? 0) + 1,
      hmacKey,
      secretPath,
      signer,
      tornTail: tail.torn,
      registryKey,
    };
    // invariant: a file (or secret) created here survives a power loss once a write resolves.
    if (options.fsync !== 'never') syncDirectory(loc.dir);
    return new FileAuditSink(state, options);
  } catch (e) {
    openWriters.delete(registryKey);
    if (fd >= 0) closeQuietly(fd, warn);
    throw asWardenError(e, loc.activePath, 'ERR_AUDIT_OPEN');
  }
}

function checkOptions(o: FileAuditSinkOptions): void {
  const bad = (what: string): never => {
    throw new WardenError('ERR_AUDIT_OPTIONS', `Invalid audit sink option: ${what}.`);
  };
  if (typeof o.path !== 'string' || o.path.length === 0) bad('`path` must name a .jsonl file or a directory');
  const f = o.fsync;
  if (f !== undefined && f !== 'always' && f !== 'never') {
    if (typeof f !== 'object' || f === null || !Number.isInteger(f.everyMs) || f.everyMs < 1 || f.everyMs > 60_000) {
      bad("`fsync` must be 'always', 'never' or { everyMs: 1..60000 }");
    }
  }
  const intIn = (v: number | undefined, min: number, max: number, name: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) bad(`\`${name}\` must be an integer from ${min} to ${max}`);
  };
  if (o.rotateBytes !== undefined && o.rotateBytes !== 0) intIn(o.rotateBytes, 4096, Number.MAX_SAFE_INTEGER, 'rotateBytes');
  intIn(o.checkpointEvery, 1, 1_000_000_000, 'checkpointEvery');
  intIn(o.checkpointIntervalMs, 0, 86_400_000, 'checkpointIntervalMs');
  intIn(o.maxRecordBytes, 4096, MAX_LINE_BYTES, 'maxRecordBytes');
  intIn(o.maxQueue, 1, 10_000_000, 'maxQueue');
  intIn(o.maxBatchRecords, 1, 1_000_000, 'maxBatchRecords');
}

function makeSigner(options: FileAuditSinkOptions): Signer {
  const key = toPrivateKey(options.signingKey as KeyInput, 'signingKey');
  return { key, keyId: keyIdOf(key), every: options.checkpointEvery ?? 1000 };
}

function openOrThrow(path: string): number {
  try {
    return openSync(path, 'a+', 0o600);
  } catch (e) {
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot open ${path} for appending: ${describeIoError(e)}. Check the path and its permissions.`, { cause: e });
  }
}

interface Recovered {
  head: AuditRecord | null;
  torn: TornTail | null;
}

/**
 * Finds the last record of a file (reading backward) and moves a torn tail aside: the bytes after
 * the last newline, and a final complete line that is not JSON (at most one such line).
 * `fd` is the open append descriptor for the active file (null for a rotated file: opened here).
 */
async function recoverTail(path: string, fd: number | null, warn: (w: AuditWarning) => void): Promise<Recovered> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot read ${path}: ${describeIoError(e)}.`, { cause: e });
  }
  let tornFrom: number | null = null;
  let head: AuditRecord | null = null;
  let size: number;
  try {
    size = (await handle.stat()).size;
    let unparsableLines = 0;
    for await (const line of readLinesBackward(handle, size, { maxLineBytes: MAX_LINE_BYTES })) {
      if (!line.terminated) {
        tornFrom = line.offset;
        continue;
      }
      const parsed = line.tooLong ? null : parseRecordLine(line.bytes);
      if (parsed === null || (!parsed.ok && parsed.reason === 'malformed')) {
        // A final complete line that is not a record is moved aside like a torn one; two are not.
        if (unparsableLines > 0) {
          throw new WardenError('ERR_AUDIT_CORRUPT', `The last two lines of ${path} are not records; run \`warden audit verify ${path}\` and move the file aside before writing to it.`);
        }
        unparsableLines += 1;
        tornFrom = line.offset;
        continue;
      }
      if (!parsed.ok) {
        throw new WardenError(
          'ERR_AUDIT_CORRUPT',
          `The last record of ${path} (byte ${line.offset}) does not verify: ${parsed.message}. Appending would extend a broken chain; run \`warden audit verify ${path}\`, then move the file aside.`,
        );
      }
      head = parsed.record;
      break;
    }
  } finally {
    await handle.close();
  }
  if (tornFrom === null) return { head, torn: null };
  const torn = await moveTornTail(path, fd, tornFrom, size);
  warn({
    code: 'torn_tail',
    message: `${path} ended with ${torn.bytes} bytes of an incomplete record (the writer stopped mid-append). They were moved to ${torn.movedTo}; the chain resumes from ${head === null ? 'the start' : `seq ${head.seq}`}.`,
  });
  return { head, torn };
}

async function moveTornTail(path: string, fd: number | null, from: number, size: number): Promise<TornTail> {
  const bytes = size - from;
  const data = Buffer.allocUnsafe(bytes);
  const reader = await open(path, 'r');
  try {
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await reader.read(data, done, bytes - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } finally {
    await reader.close();
  }
  let movedTo: string | null = null;
  for (let n = 0; movedTo === null; n++) {
    const candidate = n === 0 ? `${path}.torn` : `${path}.torn.${n}`;
    try {
      await writeFile(candidate, data, { flag: 'wx', mode: 0o600, flush: true });
      movedTo = candidate;
    } catch (e) {
      if (codeOf(e) !== 'EEXIST' || n >= 10_000) {
        throw new WardenError('ERR_AUDIT_OPEN', `Cannot save the torn tail of ${path} to ${candidate}: ${describeIoError(e)}. Free space or fix permissions, then reopen.`, { cause: e });
      }
    }
  }
  // invariant: the bytes are safely in the .torn file before they leave the log.
  const own = fd ?? openSync(path, 'r+');
  try {
    ftruncateSync(own, from);
    fsyncSync(own);
  } finally {
    if (fd === null) closeSync(own);
  }
  return { file: path, offset: from, bytes, movedTo };
}

async function loadHmacKey(
  options: FileAuditSinkOptions,
  loc: LogLocation,
  logHasRecords: boolean,
  warn: (w: AuditWarning) => void,
): Promise<{ key: Uint8Array; path: string | null }> {
  if (options.hmacKey !== undefined) {
    const key = typeof options.hmacKey === 'string' ? Buffer.from(options.hmacKey, 'utf8') : options.hmacKey;
    if (key.length < 16) throw new WardenError('ERR_AUDIT_OPTIONS', 'Invalid audit sink option: `hmacKey` must be at least 16 bytes.');
    return { key, path: null };
  }
  const path = secretPathOf(loc);
  let text: string | null = null;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') {
      throw new WardenError('ERR_AUDIT_OPEN', `Cannot read the audit HMAC secret ${path}: ${describeIoError(e)}.`, { cause: e });
    }
  }
  if (text !== null) {
    if (!/^[0-9a-f]{32,128}$/.test(text)) {
      throw new WardenError('ERR_AUDIT_OPEN', `${path} does not hold a hex secret (32-128 hex digits). Restore it from backup; a new secret makes earlier argsDigests incomparable.`);
    }
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) {
      warn({ code: 'secret_permissions', message: `${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}.` });
    }
    return { key: Buffer.from(text, 'hex'), path };
  }
  const secret = randomBytes(32).toString('hex');
  try {
    await writeFile(path, `${secret}\n`, { flag: 'wx', mode: 0o600, flush: true });
    await chmod(path, 0o600);
  } catch (e) {
    if (codeOf(e) === 'EEXIST') return loadHmacKey(options, loc, logHasRecords, warn);
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot create the audit HMAC secret ${path}: ${describeIoError(e)}.`, { cause: e });
  }
  if (logHasRecords) {
    warn({
      code: 'new_secret_for_existing_log',
      message: `${path} was missing, so a new secret was created; argsDigest values from before this point cannot be compared with new ones. Restore the old secret file if you have it.`,
    });
  }
  return { key: Buffer.from(secret, 'hex'), path };
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function closeQuietly(fd: number, warn: (w: AuditWarning) => void): void {
  try {
    closeSync(fd);
  } catch (e) {
    warn({ code: 'fsync_failed', message: `Closing a log file descriptor failed: ${describeIoError(e)}.` });
  }
}

function describeIoError(e: unknown): string {
  const code = codeOf(e);
  const hint =
    code === 'ENOSPC'
      ? ' (disk full)'
      : code === 'EACCES' || code === 'EPERM'
        ? ' (permission denied)'
        : code === 'EISDIR'
          ? ' (a directory is in the way)'
          : code === 'ENOENT'
            ? ' (no such file or directory)'
            : '';
  return `${messageOf(e)}${hint}`;
}

function asWardenError(e: unknown, path: string, code: WardenErrorCode = 'ERR_AUDIT_WRITE'): WardenError {
  if (e instanceof WardenError) return e;
  return new WardenError(code, `Audit log ${path}: ${describeIoError(e)}.`, { cause: e });
}

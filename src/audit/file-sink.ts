/**
 * The embedded audit sink: an append-only, hash-chained JSONL file.
 *
 * Design (each concern in its own file):
 * - Opening (log-open.ts): one writer per log, in this process (a registry) and across processes
 *   (a lock file, file-lock.ts, held from open to close and refreshed while open); the chain
 *   resumes from the last record, a torn final line moved aside (torn-tail.ts).
 * - Writing (here): `write()` redacts and serializes the record at once (so a failure rejects that
 *   call and nothing of it is written), then queues it. Queued records are chained
 *   (batch-encode.ts) and appended in batches: one write call per batch, from the event loop
 *   thread, so the order of bytes in the file is the order of the chain even when `writeSync()`
 *   interleaves. With fsync `'always'` the batch is fsynced (off the event loop) before any of its
 *   writes resolve. A batch gathers the writes of one tick, or with `gather: 'turn'` those of one
 *   event-loop turn (group commit across the requests a server answers together).
 * - A failed append truncates the file back to where the batch began and rolls the chain back,
 *   so a record that was not written never consumes a seq. A failed fsync also stops the sink:
 *   the disk's state is unknown, so every later write rejects until the sink is reopened. So does
 *   a lost lock (another process broke it as stale): appending then could fork the chain.
 * - Rotation (rotation.ts) renames the active file and starts a new one; the chain continues.
 */
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, statSync, writeSync as fsWriteSync } from 'node:fs';
import { promisify } from 'node:util';
import { WardenError } from '../errors.js';
import type { DecisionEvent, DecisionSink, OutcomeEvent } from '../decision.js';
import { encodeBatch, type Signer } from './batch-encode.js';
import type { FileLock } from './file-lock.js';
import type { LogLocation } from './files.js';
import { closeLog, lockPathOf, openLog, type OpenedLog } from './log-open.js';
import { DEFAULT_MAX_RECORD_BYTES, prepareDecisionRecord, prepareOutcomeRecord, type PreparedRecord } from './record.js';
import { rotateActiveFile } from './rotation.js';
import { asWardenError, describeIoError } from './sink-io.js';
import { checkSinkOptions, type AuditWarning, type FileAuditSinkOptions, type FsyncPolicy, type TornTail } from './sink-options.js';

export type { AuditSinkCommonOptions, AuditWarning, FileAuditSinkOptions, FsyncPolicy, TornTail } from './sink-options.js';

const fdatasyncAsync = promisify(fdatasync);

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

const NOOP = (): void => undefined;

/** Largest batch buffer a sink keeps for the next batch (bigger ones are left to the GC). */
const SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;

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
  private readonly gather: 'tick' | 'turn';
  private readonly warn: (warning: AuditWarning) => void;
  private readonly now: () => number;
  private readonly opened: OpenedLog;
  private readonly lock: FileLock;
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
  constructor(state: OpenedLog, options: FileAuditSinkOptions) {
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
    this.gather = options.gather ?? 'tick';
    this.warn = options.onWarning ?? NOOP;
    this.now = options.now ?? Date.now;
    this.opened = state;
    this.lock = state.lock;
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
    // Keep the lock fresh, so other processes never take it for abandoned while this sink is open.
    if (Number.isFinite(this.lock.staleMs)) {
      this.timers.push(
        setInterval(() => {
          if (!this.closing && this.failure === null && !this.lock.refresh()) this.lockLost();
        }, Math.max(250, Math.floor(this.lock.staleMs / 3))).unref(),
      );
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
      try {
        await closeLog(this.opened);
      } catch (e) {
        problem ??= asWardenError(e, this.path);
      }
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
    // Let every write() of the current tick (or event-loop turn) join the first batch.
    if (this.gather === 'turn') await new Promise<void>((resolve) => setImmediate(resolve));
    else await null;
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
    const encoded = encodeBatch(
      items,
      { seq: this.seq, hash: this.hash, uncovered: this.uncovered, headIsCheckpoint: this.headIsCheckpoint },
      { stream: this.stream, signer: this.signer, now: this.now, force: forceCheckpoint, scratch: this.scratch },
    );
    const buf = encoded.buf;
    const used = encoded.used;
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
    this.seq = encoded.head.seq;
    this.hash = encoded.head.hash;
    this.uncovered = encoded.head.uncovered;
    this.headIsCheckpoint = encoded.head.headIsCheckpoint;
    return batch;
  }

  /**
   * Refuses to append when the path no longer names the file we hold (removed, moved, replaced),
   * or the lock is no longer ours (another process broke it as stale and may be appending).
   */
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
    if (!this.lock.held()) throw this.lockLost();
  }

  /** Stops the sink: the lock was removed or re-created by someone else. */
  private lockLost(): WardenError {
    this.failure ??= new WardenError(
      'ERR_AUDIT_IN_USE',
      `The lock ${lockPathOf(this.loc)} of ${this.path} is no longer held by this sink (removed, or broken as stale by another process after this one went ${this.lock.staleMs} ms without refreshing it); appending could fork the chain, so the sink stops. Reopen it.`,
    );
    this.warn({ code: 'lock_lost', message: this.failure.message });
    return this.failure;
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

  /** Rotates the active file (rotation.ts); the chain simply continues in the new one. */
  private async rotate(): Promise<void> {
    if (this.syncInFlight !== null) await this.syncInFlight;
    const r = rotateActiveFile({ loc: this.loc, fd: this.fd, n: this.nextRotation, fsync: this.fsync, beforeRename: () => this.checkStillOurs(), warn: this.warn });
    if (r.kind === 'kept') {
      // Keep appending to the current file; rotation is retried once more bytes were appended.
      this.rotationBlockedAt = this.size;
      return;
    }
    this.nextRotation += 1;
    if (r.kind === 'failed') {
      this.failure = r.error;
      return;
    }
    this.fd = r.fd;
    this.ino = r.ino;
    this.dev = r.dev;
    this.size = 0;
    this.rotationBlockedAt = -1;
  }
}

/**
 * Opens (creating if needed) a stream's audit log for appending and resumes its chain. Another
 * process writing the same log holds its lock: this waits for it (up to `lock.timeoutMs`), so
 * parallel writers take turns instead of forking the chain.
 *
 * @example
 * ```ts
 * const sink = await openFileAuditSink({ path: '.warden/audit', stream: 'main', fsync: { everyMs: 50 } });
 * if (sink.tornTail) console.warn(`torn tail moved to ${sink.tornTail.movedTo}`);
 * ```
 * @throws (rejects) WardenError `ERR_AUDIT_OPTIONS`, `ERR_AUDIT_IN_USE` (already open in this
 *   process, or another process kept it past `lock.timeoutMs`), `ERR_AUDIT_OPEN` (cannot create or
 *   read the log or its lock), `ERR_AUDIT_CORRUPT` (the last record does not verify),
 *   `ERR_AUDIT_STREAM_MISMATCH`, `ERR_AUDIT_KEY`.
 */
export async function openFileAuditSink(options: FileAuditSinkOptions): Promise<FileAuditSink> {
  checkSinkOptions(options);
  return new FileAuditSink(await openLog(options), options);
}

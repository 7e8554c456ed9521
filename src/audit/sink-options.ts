/**
 * What the file sink can be told, and the check that refuses anything else: unknown keys, values
 * out of range, a misspelt fsync policy.
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { FILE_LOCK_OPTION_KEYS, type FileLockOptions } from './file-lock.js';
import { MAX_LINE_BYTES } from './io.js';
import type { KeyInput } from './keys.js';

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
  code: 'torn_tail' | 'secret_permissions' | 'new_secret_for_existing_log' | 'rotation_failed' | 'fsync_failed' | 'checkpoint_failed' | 'lock_lost';
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
 * What every audit sink takes besides where it writes: checkpoint signing and cadence, redaction,
 * record and queue bounds, warnings and the clock. {@link FileAuditSinkOptions} and the
 * PostgreSQL sink's options extend it.
 *
 * @example
 * ```ts
 * const common: AuditSinkCommonOptions = { checkpointEvery: 500, maxQueue: 2000 };
 * ```
 */
export interface AuditSinkCommonOptions {
  /** Ed25519 private key (KeyObject or PEM). With it the sink appends signed checkpoints; every writer of a stream should use the same key. */
  signingKey?: KeyInput;
  /** Append a checkpoint once this many records are uncovered. Default 1000. */
  checkpointEvery?: number;
  /** Also append one when records were written and this much time passed; 0 turns the timer off. Default 60000. */
  checkpointIntervalMs?: number;
  /** Passed to the redactor. */
  redaction?: { entropy?: boolean; extraKeys?: string[] };
  /** Largest record line in bytes (at most 16 MiB). Default 1 MiB; bigger arguments are recorded as a size note. */
  maxRecordBytes?: number;
  /** Records waiting to be written before `write()` rejects with `ERR_AUDIT_QUEUE_FULL`. Default 10000. */
  maxQueue?: number;
  onWarning?: (warning: AuditWarning) => void;
  /** Clock for checkpoint timestamps (milliseconds since the epoch). Default `Date.now`. */
  now?: () => number;
}

/**
 * Options of {@link openFileAuditSink}. Unknown keys are refused (`ERR_AUDIT_OPTIONS`).
 *
 * @example
 * ```ts
 * const options: FileAuditSinkOptions = { path: '.warden/audit', stream: 'main', rotateBytes: 64 * 1024 * 1024 };
 * ```
 */
export interface FileAuditSinkOptions extends AuditSinkCommonOptions {
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
  /** Records per write call. Default 1024. */
  maxBatchRecords?: number;
  /**
   * Which writes one append gathers (group commit): `'tick'` (default) the writes made in the same
   * tick as the first; `'turn'` the writes of the whole event-loop turn (the append waits for
   * setImmediate), so a server answering many connections appends the records of every request
   * that arrived together with one write call (and one fsync with `'always'`). Each write still
   * resolves only once its own record is appended.
   */
  gather?: 'tick' | 'turn';
  /**
   * The cross-process lock (`<active file>.lock`) held from open to close, so writers in other
   * processes wait instead of forking the chain: how long `open` waits for another writer to
   * close (default 10 s; then `ERR_AUDIT_IN_USE`), and after how long without a refresh a
   * holder's lock is taken for abandoned (default 30 s; the sink refreshes it while open).
   */
  lock?: FileLockOptions;
}

const SINK_OPTION_KEYS = [
  'path',
  'stream',
  'fsync',
  'rotateBytes',
  'hmacKey',
  'signingKey',
  'checkpointEvery',
  'checkpointIntervalMs',
  'redaction',
  'maxRecordBytes',
  'maxQueue',
  'maxBatchRecords',
  'gather',
  'lock',
  'onWarning',
  'now',
];

/**
 * Checks sink options: unknown keys (also in `redaction` and `lock`), types and ranges.
 *
 * @example
 * ```ts
 * checkSinkOptions({ path: 'audit.jsonl', fsnyc: 'never' } as never); // throws: Unknown key "fsnyc" ...
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS` saying which option is wrong and what it accepts.
 */
export function checkSinkOptions(o: FileAuditSinkOptions): void {
  if (o === null || typeof o !== 'object') throw new WardenError('ERR_AUDIT_OPTIONS', 'openFileAuditSink takes an options object: { path, ... }.');
  rejectUnknownKeys(o, SINK_OPTION_KEYS, 'ERR_AUDIT_OPTIONS', 'audit sink options');
  rejectUnknownKeys(o.redaction, ['entropy', 'extraKeys'], 'ERR_AUDIT_OPTIONS', 'audit sink option `redaction`');
  rejectUnknownKeys(o.lock, FILE_LOCK_OPTION_KEYS, 'ERR_AUDIT_OPTIONS', 'audit sink option `lock`');
  const bad = (what: string): never => {
    throw new WardenError('ERR_AUDIT_OPTIONS', `Invalid audit sink option: ${what}.`);
  };
  if (typeof o.path !== 'string' || o.path.length === 0) bad('`path` must name a .jsonl file or a directory');
  const f = o.fsync;
  if (f !== undefined && f !== 'always' && f !== 'never') {
    if (typeof f !== 'object' || f === null || !Number.isInteger(f.everyMs) || f.everyMs < 1 || f.everyMs > 60_000 || Object.keys(f).length !== 1) {
      bad("`fsync` must be 'always', 'never' or { everyMs: 1..60000 }");
    }
  }
  if (o.gather !== undefined && o.gather !== 'tick' && o.gather !== 'turn') bad("`gather` must be 'tick' or 'turn'");
  const intIn = (v: number | undefined, min: number, max: number, name: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) bad(`\`${name}\` must be an integer from ${min} to ${max}`);
  };
  if (o.rotateBytes !== undefined && o.rotateBytes !== 0) intIn(o.rotateBytes, 4096, Number.MAX_SAFE_INTEGER, 'rotateBytes');
  intIn(o.checkpointEvery, 1, 1_000_000_000, 'checkpointEvery');
  intIn(o.checkpointIntervalMs, 0, 86_400_000, 'checkpointIntervalMs');
  intIn(o.maxRecordBytes, 4096, MAX_LINE_BYTES, 'maxRecordBytes');
  intIn(o.maxQueue, 1, 10_000_000, 'maxQueue');
  intIn(o.maxBatchRecords, 1, 1_000_000, 'maxBatchRecords');
  intIn(o.lock?.timeoutMs, 0, 86_400_000, 'lock.timeoutMs');
  const stale = o.lock?.staleMs;
  if (stale !== undefined && stale !== Number.POSITIVE_INFINITY) intIn(stale, 1000, 86_400_000, 'lock.staleMs');
  for (const fn of ['onWarning', 'now'] as const) {
    if (o[fn] !== undefined && typeof o[fn] !== 'function') bad(`\`${fn}\` must be a function`);
  }
}

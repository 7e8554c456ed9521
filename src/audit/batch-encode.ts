/**
 * Chaining a batch: each queued record gets the next seq and the previous record's hash, and a
 * signed checkpoint follows every `every` records (and at the end when forced). The lines are
 * written straight into one buffer, each line's bytes hashed in place; nothing touches the file.
 */
import type { KeyObject } from 'node:crypto';
import { signCheckpoint } from './checkpoint.js';
import { encodeMembers, prepareRecord, writeChainedLine, type PreparedRecord } from './record.js';

/**
 * What signs checkpoints: the key, its id, and how many records a checkpoint covers.
 *
 * @example
 * ```ts
 * const signer: Signer = { key: privateKey, keyId: keyIdOf(privateKey), every: 1000 };
 * ```
 */
export interface Signer {
  key: KeyObject;
  keyId: string;
  every: number;
}

/**
 * The head of a chain as a writer tracks it.
 *
 * @example
 * ```ts
 * const head: ChainState = { seq: 0, hash: GENESIS_HASH, uncovered: 0, headIsCheckpoint: false };
 * ```
 */
export interface ChainState {
  seq: number;
  hash: string;
  /** Records since the last checkpoint. */
  uncovered: number;
  headIsCheckpoint: boolean;
}

/**
 * An encoded batch: `buf[0, used)` holds its lines; `head` is the chain after them.
 *
 * @example
 * ```ts
 * const { buf, used, head } = encodeBatch(items, chain, { stream: 'main', signer: null, now: Date.now, force: false, scratch: null });
 * ```
 */
export interface EncodedBatch {
  buf: Buffer;
  used: number;
  head: ChainState;
}

/**
 * Chains `items` onto `head` (plus checkpoints as due, and one at the end with `force` when
 * records are uncovered). Reuses `scratch` when it is large enough.
 *
 * @example
 * ```ts
 * const batch = encodeBatch([{ prepared }], head, { stream: 'main', signer, now: Date.now, force: true, scratch: null });
 * ```
 */
export function encodeBatch(
  items: ReadonlyArray<{ readonly prepared: PreparedRecord }>,
  head: Readonly<ChainState>,
  options: { stream: string; signer: Signer | null; now: () => number; force: boolean; scratch: Buffer | null },
): EncodedBatch {
  let { seq, hash, uncovered, headIsCheckpoint } = head;
  let capacity = 0;
  for (const item of items) capacity += item.prepared.maxBytes;
  const scratch = options.scratch;
  let buf = scratch !== null && scratch.length >= capacity ? scratch : Buffer.allocUnsafe(Math.max(capacity, 64 * 1024));
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
    const statement = signCheckpoint({ stream: options.stream, seq, hash }, signer.key, signer.keyId);
    const body = { type: 'checkpoint' as const, ts: new Date(options.now()).toISOString(), checkpoint: statement };
    put(prepareRecord(encodeMembers(body), options.stream));
    uncovered = 0;
    headIsCheckpoint = true;
  };
  const signer = options.signer;
  for (const item of items) {
    put(item.prepared);
    uncovered += 1;
    headIsCheckpoint = false;
    if (signer !== null && uncovered >= signer.every) pushCheckpoint(signer);
  }
  if (options.force && signer !== null && uncovered > 0) pushCheckpoint(signer);
  return { buf, used, head: { seq, hash, uncovered, headIsCheckpoint } };
}

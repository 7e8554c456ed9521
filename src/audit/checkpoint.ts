/**
 * Signed checkpoints: an Ed25519 signature over a stream's head (stream id, seq, hash), so the head
 * can be anchored outside the machine and a truncated or rewritten log is caught against it.
 *
 * Signed bytes: the UTF-8 of `warden-audit-checkpoint-v1\n` followed by
 * canonicalJson({ hash, seq, stream }). The prefix keeps a checkpoint signature from ever being
 * valid for another message signed with the same key.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { codeOf, MAX_LINE_BYTES, messageOf, readLinesBackward } from './io.js';
import { keyIdOf, toPublicKey, type KeyInput } from './keys.js';
import type { CheckpointStatement } from './record.js';

/** Domain-separation prefix of the signed bytes. */
export const CHECKPOINT_SIGNING_PREFIX = 'warden-audit-checkpoint-v1\n';

/**
 * The head a checkpoint covers.
 *
 * @example
 * ```ts
 * const head: ChainHead = { stream: 'main', seq: 41, hash: 'sha256:…' };
 * ```
 */
export interface ChainHead {
  stream: string;
  seq: number;
  hash: string;
}

/**
 * The exact bytes a checkpoint signs.
 *
 * @example
 * ```ts
 * checkpointSigningBytes({ stream: 'main', seq: 1, hash: h }).toString(); // 'warden-audit-checkpoint-v1\n{"hash":"…","seq":1,"stream":"main"}'
 * ```
 */
export function checkpointSigningBytes(head: ChainHead): Buffer {
  return Buffer.from(CHECKPOINT_SIGNING_PREFIX + canonicalJson({ stream: head.stream, seq: head.seq, hash: head.hash }), 'utf8');
}

/**
 * Signs a head with an Ed25519 private key.
 *
 * @example
 * ```ts
 * const statement = signCheckpoint({ stream: 'main', seq: 41, hash }, privateKey);
 * ```
 */
export function signCheckpoint(head: ChainHead, privateKey: KeyObject, keyId: string = keyIdOf(privateKey)): CheckpointStatement {
  const signature = sign(null, checkpointSigningBytes(head), privateKey).toString('base64');
  return { stream: head.stream, seq: head.seq, hash: head.hash, keyId, signature };
}

/**
 * Checks a checkpoint's signature with a public key. Returns a reason when it does not hold.
 *
 * @example
 * ```ts
 * const problem = checkCheckpointSignature(record.checkpoint, publicKey, keyIdOf(publicKey));
 * if (problem !== null) console.error(problem);
 * ```
 */
export function checkCheckpointSignature(statement: CheckpointStatement, publicKey: KeyObject, keyId: string = keyIdOf(publicKey)): string | null {
  if (statement.keyId !== keyId) return `signed by key ${statement.keyId}, not by the given key ${keyId}`;
  let signature: Buffer;
  if (typeof statement.signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(statement.signature)) {
    return 'the signature is not a base64 Ed25519 signature';
  }
  try {
    signature = Buffer.from(statement.signature, 'base64');
    if (verify(null, checkpointSigningBytes(statement), publicKey, signature)) return null;
  } catch (e) {
    return `the signature cannot be checked: ${messageOf(e)}`;
  }
  return 'the signature does not match the head it claims to sign';
}

/**
 * The latest signed head of a log, as `warden audit head` prints it.
 *
 * @example
 * ```ts
 * const head = await readHead(files);
 * if (head) console.log(`${head.stream} ${head.seq} ${head.hash}`);
 * ```
 */
export interface SignedHead extends CheckpointStatement {
  /** Seq of the checkpoint record itself (the head it signs is `seq`, right before it). */
  checkpointSeq: number;
  /** When the checkpoint was written. */
  ts: string;
  file: string;
  /** True when a public key was given and the signature holds; null when no key was given. */
  signatureValid: boolean | null;
  /** Why the signature does not hold, when it does not. */
  signatureProblem?: string;
}

/**
 * Finds the latest checkpoint of a log by reading its files backward from the end (it stops at
 * the first checkpoint found, so it reads about one checkpoint interval). It does not verify the
 * chain; run {@link verifyAuditLog} for that. With `publicKey`, it checks the signature.
 *
 * @example
 * ```ts
 * const head = await readHead(['.warden/audit/main.jsonl'], { publicKey: await loadPublicKey('warden-audit.pub') });
 * ```
 * @throws WardenError `ERR_AUDIT_NOT_FOUND` for a missing file.
 */
export async function readHead(files: readonly string[], options: { publicKey?: KeyInput; maxLineBytes?: number } = {}): Promise<SignedHead | null> {
  const publicKey = options.publicKey === undefined ? undefined : toPublicKey(options.publicKey);
  const keyId = publicKey === undefined ? undefined : keyIdOf(publicKey);
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i] as string;
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot open ${file}: ${codeOf(e) === 'ENOENT' ? 'no such file' : messageOf(e)}. Pass the log files in chain order.`, { cause: e });
    }
    try {
      const { size } = await handle.stat();
      for await (const line of readLinesBackward(handle, size, { maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES })) {
        if (!line.terminated || line.tooLong) continue;
        const statement = checkpointOf(line.bytes);
        if (statement === null) continue;
        const head: SignedHead = { ...statement.checkpoint, checkpointSeq: statement.seq, ts: statement.ts, file, signatureValid: null };
        if (publicKey !== undefined) {
          const problem = checkCheckpointSignature(statement.checkpoint, publicKey, keyId);
          head.signatureValid = problem === null;
          if (problem !== null) head.signatureProblem = problem;
        }
        return head;
      }
    } finally {
      await handle.close();
    }
  }
  return null;
}

/** The checkpoint in a line, or null when the line is not a well-formed checkpoint record. */
function checkpointOf(bytes: Buffer): { seq: number; ts: string; checkpoint: CheckpointStatement } | null {
  // Cheap pre-filter: most lines are decisions; only parse lines that can be checkpoints.
  if (bytes.indexOf('"type":"checkpoint"') === -1) return null;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (!isCheckpointRecordShape(value)) return null;
  return value;
}

/**
 * True when a parsed value has the shape of a checkpoint record.
 *
 * @example
 * ```ts
 * if (isCheckpointRecordShape(JSON.parse(line))) console.log('checkpoint');
 * ```
 */
export function isCheckpointRecordShape(value: unknown): value is { seq: number; ts: string; type: 'checkpoint'; checkpoint: CheckpointStatement } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.type !== 'checkpoint' || typeof v.seq !== 'number' || typeof v.ts !== 'string') return false;
  const c = v.checkpoint as Record<string, unknown> | null | undefined;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.stream === 'string' &&
    typeof c.seq === 'number' &&
    typeof c.hash === 'string' &&
    typeof c.keyId === 'string' &&
    typeof c.signature === 'string'
  );
}

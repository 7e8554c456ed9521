import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_SIGNING_PREFIX,
  checkCheckpointSignature,
  checkpointSigningBytes,
  readHead,
  signCheckpoint,
} from '../../src/audit/checkpoint.js';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { generateKeyPair, keyIdOf, loadPrivateKey, loadPublicKey, toPrivateKey, writeKeyPair } from '../../src/audit/keys.js';
import type { AuditCheckpointRecord, AuditRecord } from '../../src/audit/record.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { sha256Hex } from '../../src/lib/hash.js';
import { decisionEvent, linesOf, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const HASH = `sha256:${'1f'.repeat(32)}`;

function records(file: string): AuditRecord[] {
  return linesOf(file).map((l) => JSON.parse(l) as AuditRecord);
}

describe('keys', () => {
  it('writes the private key with mode 0600 and the public key as PEM, and loads them back', async () => {
    const { privateKeyPath, publicKeyPath, keyId } = await writeKeyPair(join(dir, 'keys'));
    expect(privateKeyPath).toBe(join(dir, 'keys', 'warden-audit.key'));
    expect(publicKeyPath).toBe(join(dir, 'keys', 'warden-audit.pub'));
    expect(statSync(privateKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(privateKeyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(publicKeyPath, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const priv = await loadPrivateKey(privateKeyPath);
    const pub = await loadPublicKey(publicKeyPath);
    expect(keyIdOf(priv)).toBe(keyId);
    expect(keyIdOf(pub)).toBe(keyId);
    expect(keyId).toBe(`sha256:${sha256Hex(pub.export({ type: 'spki', format: 'der' }))}`);
  });

  it('refuses to overwrite existing key files unless forced', async () => {
    const first = await writeKeyPair(dir);
    await expect(writeKeyPair(dir)).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY_EXISTS' });
    expect(keyIdOf(await loadPublicKey(first.publicKeyPath))).toBe(first.keyId);
    writeFileSync(first.privateKeyPath, readFileSync(first.privateKeyPath), { mode: 0o644 });
    const second = await writeKeyPair(dir, { force: true });
    expect(second.keyId).not.toBe(first.keyId);
    expect(statSync(second.privateKeyPath).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['a missing file', 'nope.pem', null],
    ['a file that is not PEM', 'junk.pem', 'hello'],
    ['an RSA key', 'rsa.pem', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
  ])('rejects %s with ERR_AUDIT_KEY', async (_name, file, content) => {
    const path = join(dir, file);
    if (content !== null) writeFileSync(path, content);
    await expect(loadPrivateKey(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY' });
    await expect(loadPublicKey(path)).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY' });
  });

  it('refuses a public key where a private key is needed', () => {
    expect(() => toPrivateKey(generateKeyPair().publicKey)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_KEY' }));
  });
});

describe('checkpoint signatures', () => {
  it('signs the domain-separation prefix followed by canonicalJson({hash, seq, stream})', () => {
    const bytes = checkpointSigningBytes({ stream: 'main', seq: 7, hash: HASH });
    expect(bytes.toString('utf8')).toBe(`warden-audit-checkpoint-v1\n{"hash":"${HASH}","seq":7,"stream":"main"}`);
    expect(CHECKPOINT_SIGNING_PREFIX).toBe('warden-audit-checkpoint-v1\n');
    const keys = generateKeyPair();
    const statement = signCheckpoint({ stream: 'main', seq: 7, hash: HASH }, keys.privateKey);
    expect(statement.keyId).toBe(keys.keyId);
    expect(verify(null, bytes, keys.publicKey, Buffer.from(statement.signature, 'base64'))).toBe(true);
    // Without the prefix the signature does not verify: it cannot be replayed as another message.
    expect(verify(null, Buffer.from(`{"hash":"${HASH}","seq":7,"stream":"main"}`), keys.publicKey, Buffer.from(statement.signature, 'base64'))).toBe(false);
  });

  it.each([
    ['another seq', { seq: 8 }, 'does not match'],
    ['another hash', { hash: `sha256:${'2e'.repeat(32)}` }, 'does not match'],
    ['another stream', { stream: 'other' }, 'does not match'],
    ['another key id', { keyId: `sha256:${'00'.repeat(32)}` }, 'not by the given key'],
    ['a truncated signature', { signature: 'AAAA' }, 'not a base64'],
  ])('rejects a statement with %s', (_name, change, problem) => {
    const keys = generateKeyPair();
    const statement = signCheckpoint({ stream: 'main', seq: 7, hash: HASH }, keys.privateKey);
    expect(checkCheckpointSignature(statement, keys.publicKey)).toBeNull();
    expect(checkCheckpointSignature({ ...statement, ...change }, keys.publicKey)).toContain(problem);
  });
});

describe('checkpoints in the log', () => {
  it('appends a signed checkpoint every N records, covering the record right before it', async () => {
    const keys = generateKeyPair();
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, signingKey: keys.privateKey, checkpointEvery: 3 });
    for (let i = 0; i < 7; i++) await sink.write(decisionEvent(i));
    const recs = records(file);
    expect(recs.map((r) => r.type)).toEqual(['decision', 'decision', 'decision', 'checkpoint', 'decision', 'decision', 'decision', 'checkpoint', 'decision']);
    const cp = recs[3] as AuditCheckpointRecord;
    expect(cp.checkpoint).toMatchObject({ stream: 'main', seq: 3, hash: recs[2]?.hash, keyId: keys.keyId });
    expect(cp.seq).toBe(4);
    await sink.close();
    const after = records(file);
    expect(after.at(-1)).toMatchObject({ type: 'checkpoint', seq: 10, checkpoint: { seq: 9 } });
    expect(await verifyAuditLog([file], { publicKey: keys.publicKey })).toMatchObject({ ok: true, checkpoints: 3, signaturesChecked: 3, decisions: 7 });
  });

  it('appends a checkpoint on clean close, and none when the head is already one', async () => {
    const keys = generateKeyPair();
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, signingKey: keys.privateKey });
    await sink.write(decisionEvent(1));
    await sink.close();
    const again = await openFileAuditSink({ path: file, signingKey: keys.privateKey });
    await again.close();
    expect(records(file).map((r) => r.type)).toEqual(['decision', 'checkpoint']);
  });

  it('appends a checkpoint after the interval when records are pending', async () => {
    const keys = generateKeyPair();
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, signingKey: keys.privateKey, checkpointIntervalMs: 20 });
    await sink.write(decisionEvent(1));
    const deadline = Date.now() + 5000;
    while (records(file).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(records(file).map((r) => r.type)).toEqual(['decision', 'checkpoint']);
    await sink.close();
    expect(records(file)).toHaveLength(2);
  });

  it('readHead returns the latest signed head and checks its signature with a key', async () => {
    const keys = generateKeyPair();
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, signingKey: keys.privateKey, checkpointEvery: 2 });
    for (let i = 0; i < 5; i++) await sink.write(decisionEvent(i));
    const recs = records(file);
    const last = recs.at(-1);
    await sink.close();
    const all = records(file);
    const head = await readHead([file], { publicKey: keys.publicKey });
    expect(head).toMatchObject({ stream: 'main', seq: 7, hash: recs.at(-1)?.hash, checkpointSeq: 8, keyId: keys.keyId, signatureValid: true, file });
    expect(last?.seq).toBe(7);
    expect(all).toHaveLength(8);
    const other = generateKeyPair();
    expect(await readHead([file], { publicKey: other.publicKey })).toMatchObject({ signatureValid: false });
    expect(await readHead([file])).toMatchObject({ signatureValid: null });
  });

  it('readHead returns null for a log without checkpoints', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await sink.write(decisionEvent(1));
    await sink.close();
    expect(await readHead([file])).toBeNull();
  });

  it('accepts the signing key as PEM text', async () => {
    const keys = generateKeyPair();
    const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, signingKey: pem });
    expect(sink.keyId).toBe(keyIdOf(createPublicKey(keys.privateKey)));
    await sink.write(decisionEvent(1));
    await sink.close();
    expect(await verifyAuditLog([file], { publicKey: keys.publicKey })).toMatchObject({ ok: true, signaturesChecked: 1 });
  });
});

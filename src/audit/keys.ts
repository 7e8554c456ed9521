/**
 * Ed25519 keys for signed checkpoints (node:crypto, PEM files).
 *
 * The private key signs checkpoints on the host that writes the log; the public key verifies them
 * anywhere. A key is named by its `keyId`: `sha256:` + SHA-256 hex of the public key's SPKI DER.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors.js';
import { sha256Hex } from '../lib/hash.js';
import { codeOf, messageOf } from './io.js';

/** File names `writeKeyPair(dir)` and `warden keygen` use. */
export const PRIVATE_KEY_FILE = 'warden-audit.key';
/** See {@link PRIVATE_KEY_FILE}. */
export const PUBLIC_KEY_FILE = 'warden-audit.pub';

/** Largest key file read, so a wrong path (a log, a device) fails fast instead of filling memory. */
const MAX_KEY_FILE_BYTES = 16 * 1024;

/**
 * An Ed25519 key pair and its id.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey, keyId } = generateKeyPair();
 * ```
 */
export interface AuditKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

/**
 * A key given as a KeyObject or as PEM text (string or bytes).
 *
 * @example
 * ```ts
 * const key: KeyInput = readFileSync('.warden/keys/warden-audit.key', 'utf8');
 * ```
 */
export type KeyInput = KeyObject | string | Uint8Array;

/**
 * Generates a fresh Ed25519 key pair.
 *
 * @example
 * ```ts
 * const pair = generateKeyPair();
 * console.log(pair.keyId); // 'sha256:…'
 * ```
 */
export function generateKeyPair(): AuditKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/**
 * The key id of a public key (or of the public half of a private key).
 *
 * @example
 * ```ts
 * keyIdOf(await loadPublicKey('warden-audit.pub')); // 'sha256:…'
 * ```
 */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${sha256Hex(pub.export({ type: 'spki', format: 'der' }))}`;
}

/**
 * Where {@link writeKeyPair} writes: a directory (standard names) or explicit paths.
 *
 * @example
 * ```ts
 * const target: KeyPairTarget = { privateKeyPath: '/etc/warden/audit.key', publicKeyPath: '/etc/warden/audit.pub' };
 * ```
 */
export type KeyPairTarget = string | { privateKeyPath: string; publicKeyPath: string };

/**
 * Writes a key pair as PEM: the private key with mode 0600, the public key with 0644. Refuses to
 * overwrite an existing file unless `force` is set. Generates a pair when none is given.
 *
 * @example
 * ```ts
 * const { privateKeyPath, publicKeyPath, keyId } = await writeKeyPair('.warden/keys');
 * ```
 * @throws WardenError `ERR_AUDIT_KEY_EXISTS` when a file exists and `force` is not set,
 *   `ERR_AUDIT_KEY` when a file cannot be written.
 */
export async function writeKeyPair(
  target: KeyPairTarget,
  options: { force?: boolean; keyPair?: AuditKeyPair } = {},
): Promise<{ privateKeyPath: string; publicKeyPath: string; keyId: string }> {
  const paths =
    typeof target === 'string'
      ? { privateKeyPath: join(target, PRIVATE_KEY_FILE), publicKeyPath: join(target, PUBLIC_KEY_FILE) }
      : target;
  const pair = options.keyPair ?? generateKeyPair();
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  if (typeof target === 'string') await mkdirOrThrow(target);
  const flag = options.force === true ? 'w' : 'wx';
  await writeKeyFile(paths.privateKeyPath, privatePem, 0o600, flag);
  await writeKeyFile(paths.publicKeyPath, publicPem, 0o644, flag);
  return { ...paths, keyId: pair.keyId };
}

async function mkdirOrThrow(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new WardenError('ERR_AUDIT_KEY', `Cannot create the key directory ${dir}: ${messageOf(e)}. Choose another directory with --out.`, { cause: e });
  }
}

async function writeKeyFile(path: string, text: string, mode: number, flag: 'w' | 'wx'): Promise<void> {
  try {
    await writeFile(path, text, { mode, flag });
    // invariant: the mode holds even when an existing file was overwritten (creation mode is not reapplied).
    await chmod(path, mode);
  } catch (e) {
    if (codeOf(e) === 'EEXIST') {
      throw new WardenError('ERR_AUDIT_KEY_EXISTS', `${path} already exists; keeping it. Pass --force (force: true) to replace it, or choose another directory.`, { cause: e });
    }
    throw new WardenError('ERR_AUDIT_KEY', `Cannot write ${path}: ${messageOf(e)}.`, { cause: e });
  }
}

/**
 * Reads an Ed25519 private key from a PEM file.
 *
 * @example
 * ```ts
 * const signingKey = await loadPrivateKey('.warden/keys/warden-audit.key');
 * ```
 * @throws WardenError `ERR_AUDIT_KEY` when the file is missing, unreadable or not an Ed25519 private key.
 */
export async function loadPrivateKey(path: string): Promise<KeyObject> {
  return toPrivateKey(await readKeyFile(path), path);
}

/**
 * Reads an Ed25519 public key from a PEM file (a private key file also works: its public half is used).
 *
 * @example
 * ```ts
 * const publicKey = await loadPublicKey('.warden/keys/warden-audit.pub');
 * ```
 * @throws WardenError `ERR_AUDIT_KEY` when the file is missing, unreadable or not an Ed25519 key.
 */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  return toPublicKey(await readKeyFile(path), path);
}

async function readKeyFile(path: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new WardenError('ERR_AUDIT_KEY', `Cannot read the key file ${path}: ${messageOf(e)}. Create a key pair with \`warden keygen\`.`, { cause: e });
  }
  if (data.length > MAX_KEY_FILE_BYTES) {
    throw new WardenError('ERR_AUDIT_KEY', `${path} is ${data.length} bytes, too large for a PEM key file; pass the .key or .pub file \`warden keygen\` wrote.`);
  }
  return data;
}

/**
 * Normalizes a private key given as a KeyObject or PEM text; it must be Ed25519.
 *
 * @example
 * ```ts
 * const key = toPrivateKey(process.env.WARDEN_AUDIT_KEY ?? '');
 * ```
 * @throws WardenError `ERR_AUDIT_KEY`
 */
export function toPrivateKey(input: KeyInput, source = 'the signing key'): KeyObject {
  let key: KeyObject;
  try {
    key = isKeyObject(input) ? input : createPrivateKey({ key: Buffer.from(input), format: 'pem' });
  } catch (e) {
    throw new WardenError('ERR_AUDIT_KEY', `${source} is not a PEM private key: ${messageOf(e)}. Create one with \`warden keygen\`.`, { cause: e });
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new WardenError('ERR_AUDIT_KEY', `${source} must be an Ed25519 private key (got ${key.type} ${key.asymmetricKeyType ?? 'secret'}). Create one with \`warden keygen\`.`);
  }
  return key;
}

/**
 * Normalizes a public key given as a KeyObject or PEM text (a private key yields its public half).
 *
 * @example
 * ```ts
 * const pub = toPublicKey(pemText);
 * ```
 * @throws WardenError `ERR_AUDIT_KEY`
 */
export function toPublicKey(input: KeyInput, source = 'the public key'): KeyObject {
  let key: KeyObject;
  try {
    key = isKeyObject(input) ? input : createPublicKey({ key: Buffer.from(input), format: 'pem' });
  } catch (e) {
    throw new WardenError('ERR_AUDIT_KEY', `${source} is not a PEM public key: ${messageOf(e)}. Pass the .pub file \`warden keygen\` wrote.`, { cause: e });
  }
  if (key.type === 'private') key = createPublicKey(key);
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw new WardenError('ERR_AUDIT_KEY', `${source} must be an Ed25519 public key (got ${key.type} ${key.asymmetricKeyType ?? 'secret'}).`);
  }
  return key;
}

function isKeyObject(input: KeyInput): input is KeyObject {
  return typeof input === 'object' && !(input instanceof Uint8Array);
}

/**
 * Where identity keys live: a small interface (an OS keychain, a KMS or a TEE-backed store can
 * implement it) and the default, one JSON file per key with mode 0600 in a 0700 directory.
 */
import { chmod, lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors.js';
import { identityFromSeed, type AgentKey } from './agent-key.js';
import { fromBase64url, toBase64url } from './bytes.js';
import { seedOf } from './ed25519.js';
import { messageOf } from './errors.js';

/**
 * A store of named identity keys.
 *
 * @example
 * ```ts
 * const store: KeyStore = new FileKeyStore('.warden/identity');
 * await store.save('default', createIdentity());
 * const me = await store.load('default');
 * ```
 */
export interface KeyStore {
  /** The key saved under `name`; throws `ERR_IDENTITY_KEY` when there is none or it cannot be read. */
  load(name: string): Promise<AgentKey>;
  /** Saves `key` under `name`; refuses to replace an existing key unless `replace` is set. */
  save(name: string, key: AgentKey, options?: { replace?: boolean }): Promise<void>;
  /** The names of the keys held. */
  list(): Promise<string[]>;
  /** Moves the key under `from` to `to` (rotation keeps the retired key under a new name). */
  rename(from: string, to: string): Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SUFFIX = '.key.json';
const KIND = 'agent-warden/identity-key';
const MAX_FILE_BYTES = 16 * 1024;

/**
 * A {@link KeyStore} on disk: `<dir>/<name>.key.json` holding `{ kind, version, did, seed }` with
 * mode 0600. Loading refuses a file that is a symlink, readable or writable by group or others, or
 * whose seed does not give its DID.
 *
 * @example
 * ```ts
 * const store = new FileKeyStore('.warden/identity');
 * ```
 */
export class FileKeyStore implements KeyStore {
  readonly dir: string;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir === '') throw new WardenError('ERR_OPTIONS', 'FileKeyStore needs a directory path.');
    this.dir = dir;
  }

  /** The file of a key name. */
  pathOf(name: string): string {
    checkName(name);
    return join(this.dir, `${name}${SUFFIX}`);
  }

  async load(name: string): Promise<AgentKey> {
    const path = this.pathOf(name);
    let text: string;
    try {
      const st = await lstat(path);
      if (!st.isFile()) throw new WardenError('ERR_IDENTITY_KEY', `${path} is not a regular file (a symlink or a directory); refusing to read a key through it.`);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        throw new WardenError('ERR_IDENTITY_KEY', `${path} is readable or writable by others (mode ${(st.mode & 0o777).toString(8)}); run \`chmod 600 ${path}\` and check who has seen it.`);
      }
      if (st.size > MAX_FILE_BYTES) throw new WardenError('ERR_IDENTITY_KEY', `${path} is ${st.size} bytes, too large for a key file.`);
      const handle = await open(path, 'r');
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (e) {
      if (e instanceof WardenError) throw e;
      throw new WardenError('ERR_IDENTITY_KEY', `Cannot read the identity key ${path}: ${messageOf(e)}. Create one with \`warden id new ${name}\`.`, { cause: e });
    }
    let file: Record<string, unknown>;
    try {
      file = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new WardenError('ERR_IDENTITY_KEY', `${path} is not JSON: ${messageOf(e)}.`);
    }
    if (file === null || typeof file !== 'object' || file.kind !== KIND || file.version !== 1 || typeof file.seed !== 'string' || typeof file.did !== 'string') {
      throw new WardenError('ERR_IDENTITY_KEY', `${path} is not a Warden identity key file ({ kind: "${KIND}", version: 1, did, seed }).`);
    }
    let key: AgentKey;
    try {
      key = identityFromSeed(fromBase64url(file.seed, 'seed'));
    } catch (e) {
      throw new WardenError('ERR_IDENTITY_KEY', `${path} holds no valid Ed25519 seed: ${messageOf(e)}.`);
    }
    if (key.did !== file.did) throw new WardenError('ERR_IDENTITY_KEY', `${path} says it is ${file.did}, but its seed gives ${key.did}; the file was altered.`);
    return key;
  }

  async save(name: string, key: AgentKey, options: { replace?: boolean } = {}): Promise<void> {
    const path = this.pathOf(name);
    const body = `${JSON.stringify({ kind: KIND, version: 1, did: key.did, seed: toBase64url(seedOf(key.privateKey)) }, null, 2)}\n`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Written to a private temporary file first, so a half-written key never replaces a whole one.
      const tmp = `${path}.${process.pid}.tmp`;
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(tmp, 0o600);
      if (options.replace !== true) {
        const exists = await lstat(path).then(() => true, () => false);
        if (exists) {
          await unlink(tmp);
          throw new WardenError('ERR_IDENTITY_KEY', `${path} already exists; keeping it. Rotate it with \`warden id rotate ${name}\`, or choose another name.`);
        }
      }
      await rename(tmp, path);
    } catch (e) {
      if (e instanceof WardenError) throw e;
      throw new WardenError('ERR_IDENTITY_KEY', `Cannot write the identity key ${path}: ${messageOf(e)}.`, { cause: e });
    }
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new WardenError('ERR_IDENTITY_KEY', `Cannot list ${this.dir}: ${messageOf(e)}.`, { cause: e });
    }
    return names.filter((n) => n.endsWith(SUFFIX)).map((n) => n.slice(0, -SUFFIX.length)).filter((n) => NAME.test(n)).sort();
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.pathOf(from);
    const dst = this.pathOf(to);
    if (await lstat(dst).then(() => true, () => false)) throw new WardenError('ERR_IDENTITY_KEY', `${dst} already exists; keeping it.`);
    try {
      await rename(src, dst);
    } catch (e) {
      throw new WardenError('ERR_IDENTITY_KEY', `Cannot move ${src} to ${dst}: ${messageOf(e)}.`, { cause: e });
    }
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) throw new WardenError('ERR_IDENTITY_KEY', `A key name is letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit); got ${JSON.stringify(name)}.`);
}

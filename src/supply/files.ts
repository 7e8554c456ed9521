/**
 * The files of a plugin directory, walked without following links: every regular file but the
 * manifest, node_modules/ and .git/, with its SHA-256. A symlink anywhere (to a file or a
 * directory, inside or out) is refused: what is hashed is what is loaded, and a link can change
 * what it points at after signing.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SupplyError } from './errors.js';
import { MANIFEST_FILE, MAX_FILES } from './manifest.js';

/** Largest plugin file hashed (bytes). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
const SKIPPED_DIRS = new Set(['node_modules', '.git']);

/**
 * The relative paths (with `/`) of every file a manifest must list, sorted.
 *
 * @example
 * ```ts
 * await pluginFiles('plugins/weather'); // ['dist/index.js', 'package-lock.json', 'package.json']
 * ```
 * @throws SupplyError `unsafe_path` for a symlink or a special file, `too_large` past MAX_FILES.
 */
export async function pluginFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '' ? dir : join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isSymbolicLink()) throw new SupplyError('unsafe_path', `${path} is a symlink; a plugin directory holds no links (hash the file itself).`);
      if (e.isDirectory()) {
        if (rel === '' && SKIPPED_DIRS.has(e.name)) continue;
        await walk(path);
      } else if (e.isFile()) {
        if (path === MANIFEST_FILE) continue;
        out.push(path);
        if (out.length > MAX_FILES) throw new SupplyError('too_large', `The plugin directory holds more than ${MAX_FILES} files.`);
      } else {
        throw new SupplyError('unsafe_path', `${path} is not a regular file or directory.`);
      }
    }
  };
  await walk('');
  return out.sort();
}

/**
 * `sha256:<hex>` of a file in the plugin directory, refusing a symlink at the last moment.
 *
 * @example
 * ```ts
 * await fileDigest('plugins/weather', 'dist/index.js'); // 'sha256:...'
 * ```
 */
export async function fileDigest(dir: string, rel: string): Promise<string> {
  const full = join(dir, ...rel.split('/'));
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a file swapped for a symlink between the walk and the read is refused, not followed.
    handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new SupplyError('unsafe_path', `${rel} is a symlink.`);
    throw new SupplyError('file_missing', `${rel} cannot be read (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SupplyError('unsafe_path', `${rel} is not a regular file.`);
    if (st.size > MAX_FILE_BYTES) throw new SupplyError('too_large', `${rel} is ${st.size} bytes; the limit is ${MAX_FILE_BYTES}.`);
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  } finally {
    await handle.close();
  }
}

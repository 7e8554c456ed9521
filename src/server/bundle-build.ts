/**
 * Building a bundle: policy and data files read from paths, hashed into a manifest with a revision. The
 * result is unsigned; sign it with {@link signBundle} (src/server/bundle-sign.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { policyFilesOf } from '../enforce/load-files.js';
import { sha256Hex } from '../lib/hash.js';
import { API_VERSION } from '../policy/api-version.js';
import { BUNDLE_DATA_EXTENSIONS, BUNDLE_DATA_PREFIX, bundleDataPath } from './bundle-data.js';
import { BUNDLE_FILE_NAME, BUNDLE_KIND, BundleError, MAX_BUNDLE_FILES, type BundleFileEntry, type PolicyBundle } from './bundle-format.js';

/**
 * Builds an unsigned bundle from files already read (`name` is the name inside the bundle).
 *
 * @example
 * ```ts
 * const bundle = bundleOf([{ name: 'policies/refunds.yaml', text }], 3);
 * ```
 * @throws BundleError `malformed` for a bad revision or file name, `too_large` for too many files.
 */
export function bundleOf(files: ReadonlyArray<{ name: string; text: string }>, revision: number): PolicyBundle {
  if (!Number.isSafeInteger(revision) || revision < 1) throw new BundleError('malformed', `The revision must be a positive whole number; got ${String(revision)}.`);
  if (files.length === 0) throw new BundleError('malformed', 'A bundle needs at least one policy file.');
  if (files.length > MAX_BUNDLE_FILES) throw new BundleError('too_large', `A bundle holds at most ${MAX_BUNDLE_FILES} files; got ${files.length}.`);
  const contents: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: BundleFileEntry[] = [];
  for (const { name, text } of files) {
    if (!BUNDLE_FILE_NAME.test(name)) throw new BundleError('malformed', `${JSON.stringify(name)} is not a bundle file name (relative, / separated, no . or .. segment).`);
    if (Object.prototype.hasOwnProperty.call(contents, name)) throw new BundleError('malformed', `Two files would be named ${JSON.stringify(name)} in the bundle; rename one.`);
    contents[name] = text;
    entries.push({ name, hash: sha256Hex(text), algorithm: 'SHA-256' });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { apiVersion: API_VERSION, kind: BUNDLE_KIND, manifest: { revision, files: entries }, files: { ...contents }, signatures: [] };
}

/**
 * Reads the policy files behind `paths` (directories recursively) and the data files behind
 * `dataPaths` (.json, .yaml, .yml; directories recursively) and builds an unsigned bundle. Policy
 * files are named `policies/<path relative to the directory given>` (a file given directly:
 * `policies/<its name>`), data files `data/<relative path>` the same way; a data file's path is
 * where policies read it (`data/acl/hosts.json` is `data.acl.hosts`).
 *
 * @example
 * ```ts
 * const bundle = await buildBundle(['policies/'], 4, ['data/']);
 * ```
 * @throws PolicyLoadError when a path is missing; BundleError as {@link bundleOf}.
 */
export async function buildBundle(paths: readonly string[], revision: number, dataPaths: readonly string[] = []): Promise<PolicyBundle> {
  const files: Array<{ name: string; text: string }> = [];
  for (const root of paths) {
    const isDir = (await stat(root).catch(() => null))?.isDirectory() === true;
    for (const file of await policyFilesOf([root])) {
      const name = isDir ? relative(root, file).split(sep).join('/') : basename(file);
      files.push({ name: `policies/${name}`, text: await readFile(file, 'utf8') });
    }
  }
  for (const root of dataPaths) {
    const isDir = (await stat(root).catch(() => null))?.isDirectory() === true;
    const found = isDir ? await dataFilesIn(root) : [root];
    if (found.length === 0) throw new BundleError('malformed', `${root} holds no .json, .yaml or .yml data file.`);
    for (const file of found) {
      const name = `${BUNDLE_DATA_PREFIX}${isDir ? relative(root, file).split(sep).join('/') : basename(file)}`;
      bundleDataPath(name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new BundleError('unreadable', `Cannot read the data file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
      }
      files.push({ name, text });
    }
  }
  return bundleOf(files, revision);
}

/** The data files under a directory (recursively, sorted, dot-files skipped). */
async function dataFilesIn(dir: string, depth = 0): Promise<string[]> {
  if (depth > 8) throw new BundleError('malformed', `Data directories nest deeper than 8 levels under ${dir}.`);
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await dataFilesIn(full, depth + 1)));
    else if (BUNDLE_DATA_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

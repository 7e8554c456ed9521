/**
 * The file-system answer to the path facet's `realpath: true` check (the facet itself does no I/O).
 */
import { lstatSync, realpathSync } from 'node:fs';
import nodePath from 'node:path';
import { WardenError } from '../errors.js';
import type { RealpathResolver } from '../facets/types.js';

/** Bound on ancestors walked for one path. */
const MAX_ANCESTORS = 1024;

/**
 * A resolver over `node:fs` for this machine's paths: `fs.realpathSync` on the path (or its
 * nearest existing ancestor, with the missing tail appended), refusing dangling symlinks.
 *
 * @example
 * ```ts
 * const set = compilePolicy(sources, { resolver: fsRealpathResolver });
 * ```
 */
export const fsRealpathResolver: RealpathResolver = Object.freeze({
  platform: process.platform === 'win32' ? ('win32' as const) : ('posix' as const),
  real: realOf,
});

function realOf(p: string): string {
  let cur = p;
  const tail: string[] = [];
  for (let i = 0; i < MAX_ANCESTORS; i++) {
    try {
      const real = realpathSync(cur);
      return tail.length === 0 ? real : nodePath.join(real, ...tail.reverse());
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // Creating a file through a dangling symlink writes wherever it points.
      if (isSymlink(cur)) throw new WardenError('ERR_PATH_SYMLINK', `dangling symlink at ${cur}`);
      const parent = nodePath.dirname(cur);
      if (parent === cur) throw new WardenError('ERR_PATH_REALPATH', `no existing ancestor of ${p}`);
      tail.push(nodePath.basename(cur));
      cur = parent;
    }
  }
  throw new WardenError('ERR_PATH_REALPATH', `too many missing components in ${p}`);
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  } catch {
    return false; // ENOTDIR and the like: nothing there, so no symlink either
  }
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

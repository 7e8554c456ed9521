/**
 * The file-system answer to the path facet's `realpath: true` check (the facet itself does no I/O).
 *
 * invariant: no answer outlives one decision. A symlink swapped between two decisions is seen by
 * the second: every decision walks the file system afresh. Checking a remembered answer would take
 * an `lstat` of each component it passed through (a component's `dev`/`ino`/`mtime` say nothing
 * about the directory entries above it), which is exactly what walking afresh costs, so nothing is
 * kept across decisions. Within one decision ({@link RealpathResolver.batch}) the walk of a shared
 * prefix (the working directory and its ancestors) is done once, so the decision judges all of its
 * paths against one view of the file system.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import nodePath from 'node:path';
import { WardenError } from '../errors.js';
import type { RealpathResolver } from '../facets/types.js';

/** Bound on ancestors walked for one path. */
const MAX_ANCESTORS = 1024;
/** Bound on path prefixes remembered by one batch (one decision); past it, prefixes are walked again. */
const MAX_BATCH_PREFIXES = 4096;

const POSIX = process.platform !== 'win32';

/**
 * A resolver over `node:fs` for this machine's paths: the real path of the path (or of its nearest
 * existing ancestor, with the missing tail appended), refusing dangling symlinks. On POSIX it walks
 * the path one component at a time (one `lstat` each, `fs.realpathSync` only for a component that
 * is a symlink); {@link RealpathResolver.batch} gives a resolver for one decision that walks a
 * prefix shared by several of its paths once.
 *
 * @example
 * ```ts
 * const set = compilePolicy(sources, { resolver: fsRealpathResolver });
 * const oneDecision = fsRealpathResolver.batch?.() ?? fsRealpathResolver;
 * oneDecision.real('/repo/src/a.ts'); // '/repo/src/a.ts', or where a symlink on the way points
 * ```
 */
export const fsRealpathResolver: RealpathResolver = Object.freeze({
  platform: POSIX ? ('posix' as const) : ('win32' as const),
  real: (p: string): string => (POSIX ? walk(p, null) : realOf(p)),
  batch: (): RealpathResolver => {
    if (!POSIX) return fsRealpathResolver;
    const memo = new Map<string, string>();
    return Object.freeze({ platform: 'posix' as const, real: (p: string): string => walk(p, memo), fixedEntry });
  },
  fixedEntry,
});

/** The entry's parent directory is root's and writable by nobody else, and this process is not root. */
function fixedEntry(p: string): boolean {
  if (!POSIX || typeof process.getuid !== 'function' || process.getuid() === 0 || !p.startsWith('/')) return false;
  try {
    const dir = statSync(nodePath.dirname(p));
    return dir.isDirectory() && dir.uid === 0 && (dir.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The real path of absolute POSIX path `p`, one component at a time from `/`. `memo` maps a prefix
 * of `p` as spelled (its components joined by `/`) to the real path of the existing directory entry
 * it names; a prefix naming nothing is never remembered.
 */
function walk(p: string, memo: Map<string, string> | null): string {
  if (!p.startsWith('/')) throw new WardenError('ERR_PATH_REALPATH', `not an absolute path: ${p}`);
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.length > MAX_ANCESTORS) throw new WardenError('ERR_PATH_REALPATH', `too many components in ${p}`);
  let real = '/';
  let spelled = '';
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i] as string;
    spelled += `/${c}`;
    const known = memo?.get(spelled);
    if (known !== undefined) {
      real = known;
      continue;
    }
    if (c === '..') {
      // `real` has no symlinks left, so its parent is the physical parent.
      real = nodePath.dirname(real);
    } else {
      const candidate = real === '/' ? `/${c}` : `${real}/${c}`;
      const st = lstatOrMissing(candidate);
      if (st === 'missing') return nodePath.join(real, ...parts.slice(i)); // nothing below a missing entry exists
      if (st === 'symlink') {
        try {
          real = realpathSync(candidate);
        } catch (err) {
          const code = errorCode(err);
          // Creating a file through a dangling symlink writes wherever it points.
          if (code === 'ENOENT' || code === 'ENOTDIR') throw new WardenError('ERR_PATH_SYMLINK', `dangling symlink at ${spelled}`);
          throw err;
        }
      } else {
        real = candidate;
      }
    }
    if (memo !== null && memo.size < MAX_BATCH_PREFIXES) memo.set(spelled, real);
  }
  return real;
}

function lstatOrMissing(p: string): 'missing' | 'symlink' | 'other' {
  let st;
  try {
    st = lstatSync(p, { throwIfNoEntry: false });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err; // EACCES, ELOOP, EIO...: the check fails (closed)
  }
  if (st === undefined) return 'missing';
  return st.isSymbolicLink() ? 'symlink' : 'other';
}

/** The Windows answer: `fs.realpathSync` on the path or its nearest existing ancestor. */
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

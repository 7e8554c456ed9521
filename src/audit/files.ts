/**
 * Where a stream's files live and what they are called.
 *
 * A stream `main` in directory `.warden/audit` is written to `main.jsonl` (the active file). When
 * the active file reaches the rotation size it is renamed to `main.000001.jsonl`, then
 * `main.000002.jsonl`, ... (six digits or more, so names sort in chain order up to 999,999
 * rotations; {@link listAuditFiles} sorts numerically beyond that), and a new `main.jsonl` starts.
 * The chain order is therefore: rotated files by number, then the active file.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WardenError } from '../errors.js';
import { codeOf, messageOf } from './io.js';

/** The suffix of every audit log file. */
export const LOG_EXTENSION = '.jsonl';

/** Default file stem (and stream id) when the log path names a directory. */
export const DEFAULT_STREAM = 'warden';

const STREAM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ROTATED_SUFFIX = /^\d{6,}$/;

/**
 * Where one stream's log lives.
 *
 * @example
 * ```ts
 * resolveLogLocation('.warden/audit'); // { dir: '/abs/.warden/audit', stem: 'warden', stream: 'warden', activePath: '/abs/.warden/audit/warden.jsonl' }
 * ```
 */
export interface LogLocation {
  dir: string;
  /** File name without `.jsonl`; rotated files are `<stem>.<NNNNNN>.jsonl`. */
  stem: string;
  /** The stream id recorded in every record. */
  stream: string;
  activePath: string;
}

/**
 * Resolves a log path: a path ending in `.jsonl` names the active file; anything else names a
 * directory holding `<stream>.jsonl`.
 *
 * @example
 * ```ts
 * resolveLogLocation('.warden/audit/main.jsonl').stream; // 'main'
 * resolveLogLocation('.warden/audit', 'payments').activePath; // '/abs/.warden/audit/payments.jsonl'
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS` for a stream id or file name Warden does not accept.
 */
export function resolveLogLocation(path: string, stream?: string): LogLocation {
  const abs = resolve(path);
  let dir: string;
  let stem: string;
  if (abs.endsWith(LOG_EXTENSION)) {
    dir = dirname(abs);
    stem = basename(abs).slice(0, -LOG_EXTENSION.length);
  } else {
    dir = abs;
    stem = stream ?? DEFAULT_STREAM;
  }
  checkName(stem, 'file name');
  const id = stream ?? stem;
  checkName(id, 'stream id');
  return { dir, stem, stream: id, activePath: join(dir, `${stem}${LOG_EXTENSION}`) };
}

function checkName(name: string, what: string): void {
  const last = name.split('.').pop() ?? '';
  if (!STREAM_PATTERN.test(name) || ROTATED_SUFFIX.test(last)) {
    throw new WardenError(
      'ERR_AUDIT_OPTIONS',
      `The audit ${what} ${JSON.stringify(name.slice(0, 140))} is not accepted: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, not ending in '.<digits>' (that is the rotated-file form).`,
    );
  }
}

/**
 * The name of the `n`th rotated file of a stem.
 *
 * @example
 * ```ts
 * rotatedFileName('main', 1); // 'main.000001.jsonl'
 * ```
 */
export function rotatedFileName(stem: string, n: number): string {
  return `${stem}.${String(n).padStart(6, '0')}${LOG_EXTENSION}`;
}

/** Parses `<stem>.<digits>.jsonl`; null for anything else. */
function parseRotated(name: string): { stem: string; n: number } | null {
  if (!name.endsWith(LOG_EXTENSION)) return null;
  const core = name.slice(0, -LOG_EXTENSION.length);
  const dot = core.lastIndexOf('.');
  if (dot <= 0) return null;
  const digits = core.slice(dot + 1);
  if (!ROTATED_SUFFIX.test(digits)) return null;
  return { stem: core.slice(0, dot), n: Number(digits) };
}

/**
 * The rotated files of a stem in a directory, in chain order (by number), as absolute paths.
 *
 * @example
 * ```ts
 * await rotatedFiles('.warden/audit', 'main'); // ['/abs/.warden/audit/main.000001.jsonl', ...]
 * ```
 */
export async function rotatedFiles(dir: string, stem: string): Promise<Array<{ path: string; n: number }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return [];
    throw e;
  }
  const found: Array<{ path: string; n: number }> = [];
  for (const name of names) {
    const r = parseRotated(name);
    if (r !== null && r.stem === stem) found.push({ path: join(dir, name), n: r.n });
  }
  return found.sort((a, b) => a.n - b.n);
}

/**
 * Every file of one stream in chain order: rotated files by number, then the active file. Accepts
 * the active file's path, or a directory holding exactly one stream.
 *
 * @example
 * ```ts
 * const files = await listAuditFiles('.warden/audit/main.jsonl');
 * const result = await verifyAuditLog(files);
 * ```
 * @throws WardenError `ERR_AUDIT_NOT_FOUND` when nothing is there, `ERR_AUDIT_OPTIONS` when a
 *   directory holds several streams.
 */
export async function listAuditFiles(path: string): Promise<string[]> {
  const abs = resolve(path);
  let isDir = false;
  try {
    isDir = (await stat(abs)).isDirectory();
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw new WardenError('ERR_AUDIT_NOT_FOUND', `Cannot read ${path}: ${messageOf(e)}.`, { cause: e });
  }
  let dir: string;
  let stem: string;
  if (isDir) {
    const stems = await streamsIn(abs);
    if (stems.length === 0) {
      throw new WardenError('ERR_AUDIT_NOT_FOUND', `No audit log (*${LOG_EXTENSION}) in ${path}. Pass a log file or the directory the sink writes to.`);
    }
    if (stems.length > 1) {
      throw new WardenError(
        'ERR_AUDIT_OPTIONS',
        `${path} holds several streams (${stems.join(', ')}); pass one stream's file, e.g. ${join(path, `${stems[0] ?? ''}${LOG_EXTENSION}`)}.`,
      );
    }
    dir = abs;
    stem = stems[0] as string;
  } else {
    // A rotated file stands for its whole stream, like the active file does.
    const rotated = parseRotated(basename(abs));
    const loc = rotated === null ? resolveLogLocation(abs) : { dir: dirname(abs), stem: rotated.stem };
    dir = loc.dir;
    stem = loc.stem;
  }
  const files = (await rotatedFiles(dir, stem)).map((r) => r.path);
  const active = join(dir, `${stem}${LOG_EXTENSION}`);
  if (await exists(active)) files.push(active);
  if (files.length === 0) throw new WardenError('ERR_AUDIT_NOT_FOUND', `No audit log at ${path}. Check the path the sink writes to.`);
  return files;
}

async function streamsIn(dir: string): Promise<string[]> {
  const stems = new Set<string>();
  for (const name of await readdir(dir)) {
    if (!name.endsWith(LOG_EXTENSION)) continue;
    const r = parseRotated(name);
    stems.add(r !== null ? r.stem : name.slice(0, -LOG_EXTENSION.length));
  }
  return [...stems].sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Path of the per-log HMAC secret: `<dir>/<stem>.secret`.
 *
 * @example
 * ```ts
 * secretPathOf(resolveLogLocation('.warden/audit/main.jsonl')); // '/abs/.warden/audit/main.secret'
 * ```
 */
export function secretPathOf(loc: LogLocation): string {
  return join(loc.dir, `${loc.stem}.secret`);
}

/**
 * The per-log HMAC secret behind `argsDigest`: given in the options, or kept beside the log in
 * `<stem>.secret` (32 random bytes, hex, mode 0600), created on first open.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { secretPathOf, type LogLocation } from './files.js';
import { codeOf } from './io.js';
import { describeIoError } from './sink-io.js';
import type { AuditWarning, FileAuditSinkOptions } from './sink-options.js';

/**
 * The HMAC key for a log, and where it is stored (null when it was passed in).
 *
 * @example
 * ```ts
 * const { key, path } = await loadHmacKey({ path: 'audit.jsonl' }, resolveLogLocation('audit.jsonl'), false, console.warn);
 * ```
 * @throws WardenError `ERR_AUDIT_OPTIONS` (a key under 16 bytes), `ERR_AUDIT_OPEN` (the secret
 *   file cannot be read, created, or does not hold a hex secret).
 */
export async function loadHmacKey(
  options: Pick<FileAuditSinkOptions, 'hmacKey'>,
  loc: LogLocation,
  logHasRecords: boolean,
  warn: (w: AuditWarning) => void,
): Promise<{ key: Uint8Array; path: string | null }> {
  if (options.hmacKey !== undefined) {
    const key = typeof options.hmacKey === 'string' ? Buffer.from(options.hmacKey, 'utf8') : options.hmacKey;
    if (key.length < 16) throw new WardenError('ERR_AUDIT_OPTIONS', 'Invalid audit sink option: `hmacKey` must be at least 16 bytes.');
    return { key, path: null };
  }
  const path = secretPathOf(loc);
  let text: string | null = null;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') {
      throw new WardenError('ERR_AUDIT_OPEN', `Cannot read the audit HMAC secret ${path}: ${describeIoError(e)}.`, { cause: e });
    }
  }
  if (text !== null) {
    if (!/^[0-9a-f]{32,128}$/.test(text)) {
      throw new WardenError('ERR_AUDIT_OPEN', `${path} does not hold a hex secret (32-128 hex digits). Restore it from backup; a new secret makes earlier argsDigests incomparable.`);
    }
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) {
      warn({ code: 'secret_permissions', message: `${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}.` });
    }
    return { key: Buffer.from(text, 'hex'), path };
  }
  const secret = randomBytes(32).toString('hex');
  try {
    await writeFile(path, `${secret}\n`, { flag: 'wx', mode: 0o600, flush: true });
    await chmod(path, 0o600);
  } catch (e) {
    if (codeOf(e) === 'EEXIST') return loadHmacKey(options, loc, logHasRecords, warn);
    throw new WardenError('ERR_AUDIT_OPEN', `Cannot create the audit HMAC secret ${path}: ${describeIoError(e)}.`, { cause: e });
  }
  if (logHasRecords) {
    warn({
      code: 'new_secret_for_existing_log',
      message: `${path} was missing, so a new secret was created; argsDigest values from before this point cannot be compared with new ones. Restore the old secret file if you have it.`,
    });
  }
  return { key: Buffer.from(secret, 'hex'), path };
}

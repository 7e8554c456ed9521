/**
 * Reading the package.json of an npm tarball (a gzipped ustar archive whose files sit under one
 * top-level folder, `package/`), bounded, without unpacking anything to disk.
 */
import { gunzipSync } from 'node:zlib';
import { parseJsonText } from '../lib/json-text.js';
import { SupplyError } from './errors.js';

/** Largest tarball read, and largest unpacked size. */
export const MAX_TARBALL_BYTES = 64 * 1024 * 1024;
export const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

/**
 * The name and version in an npm tarball's package.json.
 *
 * @example
 * ```ts
 * tarballPackage(readFileSync('sigstore-1.0.0.tgz')); // { name: 'sigstore', version: '1.0.0' }
 * ```
 * @throws SupplyError `malformed` when the tarball or its package.json cannot be read.
 */
export function tarballPackage(tgz: Uint8Array): { name: string; version: string } {
  if (tgz.length > MAX_TARBALL_BYTES) throw new SupplyError('too_large', `The tarball is over ${MAX_TARBALL_BYTES} bytes.`);
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (e) {
    throw new SupplyError('malformed', `The tarball is not gzip data (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  let found: Buffer | null = null;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = cString(header.subarray(0, 100));
    const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? cString(header.subarray(345, 500)) : '';
    const full = prefix === '' ? name : `${prefix}/${name}`;
    const size = parseInt(cString(header.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    if (!Number.isSafeInteger(size) || size < 0) throw new SupplyError('malformed', 'The tarball has a malformed header.');
    const parts = full.split('/');
    if ((type === '0' || type === '\0') && parts.length === 2 && parts[1] === 'package.json') {
      if (found !== null) throw new SupplyError('malformed', 'The tarball holds two top-level package.json files.');
      found = tar.subarray(off + 512, off + 512 + size);
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  if (found === null) throw new SupplyError('malformed', 'The tarball has no package/package.json.');
  const parsed = parseJsonText(found.toString('utf8'));
  const pkg = parsed.ok ? (parsed.value as { name?: unknown; version?: unknown }) : null;
  if (pkg === null || typeof pkg !== 'object' || typeof pkg.name !== 'string' || typeof pkg.version !== 'string') {
    throw new SupplyError('malformed', "The tarball's package.json has no name and version.");
  }
  return { name: pkg.name, version: pkg.version };
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}

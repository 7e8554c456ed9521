/** SHA-256 helpers used for digests and request binding. */
import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * Hex SHA-256 of a UTF-8 string or bytes.
 *
 * @example
 * ```ts
 * sha256Hex('abc'); // 'ba7816bf...'
 * ```
 */
export function sha256Hex(data: string | Uint8Array): string {
  // The one-shot form: no Hash object per call (this runs for every audit record, twice in verify).
  return hash('sha256', data, 'hex');
}

/**
 * `sha256:<hex>` digest of the canonical JSON of a value: the one way Warden hashes data.
 *
 * @example
 * ```ts
 * digestOf({ tool: 'read_file', args: { path: '/tmp/a' } }); // 'sha256:…'
 * ```
 */
export function digestOf(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

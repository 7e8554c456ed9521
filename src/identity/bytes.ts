/** Byte helpers shared by the identity modules: strict base64url, digests, random nonces. */
import { createHash, randomBytes } from 'node:crypto';
import { IdentityError } from './errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 7515 section 2). */
export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes base64url, refusing padding, other alphabets and non-canonical trailing bits. */
export function fromBase64url(text: string, what: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) throw new IdentityError('malformed', `${what} is not base64url text.`);
  const bytes = Buffer.from(text, 'base64url');
  // invariant: one byte string has one encoding, so a signature or key cannot be re-spelled.
  if (bytes.toString('base64url') !== text) throw new IdentityError('malformed', `${what} is not canonical base64url (stray trailing bits).`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** SHA-256 of text (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** `n` random bytes. */
export function randomNonce(n = 16): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/** A view of bytes as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Argument checks and value encoding shared by every backend, so that all of them accept and
 * refuse exactly the same things (the conformance suite holds them to it).
 */
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { MAX_KEY_LENGTH, MAX_MESSAGE_BYTES, MAX_READ, MAX_VALUE_BYTES, type CounterAddOptions, type JsonValue, type KvSetOptions, type LogReadOptions } from './types.js';
import { rejectUnknownKeys } from '../lib/options.js';

/** Throws ERR_STORE_DATA unless `name` is a non-empty string of at most MAX_KEY_LENGTH characters without NUL. */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_KEY_LENGTH || name.includes('\u0000')) {
    throw new WardenError('ERR_STORE_DATA', `A store ${what} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters without NUL; got ${describe(name)}.`);
  }
  return name;
}

/** Throws ERR_STORE_DATA unless `n` is a safe integer. */
export function checkInteger(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new WardenError('ERR_STORE_DATA', `${what} must be a safe integer; got ${describe(n)}.`);
  return n;
}

/** Throws ERR_STORE_DATA unless `ttl` is undefined or a positive safe integer of milliseconds. */
export function checkTtl(ttl: unknown): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0) throw new WardenError('ERR_STORE_DATA', `ttlMs must be a positive whole number of milliseconds; got ${describe(ttl)}.`);
  return ttl;
}

/** The checked options of a counter add. */
export interface CounterArgs {
  amount: number;
  floor: number | null;
  min: number | null;
  max: number | null;
  ttlMs: number | null;
}

/** Checks a counter add's arguments. */
export function counterArgs(amount: unknown, options: CounterAddOptions | undefined): CounterArgs {
  rejectUnknownKeys(options, ['floor', 'max', 'min', 'ttlMs'], 'ERR_STORE_DATA', 'counter add options');
  const o = options ?? {};
  const opt = (v: unknown, what: string): number | null => (v === undefined ? null : checkInteger(v, what));
  return { amount: checkInteger(amount, 'A counter amount'), floor: opt(o.floor, 'floor'), min: opt(o.min, 'min'), max: opt(o.max, 'max'), ttlMs: checkTtl(o.ttlMs) ?? null };
}

/**
 * The check-and-add every backend performs atomically (memory and SQLite call this; PostgreSQL and
 * Redis run the same arithmetic in SQL and Lua): `next = max(current, floor) + amount`, refused
 * outside [min, max]. Throws ERR_STORE_DATA when `next` is not a safe integer.
 */
export function counterStep(current: number, a: CounterArgs): { ok: boolean; value: number } {
  const base = a.floor !== null && a.floor > current ? a.floor : current;
  const next = base + a.amount;
  if (!Number.isSafeInteger(next)) throw new WardenError('ERR_STORE_DATA', `A counter would leave the safe integer range (${base} + ${a.amount}).`);
  if ((a.max !== null && next > a.max) || (a.min !== null && next < a.min)) return { ok: false, value: current };
  return { ok: true, value: next };
}

/** Checks KV set options; returns the ttl or null. */
export function kvTtl(options: KvSetOptions | undefined): number | null {
  rejectUnknownKeys(options, ['ttlMs'], 'ERR_STORE_DATA', 'key-value set options');
  return checkTtl(options?.ttlMs) ?? null;
}

/** Checks a log read's options; returns `after` and `limit`. */
export function readArgs(options: LogReadOptions | undefined): { after: number; limit: number } {
  rejectUnknownKeys(options, ['after', 'limit'], 'ERR_STORE_DATA', 'log read options');
  const after = options?.after === undefined ? 0 : checkInteger(options.after, 'after');
  const limit = options?.limit === undefined ? MAX_READ : checkInteger(options.limit, 'limit');
  if (after < 0) throw new WardenError('ERR_STORE_DATA', `after must be 0 or more; got ${after}.`);
  if (limit < 1 || limit > MAX_READ) throw new WardenError('ERR_STORE_DATA', `limit must be between 1 and ${MAX_READ}; got ${limit}.`);
  return { after, limit };
}

/** The canonical JSON text a value is stored as; ERR_STORE_DATA when it has none or is too large. */
export function encodeValue(value: unknown): string {
  let text: string;
  try {
    text = canonicalJson(value);
  } catch (e) {
    throw new WardenError('ERR_STORE_DATA', `A store value must be JSON (no cycles, no non-finite numbers, plain objects only): ${(e as Error).message}`, { cause: e });
  }
  if (Buffer.byteLength(text) > MAX_VALUE_BYTES) throw new WardenError('ERR_STORE_DATA', `A store value is larger than ${MAX_VALUE_BYTES} bytes as JSON; store less.`);
  return text;
}

/** Parses stored text back; ERR_STORE_DATA when it is not JSON (the store was written by something else). */
export function decodeValue(text: unknown, where: string): JsonValue {
  if (typeof text !== 'string') throw new WardenError('ERR_STORE_DATA', `The store holds a non-text value at ${where}; it was not written by Warden.`);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new WardenError('ERR_STORE_DATA', `The store holds text that is not JSON at ${where}; it was not written by Warden.`, { cause: e });
  }
}

/** Checks a broadcast message. */
export function checkMessage(message: unknown): string {
  if (typeof message !== 'string' || Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
    throw new WardenError('ERR_STORE_DATA', `A broadcast message must be a string of at most ${MAX_MESSAGE_BYTES} bytes; got ${describe(message)}.`);
  }
  return message;
}

/**
 * A store key from parts, unambiguous whatever the parts contain: each part is percent-encoded
 * (so a `:` inside a part cannot be confused with the separator), then joined with `:`. So
 * `storeKey('a:b', 'c')` and `storeKey('a', 'b:c')` differ.
 *
 * @example
 * ```ts
 * storeKey('trust', 'did:key:z6Mk...'); // 'trust:did%3Akey%3Az6Mk...'
 * ```
 */
export function storeKey(...parts: string[]): string {
  if (parts.length === 0) throw new WardenError('ERR_STORE_DATA', 'storeKey needs at least one part.');
  return checkName(parts.map((p) => encodeURIComponent(String(p))).join(':'), 'key');
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return v === null ? 'null' : typeof v;
}

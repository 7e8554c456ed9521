/** UCAN commands: `/`-separated lower-case paths; a shorter command proves every longer one under it. */
import { UcanError } from './errors.js';

/**
 * True when `command` is a well-formed UCAN command: begins with `/`, lower case, no trailing or
 * doubled slash (`/` alone is "top").
 *
 * @example
 * ```ts
 * isCommand('/crud/read'); // true
 * isCommand('/Crud/'); // false
 * ```
 */
export function isCommand(command: unknown): command is string {
  if (typeof command !== 'string' || command.length === 0 || command.length > 1024 || command[0] !== '/') return false;
  if (command === '/') return true;
  if (command.endsWith('/') || command.includes('//')) return false;
  if (command !== command.toLowerCase()) return false;
  for (let i = 0; i < command.length; i++) {
    const c = command.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

/**
 * True when a delegation of `parent` proves `child`: `/` proves all; `/crypto` proves
 * `/crypto/sign` but not `/cryptocurrency`.
 *
 * @example
 * ```ts
 * commandCovers('/msg', '/msg/send'); // true
 * commandCovers('/msg', '/msgx'); // false
 * ```
 */
export function commandCovers(parent: string, child: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

/** Throws InvalidClaim unless `command` is well formed. */
export function checkCommand(command: unknown, where: string): string {
  if (!isCommand(command)) throw new UcanError('InvalidClaim', `${where}: ${JSON.stringify(command)} is not a UCAN command (lower case, starting with "/", no trailing slash).`);
  return command;
}

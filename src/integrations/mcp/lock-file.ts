/**
 * The MCP pin lock file (`warden-mcp.lock.json`): where approved tool definitions are kept,
 * next to the policy, keyed by server identity.
 *
 * Reading is strict: a lock file that exists but does not parse, or holds anything but the
 * documented shape, is an error (ERR_MCP_LOCK), never an empty lock, so a corrupted lock cannot
 * silently re-pin a server's changed tools. Writes replace one server's entry, keep the others,
 * and go through a temporary file and a rename, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WardenError } from '../../errors.js';
import { parseJsonText } from '../../lib/json-text.js';
import { PINNED_FIELDS, type ServerPins, type ToolPin } from './pin.js';

/** The lock file's name. */
export const LOCK_FILE_NAME = 'warden-mcp.lock.json';

/** Largest lock file read, in bytes. */
export const MAX_LOCK_BYTES = 16 * 1024 * 1024;

/** Most servers in one lock, and most tools in one server's entry. */
export const MAX_LOCK_SERVERS = 1000;
export const MAX_LOCK_TOOLS = 10_000;

/**
 * The lock file's content.
 *
 * @example
 * ```ts
 * const lock: McpLock = { version: 1, servers: { 'stdio:["node","server.js"]': { pinnedAt: '…', tools: {} } } };
 * ```
 */
export interface McpLock {
  version: 1;
  servers: Record<string, ServerPins>;
}

/**
 * Where the lock file of a policy lives: beside the first policy path. For a policy file, its
 * directory; for a policy directory, that directory's parent (inside it, the policy loader would
 * read the `.json` lock as a policy document).
 *
 * @example
 * ```ts
 * await lockPathFor(['policies/mcp.yaml']); // '/abs/policies/warden-mcp.lock.json'
 * await lockPathFor(['policies/']);         // '/abs/warden-mcp.lock.json'
 * ```
 * @throws WardenError `ERR_MCP_LOCK` when no policy path is given or the first cannot be read.
 */
export async function lockPathFor(policyPaths: readonly string[]): Promise<string> {
  const first = policyPaths[0];
  if (first === undefined) throw new WardenError('ERR_MCP_LOCK', 'No policy path was given, so there is no place for the MCP lock file. Pass --policy <file|dir> (or --lock <file>).');
  const abs = resolve(first);
  try {
    await stat(abs);
  } catch (e) {
    throw new WardenError('ERR_MCP_LOCK', `Cannot read the policy path ${first}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, { cause: e });
  }
  // dirname of a file is its directory; of a directory, its parent: beside the policy either way.
  return join(dirname(abs), LOCK_FILE_NAME);
}

/**
 * Reads a lock file; a missing file is an empty lock.
 *
 * @example
 * ```ts
 * const lock = await readLockFile('/abs/policies/warden-mcp.lock.json');
 * lock.servers['stdio:["node","server.js"]']?.tools.read_file?.digest;
 * ```
 * @throws WardenError `ERR_MCP_LOCK` when the file cannot be read, is too large, or is not a valid lock.
 */
export async function readLockFile(path: string): Promise<McpLock> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_LOCK_BYTES) throw new WardenError('ERR_MCP_LOCK', `The MCP lock file ${path} is ${info.size} bytes, over the ${MAX_LOCK_BYTES}-byte limit.`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof WardenError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
    throw new WardenError('ERR_MCP_LOCK', `Cannot read the MCP lock file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, { cause: e });
  }
  const parsed = parseLock(text);
  if (typeof parsed === 'string') throw new WardenError('ERR_MCP_LOCK', `The MCP lock file ${path} is not valid: ${parsed}. Restore it from version control, or delete it to pin every server again on next use.`);
  return parsed;
}

/**
 * Parses lock file text; returns the lock or what is wrong with it. Pure.
 *
 * @example
 * ```ts
 * parseLock('{"version":1,"servers":{}}'); // { version: 1, servers: {} }
 * parseLock('{}');                         // 'version must be 1'
 * ```
 */
export function parseLock(text: string): McpLock | string {
  if (text.length > MAX_LOCK_BYTES) return `over the ${MAX_LOCK_BYTES}-character limit`;
  // A repeated key (two pins for one tool) would pin whichever value this reader keeps.
  const json = parseJsonText(text);
  if (!json.ok) return `not JSON with unique keys (${json.error})`;
  const data = json.value;
  if (!isPlainObject(data)) return 'the top level must be an object';
  if (data.version !== 1) return 'version must be 1';
  if (!isPlainObject(data.servers)) return 'servers must be an object';
  const servers = Object.entries(data.servers);
  if (servers.length > MAX_LOCK_SERVERS) return `more than ${MAX_LOCK_SERVERS} servers`;
  const out: Record<string, ServerPins> = Object.create(null) as Record<string, ServerPins>;
  for (const [key, entry] of servers) {
    const where = `servers[${JSON.stringify(key)}]`;
    if (!isPlainObject(entry)) return `${where} must be an object`;
    if (typeof entry.pinnedAt !== 'string') return `${where}.pinnedAt must be a string`;
    if (!isPlainObject(entry.tools)) return `${where}.tools must be an object`;
    const tools = Object.entries(entry.tools);
    if (tools.length > MAX_LOCK_TOOLS) return `${where} pins more than ${MAX_LOCK_TOOLS} tools`;
    const pins: Record<string, ToolPin> = Object.create(null) as Record<string, ToolPin>;
    for (const [name, pin] of tools) {
      const at = `${where}.tools[${JSON.stringify(name)}]`;
      if (!isPlainObject(pin) || !isDigest(pin.digest)) return `${at}.digest must be a sha256:<64 hex> string`;
      if (!isPlainObject(pin.parts)) return `${at}.parts must be an object`;
      const parts: ToolPin['parts'] = {};
      for (const [field, digest] of Object.entries(pin.parts)) {
        if (!(PINNED_FIELDS as readonly string[]).includes(field)) return `${at}.parts has an unknown field ${JSON.stringify(field)}`;
        if (!isDigest(digest)) return `${at}.parts.${field} must be a sha256:<64 hex> string`;
        parts[field as keyof ToolPin['parts']] = digest;
      }
      pins[name] = { digest: pin.digest, parts };
    }
    out[key] = { pinnedAt: entry.pinnedAt, tools: pins };
  }
  return { version: 1, servers: out };
}

/** invariant: writes to one lock path in this process are serialized, so entries are not lost. */
const writeQueues = new Map<string, Promise<unknown>>();

/**
 * Replaces one server's entry in the lock file (creating the file), keeping every other entry
 * as it is on disk now. Atomic against readers (temporary file, then rename); concurrent writers
 * in other processes race on the whole file (last writer wins).
 *
 * @example
 * ```ts
 * await writeServerPins('/abs/policies/warden-mcp.lock.json', 'stdio:["node","server.js"]', pins);
 * ```
 * @throws WardenError `ERR_MCP_LOCK` when the lock cannot be read back or written.
 */
export async function writeServerPins(path: string, serverKey: string, pins: ServerPins): Promise<void> {
  const previous = writeQueues.get(path) ?? Promise.resolve();
  const next = previous.then(
    () => writeNow(path, serverKey, pins),
    () => writeNow(path, serverKey, pins),
  );
  writeQueues.set(path, next);
  try {
    await next;
  } finally {
    if (writeQueues.get(path) === next) writeQueues.delete(path);
  }
}

async function writeNow(path: string, serverKey: string, pins: ServerPins): Promise<void> {
  const lock = await readLockFile(path);
  const servers = Object.create(null) as Record<string, ServerPins>;
  for (const [k, v] of Object.entries(lock.servers)) servers[k] = v;
  servers[serverKey] = pins;
  // Keys sorted, so the file diffs cleanly under version control.
  const sorted = Object.create(null) as Record<string, ServerPins>;
  for (const k of Object.keys(servers).sort()) {
    const entry = servers[k] as ServerPins;
    const tools = Object.create(null) as Record<string, ToolPin>;
    for (const t of Object.keys(entry.tools).sort()) tools[t] = entry.tools[t] as ToolPin;
    sorted[k] = { pinnedAt: entry.pinnedAt, tools };
  }
  const text = `${JSON.stringify({ version: 1, servers: sorted }, null, 2)}\n`;
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, text, { encoding: 'utf8', mode: 0o644 });
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw new WardenError('ERR_MCP_LOCK', `Cannot write the MCP lock file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, { cause: e });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isDigest(v: unknown): v is string {
  return typeof v === 'string' && /^sha256:[0-9a-f]{64}$/.test(v);
}

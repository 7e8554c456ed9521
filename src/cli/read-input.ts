/** Reading requests for the CLI from files or standard input. */
import { readFile } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { parseJsonText } from '../lib/json-text.js';

/** Largest request input read, in bytes. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** Reads a whole file, or standard input for `-`. */
export async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > MAX_INPUT_BYTES) throw new WardenError('ERR_INPUT_TOO_LARGE', `Standard input is over ${MAX_INPUT_BYTES} bytes.`);
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new WardenError('ERR_INPUT', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Check the path.`);
  }
}

/**
 * Parses one JSON request; throws a WardenError that says where the JSON is wrong. Text that
 * repeats a key in one object is refused too: JSON.parse keeps the last value, the host that runs
 * the tool may keep the first, and would then run something other than what was decided.
 */
export function parseRequestJson(text: string, where: string): unknown {
  const parsed = parseJsonText(text);
  if (parsed.ok) return parsed.value;
  throw new WardenError('ERR_REQUEST_JSON', `${where} is not valid JSON with unique keys (${parsed.error}). A request is {"tool": "...", "args": {...}}, each key once per object.`);
}

/** Parses `--now`: an ISO-8601 time; default the current time. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new WardenError('ERR_USAGE', `--now "${value}" is not an ISO-8601 time such as 2026-01-31T12:00:00Z.`);
  return d;
}

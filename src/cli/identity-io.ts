/**
 * Shared plumbing of the identity commands (`warden id`, `warden token`, `warden ucan`): output,
 * exit codes, where keys live, reading bytes and durations.
 */
import type { Command, OutputConfiguration } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors.js';

/** Where `warden id` keeps keys unless `--dir` says otherwise. */
export const DEFAULT_IDENTITY_DIR = join('.warden', 'identity');

/** How a command writes. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** The command's output streams (commander's, so tests can capture them). */
export function ioOf(command: Command): Io {
  const config: OutputConfiguration = command.configureOutput();
  return { out: config.writeOut ?? ((s) => void process.stdout.write(s)), err: config.writeErr ?? ((s) => void process.stderr.write(s)) };
}

/** A usage error (exit 2). */
export function usage(message: string): WardenError {
  return new WardenError('ERR_USAGE', message);
}

/**
 * Runs a command body and sets the exit code: its return value (0 ok, 1 a finding), 1 for a
 * credential that did not verify, 2 for a usage error or anything else that stopped it.
 */
export async function runCommand(io: Io, name: string, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    const code = e instanceof WardenError ? e.code : '';
    io.err(`warden ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = code === 'ERR_IDENTITY' ? 1 : 2;
  }
}

/** Reads a file's bytes (`-` is standard input). */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    }
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new WardenError('ERR_INPUT', `Cannot read ${path}: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

/** A UCAN file's bytes: raw DAG-CBOR, or its base64 text (what `--json` prints). */
export async function readUcanFile(path: string): Promise<Uint8Array> {
  const bytes = await readBytes(path);
  // DAG-CBOR envelopes start with 0x82 (a two-element array); anything else is read as base64 text.
  if (bytes[0] === 0x82) return bytes;
  const text = Buffer.from(bytes).toString('utf8').trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw usage(`${path} is neither a DAG-CBOR UCAN nor its base64.`);
  return new Uint8Array(Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64'));
}

/** Reads and parses a JSON file. */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = Buffer.from(await readBytes(path)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw usage(`${path} is not JSON: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

/**
 * A point in time from a flag: `never` (null), a duration from now (`90s`, `10m`, `1h`, `7d`, or
 * plain seconds), or an ISO-8601 time. Returns seconds since the epoch.
 */
export function timeFlag(value: string, now: Date, flag: string): number | null {
  if (value === 'never') return null;
  const m = /^(\d+)([smhd]?)$/.exec(value);
  if (m !== null) {
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
    return Math.floor(now.getTime() / 1000) + Number(m[1]) * unit;
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw usage(`${flag} ${JSON.stringify(value)} is not "never", a duration (90s, 10m, 1h, 7d) or an ISO-8601 time.`);
  return Math.floor(d.getTime() / 1000);
}

/** The time a command runs at: `--now` (ISO-8601) or the clock. */
export function nowFlag(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw usage(`--now ${JSON.stringify(value)} is not an ISO-8601 time.`);
  return d;
}

/** Parses a JSON flag value. */
export function jsonFlag(value: string, flag: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (e) {
    throw usage(`${flag} is not JSON: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

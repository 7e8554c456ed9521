/**
 * The built hook's engine code cache (src/integrations/claude-code/in-process-script.ts): made
 * after the first event that ran on a verified compiled-policy entry (not by the one that compiled
 * the policy), extended once by each new kind of event, kept private, and a cache that is damaged,
 * foreign or not private only costs a compile: the answer is the one a process without any cache
 * gives, and a fresh cache replaces it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLAUDE_CODE_STARTER_POLICY } from '../../src/integrations/claude-code/starter-policy.js';

let main = '';
let dir = '';
let project = '';

beforeAll(() => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-hook-code-'));
  project = join(dir, 'project');
  mkdirSync(join(project, '.warden'), { recursive: true });
  writeFileSync(join(project, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY);
});

afterAll(() => {
  if (!dir) return;
  // A hook server a test started holds <socket>.lock with its pid: stop exactly that process.
  const runtime = join(dir, 'runtime');
  for (const f of existsSync(runtime) ? readdirSync(runtime).filter((n) => n.endsWith('.sock.lock')) : []) {
    const pid = Number(readFileSync(join(runtime, f), 'utf8').split(' ')[0]);
    try {
      if (Number.isSafeInteger(pid) && pid > 0) process.kill(pid, 'SIGTERM');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function hook(command: string, env: Record<string, string>, tool: { name: string; input: Record<string, unknown> } = { name: 'Bash', input: { command } }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const input = JSON.stringify({ session_id: 's', cwd: project, hook_event_name: 'PreToolUse', tool_name: tool.name, tool_input: tool.input, tool_use_id: 't1' });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, 'hook', 'claude-code'], { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: dir, CLAUDE_PROJECT_DIR: project, WARDEN_HOOK_SERVER: 'off', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The code cache files in a Warden cache directory. */
function codeCaches(cacheDir: string): string[] {
  const d = join(cacheDir, 'hook');
  return existsSync(d) ? readdirSync(d).filter((n) => n.endsWith('.code')).map((n) => join(d, n)) : [];
}

function lengthOf(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/**
 * Replaces a cache file's body (after the 8-byte length and CRC-32) with `make(record, data)`,
 * where `record` is the body's record of kinds of event with its length and `data` V8's data, and
 * writes a header that is right for the new body: only what is inside can be wrong.
 */
function withBody(file: string, make: (record: Buffer, data: Buffer) => Buffer): void {
  const b = readFileSync(file);
  const recordEnd = 12 + b.readUInt32BE(8);
  const body = make(b.subarray(8, recordEnd), b.subarray(recordEnd));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc32(body), 4);
  writeFileSync(file, Buffer.concat([header, body]));
}

// A benign call (allowed) and a denied one, so a wrong cache could not hide behind one answer.
const COMMANDS = ['git status', 'cat ~/.ssh/id_rsa'];

describe('the built hook keeps a code cache that can only cost speed', () => {
  it('writes one private cache after the first warm event, and answers as without any cache', async () => {
    const cache = join(dir, 'cache-first');
    // The first event compiles the policy: its code (the compiler, the YAML parser) is not what later events run, so no code cache yet.
    const compiled = await hook('git status', { WARDEN_CACHE_DIR: cache });
    expect(compiled).toEqual(await hook('git status', { WARDEN_CACHE: 'off' }));
    expect(codeCaches(cache)).toEqual([]);
    for (const command of COMMANDS) {
      const none = await hook(command, { WARDEN_CACHE: 'off' });
      const first = await hook(command, { WARDEN_CACHE_DIR: cache });
      const second = await hook(command, { WARDEN_CACHE_DIR: cache });
      expect(none.code).toBe(0);
      expect(first).toEqual(none);
      expect(second).toEqual(none);
    }
    expect(JSON.parse((await hook('git status', { WARDEN_CACHE: 'off' })).stdout).hookSpecificOutput.permissionDecision).toBe('allow');
    expect(JSON.parse((await hook('cat ~/.ssh/id_rsa', { WARDEN_CACHE: 'off' })).stdout).hookSpecificOutput.permissionDecision).toBe('deny');
    const files = codeCaches(cache);
    expect(files).toHaveLength(1);
    expect(statSync(files[0] as string).mode & 0o777).toBe(0o600);
    expect(statSync(join(cache, 'hook')).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('starts its background server from the script without a word on stderr', async () => {
    const runtime = join(dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    const r = await hook('git status', { WARDEN_CACHE_DIR: join(dir, 'cache-server'), WARDEN_HOOK_SERVER: 'on', WARDEN_HOOK_RUNTIME_DIR: runtime });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).hookSpecificOutput.permissionDecision).toBe('allow');
    // The server was spawned (its lock file names its pid), through the script's require of node:child_process.
    await expect.poll(() => readdirSync(runtime).some((n) => n.endsWith('.sock.lock')), { timeout: 20_000 }).toBe(true);
  });

  it('is extended once by each new kind of event, and kept for a kind it holds', async () => {
    const cache = join(dir, 'cache-kinds');
    const read = { name: 'Read', input: { file_path: join(project, 'README.md') } };
    await hook('git status', { WARDEN_CACHE_DIR: cache });
    await hook('git status', { WARDEN_CACHE_DIR: cache });
    const [file] = codeCaches(cache);
    expect(file).toBeDefined();
    const bashOnly = readFileSync(file as string);
    // The same kind again: the file is kept as it is.
    await hook('ls', { WARDEN_CACHE_DIR: cache });
    expect(readFileSync(file as string).equals(bashOnly)).toBe(true);
    // A Read event: rewritten with the code it ran added, and its answer is the one without a cache.
    const none = await hook('', { WARDEN_CACHE: 'off' }, read);
    expect(none.code).toBe(0);
    expect(await hook('', { WARDEN_CACHE_DIR: cache }, read)).toEqual(none);
    const both = readFileSync(file as string);
    expect(both.equals(bashOnly)).toBe(false);
    expect(both.toString('latin1')).toContain('"PreToolUse:Read"');
    expect(both.toString('latin1')).toContain('"PreToolUse:Bash"');
    // Both kinds are held now: neither rewrites it.
    expect(await hook('', { WARDEN_CACHE_DIR: cache }, read)).toEqual(none);
    expect(await hook('git status', { WARDEN_CACHE_DIR: cache })).toEqual(await hook('git status', { WARDEN_CACHE: 'off' }));
    expect(readFileSync(file as string).equals(both)).toBe(true);
    expect(codeCaches(cache)).toEqual([file]);
  }, 120_000);

  it('writes no code cache with WARDEN_CACHE=off', async () => {
    const cache = join(dir, 'cache-off');
    const r = await hook('git status', { WARDEN_CACHE: 'off', WARDEN_CACHE_DIR: cache });
    expect(r.code).toBe(0);
    expect(codeCaches(cache)).toEqual([]);
  });

  // Each row damages the cache a warm hook would read; the next events must answer as a process
  // without a cache, and leave a whole, private cache behind: a fresh one in place of a damaged one.
  const tamper: Array<[string, (file: string) => void, ('rewritten' | 'kept')?]> = [
    ['with flipped bytes in the middle', (f) => {
      const b = readFileSync(f);
      for (let i = b.length >> 1; i < (b.length >> 1) + 64; i++) b[i] = (b[i] as number) ^ 0xff;
      writeFileSync(f, b);
    }, 'rewritten'],
    ['truncated to half', (f) => writeFileSync(f, readFileSync(f).subarray(0, readFileSync(f).length >> 1)), 'rewritten'],
    ['that is empty', (f) => writeFileSync(f, ''), 'rewritten'],
    ['of random bytes of the same length', (f) => writeFileSync(f, Buffer.from(Array.from({ length: statSync(f).size }, (_, i) => (i * 131 + 7) & 0xff))), 'rewritten'],
    ['with its V8 data swapped for a header-valid foreign blob', (f) => {
      const data = Buffer.from('not V8 code cache data, but its length and CRC-32 are right');
      const header = Buffer.alloc(8);
      header.writeUInt32BE(data.length, 0);
      header.writeUInt32BE(crc32(data), 4);
      writeFileSync(f, Buffer.concat([header, data]));
    }, 'rewritten'],
    ['with its V8 data swapped for a foreign blob under a valid header and record', (f) => withBody(f, (record) => Buffer.concat([record, Buffer.from('not V8 code cache data at all')]))],
    ['with a record that is not JSON (CRC-32 right)', (f) => withBody(f, (_, data) => Buffer.concat([lengthOf(9), Buffer.from('{profiles'), data]))],
    ['with a record of the wrong shape (CRC-32 right)', (f) => withBody(f, (_, data) => Buffer.concat([lengthOf(17), Buffer.from('{"profiles":"x"} '), data]))],
    ['with a record length past the end (CRC-32 right)', (f) => withBody(f, (_, data) => Buffer.concat([lengthOf(0xfffffff0), data]))],
    ['with its V8 data truncated under a recomputed header', (f) => withBody(f, (record, data) => Buffer.concat([record, data.subarray(0, data.length >> 1)]))],
    ['readable and writable by the group and others', (f) => chmodSync(f, 0o666), 'rewritten'],
    ['left as it was (benign)', () => undefined, 'kept'],
  ];
  it.each(tamper)('a cache %s does not change an answer', async (_, damage, expected = 'rewritten') => {
    const cache = join(dir, `cache-${Math.random().toString(36).slice(2)}`);
    // The first event compiles the policy; the second, a warm one, writes the code cache.
    await hook('git status', { WARDEN_CACHE_DIR: cache });
    await hook('git status', { WARDEN_CACHE_DIR: cache });
    const [file] = codeCaches(cache);
    expect(file).toBeDefined();
    damage(file as string);
    const damaged = { bytes: readFileSync(file as string), mode: statSync(file as string).mode & 0o777 };
    for (const command of COMMANDS) {
      const none = await hook(command, { WARDEN_CACHE: 'off' });
      expect(await hook(command, { WARDEN_CACHE_DIR: cache })).toEqual(none);
    }
    const after = codeCaches(cache);
    expect(after).toEqual([file]);
    const now = { bytes: readFileSync(file as string), mode: statSync(file as string).mode & 0o777 };
    expect(now.mode).toBe(0o600);
    expect(now.bytes.length).toBeGreaterThan(1024);
    if (expected === 'kept') expect(now.bytes.equals(damaged.bytes)).toBe(true);
    else expect(now.bytes.equals(damaged.bytes) && now.mode === damaged.mode).toBe(false);
  }, 120_000);
});

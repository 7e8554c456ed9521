import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.js';
import { LOCK_FILE_NAME, lockPathFor, parseLock, readLockFile, writeServerPins } from '../../../src/integrations/mcp/lock-file.js';
import type { ServerPins } from '../../../src/integrations/mcp/pin.js';

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-mcp-lock-'));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const pins = (tool: string, c = 'a'): ServerPins => ({ pinnedAt: '2026-01-01T00:00:00.000Z', tools: { [tool]: { digest: D(c), parts: { description: D('b') } } } });

describe('lockPathFor', () => {
  it('puts the lock in the directory of a policy file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mcp.yaml'), '');
    expect(await lockPathFor([join(dir, 'mcp.yaml')])).toBe(join(dir, LOCK_FILE_NAME));
  });

  it('puts the lock beside a policy directory, not inside it (the loader would read it as a policy)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'policies'));
    expect(await lockPathFor([join(dir, 'policies') + '/'])).toBe(join(dir, LOCK_FILE_NAME));
  });

  it.each([[[]], [['/nonexistent/warden/policy.yaml']]])('fails with ERR_MCP_LOCK for %j', async (paths) => {
    await expect(lockPathFor(paths)).rejects.toMatchObject({ code: 'ERR_MCP_LOCK' });
  });
});

describe('parseLock', () => {
  const bad: Array<[string, string]> = [
    ['not json', 'not JSON'],
    ['[]', 'the top level must be an object'],
    ['{"version":2,"servers":{}}', 'version must be 1'],
    ['{"version":1}', 'servers must be an object'],
    ['{"version":1,"servers":{"s":[]}}', 'servers["s"] must be an object'],
    ['{"version":1,"servers":{"s":{"tools":{}}}}', 'servers["s"].pinnedAt must be a string'],
    ['{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{"x":{"digest":"sha256:abc","parts":{}}}}}}', 'servers["s"].tools["x"].digest must be a sha256:<64 hex> string'],
    [`{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{"x":{"digest":"${D('a')}"}}}}}`, 'servers["s"].tools["x"].parts must be an object'],
    [`{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{"x":{"digest":"${D('a')}","parts":{"colour":"${D('a')}"}}}}}}`, 'servers["s"].tools["x"].parts has an unknown field "colour"'],
    [`{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{"x":{"digest":"${D('a').toUpperCase()}","parts":{}}}}}}`, 'servers["s"].tools["x"].digest must be a sha256:<64 hex> string'],
  ];
  const twice: Array<[string, string]> = [
    ['a tool pinned twice (a reader keeping the first would pin the other definition)', `{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{"x":{"digest":"${D('a')}","parts":{}},"x":{"digest":"${D('b')}","parts":{}}}}}}`],
    ['a digest given twice', `{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{"x":{"digest":"${D('a')}","digest":"${D('b')}","parts":{}}}}}}`],
    ['a server given twice', `{"version":1,"servers":{"s":{"pinnedAt":"t","tools":{}},"s":{"pinnedAt":"u","tools":{}}}}`],
    ['version twice', '{"version":1,"version":1,"servers":{}}'],
  ];
  it.each(twice)('rejects a lock with %s', (_name, text) => {
    expect(parseLock(text)).toEqual(expect.stringContaining('not JSON with unique keys (the key'));
  });

  it.each(bad)('rejects %s', (text, why) => {
    const r = parseLock(text);
    expect(typeof r).toBe('string');
    expect(r as string).toContain(why);
  });

  it('reads a valid lock, prototype-named keys as ordinary keys', () => {
    const raw = `{"version":1,"servers":{"__proto__":{"pinnedAt":"t","tools":{"constructor":{"digest":"${D('c')}","parts":{}}}}}}`;
    const r = parseLock(raw);
    expect(typeof r).toBe('object');
    const lock = r as Exclude<typeof r, string>;
    expect(Object.keys(lock.servers)).toEqual(['__proto__']);
    const key: string = 'constructor';
    expect(Object.hasOwn(lock.servers['__proto__']?.tools ?? {}, key)).toBe(true);
    expect(lock.servers['__proto__']?.tools[key]?.digest).toBe(D('c'));
  });
});

describe('readLockFile and writeServerPins', () => {
  it('reads a missing lock as empty', async () => {
    expect(await readLockFile(join(tempDir(), LOCK_FILE_NAME))).toEqual({ version: 1, servers: {} });
  });

  it('refuses a corrupt lock instead of treating it as empty (which would re-pin changed tools)', async () => {
    const path = join(tempDir(), LOCK_FILE_NAME);
    writeFileSync(path, '{"version":1,"servers":');
    const e = await readLockFile(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WardenError);
    expect((e as WardenError).code).toBe('ERR_MCP_LOCK');
    expect((e as WardenError).message).toContain('is not valid: not JSON');
  });

  it('replaces one server entry, keeps the others, sorts keys, and leaves no temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, LOCK_FILE_NAME);
    await writeServerPins(path, 'stdio:["b"]', pins('t1'));
    await writeServerPins(path, 'stdio:["a"]', pins('t2'));
    await writeServerPins(path, 'stdio:["b"]', pins('t3', 'e'));
    const lock = await readLockFile(path);
    expect(Object.keys(lock.servers)).toEqual(['stdio:["a"]', 'stdio:["b"]']);
    expect(lock.servers['stdio:["b"]']).toEqual(pins('t3', 'e'));
    expect(lock.servers['stdio:["a"]']).toEqual(pins('t2'));
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('loses no entry when many servers are pinned concurrently in one process', async () => {
    const path = join(tempDir(), LOCK_FILE_NAME);
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeServerPins(path, `name:s${i}`, pins(`t${i}`))));
    expect(Object.keys((await readLockFile(path)).servers)).toHaveLength(20);
  });
});

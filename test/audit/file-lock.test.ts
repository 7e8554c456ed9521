/**
 * The lock file that orders audit appends across processes: exclusive, released on throw, stale
 * locks of dead processes broken, waiting bounded, never left empty by a write that failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { FileLock, withFileLock } from '../../src/audit/file-lock.js';
import { buildForChild } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (so no live process has it, barring reuse). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('withFileLock', () => {
  it('holders never overlap, and every one runs', async () => {
    const lock = join(dir, 'a.lock');
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withFileLock(lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 2));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(existsSync(lock)).toBe(false);
  });

  it('releases the lock when the holder throws', async () => {
    const lock = join(dir, 'b.lock');
    await expect(withFileLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
    await expect(withFileLock(lock, () => Promise.resolve(7))).resolves.toBe(7);
  });

  it('breaks the lock of a process that is gone', async () => {
    const lock = join(dir, 'c.lock');
    writeFileSync(lock, `${deadPid()} deadbeef`);
    await expect(withFileLock(lock, () => Promise.resolve('got it'), { timeoutMs: 2000 })).resolves.toBe('got it');
    expect(existsSync(lock)).toBe(false);
  });

  it('breaks a lock whose content is not a pid', async () => {
    const lock = join(dir, 'd.lock');
    writeFileSync(lock, 'garbage');
    await expect(withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 2000 })).resolves.toBe(1);
  });

  it('waits for a live holder, and gives up after timeoutMs with ERR_LOCK_TIMEOUT', async () => {
    const lock = join(dir, 'e.lock');
    writeFileSync(lock, `${process.pid} someone-else`);
    const err = await withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_LOCK_TIMEOUT');
    expect((err as WardenError).message).toContain(`held by process ${process.pid}`);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} someone-else`);
  });

  it('an empty lock (its creator is writing it) is only broken once it is older than staleMs', async () => {
    const lock = join(dir, 'f.lock');
    writeFileSync(lock, '');
    const err = await withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 50 }).catch((e: unknown) => e);
    expect((err as WardenError).code).toBe('ERR_LOCK_TIMEOUT');
    await expect(withFileLock(lock, () => Promise.resolve(2), { timeoutMs: 1000, staleMs: 0 })).resolves.toBe(2);
  });

  it('a lock in a directory that does not exist is ERR_LOCK', async () => {
    const err = await withFileLock(join(dir, 'missing', 'g.lock'), () => Promise.resolve(1)).catch((e: unknown) => e);
    expect((err as WardenError).code).toBe('ERR_LOCK');
  });
});

describe('FileLock', () => {
  it('held() is true until released, and false once the file is someone else\'s', async () => {
    const path = join(dir, 'h.lock');
    const lock = await FileLock.acquire(path);
    expect(lock.held()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(lock.token);
    rmSync(path);
    writeFileSync(path, '1 another');
    expect(lock.held()).toBe(false);
    expect(lock.refresh()).toBe(false);
    await lock.release();
    // Not ours: left alone.
    expect(readFileSync(path, 'utf8')).toBe('1 another');
    rmSync(path);
  });

  it('refresh() moves the mtime, so an old but refreshed lock is not stale', async () => {
    const path = join(dir, 'r.lock');
    const lock = await FileLock.acquire(path, { staleMs: 60_000 });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path, old, old);
    expect(lock.refresh()).toBe(true);
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(60_000);
    const err = await FileLock.acquire(path, { timeoutMs: 50, staleMs: 60_000 }).catch((e: unknown) => e);
    expect((err as WardenError).code).toBe('ERR_LOCK_TIMEOUT');
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses an unknown option key, naming the accepted ones', async () => {
    await expect(FileLock.acquire(join(dir, 'o.lock'), { timeout: 5 } as never)).rejects.toMatchObject({
      code: 'ERR_LOCK',
      message: expect.stringContaining('Unknown key "timeout" in file lock options. Accepted keys: staleMs, timeoutMs.'),
    });
  });

  it('names an empty lock for what it is when it times out', async () => {
    const path = join(dir, 'empty.lock');
    writeFileSync(path, '');
    const err = await FileLock.acquire(path, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect((err as WardenError).message).toContain('an empty lock file');
    rmSync(path);
  });
});

/**
 * A full disk, for real: a 4 KiB tmpfs filled to the last page, mounted in a private mount
 * namespace (unshare -rm), so no mock decides what the kernel answers. The child creates the lock
 * file (an inode is still free) and fails to write its token with ENOSPC.
 */
const CAN_MOUNT = spawnSync('unshare', ['-rm', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=4k tmpfs "$d" && umount "$d" && rmdir "$d"'], { encoding: 'utf8' }).status === 0;

if (!CAN_MOUNT && process.env.CI === undefined) console.warn('file-lock.test.ts: skipping "a full disk": this machine cannot mount a tmpfs in a private namespace (unshare -rm).');

describe.runIf(CAN_MOUNT || process.env.CI !== undefined)('a full disk', () => {
  let build: { outDir: string; cleanup: () => void };
  beforeAll(() => {
    build = buildForChild(['src/audit/file-lock.ts']);
    writeFileSync(
      join(build.outDir, 'full-disk.mjs'),
      `
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileLock } from './src/audit/file-lock.js';
const dir = process.argv[2];
const lockPath = join(dir, 'audit.jsonl.lock');
const out = {};
try { await FileLock.acquire(lockPath, { timeoutMs: 1000 }); out.first = 'acquired'; }
catch (e) { out.first = { code: e.code, message: e.message }; }
out.leftBehind = existsSync(lockPath);
rmSync(join(dir, 'fill'));
// Space is back: the next writer gets the lock at once, not after staleMs.
try { const lock = await FileLock.acquire(lockPath, { timeoutMs: 1000 }); out.second = 'acquired'; await lock.release(); }
catch (e) { out.second = { code: e.code, message: e.message }; }
process.stdout.write(JSON.stringify(out));
`,
    );
  });
  afterAll(() => build.cleanup());

  it('removes the lock file whose token could not be written (ENOSPC), says the disk is full, and the next writer gets the lock at once', () => {
    const script = `d=$(mktemp -d) && mount -t tmpfs -o size=4k tmpfs "$d" && (head -c 4096 /dev/zero > "$d/fill" 2>/dev/null; true) && "$0" "$1" "$d"; s=$?; umount "$d"; rmdir "$d"; exit $s`;
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, process.execPath, join(build.outDir, 'full-disk.mjs')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { first: { code: string; message: string } | string; leftBehind: boolean; second: unknown };
    expect(out.first).toMatchObject({ code: 'ERR_LOCK', message: expect.stringMatching(/Cannot write the lock file .*audit\.jsonl\.lock: ENOSPC \(the disk is full\)\. The lock was not taken and the file was removed\./) });
    expect(out.leftBehind).toBe(false);
    expect(out.second).toBe('acquired');
  });
});

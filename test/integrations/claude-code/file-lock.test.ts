/**
 * The lock file that orders audit appends across hook processes: exclusive, released on throw,
 * stale locks of dead processes broken, waiting bounded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.js';
import { withFileLock } from '../../../src/integrations/claude-code/file-lock.js';

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
    const started = Date.now();
    const err = await withFileLock(lock, () => Promise.resolve(1), { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_LOCK_TIMEOUT');
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

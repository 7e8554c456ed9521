/**
 * Resource limits in the real sandbox: a fork bomb meets the process limit (a pids cgroup), a
 * memory hog the memory limit (a memory cgroup), a sleeper the time limit, a flood the output
 * limit; a process that detaches from its parent does not outlive the run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { CGROUP_PREFIX } from '../../src/sandbox/run.js';
import { makeSandbox, NO_BWRAP, run } from './helpers.js';

/** Host processes whose command line contains `marker`. */
function hostProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.push(Number(pid));
    } catch {
      // gone
    }
  }
  return found;
}

describe.skipIf(NO_BWRAP)('limits of a sandboxed run', () => {
  const made: Sandbox[] = [];
  const sandboxWith = (limits: Record<string, number>): Sandbox => {
    const { sandbox } = makeSandbox({ limits });
    made.push(sandbox);
    return sandbox;
  };
  afterAll(async () => {
    for (const s of made) await s.close();
  });

  it('refuses forks past the process limit (and says so)', async () => {
    const sandbox = sandboxWith({ processes: 32, timeMs: 30_000 });
    const r = await run(sandbox, `python3 -c "
import os, time
refused = 0
for i in range(200):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    except OSError:
        refused += 1
print('refused', refused)
"`);
    expect(r.ran).toBe(true);
    expect(Number(/refused (\d+)/.exec(r.stdout)?.[1])).toBeGreaterThan(100);
    expect(r.limit).toBe('processes');
  });

  it('ends a shell fork bomb, and nothing of it is left on the host', async () => {
    const sandbox = sandboxWith({ processes: 64, timeMs: 3_000 });
    const r = await run(sandbox, 'b() { b | b & }; b; sleep 100');
    expect(r.ran).toBe(true);
    expect(r.limit).toBe('processes');
    expect(r.exitCode === 0).toBe(false);
    expect(hostProcesses('b | b')).toEqual([]);
  });

  it('kills a memory hog at the memory limit', async () => {
    const sandbox = sandboxWith({ memoryBytes: 64 * 2 ** 20, timeMs: 30_000 });
    const r = await run(sandbox, `python3 -c "
blocks = []
for i in range(64):
    blocks.append(bytearray(16 * 2 ** 20))
print('allocated 1 GiB')
"`);
    expect(r.ran).toBe(true);
    expect(r.stdout).not.toContain('allocated');
    expect(r.limit).toBe('memory');
  });

  it('kills a run at the time limit', async () => {
    const sandbox = sandboxWith({ timeMs: 1_000 });
    const r = await run(sandbox, 'sleep 100; echo finished');
    expect(r.limit).toBe('time');
    expect(r.stdout).not.toContain('finished');
    expect(r.exitCode === 0).toBe(false);
  });

  it('keeps only the output limit and kills a flood', async () => {
    const sandbox = sandboxWith({ outputBytes: 1000, timeMs: 30_000 });
    const r = await run(sandbox, 'yes flood');
    expect(r.limit).toBe('output');
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(1000);
  });

  it('leaves no process behind that detached from its parent', async () => {
    const sandbox = sandboxWith({ timeMs: 30_000 });
    const marker = `4242.${process.pid}${Date.now() % 100000}`;
    const r = await run(sandbox, `(setsid sleep ${marker} > /dev/null 2>&1 &) ; nohup sleep ${marker} > /dev/null 2>&1 & echo started`);
    expect(r.stdout).toContain('started');
    expect(r.exitCode).toBe(0);
    expect(hostProcesses(`sleep\u0000${marker}`)).toEqual([]);
  });

  it('limits the size of a file the run writes', async () => {
    const sandbox = sandboxWith({ fileSizeBytes: 64 * 1024, timeMs: 30_000 });
    const r = await run(sandbox, 'head -c 1000000 /dev/zero > big; wc -c < big');
    expect(Number(r.stdout.trim())).toBeLessThanOrEqual(64 * 1024);
  });

  it('leaves no cgroup behind once its sandboxes are closed', async () => {
    // (runs last: every sandbox above is closed here)
    for (const s of made) await s.close();
    for (const root of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory']) {
      expect(readdirSync(root).filter((n) => n.startsWith(CGROUP_PREFIX))).toEqual([]);
    }
  });
});

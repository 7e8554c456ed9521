/** `warden demo`'s breaker scene: a flaky tool trips its breaker, the agent is told why, and the breaker recovers. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('warden demo, scene 2', () => {
  it('shows the breaker opening after three failures, the refusal with its probe time, and the recovery', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-sre-demo-'));
    try {
      const r = await runCli(inject('wardenCli'), ['demo'], { cwd: dir });
      expect(r.code).toBe(0);
      const scene = r.stdout.slice(r.stdout.indexOf('Scene 2'));
      const states = [...scene.matchAll(/\[breaker: ([a-z-]+)\]/g)].map((m) => m[1]);
      expect(states).toEqual(['closed', 'closed', 'open', 'open', 'closed']);
      expect(scene).toMatch(/DENY {2}blocked before it ran\n {6}why: The circuit breaker "orders" for tool "get_order_status" is open after 3 failures in a row; it lets a probe call through at \S+Z \(in 30 s\)\./);
      expect(scene).toContain('ALLOW  ran: order O-311 shipped');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * SRE state shared through a real SQLite store by two Governors, each with its own connection and
 * its own SRE runtime (two processes of a fleet), and what happens when the store cannot be reached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createSre } from '../../src/sre/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-sre-shared-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const POLICY = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: all\n    tools: ["*"]\n    effect: allow\n' }]);
const breakers = [{ name: 'search', tools: ['search'], failureThreshold: 3, coolDown: '30s' }];

function processOn(path: string, now: () => number): { governor: Governor; sre: ReturnType<typeof createSre>; sink: MemorySink; close: () => Promise<void> } {
  const store = openSqliteStore({ path, clock: now });
  const sre = createSre({ store, breakers, now });
  const sink = new MemorySink();
  const governor = new Governor({ policy: POLICY, agent: { id: 'bot' }, sink, clock: () => new Date(now()), monitors: [sre] });
  return { governor, sre, sink, close: () => store.close() };
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('a fleet of two governors on one SQLite store', () => {
  it('a flaky tool trips the breaker in one; the other refuses its next call with the reason, then both recover after one probe', async () => {
    let t = Date.UTC(2026, 11, 7, 10);
    const now = (): number => t;
    const path = join(dir, 'fleet.db');
    const a = processOn(path, now);
    const b = processOn(path, now);
    let healthy = false;
    let ranInB = 0;
    const flakyA = a.governor.wrap('search', async (_x: { q: string }) => {
      if (!healthy) throw new Error('backend down');
      return 'ok';
    });
    const searchB = b.governor.wrap('search', async (_x: { q: string }) => {
      ranInB++;
      return 'ok';
    });
    for (let i = 0; i < 3; i++) await flakyA({ q: 'x' }).catch(() => undefined);
    await a.sre.flush();
    const denied = await thrown(searchB({ q: 'y' }));
    expect(denied).toBeInstanceOf(GovernanceDenied);
    expect((denied as GovernanceDenied).decision.rule).toBe('breaker:search');
    expect((denied as GovernanceDenied).message).toContain('is open after 3 failures in a row');
    expect(ranInB).toBe(0);
    t += 30_000;
    healthy = true;
    expect(await searchB({ q: 'probe' })).toBe('ok');
    await b.sre.flush();
    expect(await flakyA({ q: 'after' })).toBe('ok');
    expect(a.sink.events.at(-1)?.decision.effect).toBe('allow');
    await a.close();
    await b.close();
  });

  it('a synchronous check during half-open is denied and does not keep the probe slot from the next call', async () => {
    let t = Date.UTC(2026, 11, 7, 10);
    const now = (): number => t;
    const path = join(dir, 'sync-probe.db');
    const a = processOn(path, now);
    const failing = a.governor.wrap('search', async (_x: { q: string }) => {
      throw new Error('down');
    });
    for (let i = 0; i < 3; i++) await failing({ q: 'x' }).catch(() => undefined);
    await a.sre.flush();
    t += 30_000;
    expect(a.governor.checkSync({ tool: 'search', args: {} }).allowed).toBe(false);
    await a.sre.flush();
    const verdict = await a.governor.check({ tool: 'search', args: {} });
    expect(verdict.allowed).toBe(true);
    await a.close();
  });

  it('denies, naming the store, when the store cannot be reached; and a synchronous check is denied (the breaker needs the store)', async () => {
    const now = (): number => Date.UTC(2026, 11, 7, 10);
    const p = processOn(join(dir, 'gone.db'), now);
    const sync = p.governor.checkSync({ tool: 'search', args: {} });
    expect(sync.allowed).toBe(false);
    await p.close();
    const verdict = await p.governor.check({ tool: 'search', args: {} });
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toMatch(/store/i);
    const other = await p.governor.check({ tool: 'not-covered', args: {} });
    expect(other.allowed).toBe(true);
  });
});

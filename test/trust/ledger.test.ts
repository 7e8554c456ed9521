import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { TrustLedger, trustStream } from '../../src/trust/index.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TrustLedger', () => {
  it('scores an agent from the events recorded for it', async () => {
    let t = 1_000_000;
    const trust = new TrustLedger({ store: createMemoryStore({ clock: () => t }) });
    expect(await trust.read('bot')).toEqual({ score: 0, tier: 'untrusted', events: 0 });
    await trust.record('bot', { kind: 'baseline', value: 800, by: 'ops', reason: 'reviewed' });
    t += 1;
    expect(await trust.read('bot')).toMatchObject({ score: 799, tier: 'established', events: 1 });
    await trust.record('bot', { kind: 'violation', reason: 'wrote ~/.ssh' });
    expect((await trust.read('bot')).tier).toBe('standard');
    expect((await trust.explain('bot')).steps.map((s) => s.event?.kind)).toEqual(['baseline', 'violation']);
  });

  it('refuses a malformed event and records nothing (ERR_TRUST_EVENT)', async () => {
    const store = createMemoryStore();
    const trust = new TrustLedger({ store });
    for (const bad of [{ kind: 'promote' }, { kind: 'baseline', value: 2000 }, { kind: 'success', value: 5 }, { kind: 'success', ts: 1.5 }, { kind: 'success', reason: 'x'.repeat(501) }]) {
      await expect(trust.record('bot', bad as never)).rejects.toMatchObject({ code: 'ERR_TRUST_EVENT' });
    }
    await expect(trust.record('', { kind: 'success' })).rejects.toMatchObject({ code: 'ERR_TRUST_EVENT' });
    expect(await store.log.read(trustStream('bot'))).toEqual([]);
  });

  it('keeps agents whose ids differ only around a separator apart, and long ids within the key limit', async () => {
    const trust = new TrustLedger({ store: createMemoryStore({ clock: () => 5 }) });
    await trust.record('a:b', { kind: 'baseline', value: 900 });
    expect((await trust.read('a')).score).toBe(0);
    const long = `did:web:${'x'.repeat(1900)}`;
    await trust.record(long, { kind: 'baseline', value: 600 });
    expect((await trust.read(long)).score).toBe(600);
  });

  it('sees another process\'s event once the broadcast arrives (the cache is invalidated)', async () => {
    const path = join(dir, 'shared.db');
    const a = new TrustLedger({ store: openSqliteStore({ path }), maxAgeMs: 3_600_000 });
    const b = new TrustLedger({ store: openSqliteStore({ path }), maxAgeMs: 3_600_000 });
    expect((await a.read('bot')).score).toBe(0);
    let notified!: () => void;
    const seen = new Promise<void>((r) => (notified = r));
    await a.store.bus.subscribe('trust', () => notified());
    await b.record('bot', { kind: 'baseline', value: 700 });
    await seen;
    expect(a.cached('bot')).toBeNull();
    expect((await a.read('bot')).score).toBeGreaterThanOrEqual(699);
    await a.close();
    await b.close();
    await a.store.close();
    await b.store.close();
  });

  it('fails (ERR_STORE_UNAVAILABLE) when its store is gone, rather than answering a score', async () => {
    const store = createMemoryStore();
    const trust = new TrustLedger({ store });
    await store.close();
    await expect(trust.read('bot')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(trust.record('bot', { kind: 'success' })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });
});

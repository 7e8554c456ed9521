import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Elevations, elevationKey, isRing, ringOf, ringPolicy, signDocumentForTest } from './rings-helpers.js';
import { ops, stranger } from './helpers.js';
import { createMemoryStore } from '../../src/store/memory.js';

describe('ring configuration: malformed levels are load errors', () => {
  const bad: [string, unknown][] = [
    ['a negative agent ring', { agents: { bot: -1 } }],
    ['a fractional agent ring', { agents: { bot: 1.5 } }],
    ['a ring above 3', { agents: { bot: 4 } }],
    ['a ring as text', { agents: { bot: '0' } }],
    ['NaN', { agents: { bot: Number.NaN } }],
    ['null', { agents: { bot: null } }],
    ['a tier mapped to ring 0', { byTier: { trusted: 0 } }],
    ['a tier the model lacks', { byTier: { godmode: 1 } }],
    ['a default ceiling of 0', { defaultCeiling: 0 }],
    ['a negative default ceiling', { defaultCeiling: -2 }],
    ['an unknown key', { ring0: ['bot'] }],
    ['byTier as a list', { byTier: [1, 2] }],
  ];
  it.each(bad)('rejects %s (ERR_RING_CONFIG)', (_, config) => {
    expect(() => ringPolicy(config as never, ['trusted', 'established', 'standard', 'probation', 'untrusted'])).toThrow(expect.objectContaining({ code: 'ERR_RING_CONFIG' }));
  });

  it('accepts a ring-0 orchestrator by configuration', () => {
    const p = ringPolicy({ agents: { orchestrator: 0 } });
    expect(ringOf('orchestrator', 'trusted', null, p)).toBe(0);
    expect(ringOf('orchestrator', 'established', null, p)).toBe(2);
    expect(ringOf('orchestrator', null, null, p)).toBe(0);
  });
});

describe('ringOf: the documented mapping', () => {
  const p = ringPolicy();
  const table: [string | null, number | null, number][] = [
    ['trusted', null, 1],
    ['established', null, 2],
    ['standard', null, 2],
    ['probation', null, 3],
    ['untrusted', null, 3],
    ['no-such-tier', null, 3],
    ['probation', 1, 1],
    ['probation', 2, 2],
    ['standard', 3, 2],
    [null, null, 1],
  ];
  it.each(table)('tier %s with elevation %s is ring %i', (tier, elevation, ring) => {
    expect(ringOf('bot', tier, elevation as never, p)).toBe(ring);
  });

  it('never gives ring 0 by tier or elevation, and never more than the ceiling', () => {
    fc.assert(
      fc.property(fc.constantFrom('trusted', 'established', 'standard', 'probation', 'untrusted', null), fc.constantFrom(null, 0, 1, 2, 3), fc.integer({ min: 1, max: 3 }), (tier, elevation, ceiling) => {
        const policy = ringPolicy({ agents: { bot: ceiling } });
        const ring = ringOf('bot', tier, elevation as never, policy);
        expect(ring).toBeGreaterThanOrEqual(ceiling);
        expect(ring).toBeGreaterThanOrEqual(1);
        expect(isRing(ring)).toBe(true);
      }),
    );
  });
});

describe('elevation: malformed or foreign grants never grant more', () => {
  it('ignores anything in the store that is not a valid grant for this agent', async () => {
    const t = 1_000_000;
    const store = createMemoryStore({ clock: () => t });
    const el = new Elevations({ store, signers: [ops.did] });
    const good = { id: 'el_1', agent: 'bot', to: 1, at: t, expiresAt: t + 60_000, reason: 'x', by: ops.did };
    const junk: unknown[] = [
      null,
      'ring 1',
      { to: 1 },
      signDocumentForTest(stranger, good),
      signDocumentForTest(ops, { ...good, agent: 'other' }),
      signDocumentForTest(ops, { ...good, to: 0 }),
      signDocumentForTest(ops, { ...good, to: -1 }),
      signDocumentForTest(ops, { ...good, to: 1.5 }),
      signDocumentForTest(ops, { ...good, to: '1' }),
      signDocumentForTest(ops, { ...good, expiresAt: t }),
      signDocumentForTest(ops, { ...good, expiresAt: t + 9 * 3_600_000 }),
      { ...signDocumentForTest(ops, good), payload: { ...good, to: 1, expiresAt: t + 3_600_000 * 5 } },
      { ...signDocumentForTest(ops, good), signer: stranger.did },
    ];
    for (const value of junk) {
      await store.kv.set(elevationKey('bot'), value as never);
      expect(await el.current('bot')).toBeNull();
    }
    await store.kv.set(elevationKey('bot'), signDocumentForTest(ops, good) as never);
    expect((await el.current('bot'))?.to).toBe(1);
  });

  it('refuses to grant ring 0, a malformed ring or duration, or with a key that is not a signer', async () => {
    const el = new Elevations({ store: createMemoryStore(), signers: [ops.did] });
    for (const to of [0, -1, 4, 1.5, Number.NaN, '1']) {
      await expect(el.elevate('bot', { to: to as number, forMs: 1000, reason: 'r', key: ops })).rejects.toMatchObject({ code: 'ERR_RING_CONFIG' });
    }
    for (const forMs of [0, -5, 1.5, 9 * 3_600_000, Number.POSITIVE_INFINITY]) {
      await expect(el.elevate('bot', { to: 1, forMs, reason: 'r', key: ops })).rejects.toMatchObject({ code: 'ERR_RING_CONFIG' });
    }
    await expect(el.elevate('bot', { to: 1, forMs: 1000, reason: 'r', key: stranger })).rejects.toMatchObject({ code: 'ERR_RING_CONFIG' });
  });

  it('never lets an elevation outlive its expiry (any duration, any later time)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 * 3_600_000 }), fc.integer({ min: 0, max: 10 * 3_600_000 }), async (forMs, later) => {
        let t = 5_000_000;
        const el = new Elevations({ store: createMemoryStore({ clock: () => t }), signers: [ops.did] });
        const grant = await el.elevate('bot', { to: 1, forMs, reason: 'window', key: ops });
        t += later;
        const current = await el.current('bot');
        if (t >= grant.expiresAt) expect(current).toBeNull();
        else expect(current?.id).toBe(grant.id);
      }),
      { numRuns: 60 },
    );
  });

  it('grants only when the authorizer answers allowed: true (a throw, a truthy non-boolean or a deny refuse)', async () => {
    const store = createMemoryStore();
    const el = new Elevations({ store, signers: [ops.did] });
    const asks: unknown[] = [];
    const answers = [
      async () => {
        throw new Error('policy backend down');
      },
      async () => ({ allowed: 'true' as unknown as boolean, reason: 'x' }),
      async () => ({ allowed: false, reason: 'not in a change window' }),
    ];
    for (const authorize of answers) {
      await expect(el.elevate('bot', { to: 1, forMs: 1000, reason: 'r', key: ops, authorize })).rejects.toMatchObject({ code: 'ERR_RING_CONFIG' });
    }
    expect(await el.current('bot')).toBeNull();
    const grant = await el.elevate('bot', { to: 2, forMs: 1000, reason: 'r', key: ops, authorize: async (r) => (asks.push(r), { allowed: true, reason: 'ok' }) });
    expect(asks).toEqual([{ tool: 'warden.ring.elevate', args: { agent: 'bot', to: 2, forMs: 1000, reason: 'r' } }]);
    expect((await el.current('bot'))?.id).toBe(grant.id);
  });

  it('is revocable, and a copy of the revoked grant written back is still refused', async () => {
    const store = createMemoryStore();
    const el = new Elevations({ store, signers: [ops.did] });
    await el.elevate('bot', { to: 1, forMs: 60_000, reason: 'window', key: ops });
    const saved = await store.kv.get(elevationKey('bot'));
    expect(await el.revoke('bot', { reason: 'done', by: 'ops' })).toBe(true);
    expect(await el.current('bot')).toBeNull();
    await store.kv.set(elevationKey('bot'), saved?.value as never);
    expect(await el.current('bot')).toBeNull();
    expect((await store.log.read('runtime:elevations')).map((e) => (e.data as { event: string }).event)).toEqual(['elevate', 'revoke']);
  });
});

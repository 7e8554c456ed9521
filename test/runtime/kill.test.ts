import { describe, expect, it } from 'vitest';
import { KILL_KEY, KillSwitch, parseKillTarget } from '../../src/runtime/index.js';
import { PURPOSES, signDocument } from '../../src/runtime/signed.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { lead, ops, stranger } from './helpers.js';

function fresh(): { store: ReturnType<typeof createMemoryStore>; ks: KillSwitch } {
  const store = createMemoryStore();
  return { store, ks: new KillSwitch({ store, signers: [ops.did], approvers: [lead.did, ops.did] }) };
}

describe('kill switch', () => {
  it('lets everything through before any kill', async () => {
    const { ks } = fresh();
    expect(await ks.check('bot', 's1')).toBeNull();
    expect(await ks.check(null, null)).toBeNull();
  });

  const targets: [string, string | null, string | null, boolean][] = [
    ['agent:bot', 'bot', null, true],
    ['agent:bot', 'other', null, false],
    ['bot', 'bot', 's1', true],
    ['session:s1', 'anyone', 's1', true],
    ['session:s1', 'anyone', 's2', false],
    ['session:s1', null, null, false],
    ['all', 'anyone', null, true],
    ['all', null, null, true],
    ['agent:a:b', 'a', null, false],
  ];
  it.each(targets)('kill %s: a call by %s in session %s is denied: %s', async (target, agent, session, denied) => {
    const { ks } = fresh();
    await ks.kill(parseKillTarget(target), { reason: 'runaway loop', key: ops });
    const reason = await ks.check(agent, session);
    if (denied) expect(reason).toMatch(/^Killed by the kill switch \(epoch 1, .*runaway loop\)/);
    else expect(reason).toBeNull();
  });

  it('raises the epoch with every change, and another switch on the same store sees it', async () => {
    const { store, ks } = fresh();
    const a = await ks.kill(parseKillTarget('agent:a'), { reason: 'r1', key: ops });
    const b = await ks.kill(parseKillTarget('agent:b'), { reason: 'r2', key: ops });
    expect([a.epoch, b.epoch]).toEqual([1, 2]);
    const other = new KillSwitch({ store, signers: [ops.did] });
    expect(await other.check('a', null)).toContain('r1');
    expect(await other.check('b', null)).toContain('r2');
  });

  it('refuses a kill signed by a key that is not a runtime signer', async () => {
    const { ks } = fresh();
    await expect(ks.kill(parseKillTarget('all'), { reason: 'x', key: stranger })).rejects.toMatchObject({ code: 'ERR_KILL' });
    await expect(ks.kill(parseKillTarget('all'), { reason: '', key: ops })).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });

  it('revives only with the approval of another approver, for that target', async () => {
    const { ks } = fresh();
    const target = parseKillTarget('agent:bot');
    await ks.kill(target, { reason: 'incident', key: ops });
    const selfApproved = KillSwitch.approveRevival(ops, target, 'fine');
    await expect(ks.revive(target, { reason: 'fine', key: ops, approval: selfApproved })).rejects.toMatchObject({ code: 'ERR_KILL' });
    const strangerApproved = KillSwitch.approveRevival(stranger, target, 'fine');
    await expect(ks.revive(target, { reason: 'fine', key: ops, approval: strangerApproved })).rejects.toMatchObject({ code: 'ERR_KILL' });
    const otherTarget = KillSwitch.approveRevival(lead, parseKillTarget('agent:other'), 'fine');
    await expect(ks.revive(target, { reason: 'fine', key: ops, approval: otherTarget })).rejects.toMatchObject({ code: 'ERR_KILL' });
    const forged = { ...KillSwitch.approveRevival(lead, target, 'fine'), signature: KillSwitch.approveRevival(lead, parseKillTarget('all'), 'fine').signature };
    await expect(ks.revive(target, { reason: 'fine', key: ops, approval: forged })).rejects.toMatchObject({ code: 'ERR_KILL' });
    expect(await ks.check('bot', null)).not.toBeNull();
    const state = await ks.revive(target, { reason: 'fixed', key: ops, approval: KillSwitch.approveRevival(lead, target, 'fixed') });
    expect(state.revived).toMatchObject({ approvedBy: lead.did, by: ops.did });
    expect(await ks.check('bot', null)).toBeNull();
  });

  describe('a kill state someone tampered with denies every call', () => {
    it('when it is not signed by a runtime signer', async () => {
      const { store, ks } = fresh();
      await store.kv.set(KILL_KEY, signDocument(stranger, PURPOSES.kill, { epoch: 5, at: 0, entries: [], revived: null }) as never);
      expect(await ks.check('bot', null)).toMatch(/cannot be trusted .*not a trusted runtime signer/);
    });

    it('when its payload was changed after signing (an entry removed)', async () => {
      const { store, ks } = fresh();
      await ks.kill(parseKillTarget('agent:bot'), { reason: 'r', key: ops });
      const doc = (await store.kv.get(KILL_KEY))?.value as { payload: { entries: unknown[] } };
      await store.kv.set(KILL_KEY, { ...doc, payload: { ...doc.payload, entries: [] } } as never);
      expect(await ks.check('bot', null)).toMatch(/signature does not verify/);
      expect(await ks.check('anyone-else', null)).toMatch(/cannot be trusted/);
    });

    it('when it is signed for another purpose', async () => {
      const { store, ks } = fresh();
      await store.kv.set(KILL_KEY, signDocument(ops, PURPOSES.elevation, { epoch: 1, at: 0, entries: [], revived: null }) as never);
      expect(await ks.check('bot', null)).toMatch(/cannot be trusted/);
    });

    it('when it goes back to an older signed state (a replayed revival)', async () => {
      const { store, ks } = fresh();
      await ks.kill(parseKillTarget('agent:x'), { reason: 'r', key: ops });
      const old = (await store.kv.get(KILL_KEY))?.value;
      await ks.kill(parseKillTarget('agent:bot'), { reason: 'r', key: ops });
      expect(await ks.check('bot', null)).not.toBeNull();
      await store.kv.set(KILL_KEY, old as never);
      expect(await ks.check('bot', null)).toMatch(/went back from epoch 2 to 1/);
    });

    it('when it is deleted after it was seen', async () => {
      const { store, ks } = fresh();
      await ks.kill(parseKillTarget('agent:bot'), { reason: 'r', key: ops });
      expect(await ks.check('bot', null)).not.toBeNull();
      await store.kv.delete(KILL_KEY);
      expect(await ks.check('bot', null)).toMatch(/gone from the store/);
    });

    it('and a new kill written over a tampered state keeps its entries and restores trust', async () => {
      const { store, ks } = fresh();
      await ks.kill(parseKillTarget('agent:bot'), { reason: 'r', key: ops });
      const doc = (await store.kv.get(KILL_KEY))?.value as { payload: object };
      await store.kv.set(KILL_KEY, { ...doc, signature: 'AAAA' } as never);
      await ks.kill(parseKillTarget('agent:other'), { reason: 'r2', key: ops });
      expect(await ks.check('bot', null)).toContain('Killed');
      expect(await ks.check('other', null)).toContain('Killed');
      expect(await ks.check('third', null)).toBeNull();
    });
  });

  it('rejects (the caller denies) when the store cannot be read', async () => {
    const { store, ks } = fresh();
    await store.close();
    await expect(ks.check('bot', null)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('reads kill targets: all, agent:, session:, a bare id', () => {
    expect(parseKillTarget('all')).toEqual({ scope: 'all', id: '' });
    expect(parseKillTarget('session:s')).toEqual({ scope: 'session', id: 's' });
    expect(parseKillTarget('did:key:z6Mk')).toEqual({ scope: 'agent', id: 'did:key:z6Mk' });
    expect(() => parseKillTarget('')).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
  });
});

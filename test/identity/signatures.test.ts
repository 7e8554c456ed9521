/**
 * Domain-separated signatures, signed agent messages, the replay store, key rotation and
 * revocation lists, as tables of benign and adversarial cases.
 */
import { createPublicKey, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addRevocation,
  createIdentity,
  createRevocationList,
  IdentityError,
  MemoryReplayStore,
  replayKey,
  Revocations,
  rotateKey,
  sign,
  signAgentMessage,
  signingInput,
  verify,
  verifyAgentMessage,
  verifyRevocationList,
  verifyRotation,
  type AgentMessage,
  type AgentMessageOptions,
} from '../../src/identity/index.js';
import { NOW } from './helpers.js';

const me = createIdentity();
const peer = createIdentity();
const mallory = createIdentity();

describe('sign/verify: domain separation', () => {
  const payload = { user: 'ada', at: 1767225600, scopes: ['read'] };
  const sig = sign(me, 'app.login', payload);
  const table: Array<[string, () => boolean, boolean]> = [
    ['the same purpose and payload', () => verify(me.did, 'app.login', payload, sig), true],
    ['the payload with its keys in another order (canonical JSON)', () => verify(me.did, 'app.login', { scopes: ['read'], at: 1767225600, user: 'ada' }, sig), true],
    ['the raw public key instead of the DID', () => verify(me.publicKey, 'app.login', payload, sig), true],
    ['a KeyObject public key', () => verify(createPublicKey(me.privateKey), 'app.login', payload, sig), true],
    ['a payload with unicode, nested lists and null', () => verify(me.did, 'app.data', { t: 'héllo ✓', l: [1, [2, null]] }, sign(me, 'app.data', { l: [1, [2, null]], t: 'héllo ✓' })), true],
    ['a payload that is a bare string', () => verify(me.did, 'app.note', 'hello', sign(me, 'app.note', 'hello')), true],
    ['the DID with its key fragment', () => verify(`${me.did}#${me.did.slice(8)}`, 'app.login', payload, sig), true],
    ['another purpose', () => verify(me.did, 'app.logout', payload, sig), false],
    ['a purpose that extends the signed one', () => verify(me.did, 'app.login.admin', payload, sig), false],
    ['a reserved purpose (agent-message)', () => verify(me.did, 'agent-message', payload, sig), false],
    ['another payload', () => verify(me.did, 'app.login', { ...payload, user: 'eve' }, sig), false],
    ['another signer', () => verify(peer.did, 'app.login', payload, sig), false],
    ['a signature over the bare canonical JSON (no domain)', () => verify(me.did, 'app.login', payload, nodeSign(null, Buffer.from(JSON.stringify(payload)), me.privateKey).toString('base64url')), false],
    ['a signature over a JWS signing input', () => verify(me.did, 'app.login', payload, nodeSign(null, Buffer.from('eyJhbGciOiJFZERTQSJ9.e30'), me.privateKey).toString('base64url')), false],
    ['a malformed signature', () => verify(me.did, 'app.login', payload, `${sig}=`), false],
    ['a truncated signature', () => verify(me.did, 'app.login', payload, sig.slice(0, -2)), false],
    ['a non-Ed25519 did', () => verify('did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169', 'app.login', payload, sig), false],
  ];
  for (const [name, run, want] of table) {
    it(`${want ? 'verifies' : 'refuses'}: ${name}`, () => {
      expect(run()).toBe(want);
    });
  }
  it('signs exactly the domain, the purpose and the canonical JSON', () => {
    expect(signingInput('app.login', { b: 1, a: 2 }).toString()).toBe('agent-warden/sig/v1\napp.login\n{"a":2,"b":1}');
  });
  it('refuses a purpose that could blur the domain (a newline, upper case, empty)', () => {
    for (const purpose of ['app\nlogin', 'App', '', 'x'.repeat(65), 'a..b']) expect(() => sign(me, purpose, {})).toThrow(/purpose/);
  });
});

describe('signed agent messages: a table', () => {
  const base = (): AgentMessageOptions => ({ recipient: me.did, purpose: 'task.request', now: NOW, replay: new MemoryReplayStore() });
  const msg = (over: Partial<{ to: string; purpose: string; payload: unknown; now: Date }> = {}, by = peer): AgentMessage => signAgentMessage(by, { to: me.did, purpose: 'task.request', payload: { task: 'summarize', doc: 7 }, now: NOW, ...over });

  const table: Array<[string, () => AgentMessage, Partial<AgentMessageOptions>, string]> = [
    ['a valid message', () => msg(), {}, 'ok'],
    ['a message 4 minutes old', () => msg({ now: new Date(NOW.getTime() - 240_000) }), {}, 'ok'],
    ['a message to one of several recipient names', () => msg({ to: 'warden:gateway' }), { recipient: [me.did, 'warden:gateway'] }, 'ok'],
    ['one of several accepted purposes', () => msg({ purpose: 'task.cancel' }), { purpose: ['task.request', 'task.cancel'] }, 'ok'],
    ['a payload with nested data and unicode', () => msg({ payload: { text: 'héllo ✓', list: [1, { a: null }] } }), {}, 'ok'],
    ['a message a few seconds in the future (clock skew)', () => msg({ now: new Date(NOW.getTime() + 5_000) }), {}, 'ok'],
    ['a message for another recipient', () => msg({ to: peer.did }), {}, 'recipient'],
    ['a message for another purpose', () => msg({ purpose: 'task.delete' }), {}, 'purpose'],
    ['a message 10 minutes old', () => msg({ now: new Date(NOW.getTime() - 600_000) }), {}, 'expired'],
    ['a message from the future', () => msg({ now: new Date(NOW.getTime() + 600_000) }), {}, 'not_yet_valid'],
    ['a payload swapped after signing', () => ({ ...msg(), payload: { task: 'delete-everything' } }), {}, 'digest'],
    ['a sender swapped after signing', () => ({ ...msg(), from: mallory.did }), {}, 'signature'],
    ['a recipient rewritten after signing', () => ({ ...msg({ to: peer.did }), to: me.did }), {}, 'signature'],
    ['a signature made for another purpose over the same envelope (domain reuse)', () => { const m = msg(); const { payload: _p, sig: _s, ...env } = m; return { ...m, sig: sign(peer, 'app.login', env) }; }, {}, 'signature'],
    ['a revoked sender', () => msg(), { revocations: new Revocations([peer.did]) }, 'revoked'],
    ['a did:web sender with no resolved key (unknown issuer)', () => ({ ...msg(), from: 'did:web:agents.example' }), {}, 'unknown_issuer'],
    ['not a message', () => ({ hello: 'world' }) as unknown as AgentMessage, {}, 'malformed'],
  ];
  for (const [name, make, options, want] of table) {
    it(`${want === 'ok' ? 'accepts' : `refuses (${want})`}: ${name}`, async () => {
      const got = await verifyAgentMessage(make(), { ...base(), ...options }).then(
        () => 'ok',
        (e: unknown) => (e instanceof IdentityError ? e.reason : String(e)),
      );
      expect(got).toBe(want);
    });
  }
  it('refuses a replayed nonce, and a full replay store', async () => {
    const replay = new MemoryReplayStore({ maxEntries: 1 });
    const m = msg();
    await verifyAgentMessage(m, { ...base(), replay });
    await expect(verifyAgentMessage(m, { ...base(), replay })).rejects.toMatchObject({ reason: 'replayed' });
    await expect(verifyAgentMessage(msg(), { ...base(), replay })).rejects.toMatchObject({ reason: 'replay_store_full' });
  });
});

describe('the replay store', () => {
  it('never evicts an entry inside its window: it refuses new ones instead', () => {
    const s = new MemoryReplayStore({ maxEntries: 3 });
    expect(['a', 'b', 'c'].map((k) => s.remember(k, 10_000, 1_000))).toEqual(['fresh', 'fresh', 'fresh']);
    expect(s.remember('d', 10_000, 2_000)).toBe('full');
    expect(['a', 'b', 'c'].map((k) => s.remember(k, 10_000, 2_000))).toEqual(['replayed', 'replayed', 'replayed']);
  });

  it('makes room only from entries whose window closed', () => {
    const s = new MemoryReplayStore({ maxEntries: 2 });
    s.remember('short', 1_500, 1_000);
    s.remember('long', 9_000, 1_000);
    expect(s.remember('new', 9_000, 1_400)).toBe('full');
    expect(s.remember('new', 9_000, 1_500)).toBe('fresh');
    expect(s.remember('long', 9_000, 1_600)).toBe('replayed');
  });

  it('takes a key again once its window closed', () => {
    const s = new MemoryReplayStore();
    expect(s.remember('k', 2_000, 1_000)).toBe('fresh');
    expect(s.remember('k', 3_000, 1_999)).toBe('replayed');
    expect(s.remember('k', 3_000, 2_000)).toBe('fresh');
  });

  it('fails closed on a non-finite time, and keys never collide across parts', () => {
    const s = new MemoryReplayStore();
    expect(s.remember('k', Number.NaN, 1)).toBe('full');
    expect(replayKey('a:b', 'c')).not.toBe(replayKey('a', 'b:c'));
    expect(replayKey('a"', 'b')).not.toBe(replayKey('a', '"b'));
  });

  it('stays correct across many inserts and sweeps (the heap keeps order)', () => {
    const s = new MemoryReplayStore({ maxEntries: 50 });
    let now = 0;
    for (let i = 0; i < 2_000; i++) {
      now += 7;
      const verdict = s.remember(`k${i}`, now + ((i * 37) % 300), now);
      expect(verdict).not.toBe('replayed');
      if (verdict === 'full') expect(s.size).toBe(50);
    }
    expect(s.size).toBeLessThanOrEqual(50);
  });
});

describe('key rotation and revocation lists', () => {
  it('a rotation signed by the old key and countersigned by the new one verifies', () => {
    const next = createIdentity();
    const st = rotateKey(me, next, { now: NOW, reason: 'scheduled' });
    expect(verifyRotation(st)).toEqual({ previous: me.did, next: next.did, at: NOW });
  });

  it('refuses a rotation to a key the rotator does not hold, or one rewritten after signing', () => {
    const next = createIdentity();
    const st = rotateKey(me, next, { now: NOW });
    expect(() => verifyRotation({ ...st, next: mallory.did })).toThrow(/not signed by the previous key/);
    const forged = rotateKey(me, mallory, { now: NOW });
    expect(() => verifyRotation({ ...forged, signatures: { ...forged.signatures, next: st.signatures.next } })).toThrow(/countersigned/);
    expect(() => verifyRotation({ kind: 'x' })).toThrow(IdentityError);
  });

  it('a signed revocation list revokes DIDs (with or without fragment) and CIDs', () => {
    const admin = createIdentity();
    let list = createRevocationList(admin, [{ id: peer.did, at: NOW.toISOString(), reason: 'leaked' }], { now: NOW });
    list = addRevocation(list, admin, { id: 'bafyreiexample', at: NOW.toISOString() }, NOW);
    const r = verifyRevocationList(list, { issuer: admin.did });
    expect([r.isRevoked(peer.did), r.isRevoked(`${peer.did}#${peer.did.slice(8)}`), r.isRevoked('bafyreiexample'), r.isRevoked(me.did)]).toEqual([true, true, true, false]);
    expect(r.sequence).toBe(2);
  });

  it('refuses a list from another issuer, one with an entry removed after signing, and an older version', () => {
    const admin = createIdentity();
    const list = createRevocationList(admin, [{ id: peer.did, at: NOW.toISOString() }], { now: NOW, sequence: 3 });
    expect(() => verifyRevocationList(list, { issuer: mallory.did })).toThrow(/not by the trusted/);
    expect(() => verifyRevocationList({ ...list, entries: [] }, { issuer: admin.did })).toThrow(/does not verify/);
    expect(() => verifyRevocationList(list, { issuer: admin.did, minSequence: 4 })).toThrow(/older/);
    const forged = createRevocationList(mallory, [], { now: NOW, sequence: 9 });
    expect(() => verifyRevocationList({ ...forged, issuer: admin.did }, { issuer: admin.did })).toThrow(/does not verify/);
  });
});

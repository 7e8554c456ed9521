/**
 * UCAN delegation against an adversarial table: links that widen a command, a policy or the time
 * bounds, unknown and revoked issuers, swapped subjects, forged and tampered envelopes, chains too
 * deep; and the benign chains beside them (narrowing, powerlines, nested policies).
 */
import * as dagCbor from '@ipld/dag-cbor';
import { describe, expect, it } from 'vitest';
import { createIdentity, delegateUcan, invokeUcan, issueUcan, Revocations, UcanError, verifyUcanInvocation, type AgentKey, type UcanVerifyOptions } from '../../src/identity/index.js';
import { encodeEnvelope } from '../../src/identity/ucan/envelope.js';
import { NOW, NOW_S } from './helpers.js';

const alice = createIdentity(); // the subject
const bob = createIdentity();
const carol = createIdentity();
const dan = createIdentity();
const exp = NOW_S + 600;

interface Case {
  name: string;
  build: () => { invocation: Uint8Array; proofs: Uint8Array[]; options?: Partial<UcanVerifyOptions> };
  expect: string;
}

const root = (spec: Partial<Parameters<typeof issueUcan>[1]> = {}): Uint8Array => issueUcan(alice, { audience: bob.did, command: '/msg', expiration: exp, ...spec }).bytes;
const invoke = (who: AgentKey, proofs: Uint8Array[], spec: Partial<Parameters<typeof invokeUcan>[1]> = {}): Uint8Array => invokeUcan(who, { subject: alice.did, command: '/msg/send', args: { to: 'bob@example.com' }, proofs, expiration: exp, ...spec }).bytes;

/** A delegation encoded directly (the builder refuses to widen, an attacker does not use it). */
function rawDelegation(issuer: AgentKey, payload: Record<string, unknown>): Uint8Array {
  return encodeEnvelope(issuer.privateKey, 'ucan/dlg@1.0.0', { iss: issuer.did, nonce: new Uint8Array(12), exp, pol: [], ...payload });
}

const table: Case[] = [
  // benign
  { name: 'a self-issued invocation (the subject invokes)', build: () => ({ invocation: invoke(alice, []), proofs: [] }), expect: 'ok' },
  { name: 'one delegation, command narrowed at invocation', build: () => { const r = root(); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'ok' },
  { name: 'two delegations, each narrowing the command', build: () => { const r = root(); const c = delegateUcan(bob, { audience: carol.did, command: '/msg/send', expiration: exp, proof: r }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'ok' },
  { name: 'a powerline (null subject) link in the middle', build: () => { const r = root(); const c = delegateUcan(bob, { audience: carol.did, subject: null, command: '/msg', expiration: exp, proof: r }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'ok' },
  { name: 'policies on two links, both satisfied', build: () => { const r = root({ policy: [['like', '.to', '*@example.com']] }); const c = delegateUcan(bob, { audience: carol.did, command: '/msg/send', policy: [['==', '.to', 'bob@example.com']], expiration: exp, proof: r }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'ok' },
  { name: 'a narrower time window on the child', build: () => { const r = root({ notBefore: NOW_S - 100 }); const c = delegateUcan(bob, { audience: carol.did, command: '/msg', notBefore: NOW_S - 50, expiration: exp - 10, proof: r }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'ok' },
  { name: 'proofs given in another order than prf (found by CID)', build: () => { const r = root(); const c = delegateUcan(bob, { audience: carol.did, command: '/msg/send', expiration: exp, proof: r }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [c, r] }; }, expect: 'ok' },
  { name: 'an invocation addressed to this executor', build: () => { const r = root(); return { invocation: invoke(bob, [r], { audience: dan.did }), proofs: [r], options: { audience: dan.did } }; }, expect: 'ok' },
  { name: 'the "/" (top) command delegated, then narrowed', build: () => { const r = root({ command: '/' }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'ok' },
  { name: 'a nested quantifier policy the args satisfy', build: () => { const r = root({ policy: [['all', '.lists', ['any', '.members', ['==', '.', 'bob']]]] }); return { invocation: invoke(bob, [r], { args: { lists: { a: { members: ['bob', 'x'] }, b: { members: ['bob'] } } } }), proofs: [r] }; }, expect: 'ok' },
  { name: 'an empty "or" (true by the spec) and a numeric bound', build: () => { const r = root({ policy: [['or', []], ['<=', '.amount', 100]] }); return { invocation: invoke(bob, [r], { args: { amount: 99.5 } }), proofs: [r] }; }, expect: 'ok' },
  { name: 'an invocation with iat and meta', build: () => { const r = root(); return { invocation: invoke(bob, [r], { issuedAt: NOW_S, meta: { trace: 'abc' } }), proofs: [r] }; }, expect: 'ok' },
  { name: 'a root active since a past nbf', build: () => { const r = root({ notBefore: NOW_S - 3600 }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'ok' },
  { name: 'a three-link chain', build: () => { const r = root(); const c = delegateUcan(bob, { audience: carol.did, command: '/msg', expiration: exp, proof: r }).bytes; const d = delegateUcan(carol, { audience: dan.did, command: '/msg/send', expiration: exp, proof: c }).bytes; return { invocation: invoke(dan, [r, c, d]), proofs: [r, c, d] }; }, expect: 'ok' },
  { name: 'a chain exactly at the depth limit', build: () => { const r = root(); const c = delegateUcan(bob, { audience: carol.did, command: '/msg', expiration: exp, proof: r }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [r, c], options: { maxDepth: 2 } }; }, expect: 'ok' },
  { name: 'an audience written with a key fragment (fragments are ignored)', build: () => { const r = rawDelegation(alice, { aud: `${bob.did}#${bob.did.slice(8)}`, sub: alice.did, cmd: '/msg' }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'ok' },
  { name: 'a like pattern with an escaped star', build: () => { const r = root({ policy: [['like', '.note', 'a\\*b*']] }); return { invocation: invoke(bob, [r], { args: { note: 'a*b and more' } }), proofs: [r] }; }, expect: 'ok' },
  { name: 'a policy on a missing optional field (.cc? is null)', build: () => { const r = root({ policy: [['==', '.cc?', null]] }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'ok' },
  // attacks
  { name: 'a link that widens the command (child "/" under "/msg")', build: () => { const r = root(); const c = rawDelegation(bob, { aud: carol.did, sub: alice.did, cmd: '/' }); return { invocation: invoke(carol, [r, c], { command: '/admin' }), proofs: [r, c] }; }, expect: 'InvalidClaim' },
  { name: 'a link to a sibling that shares a prefix ("/msgx" under "/msg")', build: () => { const r = root(); const c = rawDelegation(bob, { aud: carol.did, sub: alice.did, cmd: '/msgx' }); return { invocation: invoke(carol, [r, c], { command: '/msgx' }), proofs: [r, c] }; }, expect: 'InvalidClaim' },
  { name: 'an invocation outside the delegated command', build: () => { const r = root(); return { invocation: invoke(bob, [r], { command: '/admin/delete' }), proofs: [r] }; }, expect: 'InvalidClaim' },
  { name: 'a link that drops its parent\'s policy (args the parent forbids)', build: () => { const r = root({ policy: [['like', '.to', '*@example.com']] }); const c = rawDelegation(bob, { aud: carol.did, sub: alice.did, cmd: '/msg', pol: [] }); return { invocation: invoke(carol, [r, c], { args: { to: 'mallory@evil.example' } }), proofs: [r, c] }; }, expect: 'MatchError' },
  { name: 'a link that outlives its parent', build: () => { const r = root({ expiration: exp - 100 }); const c = rawDelegation(bob, { aud: carol.did, sub: alice.did, cmd: '/msg', exp }); return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'InvalidClaim' },
  { name: 'a link that never expires under an expiring parent', build: () => { const r = root(); const c = rawDelegation(bob, { aud: carol.did, sub: alice.did, cmd: '/msg', exp: null }); return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'InvalidClaim' },
  { name: 'an issuer that is not a did:key and cannot be resolved (unknown issuer)', build: () => { const r = root(); const c = encodeEnvelope(carol.privateKey, 'ucan/dlg@1.0.0', { iss: 'did:web:evil.example', aud: carol.did, sub: alice.did, cmd: '/msg', pol: [], nonce: new Uint8Array(12), exp }); return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'InvalidSignature' },
  { name: 'a link signed by someone other than its issuer', build: () => { const r = root(); const c = encodeEnvelope(carol.privateKey, 'ucan/dlg@1.0.0', { iss: bob.did, aud: carol.did, sub: alice.did, cmd: '/msg', pol: [], nonce: new Uint8Array(12), exp }); return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'InvalidSignature' },
  { name: 'a root issued by someone other than the subject', build: () => { const r = rawDelegation(bob, { aud: carol.did, sub: alice.did, cmd: '/msg' }); return { invocation: invoke(carol, [r]), proofs: [r] }; }, expect: 'InvalidSubject' },
  { name: 'a powerline as the root', build: () => { const r = rawDelegation(alice, { aud: bob.did, sub: null, cmd: '/msg' }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'InvalidClaim' },
  { name: 'a link about another subject', build: () => { const r = root(); const c = rawDelegation(bob, { aud: carol.did, sub: dan.did, cmd: '/msg' }); return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'InvalidSubject' },
  { name: 'an invocation about another subject than its proofs', build: () => { const r = root(); return { invocation: invoke(bob, [r], { subject: dan.did }), proofs: [r] }; }, expect: 'InvalidSubject' },
  { name: 'a chain broken between links (aud is not the next iss)', build: () => { const r = root(); const c = delegateUcan(dan, { audience: carol.did, subject: alice.did, command: '/msg', expiration: exp, proof: rawDelegation(alice, { aud: dan.did, sub: alice.did, cmd: '/msg' }) }).bytes; return { invocation: invoke(carol, [r, c]), proofs: [r, c] }; }, expect: 'InvalidAudience' },
  { name: 'an invocation by someone the last link is not delegated to', build: () => { const r = root(); return { invocation: invoke(dan, [r]), proofs: [r] }; }, expect: 'InvalidAudience' },
  { name: 'an invocation for another executor', build: () => { const r = root(); return { invocation: invoke(bob, [r], { audience: carol.did }), proofs: [r], options: { audience: dan.did } }; }, expect: 'InvalidAudience' },
  { name: 'a revoked delegation', build: () => { const r = issueUcan(alice, { audience: bob.did, command: '/msg', expiration: exp }); return { invocation: invoke(bob, [r.bytes]), proofs: [r.bytes], options: { revocations: new Revocations([r.cid]) } }; }, expect: 'InvalidClaim' },
  { name: 'a revoked issuer', build: () => { const r = root(); return { invocation: invoke(bob, [r]), proofs: [r], options: { revocations: new Revocations([bob.did]) } }; }, expect: 'InvalidClaim' },
  { name: 'a proof that was not provided', build: () => { const r = root(); return { invocation: invoke(bob, [r]), proofs: [] }; }, expect: 'UnavailableProof' },
  { name: 'an expired proof', build: () => { const r = root({ expiration: NOW_S - 1 }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'Expired' },
  { name: 'a proof not valid yet', build: () => { const r = root({ notBefore: NOW_S + 60 }); return { invocation: invoke(bob, [r]), proofs: [r] }; }, expect: 'TooEarly' },
  { name: 'an expired invocation', build: () => { const r = root(); return { invocation: invoke(bob, [r], { expiration: NOW_S - 1 }), proofs: [r] }; }, expect: 'Expired' },
  { name: 'a tampered invocation (command changed, signature kept)', build: () => { const r = root(); const inv = dagCbor.decode(invoke(bob, [r])) as [Uint8Array, Record<string, Record<string, unknown>>]; (inv[1]['ucan/inv@1.0.0'] as Record<string, unknown>).cmd = '/msg/delete'; return { invocation: dagCbor.encode(inv), proofs: [r] }; }, expect: 'InvalidSignature' },
  { name: 'a varsig header for another algorithm', build: () => { const r = root(); const inv = dagCbor.decode(invoke(bob, [r])) as [Uint8Array, Record<string, unknown>]; inv[1].h = new Uint8Array([0x34, 0x01, 0xec, 0x01, 0x12, 0x71]); return { invocation: dagCbor.encode(inv), proofs: [r] }; }, expect: 'InvalidSignature' },
  { name: 'a chain deeper than the limit', build: () => { let holder = alice; const proofs: Uint8Array[] = []; for (let i = 0; i < 4; i++) { const next = createIdentity(); proofs.push((i === 0 ? issueUcan(holder, { audience: next.did, command: '/msg', expiration: exp }) : delegateUcan(holder, { audience: next.did, command: '/msg', expiration: exp, proof: proofs[i - 1] })).bytes); holder = next; } return { invocation: invoke(holder, proofs), proofs, options: { maxDepth: 3 } }; }, expect: 'InvalidClaim' },
  { name: 'garbage instead of an envelope', build: () => ({ invocation: new Uint8Array([1, 2, 3]), proofs: [] }), expect: 'InvalidClaim' },
  { name: 'a delegation presented as the invocation', build: () => { const r = root(); return { invocation: r, proofs: [] }; }, expect: 'InvalidClaim' },
];

describe('verifyUcanInvocation: an adversarial table', () => {
  it('has at least a third benign rows', () => {
    expect(table.filter((c) => c.expect === 'ok').length * 3).toBeGreaterThanOrEqual(table.length);
  });
  for (const c of table) {
    it(`${c.expect === 'ok' ? 'accepts' : `refuses (${c.expect})`}: ${c.name}`, () => {
      const { invocation, proofs, options } = c.build();
      const r = verifyUcanInvocation(invocation, proofs, { now: NOW, ...options });
      expect(r.ok ? 'ok' : r.error.name).toBe(c.expect);
    });
  }

  it('reports the chain root first, its depth, and the narrowed capabilities', () => {
    const r = root({ policy: [['like', '.to', '*@example.com']] });
    const c = delegateUcan(bob, { audience: carol.did, command: '/msg/send', policy: [['!=', '.to', 'ceo@example.com']], expiration: exp, proof: r }).bytes;
    const result = verifyUcanInvocation(invoke(carol, [r, c]), [r, c], { now: NOW });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.depth).toBe(2);
    expect(result.chain.map((l) => [l.issuer, l.audience, l.command])).toEqual([
      [alice.did, bob.did, '/msg'],
      [bob.did, carol.did, '/msg/send'],
    ]);
    expect(result.capabilities).toEqual({ subject: alice.did, command: '/msg/send', policy: [['like', '.to', '*@example.com'], ['!=', '.to', 'ceo@example.com']] });
  });
});

describe('delegateUcan refuses to widen', () => {
  const r = root({ policy: [['==', '.to', 'bob@example.com']], expiration: exp - 100 });
  const cases: Array<[string, () => unknown, string]> = [
    ['a wider command', () => delegateUcan(bob, { audience: carol.did, command: '/', expiration: exp - 200, proof: r }), 'InvalidClaim'],
    ['a later expiry', () => delegateUcan(bob, { audience: carol.did, command: '/msg', expiration: exp, proof: r }), 'InvalidClaim'],
    ['no expiry under an expiring proof', () => delegateUcan(bob, { audience: carol.did, command: '/msg', expiration: null, proof: r }), 'InvalidClaim'],
    ['a proof delegated to someone else', () => delegateUcan(dan, { audience: carol.did, command: '/msg', expiration: exp - 200, proof: r }), 'InvalidAudience'],
    ['another subject', () => delegateUcan(bob, { audience: carol.did, subject: dan.did, command: '/msg', expiration: exp - 200, proof: r }), 'InvalidSubject'],
    ['a root for someone else\'s subject', () => delegateUcan(bob, { audience: carol.did, subject: alice.did, command: '/msg', expiration: exp }), 'InvalidSubject'],
    ['a malformed policy', () => delegateUcan(bob, { audience: carol.did, command: '/msg', policy: [['~=', '.a', 1]], expiration: exp - 200, proof: r }), 'InvalidClaim'],
    ['an upper-case command', () => issueUcan(alice, { audience: bob.did, command: '/Msg', expiration: exp }), 'InvalidClaim'],
  ];
  for (const [name, run, want] of cases) {
    it(`refuses ${name} (${want})`, () => {
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UcanError);
      expect((err as UcanError).name).toBe(want);
    });
  }
  it('accepts a narrower command, an earlier expiry and an added policy', () => {
    const child = delegateUcan(bob, { audience: carol.did, command: '/msg/send', policy: [['!=', '.cc', 'x']], expiration: exp - 200, proof: r });
    expect(child.cid).toMatch(/^bafyrei/);
  });
});

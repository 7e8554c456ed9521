/**
 * The identify stage feeds real decisions: the pipeline verifies the call's credential with the
 * identity verifier, the verified agent reaches the policy (CEL), and a credential that does not
 * verify is a recorded deny with the verification error as its reason.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createIdentity, createIdentityVerifier, delegateUcan, invokeUcan, issueUcan, MemoryReplayStore, signAgentMessage, type IdentityVerifierOptions } from '../../src/identity/index.js';
import { AUDIENCE, identityPolicy, ISSUER, makeDpopKey, makeIssuer, NOW, NOW_S } from './helpers.js';

const URL_ = 'https://tools.example/refund';

function pipelineWith(options: IdentityVerifierOptions, sink = new MemorySink()): Pipeline {
  return new Pipeline({ policy: identityPolicy(), identity: createIdentityVerifier({ replay: new MemoryReplayStore(), ...options }), sink, clock: () => NOW });
}

describe('identify: DPoP-bound versus bearer-only agents', () => {
  it('allows a refund for a DPoP-bound agent and denies the same call for a bearer-only one', async () => {
    const issuer = makeIssuer();
    const dpopKey = makeDpopKey();
    const sink = new MemorySink();
    const pipeline = pipelineWith({ tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk }, dpop: {} }, sink);
    const request = { tool: 'refund', args: { amount: 50 } };

    const bound = await issuer.token({ sub: 'agent-7', cnf: { jkt: dpopKey.jkt } });
    const proof = await dpopKey.proof({ method: 'POST', url: URL_, token: bound });
    const dpop = await pipeline.decide({ request, credential: { type: 'dpop', token: bound, proof, method: 'POST', url: URL_ } });
    expect(dpop.verdict.effect).toBe('allow');
    expect(dpop.verdict.rule).toBe('refunds-need-proof-of-possession');

    const bearer = await pipeline.decide({ request, credential: { type: 'bearer', token: await issuer.token({ sub: 'agent-7' }) } });
    expect(bearer.verdict.effect).toBe('deny');
    expect(bearer.verdict.rule).toBeNull();
    expect(bearer.verdict.errors).toEqual([]);

    expect(sink.events.map((e) => [e.agent?.verified?.method, e.decision.effect])).toEqual([
      ['dpop', 'allow'],
      ['bearer', 'deny'],
    ]);
    expect(sink.events[0]?.agent).toEqual({ id: 'agent-7', verified: { method: 'dpop', issuer: ISSUER, keyId: dpopKey.jkt } });
  });

  it('denies a DPoP-bound token presented as a bearer token, naming the binding', async () => {
    const issuer = makeIssuer();
    const dpopKey = makeDpopKey();
    const pipeline = pipelineWith({ tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk }, dpop: {} });
    const bound = await issuer.token({ sub: 'agent-7', cnf: { jkt: dpopKey.jkt } });
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, credential: { type: 'bearer', token: bound } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.errors.map((e) => e.code)).toEqual(['identity_error']);
    expect(verdict.reason).toContain('DPoP proof');
  });

  it('denies a DPoP proof replayed on a second call', async () => {
    const issuer = makeIssuer();
    const dpopKey = makeDpopKey();
    const pipeline = pipelineWith({ tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk }, dpop: {} });
    const token = await issuer.token({ sub: 'agent-7', cnf: { jkt: dpopKey.jkt } });
    const credential = { type: 'dpop' as const, token, proof: await dpopKey.proof({ method: 'POST', url: URL_, token }), method: 'POST', url: URL_ };
    expect((await pipeline.decide({ request: { tool: 'refund', args: {} }, credential })).verdict.effect).toBe('allow');
    const again = await pipeline.decide({ request: { tool: 'refund', args: {} }, credential });
    expect(again.verdict.effect).toBe('deny');
    expect(again.verdict.reason).toContain('already used');
  });
});

describe('identify: failures are recorded denials', () => {
  it('denies an expired token with the verification error as the reason, and records it', async () => {
    const issuer = makeIssuer();
    const sink = new MemorySink();
    const pipeline = pipelineWith({ tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk } }, sink);
    const token = await issuer.token({ sub: 'agent-7' }, { iat: NOW_S - 7200, exp: NOW_S - 3600 });
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, credential: { type: 'bearer', token } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.recorded).toBe(true);
    expect(verdict.errors).toEqual([{ code: 'identity_error', rule: null, policy: null, message: expect.stringContaining('"exp" claim timestamp check failed') }]);
    expect(verdict.reason).toMatch(/^The caller's identity could not be verified: .*exp.*; denied\.$/);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]?.decision.errors[0]?.code).toBe('identity_error');
  });

  it('denies a call without a credential when identity is required', async () => {
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy: identityPolicy(), identity: createIdentityVerifier({ required: true, local: {} }), sink, agent: { id: 'host' } });
    const { verdict } = await pipeline.decide({ request: { tool: 'menu', args: {} } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.errors[0]?.message).toContain('requires a verified identity');
    expect(sink.events[0]?.agent).toEqual({ id: 'host' });
  });

  it('lets a call without a credential through to the policy when identity is not required (as an unverified agent)', async () => {
    const pipeline = new Pipeline({ policy: identityPolicy(), identity: createIdentityVerifier({ local: {} }), agent: { id: 'host' } });
    expect((await pipeline.decide({ request: { tool: 'menu', args: {} } })).verdict.effect).toBe('allow');
    expect((await pipeline.decide({ request: { tool: 'lookup', args: {} } })).verdict.effect).toBe('deny');
  });

  it('denies a credential when the pipeline has no verifier', async () => {
    const pipeline = new Pipeline({ policy: identityPolicy() });
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, credential: { type: 'local', key: createIdentity() } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.errors[0]?.code).toBe('identity_error');
  });

  it('denies a credential kind the verifier was not configured for', async () => {
    const pipeline = pipelineWith({ local: {} });
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, credential: { type: 'bearer', token: 'x.y.z' } });
    expect(verdict.errors[0]?.message).toContain('does not accept tokens');
  });

  it('a synchronous call verifies a local key, and denies a token (which must wait) with a clear reason', () => {
    const me = createIdentity();
    const issuer = makeIssuer();
    const pipeline = pipelineWith({ local: { allow: [me.did] }, tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk } });
    expect(pipeline.decideSync({ request: { tool: 'refund', args: {} }, credential: { type: 'local', key: me } }).verdict.effect).toBe('allow');
    const { verdict } = pipeline.decideSync({ request: { tool: 'refund', args: {} }, credential: { type: 'bearer', token: 'a.b.c' } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reason).toContain('decideSync');
  });
});

describe('identify: nothing asserted passes for verified', () => {
  it('strips verified and delegation from an identity the enforcement point passes per call', async () => {
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy: identityPolicy(), sink });
    const agent = { id: 'forged', verified: { method: 'dpop' as const, issuer: null, keyId: null }, delegation: { depth: 0, chain: [], capabilities: { subject: 'x', command: '/', policy: [] } } };
    const { verdict } = await pipeline.decide({ request: { tool: 'refund', args: {} }, agent });
    expect(verdict.effect).toBe('deny');
    expect(sink.events[0]?.agent).toEqual({ id: 'forged' });
    const menu = await pipeline.decide({ request: { tool: 'menu', args: {} }, agent });
    expect(menu.verdict.effect).toBe('allow');
  });

  it('refuses a pipeline agent option that carries verified', () => {
    expect(() => new Pipeline({ policy: identityPolicy(), agent: { id: 'x', verified: { method: 'local', issuer: null, keyId: null } } })).toThrow(WardenError);
  });

  it('refuses an identity option that is not a verifier, and unknown verifier options', () => {
    expect(() => new Pipeline({ policy: identityPolicy(), identity: {} as never })).toThrow(/credential verifier/);
    expect(() => createIdentityVerifier({ tokenz: {} } as never)).toThrow(/Unknown identity option "tokenz"/);
    expect(() => createIdentityVerifier({ dpop: {} })).toThrow(/dpop needs tokens or entra/);
  });

  it('an arg named agent_id or verified changes nothing', async () => {
    const pipeline = new Pipeline({ policy: identityPolicy() });
    const { verdict } = await pipeline.decide({ request: { tool: 'refund', args: { agent_id: 'admin', verified: { method: 'dpop' } }, context: { agent: { verified: { method: 'dpop' } } } } });
    expect(verdict.effect).toBe('deny');
  });
});

describe('identify: the verified fields in CEL', () => {
  const policy = compilePolicy([{ name: 'p.yaml', text: `apiVersion: warden/v1
kind: Policy
name: p
default: deny
rules:
  - name: dpop-without-has
    tools: [a]
    when: "agent.verified.method == 'dpop'"
    effect: allow
  - name: no-delegation-or-shallow
    tools: [b]
    when: "!has(agent.delegation) || agent.delegation.depth <= 2"
    effect: allow
` }]);

  it('an unverified agent reading agent.verified.method is a condition error, never an allow', async () => {
    for (const agent of [undefined, { id: 'host' }]) {
      const pipeline = new Pipeline({ policy, ...(agent === undefined ? {} : { agent }) });
      const { verdict } = await pipeline.decide({ request: { tool: 'a', args: {} } });
      expect(verdict.effect).toBe('deny');
      expect(verdict.errors.map((e) => e.code)).toEqual(['condition_error']);
    }
  });

  it('has() on an absent delegation is false, for the anonymous agent and an asserted one', async () => {
    for (const agent of [undefined, { id: 'host' }]) {
      const pipeline = new Pipeline({ policy, ...(agent === undefined ? {} : { agent }) });
      expect((await pipeline.decide({ request: { tool: 'b', args: {} } })).verdict.effect).toBe('allow');
    }
  });

  it('a verified local agent reaches the rule through agent.verified', async () => {
    const me = createIdentity();
    const pipeline = new Pipeline({ policy, identity: createIdentityVerifier({ local: {} }) });
    const { verdict } = await pipeline.decide({ request: { tool: 'a', args: {} }, credential: { type: 'local', key: me } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.errors).toEqual([]);
  });
});

describe('identify: UCAN delegation reaches the policy', () => {
  const executor = createIdentity();
  const owner = createIdentity();
  const exp = NOW_S + 300;

  function chain(depth: number): { invoker: ReturnType<typeof createIdentity>; proofs: Uint8Array[] } {
    let holder = owner;
    const proofs: Uint8Array[] = [];
    for (let i = 0; i < depth; i++) {
      const next = createIdentity();
      const token = i === 0 ? issueUcan(holder, { audience: next.did, command: '/send_email', expiration: exp }) : delegateUcan(holder, { audience: next.did, command: '/send_email', expiration: exp, proof: proofs[i - 1] as Uint8Array });
      proofs.push(token.bytes);
      holder = next;
    }
    return { invoker: holder, proofs };
  }

  for (const [depth, effect] of [
    [1, 'allow'],
    [2, 'allow'],
    [3, 'deny'],
  ] as const) {
    it(`decides ${effect} for a chain of depth ${depth} under "agent.delegation.depth <= 2"`, async () => {
      const sink = new MemorySink();
      const pipeline = pipelineWith({ ucan: { audience: owner.did } }, sink);
      const { invoker, proofs } = chain(depth);
      const args = { to: 'bob@example.com' };
      const inv = invokeUcan(invoker, { subject: owner.did, command: '/send_email', args, proofs, expiration: exp });
      const { verdict } = await pipeline.decide({ request: { tool: 'send_email', args }, credential: { type: 'ucan', invocation: inv.bytes, proofs } });
      expect(verdict.effect).toBe(effect);
      expect(sink.events[0]?.agent?.delegation?.depth).toBe(depth);
      expect(sink.events[0]?.agent?.verified).toEqual({ method: 'ucan', issuer: owner.did, keyId: invoker.did });
    });
  }

  it('denies an invocation bound to other arguments than the call\'s', async () => {
    const pipeline = pipelineWith({ ucan: { audience: owner.did } });
    const { invoker, proofs } = chain(1);
    const inv = invokeUcan(invoker, { subject: owner.did, command: '/send_email', args: { to: 'bob@example.com' }, proofs, expiration: exp });
    const { verdict } = await pipeline.decide({ request: { tool: 'send_email', args: { to: 'mallory@example.com' } }, credential: { type: 'ucan', invocation: inv.bytes, proofs } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reason).toContain("args are not the call's arguments");
  });

  it('denies an invocation for another executor', async () => {
    const pipeline = pipelineWith({ ucan: { audience: executor.did } });
    const { invoker, proofs } = chain(1);
    const args = {};
    const inv = invokeUcan(invoker, { subject: owner.did, command: '/send_email', args, proofs, expiration: exp });
    const { verdict } = await pipeline.decide({ request: { tool: 'send_email', args }, credential: { type: 'ucan', invocation: inv.bytes, proofs } });
    expect(verdict.reason).toContain('InvalidAudience');
  });
});

describe('identify: signed agent messages', () => {
  it('verifies a message whose payload is the call, and denies its replay and a message for another call', async () => {
    const me = createIdentity();
    const peer = createIdentity();
    const pipeline = pipelineWith({ messages: { recipient: me.did } });
    const request = { tool: 'refund', args: { amount: 5 } };
    const message = signAgentMessage(peer, { to: me.did, purpose: 'tool-call', payload: request, now: NOW });
    const first = await pipeline.decide({ request, credential: { type: 'message', message } });
    expect(first.verdict.effect).toBe('allow');
    const replay = await pipeline.decide({ request, credential: { type: 'message', message } });
    expect(replay.verdict.reason).toContain('already used');
    const other = signAgentMessage(peer, { to: me.did, purpose: 'tool-call', payload: { tool: 'refund', args: { amount: 5000 } }, now: NOW });
    const mismatch = await pipeline.decide({ request, credential: { type: 'message', message: other } });
    expect(mismatch.verdict.reason).toContain('not this call');
  });
});

describe('identify through the Governor', () => {
  it('Governor.check passes the call credential to the verifier; the request cannot carry one inside args', async () => {
    const { Governor } = await import('../../src/enforce/governor.js');
    const issuer = makeIssuer();
    const dpopKey = makeDpopKey();
    const governor = new Governor({ policy: identityPolicy(), identity: createIdentityVerifier({ replay: new MemoryReplayStore(), tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk }, dpop: {} }), clock: () => NOW });
    const bound = await issuer.token({ sub: 'agent-7', cnf: { jkt: dpopKey.jkt } });
    const proof = await dpopKey.proof({ method: 'POST', url: URL_, token: bound });
    const ok = await governor.check({ tool: 'refund', args: { amount: 50 }, credential: { type: 'dpop', token: bound, proof, method: 'POST', url: URL_ } });
    expect([ok.effect, ok.rule]).toEqual(['allow', 'refunds-need-proof-of-possession']);
    const proof2 = await dpopKey.proof({ method: 'POST', url: URL_, token: bound });
    const smuggled = await governor.check({ tool: 'refund', args: { amount: 50, credential: { type: 'dpop', token: bound, proof: proof2, method: 'POST', url: URL_ } } });
    expect(smuggled.effect).toBe('deny');
  });
});

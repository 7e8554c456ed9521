/**
 * Calls that run within an allowed call (a sandboxed command's execs and connections) act as that
 * call's agent, verified identity included, without presenting its one-time credential again. Only
 * a verdict the same pipeline returned for an allowed call carries an identity; anything else is a
 * recorded deny with a reason.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import type { Verdict } from '../../src/enforce/verdict.js';
import { createIdentityVerifier, MemoryReplayStore } from '../../src/identity/index.js';
import { AUDIENCE, identityPolicy, ISSUER, makeDpopKey, makeIssuer, NOW } from './helpers.js';

const URL_ = 'https://tools.example/refund';

async function setup(required = false): Promise<{ pipeline: Pipeline; sink: MemorySink; parent: Verdict; other: Pipeline }> {
  const issuer = makeIssuer();
  const dpopKey = makeDpopKey();
  const sink = new MemorySink();
  const verifier = (): ReturnType<typeof createIdentityVerifier> => createIdentityVerifier({ replay: new MemoryReplayStore(), tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk }, dpop: {}, required });
  const pipeline = new Pipeline({ policy: identityPolicy(), identity: verifier(), sink, clock: () => NOW });
  const other = new Pipeline({ policy: identityPolicy(), identity: verifier(), sink: new MemorySink(), clock: () => NOW });
  const token = await issuer.token({ sub: 'agent-7', cnf: { jkt: dpopKey.jkt } });
  const proof = await dpopKey.proof({ method: 'POST', url: URL_, token });
  const { verdict } = await pipeline.decide({ request: { tool: 'refund', args: { amount: 5 } }, credential: { type: 'dpop', token, proof, method: 'POST', url: URL_ } });
  expect(verdict.effect).toBe('allow');
  return { pipeline, sink, parent: verdict, other };
}

describe('within: a call inside an allowed call acts as its verified agent', () => {
  it('allows a lookup within a DPoP-verified refund, and records the verified agent on it', async () => {
    const { pipeline, sink, parent } = await setup();
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, within: parent });
    expect(verdict.effect).toBe('allow');
    expect(verdict.rule).toBe('lookups-by-anyone-verified');
    expect(sink.events[1]?.agent).toEqual({ id: 'agent-7', verified: { method: 'dpop', issuer: ISSUER, keyId: expect.any(String) } });
    expect(pipeline.actingAgent(parent)?.verified?.method).toBe('dpop');
  });

  it('allows it under a verifier that requires a verified identity, where the same call without within is denied', async () => {
    const { pipeline, parent } = await setup(true);
    expect((await pipeline.decide({ request: { tool: 'lookup', args: {} }, within: parent })).verdict.effect).toBe('allow');
    const alone = (await pipeline.decide({ request: { tool: 'lookup', args: {} } })).verdict;
    expect(alone.effect).toBe('deny');
    expect(alone.reason).toContain('requires a verified identity');
  });

  it('lets many calls run within the same parent (the credential is not spent again)', async () => {
    const { pipeline, parent } = await setup();
    for (let i = 0; i < 3; i++) expect((await pipeline.decide({ request: { tool: 'refund', args: { amount: i } }, within: parent })).verdict.effect).toBe('allow');
  });
});

describe('within: anything but a live allowed verdict of this pipeline denies', () => {
  const cases: Array<{ name: string; within: (p: { parent: Verdict; pipeline: Pipeline; other: Pipeline }) => Promise<unknown> | unknown; says: string }> = [
    { name: 'a copy of the allowed verdict (same fields, another object)', within: ({ parent }) => ({ ...parent }), says: 'not an allowed call of this pipeline' },
    { name: 'a JSON round trip of the verdict', within: ({ parent }) => JSON.parse(JSON.stringify(parent)) as unknown, says: 'not an allowed call of this pipeline' },
    { name: 'a hand-made verdict naming the agent as verified', within: () => ({ effect: 'allow', allowed: true, call: 'c1', agent: { id: 'agent-7', verified: { method: 'dpop' } } }), says: 'not an allowed call of this pipeline' },
    { name: 'a denied verdict of this pipeline', within: async ({ pipeline }) => (await pipeline.decide({ request: { tool: 'refund', args: {} } })).verdict, says: 'not an allowed call of this pipeline' },
    { name: 'an allowed verdict of another pipeline', within: async ({ other }) => (await other.decide({ request: { tool: 'menu', args: {} } })).verdict, says: 'not an allowed call of this pipeline' },
    { name: 'null', within: () => null, says: 'not an allowed call of this pipeline' },
    { name: 'a string naming the parent call id', within: ({ parent }) => parent.call, says: 'not an allowed call of this pipeline' },
  ];
  for (const c of cases) {
    it(`denies a lookup within ${c.name}`, async () => {
      const p = await setup();
      const within = (await c.within(p)) as Verdict;
      const { verdict } = await p.pipeline.decide({ request: { tool: 'lookup', args: {} }, within });
      expect(verdict.effect).toBe('deny');
      expect(verdict.errors.map((e) => e.code)).toEqual(['identity_error']);
      expect(verdict.reason).toContain(c.says);
      expect(verdict.recorded).toBe(true);
    });
  }

  it('denies a call within the parent that also names an agent, even the same one', async () => {
    const { pipeline, parent } = await setup();
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, within: parent, agent: { id: 'agent-7' } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reason).toContain('cannot also name an agent or carry a credential');
  });

  it('denies a call within the parent that also carries a credential', async () => {
    const { pipeline, parent } = await setup();
    const { verdict } = await pipeline.decide({ request: { tool: 'lookup', args: {} }, within: parent, credential: { type: 'bearer', token: 'x' } });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reason).toContain('cannot also name an agent or carry a credential');
  });

  it('gives no acting agent for a denied verdict, a copy, or another pipeline\u2019s verdict', async () => {
    const { pipeline, parent, other } = await setup();
    const denied = (await pipeline.decide({ request: { tool: 'refund', args: {} } })).verdict;
    const foreign = (await other.decide({ request: { tool: 'menu', args: {} } })).verdict;
    expect(pipeline.actingAgent(denied)).toBeUndefined();
    expect(pipeline.actingAgent({ ...parent })).toBeUndefined();
    expect(pipeline.actingAgent(foreign)).toBeUndefined();
    expect(other.actingAgent(foreign)).toBeNull();
  });

  it('a call within an unverified allowed call acts as that unverified agent (no identity is added)', async () => {
    const { pipeline } = await setup();
    const menu = (await pipeline.decide({ request: { tool: 'menu', args: {} }, agent: { id: 'kiosk' } })).verdict;
    expect(menu.effect).toBe('allow');
    const inner = await pipeline.decide({ request: { tool: 'lookup', args: {} }, within: menu });
    expect(inner.verdict.effect).toBe('deny');
    expect(pipeline.actingAgent(menu)).toEqual({ id: 'kiosk' });
    expect((await pipeline.decide({ request: { tool: 'menu', args: {} }, within: menu })).verdict.effect).toBe('allow');
  });
});

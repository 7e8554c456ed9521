import type { IncomingMessage } from 'node:http';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AgentIdentity } from '../../src/decision.js';
import { RemoteJwks, type JwksFetch, type PublicJwk } from '../../src/identity/index.js';
import { createAuthenticator } from '../../src/server/auth.js';
import { VerifiedTokenCache } from '../../src/server/token-cache.js';
import { AUDIENCE, ISSUER, makeIssuer, NOW, NOW_S } from '../identity/helpers.js';

const ISS = 'https://idp.test';
const AUD = 'warden-serve';
const SECRET = new TextEncoder().encode('an-hmac-secret-of-at-least-32-bytes!!');
const T0 = 1_900_000_000; // seconds
const at = (seconds: number): Date => new Date(seconds * 1000);
const agent: AgentIdentity = Object.freeze({ id: 'a' });

/** A request carrying one Authorization header, as node:http gives it (on `socket`, when given). */
function requestWith(authorization: string, socket?: object): IncomingMessage {
  return { rawHeaders: ['Authorization', authorization], headers: { authorization }, ...(socket !== undefined ? { socket } : {}) } as unknown as IncomingMessage;
}

const hmacToken = (claims: Record<string, unknown>): Promise<string> => new SignJWT({ iss: ISS, aud: AUD, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);

describe('VerifiedTokenCache: a verified token is reused only while it would still verify', () => {
  const remembered = (options: ConstructorParameters<typeof VerifiedTokenCache>[0], facts: { exp: number; nbf?: number }, verifiedAt = T0): VerifiedTokenCache => {
    const cache = new VerifiedTokenCache(options);
    cache.set('k', { agent, ...facts }, at(verifiedAt), 0);
    return cache;
  };
  // [case, options, facts, asked at (s), generation, remembered?]
  const cases: Array<[string, ConstructorParameters<typeof VerifiedTokenCache>[0], { exp: number; nbf?: number }, number, number, boolean]> = [
    ['the same second it was verified', {}, { exp: T0 + 60 }, T0, 0, true],
    ['a few seconds later, inside exp and the max age', {}, { exp: T0 + 60 }, T0 + 5, 0, true],
    ['inside the clock tolerance after exp', { clockToleranceSeconds: 30 }, { exp: T0 + 5 }, T0 + 9, 0, true],
    ['with an nbf already passed', {}, { exp: T0 + 60, nbf: T0 - 1 }, T0 + 1, 0, true],
    ['at exp exactly (exp is exclusive, as jose has it)', {}, { exp: T0 + 5 }, T0 + 5, 0, false],
    ['after exp', {}, { exp: T0 + 5 }, T0 + 6, 0, false],
    ['after exp plus the tolerance', { clockToleranceSeconds: 3 }, { exp: T0 + 5 }, T0 + 8, 0, false],
    ['after the max age, though exp is far away', { maxAgeMs: 10_000 }, { exp: T0 + 3600 }, T0 + 10, 0, false],
    ['under another key set generation (a refetched set may have dropped the key)', {}, { exp: T0 + 3600 }, T0 + 1, 1, false],
    ['when the clock went back before the verification', {}, { exp: T0 + 3600 }, T0 - 1, 0, false],
    ['before its nbf (a clock moved back)', {}, { exp: T0 + 3600, nbf: T0 }, T0 - 1, 0, false],
    ['with caching off (max age 0)', { maxAgeMs: 0 }, { exp: T0 + 3600 }, T0, 0, false],
  ];
  it.each(cases)('%s', (_name, options, facts, asked, generation, expected) => {
    const cache = remembered(options, facts);
    expect(cache.get('k', at(asked), generation)).toBe(expected ? agent : null);
  });

  it('forgets an entry once it is refused, and never remembers facts without a numeric exp', () => {
    const cache = remembered({}, { exp: T0 + 5 });
    expect(cache.get('k', at(T0 + 6), 0)).toBeNull();
    expect(cache.size).toBe(0);
    expect(cache.get('k', at(T0 + 1), 0)).toBeNull();
    for (const exp of [undefined, Number.NaN, Number.POSITIVE_INFINITY, '1900000100']) cache.set('x', { agent, exp: exp as number }, at(T0), 0);
    cache.set('y', { agent, exp: T0 + 60, nbf: 'soon' as unknown as number }, at(T0), 0);
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, forgetting the oldest', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) cache.set(k, { agent, exp: T0 + 60 }, at(T0), 0);
    expect(cache.size).toBe(2);
    expect(cache.get('a', at(T0), 0)).toBeNull();
    expect(cache.get('c', at(T0), 0)).toBe(agent);
  });

  it('keys entries by the SHA-256 of the token', () => {
    expect(VerifiedTokenCache.keyOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('createAuthenticator: verified JWTs are remembered within their validity', () => {
  it('answers a token seen before with the same identity, and refuses it once expired, though it was remembered', async () => {
    const authenticate = createAuthenticator({ jwt: { issuer: ISS, audience: AUD, secret: SECRET } });
    const token = await hmacToken({ sub: 'agent-1', exp: T0 + 30 });
    const first = await authenticate(requestWith(`Bearer ${token}`), at(T0));
    const again = await authenticate(requestWith(`Bearer ${token}`), at(T0 + 2));
    expect(first).toMatchObject({ ok: true, agent: { id: 'agent-1', verified: { method: 'bearer', issuer: ISS } } });
    // The same frozen object: the cache answered, and the pipeline reuses its serialized form.
    expect(again.ok && first.ok && again.agent === first.agent).toBe(true);
    expect(Object.isFrozen(first.ok ? first.agent : null)).toBe(true);
    expect(await authenticate(requestWith(`Bearer ${token}`), at(T0 + 30))).toMatchObject({ ok: false, reason: expect.stringMatching(/did not verify/) });
  });

  it('verifies a remembered token again after the max age, and then sees that it is not valid yet to a clock that went back', async () => {
    const authenticate = createAuthenticator({ jwt: { issuer: ISS, audience: AUD, secret: SECRET } });
    const token = await hmacToken({ sub: 'agent-2', exp: T0 + 3600, nbf: T0 });
    expect((await authenticate(requestWith(`Bearer ${token}`), at(T0))).ok).toBe(true);
    expect((await authenticate(requestWith(`Bearer ${token}`), at(T0 - 5))).ok).toBe(false);
    expect((await authenticate(requestWith(`Bearer ${token}`), at(T0 + 60))).ok).toBe(true);
  });

  // Tokens near a remembered one: only the remembered token itself (in any accepted form of the header) passes.
  it('accepts nothing but the remembered token itself', async () => {
    const authenticate = createAuthenticator({ jwt: { issuer: ISS, audience: AUD, secret: SECRET } });
    const token = await hmacToken({ sub: 'agent-3', exp: T0 + 600 });
    const [head, payload, signature] = token.split('.') as [string, string, string];
    expect((await authenticate(requestWith(`Bearer ${token}`), at(T0))).ok).toBe(true);
    const otherPayload = Buffer.from(JSON.stringify({ iss: ISS, aud: AUD, sub: 'admin', exp: T0 + 600 })).toString('base64url');
    const flip = (s: string): string => `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
    const table: Array<[string, string, boolean]> = [
      ['the same token', `Bearer ${token}`, true],
      ['the same token, scheme in lower case', `bearer ${token}`, true],
      ['the same token, scheme in upper case', `BEARER ${token}`, true],
      ['another subject under the remembered signature', `Bearer ${head}.${otherPayload}.${signature}`, false],
      ['the signature altered', `Bearer ${head}.${payload}.${flip(signature)}`, false],
      ['the signature cut off', `Bearer ${head}.${payload}.`, false],
      ['the token with a character more', `Bearer ${token}A`, false],
      ['the token a character short', `Bearer ${token.slice(0, -1)}`, false],
      ['the token with trailing space', `Bearer ${token} `, false],
      ['two spaces after the scheme', `Bearer  ${token}`, false],
      ['the token without its scheme', token, false],
      ['another scheme', `Basic ${token}`, false],
    ];
    for (const [name, header, ok] of table) expect([name, (await authenticate(requestWith(header), at(T0 + 1))).ok]).toEqual([name, ok]);
  });

  it('does not remember a token that failed, so a bad token keeps failing', async () => {
    const authenticate = createAuthenticator({ jwt: { issuer: ISS, audience: 'another-audience', secret: SECRET } });
    const token = await hmacToken({ sub: 'agent-4', exp: T0 + 600 });
    for (let i = 0; i < 2; i++) expect((await authenticate(requestWith(`Bearer ${token}`), at(T0))).ok).toBe(false);
  });

  it('forgets remembered tokens when the key set is fetched again: a key dropped upstream is not honored from memory', async () => {
    const issuer = makeIssuer();
    let now = NOW.getTime();
    const state = { keys: [issuer.jwk] as PublicJwk[], calls: 0 };
    const fetch: JwksFetch = async () => {
      state.calls++;
      return { ok: true, status: 200, text: async () => JSON.stringify({ keys: state.keys }) };
    };
    const jwks = new RemoteJwks('https://idp.example/jwks', { fetch, ttlMs: 60_000, maxStaleMs: 600_000, cooldownMs: 1_000, clock: () => new Date(now) });
    const authenticate = createAuthenticator({ jwt: { issuer: ISSUER, audience: AUDIENCE, jwks, algorithms: ['EdDSA'] } });
    const token = await issuer.token({ sub: 'agent-5' }, { exp: NOW_S + 100_000 });
    expect((await authenticate(requestWith(`Bearer ${token}`), new Date(now))).ok).toBe(true);
    expect(jwks.generation).toBe(1);
    // The key is revoked upstream (another key now holds its kid); the next fetch (here forced) replaces the set.
    state.keys = [makeIssuer().jwk];
    await jwks.refresh();
    expect(jwks.generation).toBe(2);
    now += 1_000;
    expect(await authenticate(requestWith(`Bearer ${token}`), new Date(now))).toMatchObject({ ok: false });
    expect(state.calls).toBeGreaterThanOrEqual(2);
  });
});

describe('createAuthenticator: a static token is remembered per connection only', () => {
  const A = 'static-token-aaaaaaaaaaaaaaaa';
  const B = 'static-token-bbbbbbbbbbbbbbbb';

  it('accepts exactly the configured tokens on every connection, whatever the connection presented before', async () => {
    const authenticate = createAuthenticator({ tokens: [{ subject: 'bot-a', token: A }] });
    const one = {};
    const two = {};
    const asks: Array<[string, string, object, boolean]> = [
      ['a configured token', `Bearer ${A}`, one, true],
      ['the same token again on that connection', `Bearer ${A}`, one, true],
      ['an unknown token on the connection that was accepted', `Bearer ${B}`, one, false],
      ['the accepted token with a character more', `Bearer ${A}a`, one, false],
      ['the accepted token a character short', `Bearer ${A.slice(0, -1)}`, one, false],
      ['a prefix of the accepted token', `Bearer ${A.slice(0, 16)}`, one, false],
      ['no Authorization value after the scheme', 'Bearer ', one, false],
      ['the accepted token again after those', `Bearer ${A}`, one, true],
      ['an unknown token on a connection never accepted', `Bearer ${B}`, two, false],
      ['the configured token on that connection', `Bearer ${A}`, two, true],
    ];
    for (const [name, header, socket, ok] of asks) expect([name, (await authenticate(requestWith(header, socket), at(T0))).ok]).toEqual([name, ok]);
  });

  it('answers the one identity object of the token, remembered or not', async () => {
    const authenticate = createAuthenticator({ tokens: [{ subject: 'bot-a', token: A }] });
    const socket = {};
    const first = await authenticate(requestWith(`Bearer ${A}`, socket), at(T0));
    const again = await authenticate(requestWith(`Bearer ${A}`, socket), at(T0));
    const elsewhere = await authenticate(requestWith(`Bearer ${A}`), at(T0));
    expect(first.ok && again.ok && elsewhere.ok && first.agent === again.agent && again.agent === elsewhere.agent).toBe(true);
    expect(first).toMatchObject({ ok: true, agent: { id: 'bot-a', verified: { method: 'bearer' } } });
  });

  it('still refuses two Authorization headers on a connection that was accepted', async () => {
    const authenticate = createAuthenticator({ tokens: [{ subject: 'bot-a', token: A }] });
    const socket = {};
    expect((await authenticate(requestWith(`Bearer ${A}`, socket), at(T0))).ok).toBe(true);
    const twice = { rawHeaders: ['Authorization', `Bearer ${A}`, 'authorization', `Bearer ${A}`], headers: { authorization: `Bearer ${A}, Bearer ${A}` }, socket } as unknown as IncomingMessage;
    expect(await authenticate(twice, at(T0))).toMatchObject({ ok: false, reason: 'more than one Authorization header' });
  });
});

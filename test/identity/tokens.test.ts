/**
 * Agent tokens, DPoP proofs, Entra tokens and remote key sets against adversarial tables: algorithm
 * confusion, `none`, expiry, audience and tenant, replayed and foreign proofs, full replay stores.
 * About half of each table is benign, so false denies show too.
 */
import { createHash, createSecretKey, generateKeyPairSync, randomUUID, sign as nodeSign } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { createEntraVerifier, IdentityError, MemoryReplayStore, normalizeHtu, RemoteJwks, verifyAgentToken, verifyDpopProof, type AgentTokenOptions, type JwksFetch, type PublicJwk } from '../../src/identity/index.js';
import { AUDIENCE, ISSUER, makeDpopKey, makeIssuer, NOW, NOW_S } from './helpers.js';

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof IdentityError) return e.reason;
    if (e instanceof WardenError) return e.code;
    throw e;
  }
}

describe('verifyAgentToken: an adversarial table', () => {
  const issuer = makeIssuer();
  const other = makeIssuer();
  const base: AgentTokenOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuer.jwk, now: NOW };
  const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const esJwk = { ...(es.publicKey.export({ format: 'jwk' }) as PublicJwk), kid: 'es1' };
  const jwks = { keys: [issuer.jwk, esJwk] };
  const hmacWith = (secret: Uint8Array, claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(NOW_S).setExpirationTime(NOW_S + 600).sign(createSecretKey(secret));

  const table: Array<{ name: string; token: () => Promise<string>; options?: Partial<AgentTokenOptions>; expect: string }> = [
    // benign
    { name: 'a valid EdDSA token', token: () => issuer.token({ sub: 'a' }), expect: 'ok' },
    { name: 'an EdDSA token under an allowlist that names Ed25519', token: () => issuer.token({ sub: 'a' }), options: { algorithms: ['Ed25519'] }, expect: 'ok' },
    { name: 'a token whose header says Ed25519 under an allowlist that names EdDSA', token: () => issuer.token({ sub: 'a' }, { alg: 'Ed25519' }), expect: 'ok' },
    { name: 'a user-delegated token (act) names its actor', token: () => issuer.token({ sub: 'user-1', act: { sub: 'agent-9' } }), expect: 'ok' },
    { name: 'an expired token inside the clock tolerance', token: () => issuer.token({ sub: 'a' }, { exp: NOW_S - 5 }), options: { clockTolerance: 30 }, expect: 'ok' },
    { name: 'one of several accepted audiences', token: () => issuer.token({ sub: 'a' }, { aud: 'other-api' }), options: { audience: [AUDIENCE, 'other-api'] }, expect: 'ok' },
    { name: 'an ES256 token picked from a key set by kid', token: () => new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'ES256', kid: 'es1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(NOW_S + 60).sign(es.privateKey), options: { key: undefined, jwks, algorithms: ['ES256', 'EdDSA'] }, expect: 'ok' },
    { name: 'an EdDSA token from the same key set', token: () => issuer.token({ sub: 'a' }), options: { key: undefined, jwks }, expect: 'ok' },
    { name: 'one of several trusted issuers', token: () => issuer.token({ sub: 'a' }, { iss: 'https://idp2.example' }), options: { issuer: [ISSUER, 'https://idp2.example'] }, expect: 'ok' },
    { name: 'a fresh token under maxTokenAge', token: () => issuer.token({ sub: 'a' }), options: { maxTokenAge: 60 }, expect: 'ok' },
    { name: 'a token with the typ the verifier requires', token: () => new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(NOW_S + 60).sign(issuer.privateKey), options: { typ: 'at+jwt' }, expect: 'ok' },
    { name: 'a token with nbf in the past and extra claims', token: () => issuer.token({ sub: 'a', nbf: NOW_S - 60, roles: ['reader'], scp: 'tools.read', 'x-tenant': 't1' }), expect: 'ok' },
    { name: 'a token without a kid, verified with the one configured key', token: () => new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(NOW_S + 60).sign(issuer.privateKey), expect: 'ok' },
    { name: 'a DID as the subject', token: () => issuer.token({ sub: 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp' }), expect: 'ok' },
    { name: 'a token whose agent claim holds quotes, colons and non-ASCII', token: () => issuer.token({ sub: 'agent:"ü":7' }), expect: 'ok' },
    // attacks
    { name: 'alg none (unsecured JWT)', token: async () => new UnsecuredJWT({ sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 }).encode(), expect: 'algorithm' },
    { name: 'HS256 with the public key\'s bytes as the HMAC secret (key confusion)', token: () => hmacWith(Buffer.from(issuer.jwk.x as string, 'base64url'), { sub: 'a' }), expect: 'algorithm' },
    { name: 'HS256 with the JWK text as the HMAC secret (key confusion)', token: () => hmacWith(Buffer.from(JSON.stringify(issuer.jwk)), { sub: 'a' }), options: { key: undefined, jwks }, expect: 'algorithm' },
    { name: 'an ES256 token under an EdDSA-only allowlist', token: () => new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'ES256', kid: 'es1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(NOW_S + 60).sign(es.privateKey), options: { key: undefined, jwks }, expect: 'algorithm' },
    { name: 'an expired token', token: () => issuer.token({ sub: 'a' }, { exp: NOW_S - 1 }), expect: 'expired' },
    { name: 'a token not valid yet (nbf)', token: () => issuer.token({ sub: 'a', nbf: NOW_S + 300 }), expect: 'not_yet_valid' },
    { name: 'a token for another audience', token: () => issuer.token({ sub: 'a' }, { aud: 'https://other.example' }), expect: 'audience' },
    { name: 'a token from another issuer (signed by the trusted key)', token: () => issuer.token({ sub: 'a' }, { iss: 'https://evil.example' }), expect: 'issuer' },
    { name: 'a token signed by another key with the same kid', token: () => other.token({ sub: 'a' }), expect: 'signature' },
    { name: 'a token signed by another key, found in no key set', token: () => other.token({ sub: 'a' }, { kid: 'zz' }), options: { key: undefined, jwks }, expect: 'key' },
    { name: 'a token that carries its own key in the header (jwk injection)', token: () => new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'EdDSA', jwk: other.jwk }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(NOW_S + 60).sign(other.privateKey), expect: 'signature' },
    { name: 'a token without exp (never expires)', token: () => new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(issuer.privateKey), expect: 'claim' },
    { name: 'a token naming no agent', token: () => issuer.token({}), expect: 'claim' },
    { name: 'a tampered payload (sub swapped, signature kept)', token: async () => { const [h, , s] = (await issuer.token({ sub: 'a' })).split('.'); const p = Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 600 })).toString('base64url'); return `${h}.${p}.${s}`; }, expect: 'signature' },
    { name: 'a critical header the verifier does not know', token: async () => { const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', crit: ['x-bind'], 'x-bind': 1 })).toString('base64url'); const p = Buffer.from(JSON.stringify({ sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 })).toString('base64url'); return `${h}.${p}.${nodeSign(null, Buffer.from(`${h}.${p}`), issuer.privateKey).toString('base64url')}`; }, expect: 'malformed' },
    { name: 'a token over the size limit', token: () => issuer.token({ sub: 'a', pad: 'x'.repeat(20_000) }), expect: 'malformed' },
    { name: 'not a JWT at all', token: async () => 'not-a-token', expect: 'malformed' },
  ];

  for (const row of table) {
    it(`${row.expect === 'ok' ? 'accepts' : `refuses (${row.expect})`}: ${row.name}`, async () => {
      expect(await outcome(verifyAgentToken(await row.token(), { ...base, ...row.options }))).toBe(row.expect);
    });
  }

  it('maps the actor of a user-delegated token to the agent, and keeps the user', async () => {
    const v = await verifyAgentToken(await issuer.token({ sub: 'user-1', act: { sub: 'agent-9' } }), base);
    expect([v.agentId, v.onBehalfOf, v.keyId]).toEqual(['agent-9', 'user-1', 'k1']);
  });

  const unsafe: Array<[string, Partial<AgentTokenOptions>]> = [
    ['no algorithm allowlist', { algorithms: [] }],
    ['"none" on the allowlist', { algorithms: ['none'] }],
    ['an HMAC algorithm on the allowlist', { algorithms: ['HS256'] }],
    ['a private key as the verifying key', { key: { ...issuer.jwk, d: 'AAAA' } }],
    ['a symmetric key', { key: { kty: 'oct', k: 'AAAA' } as PublicJwk }],
    ['both a key and a key set', { jwks }],
    ['a key set that publishes a private key', { key: undefined, jwks: { keys: [{ ...issuer.jwk, d: 'AAAA' }] } }],
    ['an unknown option', { audiences: ['x'] } as never],
  ];
  for (const [name, options] of unsafe) {
    it(`refuses unsafe options: ${name}`, async () => {
      expect(await outcome(verifyAgentToken(await issuer.token({ sub: 'a' }), { ...base, ...options }))).toBe('ERR_OPTIONS');
    });
  }
});

describe('verifyDpopProof: every RFC 9449 check, as a table', () => {
  const key = makeDpopKey();
  const ecKey = makeDpopKey('ec');
  const thief = makeDpopKey();
  const URL_ = 'https://tools.example/refund';
  const token = 'access-token-1';
  const ath = createHash('sha256').update(token).digest('base64url');

  const table: Array<{ name: string; proof: () => Promise<string>; options?: Record<string, unknown>; expect: string }> = [
    // benign
    { name: 'a valid Ed25519 proof with ath and the bound key', proof: () => key.proof({ method: 'POST', url: URL_, token }), expect: 'ok' },
    { name: 'a valid ES256 proof', proof: () => ecKey.proof({ method: 'POST', url: URL_, token }), options: { jkt: ecKey.jkt }, expect: 'ok' },
    { name: 'htu with a query and fragment the request did not have', proof: () => key.proof({ method: 'POST', url: `${URL_}?a=1#f`, token }), expect: 'ok' },
    { name: 'htu in other case, with the default port and a dot segment', proof: () => key.proof({ method: 'POST', url: 'HTTPS://Tools.Example:443/x/../refund', token }), expect: 'ok' },
    { name: 'htu with a percent-encoded unreserved character', proof: () => key.proof({ method: 'POST', url: 'https://tools.example/%72efund', token }), expect: 'ok' },
    { name: 'a proof carrying the nonce the server issued', proof: () => key.proof({ method: 'POST', url: URL_, token, nonce: 'n-1' }), options: { nonce: ['n-0', 'n-1'] }, expect: 'ok' },
    { name: 'iat a little in the future, inside the skew', proof: () => key.proof({ method: 'POST', url: URL_, token, iat: NOW_S + 3 }), expect: 'ok' },
    { name: 'iat 50 s ago, inside the window', proof: () => key.proof({ method: 'POST', url: URL_, token, iat: NOW_S - 50 }), expect: 'ok' },
    { name: 'a nonce accepted by a check function', proof: () => key.proof({ method: 'POST', url: URL_, token, nonce: 'srv-42' }), options: { nonce: (n: string) => n.startsWith('srv-') }, expect: 'ok' },
    { name: 'htu with upper-case percent-encoding of a reserved character', proof: () => key.proof({ method: 'POST', url: 'https://tools.example/refund%2fx', token }), options: { url: 'https://tools.example/refund%2Fx' }, expect: 'ok' },
    { name: 'a URL with an explicit non-default port, matched exactly', proof: () => key.proof({ method: 'POST', url: 'https://tools.example:8443/refund', token }), options: { url: 'https://tools.example:8443/refund' }, expect: 'ok' },
    { name: 'a proof at the token endpoint (no access token yet)', proof: () => key.proof({ method: 'POST', url: URL_ }), options: { accessToken: undefined, jkt: undefined }, expect: 'ok' },
    // attacks
    { name: 'typ jwt instead of dpop+jwt', proof: () => key.proof({ method: 'POST', url: URL_, token, typ: 'JWT' }), expect: 'type' },
    { name: 'alg HS256', proof: () => new SignJWT({ htm: 'POST', htu: URL_, jti: randomUUID(), iat: NOW_S, ath }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk }).sign(createSecretKey(Buffer.alloc(32, 1))), expect: 'algorithm' },
    { name: 'alg none', proof: async () => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url')}.${Buffer.from(JSON.stringify({ htm: 'POST', htu: URL_, jti: 'x', iat: NOW_S, ath })).toString('base64url')}.`, expect: 'algorithm' },
    { name: 'a jwk header with the private key in it', proof: () => key.proof({ method: 'POST', url: URL_, token, extraHeader: { jwk: { ...key.jwk, d: 'AAAA' } } }), expect: 'key' },
    { name: 'a symmetric jwk', proof: () => key.proof({ method: 'POST', url: URL_, token, extraHeader: { jwk: { kty: 'oct', k: 'AAAA' } } }), expect: 'key' },
    { name: 'a signature by another key than the jwk it carries', proof: () => thief.proof({ method: 'POST', url: URL_, token, extraHeader: { jwk: key.jwk } }), expect: 'signature' },
    { name: 'another HTTP method', proof: () => key.proof({ method: 'GET', url: URL_, token }), expect: 'method' },
    { name: 'another path', proof: () => key.proof({ method: 'POST', url: 'https://tools.example/refunds', token }), expect: 'url' },
    { name: 'a look-alike host', proof: () => key.proof({ method: 'POST', url: 'https://tools.example.evil/refund', token }), expect: 'url' },
    { name: 'http instead of https', proof: () => key.proof({ method: 'POST', url: 'http://tools.example/refund', token }), expect: 'url' },
    { name: 'a proof issued 2 minutes ago', proof: () => key.proof({ method: 'POST', url: URL_, token, iat: NOW_S - 120 }), expect: 'expired' },
    { name: 'a proof issued in the future', proof: () => key.proof({ method: 'POST', url: URL_, token, iat: NOW_S + 120 }), expect: 'not_yet_valid' },
    { name: 'ath of another access token', proof: () => key.proof({ method: 'POST', url: URL_, token: 'other-token' }), expect: 'binding' },
    { name: 'no ath with an access token', proof: () => key.proof({ method: 'POST', url: URL_ }), expect: 'binding' },
    { name: 'a valid proof by a key the token is not bound to', proof: () => thief.proof({ method: 'POST', url: URL_, token }), expect: 'binding' },
    { name: 'a stale nonce', proof: () => key.proof({ method: 'POST', url: URL_, token, nonce: 'n-old' }), options: { nonce: 'n-1' }, expect: 'nonce' },
    { name: 'no nonce when the server issued one', proof: () => key.proof({ method: 'POST', url: URL_, token }), options: { nonce: 'n-1' }, expect: 'nonce' },
    { name: 'an RS256 proof by a 1024-bit RSA key', proof: async () => { const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }); const h = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'dpop+jwt', jwk: weak.publicKey.export({ format: 'jwk' }) })).toString('base64url'); const p = Buffer.from(JSON.stringify({ htm: 'POST', htu: URL_, jti: randomUUID(), iat: NOW_S, ath })).toString('base64url'); return `${h}.${p}.${nodeSign('sha256', Buffer.from(`${h}.${p}`), weak.privateKey).toString('base64url')}`; }, options: { jkt: undefined }, expect: 'key' },
    { name: 'two JWTs glued together', proof: async () => `${await key.proof({ method: 'POST', url: URL_, token })}.x`, expect: 'malformed' },
  ];

  for (const row of table) {
    it(`${row.expect === 'ok' ? 'accepts' : `refuses (${row.expect})`}: ${row.name}`, async () => {
      const options = { method: 'POST', url: URL_, accessToken: token, jkt: key.jkt, replay: new MemoryReplayStore(), now: NOW, ...row.options };
      expect(await outcome(verifyDpopProof(await row.proof(), options as never))).toBe(row.expect);
    });
  }

  it('refuses a replayed jti inside its window, for the same key', async () => {
    const replay = new MemoryReplayStore();
    const proof = await key.proof({ method: 'POST', url: URL_, token, jti: 'j-1' });
    const options = { method: 'POST', url: URL_, accessToken: token, jkt: key.jkt, replay, now: NOW };
    expect(await outcome(verifyDpopProof(proof, options))).toBe('ok');
    expect(await outcome(verifyDpopProof(proof, { ...options, now: new Date(NOW.getTime() + 30_000) }))).toBe('replayed');
  });

  it('fails closed when the replay store is full of live jtis, and takes new ones once they expire', async () => {
    const replay = new MemoryReplayStore({ maxEntries: 2 });
    const options = { method: 'POST', url: URL_, accessToken: token, jkt: key.jkt, replay, now: NOW };
    expect(await outcome(verifyDpopProof(await key.proof({ method: 'POST', url: URL_, token }), options))).toBe('ok');
    expect(await outcome(verifyDpopProof(await key.proof({ method: 'POST', url: URL_, token }), options))).toBe('ok');
    expect(await outcome(verifyDpopProof(await key.proof({ method: 'POST', url: URL_, token }), options))).toBe('replay_store_full');
    const later = new Date(NOW.getTime() + 120_000);
    const fresh = await key.proof({ method: 'POST', url: URL_, token, iat: NOW_S + 120 });
    expect(await outcome(verifyDpopProof(fresh, { ...options, now: later }))).toBe('ok');
  });

  it('a proof that fails a check never takes a place in the replay store', async () => {
    const replay = new MemoryReplayStore({ maxEntries: 1 });
    const options = { method: 'POST', url: URL_, accessToken: token, jkt: key.jkt, replay, now: NOW };
    for (let i = 0; i < 5; i++) expect(await outcome(verifyDpopProof(await thief.proof({ method: 'POST', url: URL_, token }), options))).toBe('binding');
    expect(replay.size).toBe(0);
    expect(await outcome(verifyDpopProof(await key.proof({ method: 'POST', url: URL_, token }), options))).toBe('ok');
  });

  it('normalizes htu as RFC 3986 syntax and scheme normalization say', () => {
    expect(normalizeHtu('HTTPS://Server.Example.COM:443/a/../token?x=1#y')).toBe('https://server.example.com/token');
    expect(normalizeHtu('https://server.example.com/%7euser/%2f')).toBe('https://server.example.com/~user/%2F');
    expect(normalizeHtu('https://user:pw@server.example.com/')).toBeNull();
    expect(normalizeHtu('ftp://server.example.com/')).toBeNull();
  });
});

describe('Entra ID tokens: tenant and audience pinned', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const OTHER = '11111111-2222-3333-4444-555555555555';
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(rsa.publicKey.export({ format: 'jwk' }) as PublicJwk), kid: 'entra-1', use: 'sig' };
  const sign = (claims: Record<string, unknown>, iss = `https://login.microsoftonline.com/${TENANT}/v2.0`, alg = 'RS256'): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg, kid: 'entra-1' }).setIssuer(iss).setAudience('api://warden').setIssuedAt(NOW_S).setExpirationTime(NOW_S + 3600).sign(rsa.privateKey);
  const check = createEntraVerifier({ tenantId: TENANT, audience: 'api://warden', jwks: { keys: [jwk] } });

  const table: Array<[string, () => Promise<string>, string]> = [
    ['an app token from the pinned tenant', () => sign({ sub: 'sp-1', tid: TENANT, oid: 'sp-1' }), 'ok'],
    ['a user-delegated token with the agent as actor', () => sign({ sub: 'user-1', tid: TENANT, act: { sub: 'agent-app-1' } }), 'ok'],
    ['a v1.0 token (sts.windows.net issuer)', () => sign({ sub: 'sp-1', tid: TENANT }, `https://sts.windows.net/${TENANT}/`), 'ok'],
    ['a token with app roles and an azp', () => sign({ sub: 'sp-2', tid: TENANT, roles: ['Tools.Invoke'], azp: 'client-1' }), 'ok'],
    ['a token whose tid is another tenant (same keys, issuer of the pinned one)', () => sign({ sub: 'sp-1', tid: OTHER }), 'tenant'],
    ['a token from another tenant\'s issuer', () => sign({ sub: 'sp-1', tid: OTHER }, `https://login.microsoftonline.com/${OTHER}/v2.0`), 'issuer'],
    ['a token without tid', () => sign({ sub: 'sp-1' }), 'tenant'],
    ['a token for another audience', () => new SignJWT({ sub: 'sp-1', tid: TENANT }).setProtectedHeader({ alg: 'RS256', kid: 'entra-1' }).setIssuer(`https://login.microsoftonline.com/${TENANT}/v2.0`).setAudience('api://other').setExpirationTime(NOW_S + 60).sign(rsa.privateKey), 'audience'],
    ['a PS256 token when Entra signs RS256', () => sign({ sub: 'sp-1', tid: TENANT }, undefined, 'PS256'), 'algorithm'],
  ];
  for (const [name, token, want] of table) {
    it(`${want === 'ok' ? 'accepts' : `refuses (${want})`}: ${name}`, async () => {
      expect(await outcome(check(await token(), NOW))).toBe(want);
    });
  }

  it('maps the actor of a user-delegated token to the agent', async () => {
    const v = await check(await sign({ sub: 'user-1', tid: TENANT, act: { sub: 'agent-app-1' } }), NOW);
    expect([v.agentId, v.onBehalfOf, v.tenantId]).toEqual(['agent-app-1', 'user-1', TENANT]);
  });

  it('refuses "common" as a pinned tenant, and a verifier without an audience', () => {
    expect(() => createEntraVerifier({ tenantId: 'common', audience: 'api://warden' })).toThrow(/tenant's GUID/);
    expect(() => createEntraVerifier({ tenantId: TENANT, audience: [] })).toThrow(/pin the audience/);
  });
});

describe('RemoteJwks: a bounded cache that fails closed', () => {
  const issuer = makeIssuer();
  const rotated = makeIssuer();

  function server(): { fetch: JwksFetch; calls: number; keys: PublicJwk[]; down: boolean } {
    const state = {
      calls: 0,
      keys: [issuer.jwk] as PublicJwk[],
      down: false,
      fetch: (async () => {
        state.calls++;
        if (state.down) throw new Error('connection refused');
        return { ok: true, status: 200, text: async () => JSON.stringify({ keys: state.keys }) };
      }) as JwksFetch,
    };
    return state;
  }

  it('fetches once per TTL, refetches for an unknown kid, serves stale inside maxStale and fails closed after', async () => {
    let now = NOW.getTime();
    const srv = server();
    const jwks = new RemoteJwks('https://idp.example/jwks', { fetch: srv.fetch, ttlMs: 60_000, maxStaleMs: 600_000, cooldownMs: 1_000, clock: () => new Date(now) });
    const opts = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], jwks };
    const token = await issuer.token({ sub: 'a' }, { exp: NOW_S + 100_000 });
    expect(await outcome(verifyAgentToken(token, { ...opts, now: new Date(now) }))).toBe('ok');
    expect(await outcome(verifyAgentToken(token, { ...opts, now: new Date(now) }))).toBe('ok');
    expect(srv.calls).toBe(1);
    // A key added upstream is found by a refetch when a token names it.
    srv.keys = [issuer.jwk, { ...rotated.jwk, kid: 'k2' }];
    now += 2_000;
    expect(await outcome(verifyAgentToken(await rotated.token({ sub: 'b' }, { kid: 'k2', exp: NOW_S + 100_000 }), { ...opts, now: new Date(now) }))).toBe('ok');
    expect(srv.calls).toBe(2);
    // Upstream down: the cached keys serve until maxStale, then verification fails closed.
    srv.down = true;
    now += 120_000;
    expect(await outcome(verifyAgentToken(token, { ...opts, now: new Date(now) }))).toBe('ok');
    now += 600_000;
    expect(await outcome(verifyAgentToken(token, { ...opts, now: new Date(now) }))).toBe('unavailable');
  });

  it('refuses a key set that publishes a private key, and a non-https URL', async () => {
    const srv = server();
    srv.keys = [{ ...issuer.jwk, d: 'AAAA' }];
    const jwks = new RemoteJwks('https://idp.example/jwks', { fetch: srv.fetch });
    expect(await outcome(verifyAgentToken(await issuer.token({ sub: 'a' }), { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], jwks, now: NOW }))).toBe('unavailable');
    expect(() => new RemoteJwks('http://idp.example/jwks', { fetch: srv.fetch })).toThrow(/https/);
    expect(() => new RemoteJwks('https://idp.example/jwks', { fetch: srv.fetch, ttl: 5 } as never)).toThrow(/Unknown RemoteJwks option/);
  });
});

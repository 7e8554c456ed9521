import { request as httpRequest } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, parseTokenFile } from '../../src/server/auth.js';
import { WardenError } from '../../src/errors.js';
import { startServer, TOKEN, type Running } from './fixture.js';

const ISS = 'https://idp.test';
const AUD = 'warden-serve';
const SECRET = new TextEncoder().encode('an-hmac-secret-of-at-least-32-bytes!!');

function post(url: string, path: string, headers: Record<string, string | string[]>): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ tool: 'read_file', args: {} }));
  });
}

describe('warden serve: authentication', () => {
  let s: Running;
  let hmac: Running;
  let good: string;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let publicJwk: JWK;
  const now = () => Math.floor(Date.now() / 1000);
  const jwt = (claims: Record<string, unknown>, key: CryptoKey | Uint8Array = privateKey, alg = 'EdDSA', header: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = await exportJWK(pair.publicKey);
    otherKey = (await generateKeyPair('EdDSA')).privateKey;
    good = await jwt({ sub: 'jwt-agent', iss: ISS, aud: AUD, exp: now() + 600 });
    s = await startServer({ auth: { tokens: [{ subject: 'bot-1', token: TOKEN }], jwt: { issuer: ISS, audience: AUD, jwks: { keys: [{ ...publicJwk, kid: 'k1', alg: 'EdDSA' } as never] } } } });
    hmac = await startServer({ auth: { jwt: { issuer: ISS, audience: AUD, secret: SECRET } } });
  });
  afterAll(async () => {
    await s.close();
    await hmac.close();
  });

  // [name, headers (or a function making them), path, expected status]
  type Case = [string, () => Promise<Record<string, string | string[]>>, number, string?];
  const cases: Case[] = [
    // benign
    ['a configured static token', async () => ({ authorization: `Bearer ${TOKEN}` }), 200],
    ['the scheme in lower case (RFC 9110: case-insensitive)', async () => ({ authorization: `bearer ${TOKEN}` }), 200],
    ['a valid JWT from the key set', async () => ({ authorization: `Bearer ${good}` }), 200],
    ['a valid JWT naming its kid', async () => ({ authorization: `Bearer ${await jwt({ sub: 'k', iss: ISS, aud: AUD, exp: now() + 60 }, privateKey, 'EdDSA', { kid: 'k1' })}` }), 200],
    // attacks
    ['no Authorization header', async () => ({}), 401],
    ['"Bearer " with nothing after it', async () => ({ authorization: 'Bearer ' }), 401],
    ['"Bearer" alone', async () => ({ authorization: 'Bearer' }), 401],
    ['two spaces after Bearer', async () => ({ authorization: `Bearer  ${TOKEN}` }), 401],
    ['a tab after Bearer', async () => ({ authorization: `Bearer\t${TOKEN}` }), 401],
    ['Basic scheme with the token', async () => ({ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }), 401],
    ['Token scheme', async () => ({ authorization: `Token ${TOKEN}` }), 401],
    ['the token with a suffix', async () => ({ authorization: `Bearer ${TOKEN}x` }), 401],
    ['the token missing its last character', async () => ({ authorization: `Bearer ${TOKEN.slice(0, -1)}` }), 401],
    ['two Authorization headers, a valid one first', async () => ({ authorization: [`Bearer ${TOKEN}`, 'Bearer nope-nope-nope-nope'] }), 401],
    ['the token in the query string only', async () => ({}), 401, `/v1/decide?access_token=${TOKEN}`],
    ['the token in a cookie', async () => ({ cookie: `access_token=${TOKEN}` }), 401],
    ['an unsecured JWT (alg none)', async () => ({ authorization: `Bearer ${new UnsecuredJWT({ sub: 'admin', iss: ISS, aud: AUD, exp: now() + 60 }).encode()}` }), 401],
    ['a JWT for another audience', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: ISS, aud: 'other', exp: now() + 60 })}` }), 401],
    ['a JWT from another issuer', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: 'https://evil.test', aud: AUD, exp: now() + 60 })}` }), 401],
    ['an expired JWT', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: ISS, aud: AUD, exp: now() - 60 })}` }), 401],
    ['a JWT without exp', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: ISS, aud: AUD })}` }), 401],
    ['a JWT not valid yet', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: ISS, aud: AUD, exp: now() + 600, nbf: now() + 300 })}` }), 401],
    ['a JWT signed by another key', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: ISS, aud: AUD, exp: now() + 60 }, otherKey)}` }), 401],
    ['HS256 keyed with the public key (algorithm confusion)', async () => ({ authorization: `Bearer ${await jwt({ sub: 'a', iss: ISS, aud: AUD, exp: now() + 60 }, new TextEncoder().encode(JSON.stringify(publicJwk)), 'HS256')}` }), 401],
    ['a JWT whose signature was cut off', async () => ({ authorization: `Bearer ${good.slice(0, good.lastIndexOf('.') + 1)}` }), 401],
  ];

  it.each(cases)('%s -> %i', async (_name, headers, status, path = '/v1/decide') => {
    const before = s.records().length;
    expect(await post(s.url, path, await headers())).toBe(status);
    // An unauthenticated caller never gets a decision: nothing is recorded.
    if (status === 401) expect(s.records().length).toBe(before);
  });

  it('records the JWT subject and issuer as the verified caller', async () => {
    const r = await s.post('/v1/decide', { tool: 'read_file', args: {} }, { authorization: `Bearer ${good}` });
    const rec = s.records().find((x) => x.call === r.body.call) as { agent: { id: string; verified: { issuer: string } } };
    expect(rec.agent).toMatchObject({ id: 'jwt-agent', verified: { method: 'bearer', issuer: ISS } });
  });

  it('a 401 carries WWW-Authenticate and no verdict', async () => {
    const r = await fetch(`${s.url}/v1/decide`, { method: 'POST', body: '{"tool":"read_file","args":{}}' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await r.json()) as Record<string, unknown>;
    expect(body.verdict).toBeUndefined();
    expect(body.allowed).toBeUndefined();
  });

  it('an HMAC-configured service accepts HS256 with its secret and refuses another secret or EdDSA', async () => {
    const ok = await jwt({ sub: 'h', iss: ISS, aud: AUD, exp: now() + 60 }, SECRET, 'HS256');
    const wrong = await jwt({ sub: 'h', iss: ISS, aud: AUD, exp: now() + 60 }, new TextEncoder().encode('another-secret-of-at-least-32-bytes-long'), 'HS256');
    expect(await post(hmac.url, '/v1/decide', { authorization: `Bearer ${ok}` })).toBe(200);
    expect(await post(hmac.url, '/v1/decide', { authorization: `Bearer ${wrong}` })).toBe(401);
    expect(await post(hmac.url, '/v1/decide', { authorization: `Bearer ${good}` })).toBe(401);
  });

  it('refuses to start without a way to authenticate, or with weak settings', () => {
    const bad: unknown[] = [{}, { tokens: [] }, { tokens: [{ subject: 'a', token: 'short' }] }, { jwt: { issuer: ISS, secret: SECRET } }, { jwt: { issuer: ISS, audience: AUD, secret: new Uint8Array(8) } }, { jwt: { issuer: ISS, audience: AUD, key: publicJwk, algorithms: ['none'] } }];
    for (const options of bad) expect(() => createAuthenticator(options as never)).toThrow(WardenError);
  });

  it('parses a token file of "<subject> <token>" lines and refuses other lines', () => {
    expect(parseTokenFile('# comment\n\nci tok-0123456789abcdef\n')).toEqual([{ subject: 'ci', token: 'tok-0123456789abcdef' }]);
    expect(() => parseTokenFile('just-a-token\n')).toThrow(/Line 1/);
  });
});

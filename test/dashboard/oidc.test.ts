/**
 * OIDC login to the dashboard over plain HTTP against a real OpenID provider (oidc-provider, in
 * process): the benign logins start a session carrying the roles claim; every tampered callback,
 * forged or misdirected ID token, replayed or injected code, missing role and unreachable provider
 * ends with no session, an error page naming only its ERR_OIDC code, and one login event with that
 * reason. The token endpoint's answer is rewritten for the forged-token rows (as a hostile provider
 * or a man in the middle would), signed with the provider's own key where the row needs it.
 */
import { generateKeyPair, SignJWT, decodeJwt, base64url, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/dashboard/index.js';
import type { OidcLoginEvent } from '../../src/dashboard/oidc.js';
import { startFixture, type Fixture } from './fixture.js';
import { authorize as authorizeAt, begin as beginAt, callback, cookieHeader, oidcLogin, type Landed } from './oidc-flow.js';
import { CLIENT_ID, CLIENT_SECRET, OTHER_CLIENT_ID, startOidcProvider, type OidcProviderFixture } from './oidc-provider-fixture.js';

type TokenBody = Record<string, unknown> & { id_token: string };

let provider: OidcProviderFixture;
let f: Fixture;
let g: Fixture;
const events: OidcLoginEvent[] = [];
/** Rewrites the token endpoint's answer for the row that sets it. */
let tamper: ((body: TokenBody) => Promise<Record<string, unknown>>) | null = null;
let tokenEndpointDown = false;

const tamperingFetch: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url === `${provider.issuer}/token`) {
    if (tokenEndpointDown) throw new TypeError('fetch failed');
    const r = await fetch(input, init);
    if (tamper === null || r.status !== 200) return r;
    return new Response(JSON.stringify(await tamper((await r.json()) as TokenBody)), { status: 200, headers: { 'content-type': 'application/json' } });
  }
  return fetch(input, init);
};

/** The flow's steps at the dashboard `f` (or another base). */
const begin = (base = f.base): ReturnType<typeof beginAt> => beginAt(base);
const authorize = (authUrl: string, account: string, base = f.base): Promise<string> => authorizeAt(provider, authUrl, account, base);
const login = (account: string, base = f.base): ReturnType<typeof oidcLogin> => oidcLogin(provider, base, account);

/** Signs claims with the provider's own key (its JWKS verifies them). */
function signWithProvider(payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: provider.kid }).sign(provider.signingKey);
}

/** A token-endpoint rewrite that re-signs the real ID token's claims with `change` applied. */
function resign(change: (c: JWTPayload) => JWTPayload): (b: TokenBody) => Promise<Record<string, unknown>> {
  return async (b) => ({ ...b, id_token: await signWithProvider(change(decodeJwt(b.id_token))) });
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const header = (h: object): string => base64url.encode(JSON.stringify(h));

beforeAll(async () => {
  // The provider must know the dashboards' callbacks, and the dashboards the provider's issuer: each fixture gives its base first.
  // g: a second dashboard, OIDC only, roles from a `groups` claim through a role map, as another client of the provider.
  const gBase = deferred<string>();
  const ready = deferred<void>();
  const gStarted = startFixture(async (base) => {
    gBase.resolve(base);
    await ready.promise;
    return {
      logins: [],
      oidc: { issuer: provider.issuer, clientId: OTHER_CLIENT_ID, clientSecret: `${CLIENT_SECRET}-other`, redirectUri: `${base}/ui/oidc/callback`, rolesClaim: 'groups', roleMap: { 'warden-approvers': ['finance'], 'warden-viewers': ['viewer'] }, onLogin: (e) => events.push(e) },
    };
  });
  f = await startFixture(async (base) => {
    provider = await startOidcProvider(`${base}/ui/oidc/callback`, `${await gBase.promise}/ui/oidc/callback`);
    ready.resolve();
    return { oidc: { issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${base}/ui/oidc/callback`, onLogin: (e) => events.push(e), fetch: tamperingFetch } };
  });
  g = await gStarted;
});
afterAll(async () => {
  await f?.close();
  await g?.close();
  await provider?.close();
});

interface Row {
  name: string;
  /** Runs the login; returns what the callback answered. */
  run(): Promise<Landed & { secrets?: string[] }>;
  /** ok: a session with these roles; else the failure reason and status. */
  expect: { roles: string[] } | { reason: string; status: number };
}

const ROWS: Row[] = [
  // benign
  { name: 'alice logs in and her session carries her roles', run: () => login('alice-sub'), expect: { roles: ['finance', 'kill'] } },
  { name: 'a viewer logs in with the viewer role', run: () => login('viewer-sub'), expect: { roles: ['viewer'] } },
  {
    name: 'an extra unknown callback parameter is ignored',
    run: async () => {
      const { authUrl, dash } = await begin();
      return callback(`${await authorize(authUrl, 'alice-sub')}&session_state=xyz`, dash);
    },
    expect: { roles: ['finance', 'kill'] },
  },
  {
    name: 'a login started twice is finished by the second start',
    run: async () => {
      await begin();
      return login('viewer-sub');
    },
    expect: { roles: ['viewer'] },
  },
  {
    name: 'an ID token re-signed by the provider\'s key with the same claims verifies',
    run: async () => {
      tamper = resign((c) => c);
      return login('alice-sub');
    },
    expect: { roles: ['finance', 'kill'] },
  },
  {
    name: 'extra members in the token response are ignored',
    run: async () => {
      tamper = async (b) => ({ ...b, refresh_token: 'r', extra: { nested: true } });
      return login('alice-sub');
    },
    expect: { roles: ['finance', 'kill'] },
  },
  {
    name: 'an ID token whose single audience and azp are the client verifies',
    run: async () => {
      tamper = resign((c) => ({ ...c, azp: CLIENT_ID }));
      return login('viewer-sub');
    },
    expect: { roles: ['viewer'] },
  },
  {
    name: 'several audiences with azp naming the client verify',
    run: async () => {
      tamper = resign((c) => ({ ...c, aud: [CLIENT_ID, OTHER_CLIENT_ID], azp: CLIENT_ID }));
      return login('viewer-sub');
    },
    expect: { roles: ['viewer'] },
  },
  {
    name: 'unknown extra claims in the ID token are ignored',
    run: async () => {
      tamper = resign((c) => ({ ...c, tenant: 'acme', amr: ['pwd'], roles_extra: ['kill'] }));
      return login('viewer-sub');
    },
    expect: { roles: ['viewer'] },
  },
  {
    name: 'an audience given as a one-element array',
    run: async () => {
      tamper = resign((c) => ({ ...c, aud: [CLIENT_ID] }));
      return login('viewer-sub');
    },
    expect: { roles: ['viewer'] },
  },
  {
    name: 'an ID token issued 20 s ahead of this clock (inside the 30 s skew)',
    run: async () => {
      tamper = resign((c) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 20, nbf: Math.floor(Date.now() / 1000) + 20 }));
      return login('viewer-sub');
    },
    expect: { roles: ['viewer'] },
  },
  {
    name: 'a roles claim given as one string',
    run: async () => {
      tamper = resign((c) => ({ ...c, roles: 'finance' }));
      return login('viewer-sub');
    },
    expect: { roles: ['finance'] },
  },
  // the callback
  {
    name: 'the iss parameter left out although the provider promises it (RFC 9207)',
    run: async () => {
      const { authUrl, dash } = await begin();
      const u = new URL(await authorize(authUrl, 'alice-sub'));
      u.searchParams.delete('iss');
      return callback(u.href, dash);
    },
    expect: { reason: 'issuer_mismatch', status: 401 },
  },
  { name: 'an ID token not valid for another hour (nbf)', run: () => ((tamper = resign((c) => ({ ...c, nbf: Math.floor(Date.now() / 1000) + 3600 }))), login('alice-sub')), expect: { reason: 'expired', status: 401 } },
  { name: 'roles widened inside a signed token by editing its payload', run: () => ((tamper = async (b) => ({ ...b, id_token: widenPayload(b.id_token) })), login('viewer-sub')), expect: { reason: 'signature', status: 401 } },
  {
    name: 'an altered state parameter',
    run: async () => {
      const { authUrl, dash } = await begin();
      const u = new URL(await authorize(authUrl, 'alice-sub'));
      u.searchParams.set('state', `${u.searchParams.get('state') as string}x`);
      return callback(u.href, dash);
    },
    expect: { reason: 'state', status: 401 },
  },
  {
    name: 'no login cookie (the callback opened in another browser)',
    run: async () => {
      const { authUrl } = await begin();
      return callback(await authorize(authUrl, 'alice-sub'), {});
    },
    expect: { reason: 'state', status: 401 },
  },
  {
    name: 'a login cookie whose signature was altered',
    run: async () => {
      const { authUrl, dash } = await begin();
      const v = dash.warden_oidc as string;
      return callback(await authorize(authUrl, 'alice-sub'), { warden_oidc: `${v.slice(0, -2)}${v.endsWith('AA') ? 'BB' : 'AA'}` });
    },
    expect: { reason: 'state', status: 401 },
  },
  {
    name: 'a login cookie re-encoded with the state of the response but the old signature',
    run: async () => {
      const { authUrl, dash } = await begin();
      const cb = await authorize(authUrl, 'alice-sub');
      const [payload, mac] = (dash.warden_oidc as string).split('.') as [string, string];
      const p = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      p.e = Date.now() + 86_400_000;
      return callback(cb, { warden_oidc: `${Buffer.from(JSON.stringify(p)).toString('base64url')}.${mac}` });
    },
    expect: { reason: 'state', status: 401 },
  },
  {
    name: 'the login cookie of another login',
    run: async () => {
      const a = await begin();
      const b = await begin();
      return callback(await authorize(a.authUrl, 'alice-sub'), b.dash);
    },
    expect: { reason: 'state', status: 401 },
  },
  {
    name: 'a replayed callback (same URL, same cookie)',
    run: async () => {
      const first = await login('alice-sub');
      expect(first.status).toBe(200);
      return callback(first.callbackUrl, first.dash);
    },
    expect: { reason: 'state', status: 401 },
  },
  {
    name: 'a redeemed code replayed under a fresh login',
    run: async () => {
      const first = await login('alice-sub');
      expect(first.status).toBe(200);
      const { authUrl, dash } = await begin();
      const state = new URL(authUrl).searchParams.get('state') as string;
      const u = new URL(first.callbackUrl);
      u.searchParams.set('state', state);
      return { ...(await callback(u.href, dash)), secrets: [u.searchParams.get('code') as string] };
    },
    expect: { reason: 'code_rejected', status: 401 },
  },
  {
    name: 'an attacker\'s unredeemed code injected into a victim\'s login (PKCE verifier does not match)',
    run: async () => {
      const attacker = await begin();
      const attackerCb = new URL(await authorize(attacker.authUrl, 'viewer-sub'));
      const victim = await begin();
      const state = new URL(victim.authUrl).searchParams.get('state') as string;
      attackerCb.searchParams.set('state', state);
      return callback(attackerCb.href, victim.dash);
    },
    expect: { reason: 'code_rejected', status: 401 },
  },
  {
    name: 'an altered code',
    run: async () => {
      const { authUrl, dash } = await begin();
      const u = new URL(await authorize(authUrl, 'alice-sub'));
      u.searchParams.set('code', `${u.searchParams.get('code') as string}x`);
      return callback(u.href, dash);
    },
    expect: { reason: 'code_rejected', status: 401 },
  },
  {
    name: 'the provider sends back an error',
    run: async () => {
      const { authUrl, dash } = await begin();
      const state = new URL(authUrl).searchParams.get('state') as string;
      return callback(`${f.base}/ui/oidc/callback?error=access_denied&error_description=%3Cscript%3Ex%3C%2Fscript%3E&state=${state}&iss=${encodeURIComponent(provider.issuer)}`, dash);
    },
    expect: { reason: 'provider_error', status: 401 },
  },
  {
    name: 'the response names another issuer (mix-up)',
    run: async () => {
      const { authUrl, dash } = await begin();
      const u = new URL(await authorize(authUrl, 'alice-sub'));
      u.searchParams.set('iss', 'https://evil.example');
      return callback(u.href, dash);
    },
    expect: { reason: 'issuer_mismatch', status: 401 },
  },
  {
    name: 'the nonce of the authorization request was changed on the way',
    run: async () => {
      const { authUrl, dash } = await begin();
      const u = new URL(authUrl);
      u.searchParams.set('nonce', 'attacker-chosen-nonce');
      return callback(await authorize(u.href, 'alice-sub'), dash);
    },
    expect: { reason: 'nonce', status: 401 },
  },
  // the ID token
  { name: 'an ID token for another client', run: () => ((tamper = resign((c) => ({ ...c, aud: OTHER_CLIENT_ID }))), login('alice-sub')), expect: { reason: 'audience', status: 401 } },
  { name: 'several audiences and no azp', run: () => ((tamper = resign((c) => ({ ...c, aud: [CLIENT_ID, OTHER_CLIENT_ID] }))), login('alice-sub')), expect: { reason: 'audience', status: 401 } },
  { name: 'azp naming another client', run: () => ((tamper = resign((c) => ({ ...c, azp: OTHER_CLIENT_ID }))), login('alice-sub')), expect: { reason: 'audience', status: 401 } },
  { name: 'an ID token from another issuer', run: () => ((tamper = resign((c) => ({ ...c, iss: 'https://evil.example' }))), login('alice-sub')), expect: { reason: 'issuer_mismatch', status: 401 } },
  { name: 'an expired ID token', run: () => ((tamper = resign((c) => ({ ...c, iat: 1_000_000, exp: 1_000_600 }))), login('alice-sub')), expect: { reason: 'expired', status: 401 } },
  { name: 'an ID token without a nonce', run: () => ((tamper = resign(({ nonce: _n, ...c }) => c)), login('alice-sub')), expect: { reason: 'nonce', status: 401 } },
  { name: 'alg none (unsigned), roles widened', run: () => ((tamper = async (b) => ({ ...b, id_token: await unsignedVariant(b.id_token, 'none') })), login('viewer-sub')), expect: { reason: 'algorithm', status: 401 } },
  { name: 'alg HS256 keyed with the provider\'s public key', run: () => ((tamper = async (b) => ({ ...b, id_token: await hsWithPublicKey(b.id_token) })), login('viewer-sub')), expect: { reason: 'algorithm', status: 401 } },
  { name: 'signed by another key under the provider\'s kid', run: () => ((tamper = async (b) => ({ ...b, id_token: await otherKey(b.id_token) })), login('viewer-sub')), expect: { reason: 'signature', status: 401 } },
  { name: 'the token response has no ID token', run: () => ((tamper = async ({ id_token: _t, ...b }) => b), login('alice-sub')), expect: { reason: 'token_invalid', status: 401 } },
  // roles
  { name: 'an account without a roles claim', run: () => login('norole-sub'), expect: { reason: 'no_role', status: 403 } },
  { name: 'an account whose roles claim is empty', run: () => login('empty-sub'), expect: { reason: 'no_role', status: 403 } },
  // the provider
  {
    name: 'the token endpoint cannot be reached',
    run: async () => {
      tokenEndpointDown = true;
      return login('alice-sub');
    },
    expect: { reason: 'issuer_unreachable', status: 503 },
  },
];

/** The token's payload edited (roles widened) under its original header and signature. */
function widenPayload(token: string): string {
  const [h, , sig] = token.split('.') as [string, string, string];
  return `${h}.${base64url.encode(JSON.stringify({ ...decodeJwt(token), roles: ['finance', 'kill'] }))}.${sig}`;
}

/** `alg: none` with the token's claims, roles widened. */
async function unsignedVariant(token: string, alg: string): Promise<string> {
  const c = decodeJwt(token);
  return `${header({ alg, typ: 'JWT' })}.${base64url.encode(JSON.stringify({ ...c, roles: ['finance', 'kill'] }))}.`;
}

/** The key-confusion attack: HS256 with the provider's public key (its JWK JSON and its modulus, two common spellings) as the secret. */
async function hsWithPublicKey(token: string): Promise<string> {
  const c = decodeJwt(token);
  return new SignJWT({ ...c, roles: ['finance', 'kill'] }).setProtectedHeader({ alg: 'HS256', kid: provider.kid }).sign(new TextEncoder().encode(JSON.stringify(provider.publicJwk)));
}

async function otherKey(token: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ ...decodeJwt(token), roles: ['finance', 'kill'] }).setProtectedHeader({ alg: 'RS256', kid: provider.kid }).sign(privateKey);
}

describe('OIDC login to the dashboard, against a real provider, over HTTP', () => {
  it.each(ROWS)('$name', async (row) => {
    tamper = null;
    tokenEndpointDown = false;
    const before = events.length;
    let landed: Landed & { secrets?: string[] };
    try {
      landed = await row.run();
    } finally {
      tamper = null;
      tokenEndpointDown = false;
    }
    const event = events[events.length - 1] as OidcLoginEvent;
    expect(events.length).toBeGreaterThan(before);
    // The login cookie is spent either way.
    expect(landed.cookies.warden_oidc).toBeUndefined();
    if ('roles' in row.expect) {
      expect(landed.status).toBe(200);
      expect(landed.body).toContain('http-equiv="refresh" content="0;url=/ui/"');
      expect(event).toMatchObject({ ok: true, reason: null, roles: row.expect.roles });
      const session = landed.cookies.warden_session as string;
      expect(session).toMatch(/\./);
      const home = await fetch(`${f.base}/ui/`, { headers: { cookie: `warden_session=${session}` }, redirect: 'manual' });
      expect(home.status).toBe(200);
      expect(await home.text()).toContain(`<span>${event.subject as string}</span>`);
      return;
    }
    expect(landed.status).toBe(row.expect.status);
    expect(landed.cookies.warden_session).toBeUndefined();
    expect(/<code id="error-code">([^<]+)<\/code>/.exec(landed.body)?.[1]).toBe(`ERR_OIDC:${row.expect.reason}`);
    expect(event).toMatchObject({ ok: false, code: 'ERR_OIDC', reason: row.expect.reason });
    // Nothing of the exchange is echoed: no code, no token, no provider text.
    expect(landed.body).not.toMatch(/code=|eyJ|script|access_denied/);
    for (const s of landed.secrets ?? []) expect(landed.body).not.toContain(s);
  });

  it('a tampered session cookie claiming more roles is not a session', async () => {
    const ok = await login('viewer-sub');
    const [payload, mac] = (ok.cookies.warden_session as string).split('.') as [string, string];
    const p = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    p.r = ['finance', 'kill'];
    const forged = `${Buffer.from(JSON.stringify(p)).toString('base64url')}.${mac}`;
    const r = await fetch(`${f.base}/ui/agents`, { headers: { cookie: `warden_session=${forged}` }, redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/ui/login');
  });

  it('the login cookie is SameSite=Lax, scoped to the callback, HttpOnly; the session cookie stays Strict', async () => {
    const r = await fetch(`${f.base}/ui/oidc/start`, { redirect: 'manual' });
    expect(r.headers.getSetCookie()).toHaveLength(1);
    expect(r.headers.getSetCookie()[0]).toMatch(/^warden_oidc=[^;]+; Path=\/ui\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);
    const { authUrl, dash } = await begin();
    const landed = await fetch(await authorize(authUrl, 'alice-sub'), { redirect: 'manual', headers: { cookie: cookieHeader(dash) } });
    expect(landed.headers.getSetCookie()).toEqual([expect.stringMatching(/^warden_oidc=; Path=\/ui\/oidc; HttpOnly; SameSite=Lax; Max-Age=0$/), expect.stringMatching(/^warden_session=[^;]+; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=28800$/)]);
  });

  it('the login page offers the provider beside the token form', async () => {
    const page = await (await fetch(`${f.base}/ui/login`)).text();
    expect(page).toContain(`<a id="oidc-login" href="/ui/oidc/start">Log in with ${new URL(provider.issuer).host}</a>`);
    expect(page).toContain('name="token"');
  });

  it('maps a groups claim through a role map: only mapped values become roles', async () => {
    const ok = await login('grouped-sub', g.base);
    expect(ok.status).toBe(200);
    expect(events[events.length - 1]).toMatchObject({ ok: true, subject: 'oidc:grouped-sub', roles: ['finance'] });
  });

  it('with a role map, an account whose claims map to nothing has no access (403), even with a roles claim', async () => {
    const refused = await login('alice-sub', g.base);
    expect(refused.status).toBe(403);
    expect(refused.cookies.warden_session).toBeUndefined();
    expect(refused.body).toContain('<code id="error-code">ERR_OIDC:no_role</code>');
  });

  it('an OIDC-only dashboard has no token form, and a token login is refused', async () => {
    const page = await fetch(`${g.base}/ui/login`);
    const text = await page.text();
    expect(text).toContain('id="oidc-login"');
    expect(text).not.toContain('name="token"');
  });
});

describe('OIDC with an unreachable provider', () => {
  it('answers 503 with ERR_OIDC:issuer_unreachable and starts no login', async () => {
    const seen: OidcLoginEvent[] = [];
    const ui = createDashboard({ oidc: { issuer: 'http://127.0.0.1:9', clientId: 'x', redirectUri: 'http://127.0.0.1:1/ui/oidc/callback', timeoutMs: 2000, onLogin: (e) => seen.push(e) } });
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => void ui.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await fetch(`http://127.0.0.1:${port}/ui/oidc/start`, { redirect: 'manual' });
      expect(r.status).toBe(503);
      expect(r.headers.getSetCookie().some((c) => /^warden_oidc=[^;]/.test(c))).toBe(false);
      expect(await r.text()).toContain('<code id="error-code">ERR_OIDC:issuer_unreachable</code>');
      expect(seen).toMatchObject([{ ok: false, code: 'ERR_OIDC', reason: 'issuer_unreachable' }]);
      const page = await (await fetch(`http://127.0.0.1:${port}/ui/login`)).text();
      expect(page).not.toContain('name="token"');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

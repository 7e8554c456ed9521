/**
 * The dashboard over HTTP (no browser): no anonymous read, sessions that cannot be forged or
 * outlive their login, CSRF and origin checks on every POST, the kill permission, escaped output
 * and the security headers on every page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/audit/keys.js';
import { createDashboard, escapeHtml } from '../../src/dashboard/index.js';
import { ALICE, login, startFixture, VIEWER, type Fixture } from './fixture.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f.close();
});

const form = (fields: Record<string, string>): { 'content-type': string } & Record<string, string> => ({ 'content-type': 'application/x-www-form-urlencoded', ...fields });

describe('no anonymous access', () => {
  it.each(['/ui', '/ui/', '/ui/decisions', '/ui/approvals', '/ui/agents', '/ui/agents/kill?agent=bot-1', '/ui/decisions?tool=pay'])('GET %s without a session redirects to the login page', async (path) => {
    const r = await fetch(`${f.base}${path}`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/ui/login');
  });

  it.each(['/ui/approvals/answer', '/ui/agents/kill', '/ui/logout'])('POST %s without a session is refused (401) and changes nothing', async (path) => {
    const r = await fetch(`${f.base}${path}`, { method: 'POST', headers: form({}), body: 'csrf=x&id=y&decision=approve&digest=z&agent=bot-1&confirm=bot-1&reason=r' });
    expect(r.status).toBe(401);
  });

  const forged: Array<[string, (valid: string) => string]> = [
    ['a random cookie', () => 'warden_session=abc.def'],
    ['a payload with its MAC cut off', (v) => v.split('.')[0] as string],
    ['a payload naming another login with the old MAC', (v) => {
      const [payload, mac] = (v.split('=')[1] as string).split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      return `warden_session=${Buffer.from(JSON.stringify({ ...claims, n: 'viewer' })).toString('base64url')}.${mac}`;
    }],
    ['a payload whose expiry was pushed out with the old MAC', (v) => {
      const [payload, mac] = (v.split('=')[1] as string).split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      return `warden_session=${Buffer.from(JSON.stringify({ ...claims, e: 9e15 })).toString('base64url')}.${mac}`;
    }],
  ];
  it.each(forged)('a forged session (%s) is no session', async (_name, forge) => {
    const { cookie } = await login(f.base, ALICE.token);
    const r = await fetch(`${f.base}/ui/approvals`, { redirect: 'manual', headers: { cookie: forge(cookie) } });
    expect(r.status).toBe(303);
  });

  it('a session whose MAC differs in one character is no session', async () => {
    const { cookie } = await login(f.base, ALICE.token);
    const r = await fetch(`${f.base}/ui/`, { redirect: 'manual', headers: { cookie: cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } });
    expect(r.status).toBe(303);
  });

  it('a wrong token does not log in (401), and the login form needs its CSRF token', async () => {
    const page = await fetch(`${f.base}/ui/login`);
    const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const wrong = await fetch(`${f.base}/ui/login`, { method: 'POST', redirect: 'manual', headers: form({ cookie: loginCookie }), body: new URLSearchParams({ csrf, token: `${ALICE.token}x` }).toString() });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie') ?? '').not.toContain('warden_session=');
    const noCsrf = await fetch(`${f.base}/ui/login`, { method: 'POST', redirect: 'manual', headers: form({ cookie: loginCookie }), body: new URLSearchParams({ token: ALICE.token }).toString() });
    expect(noCsrf.status).toBe(403);
  });
});

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie scoped to the dashboard (not Secure over plain HTTP on auto)', async () => {
    const page = await fetch(`${f.base}/ui/login`);
    const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const r = await fetch(`${f.base}/ui/login`, { method: 'POST', redirect: 'manual', headers: form({ cookie: loginCookie }), body: new URLSearchParams({ csrf, token: ALICE.token }).toString() });
    const set = r.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^warden_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  });

  it('marks the cookie Secure when configured for a TLS-terminating proxy', async () => {
    const g = await startFixture({ secureCookies: true });
    try {
      const page = await fetch(`${g.base}/ui/login`);
      expect(page.headers.get('set-cookie')).toMatch(/; Secure$/);
    } finally {
      await g.close();
    }
  });

  it('a session ends when it expires, and when its login is re-keyed or removed', async () => {
    let t = Date.parse('2026-12-07T12:00:00Z');
    const clock = (): number => t;
    const g = await startFixture({ clock, sessionTtlMs: 60_000, secret: 's'.repeat(32) });
    const rekeyed = await startFixture({ clock, secret: 's'.repeat(32), logins: [{ ...ALICE, token: `${ALICE.token}-new` }, VIEWER] });
    const removed = await startFixture({ clock, secret: 's'.repeat(32), logins: [VIEWER] });
    const same = await startFixture({ clock, secret: 's'.repeat(32) });
    try {
      const { cookie } = await login(g.base, ALICE.token);
      const status = async (base: string): Promise<number> => (await fetch(`${base}/ui/`, { redirect: 'manual', headers: { cookie } })).status;
      expect(await status(g.base)).toBe(200);
      // Another instance with the same secret and logins accepts it; with alice's token changed, or alice gone, it is no session.
      expect(await status(same.base)).toBe(200);
      expect(await status(rekeyed.base)).toBe(303);
      expect(await status(removed.base)).toBe(303);
      t += 60_000;
      expect(await status(g.base)).toBe(303);
    } finally {
      await g.close();
      await rekeyed.close();
      await removed.close();
      await same.close();
    }
  });

  it('logging out ends the session in the browser', async () => {
    const { cookie, csrf } = await login(f.base, VIEWER.token);
    const r = await fetch(`${f.base}/ui/logout`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body: `csrf=${encodeURIComponent(csrf)}` });
    expect(r.status).toBe(303);
    expect(r.headers.get('set-cookie')).toMatch(/^warden_session=; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=0/);
  });
});

describe('every POST needs the session CSRF token and a same-origin request', () => {
  it('refuses an answer without the CSRF token (403) and leaves the call parked', async () => {
    const call = f.decide('pay', { amount: 3 });
    const item = await f.parked();
    const { cookie } = await login(f.base, ALICE.token);
    const body = new URLSearchParams({ id: item.id, digest: item.requestDigest, decision: 'approve' }).toString();
    expect((await fetch(`${f.base}/ui/approvals/answer`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body })).status).toBe(403);
    expect((await fetch(`${f.base}/ui/approvals/answer`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body: `${body}&csrf=not-the-token` })).status).toBe(403);
    // Another session's token is not this one's.
    const other = await login(f.base, VIEWER.token);
    expect((await fetch(`${f.base}/ui/approvals/answer`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body: `${body}&csrf=${encodeURIComponent(other.csrf)}` })).status).toBe(403);
    expect((await f.queue.get(item.id))?.status).toBe('pending');
    await f.queue.answer(item.id, 'deny', { by: 'finance' });
    expect((await call).allowed).toBe(false);
  });

  it('refuses a POST from another origin even with the right token', async () => {
    const { cookie, csrf } = await login(f.base, ALICE.token);
    for (const origin of ['http://evil.example', 'null', `${f.base.replace('127.0.0.1', 'localhost')}`]) {
      const r = await fetch(`${f.base}/ui/agents/kill`, { method: 'POST', redirect: 'manual', headers: form({ cookie, origin }), body: new URLSearchParams({ csrf, agent: 'bot-9', confirm: 'bot-9', reason: 'x' }).toString() });
      expect(r.status).toBe(403);
    }
    const state = await f.runtime.kill.read();
    expect(state.ok && (state.state?.entries ?? []).some((e) => e.id === 'bot-9')).toBe(false);
  });

  it('refuses a form that is not urlencoded (415) or too large (413)', async () => {
    const { cookie, csrf } = await login(f.base, ALICE.token);
    expect((await fetch(`${f.base}/ui/logout`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ csrf }) })).status).toBe(415);
    expect((await fetch(`${f.base}/ui/logout`, { method: 'POST', headers: form({ cookie }), body: `csrf=${csrf}&pad=${'a'.repeat(70_000)}` })).status).toBe(413);
  });
});

describe('permissions', () => {
  it('a login without the kill role sees no kill button and cannot kill (403), even with a valid form', async () => {
    const { cookie, csrf } = await login(f.base, VIEWER.token);
    const agents = await (await fetch(`${f.base}/ui/agents`, { headers: { cookie } })).text();
    expect(agents).not.toContain('class="kill"');
    expect((await fetch(`${f.base}/ui/agents/kill?agent=bot-1`, { headers: { cookie } })).status).toBe(403);
    const r = await fetch(`${f.base}/ui/agents/kill`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body: new URLSearchParams({ csrf, agent: 'bot-7', confirm: 'bot-7', reason: 'x' }).toString() });
    expect(r.status).toBe(403);
    const state = await f.runtime.kill.read();
    expect(state.ok && (state.state?.entries ?? []).some((e) => e.id === 'bot-7')).toBe(false);
  });

  it('a kill without its confirmation (the target repeated) or without a reason is refused (400)', async () => {
    const { cookie, csrf } = await login(f.base, ALICE.token);
    for (const fields of [{ agent: 'bot-8', reason: 'x' } as Record<string, string>, { agent: 'bot-8', confirm: 'bot-other', reason: 'x' }, { agent: 'bot-8', confirm: 'bot-8', reason: '  ' }]) {
      const r = await fetch(`${f.base}/ui/agents/kill`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body: new URLSearchParams({ csrf, ...fields }).toString() });
      expect(r.status).toBe(400);
    }
  });

  it('a login that is not a named approver cannot answer (403), and the item stays pending', async () => {
    const call = f.decide('pay', { amount: 4 });
    const item = await f.parked();
    const { cookie, csrf } = await login(f.base, VIEWER.token);
    const r = await fetch(`${f.base}/ui/approvals/answer`, { method: 'POST', redirect: 'manual', headers: form({ cookie }), body: new URLSearchParams({ csrf, id: item.id, digest: item.requestDigest, decision: 'approve' }).toString() });
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('may not answer');
    expect((await f.queue.get(item.id))?.status).toBe('pending');
    const tampered = await login(f.base, ALICE.token);
    const wrongDigest = await fetch(`${f.base}/ui/approvals/answer`, { method: 'POST', redirect: 'manual', headers: form({ cookie: tampered.cookie }), body: new URLSearchParams({ csrf: tampered.csrf, id: item.id, digest: `sha256:${'1'.repeat(64)}`, decision: 'approve' }).toString() });
    expect(wrongDigest.status).toBe(409);
    await f.queue.answer(item.id, 'deny', { by: 'finance' });
    expect((await call).allowed).toBe(false);
  });
});

describe('pages', () => {
  it('every page carries the strict CSP and the other security headers', async () => {
    const { cookie } = await login(f.base, ALICE.token);
    for (const path of ['/ui/login', '/ui/', '/ui/decisions', '/ui/approvals', '/ui/agents', '/ui/nope']) {
      const r = await fetch(`${f.base}${path}`, { headers: { cookie } });
      expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(await r.text()).not.toMatch(/<script/i);
    }
  });

  it('shows the policy revision, the audit verification, the kill state and the SLOs on the overview', async () => {
    await f.decide('read', { path: '/tmp/x' });
    const { cookie } = await login(f.base, VIEWER.token);
    const text = await (await fetch(`${f.base}/ui/`, { headers: { cookie } })).text();
    expect(text).toContain('<td id="policy-revision">rev-42</td>');
    expect(text).toMatch(/<td class="ok" id="audit-status">intact: \d+ records, head seq \d+ sha256:[0-9a-f]{64}<\/td>/);
    expect(text).toMatch(/<td id="kill-status">epoch \d+, \d+ active kill\(s\)<\/td>/);
    expect(text).toContain('<td>payments</td>');
    expect(text).toMatch(/<td id="audit-signatures">[1-9]\d* checkpoint signature\(s\) verified<\/td>/);
  });

  it('shows the log as broken when its checkpoints do not verify with the configured key', async () => {
    for (let i = 0; i < 3; i++) await f.decide('read', { path: `/cp/${i}` });
    const g = await startFixture({ audit: f.auditDir, auditPublicKey: generateKeyPair().publicKey });
    try {
      const { cookie } = await login(g.base, VIEWER.token);
      const text = await (await fetch(`${g.base}/ui/`, { headers: { cookie } })).text();
      expect(text).toMatch(/<td class="bad" id="audit-status">BROKEN: bad_signature at seq \d+/);
    } finally {
      await g.close();
    }
  });

  it('filters decisions by tool, effect and agent', async () => {
    await f.decide('read', { path: '/a' }, 'reader-1');
    await f.decide('read', { path: '/b' }, 'reader-2');
    const { cookie } = await login(f.base, VIEWER.token);
    const rows = async (q: string): Promise<string[]> => [...(await (await fetch(`${f.base}/ui/decisions?${q}`, { headers: { cookie } })).text()).matchAll(/<tr data-call="[^"]*"><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(await rows('agent=reader-2')).toEqual(['reader-2/read']);
    expect(new Set(await rows('tool=read&effect=allow'))).toEqual(new Set(['bot-1/read', 'reader-1/read', 'reader-2/read']));
    expect(await rows('tool=pay&effect=allow')).toEqual([]);
  });

  const payloads = ['<script>window.__xss=1</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", '</pre><iframe src=javascript:alert(1)>', '`${alert(1)}`', '&lt;already escaped&gt;'];
  it.each(payloads)('escapes %s wherever a recorded value is shown', async (payload) => {
    await f.decide('read', { path: payload }, 'xss-agent');
    const { cookie } = await login(f.base, VIEWER.token);
    const text = await (await fetch(`${f.base}/ui/decisions?agent=xss-agent`, { headers: { cookie } })).text();
    expect(text).toContain(escapeHtml(JSON.stringify({ path: payload })));
    expect(text).not.toContain(payload);
    expect(text).not.toMatch(/<(script|img|svg|iframe)\b/i);
  });

  it('escapes the agent filter echoed into the form', async () => {
    const { cookie } = await login(f.base, VIEWER.token);
    const text = await (await fetch(`${f.base}/ui/decisions?agent=${encodeURIComponent('"><script>alert(1)</script>')}`, { headers: { cookie } })).text();
    expect(text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});

describe('options', () => {
  it.each([
    ['no logins', { logins: [] }],
    ['a short token', { logins: [{ name: 'a', token: 'short' }] }],
    ['two logins sharing a token', { logins: [{ name: 'a', token: 'x'.repeat(16) }, { name: 'b', token: 'x'.repeat(16) }] }],
    ['a short secret', { logins: [ALICE], secret: 'short' }],
    ['an unknown option', { logins: [ALICE], sesionTtlMs: 5 }],
    ['a prefix that is not a path', { logins: [ALICE], prefix: 'ui' }],
    ['a kill key without a runtime', { logins: [ALICE], killKey: {} }],
  ])('rejects %s (ERR_OPTIONS)', (_name, options) => {
    expect(() => createDashboard(options as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});

/**
 * OIDC login to the dashboard in headless Chromium against a real provider (oidc-provider, in
 * process, on `localhost`; the dashboard on `127.0.0.1`, so the provider's redirect back is
 * cross-site and the SameSite=Strict session cookie has to be landed by the same-site refresh).
 * The person logs in through the provider, lands on the overview, and approves a parked call as
 * `oidc:<sub>` with the role the claim gave; an account without a role sees a 403 page and gets
 * no session.
 */
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../helpers/chromium.js';
import { startFixture, type Fixture } from './fixture.js';
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider, type OidcProviderFixture } from './oidc-provider-fixture.js';

const found = findChromium();
if (!found.ok && process.env.CI) throw new Error(found.reason);
if (!found.ok) console.warn(`test/dashboard/oidc-browser.test.ts skips: ${found.reason}`);

describe.skipIf(!found.ok)('OIDC login to the dashboard in a browser', () => {
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let f: Fixture;
  let provider: OidcProviderFixture;
  beforeAll(async () => {
    f = await startFixture(async (base) => {
      provider = await startOidcProvider(`${base}/ui/oidc/callback`);
      return { oidc: { issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${base}/ui/oidc/callback`, onLogin: () => undefined } };
    });
    browser = await chromium.launch({ executablePath: (found as { path: string }).path, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await provider?.close();
  });

  it('logs in through the provider, lands on the overview, and approves a parked call under the OIDC name', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    provider.nextAccount = 'alice-sub';
    await page.goto(`${f.base}/ui/approvals`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.click('#oidc-login');
    await page.waitForURL(`${f.base}/ui/`);
    expect(await page.locator('header form.logout span').innerText()).toBe('oidc:alice-sub');
    expect(await page.locator('#policy-revision').innerText()).toBe('rev-42');

    const caller = f.decide('pay', { amount: 7 });
    const item = await f.parked();
    await page.goto(`${f.base}/ui/approvals`);
    await page.locator(`section[id="approval-${item.id}"] button[value="approve"]`).click();
    await page.waitForURL(/\/ui\/approvals\?done=approved/);
    expect(await caller).toMatchObject({ allowed: true, approval: { approved: true, by: 'oidc:alice-sub' } });
    // The OIDC login cookie is gone (warden_login is the token form's CSRF cookie); the session cookie is Strict and HttpOnly.
    const cookies = (await context.cookies()).filter((c) => c.domain === '127.0.0.1');
    expect(cookies.map((c) => c.name).sort()).toEqual(['warden_login', 'warden_session']);
    expect(cookies.find((c) => c.name === 'warden_session')).toMatchObject({ sameSite: 'Strict', httpOnly: true, path: '/ui' });
    await context.close();
  });

  it('an account without a role gets a 403 page with its code and no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    provider.nextAccount = 'norole-sub';
    await page.goto(`${f.base}/ui/login`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().startsWith(`${f.base}/ui/oidc/callback`)), page.click('#oidc-login')]);
    expect(response.status()).toBe(403);
    expect(await page.locator('#error-code').innerText()).toBe('ERR_OIDC:no_role');
    expect((await context.cookies()).filter((c) => c.domain === '127.0.0.1').map((c) => c.name)).toEqual(['warden_login']);
    await page.goto(`${f.base}/ui/`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await context.close();
  });
});

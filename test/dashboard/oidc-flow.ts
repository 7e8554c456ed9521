/**
 * An OIDC login driven with plain HTTP, as a browser would: the dashboard's start (its Lax login
 * cookie), the provider's redirects with the provider's own cookies, then the callback. Each step
 * is separate so a test can tamper with what passes between them.
 */
import { expect } from 'vitest';
import type { OidcProviderFixture } from './oidc-provider-fixture.js';

/** Cookies by name. */
export type Jar = Record<string, string>;

/** What a callback answered. */
export interface Landed {
  status: number;
  body: string;
  cookies: Jar;
}

/** Takes the Set-Cookie headers of a response into the jar (an emptied or expired cookie leaves it). */
export function absorb(jar: Jar, r: Response): void {
  for (const c of r.headers.getSetCookie()) {
    const pair = c.split(';')[0] as string;
    const eq = pair.indexOf('=');
    const value = pair.slice(eq + 1);
    if (value === '' || /max-age=0\b/i.test(c)) delete jar[pair.slice(0, eq)];
    else jar[pair.slice(0, eq)] = value;
  }
}

export const cookieHeader = (jar: Jar): string =>
  Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

/** GET <base>/ui/oidc/start: the provider URL and the dashboard's cookies (the Lax login cookie). */
export async function begin(base: string): Promise<{ authUrl: string; dash: Jar }> {
  const r = await fetch(`${base}/ui/oidc/start`, { redirect: 'manual' });
  expect(r.status).toBe(303);
  const dash: Jar = {};
  absorb(dash, r);
  return { authUrl: r.headers.get('location') as string, dash };
}

/** Walks the provider's redirects (its own cookies kept) as `account` until it sends the browser back to `base`; returns that callback URL. */
export async function authorize(provider: OidcProviderFixture, authUrl: string, account: string, base: string): Promise<string> {
  provider.nextAccount = account;
  const jar: Jar = {};
  let url = authUrl;
  for (let i = 0; i < 12; i++) {
    const r = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader(jar) } });
    absorb(jar, r);
    const location = r.headers.get('location');
    if (location === null) throw new Error(`the provider answered ${r.status} at ${url}: ${(await r.text()).slice(0, 300)}`);
    const next = new URL(location, url).href;
    if (next.startsWith(`${base}/ui/oidc/callback`)) return next;
    url = next;
  }
  throw new Error('the provider never redirected back');
}

/** GET the callback with the dashboard's cookies. */
export async function callback(url: string, dash: Jar): Promise<Landed> {
  const r = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader(dash) } });
  const cookies: Jar = { ...dash };
  absorb(cookies, r);
  return { status: r.status, body: await r.text(), cookies };
}

/** One whole login of `account` at the dashboard on `base`. */
export async function oidcLogin(provider: OidcProviderFixture, base: string, account: string): Promise<Landed & { callbackUrl: string; dash: Jar }> {
  const { authUrl, dash } = await begin(base);
  const callbackUrl = await authorize(provider, authUrl, account, base);
  return { ...(await callback(callbackUrl, dash)), callbackUrl, dash };
}

/**
 * The dashboard end to end in headless Chromium: a caller blocks on a require_approval decision;
 * in the browser a person logs in, sees the exact (hostile) arguments rendered inert, approves,
 * and the caller proceeds with the approver in its record; the person kills the agent (through
 * the confirmation step) and its next call is denied. Anonymous access goes to the login page, and
 * a cross-site form cannot act.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAuditLog } from '../../src/audit/query.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { findChromium } from '../helpers/chromium.js';
import { ALICE, startFixture, type Fixture } from './fixture.js';

const found = findChromium();
if (!found.ok && process.env.CI) throw new Error(found.reason);
if (!found.ok) console.warn(`test/dashboard/browser.test.ts skips: ${found.reason}`);

/** Arguments that would run script if they were rendered as markup: each sets a global. */
const HOSTILE = {
  amount: 5,
  memo: '<script>window.__xss = "script"</script>',
  img: '"><img src=x onerror="window.__xss = \'img\'">',
  svg: "'><svg onload=\"window.__xss = 'svg'\"></svg>",
  close: '</pre></td></tr></table><script>window.__xss = "close"</script>',
};

describe.skipIf(!found.ok)('the dashboard in a browser', () => {
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
    browser = await chromium.launch({ executablePath: (found as { path: string }).path, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  async function loggedIn(): Promise<Awaited<ReturnType<typeof browser.newPage>>> {
    const page = await browser.newPage();
    await page.goto(`${f.base}/ui/login`);
    await page.fill('input[name="token"]', ALICE.token);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${f.base}/ui/`);
    return page;
  }

  it('sends an anonymous visitor to the login page', async () => {
    const page = await browser.newPage();
    await page.goto(`${f.base}/ui/approvals`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expect(await page.locator('section.approval').count()).toBe(0);
    await page.close();
  });

  it('approving a parked call in the browser lets the blocked caller proceed, and its record names the approver', async () => {
    const caller = f.decide('pay', HOSTILE);
    const item = await f.parked();
    const page = await loggedIn();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${f.base}/ui/approvals`);
    const section = page.locator(`section[id="approval-${item.id}"]`);
    // The exact arguments, shown as text: every payload visible, none of them run.
    expect(JSON.parse(await section.locator('pre.args').innerText())).toEqual(HOSTILE);
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main svg, main script').count()).toBe(0);
    expect(await section.locator('code').innerText()).toBe(item.requestDigest);

    await section.locator('button[value="approve"]').click();
    await page.waitForURL(/\/ui\/approvals\?done=approved/);
    expect(await page.locator('#notice').innerText()).toBe(`approved ${item.id}`);

    const verdict = await caller;
    expect(verdict).toMatchObject({ allowed: true, effect: 'allow', approval: { approved: true, by: 'alice', requestDigest: item.requestDigest } });
    const records = [];
    for await (const r of queryAuditLog(await listAuditFiles(f.auditDir), { tool: 'pay' })) if (r.call === verdict.call) records.push(r);
    expect(records).toHaveLength(1);
    expect(records[0]?.outcome?.approval).toMatchObject({ approved: true, by: 'alice' });

    // The Decisions page shows the call with its approver, its arguments still inert.
    await page.goto(`${f.base}/ui/decisions?tool=pay`);
    expect(await page.locator(`tr[data-call="${verdict.call}"] td.approver`).innerText()).toBe('alice');
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pressing kill (and confirming) denies the agent its next call', async () => {
    expect((await f.decide('read', { path: '/ok' }, 'bot-2')).allowed).toBe(true);
    const page = await loggedIn();
    await page.goto(`${f.base}/ui/agents`);
    const row = page.locator('tr[data-agent="bot-2"]');
    expect(await row.locator('td').nth(4).innerText()).toBe('running');
    await row.locator('a.kill').click();
    await page.waitForURL(/\/ui\/agents\/kill\?agent=bot-2$/);
    expect(await page.locator('#kill-target').innerText()).toBe('bot-2');
    // Nothing is killed until the confirmation is submitted.
    expect((await f.decide('read', { path: '/still-ok' }, 'bot-2')).allowed).toBe(true);
    await page.fill('input[name="reason"]', 'runaway loop');
    await page.click('button.danger');
    await page.waitForURL(/\/ui\/agents\?done=killed/);
    expect(await page.locator('tr[data-agent="bot-2"] td').nth(4).innerText()).toBe('killed: runaway loop (killed from the dashboard by alice)');

    const next = await f.decide('read', { path: '/after-kill' }, 'bot-2');
    expect(next.allowed).toBe(false);
    expect(next.reason).toContain('runaway loop');
    // Another agent is not affected.
    expect((await f.decide('read', { path: '/other' }, 'bot-3')).allowed).toBe(true);
    await page.close();
  });

  it('a form on another site cannot approve or kill, even while the person is logged in', async () => {
    const caller = f.decide('pay', { amount: 99 });
    const item = await f.parked();
    // The "other site": same machine, another origin (localhost vs 127.0.0.1, another port).
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="post" action="${f.base}/ui/approvals/answer">
<input name="id" value="${item.id}"><input name="digest" value="${item.requestDigest}"><input name="decision" value="approve"></form>
<script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const page = await loggedIn();
      const submitted = page.waitForResponse((r) => r.url().endsWith('/ui/approvals/answer'));
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      const response = await submitted;
      expect([401, 403]).toContain(response.status());
      expect((await f.queue.get(item.id))?.status).toBe('pending');
      await f.queue.answer(item.id, 'deny', { by: 'finance', note: 'test cleanup' });
      expect((await caller).allowed).toBe(false);
      await page.close();
    } finally {
      evil.closeAllConnections();
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
  });
});

/**
 * The HTML report as an auditor sees it: rendered by headless Chromium (no scripts run: the page
 * forbids them), every finding shown with its status, and the links from findings to checks work.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/compliance/render.js';
import { complianceReport } from '../../src/compliance/report.js';
import { findChromium } from '../helpers/chromium.js';
import { deployment } from './fixtures.js';

const found = findChromium();
if (!found.ok && process.env.CI) throw new Error(found.reason);
if (!found.ok) console.warn(`test/compliance/browser.test.ts skips: ${found.reason}`);

describe.skipIf(!found.ok)('the HTML compliance report in a browser', () => {
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let url: string;
  let findings: Array<{ id: string; status: string }>;
  beforeAll(async () => {
    const d = await deployment();
    const report = await complianceReport({ policy: [d.policy], audit: d.audit, config: d.config, replayReports: [d.replay], now: new Date('2026-12-07T00:00:00Z') });
    findings = report.findings.map((f) => ({ id: `${f.framework}-${f.control.token}`, status: f.status }));
    const file = join(d.dir, 'report.html');
    writeFileSync(file, reportHtml(report));
    url = pathToFileURL(file).href;
    browser = await chromium.launch({ executablePath: (found as { path: string }).path, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows every finding with its status', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    for (const f of findings) {
      const row = page.locator(`tr[id="${f.id}"]`);
      expect(await row.isVisible()).toBe(true);
      expect(await row.getAttribute('data-status')).toBe(f.status);
      const shown = (await row.locator('td').nth(2).innerText()).trim();
      expect(shown).toBe({ satisfied: 'satisfied', 'not-satisfied': 'NOT satisfied', manual: 'manual' }[f.status]);
    }
    await page.close();
  });

  it('links each finding to the checks and evidence behind it', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const link = page.locator('tr[id="owasp-asi-asi10"] a[href="#check-audit.intact"]');
    await link.click();
    expect(page.url().endsWith('#check-audit.intact')).toBe(true);
    expect(await page.locator('section[id="check-audit.intact"] code').first().innerText()).toMatch(/^audit main seq \d+ sha256:/);
    await page.close();
  });
});

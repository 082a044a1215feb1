/**
 * The pages under the server's Content-Security-Policy in real headless Chromium: the wall, the login, the supervisors'
 * desk and the drill pages load and render with no CSP violation, no request carries a Referer, and the wall's token
 * leaves its address bar.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import { shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { post, TOKENS } from '../../harness/server';

const run = browserAvailable('CSP browser test');
const shots = path.resolve('test-results');
const NOW = shanghaiInstant('2026-11-24', '10:00');

/** Records CSP violations in the page (the event the browser fires for each one) before any of its scripts run. */
const WATCH_CSP = `window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber); });`;

describe.runIf(run)('when every page is loaded under the Content-Security-Policy', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const referers: string[] = [];
  const requested: string[] = [];

  const violations = async (): Promise<string[]> =>
    page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-e2e-csp-'));
    mkdirSync(shots, { recursive: true });
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      staticDir: path.resolve('dist/client'),
      now: () => NOW,
      deltaIntervalMs: 200,
    });
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    url = `http://127.0.0.1:${addr.port}`;
    const events = generateEvents({
      seed: 5,
      from: shanghaiInstant('2026-11-22', '00:00'),
      to: NOW - 3_600_000,
      casesPerDay: 150,
    });
    // The district's days whole, its desk's acts included (an admin's token: a producer's feed may not make them in live).
    for (let i = 0; i < events.length; i += 400)
      await post(url, { space: 'live', events: events.slice(i, i + 400) }, 'admin-token');
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await context.addInitScript(WATCH_CSP);
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      requested.push(r.url());
      const referer = r.headers().referer;
      if (referer) referers.push(`${r.url()} ← ${referer}`);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('then the wall renders its panels with the token taken off its address, no violation, no Referer', async () => {
    const res = await page.goto(`${url}/?space=live&token=viewer-token`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('[data-panel="overdue"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('[data-panel="trend"] canvas').first().waitFor({ state: 'attached', timeout: 20_000 });
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: path.join(shots, 'csp-wall.png') });
    expect(page.url()).not.toContain('token=');
    expect(requested.filter((u) => u.includes('/assets/')).length).toBeGreaterThan(0);
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
    expect(referers).toEqual([]);
  }, 60_000);

  it("then the login and the supervisors' desk pages load with no violation and no Referer", async () => {
    await page.goto(`${url}/cases?space=live&status=overdue`);
    await page.waitForURL(/\/login\?next=/, { timeout: 10_000 });
    expect(await violations()).toEqual([]);
    await page.fill('input[name=token]', 'admin-token');
    await page.click('form[data-test=login] button[type=submit]');
    await page.waitForURL(/\/cases\?space=live&status=overdue$/, { timeout: 10_000 });
    const firstCase = page.locator('a[href^="/cases/"]').first();
    await firstCase.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await violations()).toEqual([]);
    await firstCase.click();
    await page.waitForURL(/\/cases\/[^?]+/, { timeout: 10_000 });
    await page.waitForTimeout(1_000);
    expect(await violations()).toEqual([]);
    for (const p of ['/units?space=live', '/reports/monthly?space=live', '/drills']) {
      await page.goto(`${url}${p}`);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      expect(await violations(), p).toEqual([]);
    }
    await page.screenshot({ path: path.join(shots, 'csp-drills.png') });
    expect(problems).toEqual([]);
    expect(referers).toEqual([]);
  }, 90_000);
});

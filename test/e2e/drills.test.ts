/**
 * The drill pages in real headless Chromium: an unauthenticated visit goes to login and back, an admin session starts
 * a drill from the form (a cookie write with the CSRF token), follows it to the end, and reads its summary; the wall
 * link carries no token. A supervisor session is told it needs an admin. Screenshot in test-results/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import { shanghaiInstant } from '@shared/time';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { TOKENS } from '../../harness/server';

const run = browserAvailable('drill pages browser test');
const shots = path.resolve('test-results');
const NOW = shanghaiInstant('2026-11-25', '10:00');

describe.runIf(run)('when an admin runs a drill from the drill pages', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-e2e-drills-'));
    mkdirSync(shots, { recursive: true });
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      staticDir: path.resolve('dist/client'),
      now: () => NOW,
      drillDbFile: path.join(dataDir, 'drills.sqlite'),
    });
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    url = `http://127.0.0.1:${addr.port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401|403|Unauthorized|Forbidden/.test(m.text())) errors.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('then a supervisor session is told the page needs an admin', async () => {
    await page.goto(`${url}/drills`);
    await page.waitForURL(/\/login\?next=%2Fdrills$/, { timeout: 10_000 });
    await page.fill('input[name=token]', 'supervisor-token');
    await page.click('form[data-test=login] button[type=submit]');
    await page.waitForURL(/\/drills$/, { timeout: 10_000 });
    await expect
      .poll(() => page.locator('[role=alert]').innerText(), { timeout: 10_000 })
      .toMatch(/需要管理员登录.*supervisor token may not administer/);
    await page.locator('nav button', { hasText: '退出' }).click();
    await page.waitForURL(/\/login$/, { timeout: 10_000 });
  });

  it('then after logging in as admin the form starts a drill that runs to its end, with a wall link without a token', async () => {
    await page.goto(`${url}/drills`);
    await page.waitForURL(/\/login\?next=%2Fdrills$/, { timeout: 10_000 });
    await page.fill('input[name=token]', 'admin-token');
    await page.click('form[data-test=login] button[type=submit]');
    await page.waitForURL(/\/drills$/, { timeout: 10_000 });
    await expect.poll(() => page.locator('select[name=scenario] option').count(), { timeout: 30_000 }).toBe(7);
    await page.selectOption('select[name=scenario]', 'link-down');
    await page.selectOption('select[name=speed]', 'max');
    await page.fill('input[name=seed]', '4');
    await page.click('form.panel button[type=submit]');
    const row = page.locator('tr[data-drill]');
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => row.innerText(), { timeout: 90_000 }).toContain('已完成');
    const id = await row.getAttribute('data-drill');
    expect(id).toMatch(/^drill-link-down-/);
    expect(await row.locator('[data-test=drill-wall]').getAttribute('href')).toBe(`/?space=${id}`);
    expect(await page.locator('[role=alert]').count()).toBe(0);
    await page.screenshot({ path: path.join(shots, 'drills-list.png'), fullPage: true });
  }, 150_000);

  it('then its summary page shows the eight figures (the duty desk figures among them) against their targets', async () => {
    await page.locator('tr[data-drill] a', { hasText: '总结' }).click();
    await page.waitForURL(/\/drills\/drill-link-down-/, { timeout: 10_000 });
    await expect.poll(() => page.locator('tr[data-figure]').count(), { timeout: 30_000 }).toBe(8);
    expect(await page.locator('[data-test=space-banner]').innerText()).toMatch(/演练 DRILL · drill-link-down-/);
    await page.screenshot({ path: path.join(shots, 'drills-summary.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});

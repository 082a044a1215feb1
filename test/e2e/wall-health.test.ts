/**
 * The wall watched and waking: a real wall page reports its health, the admin page lists it with its space, address,
 * screen and build and flags it stale once it stops reporting (its page stalled, as on a sleeping PC); woken — from a
 * long timer stall, or shown again after being hidden — with its socket dropped meanwhile, the wall is live again
 * within 5 s.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_CONFIG } from '@shared/config';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startDemoWall, type DemoWall } from '../../harness/demoWall';

const run = browserAvailable('wall health browser test');
const RECOVERY_MS = 5_000;

/** Live: connected and the last message under STALE_MS old (the header's green dot), no stale banner. */
async function waitLive(page: Page, timeout: number): Promise<void> {
  await page.locator('[data-panel="header"] .conn.good').waitFor({ state: 'visible', timeout });
  await page.locator('[data-stale]').waitFor({ state: 'detached', timeout });
}

describe.runIf(run)('when wall screens run, stop reporting and wake up', () => {
  let wall: DemoWall;
  let browser: Browser;
  let admin: BrowserContext;
  const build = (JSON.parse(readFileSync('dist/client/build.json', 'utf8')) as { version: string }).version;

  // Headless Chromium without a GPU draws only a few frames a second: the slow flag is not judged here (the server test does).
  beforeAll(async () => {
    wall = await startDemoWall({
      seed: 3,
      speed: 30,
      config: { ...DEFAULT_CONFIG, walls: { silentSec: 10, slowFps: 0, staleDataSec: 30 } },
    });
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    const login = await admin.request.post(`${wall.url}/api/v1/session`, {
      data: { token: 'admin-token', name: '管理员' },
    });
    expect(login.status()).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await wall?.stop();
  });

  it('then the admin page lists the wall with its health, flags it stale while it is stalled, and it is live again within 5 s of waking', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    await page.goto(wall.page('&kiosk=1'));
    await waitLive(page, 20_000);
    const wallId = await page.evaluate(() => localStorage.getItem('cityops-wall-id'));
    expect(wallId).toMatch(/^[A-Za-z0-9_-]{6,64}$/);

    const desk = await admin.newPage();
    await desk.goto(`${wall.url}/admin/walls`);
    const row = desk.locator(`[data-wall="${wallId}"]`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await row.innerText();
    expect(text).toContain('demo');
    expect(text).toContain('127.0.0.1');
    expect(text).toContain('在线');
    expect(text).toContain('1920×1080');
    expect(text).toContain('kiosk');
    expect(text).toContain(build);
    expect(await row.locator('[data-flag]').allInnerTexts(), text).toEqual([]);

    // The PC sleeps: the page's main thread stalls for 16 s (no timers, no frames, no reports), and its connection is
    // dropped meanwhile.
    const STALL_MS = 16_000;
    const stalled = page.evaluate((ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        /* asleep */
      }
    }, STALL_MS);
    const stallStart = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    wall.app.io.of('/wall').disconnectSockets(true);
    await desk.reload();
    await row.locator('[data-flag="stale"]').waitFor({ state: 'visible', timeout: STALL_MS });
    expect(await row.innerText()).toContain('已断开');
    const api = await admin.request.get(`${wall.url}/api/v1/walls`);
    const listed = (
      (await api.json()) as { walls: { id: string; flags: { stale: boolean }; silentMs: number }[] }
    ).walls.find((w) => w.id === wallId);
    expect(listed?.flags.stale).toBe(true);
    expect(listed!.silentMs).toBeGreaterThan(10_000);

    // It wakes: live again within 5 s, and reporting (the flag goes).
    await stalled;
    const woke = Date.now();
    expect(woke - stallStart).toBeGreaterThanOrEqual(STALL_MS - 500);
    await waitLive(page, RECOVERY_MS);
    const recoveredMs = Date.now() - woke;
    console.log(`wall live again ${recoveredMs} ms after a ${STALL_MS} ms main-thread stall with its socket dropped`);
    expect(recoveredMs).toBeLessThanOrEqual(RECOVERY_MS);
    await desk.reload();
    await expect
      .poll(
        async () => {
          await desk.reload();
          return row.locator('[data-flag]').count();
        },
        { timeout: 15_000, interval: 1000 },
      )
      .toBe(0);
    expect(await row.innerText()).toContain('在线');
    await context.close();
  }, 120_000);

  it('then a wall hidden while its connection drops is live again within 5 s of being shown', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    await page.goto(wall.page('&kiosk=1'));
    await waitLive(page, 20_000);
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => s === 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    // While hidden, the server goes away for a while: the wall's reconnect backoff grows.
    await wall.restart(6_000);
    await page.waitForTimeout(3_000);
    const shown = Date.now();
    await setVisibility('visible');
    await waitLive(page, RECOVERY_MS);
    const recoveredMs = Date.now() - shown;
    console.log(`wall live again ${recoveredMs} ms after being shown`);
    expect(recoveredMs).toBeLessThanOrEqual(RECOVERY_MS);
    await context.close();
  }, 120_000);
});

/**
 * The wall survives its server: restarted under an open page, the page shows the data-age warning while the server
 * is away, reconnects by itself, and ends with exactly the figures a freshly opened page shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startDemoWall, type DemoWall } from '../../harness/demoWall';

const run = browserAvailable('wall reconnect browser test');

/** Panels whose text depends only on the view (not on the ticking clock). */
const STEADY = [
  'hotline',
  'staffing',
  'agent-load',
  'map',
  'channels',
  'categories',
  'case-flow',
  'overdue',
  'satisfaction',
  'roster',
  'ranking',
  'alerts',
];

function figures(page: Page): Promise<Record<string, string>> {
  return page.evaluate(
    (names) =>
      Object.fromEntries(
        names.map((n) => [n, (document.querySelector<HTMLElement>(`[data-panel="${n}"]`)?.innerText ?? '').trim()]),
      ),
    STEADY,
  );
}

describe.runIf(run)('when the server restarts under an open wall', () => {
  let wall: DemoWall;
  let browser: Browser;

  beforeAll(async () => {
    wall = await startDemoWall({ seed: 5, speed: 60 });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await wall?.stop();
  });

  it('then it warns of stale data, recovers, and shows the figures of a fresh page', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(wall.page());
    await page.locator('[data-panel="map"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-stale]').count()).toBe(0);
    // Hold the feed still so both pages can be compared figure by figure.
    wall.feed.togglePause();
    await page.waitForTimeout(1500);

    const restarted = wall.restart(7_000);
    await page.locator('[data-stale]').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('[data-panel="header"]').innerText()).toMatch(/重连中|连接中/);
    await restarted;
    await page.locator('[data-stale]').waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => page.locator('[data-panel="header"]').innerText(), { timeout: 10_000 }).toContain('实时');

    const fresh = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await fresh.goto(wall.page());
    await fresh.locator('[data-panel="map"]').waitFor({ timeout: 20_000 });
    await fresh.waitForTimeout(1500);
    await expect
      .poll(async () => JSON.stringify(await figures(page)), { timeout: 5_000 })
      .toBe(JSON.stringify(await figures(fresh)));
    const shown = await figures(page);
    expect(shown['case-flow']).toMatch(/\d/);
    wall.feed.togglePause();
  }, 90_000);
});

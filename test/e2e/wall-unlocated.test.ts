/**
 * Unknown places stay on the wall: open cases whose street is not a configured one (an import's places the
 * configuration does not list) are counted in the map's 未定位 figure instead of vanishing, in real Chromium, and the
 * figure fits in the map's title bar beside the others.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

const run = browserAvailable('wall unlocated-cases browser test');

describe.runIf(run)('when open cases are in places the configuration does not list', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(T0, undefined, undefined, { staticDir: path.resolve('dist/client') });
    const events = [
      received('u-1', { street: 'unknown' }),
      received('u-2', { street: 'unknown' }),
      received('u-3', { street: 'old-mill' }),
      received('k-1', { street: 'guanshan' }),
    ];
    expect((await post(server.url, { space: 'live', events })).json.accepted).toBe(4);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('then the map shows them as 未定位 with their count, linked to the late-case list', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(`${server.url}/?space=live&token=viewer-token`);
    const figure = page.locator('[data-test=unlocated]');
    await figure.waitFor({ state: 'visible', timeout: 20_000 });
    expect((await figure.textContent())?.replace(/\s+/g, '')).toBe('未定位3/0');
    expect(await figure.getAttribute('href')).toMatch(/^\/cases\?space=live&status=late$/);
    expect((await page.locator('[data-street=guanshan] .open').textContent())?.trim()).toBe('1');
    // The map's title bar keeps one line: no legend item wraps, and none reaches past the panel's edge.
    const bar = await page.locator('[data-panel=map] .bar').evaluate((el) => {
      const panel = el.getBoundingClientRect();
      const items = [...el.querySelectorAll('.legend > *')].map((i) => i.getBoundingClientRect());
      return { right: panel.right, heights: items.map((r) => Math.round(r.height)), rights: items.map((r) => r.right) };
    });
    expect(bar.heights).toHaveLength(4);
    for (const h of bar.heights) expect(h).toBeLessThan(26);
    for (const r of bar.rights) expect(r).toBeLessThanOrEqual(bar.right);
    await page.close();
  });
});

/**
 * The header holds any name: a 20-character centre name and a drill space's banner never overlap and the name is not
 * cut, at each screen the wall serves (1920×1080, 2560×1440, 3840×2160, a 5760×1080 video wall), in real Chromium.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

const run = browserAvailable('wall header browser test');
const NAME = '武汉市洪山区城市运行管理中心指挥调度大厅';
const SPACE = 'drill-rainstorm-night-shift';
const SCREENS = [
  [1920, 1080],
  [2560, 1440],
  [3840, 2160],
  [5760, 1080],
] as const;

describe.runIf(run)('when a long centre name and a drill banner share the header', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    expect([...NAME]).toHaveLength(20);
    mkdirSync(path.resolve('test-results'), { recursive: true });
    const config = mergeConfig(DEFAULT_CONFIG, { centre: { name: NAME, district: '洪山区' } });
    server = await startTestServer(T0, undefined, undefined, { config, staticDir: path.resolve('dist/client') });
    const res = await post(server.url, { space: SPACE, events: [received('h-1')] }, 'admin-token');
    expect(res.json.accepted).toBe(1);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  for (const [width, height] of SCREENS) {
    it(`then at ${width}×${height} the name is whole and the banner beside it, apart`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(`${server.url}/?space=${SPACE}&token=viewer-token`);
      const banner = page.locator('[data-test=space-banner]');
      await banner.waitFor({ state: 'visible', timeout: 20_000 });
      await page.waitForTimeout(300);
      expect(await banner.textContent()).toBe(`演练 DRILL · ${SPACE}`);
      const m = await page.evaluate(() => {
        const box = (sel: string) => {
          const r = document.querySelector(sel)!.getBoundingClientRect();
          return { x: r.left, y: r.top, r: r.right, b: r.bottom };
        };
        const h1 = document.querySelector('[data-panel=header] h1') as HTMLElement;
        return {
          name: h1.textContent,
          scroll: h1.scrollWidth,
          client: h1.clientWidth,
          font: parseFloat(getComputedStyle(h1).fontSize),
          h1: box('[data-panel=header] h1'),
          banner: box('[data-test=space-banner]'),
          header: box('[data-panel=header]'),
          left: box('[data-panel=header] .left'),
          right: box('[data-panel=header] .right'),
        };
      });
      expect(m.name).toBe(NAME);
      // Not cut: the whole name fits its box (no ellipsis), at a readable size.
      expect(m.scroll).toBeLessThanOrEqual(m.client + 1);
      expect(m.font).toBeGreaterThanOrEqual(20);
      const apart = (a: typeof m.h1, b: typeof m.h1) =>
        a.r <= b.x + 0.5 || b.r <= a.x + 0.5 || a.b <= b.y + 0.5 || b.b <= a.y + 0.5;
      expect(apart(m.h1, m.banner), 'name and banner').toBe(true);
      expect(apart(m.h1, m.left) && apart(m.h1, m.right), 'name and the side blocks').toBe(true);
      expect(apart(m.banner, m.left) && apart(m.banner, m.right), 'banner and the side blocks').toBe(true);
      for (const b of [m.h1, m.banner]) {
        expect(b.x).toBeGreaterThanOrEqual(m.header.x);
        expect(b.r).toBeLessThanOrEqual(m.header.r);
        expect(b.y).toBeGreaterThanOrEqual(m.header.y);
        expect(b.b).toBeLessThanOrEqual(m.header.b + 0.5);
      }
      if (width === 1920)
        await page
          .locator('[data-panel=header]')
          .screenshot({ path: path.resolve('test-results/wall-header-1920x1080-drill.png') });
      await page.close();
    });
  }
});

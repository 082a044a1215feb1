/**
 * Spliced video walls: with `&grid=CxR&bezel=12` the wall lays out one stage per physical screen. For each preset
 * (2×1, 3×1, 4×1, 2×2 of 1920×1080 screens) every panel is shown, each lies inside one screen clear of the bezel, and
 * each figure panel's largest figure is at least 1/54 of its screen's height (the minimum readable size at 3 m, README
 * "Spliced video walls"). An
 * unknown grid is named in a clear error and the wall still shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startDemoWall, type DemoWall } from '../../harness/demoWall';
import { WALL_PANELS } from '../../harness/wallPanels';

const run = browserAvailable('spliced wall browser test');
const BEZEL = 12;
/** Panels whose figures are read from across the room. */
const FIGURE_PANELS = ['hotline', 'staffing', 'agent-load', 'case-flow', 'overdue', 'satisfaction', 'duty'];

/** Figures at least this share of the screen height: 20 px of 1080, 12.7 mm on a 55-inch panel (3 m ÷ 250 = 12 mm). */
const MIN_FIGURE = 1 / 54;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Shown {
  screens: Box[];
  panels: (Box & { name: string; figurePx: number })[];
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const box = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height };
    };
    const screens = [...document.querySelectorAll('[data-screen]')].map(box);
    const panels = [...document.querySelectorAll('[data-panel]')].map((el) => {
      let figurePx = 0;
      const scale = el.getBoundingClientRect().height / Math.max(1, (el as HTMLElement).offsetHeight);
      for (const n of el.querySelectorAll('.num'))
        figurePx = Math.max(figurePx, Number.parseFloat(getComputedStyle(n).fontSize) * scale);
      return { name: el.getAttribute('data-panel') ?? '', figurePx, ...box(el) };
    });
    return { screens, panels };
  });
}

describe.runIf(run)('when the wall runs on a spliced video wall', () => {
  let wall: DemoWall;
  let browser: Browser;

  beforeAll(async () => {
    wall = await startDemoWall({ seed: 21, speed: 30 });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await wall?.stop();
  });

  for (const [cols, rows] of [
    [2, 1],
    [3, 1],
    [4, 1],
    [2, 2],
  ] as const) {
    it(`then on ${cols}×${rows} screens no panel crosses a bezel and figures stay readable`, async () => {
      const width = 1920 * cols;
      const height = 1080 * rows;
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(wall.page(`&kiosk=1&grid=${cols}x${rows}&bezel=${BEZEL}`));
      await page.locator('[data-panel="map"]').waitFor({ state: 'visible', timeout: 30_000 });
      await page.waitForTimeout(1500);
      const { screens, panels } = await shown(page);
      expect(screens).toHaveLength(cols * rows);
      expect(new Set(panels.map((p) => p.name))).toEqual(new Set(WALL_PANELS));
      for (const p of panels) {
        const home = screens.filter(
          (s) => p.x >= s.x - 0.5 && p.y >= s.y - 0.5 && p.x + p.w <= s.x + s.w + 0.5 && p.y + p.h <= s.y + s.h + 0.5,
        );
        expect(
          home,
          `${p.name} at ${Math.round(p.x)},${Math.round(p.y)} ${Math.round(p.w)}×${Math.round(p.h)} lies inside one screen`,
        ).toHaveLength(1);
        // Clear of every seam: nothing within the bezel of a screen edge shared with another screen.
        for (let c = 1; c < cols; c++)
          expect(
            p.x + p.w <= c * 1920 - BEZEL + 0.5 || p.x >= c * 1920 + BEZEL - 0.5,
            `${p.name} clear of seam x=${c * 1920}`,
          ).toBe(true);
        for (let r = 1; r < rows; r++)
          expect(
            p.y + p.h <= r * 1080 - BEZEL + 0.5 || p.y >= r * 1080 + BEZEL - 0.5,
            `${p.name} clear of seam y=${r * 1080}`,
          ).toBe(true);
        if (FIGURE_PANELS.includes(p.name))
          expect(p.figurePx, `${p.name} largest figure, px`).toBeGreaterThanOrEqual(home[0]!.h * MIN_FIGURE - 0.01);
      }
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/wall-grid-${cols}x${rows}.png` });
      await page.close();
    }, 90_000);
  }

  it('then an unknown grid is named in a clear error and the wall still shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(wall.page('&kiosk=1&grid=5x3&bezel=12'));
    await page.locator('[data-panel="map"]').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('[data-grid-error]').innerText()).toContain('grid=5x3');
    await page.goto(wall.page('&kiosk=1&grid=3x1&bezel=-4'));
    await page.locator('[data-panel="map"]').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('[data-grid-error]').innerText()).toContain('bezel=-4');
    await page.close();
  }, 60_000);
});

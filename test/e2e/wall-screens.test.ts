/**
 * The complete wall in real headless Chromium at every screen it must serve — 1920×1080, 2560×1440, 3840×2160 and a
 * 5760×1080 video wall, at device pixel ratios 1, 1.5 and 2: each panel inside the viewport, not overlapping another,
 * not empty, its content not clipped; no scrollbars. Every linked figure carries the late-case list's filters. Kiosk
 * mode hides the chrome; rotation alternates scenes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startDemoWall, type DemoWall } from '../../harness/demoWall';
import { overlaps, panelBoxes, WALL_PANELS } from '../../harness/wallPanels';

const run = browserAvailable('wall screens browser test');

const SCREENS = [
  { width: 1920, height: 1080, dpr: 1 },
  { width: 1920, height: 1080, dpr: 2 },
  { width: 2560, height: 1440, dpr: 1.5 },
  { width: 3840, height: 2160, dpr: 1 },
  { width: 5760, height: 1080, dpr: 1 },
] as const;

describe.runIf(run)('when the wall is shown on each screen size', () => {
  let wall: DemoWall;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    wall = await startDemoWall({ seed: 11, speed: 60 });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await wall?.stop();
  });

  async function open(width: number, height: number, dpr: number, extra = ''): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(wall.page(extra));
    await page.locator('[data-panel="map"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForTimeout(800);
    return page;
  }

  for (const s of SCREENS) {
    it(`then at ${s.width}×${s.height} (dpr ${s.dpr}) every panel is inside, apart, filled and unclipped`, async () => {
      const page = await open(s.width, s.height, s.dpr);
      const boxes = await panelBoxes(page);
      for (const b of boxes) {
        expect(b.w * b.h, `${b.name} area`).toBeGreaterThan(4_000 * (s.height / 1080) ** 2);
        expect(b.x, `${b.name} left`).toBeGreaterThanOrEqual(-0.5);
        expect(b.y, `${b.name} top`).toBeGreaterThanOrEqual(-0.5);
        expect(b.x + b.w, `${b.name} right`).toBeLessThanOrEqual(s.width + 0.5);
        expect(b.y + b.h, `${b.name} bottom`).toBeLessThanOrEqual(s.height + 0.5);
        expect(b.text, `${b.name} text`).toBeGreaterThan(3);
        expect(b.overflow, `${b.name} clipped content`).toBeLessThanOrEqual(1);
      }
      expect(overlaps(boxes)).toEqual([]);
      // Uniform scale: the stage fills the screen's height exactly (wide screens widen the stage instead of letterboxing).
      const stage = await page.locator('.stage').boundingBox();
      expect(stage!.height).toBeCloseTo(s.height, 0);
      const scroll = await page.evaluate(() => ({
        w: document.documentElement.scrollWidth,
        h: document.documentElement.scrollHeight,
      }));
      expect(scroll).toEqual({ w: s.width, h: s.height });
      await page.context().close();
    });
  }

  it('then every linked figure carries the late-case list filters it stands for', async () => {
    const page = await open(1920, 1080, 1);
    const links = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLAnchorElement>('[data-panel] a[href]')].map((a) => ({
        href: a.getAttribute('href') ?? '',
        street: a.dataset.street ?? null,
        unit: a.dataset.unit ?? null,
        channel: a.dataset.channel ?? null,
        clock: a.dataset.clock ?? null,
        status: a.dataset.status ?? null,
        figure: a.dataset.figure ?? null,
      })),
    );
    const ORDER = ['space', 'status', 'street', 'unit', 'channel', 'clock'];
    for (const l of links) {
      const url = new URL(l.href, 'http://wall');
      expect(url.pathname, l.href).toBe('/cases');
      const q = url.searchParams;
      expect(q.get('space'), l.href).toBe('demo');
      expect(['overdue', 'at_risk', 'late'], l.href).toContain(q.get('status'));
      const keys = [...q.keys()];
      expect(
        keys.every((k) => ORDER.includes(k)),
        l.href,
      ).toBe(true);
      expect(keys, l.href).toEqual(ORDER.filter((k) => keys.includes(k)));
      expect(q.get('street'), l.href).toBe(l.street);
      expect(q.get('unit'), l.href).toBe(l.unit);
      expect(q.get('channel'), l.href).toBe(l.channel);
      expect(q.get('clock'), l.href).toBe(l.clock);
      if (l.status) expect(q.get('status'), l.href).toBe(l.status);
      if (l.figure === 'overdue') expect(q.get('status')).toBe('overdue');
      if (l.figure === 'at-risk') expect(q.get('status')).toBe('at_risk');
    }
    const count = (key: 'street' | 'unit' | 'channel' | 'clock') => links.filter((l) => l[key] !== null).length;
    expect(count('street')).toBe(10);
    expect(count('channel')).toBe(7);
    expect(count('clock')).toBe(6);
    expect(count('unit')).toBeGreaterThanOrEqual(5);
    expect(links.filter((l) => l.figure !== null)).toHaveLength(2);
    // The street tile links to that street's late cases.
    const tile = page.locator('[data-panel="map"] a[data-street="luonan"]');
    expect(await tile.getAttribute('href')).toBe('/cases?space=demo&status=late&street=luonan');
    await page.context().close();
  });

  it('then kiosk mode hides the chrome and leaves links inert with their href, and rotation alternates scenes', async () => {
    const page = await open(1920, 1080, 1, '&kiosk=1&rotate=5');
    expect(await page.locator('.chrome').count()).toBe(0);
    const a = page.locator('[data-panel="overdue"] a[data-figure="overdue"]');
    expect(await a.getAttribute('href')).toMatch(/^\/cases\?space=demo&status=overdue$/);
    expect(await a.evaluate((el) => getComputedStyle(el).pointerEvents)).toBe('none');
    await page.locator('.grid.scene-1').waitFor({ timeout: 8_000 });
    expect(await page.locator('[data-panel="trend"]').isVisible()).toBe(false);
    await page.context().close();
    const normal = await open(1920, 1080, 1);
    expect(await normal.locator('.chrome').count()).toBe(1);
    await normal.context().close();
  });

  it('then a chart tooltip opens by the pointer on a scaled 4K stage', async () => {
    const page = await open(3840, 2160, 1);
    const chart = page.locator('[data-panel="trend"] canvas').first();
    const box = (await chart.boundingBox())!;
    // Point into the morning hours, where the bars are.
    const x = box.x + box.width * 0.35;
    const y = box.y + box.height * 0.7;
    await page.mouse.move(x - 40, y);
    await page.mouse.move(x, y, { steps: 4 });
    const tip = page.locator('[data-panel="trend"] .wall-tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    const t = (await tip.boundingBox())!;
    // Near the pointer in screen pixels, not thrown off by the stage's scale factor of 2.
    expect(Math.abs(t.x - x) < 600 && Math.abs(t.y - y) < 600, JSON.stringify({ t, x, y })).toBe(true);
    expect(await tip.innerText()).toMatch(/\d{2}时/);
    await page.context().close();
  });

  it('then without a configured boundary the GeoJSON endpoint answers 404 and the map is the tile map', async () => {
    const res = await fetch(`${wall.url}/api/v1/geojson`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const page = await open(1920, 1080, 1);
    expect(await page.locator('[data-panel="map"] [data-mode="tiles"] a[data-street]').count()).toBe(10);
    await page.context().close();
  });

  it('then there were no console errors', () => {
    expect(errors).toEqual([]);
  });

  it('then the panel list covers the panels the page renders', async () => {
    const page = await open(1920, 1080, 1);
    const names = await page.evaluate(() =>
      [...document.querySelectorAll('[data-panel]')].map((e) => e.getAttribute('data-panel')),
    );
    expect([...names].sort()).toEqual([...WALL_PANELS].sort());
    await page.context().close();
  });
});

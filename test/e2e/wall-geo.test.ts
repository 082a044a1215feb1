/**
 * A GeoJSON boundary named in the config replaces the tile map: the server serves it, the wall registers it with
 * ECharts and draws it, and the street links stay. Tested with a small synthetic boundary of the default streets.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEFAULT_CONFIG } from '@shared/config';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startDemoWall, type DemoWall } from '../../harness/demoWall';

const run = browserAvailable('wall GeoJSON browser test');

/** One square per street at its tile place, named by the street's name. */
function syntheticBoundary(): unknown {
  const size = 0.02;
  return {
    type: 'FeatureCollection',
    features: DEFAULT_CONFIG.streets.map((s) => {
      const x = 114.3 + s.col * size;
      const y = 30.6 - s.row * size;
      return {
        type: 'Feature',
        properties: { name: s.name },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [x, y],
              [x + size, y],
              [x + size, y - size],
              [x, y - size],
              [x, y],
            ],
          ],
        },
      };
    }),
  };
}

describe.runIf(run)('when the config names a GeoJSON boundary', () => {
  let wall: DemoWall;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cityops-geo-'));
    mkdirSync(path.resolve('test-results'), { recursive: true });
    const file = path.join(dir, 'district.geojson');
    writeFileSync(file, JSON.stringify(syntheticBoundary()));
    wall = await startDemoWall({ seed: 3, speed: 60, backlogDays: 0, config: { ...DEFAULT_CONFIG, geojson: file } });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await wall?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('then the server serves it', async () => {
    const res = await fetch(`${wall.url}/api/v1/geojson`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { type: string; features: unknown[] };
    expect(body.type).toBe('FeatureCollection');
    expect(body.features).toHaveLength(10);
  });

  it('then the map draws the boundary instead of tiles and keeps the street links', async () => {
    const errors: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(wall.page());
    const geo = page.locator('[data-panel="map"] [data-mode="geo"]');
    await geo.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('[data-panel="map"] [data-mode="tiles"]').count()).toBe(0);
    const canvas = geo.locator('canvas').first();
    await canvas.waitFor({ timeout: 5_000 });
    const box = await canvas.boundingBox();
    expect(box!.width * box!.height).toBeGreaterThan(50_000);
    // The boundary is drawn: the canvas is not blank.
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d');
      if (!ctx) return 0;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4 * 16) if ((d[i] ?? 0) > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
    expect(await geo.locator('a[data-street]').count()).toBe(10);
    expect(await geo.locator('a[data-street="luonan"]').getAttribute('href')).toBe(
      '/cases?space=demo&status=late&street=luonan',
    );
    await page.screenshot({ path: path.resolve('test-results/wall-geo-1920x1080.png') });
    expect(errors).toEqual([]);
  });
});

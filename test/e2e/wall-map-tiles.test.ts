/**
 * The wall's tile map in real headless Chromium at 1920×1080 and 3840×2160 with markers in the tiles of the longest
 * street names: each name shows whole (卓刀泉街道, not 卓刀泉…), the markers (at most six and a "+N") sit in their own row
 * clear of the name and of the figures, inside the tile. Screenshots of the map in test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEFAULT_CONFIG } from '@shared/config';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { received } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

const run = browserAvailable('wall map tiles browser test');
const shots = path.resolve('test-results');
const NOW = shanghaiInstant('2026-11-24', '10:30');
/** Markers per street: urgent cases and sensing (智能感知) cases received in the last hour. */
const MARKERS: Readonly<Record<string, readonly [urgent: number, sensing: number]>> = {
  zhuodaoquan: [2, 1],
  zhangjiawan: [1, 2],
  shizishan: [1, 0],
  hongshan: [4, 4],
};

/** A tile as drawn: its name's text and whether it is cut, its parts' boxes, its dots and its "+N". */
interface TileShape {
  readonly street: string;
  readonly name: string;
  readonly nameCut: boolean;
  readonly tile: Box;
  readonly nameBox: Box;
  readonly markers: Box | null;
  readonly figures: Box;
  readonly dots: readonly Box[];
  readonly more: string | null;
}
interface Box {
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly b: number;
}

const apart = (a: Box, b: Box): boolean => a.r <= b.x + 0.5 || b.r <= a.x + 0.5 || a.b <= b.y + 0.5 || b.b <= a.y + 0.5;
const inside = (a: Box, outer: Box): boolean =>
  a.x >= outer.x - 0.5 && a.y >= outer.y - 0.5 && a.r <= outer.r + 0.5 && a.b <= outer.b + 0.5;

describe.runIf(run)('when the tile map shows markers in the tiles of long street names', () => {
  let server: TestServer;
  let url: string;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer(NOW, undefined, undefined, {
      staticDir: path.resolve('dist/client'),
      deltaIntervalMs: 100,
    });
    url = server.url;
    let n = 0;
    const events = Object.entries(MARKERS).flatMap(([street, [urgent, sensing]]) => [
      ...Array.from({ length: urgent }, () =>
        received(`u-${++n}`, { ts: NOW - n * MINUTE_MS, street, urgency: 'urgent', title: `紧急 ${n}` }),
      ),
      ...Array.from({ length: sensing }, () =>
        received(`s-${++n}`, { ts: NOW - n * MINUTE_MS, street, channel: 'sensing', title: `感知 ${n}` }),
      ),
    ]);
    expect((await post(url, { space: 'live', events })).json.accepted).toBe(events.length);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  for (const [width, height] of [
    [1920, 1080],
    [3840, 2160],
  ] as const) {
    it(`then at ${width}×${height} every street name shows whole, clear of its markers and figures`, async () => {
      // A still wall (no beat), so the shot shows the markers' rings at rest.
      const page = await browser.newPage({ viewport: { width, height }, reducedMotion: 'reduce' });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/?space=live&token=viewer-token&kiosk=1`);
      const map = page.locator('[data-panel="map"]');
      await map.locator('a[data-street="hongshan"] .markers').waitFor({ state: 'visible', timeout: 20_000 });
      await map.screenshot({ path: path.join(shots, `wall-map-tiles-${width}x${height}.png`) });
      const tiles = await map.locator('a[data-street]').evaluateAll((els) => {
        const box = (e: Element) => {
          const r = e.getBoundingClientRect();
          return { x: r.left, y: r.top, r: r.right, b: r.bottom };
        };
        return els.map((t) => {
          const name = t.querySelector('.name') as HTMLElement;
          const markers = t.querySelector('.markers');
          return {
            street: t.getAttribute('data-street') ?? '',
            name: name.textContent ?? '',
            nameCut: name.scrollWidth > name.clientWidth,
            tile: box(t),
            nameBox: box(name),
            markers: markers ? box(markers) : null,
            figures: box(t.querySelector('.figures')!),
            dots: [...t.querySelectorAll('.markers .dot')].map(box),
            more: t.querySelector('.markers small')?.textContent ?? null,
          };
        });
      });
      const shapes = tiles as TileShape[];
      const names = new Map(DEFAULT_CONFIG.streets.map((s) => [s.id, s.name]));
      expect(shapes.map((t) => [t.street, t.name, t.nameCut])).toEqual(
        DEFAULT_CONFIG.streets.map((s) => [s.id, names.get(s.id), false]),
      );
      const marked = shapes.filter((t) => t.markers !== null);
      expect(marked.map((t) => [t.street, t.dots.length, t.more]).sort()).toEqual(
        [
          ['hongshan', 6, '+2'],
          ['shizishan', 1, null],
          ['zhangjiawan', 3, null],
          ['zhuodaoquan', 3, null],
        ].sort(),
      );
      for (const t of marked) {
        expect(apart(t.markers!, t.nameBox), `${t.street}: markers clear of the name`).toBe(true);
        expect(apart(t.markers!, t.figures), `${t.street}: markers clear of the figures`).toBe(true);
        for (const d of t.dots) expect(inside(d, t.tile), `${t.street}: each dot inside the tile`).toBe(true);
      }
      for (const t of shapes) expect(inside(t.figures, t.tile), `${t.street}: figures inside the tile`).toBe(true);
      await page.close();
    });
  }

  it('then no page logged an error', () => {
    expect(errors).toEqual([]);
  });
});

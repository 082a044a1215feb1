/**
 * `npm run screenshots`: the wall on the demo feed in headless Chromium at 1920×1080, 2560×1440, 3840×2160 and
 * 5760×1080, written to docs/screenshots/wall-<w>x<h>.png, and on spliced walls (2×1, 3×1, 4×1, 2×2 screens of
 * 1920×1080, 12 px bezels) to wall-grid-<c>x<r>.png (the README shows them).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../harness/chromium';
import { startDemoWall } from '../harness/demoWall';

const SIZES: readonly (readonly [number, number, string])[] = [
  [1920, 1080, ''],
  [2560, 1440, ''],
  [3840, 2160, ''],
  [5760, 1080, ''],
  [3840, 1080, '2x1'],
  [5760, 1080, '3x1'],
  [7680, 1080, '4x1'],
  [3840, 2160, '2x2'],
];
const out = path.resolve(process.argv[2] ?? 'docs/screenshots');
mkdirSync(out, { recursive: true });

const wall = await startDemoWall({ speed: 30 });
const browser = await launchChromium();
try {
  for (const [width, height, grid] of SIZES) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(wall.page(grid ? `&kiosk=1&grid=${grid}&bezel=12` : '&kiosk=1'));
    await page.locator('[data-panel="map"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForTimeout(2500);
    const file = path.join(out, grid ? `wall-grid-${grid}.png` : `wall-${width}x${height}.png`);
    await page.screenshot({ path: file });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    await page.close();
  }
} finally {
  await browser.close();
  await wall.stop();
}

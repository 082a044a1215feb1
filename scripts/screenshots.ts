/**
 * `npm run screenshots`: the wall on the demo feed in headless Chromium at 1920×1080, 2560×1440, 3840×2160 and
 * 5760×1080, written to docs/screenshots/wall-<w>x<h>.png (the README shows them).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../test/fixtures/chromium';
import { startDemoWall } from '../test/fixtures/demoWall';

const SIZES = [[1920, 1080], [2560, 1440], [3840, 2160], [5760, 1080]] as const;
const out = path.resolve(process.argv[2] ?? 'docs/screenshots');
mkdirSync(out, { recursive: true });

const wall = await startDemoWall({ speed: 30 });
const browser = await launchChromium();
try {
  for (const [width, height] of SIZES) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(wall.page('&kiosk=1'));
    await page.locator('[data-panel="map"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForTimeout(2500);
    const file = path.join(out, `wall-${width}x${height}.png`);
    await page.screenshot({ path: file });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    await page.close();
  }
} finally {
  await browser.close();
  await wall.stop();
}

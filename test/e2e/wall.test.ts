/**
 * The wall in real headless Chromium on the demo feed: every panel renders, is not empty, and changes within 10 s;
 * no console errors. Screenshots go to test-results/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import { shanghaiDateKey, shanghaiInstant } from '@shared/time';
import { startProducer } from '../../simulators/producer';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { TOKENS } from '../../harness/server';

const PANELS = ['header', 'hotline', 'agent-load', 'case-flow', 'overdue', 'trend', 'duty'] as const;
const run = browserAvailable('wall browser test');
const shots = path.resolve('test-results');

describe.runIf(run)('when the wall is opened on the demo feed', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let feed: ReturnType<typeof startProducer>;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-e2e-'));
    mkdirSync(shots, { recursive: true });
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry([...TOKENS, { role: 'producer', space: 'demo', token: 'producer-demo' }]),
      staticDir: path.resolve('dist/client'),
    });
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    url = `http://127.0.0.1:${addr.port}`;
    // The demo space runs on its own clock: start it at a mid-morning peak so the test does not depend on the hour it runs.
    const morning = shanghaiInstant(shanghaiDateKey(Date.now()), '10:30');
    feed = startProducer({
      server: url,
      token: 'producer-demo',
      space: 'demo',
      seed: 7,
      speed: 60,
      backlogDays: 1,
      now: morning,
    });
    await feed.backlogDone;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${url}/?space=demo&token=viewer-token`);
  }, 180_000);

  afterAll(async () => {
    await feed?.stop();
    await browser?.close();
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('then every panel renders inside the viewport and is not empty', async () => {
    for (const name of PANELS) {
      const el = page.locator(`[data-panel="${name}"]`);
      await el.waitFor({ state: 'visible', timeout: 15_000 });
      const box = await el.boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.width * box!.height, name).toBeGreaterThan(10_000);
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(1921);
      expect(box!.y + box!.height, name).toBeLessThanOrEqual(1081);
      expect((await el.innerText()).trim().length, name).toBeGreaterThan(4);
    }
    await expect.poll(() => page.locator('[data-panel="hotline"]').innerText(), { timeout: 10_000 }).toMatch(/\d/);
    await page.screenshot({ path: path.join(shots, 'wall-1920x1080.png') });
    const scroll = await page.evaluate(() => ({
      w: document.documentElement.scrollWidth,
      h: document.documentElement.scrollHeight,
    }));
    expect(scroll).toEqual({ w: 1920, h: 1080 });
  });

  it('then every panel changes within 10 s', async () => {
    const before = new Map<string, Buffer>();
    for (const name of PANELS) before.set(name, await page.locator(`[data-panel="${name}"]`).screenshot());
    const changed = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (changed.size < PANELS.length && Date.now() < deadline) {
      await page.waitForTimeout(1000);
      for (const name of PANELS) {
        if (changed.has(name)) continue;
        const now = await page.locator(`[data-panel="${name}"]`).screenshot();
        if (!now.equals(before.get(name)!)) changed.add(name);
      }
    }
    expect([...changed].sort()).toEqual([...PANELS].sort());
  });

  it('then it shows the DEMO banner and there were no console errors', async () => {
    await expect.poll(() => page.locator('[data-panel="header"]').innerText()).toContain('DEMO');
    await page.setViewportSize({ width: 3840, height: 2160 });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(shots, 'wall-3840x2160.png') });
    expect(consoleErrors).toEqual([]);
  });
});

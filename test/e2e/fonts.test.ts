/**
 * A kiosk without Chinese fonts: Chromium on a font configuration with only Latin fonts (DejaVu) shows the wall, the
 * desk and the login page with real glyphs for every Chinese character on screen — drawn, each one different from the
 * missing-glyph box — from the fonts the product ships, preloaded by the page, and so do the labels the wall's charts
 * draw on canvas. As a control, the same characters in a system font family on that Chromium are all boxes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startDemoWall, type DemoWall } from '../../harness/demoWall';

const run = browserAvailable('fonts browser test');

interface Glyphs {
  chars: number;
  tofu: string;
  blank: string;
  distinct: number;
  controlTofu: number;
  faces: string[];
}

/**
 * The Chinese characters on the page, each drawn on a canvas in the page's font: how many are drawn exactly as the
 * missing-glyph box (a private-use character) or not at all, how many distinct drawings; and the control: the same
 * characters in `monospace` (the system's only), counted as boxes.
 */
function glyphs(page: Page): Promise<Glyphs> {
  return page.evaluate(async () => {
    await document.fonts.ready;
    const text = document.body.innerText;
    const chars = [...new Set([...text].filter((ch) => /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(ch)))];
    const canvas = document.createElement('canvas');
    canvas.width = 56;
    canvas.height = 56;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const draw = (ch: string, family: string): string => {
      ctx.clearRect(0, 0, 56, 56);
      ctx.font = `40px ${family}`;
      ctx.fillStyle = '#000';
      ctx.fillText(ch, 4, 46);
      const data = ctx.getImageData(0, 0, 56, 56).data;
      let bits = '';
      for (let i = 3; i < data.length; i += 4) bits += data[i]! > 96 ? '1' : '0';
      return bits;
    };
    const family = getComputedStyle(document.body).fontFamily;
    const box = draw('\ue000', family);
    const empty = '0'.repeat(56 * 56);
    const drawn = chars.map((ch) => [ch, draw(ch, family)] as const);
    const systemBox = draw('\ue000', 'monospace');
    const faces: string[] = [];
    document.fonts.forEach((f) => {
      if (f.status === 'loaded') faces.push(`${f.family.replace(/"/g, '')} ${f.weight}`);
    });
    return {
      chars: chars.length,
      tofu: drawn
        .filter(([, b]) => b === box)
        .map(([ch]) => ch)
        .join(''),
      blank: drawn
        .filter(([, b]) => b === empty)
        .map(([ch]) => ch)
        .join(''),
      distinct: new Set(drawn.map(([, b]) => b)).size,
      controlTofu: chars.filter((ch) => draw(ch, 'monospace') === systemBox).length,
      faces: [...new Set(faces)],
    };
  });
}

describe.runIf(run)('when a kiosk has no Chinese fonts', () => {
  let wall: DemoWall;
  let browser: Browser;
  let fontDir: string;

  beforeAll(async () => {
    // A clean font configuration: DejaVu only (Latin, Greek, Cyrillic; no CJK).
    fontDir = mkdtempSync(path.join(tmpdir(), 'cityops-fonts-'));
    writeFileSync(
      path.join(fontDir, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>/usr/share/fonts/truetype/dejavu</dir>\n  <cachedir>${fontDir}/cache</cachedir>\n</fontconfig>\n`,
    );
    wall = await startDemoWall({ seed: 9, speed: 30 });
    browser = await launchChromium({ FONTCONFIG_FILE: path.join(fontDir, 'fonts.conf') });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await wall?.stop();
    rmSync(fontDir, { recursive: true, force: true });
  });

  const expectReal = (g: Glyphs, where: string): void => {
    expect(g.chars, `${where}: Chinese characters on screen`).toBeGreaterThan(40);
    expect(g.tofu, `${where}: characters drawn as boxes`).toBe('');
    expect(g.blank, `${where}: characters not drawn`).toBe('');
    expect(g.distinct, `${where}: distinct drawings`).toBe(g.chars);
    expect(g.controlTofu, `${where}: control, the system's fonts draw boxes`).toBe(g.chars);
    expect(g.faces, `${where}: shipped faces in use`).toEqual(expect.arrayContaining(['CityOps Sans SC 400']));
  };

  it('then the login page shows real glyphs', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${wall.url}/login`);
    await page.locator('form').waitFor({ state: 'visible', timeout: 20_000 });
    expectReal(await glyphs(page), 'login');
    await page.close();
  }, 60_000);

  it('then the wall shows real glyphs in every panel, with its fonts preloaded', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const fontRequests: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'font') fontRequests.push(new URL(r.url()).pathname);
    });
    await page.goto(wall.page('&kiosk=1'));
    await page.locator('[data-panel="ranking"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForTimeout(1500);
    const g = await glyphs(page);
    expectReal(g, 'wall');
    expect(g.faces).toEqual(expect.arrayContaining(['CityOps Sans SC 700', 'Roboto Mono 400', 'Roboto Mono 700']));
    const preloaded = [
      ...readFileSync('dist/client/index.html', 'utf8').matchAll(/<link rel="preload" href="([^"]+)" as="font"/g),
    ].map((m) => m[1]);
    expect(preloaded.length).toBeGreaterThan(10);
    expect(fontRequests).toEqual(expect.arrayContaining(preloaded));
    await page.close();
  }, 60_000);

  it("then the wall's charts draw their Chinese labels in the shipped faces, once those are loaded", async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    // Every text a canvas draws with a Chinese character: the font it was drawn in, and whether the shipped face's
    // glyphs for the text were loaded at that moment (a canvas keeps the glyphs it was drawn with).
    await page.addInitScript(() => {
      const drawn: { text: string; font: string; loaded: boolean }[] = [];
      (window as unknown as { canvasText: typeof drawn }).canvasText = drawn;
      const fill = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, w?: number) {
        if (/[\u4e00-\u9fff]/.test(text)) {
          const shipped = this.font.replace(/(\d+(\.\d+)?px\s+).*$/, '$1"CityOps Sans SC"');
          drawn.push({ text, font: this.font, loaded: document.fonts.check(shipped, text) });
        }
        return w === undefined ? fill.call(this, text, x, y) : fill.call(this, text, x, y, w);
      };
    });
    await page.goto(wall.page('&kiosk=1'));
    await page.locator('[data-panel="trend"] canvas').waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForTimeout(2500);
    const last = await page.evaluate(async () => {
      await document.fonts.ready;
      const drawn = (window as unknown as { canvasText: { text: string; font: string; loaded: boolean }[] }).canvasText;
      const byText = new Map(drawn.map((d) => [d.text, d]));
      const canvas = document.createElement('canvas');
      canvas.width = 56;
      canvas.height = 56;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      const draw = (ch: string, family: string): string => {
        ctx.clearRect(0, 0, 56, 56);
        ctx.font = `40px ${family}`;
        ctx.fillText(ch, 4, 46);
        const data = ctx.getImageData(0, 0, 56, 56).data;
        let bits = '';
        for (let i = 3; i < data.length; i += 4) bits += data[i]! > 96 ? '1' : '0';
        return bits;
      };
      return [...byText.values()].map((d) => {
        const family = d.font.replace(/^.*?\d+(\.\d+)?px\s+/, '');
        const box = draw('\ue000', family);
        const tofu = [...d.text].filter((ch) => /[\u4e00-\u9fff]/.test(ch) && draw(ch, family) === box).join('');
        return { ...d, tofu };
      });
    });
    expect(last.map((d) => d.text)).toEqual(expect.arrayContaining(['12345热线', '昨日', '08时']));
    for (const d of last) {
      expect(d.font, `chart text ${d.text}`).toContain('CityOps Sans SC');
      expect(d.loaded, `chart text ${d.text}: its faces loaded when last drawn`).toBe(true);
      expect(d.tofu, `chart text ${d.text}: characters drawn as boxes`).toBe('');
    }
    await page.close();
  }, 60_000);

  it('then the desk shows real glyphs', async () => {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    expect(
      (
        await context.request.post(`${wall.url}/api/v1/session`, {
          data: { token: 'supervisor-token', name: '督办员' },
        })
      ).status(),
    ).toBe(200);
    const page = await context.newPage();
    await page.goto(`${wall.url}/cases?space=demo`);
    await page.locator('table').first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.waitForTimeout(1000);
    expectReal(await glyphs(page), 'desk');
    await context.close();
  }, 60_000);
});

/**
 * Review (复盘) in real headless Chromium: a drill space's morning is ingested hour by hour; the wall opened with
 * `&at=` shows the instant as a past view with the review API's figures, plays forward at ×60, never opens the live
 * stream and never sounds; the duty desk's item links open the review at the moment the item was raised. A screenshot
 * of the review wall at 1920×1080 goes to test-results/review-wall.png.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { parseInstant, shanghaiIso, type ReviewAnswer } from '@shared/wall/review';
import { generateEvents } from '../../simulators/day';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { startTestServer, type TestServer } from '../../harness/server';
import { received } from '../fixtures/events';

const run = browserAvailable('review browser test');
const shots = path.resolve('test-results');
const SPACE = 'drill-a';
const FROM = shanghaiInstant('2026-11-24', '06:00');
const T = shanghaiInstant('2026-11-24', '08:00');

/** Counts what the page asks of Web Audio: contexts made. */
const COUNT_AUDIO = `
  window.__audio = { contexts: 0 };
  const Base = window.AudioContext;
  window.AudioContext = class extends Base { constructor(...a) { super(...a); window.__audio.contexts++; } };
`;

describe.runIf(run)('when a drill space is reviewed on the wall', () => {
  let app: TestServer['app'];
  let url: string;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let api: ReviewAnswer;
  const errors: string[] = [];
  /** Every WebSocket and Socket.IO request the review page made. */
  const streams: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer(FROM, mkdtempSync(path.join(tmpdir(), 'cityops-e2e-review-')), undefined, {
      staticDir: path.resolve('dist/client'),
      monitorMs: 3_600_000,
    });
    app = server.app;
    url = server.url;
    // The simulated duty room answers its own desk; an urgent case at 07:30 that nobody acknowledges stands for the
    // drill's humans, so the desk has an item waiting at 08:00.
    const events = [
      ...generateEvents({ seed: 7, from: FROM, to: FROM + 4 * HOUR_MS, casesPerDay: 300 }),
      received('rv-urgent', { ts: FROM + 90 * MINUTE_MS, urgency: 'urgent', title: '燃气泄漏' }),
    ].sort((a, b) => a.ts - b.ts);
    for (let h = FROM - 1; h < FROM + 4 * HOUR_MS; h += HOUR_MS) {
      await app.ingest.ingest(
        SPACE,
        events.filter((e) => e.ts > h && e.ts <= h + HOUR_MS),
      );
      await app.monitor.pass();
    }
    const res = await fetch(`${url}/api/v1/spaces/${SPACE}/review?at=${encodeURIComponent(shanghaiIso(T))}`, {
      headers: { authorization: 'Bearer viewer-token' },
    });
    expect(res.status).toBe(200);
    api = (await res.json()) as ReviewAnswer;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    await page.addInitScript(COUNT_AUDIO);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('websocket', (ws) => streams.push(ws.url()));
    page.on('request', (r) => {
      if (r.url().includes('/socket.io')) streams.push(r.url());
    });
    await page.goto(`${url}/?space=${SPACE}&token=viewer-token&sound=1&at=${encodeURIComponent(shanghaiIso(T))}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  const instant = async (p: Page = page) =>
    (await p.locator('[data-test=review-instant]').innerText()).replace(/\s+/g, ' ');
  const addressAt = async () => {
    const at = new URL(page.url()).searchParams.get('at');
    const r = at === null ? null : parseInstant(at);
    return r?.ok ? r.at : null;
  };

  it('then the bar shows the instant as a past view and the panels show the review API figures', async () => {
    await page.locator('[data-panel=case-flow]').waitFor({ timeout: 15_000 });
    await expect.poll(instant, { timeout: 10_000 }).toBe('复盘 2026-11-24 08:00:00');
    expect(await page.locator('[data-test=review-banner]').innerText()).toBe('复盘 REVIEW');
    expect(await page.locator('[data-panel=header] .time').innerText()).toBe('08:00:00');
    expect(api.view.caseFlow.received).toBeGreaterThan(5);
    expect(await page.locator('[data-test=flow-received]').innerText()).toBe(String(api.view.caseFlow.received));
    expect(await page.locator('[data-test=unacknowledged]').innerText()).toBe(
      String(api.view.duty.desk.unacknowledged),
    );
    // The token left the address; the instant stays in it.
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    expect(await addressAt()).toBe(T);
    await page.screenshot({ path: path.join(shots, 'review-wall.png') });
  });

  it('then ×60 plays forward, the address follows, and the wall stays a review', async () => {
    await page.locator('[data-test=review-play-60]').click();
    await page.waitForTimeout(3_000);
    await page.locator('[data-test=review-play-60]').click();
    const shown = await addressAt();
    expect(shown).not.toBeNull();
    // About 3 s at ×60: three minutes on, give or take a request.
    expect(shown! - T).toBeGreaterThanOrEqual(90_000);
    expect(shown! - T).toBeLessThanOrEqual(5 * MINUTE_MS);
    expect(await instant()).toBe(`复盘 ${shanghaiIso(shown!).slice(0, 19).replace('T', ' ')}`);
    expect(await page.locator('[data-test=review-play-60]').getAttribute('aria-pressed')).toBe('false');
  });

  it('then the keyboard steps a minute and an hour', async () => {
    const before = (await addressAt())!;
    await page.locator('body').press('ArrowRight');
    await expect.poll(addressAt, { timeout: 10_000 }).toBe(before + MINUTE_MS);
    await page.locator('body').press('Shift+ArrowLeft');
    await expect.poll(addressAt, { timeout: 10_000 }).toBe(before + MINUTE_MS - HOUR_MS);
  });

  it('then no connection to the live wall stream was made and nothing sounded', async () => {
    expect(streams).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __audio: { contexts: number } }).__audio)).toEqual({
      contexts: 0,
    });
    expect(api.view.duty.desk.unacknowledged).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('then a duty desk item links to the review at the moment it was raised', async () => {
    const desk = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    desk.on('pageerror', (e) => errors.push(e.message));
    await desk.goto(`${url}/duty?space=${SPACE}`);
    await desk.waitForURL(/\/login\?next=/, { timeout: 10_000 });
    await desk.fill('input[name=token]', 'duty-drill-a');
    await desk.click('form[data-test=login] button[type=submit]');
    await desk.waitForURL(/\/duty\?space=drill-a$/, { timeout: 10_000 });
    const item = app.spaces.get(SPACE).projection.items.get('case|rv-urgent')!;
    const link = desk.locator(`tr[data-item="${item.id}"] [data-test=review-link]`);
    await link.waitFor({ timeout: 10_000 });
    await link.click();
    await desk.locator('[data-test=review-instant]').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => instant(desk), { timeout: 10_000 })
      .toBe(`复盘 ${shanghaiIso(item.openedAt).slice(0, 19).replace('T', ' ')}`);
    // Reviewed with the desk's login (no wall token in this browser): the item is on the wall's desk count.
    expect(Number(await desk.locator('[data-test=unacknowledged]').innerText())).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});

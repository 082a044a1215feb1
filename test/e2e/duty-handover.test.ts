/**
 * 交接班 in real headless Chromium: at the end of the day shift the outgoing officer acknowledges the urgent item, writes
 * a note and submits the record the desk drafted; the incoming officer, in another browser, signs it on the desk; the
 * printable record opens on A4 with both names. Screenshots of the desk and the printed record in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import { shanghaiInstant } from '@shared/time';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { dayNightRoster, dayOfficerCheckIn, received } from '../fixtures/events';
import { post, TOKENS } from '../../harness/server';
import { openDesk } from '../fixtures/desk';

const run = browserAvailable('duty handover browser test');
const DATE = '2026-11-24';
const at = (hhmm: string) => shanghaiInstant(DATE, hhmm);
const ID = `${DATE}|day`;
const NOTE = '燃气泄漏已报区应急局，待燃气公司回复';

describe.runIf(run)('when the day shift hands over to the night shift at the desk', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  let browser: Browser;
  let outgoing: Page;
  let incoming: Page;
  let incomingCtx: BrowserContext;
  const now = { value: at('17:20') };
  const errors: string[] = [];

  const deskAs = (name: string) => openDesk(browser, url, name, errors);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-e2e-handover-'));
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      staticDir: path.resolve('dist/client'),
      now: () => now.value,
      deltaIntervalMs: 100,
      monitorMs: 100,
    });
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    url = `http://127.0.0.1:${addr.port}`;
    const roster = dayNightRoster(DATE, at('00:00'));
    const checkIn = dayOfficerCheckIn(DATE, at('08:25'), 'in-O1');
    const calls = [1, 2, 3, 4].flatMap((n) => [
      { type: 'call.offered', eventId: `c${n}`, ts: at('16:00') + n * 60_000, callId: `call-${n}` },
      ...(n < 4
        ? [
            {
              type: 'call.answered',
              eventId: `a${n}`,
              ts: at('16:00') + n * 60_000 + 3_000,
              callId: `call-${n}`,
              agentId: 'A1',
            },
          ]
        : []),
    ]);
    expect(
      (
        await post(url, {
          space: 'live',
          events: [
            roster,
            checkIn,
            ...calls,
            received('gas-1', { ts: at('17:16'), urgency: 'urgent', title: '燃气泄漏', street: 'luonan' }),
          ],
        })
      ).json.accepted,
    ).toBe(10);
    browser = await launchChromium();
    outgoing = (await deskAs('李娜')).page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('then the outgoing officer acknowledges the urgent item and submits the drafted record with a note', async () => {
    const row = outgoing.locator('tr[data-item="case|gas-1"]');
    await row.waitFor({ timeout: 15_000 });
    await outgoing.keyboard.press('a');
    await expect.poll(() => row.locator('[data-test=ack]').innerText(), { timeout: 10_000 }).toBe('李娜 按时 17:20');
    const draft = outgoing.locator(`[data-test=handover-draft][data-handover="${ID}"]`);
    await draft.waitFor({ timeout: 10_000 });
    expect(await draft.locator('[data-test=draft-open]').innerText()).toBe('1');
    expect(await draft.innerText()).toContain('来电 4 · 接通率 75.0%');
    expect(await outgoing.locator('[data-test=figures-shift]').innerText()).toContain('接报及时率 100.0%（1/1）');
    await outgoing.fill('[data-test=handover-note]', NOTE);
    await outgoing.click('[data-test=submit-handover]');
    const rec = outgoing.locator(`table[data-test=handovers] tr[data-handover="${ID}"]`);
    await rec.waitFor({ timeout: 10_000 });
    expect(await rec.locator('[data-test=signed]').innerText()).toBe('待签收');
    expect(await rec.innerText()).toContain(NOTE);
    await outgoing.screenshot({ path: '/tmp/duty-handover-desk.png', fullPage: true });
  });

  it("then the outgoing officer's own signature is refused with the reason, and the incoming officer signs it", async () => {
    await outgoing.click(`tr[data-handover="${ID}"] [data-test=sign]`);
    await expect
      .poll(() => outgoing.locator('[data-test=handover-error]').innerText(), { timeout: 10_000 })
      .toBe(`handover ${ID} was submitted by 李娜: the incoming officer signs it, not the one handing over`);
    now.value = at('17:31');
    const desk = await deskAs('王强');
    incoming = desk.page;
    incomingCtx = desk.ctx;
    await incoming.fill('[data-test=handover-date]', DATE);
    const rec = incoming.locator(`table[data-test=handovers] tr[data-handover="${ID}"]`);
    await rec.waitFor({ timeout: 10_000 });
    await rec.locator('[data-test=sign]').click();
    await expect.poll(() => rec.locator('[data-test=signed]').innerText(), { timeout: 10_000 }).toBe('王强 17:31');
    // The other desk sees it signed without a reload.
    await expect
      .poll(() => outgoing.locator(`tr[data-handover="${ID}"] [data-test=signed]`).innerText(), { timeout: 15_000 })
      .toBe('王强 17:31');
  });

  it("then the wall shows the night shift handed over and the duty figures in the duty panel's header", async () => {
    const wall = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    wall.on('pageerror', (e) => errors.push(e.message));
    await wall.goto(`${url}/?space=live&token=viewer-token`);
    const figures = wall.locator('[data-test=duty-figures]');
    await figures.waitFor({ timeout: 15_000 });
    // The night shift has no item yet; the month has the urgent case, acknowledged in 4 minutes, reports still running.
    // 接报及时率 of the shift / the month, the month's median, its 信息报送及时率.
    expect((await figures.innerText()).replace(/\s+/g, ' ')).toBe('接报 —/100% 中位 4分 报送 —');
    expect(await wall.locator('[data-panel=duty]').innerText()).toMatch(/交接班\s*17:20/);
    await wall.locator('[data-panel=duty]').screenshot({ path: '/tmp/duty-wall-panel.png' });
    await wall.close();
  });

  it('then the printable record shows both officers, the figures, the items and the note, and prints on A4', async () => {
    const page = await incomingCtx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.goto(`${url}/duty/handover/${encodeURIComponent(ID)}?space=live`);
    const sheet = page.locator('[data-test=handover-record]');
    await sheet.waitFor({ timeout: 10_000 });
    expect(await sheet.locator('[data-test=submitted]').innerText()).toContain('李娜');
    expect(await sheet.locator('[data-test=signed]').innerText()).toContain('王强');
    expect(await sheet.locator('[data-test=note]').innerText()).toBe(NOTE);
    expect(await sheet.locator('[data-test=figures] td').allInnerTexts()).toEqual([
      '4',
      '3',
      '75.0%',
      '1',
      '0',
      '1',
      '100.0%',
      '4 分',
      '—',
    ]);
    expect(await sheet.locator('[data-test=list-open] tbody tr').count()).toBe(1);
    expect(await sheet.locator('[data-test=list-handled]').innerText()).toContain('李娜 17:20');
    await page.screenshot({ path: '/tmp/duty-handover-print.png', fullPage: true });
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('nav.bar').isVisible()).toBe(false);
    await page.screenshot({ path: '/tmp/duty-handover-print-media.png', fullPage: true });
    const pdf = await page.pdf({ path: '/tmp/duty-handover.pdf', format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(errors).toEqual([]);
  });
});

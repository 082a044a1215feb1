/**
 * A night at the duty desk in real headless Chromium: an urgent case arrives with nobody at the desk; the wall with
 * `&sound=1` chimes (Web Audio) and a wall without the flag never does; the item escalates to the 值班长 and the
 * 值班领导 after the configured minutes and the wall shows it; the officer logs in to /duty and answers from the keyboard
 * (a step out of order is refused with the server's reason); the wall's count drops and the chime stops. A chat robot's
 * webhook that fails its first attempts gets the new item and each escalation once. At the shift change the officer
 * submits the handover the desk drafted and the incoming officer signs it. The review view at the minute before the
 * acknowledgement shows the wall as it was then. Screenshots of the escalated wall, the desk, the printed handover and
 * the review wall in test-results/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { received } from '../fixtures/events';
import { robotConfig, WebhookReceiver } from '../fixtures/webhookReceiver';
import { openDesk } from '../fixtures/desk';
import { post, TOKENS } from '../../harness/server';

const run = browserAvailable('duty desk browser test');
const shots = path.resolve('test-results');
const DATE = '2026-11-24';
const NIGHT = shanghaiInstant(DATE, '03:00');
const TITLE = '<img src=x onerror="window.__xss=1">燃气泄漏';
const HANDOVER = `${DATE}|night`;
const NOTE = '燃气泄漏已关阀抢修完毕，请白班回访';

/** Counts what the page asks of Web Audio: contexts made and tones started. */
const COUNT_AUDIO = `
  window.__audio = { contexts: 0, tones: 0 };
  const Base = window.AudioContext;
  window.AudioContext = class extends Base { constructor(...a) { super(...a); window.__audio.contexts++; } };
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...a) { window.__audio.tones++; return start.apply(this, a); };
`;

describe.runIf(run)('when an urgent case arrives at night with nobody at the desk', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  let browser: Browser;
  let loud: Page;
  let quiet: Page;
  let desk: Page;
  let incoming: { page: Page; ctx: BrowserContext };
  const now = { value: NIGHT };
  const errors: string[] = [];
  const receiver = new WebhookReceiver(1);
  const audio = async (p: Page) =>
    p.evaluate(() => (window as unknown as { __audio: { contexts: number; tones: number } }).__audio);
  const strip = (p: Page) => p.locator('[data-test=duty-desk]');

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-e2e-duty-'));
    mkdirSync(shots, { recursive: true });
    const config = robotConfig(await receiver.listen(), { baseSec: 0.1, maxSec: 0.4, attempts: 5 });
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config,
      tokens: new TokenRegistry(TOKENS),
      staticDir: path.resolve('dist/client'),
      now: () => now.value,
      deltaIntervalMs: 100,
      monitorMs: 100,
      webhookMs: 50,
      outboxDbFile: path.join(dataDir, 'outbox.sqlite'),
    });
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    url = `http://127.0.0.1:${addr.port}`;
    const roster = {
      type: 'duty.roster',
      eventId: 'roster',
      ts: shanghaiInstant(DATE, '00:00'),
      date: DATE,
      shifts: [
        {
          id: 'night',
          name: '夜班',
          start: '00:30',
          end: '08:30',
          posts: [
            { post: 'duty_leader', personId: 'L1', name: '张伟' },
            { post: 'duty_officer', personId: 'O1', name: '李娜' },
          ],
        },
        {
          id: 'day',
          name: '白班',
          start: '08:30',
          end: '17:30',
          posts: [{ post: 'duty_officer', personId: 'O2', name: '王强' }],
        },
      ],
    };
    // Both posts are held: the officer has stepped away from the desk, not from the shift.
    const checkIns = [
      ['duty_leader', 'L1', '张伟'],
      ['duty_officer', 'O1', '李娜'],
    ].map(([p, id, name]) => ({
      type: 'duty.checked_in',
      eventId: `in-${id}`,
      ts: shanghaiInstant(DATE, '00:25'),
      date: DATE,
      shiftId: 'night',
      post: p,
      personId: id,
      name,
    }));
    expect((await post(url, { space: 'live', events: [roster, ...checkIns] })).json.accepted).toBe(3);
    browser = await launchChromium();
    const wallPage = async (flag: string) => {
      const p = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
      await p.addInitScript(COUNT_AUDIO);
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(`${url}/?space=live&token=viewer-token${flag}`);
      await strip(p).waitFor({ state: 'visible', timeout: 15_000 });
      return p;
    };
    loud = await wallPage('&sound=1');
    quiet = await wallPage('');
    expect(
      (
        await post(url, {
          space: 'live',
          events: [received('night-1', { ts: NIGHT + MINUTE_MS, urgency: 'urgent', title: TITLE, street: 'luonan' })],
        })
      ).json.accepted,
    ).toBe(1);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await receiver.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('then the wall counts the unacknowledged item, and only the wall with the flag chimes', async () => {
    await loud.waitForFunction(
      () => document.querySelector('[data-test=unacknowledged]')?.textContent === '1',
      undefined,
      { timeout: 15_000 },
    );
    await loud.waitForFunction(
      () => (window as unknown as { __audio: { tones: number } }).__audio.tones >= 2,
      undefined,
      { timeout: 10_000 },
    );
    await quiet.waitForFunction(
      () => document.querySelector('[data-test=unacknowledged]')?.textContent === '1',
      undefined,
      { timeout: 15_000 },
    );
    expect(await audio(quiet)).toEqual({ contexts: 0, tones: 0 });
    expect((await audio(loud)).contexts).toBe(1);
  });

  it('then past the limit the wall shows the escalation to the 值班长, then to the 值班领导', async () => {
    now.value = NIGHT + 7 * MINUTE_MS;
    await loud.locator('[data-test=escalation]').filter({ hasText: '值班长' }).waitFor({ timeout: 15_000 });
    now.value = NIGHT + 17 * MINUTE_MS;
    await loud.locator('[data-test=escalation]').filter({ hasText: '值班领导' }).waitFor({ timeout: 15_000 });
    // The oldest item has waited since the case arrived at 03:01 (the wall's clock runs on, so at least 16 minutes).
    expect(await loud.locator('[data-test=oldest]').innerText()).toMatch(/^00:1[6-9]:\d\d$/);
    await loud.screenshot({ path: path.join(shots, 'duty-wall-escalated.png') });
  });

  it('then the chat robot got the new item and each escalation once, each after one failed attempt', async () => {
    await expect.poll(() => receiver.ok().length, { timeout: 15_000 }).toBe(3);
    // Past the retries of everything (5 attempts at most 0.4 s apart) nothing more arrives.
    await new Promise((r) => setTimeout(r, 1_500));
    const got = receiver.ok().map((b) => [b.level, b.item.id, b.item.escalation?.to ?? null]);
    expect(got).toHaveLength(3);
    expect(got).toEqual(
      expect.arrayContaining([
        ['urgent', 'case|night-1', null],
        ['escalation', 'case|night-1', '值班长'],
        ['escalation', 'case|night-1', '值班领导'],
      ]),
    );
    // Each delivery (its own key) failed once and then went through once.
    const tries = new Map<string, number[]>();
    for (const g of receiver.got) {
      const key = String(g.headers['x-cityops-delivery']);
      tries.set(key, [...(tries.get(key) ?? []), g.status]);
    }
    expect([...tries.values()]).toEqual([
      [500, 200],
      [500, 200],
      [500, 200],
    ]);
  });

  it('then the officer logs in to the desk and sees the item as text, red against its limit, with its escalations', async () => {
    desk = (await openDesk(browser, url, '李娜', errors)).page;
    const row = desk.locator('tr[data-item="case|night-1"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-test=text]').innerText()).toBe(`紧急 ${TITLE}`);
    expect(await row.locator('[data-test=ack]').getAttribute('class')).toContain('red');
    expect(await row.locator('[data-test=ack]').innerText()).toBe('超 11 分');
    expect(await row.locator('[data-test=escalation] .badge').allInnerTexts()).toEqual([
      '值班长 03:06',
      '值班领导 03:16',
    ]);
    expect(await desk.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('then a report before acknowledging is refused with the reason, and A acknowledges', async () => {
    await desk.keyboard.press('p');
    await expect
      .poll(() => desk.locator('[data-test=error]').innerText(), { timeout: 10_000 })
      .toBe('item case|night-1 is not acknowledged: acknowledge it before reporting it');
    await desk.keyboard.press('a');
    await desk.locator('[data-test=notice]').waitFor({ timeout: 10_000 });
    const row = desk.locator('tr[data-item="case|night-1"]');
    await expect.poll(() => row.locator('[data-test=ack]').innerText(), { timeout: 10_000 }).toBe('李娜 超时 03:17');
    await loud.waitForFunction(() => document.querySelector('[data-test=unacknowledged]') === null, undefined, {
      timeout: 15_000,
    });
    expect(await strip(loud).innerText()).toContain('在办 1 项，均已接报');
  });

  it('then the chime stops once nothing waits', async () => {
    const before = (await audio(loud)).tones;
    await new Promise((r) => setTimeout(r, 4_500));
    expect((await audio(loud)).tones).toBe(before);
  });

  it('then P reports by phone and R resolves with a note typed at the keyboard', async () => {
    now.value = NIGHT + 25 * MINUTE_MS;
    await desk.keyboard.press('p');
    const row = desk.locator('tr[data-item="case|night-1"]');
    await expect.poll(() => row.locator('[data-test=first]').innerText(), { timeout: 10_000 }).toBe('按时 03:25');
    await desk.screenshot({ path: path.join(shots, 'duty-desk.png'), fullPage: true });
    await desk.keyboard.press('r');
    await desk.keyboard.type('燃气公司关阀抢修完毕');
    await desk.keyboard.press('Enter');
    await desk
      .locator('table[data-test=resolved] td', { hasText: '燃气公司关阀抢修完毕' })
      .waitFor({ timeout: 10_000 });
    expect(await desk.locator('[data-test=open-count]').innerText()).toBe('未办结 0 项 · 未接报 0 项');
    await loud.waitForFunction(
      () => document.querySelector('[data-test=duty-desk]')?.textContent?.includes('无待办事项'),
      undefined,
      { timeout: 15_000 },
    );
    expect(errors).toEqual([]);
  });

  it("then at the shift change 李娜 submits the night's handover and 王强, on the day shift, signs it", async () => {
    now.value = shanghaiInstant(DATE, '08:20');
    const draft = desk.locator(`[data-test=handover-draft][data-handover="${HANDOVER}"]`);
    await draft.waitFor({ timeout: 10_000 });
    await desk.fill('[data-test=handover-note]', NOTE);
    await desk.click('[data-test=submit-handover]');
    const mine = desk.locator(`table[data-test=handovers] tr[data-handover="${HANDOVER}"]`);
    await expect.poll(() => mine.locator('[data-test=signed]').innerText(), { timeout: 10_000 }).toBe('待签收');
    now.value = shanghaiInstant(DATE, '08:31');
    incoming = await openDesk(browser, url, '王强', errors);
    await incoming.page.fill('[data-test=handover-date]', DATE);
    const rec = incoming.page.locator(`table[data-test=handovers] tr[data-handover="${HANDOVER}"]`);
    await rec.waitFor({ timeout: 10_000 });
    await rec.locator('[data-test=sign]').click();
    await expect.poll(() => rec.locator('[data-test=signed]').innerText(), { timeout: 10_000 }).toBe('王强 08:31');
    await expect.poll(() => mine.locator('[data-test=signed]').innerText(), { timeout: 15_000 }).toBe('王强 08:31');
  });

  it('then the printed record holds the night: the urgent item handled by 李娜, the note, both officers', async () => {
    const page = await incoming.ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.goto(`${url}/duty/handover/${encodeURIComponent(HANDOVER)}?space=live`);
    const sheet = page.locator('[data-test=handover-record]');
    await sheet.waitFor({ timeout: 10_000 });
    expect(await sheet.locator('[data-test=submitted]').innerText()).toContain('李娜');
    expect(await sheet.locator('[data-test=signed]').innerText()).toContain('王强');
    expect(await sheet.locator('[data-test=note]').innerText()).toBe(NOTE);
    const handled = await sheet.locator('[data-test=list-handled]').innerText();
    expect(handled).toContain(TITLE);
    expect(handled).toContain('李娜 03:17');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(shots, 'duty-night-handover-print.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });

  it('then the review at 03:16:30 shows the wall as it was: the item unacknowledged, escalated to the 值班领导', async () => {
    const at = new Date(NIGHT + 16.5 * MINUTE_MS).toISOString();
    const review = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    review.on('pageerror', (e) => errors.push(e.message));
    await review.addInitScript(COUNT_AUDIO);
    await review.goto(`${url}/?space=live&token=viewer-token&sound=1&at=${encodeURIComponent(at)}`);
    await review.locator('[data-test=review-instant]').filter({ hasText: '03:16:30' }).waitFor({ timeout: 15_000 });
    expect(await review.locator('[data-test=unacknowledged]').innerText()).toBe('1');
    expect(await review.locator('[data-test=escalation]').filter({ hasText: '值班领导' }).count()).toBeGreaterThan(0);
    expect(await review.locator('[data-test=alerts-title]').innerText()).toBe('复盘预警');
    await review.screenshot({ path: path.join(shots, 'duty-night-review.png') });
    // A minute on, past 03:17, the officer had acknowledged: nothing waits.
    await review.keyboard.press('ArrowRight');
    await review.locator('[data-test=review-instant]').filter({ hasText: '03:17:30' }).waitFor({ timeout: 15_000 });
    await review.waitForFunction(() => document.querySelector('[data-test=unacknowledged]') === null, undefined, {
      timeout: 15_000,
    });
    // A review never sounds, even with the flag.
    expect(await audio(review)).toEqual({ contexts: 0, tones: 0 });
    await review.close();
    expect(errors).toEqual([]);
  });
});

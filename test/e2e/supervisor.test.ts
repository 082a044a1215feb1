/**
 * The supervisor's flow in real headless Chromium: log in, click the wall's overdue figure → the filtered list (its
 * total equals the figure) → open a case → 督办 → the wall's 今日督办 count goes up. Citizen text carrying HTML and
 * script payloads stays inert on every page. The monthly report is printed to an A4 PDF. Screenshots in test-results/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import type { MonthlyReport } from '@shared/cases/reports';
import { DEFAULT_CONFIG } from '@shared/config';
import { HOUR_MS, shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { caseEvent, received } from '../fixtures/events';
import { post, TOKENS } from '../../harness/server';
import { percentText } from '@shared/percent';

const run = browserAvailable('supervisor browser test');
const shots = path.resolve('test-results');
const END = shanghaiInstant('2026-11-23', '15:00');
const NOW = shanghaiInstant('2026-11-24', '10:00');
const PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
const XSS_ID = 'xss-1';

describe.runIf(run)('when a supervisor follows a late figure from the wall to a case and urges it', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let desk: Page;
  let wall: Page;
  const errors: string[] = [];

  const supervisedOnWall = async (): Promise<number> =>
    Number((await wall.locator('[data-panel="overdue"] .head.neutral .v').innerText()).replace(/\D/g, ''));

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-e2e-sup-'));
    mkdirSync(shots, { recursive: true });
    const now = { value: END };
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      staticDir: path.resolve('dist/client'),
      now: () => now.value,
      deltaIntervalMs: 200,
    });
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    url = `http://127.0.0.1:${addr.port}`;
    const events = generateEvents({
      seed: 11,
      from: shanghaiInstant('2026-11-21', '00:00'),
      to: END,
      casesPerDay: 300,
    });
    // The simulated district's days, its desk's acts included: brought in with an admin's token (a producer's feed may
    // not make the centre's own acts in live).
    for (let i = 0; i < events.length; i += 400)
      await post(url, { space: 'live', events: events.slice(i, i + 400) }, 'admin-token');
    // A citizen's text carrying markup and script, on a case that is overdue by now.
    const t = END - 30 * HOUR_MS;
    const res = await post(
      url,
      {
        space: 'live',
        events: [
          received(XSS_ID, {
            ts: t,
            title: `${PAYLOAD}井盖缺失`,
            description: `描述 ${PAYLOAD}`,
            address: `<b onmouseover=alert(1)>地址</b>`,
            street: 'luonan',
            urgency: 'urgent',
          }),
          caseEvent('case.dispatched', XSS_ID, t + 60_000, { unit: 'cgzf' }),
          caseEvent('case.supervised', XSS_ID, t + 120_000, { message: `督办 ${PAYLOAD}`, actor: '<i>x</i>' }),
        ],
      },
      'admin-token',
    );
    expect(res.json.accepted).toBe(3);
    now.value = NOW;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    desk = await context.newPage();
    desk.on('pageerror', (e) => errors.push(e.message));
    desk.on('console', (m) => {
      if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) errors.push(m.text());
    });
    wall = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    wall.on('pageerror', (e) => errors.push(e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('then an unauthenticated visit to the list is sent to login, and login brings it back', async () => {
    await desk.goto(`${url}/cases?space=live&status=overdue`);
    await desk.waitForURL(/\/login\?next=/, { timeout: 10_000 });
    await desk.fill('input[name=token]', 'supervisor-token');
    await desk.fill('input[name=name]', '李督办');
    await desk.click('form[data-test=login] button[type=submit]');
    await desk.waitForURL(/\/cases\?space=live&status=overdue$/, { timeout: 10_000 });
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'cityops_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await desk.evaluate(() => document.cookie)).not.toContain('cityops_session');
  });

  it("then the wall's overdue figure leads to a list whose total is that figure", async () => {
    await wall.goto(`${url}/?space=live&token=viewer-token`);
    const figure = wall.locator('a[data-figure="overdue"]');
    await figure.waitFor({ state: 'visible', timeout: 15_000 });
    await wall.waitForFunction(
      () => Number(document.querySelector('a[data-figure="overdue"] .v')?.textContent?.replace(/\D/g, '') ?? '0') > 0,
      undefined,
      { timeout: 15_000 },
    );
    const shown = Number((await figure.locator('.v').innerText()).replace(/\D/g, ''));
    const href = await figure.getAttribute('href');
    expect(href).toBe('/cases?space=live&status=overdue');
    // The desk follows the same link (the wall screen itself stays on the wall).
    await desk.goto(`${url}/`);
    await desk.goto(`${url}/?space=live&token=viewer-token`);
    await desk.locator('a[data-figure="overdue"]').click();
    await desk.waitForURL(/\/cases\?space=live&status=overdue$/);
    await desk.waitForFunction(
      (n) => document.querySelector('[data-test=case-total]')?.textContent?.includes(`共 ${n} 件`),
      shown,
      { timeout: 10_000 },
    );
    expect(await desk.locator('[data-test=case-table] tbody tr[data-case-id]').count()).toBe(Math.min(50, shown));
    await desk.screenshot({ path: path.join(shots, 'supervisor-cases.png'), fullPage: false });
  });

  it('then a case replied elsewhere leaves the open list without a reload', async () => {
    const row = desk.locator('[data-test=case-table] tbody tr[data-case-id]', { hasText: '超期 · 办理' }).first();
    const id = await row.getAttribute('data-case-id');
    expect(id).toBeTruthy();
    const total = await desk.locator('[data-test=case-total]').innerText();
    await desk.evaluate(() => {
      (window as unknown as { __marker?: number }).__marker = 1;
    });
    const res = await post(url, {
      space: 'live',
      events: [caseEvent('case.replied', id!, END + 1, { reply: '已处理完毕' })],
    });
    expect(res.json.accepted).toBe(1);
    await desk
      .locator(`[data-test=case-table] tbody tr[data-case-id="${id}"]`)
      .waitFor({ state: 'detached', timeout: 5_000 });
    expect(await desk.locator('[data-test=case-total]').innerText()).not.toBe(total);
    expect(await desk.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1);
  });

  it('then a case opens with its clocks, timeline and stage chart, and a 督办 reaches the wall', async () => {
    const before = await supervisedOnWall();
    const first = desk.locator('[data-test=case-table] tbody tr[data-case-id]').first();
    const id = await first.getAttribute('data-case-id');
    await first.locator('a.case-link').click();
    await desk.waitForURL(new RegExp(`/cases/${encodeURIComponent(id!)}\\?space=live`));
    await desk.locator('[data-test=case-timeline] tbody tr').first().waitFor();
    expect(await desk.locator('[data-test=stage-chart] canvas').count()).toBeGreaterThan(0);
    expect(await desk.locator('[data-test=case-clocks] .badge.overdue').count()).toBeGreaterThan(0);
    const rows = desk.locator('[data-test=case-timeline] tbody tr[data-type="case.supervised"]');
    const had = await rows.count();
    await desk.fill('[data-test=action-message]', '请于今日17时前办结并反馈');
    await desk.click('[data-test=action-submit]');
    await desk.locator('[data-test=action-notice]').waitFor({ timeout: 10_000 });
    await desk.waitForFunction(
      (n) =>
        document.querySelectorAll('[data-test=case-timeline] tbody tr[data-type="case.supervised"]').length === n + 1,
      had,
      { timeout: 10_000 },
    );
    expect(
      await desk.locator('[data-test=case-timeline] tbody tr[data-type="case.supervised"]').last().innerText(),
    ).toContain('李督办');
    await wall.waitForFunction(
      (n) =>
        Number(
          document.querySelector('[data-panel="overdue"] .head.neutral .v')?.textContent?.replace(/\D/g, '') ?? '0',
        ) ===
        n + 1,
      before,
      { timeout: 10_000 },
    );
    await desk.screenshot({ path: path.join(shots, 'supervisor-case.png'), fullPage: true });
  });

  it('then HTML and script in citizen text stay inert text on every page', async () => {
    const pages = [
      `/cases?space=live&status=all&q=${encodeURIComponent(XSS_ID)}`,
      `/cases/${XSS_ID}?space=live`,
      '/units?space=live&month=2026-11',
      '/reports/monthly?space=live&month=2026-11',
    ];
    for (const p of pages) {
      await desk.goto(`${url}${p}`);
      await desk.waitForLoadState('networkidle');
      expect(await desk.evaluate(() => (window as unknown as { __xss?: number }).__xss), p).toBeUndefined();
      expect(await desk.locator('main img, main script, main b[onmouseover]').count(), p).toBe(0);
    }
    await desk.goto(`${url}/cases/${XSS_ID}?space=live`);
    await desk.locator('[data-test=case-title]').waitFor();
    expect(await desk.locator('[data-test=case-title]').innerText()).toContain('<script>window.__xss=1</script>');
    expect(await desk.locator('[data-test=case-description]').innerText()).toContain('<img src=x onerror=');
    expect(await desk.locator('[data-test=case-timeline]').innerText()).toContain('<i>x</i>');
    expect(await wall.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await wall.locator('img[src="x"], b[onmouseover]').count()).toBe(0);
  });

  it('then the scorecards and the monthly report render, and the report prints to A4', async () => {
    await desk.goto(`${url}/units?space=live&month=2026-11`);
    await desk.locator('[data-test=scorecards] tbody tr').first().waitFor();
    expect(await desk.locator('[data-test=scorecards] tbody tr').count()).toBe(DEFAULT_CONFIG.units.length);
    await desk.screenshot({ path: path.join(shots, 'supervisor-units.png'), fullPage: true });
    await desk.goto(`${url}/reports/monthly?space=live&month=2026-11`);
    await desk.locator('[data-test=monthly-report] tbody tr').first().waitFor();
    // The duty desk's month: the whole month and each shift, as the report API reads them.
    const api = (await (
      await fetch(`${url}/api/v1/reports/monthly?space=live&month=2026-11`, {
        headers: { authorization: 'Bearer supervisor-token' },
      })
    ).json()) as MonthlyReport;
    // From the log's start (00:00 on the 21st) to now (10:00 on the 24th), eleven shift changes: the simulator handed over
    // the eight before its day ended (15:00 on the 23rd) in time; nobody handed over the three after.
    expect(api.duty.month.handovers).toEqual({ changes: 11, submitted: 8, signed: 8, signedLate: 0, unsignedLate: 3 });
    expect(api.duty.shifts.map((x) => x.name)).toEqual(['夜班', '白班', '晚班']);
    expect(api.duty.month.items).toBeGreaterThan(5);
    const pct = (x: number | null) => (x === null ? '—' : percentText(x));
    const cells = (r: MonthlyReport['duty']['month']) => [
      String(r.items),
      String(r.acknowledged),
      String(r.ackLate),
      pct(r.ackTimely),
      r.medianAckMin === null ? '—' : `${r.medianAckMin} 分`,
      pct(r.reportTimely),
      ...[r.handovers.changes, r.handovers.submitted, r.handovers.signed, r.handovers.signedLate].map(String),
      String(r.handovers.unsignedLate),
    ];
    const duty = desk.locator('[data-test=monthly-duty]');
    expect(await duty.locator('tbody tr').count()).toBe(4);
    expect(await duty.locator('[data-test=duty-month] td').allInnerTexts()).toEqual(['全月', ...cells(api.duty.month)]);
    for (const x of api.duty.shifts)
      expect(await duty.locator(`[data-test=duty-shift-${x.shiftId}] td`).allInnerTexts()).toEqual([
        x.name,
        ...cells(x),
      ]);
    await desk.waitForTimeout(500);
    const pdf = await desk.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    writeFileSync(path.join(shots, 'monthly-report.pdf'), pdf);
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(4);
    // What the pages look like: the print layout at A4 width (794 CSS px).
    await desk.emulateMedia({ media: 'print' });
    await desk.setViewportSize({ width: 794, height: 1123 });
    await desk.waitForTimeout(400);
    await desk.screenshot({ path: path.join(shots, 'monthly-report-print.png'), fullPage: true });
    await desk.emulateMedia({ media: 'screen' });
    // And the PDF itself in Chromium's viewer, for a person to look at.
    const viewer = await context.newPage();
    await viewer.goto(`file://${path.join(shots, 'monthly-report.pdf')}`).catch(() => undefined);
    await viewer.waitForTimeout(1500);
    await viewer.screenshot({ path: path.join(shots, 'monthly-report-pdf.png') });
    await viewer.close();
    expect(readFileSync(path.join(shots, 'monthly-report.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it("then a duty officer whose token is for a drill space lands on that space's desk, and logs out from it", async () => {
    const res = await post(
      url,
      { space: 'drill-a', events: [received('drill-a-1', { ts: NOW - HOUR_MS, urgency: 'urgent' })] },
      'producer-drill-a',
    );
    expect(res.json.accepted).toBe(1);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const officer = await ctx.newPage();
    const failed: string[] = [];
    officer.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
    });
    await officer.goto(`${url}/login`);
    await officer.fill('input[name=token]', 'duty-drill-a');
    await officer.fill('input[name=name]', '赵值班');
    await officer.click('form[data-test=login] button[type=submit]');
    await officer.waitForURL(/\/duty\?space=drill-a$/, { timeout: 10_000 });
    await officer.locator('[data-test=open-count]').waitFor({ state: 'visible', timeout: 10_000 });
    await officer.waitForTimeout(1000);
    expect(await officer.locator('[data-test=space-banner]').innerText()).toContain('drill-a');
    expect(await officer.locator('[data-test=error]').count()).toBe(0);
    expect(failed).toEqual([]);
    await officer.click('[data-test=logout]');
    await officer.waitForURL(/\/login$/, { timeout: 10_000 });
    expect((await ctx.request.get(`${url}/api/v1/session`)).status()).toBe(401);
    await ctx.close();
  });

  it('then no page logged an error', () => {
    expect(errors).toEqual([]);
  });
});

/**
 * The desk pages in real headless Chromium for the logins they refuse and the lists they hold. A supervisor opening the
 * duty desk, a drill officer opening the live desk, a duty officer opening the supervisors' pages, an address naming a
 * space that is none or is not here, a login that ran out: each is told in Chinese what it takes and where to log in,
 * in place of the desk — no empty list that reads as "nothing to do", no English server text, no empty brackets. The
 * duty desk's resolved items of yesterday carry their date; the case list's heading names the status it lists.
 * Screenshots in test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { received } from '../fixtures/events';
import { pollUntil } from '../fixtures/wallClient';
import { post, startTestServer, type TestServer } from '../../harness/server';

const run = browserAvailable('desk pages browser test');
const shots = path.resolve('test-results');
const YESTERDAY = '2026-12-02';
const TODAY = '2026-12-03';
/** What the server says to tools, which a desk page must not show as it is. */
const SERVER_ENGLISH = /may not|this token is for|session has expired|not logged in|no space|not a space name/;

describe.runIf(run)('when desk pages are opened with a login they refuse, or with a desk history', () => {
  let server: TestServer;
  let url: string;
  let browser: Browser;
  const now = { value: shanghaiInstant(YESTERDAY, '21:59') };
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];

  /** A page of its own browser context, logged in with `token` (through the login page, as a person would). */
  async function loggedIn(token: string, name = '测试'): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/login`);
    await page.fill('input[name=token]', token);
    await page.fill('input[name=name]', name);
    await page.click('form[data-test=login] button[type=submit]');
    await page.waitForURL((u) => u.pathname !== '/login', { timeout: 10_000 });
    return page;
  }

  /** An urgent case at `at` whose duty item is acknowledged two minutes on and resolved at `resolvedAt`. */
  async function handled(caseId: string, at: number, resolvedAt: number): Promise<void> {
    now.value = at;
    expect(
      (
        await post(url, {
          space: 'live',
          events: [received(caseId, { ts: at, urgency: 'urgent', title: `燃气 ${caseId}` })],
        })
      ).json.accepted,
    ).toBe(1);
    const id = `case|${caseId}`;
    await pollUntil(`the item ${id}`, () => server.app.spaces.get('live').projection.items.has(id));
    const act = async (body: Record<string, unknown>) => {
      const res = await fetch(`${url}/api/v1/duty/items/${encodeURIComponent(id)}/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer duty-live' },
        body: JSON.stringify({ space: 'live', ...body }),
      });
      expect(res.status).toBe(201);
    };
    now.value = at + 2 * MINUTE_MS;
    await act({ kind: 'acknowledge' });
    now.value = resolvedAt;
    await act({ kind: 'resolve', note: `已处置 ${caseId}` });
  }

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startTestServer(now.value, undefined, now, {
      staticDir: path.resolve('dist/client'),
      deltaIntervalMs: 100,
      monitorMs: 50,
    });
    url = server.url;
    // Yesterday evening's item and this morning's, both resolved; it is now 07:30.
    await handled('y1', shanghaiInstant(YESTERDAY, '22:00'), shanghaiInstant(YESTERDAY, '22:40'));
    await handled('t1', shanghaiInstant(TODAY, '07:25'), shanghaiInstant(TODAY, '07:28'));
    now.value = shanghaiInstant(TODAY, '07:30');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.dispose();
  });

  /** Opens `address` and reads the refusal it shows: its kind, title, detail and links; and the whole page's text. */
  async function refusalAt(page: Page, address: string) {
    await page.goto(`${url}${address}`);
    const box = page.locator('[data-test=refusal]');
    await box.waitFor({ state: 'visible', timeout: 10_000 });
    return {
      kind: await box.getAttribute('data-refusal'),
      title: await box.locator('[data-test=refusal-title]').innerText(),
      detail: await box.locator('[data-test=refusal-detail]').innerText(),
      links: await box
        .locator('[data-test=refusal-link]')
        .evaluateAll((as) => as.map((a) => [a.textContent ?? '', a.getAttribute('href') ?? ''])),
      text: await page.locator('body').innerText(),
    };
  }

  describe('when a supervisor opens the duty desk', () => {
    let page: Page;

    it('then it says in Chinese that the desk needs a duty token and links to the login, with no empty desk', async () => {
      page = await loggedIn('supervisor-token');
      const r = await refusalAt(page, '/duty?space=live');
      await page.screenshot({ path: path.join(shots, 'desk-refusal-supervisor-duty.png') });
      expect(r.kind).toBe('role');
      expect(r.title).toBe('值班台需要值班员令牌');
      expect(r.detail).toBe(
        '您以督办员（supervisor）令牌登录，无权使用值班台。请用值班员（duty）令牌或管理员令牌重新登录。',
      );
      expect(r.links).toEqual([
        ['用值班员令牌登录', '/login?next=%2Fduty%3Fspace%3Dlive'],
        ['前往督办考核', '/cases?space=live'],
      ]);
      expect(r.text).not.toMatch(SERVER_ENGLISH);
      expect(r.text).not.toContain('当前无未办结事项');
      expect(r.text).not.toContain('（）');
      expect(await page.locator('table').count()).toBe(0);
    });

    it('then the link leads to the duty desk login, and a duty token opens the desk', async () => {
      await page.locator('[data-test=refusal-link]').first().click();
      await page.waitForURL(/\/login\?next=%2Fduty%3Fspace%3Dlive$/, { timeout: 10_000 });
      expect(await page.locator('form[data-test=login] h1').innerText()).toBe('城运中心 · 值班台登录');
      expect(await page.locator('[data-test=login-reason]').innerText()).toBe(
        '请先登录：值班台需要值班员（duty）令牌，管理员令牌也可。',
      );
      await page.fill('input[name=token]', 'duty-live');
      await page.click('form[data-test=login] button[type=submit]');
      await page.waitForURL(/\/duty\?space=live$/, { timeout: 10_000 });
      await page.locator('table[data-test=items]').waitFor({ timeout: 10_000 });
      expect(await page.locator('[data-test=refusal]').count()).toBe(0);
    });
  });

  describe("when a drill's duty officer opens the live desk, or the live case list", () => {
    let page: Page;

    it('then it says the token is for the drill space and links to that desk and to the login', async () => {
      page = await loggedIn('duty-drill-a');
      const r = await refusalAt(page, '/duty?space=live');
      await page.screenshot({ path: path.join(shots, 'desk-refusal-wrong-space.png') });
      expect(r.kind).toBe('space');
      expect(r.title).toBe('当前令牌只能用于空间 drill-a');
      expect(r.detail).toContain('不能打开空间 live 的值班台');
      expect(r.links).toEqual([
        ['打开空间 drill-a 的值班台', '/duty?space=drill-a'],
        ['用值班员令牌登录', '/login?next=%2Fduty%3Fspace%3Dlive'],
      ]);
      expect(r.text).not.toMatch(SERVER_ENGLISH);
      expect(r.text).not.toContain('（）');
      expect(await page.locator('table').count()).toBe(0);
    });

    it('then the case list names the role it needs first (a duty token is refused there in any space)', async () => {
      const r = await refusalAt(page, '/cases?space=live');
      expect([r.kind, r.title]).toEqual(['role', '督办考核需要督办员令牌']);
      expect(r.links).toEqual([
        ['用督办员令牌登录', '/login?next=%2Fcases%3Fspace%3Dlive'],
        ['前往值班台', '/duty?space=drill-a'],
      ]);
    });
  });

  describe('when the address names a space that is none, or one this server does not hold', () => {
    it('then the desk says so instead of showing an empty desk', async () => {
      const page = await loggedIn('admin-token');
      const absent = await refusalAt(page, '/duty?space=drill-zzz');
      expect([absent.kind, absent.title]).toEqual(['no_space', '本服务器上没有空间 drill-zzz']);
      expect(absent.links).toEqual([['打开 live 的值班台', '/duty?space=live']]);
      expect(absent.text).not.toMatch(SERVER_ENGLISH);
      const bad = await refusalAt(page, '/duty?space=Live');
      expect([bad.kind, bad.title]).toEqual(['bad_space', '“Live”不是空间名']);
      expect(bad.text).not.toMatch(SERVER_ENGLISH);
      expect(await page.locator('table').count()).toBe(0);
    });
  });

  describe("when a duty officer opens the supervisors' pages", () => {
    it('then each page says it needs a supervisor token, links to the login and to the duty desk, and lists nothing', async () => {
      const page = await loggedIn('duty-live');
      for (const p of [
        '/cases?space=live&status=all',
        '/cases/y1?space=live',
        '/units?space=live',
        '/reports/monthly?space=live',
      ]) {
        const r = await refusalAt(page, p);
        expect([p, r.kind, r.title]).toEqual([p, 'role', '督办考核需要督办员令牌']);
        expect(r.detail).toBe(
          '您以值班员（duty）令牌登录，无权使用督办考核。请用督办员（supervisor）令牌或管理员令牌重新登录。',
        );
        expect(r.links).toEqual([
          ['用督办员令牌登录', `/login?next=${encodeURIComponent(p)}`],
          ['前往值班台', '/duty?space=live'],
        ]);
        expect(r.text, p).not.toMatch(SERVER_ENGLISH);
        expect(await page.locator('table, [data-test=filters]').count(), p).toBe(0);
      }
      await page.screenshot({ path: path.join(shots, 'desk-refusal-duty-units.png') });
    });
  });

  describe('when a login runs out', () => {
    it('then a fresh visit with the stale cookie is sent to the login, which says what the desk needs', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      contexts.push(ctx);
      await ctx.addCookies([{ name: 'cityops_session', value: 'gone-after-a-restart', url }]);
      const page = await ctx.newPage();
      await page.goto(`${url}/cases?space=live`);
      await page.waitForURL(/\/login\?next=%2Fcases%3Fspace%3Dlive$/, { timeout: 10_000 });
      expect(await page.locator('form[data-test=login] h1').innerText()).toBe('城运中心 · 督办考核登录');
      expect(await page.locator('[data-test=login-reason]').innerText()).toBe(
        '请先登录：督办考核需要督办员（supervisor）令牌，管理员令牌也可。',
      );
    });

    it('then the open desk goes to the login at its next reload, which says the login expired', async () => {
      const page = await loggedIn('duty-live', '李娜');
      await page.goto(`${url}/duty?space=live`);
      await page.locator('table[data-test=items]').waitFor({ timeout: 10_000 });
      // The server no longer knows the session (as after a restart: sessions are kept in memory).
      const ctx = page.context();
      await ctx.clearCookies();
      await ctx.addCookies([{ name: 'cityops_session', value: 'gone-after-a-restart', url }]);
      // A new urgent item makes the desk reload.
      expect(
        (await post(url, { space: 'live', events: [received('t2', { ts: now.value, urgency: 'urgent' })] })).json
          .accepted,
      ).toBe(1);
      await page.waitForURL(/\/login\?next=%2Fduty%3Fspace%3Dlive&reason=expired$/, { timeout: 15_000 });
      const reason = await page.locator('[data-test=login-reason]').innerText();
      await page.screenshot({ path: path.join(shots, 'desk-login-expired.png') });
      expect(reason).toBe(
        '登录已失效（12 小时未使用，或服务已重启），请重新登录，登录后回到原页面。值班台需要值班员（duty）令牌。',
      );
      expect(await page.locator('body').innerText()).not.toMatch(SERVER_ENGLISH);
    });
  });

  describe("when the duty desk lists yesterday evening's resolved item under this morning's", () => {
    it("then yesterday's times carry their date and today's read as times of day", async () => {
      const page = await loggedIn('duty-live', '李娜');
      await page.goto(`${url}/duty?space=live`);
      const rows = page.locator('table[data-test=resolved] tbody tr[data-item]');
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
      await page.screenshot({ path: path.join(shots, 'duty-desk-resolved-dates.png'), fullPage: true });
      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim())),
      );
      expect(cells.map((c) => [c[0], c[2], c[3]])).toEqual([
        ['07:25', 'duty 按时 07:27', 'duty 07:28'],
        ['12-02 22:00', 'duty 按时 12-02 22:02', 'duty 12-02 22:40'],
      ]);
      expect(await page.locator('[data-test=figures-month] strong').innerText()).toBe('本月（2026-12）');
      expect(await page.locator('main').innerText()).not.toContain('（）');
    });
  });

  describe('when a supervisor changes the case list status', () => {
    it('then the heading names what the list holds', async () => {
      const page = await loggedIn('supervisor-token');
      const heading = page.locator('[data-test=list-heading]');
      const expected: [string, string][] = [
        ['', '超期或临期案件'],
        ['&overdueBy=120', '超期超过2小时的案件'],
        ['&status=overdue', '超期案件'],
        ['&status=at_risk', '临期案件'],
        ['&status=open', '在办案件'],
        ['&status=closed', '已结案件'],
        ['&status=all', '全部案件'],
      ];
      for (const [q, h] of expected) {
        await page.goto(`${url}/cases?space=live${q}`);
        await page
          .locator('[data-test=case-total]')
          .filter({ hasText: /共 \d+ 件/ })
          .waitFor({ timeout: 10_000 });
        expect([q, await heading.innerText()]).toEqual([q, h]);
      }
      // Choosing in the filter (here from 全部) changes it too.
      await page.selectOption('select[name=status]', 'open');
      await page.waitForURL(/status=open/, { timeout: 10_000 });
      await expect.poll(() => heading.innerText(), { timeout: 10_000 }).toBe('在办案件');
      await page.screenshot({ path: path.join(shots, 'cases-heading-open.png') });
    });
  });

  it('then no page logged an error', () => {
    expect(errors).toEqual([]);
  });
});

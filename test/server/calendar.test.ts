/**
 * The working calendar's coverage on the running server: /readyz, /metrics, GET /api/v1/calendar (roles, the banner's
 * text, a year's days), the count of days past coverage that deadlines used, and the guarded daily log check.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { CalendarWatch, type CalendarLog } from '../../server/calendar/watch';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import type { CalendarCoverage } from '@shared/sla/coverage';
import type { YearListing } from '@shared/sla/holidays';
import { shanghaiInstant } from '@shared/time';
import { caseEvent, received } from '../fixtures/events';
import { loginSession, post, removeData, startTestServer, TOKENS, type TestServer } from '../../harness/server';

/** Sunday 20 December 2026, 10:00 Asia/Shanghai: 11 days of the dataset left, deadlines already reach into 2027. */
const NOW = shanghaiInstant('2026-12-20', '10:00');

interface CalendarAnswer {
  coverage: CalendarCoverage;
  sources: { dataset: { package: string; firstYear: number; lastYear: number }; configYears: number[] };
  year: YearListing;
}

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (-?[\\d.e+]+)$`, 'm').exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
};

describe('when the server runs on the dataset alone on 20 December 2026', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(NOW);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('then /readyz is still 200 and ready, with the calendar: last covered day, days left, first uncovered day, warning', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    const body = await json<{ ready: boolean; calendar: CalendarCoverage }>(res);
    expect(body.ready).toBe(true);
    expect(body.calendar).toMatchObject({
      lastCoveredDay: '2026-12-31',
      daysLeft: 11,
      firstUncoveredDay: '2027-01-01',
      horizonDays: 33,
      horizonEnd: '2027-01-22',
    });
    expect(body.calendar.warning).toContain('2027-01-01 起的法定节假日和调休尚未录入');
  });

  it('then /metrics exposes the days left and the warning, and the days left follow the clock past the last day', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'cityops_calendar_days_left')).toBe(11);
    expect(metric(text, 'cityops_calendar_warning')).toBe(1);
    server.now.value = shanghaiInstant('2027-01-05', '09:00');
    try {
      expect(metric(await (await fetch(`${server.url}/metrics`)).text(), 'cityops_calendar_days_left')).toBe(-5);
    } finally {
      server.now.value = NOW;
    }
  });

  it('then a complaint dispatched now has its deadline counted on 2027 days, and the server counts those days', async () => {
    const before = server.app.calendar.uncoveredDaysUsed;
    const res = await post(server.url, {
      space: 'live',
      events: [received('cal-1', { ts: NOW - 60_000 }), caseEvent('case.dispatched', 'cal-1', NOW, { unit: 'cgzf' })],
    });
    expect(res.json.accepted).toBe(2);
    // 15 working days after 20 December: 21–25, 28–31 December (9), then 1, 4–8 January 2027 — the 15th is 8 January,
    // with 1 January wrongly counted as a working day because 2027 is not covered.
    const c = server.app.spaces.find('live')?.projection.cases.get('cal-1');
    expect(c?.handle?.deadline).toBe(shanghaiInstant('2027-01-08', '17:30'));
    expect(server.app.calendar.uncoveredDaysUsed).toBeGreaterThan(before);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'cityops_calendar_uncovered_days_total')).toBe(server.app.calendar.uncoveredDaysUsed);
  });

  it('then GET /api/v1/calendar answers the banner text and what it knows of 2027 (nothing) to a viewer', async () => {
    const res = await fetch(`${server.url}/api/v1/calendar?year=2027`, {
      headers: { authorization: 'Bearer viewer-token' },
    });
    expect(res.status).toBe(200);
    const body = await json<CalendarAnswer>(res);
    expect(body.coverage.warning).toContain('holidays.years."2027"');
    expect(body.coverage.firstUncoveredDay).toBe('2027-01-01');
    expect(body.sources).toEqual({
      dataset: { package: 'chinese-days', firstYear: 2004, lastYear: 2026 },
      configYears: [],
    });
    expect(body.year).toEqual({ year: 2027, covered: false, source: null, holidays: [], workdays: [] });
  });

  it("then the pages' session may read it, this year by default, and without credentials or as a producer it is refused", async () => {
    const login = await loginSession(server.url, 'supervisor-token');
    const res = await fetch(`${server.url}/api/v1/calendar`, { headers: { cookie: login.cookie } });
    expect(res.status).toBe(200);
    const body = await json<CalendarAnswer>(res);
    expect(body.year.year).toBe(2026);
    expect(body.year.workdays.map((d) => d.date)).toContain('2026-10-10');
    const none = await fetch(`${server.url}/api/v1/calendar`);
    expect(none.status).toBe(401);
    const producer = await fetch(`${server.url}/api/v1/calendar`, {
      headers: { authorization: 'Bearer producer-live' },
    });
    expect(producer.status).toBe(403);
    expect((await json<{ error: { message: string } }>(producer)).error.message).toBe('a producer token may not view');
    const bad = await fetch(`${server.url}/api/v1/calendar?year=27`, {
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { message: string } }>(bad)).error.message).toBe(
      'query year: "27" is not a year 2000–2199, e.g. year=2027',
    );
  });
});

describe('when the config enters the 2027 schedule', () => {
  let app: App;
  let url: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-cal-'));
  const config = mergeConfig(DEFAULT_CONFIG, {
    holidays: {
      years: {
        2027: {
          holidays: [
            '2027-01-01',
            '2027-10-01',
            '2027-10-02',
            '2027-10-03',
            '2027-10-04',
            '2027-10-05',
            '2027-10-06',
            '2027-10-07',
          ],
          workdays: ['2027-09-26', '2027-10-09'],
        },
      },
    },
  });
  beforeAll(async () => {
    app = createApp({ store: openSqliteStore({ dataDir }), config, tokens: new TokenRegistry(TOKENS), now: () => NOW });
    url = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`;
    await app.ready;
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await app.close();
    removeData(dataDir);
  });

  it('then coverage runs to 2027-12-31 with no warning, on /readyz and /metrics', async () => {
    const ready = await json<{ calendar: CalendarCoverage }>(await fetch(`${url}/readyz`));
    expect(ready.calendar).toMatchObject({
      lastCoveredDay: '2027-12-31',
      daysLeft: 376,
      firstUncoveredDay: '2028-01-01',
      warning: null,
    });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(metric(text, 'cityops_calendar_days_left')).toBe(376);
    expect(metric(text, 'cityops_calendar_warning')).toBe(0);
  });

  it('then the calendar API lists 2027 from the config, National Day included', async () => {
    const body = await json<CalendarAnswer>(
      await fetch(`${url}/api/v1/calendar?year=2027`, { headers: { authorization: 'Bearer viewer-token' } }),
    );
    expect(body.coverage.warning).toBeNull();
    expect(body.sources.configYears).toEqual([2027]);
    expect(body.year).toMatchObject({ year: 2027, covered: true, source: 'config_year' });
    expect(body.year.holidays.map((d) => d.date)).toContain('2027-10-01');
    expect(body.year.workdays.map((d) => d.date)).toEqual(['2027-09-26', '2027-10-09']);
  });

  it('then closing the app stops the daily check', async () => {
    expect(app.calendar.running).toBe(true);
    closed = true;
    await app.close();
    expect(app.calendar.running).toBe(false);
  });
});

describe('when the coverage watch checks on its timer', () => {
  const recorder = () => {
    const lines: { level: 'info' | 'warn' | 'error'; text: string }[] = [];
    const log: CalendarLog = {
      info: (...a: unknown[]) => void lines.push({ level: 'info', text: a.map(String).join(' ') }),
      warn: (...a: unknown[]) => void lines.push({ level: 'warn', text: a.map(String).join(' ') }),
      error: (...a: unknown[]) => void lines.push({ level: 'error', text: a.map(String).join(' ') }),
    };
    return { lines, log };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('then it warns at start, naming the first uncovered day and what to enter', () => {
    const { lines, log } = recorder();
    const watch = new CalendarWatch({ config: DEFAULT_CONFIG, now: () => NOW, log });
    watch.start();
    watch.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('warn');
    expect(lines[0]?.text).toContain(
      'holidays are known only through 2026-12-31 (11 days left); from 2027-01-01 statutory holidays count as working days',
    );
    expect(lines[0]?.text).toContain("Enter the State Council's 2027 schedule under holidays.years");
  });

  it('then a check that throws is logged and retried on the next tick, and close() stops the ticks', async () => {
    const { lines, log } = recorder();
    let calls = 0;
    const watch = new CalendarWatch({
      config: DEFAULT_CONFIG,
      now: () => {
        if (++calls === 1) throw new Error('clock unavailable');
        return NOW;
      },
      log,
      intervalMs: 200,
      retryMs: 5,
    });
    watch.start();
    expect(watch.failures).toBe(1);
    expect(lines.map((l) => l.level)).toEqual(['error']);
    expect(lines[0]?.text).toContain('working calendar check failed (retrying in 5 ms): Error: clock unavailable');
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(1), { timeout: 2000, interval: 5 });
    expect(lines.map((l) => l.level)).toEqual(['error', 'warn']); // the retry, 5 ms later, not a day later
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(2), { timeout: 2000, interval: 20 });
    expect(lines.map((l) => l.level)).toEqual(['error', 'warn', 'warn']); // the next regular tick
    watch.close();
    await sleep(300);
    expect(lines).toHaveLength(3);
  });
});

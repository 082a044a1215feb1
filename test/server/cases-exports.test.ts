/** Exports (CSV, XLSX) neutralise formula cells; scorecards follow the configured weights; the monthly report adds up. */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { scoreUnit } from '@shared/kpi/scoring';
import { caseKpis } from '@shared/kpi/rates';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import type { MonthlyReport, Scorecards } from '../../server/cases/scorecards';
import { neutralise } from '../../server/cases/exports';
import { caseEvent, received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

let server: TestServer;
const auth = { authorization: 'Bearer supervisor-token' };
const EVIL = ['=HYPERLINK("http://evil.example","x")', '+1+2', '-3+4', '@SUM(A1)', '<img src=x onerror=alert(1)>'];

beforeAll(async () => {
  server = await startTestServer(T0 + 30 * 24 * HOUR_MS);
  const t = (m: number) => T0 + m * MINUTE_MS;
  const events = EVIL.flatMap((title, i) => [
    received(`x-${i}`, { title, street: 'luonan' }),
    caseEvent('case.dispatched', `x-${i}`, t(1), { unit: i % 2 ? 'cgzf' : 'st-luonan' }),
  ]);
  events.push(
    caseEvent('case.signed', 'x-0', t(5)),
    caseEvent('case.replied', 'x-0', t(60), { reply: '已处理' }),
    caseEvent('case.called_back', 'x-0', t(70)),
    caseEvent('case.evaluated', 'x-0', t(71), { rating: 'satisfied' }),
    caseEvent('case.closed', 'x-0', t(72)),
  );
  const res = await post(server.url, { space: 'live', events });
  expect(res.json.accepted).toBe(events.length);
});

afterAll(async () => {
  await server.dispose();
});

describe('when late cases are exported', () => {
  it('then a text cell that starts a formula is neutralised', () => {
    expect(neutralise('=1+1')).toBe("'=1+1");
    expect(neutralise('@x')).toBe("'@x");
    expect(neutralise('-x')).toBe("'-x");
    expect(neutralise('+x')).toBe("'+x");
    expect(neutralise('\tx')).toBe("'\tx");
    expect(neutralise('ok=1')).toBe('ok=1');
  });

  it('then the CSV holds every case, with formula titles neutralised', async () => {
    const res = await fetch(`${server.url}/api/v1/exports/cases.csv?space=live&status=open`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const text = await res.text();
    const lines = text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toContain('案件编号');
    expect(lines).toHaveLength(1 + 4);
    for (const evil of EVIL.slice(1)) {
      const line = lines.find((l) => l.includes(evil.replaceAll('"', '""')));
      expect(line, evil).toBeDefined();
      if (/^[=+\-@]/.test(evil)) expect(line).toContain(`'${evil}`);
    }
    for (const l of lines.slice(1)) expect(l.split(',').every((c) => !/^[=+\-@]/.test(c.replace(/^"/, '')))).toBe(true);
  });

  it('then the XLSX holds strings, never formulas, with the same neutralising', async () => {
    const res = await fetch(`${server.url}/api/v1/exports/cases.xlsx?space=live&status=all`, { headers: auth });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.rowCount).toBe(1 + EVIL.length);
    const titles: string[] = [];
    ws.eachRow((row, i) => {
      if (i === 1) return;
      row.eachCell((c) => expect(c.type).not.toBe(ExcelJS.ValueType.Formula));
      titles.push(String(row.getCell(10).value));
    });
    expect(titles.sort()).toEqual(EVIL.map(neutralise).sort());
  });
});

describe('when more cases match an export than it holds', () => {
  it('then it is refused with how many it holds and how to narrow the filters, and an export at the limit is whole', async () => {
    const small = await startTestServer(T0 + 30 * 24 * HOUR_MS, undefined, undefined, { exportMaxRows: 4 });
    try {
      const events = [1, 2, 3, 4, 5].map((i) => received(`m-${i}`, { street: 'luonan' }));
      events.push(caseEvent('case.merged', 'm-5', T0 + MINUTE_MS, { masterCaseId: 'm-1' }));
      expect((await post(small.url, { space: 'live', events }, 'admin-token')).json.accepted).toBe(events.length);
      const all = await fetch(`${small.url}/api/v1/exports/cases.csv?space=live&status=all`, { headers: auth });
      expect(all.status).toBe(400);
      const message = ((await all.json()) as { error: { message: string } }).error.message;
      expect(message).toContain('more than 4 cases match these filters');
      expect(message).toContain('narrow them');
      const open = await fetch(`${small.url}/api/v1/exports/cases.csv?space=live&status=open`, { headers: auth });
      expect(open.status).toBe(200);
      expect((await open.text()).trim().split('\r\n')).toHaveLength(1 + 4);
    } finally {
      await small.dispose();
    }
  });
});

describe('when units are scored for a month', () => {
  it('then each unit scores by the configured weights over its cases, ranked', async () => {
    const res = await fetch(`${server.url}/api/v1/units?space=live&month=2026-11`, { headers: auth });
    const cards = (await res.json()) as Scorecards;
    expect(cards.indicators.map((i) => i.weight)).toEqual(DEFAULT_CONFIG.scoring.map((i) => i.weight));
    const luonan = cards.units.find((u) => u.id === 'st-luonan')!;
    expect(luonan.kpis.counts).toMatchObject({
      received: 3,
      dispatched: 3,
      signed: 1,
      replied: 1,
      evaluated: 1,
      satisfied: 1,
    });
    expect(luonan.total).toBeCloseTo(
      scoreUnit(DEFAULT_CONFIG.scoring, caseKpis(luonan.kpis.counts) as unknown as Record<string, number | null>).total,
      6,
    );
    expect(cards.units.map((u) => u.rank)).toEqual([...cards.units.map((u) => u.rank)].sort((a, b) => a - b));
    expect(cards.units).toHaveLength(DEFAULT_CONFIG.units.length);
  });

  it('then a unit with nothing but dispatches is 数据不足, ranked after the scored units, in the API and the CSV export', async () => {
    const cards = (await (
      await fetch(`${server.url}/api/v1/units?space=live&month=2026-11`, { headers: auth })
    ).json()) as Scorecards;
    const cgzf = cards.units.find((u) => u.id === 'cgzf')!;
    expect(cgzf.kpis.counts).toMatchObject({ dispatched: 2, signed: 0, replied: 0 });
    expect(cgzf).toMatchObject({ insufficient: true, total: 0 });
    expect(cgzf.scorecard.judgedWeight).toBe(10);
    const luonan = cards.units.find((u) => u.id === 'st-luonan')!;
    expect(luonan).toMatchObject({ insufficient: false, rank: 1 });
    expect(luonan.total).toBeCloseTo(100, 6);
    expect(cgzf.rank).toBeGreaterThan(Math.max(...cards.units.filter((u) => !u.insufficient).map((u) => u.rank)));
    expect(cards.minJudgedShare).toBe(0.5);
    const csv = (
      await (await fetch(`${server.url}/api/v1/exports/units.csv?space=live&month=2026-11`, { headers: auth })).text()
    )
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(csv[0]?.endsWith(',计分说明')).toBe(true);
    const row = csv.find((l) => l.includes('区城管执法局'))!;
    expect(row).toContain(',数据不足,');
    expect(row).toContain('数据不足：可考核指标权重 10/100（10%），低于 50%，不计分、排在最后');
  });

  it('then an exempt case leaves the scoring', async () => {
    const act = await fetch(`${server.url}/api/v1/cases/x-2/actions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ space: 'live', kind: 'exempt', reason: '系统故障' }),
    });
    expect(act.status).toBe(201);
    const cards = (await (
      await fetch(`${server.url}/api/v1/units?space=live&month=2026-11`, { headers: auth })
    ).json()) as Scorecards;
    expect(cards.units.find((u) => u.id === 'st-luonan')!.kpis.counts.received).toBe(2);
  });

  it('then the monthly report adds the month up by channel, category and unit', async () => {
    const r = (await (
      await fetch(`${server.url}/api/v1/reports/monthly?space=live&month=2026-11`, { headers: auth })
    ).json()) as MonthlyReport;
    expect(r.totals.received).toBe(EVIL.length);
    expect(r.byChannel).toEqual([{ channel: 'hotline', n: EVIL.length }]);
    expect(r.totals.closed).toBe(1);
    expect(r.totals.exempt).toBe(1);
    expect(r.topIssues[0]).toMatchObject({ category: '市容环卫', street: 'luonan', n: EVIL.length });
    const bad = await fetch(`${server.url}/api/v1/reports/monthly?space=live&month=2026-13`, { headers: auth });
    expect(bad.status).toBe(400);
  });
});

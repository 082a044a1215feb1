/**
 * The monthly report's duty figures on a hand-built month: 接报及时率, median time to acknowledge, 信息报送及时率,
 * items raised / acknowledged / late and the handovers submitted / signed / signed late, for the month and for each
 * shift of the roster — read back from the read model long after the projection let the items go, and after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonthlyReport } from '@shared/cases/reports';
import type { DutyReportRow } from '@shared/duty/report';
import type { DomainEventInput, HandoverDraft } from '@shared/events';
import { addDays, DAY_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { post, startTestServer, type TestServer } from '../../harness/server';
import { dayNightRoster } from '../fixtures/events';
import { NO_DUTY_FIGURES } from '../fixtures/projection';

const M = MINUTE_MS;
const at = (date: string, hhmm: string) => shanghaiInstant(date, hhmm);
const auth = { authorization: 'Bearer supervisor-token' };

let n = 0;
const ev = (e: Record<string, unknown>): DomainEventInput => ({ eventId: `md-${++n}`, ...e }) as DomainEventInput;

/** An item that began at `since`, acknowledged / reported by phone / in writing so many minutes later (null: never). */
function item(
  id: string,
  kind: 'case' | 'post_empty',
  since: number,
  ack: number | null,
  phone: number | null = null,
  written: number | null = null,
  resolved: number | null = null,
): DomainEventInput[] {
  const out = [ev({ type: 'item.opened', ts: since, itemId: id, kind, level: 'bad', text: id, since })];
  const by = { by: '李娜' };
  if (ack !== null) out.push(ev({ type: 'item.acknowledged', ts: since + ack * M, itemId: id, ...by }));
  if (phone !== null) out.push(ev({ type: 'item.reported', ts: since + phone * M, itemId: id, mode: 'phone', ...by }));
  if (written !== null)
    out.push(ev({ type: 'item.reported', ts: since + written * M, itemId: id, mode: 'written', ...by }));
  if (resolved !== null)
    out.push(ev({ type: 'item.resolved', ts: since + resolved * M, itemId: id, note: '已处置', ...by }));
  return out;
}

/** The record of a shift of the two-shift roster, as submitted (its lists empty: the figures read its times only). */
function record(date: string, shiftId: 'day' | 'night', drafted: number): HandoverDraft {
  const day = shiftId === 'day';
  const start = at(date, day ? '08:30' : '17:30');
  const end = day ? at(date, '17:30') : at(date, '08:30') + DAY_MS;
  const next = day
    ? { date, shiftId: 'night', name: '夜班', start: '17:30' }
    : { date: addDays(date, 1), shiftId: 'day', name: '白班', start: '08:30' };
  return {
    handoverId: `${date}|${shiftId}`,
    date,
    shiftId,
    shiftName: day ? '白班' : '夜班',
    start,
    end,
    next,
    at: drafted,
    open: [],
    openTotal: 0,
    handled: [],
    handledTotal: 0,
    lateUrgent: [],
    linksDown: [],
    figures: { calls: 0, answered: 0, answerRate: null, cases: 0, overdue: 0 },
    duty: NO_DUTY_FIGURES,
  };
}

function handover(date: string, shiftId: 'day' | 'night', submit: number, sign: number | null): DomainEventInput[] {
  const id = `${date}|${shiftId}`;
  const out = [
    ev({
      type: 'handover.submitted',
      ts: submit,
      handoverId: id,
      by: '李娜',
      note: '',
      record: record(date, shiftId, submit),
    }),
  ];
  if (sign !== null) out.push(ev({ type: 'handover.signed', ts: sign, handoverId: id, by: '王强' }));
  return out;
}

/**
 * September 2026 on a two-shift roster (白班 08:30–17:30, 夜班 17:30–08:30), limits of a case: acknowledge within 5
 * minutes, report by phone within 30, in writing within 60; of an empty post: acknowledge within 10.
 */
const EVENTS: DomainEventInput[] = [
  dayNightRoster('2026-09-22', at('2026-09-22', '00:00'), 'md-r22'),
  dayNightRoster('2026-09-23', at('2026-09-22', '00:00'), 'md-r23'),
  dayNightRoster('2026-09-24', at('2026-09-22', '00:00'), 'md-r24'),
  // The previous month: not September's.
  ...item('F', 'case', at('2026-08-31', '23:00'), 1, 2, 3, 30),
  // 白班 11-23: all in time; acknowledged in time but reported late (the written report never); an empty post seen late.
  ...item('A', 'case', at('2026-09-23', '09:00'), 2, 10, 50, 90),
  ...item('B', 'case', at('2026-09-23', '10:00'), 4, 40),
  ...item('C', 'post_empty', at('2026-09-23', '11:00'), 15, null, null, 60),
  // 夜班 11-23: never acknowledged (every limit missed); acknowledged and phoned in time, written late.
  ...item('D', 'case', at('2026-09-23', '20:00'), null),
  ...item('E', 'case', at('2026-09-23', '23:00'), 1, 5, 70, 120),
  // Shift changes: 11-22 白→夜 signed in time; 11-23 夜→白 signed late (after 09:00); 11-23 白→夜 submitted, never
  // signed; 11-24 夜→白 never submitted; 11-24 白→夜 signed in time. 11-24 夜 has no next shift on the roster.
  ...handover('2026-09-22', 'day', at('2026-09-22', '17:35'), at('2026-09-22', '17:50')),
  ...handover('2026-09-22', 'night', at('2026-09-23', '08:40'), at('2026-09-23', '09:10')),
  ...handover('2026-09-23', 'day', at('2026-09-23', '17:32'), null),
  ...handover('2026-09-24', 'day', at('2026-09-24', '17:31'), at('2026-09-24', '17:45')),
].sort((a, b) => a.ts - b.ts);

const row = (over: Partial<DutyReportRow>): DutyReportRow => ({
  ...NO_DUTY_FIGURES,
  acknowledged: 0,
  ackLate: 0,
  handovers: { changes: 0, submitted: 0, signed: 0, signedLate: 0, unsignedLate: 0 },
  ...over,
});

/** What September must read: every value follows from the events above. */
const SEPTEMBER = {
  month: row({
    items: 5,
    ackJudged: 5,
    ackOnTime: 3,
    ackTimely: 3 / 5,
    // Acknowledged after 1, 2, 4 and 15 minutes.
    medianAckMin: 3,
    // A 2 of 2, B 0 of 2, D 0 of 2, E 1 of 2 (the empty post has no report limit).
    reportJudged: 8,
    reportOnTime: 3,
    reportTimely: 3 / 8,
    acknowledged: 4,
    ackLate: 2,
    handovers: { changes: 5, submitted: 4, signed: 3, signedLate: 1, unsignedLate: 2 },
  }),
  shifts: [
    {
      shiftId: 'day',
      name: '白班',
      ...row({
        items: 3,
        ackJudged: 3,
        ackOnTime: 2,
        ackTimely: 2 / 3,
        medianAckMin: 4,
        reportJudged: 4,
        reportOnTime: 2,
        reportTimely: 0.5,
        acknowledged: 3,
        ackLate: 1,
        handovers: { changes: 3, submitted: 3, signed: 2, signedLate: 0, unsignedLate: 1 },
      }),
    },
    {
      shiftId: 'night',
      name: '夜班',
      ...row({
        items: 2,
        ackJudged: 2,
        ackOnTime: 1,
        ackTimely: 0.5,
        medianAckMin: 1,
        reportJudged: 4,
        reportOnTime: 1,
        reportTimely: 0.25,
        acknowledged: 1,
        ackLate: 1,
        handovers: { changes: 2, submitted: 1, signed: 1, signedLate: 1, unsignedLate: 1 },
      }),
    },
  ],
};

let server: TestServer;

async function report(month: string): Promise<MonthlyReport> {
  const res = await fetch(`${server.url}/api/v1/reports/monthly?space=live&month=${month}`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as MonthlyReport;
}

beforeAll(async () => {
  // Read at the end of October: the projection has let September's resolved items go (kept 32 days).
  server = await startTestServer(at('2026-10-28', '10:00'));
  // The desk's acts of a month, brought in whole (an admin's token: a producer's feed may not make them in live).
  const res = await post(server.url, { space: 'live', events: EVENTS }, 'admin-token');
  expect(res.json).toMatchObject({ accepted: EVENTS.length, quarantined: [] });
  await server.app.monitor.pass();
  const items = server.app.spaces.get('live').projection.items;
  expect(['A', 'B', 'C', 'D', 'E', 'F'].filter((id) => items.has(id))).toEqual(['B', 'D']);
});

afterAll(async () => {
  await server?.dispose();
});

describe('when the monthly report of a month with duty items and handovers is read', () => {
  it("then its duty figures are those of the month and of each shift, by the desk's formula", async () => {
    expect((await report('2026-09')).duty).toEqual(SEPTEMBER);
  });

  it('then an item counts in the month its condition began in', async () => {
    const aug = (await report('2026-08')).duty;
    expect(aug.month).toMatchObject({ items: 1, ackOnTime: 1, acknowledged: 1, medianAckMin: 1, reportOnTime: 2 });
    expect((await report('2026-10')).duty).toEqual({ month: row({}), shifts: [] });
  });

  it('then a restarted server reads the same figures from its read model', async () => {
    server = await server.restart();
    expect((await report('2026-09')).duty).toEqual(SEPTEMBER);
  });
});

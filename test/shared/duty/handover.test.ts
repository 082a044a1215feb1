/**
 * The 交接班 record on the pure reducers: what the desk drafts at a shift change (open items, items handled with their
 * times, late urgent cases, links down, calls and cases of the shift, its duty figures), submit and sign refused with a
 * reason when they do not fit, and an unsigned record past its limit opening a duty item on the monitor's clock.
 */
import { describe, expect, it } from 'vitest';
import { draftHandover } from '@shared/duty/handover';
import { decideSign, decideSubmit } from '@shared/duty/handoverActions';
import { dutyItemEvents } from '@shared/duty/monitor';
import type { DomainEventInput } from '@shared/events';
import type { SpaceProjection } from '@shared/projection/state';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { dayNightRoster, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const DATE = '2026-11-23';
const at = (hhmm: string, date = DATE) => shanghaiInstant(date, hhmm);
const M = MINUTE_MS;
const ROSTER = dayNightRoster(DATE, at('00:00'));
const item = (id: string, caseId: string, since: number, text: string): DomainEventInput => ({
  type: 'item.opened',
  eventId: `open-${id}`,
  ts: since,
  itemId: id,
  kind: 'case',
  level: 'bad',
  text,
  caseId,
  since,
});
const step = (type: string, id: string, ts: number, extra: Record<string, unknown> = {}): DomainEventInput =>
  ({ type, eventId: `${type}-${id}-${ts}`, ts, itemId: id, by: '李娜', ...extra }) as DomainEventInput;
const call = (n: number, ts: number, answered: boolean): DomainEventInput[] => [
  { type: 'call.offered', eventId: `c${n}`, ts, callId: `call-${n}` },
  ...(answered
    ? [
        {
          type: 'call.answered',
          eventId: `a${n}`,
          ts: ts + 5_000,
          callId: `call-${n}`,
          agentId: 'A1',
        } as DomainEventInput,
      ]
    : []),
];

/**
 * Given a day shift: an urgent case at 09:00 acknowledged in 3 minutes, reported by phone at 20 and in writing at 70
 * (late), resolved at 10:20; a mass case at 10:00 acknowledged in 8 minutes (late) and still open; an urgent case whose
 * sign-for clock is overdue; the city platform link down; five calls, one before the shift, three of the shift's four answered.
 */
function dayShift(): SpaceProjection {
  const p = newProjection();
  const u1 = at('09:00');
  const g1 = at('10:00');
  const events: DomainEventInput[] = [
    ROSTER,
    ...call(1, at('08:20'), true), // before the shift: not its call
    ...call(2, at('09:10'), true),
    ...call(3, at('11:00'), true),
    ...call(4, at('12:00'), false),
    ...call(5, at('16:00'), true),
    received('u1', { ts: u1, urgency: 'urgent', title: '燃气管道破裂' }),
    received('g1', { ts: g1, flags: ['mass'], title: '小区停水' }),
    received('u2', { ts: at('11:30'), urgency: 'urgent', title: '路面塌陷' }),
    item('case|u1', 'u1', u1, '紧急 燃气管道破裂'),
    item('case|g1', 'g1', g1, '群体 小区停水'),
    step('item.acknowledged', 'case|u1', u1 + 3 * M),
    step('item.reported', 'case|u1', u1 + 20 * M, { mode: 'phone' }),
    step('item.reported', 'case|u1', u1 + 70 * M, { mode: 'written' }),
    step('item.resolved', 'case|u1', u1 + 80 * M, { note: '已关阀抢修' }),
    step('item.acknowledged', 'case|g1', g1 + 8 * M),
    {
      type: 'alert.raised',
      eventId: 'od-u2',
      ts: at('12:00'),
      alertId: 'overdue|u2|sign',
      kind: 'overdue',
      level: 'bad',
      since: at('12:00'),
      text: '签收超期 路面塌陷',
      caseId: 'u2',
      clock: 'sign',
    },
    {
      type: 'alert.raised',
      eventId: 'ld-1',
      ts: at('13:00'),
      alertId: 'link_down|city_platform|1',
      kind: 'link_down',
      level: 'bad',
      since: at('13:00'),
      text: '市平台链路中断',
      link: 'city_platform',
    },
  ];
  expect(foldAll(p, events)).toEqual([]);
  return p;
}

describe('when the desk drafts the handover ten minutes before the day shift ends', () => {
  it("then the record lists the open item, the items handled with their times, the late urgent case, the link down and the shift's figures", () => {
    const d = draftHandover(dayShift(), at('17:20'))!;
    expect(d).toMatchObject({
      handoverId: `${DATE}|day`,
      shiftName: '白班',
      start: at('08:30'),
      end: at('17:30'),
      next: { date: DATE, shiftId: 'night', name: '夜班', start: '17:30' },
      at: at('17:20'),
    });
    expect(d.open.map((e) => [e.itemId, e.ack])).toEqual([['case|g1', { at: at('10:08'), by: '李娜' }]]);
    expect(d.openTotal).toBe(1);
    expect(d.handled.map((e) => [e.itemId, e.ack?.at, e.firstReport?.at, e.writtenReport?.at, e.resolved?.at])).toEqual(
      [
        ['case|g1', at('10:08'), undefined, undefined, undefined],
        ['case|u1', at('09:03'), at('09:20'), at('10:10'), at('10:20')],
      ],
    );
    expect(d.lateUrgent).toEqual([{ caseId: 'u2', text: '路面塌陷', since: at('11:30'), overdueSince: at('12:00') }]);
    expect(d.linksDown).toEqual([{ link: 'city_platform', since: at('13:00') }]);
    // Four calls offered in the shift (the 08:20 call was the night's), three answered; three cases received.
    expect(d.figures).toEqual({ calls: 4, answered: 3, answerRate: 0.75, cases: 3, overdue: 1 });
    // u1 acknowledged in 3 min (met), g1 in 8 (late): 1 of 2, median 5.5 min. Reports: u1's phone met, written late;
    // g1's phone and written past due unreported: 1 of 4.
    expect(d.duty).toEqual({
      items: 2,
      ackJudged: 2,
      ackOnTime: 1,
      ackTimely: 0.5,
      medianAckMin: 5.5,
      reportJudged: 4,
      reportOnTime: 1,
      reportTimely: 0.25,
    });
  });

  it("then after the shift change, with the record not yet submitted, the desk still drafts the day shift's; once submitted, the night's", () => {
    const p = dayShift();
    expect(draftHandover(p, at('17:40'))?.handoverId).toBe(`${DATE}|day`);
    const d = decideSubmit(
      p,
      { space: 'live', handoverId: `${DATE}|day`, note: '燃气抢修已完成，停水待复' },
      'sub-1',
      at('17:40'),
      '李娜',
    );
    expect(d.ok).toBe(true);
    expect(foldAll(p, [d.ok ? d.event : ROSTER])).toEqual([]);
    expect(draftHandover(p, at('17:41'))?.handoverId).toBe(`${DATE}|night`);
    // The wall's handover line reads the night shift as handed over.
    expect(p.handovers.get(`${DATE}|night`)).toEqual({
      at: at('17:40'),
      note: '燃气抢修已完成，停水待复',
      by: '李娜',
      fromShiftId: 'day',
    });
  });
});

describe('when a handover is signed before it is submitted, submitted twice, or signed by the one who submitted it', () => {
  it("then each is refused with the reason, and the incoming officer's signature is accepted once", () => {
    const p = dayShift();
    const id = `${DATE}|day`;
    expect(decideSign(p, id, { space: 'live' }, 'sign-0', at('17:25'), '王强')).toEqual({
      ok: false,
      notFound: false,
      reason: `handover ${id} has not been submitted: the outgoing officer submits it before the incoming one signs it`,
    });
    const first = decideSubmit(p, { space: 'live', handoverId: id, note: '' }, 'sub-1', at('17:25'), '李娜');
    if (!first.ok) throw new Error(first.reason);
    expect(foldAll(p, [first.event])).toEqual([]);
    expect(decideSubmit(p, { space: 'live', handoverId: id, note: 'again' }, 'sub-2', at('17:26'), '李娜')).toEqual({
      ok: false,
      notFound: false,
      reason: `handover ${id} was already submitted by 李娜 at ${DATE} 17:25`,
    });
    // The same submission written twice (two desks at once) is refused by the fold with the same reason.
    expect(foldAll(p, [{ ...first.event, eventId: 'sub-3' }])).toEqual([
      `handover ${id} was already submitted by 李娜 at ${DATE} 17:25`,
    ]);
    expect(decideSign(p, id, { space: 'live' }, 'sign-1', at('17:27'), '李娜')).toMatchObject({
      ok: false,
      reason: `handover ${id} was submitted by 李娜: the incoming officer signs it, not the one handing over`,
    });
    const sign = decideSign(p, id, { space: 'live', note: '已接班' }, 'sign-2', at('17:31'), '王强');
    if (!sign.ok) throw new Error(sign.reason);
    expect(foldAll(p, [sign.event])).toEqual([]);
    expect(p.handoverRecords.get(id)?.signed).toEqual({ at: at('17:31'), by: '王强', note: '已接班' });
    expect(decideSign(p, id, { space: 'live' }, 'sign-3', at('17:32'), '赵敏')).toMatchObject({
      ok: false,
      reason: `handover ${id} was already signed by 王强 at ${DATE} 17:31`,
    });
  });

  it('then a submission of a shift the desk no longer drafts, or with no roster at all, is refused', () => {
    const p = dayShift();
    expect(decideSubmit(p, { space: 'live', handoverId: `${DATE}|night`, note: '' }, 's', at('12:00'), '李娜')).toEqual(
      {
        ok: false,
        notFound: false,
        reason: `the desk now drafts handover ${DATE}|day (白班), not ${DATE}|night: reload the draft`,
      },
    );
    expect(
      decideSubmit(newProjection(), { space: 'live', handoverId: 'x', note: '' }, 's', at('12:00'), '李娜'),
    ).toEqual({
      ok: false,
      notFound: true,
      reason: 'no shift on the roster has ended or is on now: there is nothing to hand over',
    });
  });
});

describe("when nobody signs the day shift's handover", () => {
  const handoverItems = (p: SpaceProjection, now: number) =>
    dutyItemEvents(p, now, 100).filter((e) => e.type === 'item.opened' && e.kind === 'handover');

  it('then 30 minutes after the shift change the monitor opens a duty item, once, saying whether it was submitted', () => {
    const p = dayShift();
    expect(handoverItems(p, at('17:59'))).toEqual([]);
    const opened = handoverItems(p, at('18:00'));
    expect(opened).toEqual([
      {
        type: 'item.opened',
        eventId: `item|handover|${DATE}|day`,
        ts: at('18:00'),
        level: 'bad',
        itemId: `handover|${DATE}|day`,
        kind: 'handover',
        text: '交接班未提交：白班 → 夜班',
        since: at('18:00'),
      },
    ]);
    expect(foldAll(p, opened)).toEqual([]);
    expect(handoverItems(p, at('18:05'))).toEqual([]);
  });

  it('then a record submitted but unsigned opens it too, and a signed one does not', () => {
    const p = dayShift();
    const sub = decideSubmit(p, { space: 'live', handoverId: `${DATE}|day`, note: '' }, 'sub', at('17:25'), '李娜');
    if (!sub.ok) throw new Error(sub.reason);
    foldAll(p, [sub.event]);
    expect(handoverItems(p, at('18:01')).map((e) => (e.type === 'item.opened' ? e.text : null))).toEqual([
      '交接班已提交（李娜）未签收：白班 → 夜班',
    ]);
    const sign = decideSign(p, `${DATE}|day`, { space: 'live' }, 'sign', at('17:50'), '王强');
    if (!sign.ok) throw new Error(sign.reason);
    foldAll(p, [sign.event]);
    expect(handoverItems(p, at('18:01'))).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { buildWallView } from '@shared/projection/view';
import { applyWallDelta, diffWallViews } from '@shared/wall/delta';
import { addDays, DAY_MS, HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { sweep } from '@shared/projection/retention';
import { DEFAULT_SLA_RULES, limitFor } from '@shared/sla/rules';
import type { DomainEventInput } from '@shared/events';
import { T0, caseEvent, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';
import { timedAlertEvents } from '@shared/projection/monitor';
import type { AlertEvent } from '@shared/events/alert';
import type { SpaceProjection } from '@shared/projection/state';

/** One monitor pass at `now`, folded as the server folds it; returns the events it wrote. */
function monitorAt(p: SpaceProjection, now: number): AlertEvent[] {
  const events = timedAlertEvents(p, now);
  expect(foldAll(p, events)).toEqual([]);
  return events;
}

const meta = { spaceKind: 'live' as const, clockRate: 1 };
const at = (m: number) => T0 + m * MINUTE_MS;

function call(id: string, offered: number, answerAfterSec: number | null, agentId = 'A1'): DomainEventInput[] {
  const out: DomainEventInput[] = [{ type: 'call.offered', eventId: `${id}-o`, ts: offered, callId: id }];
  if (answerAfterSec === null)
    return [...out, { type: 'call.abandoned', eventId: `${id}-x`, ts: offered + 30_000, callId: id }];
  const ans = offered + answerAfterSec * 1000;
  return [
    ...out,
    { type: 'call.answered', eventId: `${id}-a`, ts: ans, callId: id, agentId },
    { type: 'call.ended', eventId: `${id}-e`, ts: ans + 180_000, callId: id },
    { type: 'call.wrapup_done', eventId: `${id}-w`, ts: ans + 240_000, callId: id, agentId },
  ];
}

describe('when calls are folded', () => {
  it('then answer rate, 15 s service level, ASA and AHT are the hand-computed values', () => {
    const p = newProjection();
    // 4 offered: answered after 5 s, 10 s, 40 s; one abandoned. AHT = 180 s talk + 60 s wrap.
    expect(
      foldAll(p, [
        ...call('k1', at(0), 5),
        ...call('k2', at(10), 10),
        ...call('k3', at(20), 40),
        ...call('k4', at(30), null),
      ]),
    ).toEqual([]);
    const h = buildWallView(p, at(60), meta).hotline;
    expect(h).toMatchObject({ offered: 4, answered: 3, abandoned: 1, answeredWithin15s: 2, waiting: 0 });
    expect(h.answerRate).toBeCloseTo(0.75, 10);
    expect(h.serviceLevel15).toBeCloseTo(0.5, 10);
    expect(h.asaSec).toBeCloseTo(55 / 3, 10);
    expect(h.ahtSec).toBeCloseTo(240, 10);
  });

  it('then a waiting call shows in the queue with its wait', () => {
    const p = newProjection();
    foldAll(p, [{ type: 'call.offered', eventId: 'w1', ts: at(0), callId: 'w1' }]);
    const h = buildWallView(p, at(0) + 42_000, meta).hotline;
    expect(h.waiting).toBe(1);
    expect(h.longestWaitSec).toBe(42);
  });

  it('then answering an unknown call is refused', () => {
    const p = newProjection();
    expect(
      foldAll(p, [{ type: 'call.answered', eventId: 'n1', ts: at(0), callId: 'nope', agentId: 'A1' }])[0],
    ).toContain('call nope is not offered');
  });
});

describe('when cases fall late', () => {
  it('then overdue and at-risk counts follow the clocks, and a newly overdue case raises one alert', () => {
    const p = newProjection();
    foldAll(p, [
      received('a'),
      caseEvent('case.dispatched', 'a', at(0), { unit: 'cgzf' }),
      received('b', { street: 'luonan' }),
      caseEvent('case.dispatched', 'b', at(60), { unit: 'cgzf' }),
    ]);
    // sign-for limit 2 working hours: a is due 11:00, b 12:00 (Monday).
    expect(monitorAt(p, at(1))).toEqual([]);
    const risk = buildWallView(p, at(95), meta).overdue; // a: 95/120 used → at risk; b: 35/120
    expect(risk.atRisk.sign).toBe(1);
    expect(risk.overdue.total).toBe(0);
    const late = buildWallView(p, at(125), meta);
    expect(late.overdue.overdue).toMatchObject({ sign: 1, total: 1 });
    expect(late.overdue.byStreet.guanshan).toEqual({ open: 1, overdue: 1 });
    expect(late.overdue.topUnits).toEqual([{ unit: 'cgzf', overdue: 1 }]);
    // Building views raised nothing: the monitor does, stamped when the clocks turned, not when it looked.
    expect(late.alerts).toEqual([]);
    expect(
      monitorAt(p, at(125)).map((e) => (e.type === 'alert.raised' ? [e.kind, e.caseId, e.since] : [e.type])),
    ).toEqual([['overdue', 'a', at(120)]]);
    expect(monitorAt(p, at(126))).toEqual([]);
    const v = buildWallView(p, at(126), meta);
    expect(v.alerts.filter((a) => a.kind === 'overdue').map((a) => [a.caseId, a.at])).toEqual([['a', at(120)]]);
    expect(buildWallView(p, at(126), meta)).toEqual(v);
    // b turns at risk at 75% of its two hours; signing it stops its clock: the warning is cleared and leaves the ticker.
    expect(
      monitorAt(p, at(155)).map((e) => (e.type === 'alert.raised' ? [e.kind, e.caseId, e.since] : [e.type])),
    ).toEqual([['at_risk', 'b', at(150)]]);
    expect(buildWallView(p, at(155), meta).alerts.map((a) => a.caseId)).toEqual(['b', 'a']);
    foldAll(p, [caseEvent('case.signed', 'b', at(156))]);
    expect(monitorAt(p, at(157)).map((e) => e.type)).toEqual(['alert.cleared']);
    expect(buildWallView(p, at(157), meta).alerts.map((a) => a.caseId)).toEqual(['a']);
    // a is signed at 158; the monitor notices at 200, and the ticker says it recovered at 158.
    foldAll(p, [caseEvent('case.signed', 'a', at(158))]);
    expect(monitorAt(p, at(200)).map((e) => [e.type, e.ts])).toEqual([['alert.cleared', at(158)]]);
    expect(buildWallView(p, at(200), meta).alerts.map((a) => [a.caseId, a.at, a.clearedAt])).toEqual([
      ['a', at(120), at(158)],
    ]);
  });

  it('then an alert the monitor writes late takes its place on the ticker by the time it happened', () => {
    const p = newProjection();
    foldAll(p, [
      received('a'),
      caseEvent('case.dispatched', 'a', at(0), { unit: 'cgzf' }),
      received('u', { ts: at(130), urgency: 'urgent' }),
    ]);
    monitorAt(p, at(140));
    expect(buildWallView(p, at(140), meta).alerts.map((a) => [a.kind, a.caseId, a.at])).toEqual([
      ['urgent', 'u', at(130)],
      ['overdue', 'a', at(120)],
    ]);
  });
});

describe('when a day of KPIs is folded', () => {
  it('then satisfaction, on-time and callback rates are the hand-computed fractions', () => {
    const p = newProjection();
    const life = (id: string, rating: string, replyMin: number) => [
      received(id),
      caseEvent('case.dispatched', id, at(1), { unit: 'cgzf' }),
      caseEvent('case.signed', id, at(10)),
      caseEvent('case.replied', id, at(replyMin)),
      caseEvent('case.called_back', id, at(replyMin + 1)),
      caseEvent('case.evaluated', id, at(replyMin + 2), { rating }),
    ];
    expect(
      foldAll(p, [
        ...life('s1', 'satisfied', 30),
        ...life('s2', 'basically_satisfied', 40),
        ...life('s3', 'unsatisfied', 50),
        ...life('s4', 'satisfied', 60),
      ]),
    ).toEqual([]);
    const v = buildWallView(p, at(120), meta);
    expect(v.kpi.satisfaction).toBeCloseTo(0.75, 10);
    expect(v.kpi.onTimeRate).toBe(1);
    expect(v.kpi.callbackRate).toBe(1);
    expect(v.kpi.dispatchRate).toBe(1);
    expect(v.caseFlow).toMatchObject({ received: 4, dispatched: 4, signed: 4, replied: 4, calledBack: 4, closed: 0 });
  });
});

describe('when a duty roster is on', () => {
  const date = '2026-11-23';
  const roster: DomainEventInput = {
    type: 'duty.roster',
    eventId: 'r1',
    ts: shanghaiInstant(date, '00:00'),
    date,
    shifts: [
      {
        id: 'day',
        name: '白班',
        start: '08:30',
        end: '17:30',
        agentsRostered: 20,
        posts: [
          { post: 'duty_leader', personId: 'L1', name: '张伟' },
          { post: 'duty_officer', personId: 'O1', name: '李娜' },
        ],
      },
      {
        id: 'eve',
        name: '晚班',
        start: '17:30',
        end: '00:30',
        agentsRostered: 10,
        posts: [{ post: 'duty_leader', personId: 'L2', name: '王强' }],
      },
    ],
  };

  it('then the header and posts show who checked in, an empty post is red and raises an alert after the grace time', () => {
    const p = newProjection();
    foldAll(p, [
      roster,
      {
        type: 'duty.checked_in',
        eventId: 'c1',
        ts: shanghaiInstant(date, '08:25'),
        date,
        shiftId: 'day',
        post: 'duty_leader',
        personId: 'L1',
        name: '张伟',
      },
    ]);
    expect(monitorAt(p, shanghaiInstant(date, '08:35'))).toEqual([]);
    expect(
      monitorAt(p, shanghaiInstant(date, '09:00')).map((e) =>
        e.type === 'alert.raised' ? [e.kind, e.post, e.since] : [e.type],
      ),
    ).toEqual([['post_empty', 'duty_officer', shanghaiInstant(date, '08:45')]]);
    const v = buildWallView(p, shanghaiInstant(date, '09:00'), meta);
    expect(v.header).toEqual({ dutyLeader: '张伟', dutyOfficer: null, shiftName: '白班' });
    expect(v.duty.posts.map((x) => x.status)).toEqual(['held', 'empty']);
    expect(v.duty.next?.id).toBe('eve');
    expect(v.duty.handover.late).toBe(true);
    expect(v.alerts.filter((a) => a.kind === 'post_empty').map((a) => a.at)).toEqual([shanghaiInstant(date, '08:45')]);
    // The officer arrives at 09:30: the alert stays on the ticker with its recovery time — the check-in's, not the
    // minute the monitor noticed it.
    foldAll(p, [
      {
        type: 'duty.checked_in',
        eventId: 'c2',
        ts: shanghaiInstant(date, '09:30'),
        date,
        shiftId: 'day',
        post: 'duty_officer',
        personId: 'O1',
        name: '李娜',
      },
    ]);
    expect(monitorAt(p, shanghaiInstant(date, '09:31')).map((e) => e.type)).toEqual(['alert.cleared']);
    expect(buildWallView(p, shanghaiInstant(date, '09:31'), meta).alerts.map((a) => [a.kind, a.clearedAt])).toEqual([
      ['post_empty', shanghaiInstant(date, '09:30')],
    ]);
  });

  it("then rosters published more than a week ahead keep today's, and the sweep drops only dates left behind", () => {
    const p = newProjection();
    // The rostering system publishes yesterday to eight days ahead, the day before.
    const dates = Array.from({ length: 10 }, (_, i) => addDays(date, i - 1));
    foldAll(
      p,
      dates.map((d, i) => ({ ...roster, eventId: `r${i}`, ts: shanghaiInstant(addDays(date, -1), '10:00'), date: d })),
    );
    expect([...p.rosters.keys()].sort()).toEqual(dates);
    const nine = shanghaiInstant(date, '09:00');
    expect(buildWallView(p, nine, meta).duty.shift?.id).toBe('day');
    expect(monitorAt(p, nine).map((e) => (e.type === 'alert.raised' ? e.post : e.type))).toEqual([
      'duty_leader',
      'duty_officer',
    ]);
    // Nine days on, the dates more than eight days old are gone, the rest stay.
    sweep(p, shanghaiInstant(addDays(date, 9), '12:00'));
    expect([...p.rosters.keys()].sort()).toEqual(dates.filter((d) => d >= addDays(date, 1)));
  });

  it('then an empty post is recovered when its shift ends (not when the monitor next looks), and a check-in to another shift does not count', () => {
    const p = newProjection();
    expect(foldAll(p, [roster, { ...roster, eventId: 'r2', date: addDays(date, 1) }])).toEqual([]);
    expect(monitorAt(p, shanghaiInstant(date, '09:00')).map((e) => e.type)).toEqual(['alert.raised', 'alert.raised']);
    // The next day's officer checks in early to the next day's day shift: not this shift's post.
    const refused = foldAll(p, [
      {
        type: 'duty.checked_in',
        eventId: 'c-next',
        ts: shanghaiInstant(date, '16:00'),
        date: addDays(date, 1),
        shiftId: 'day',
        post: 'duty_officer',
        personId: 'O9',
        name: '赵敏',
      },
    ]);
    expect(refused).toEqual([]);
    // The server was down from 16:00 to 23:00: the day shift's alerts end at 17:30, when the shift ended; the evening
    // shift's empty leader post is raised from its own grace end.
    const late = monitorAt(p, shanghaiInstant(date, '23:00'));
    expect(late.filter((e) => e.type === 'alert.cleared').map((e) => e.ts)).toEqual([
      shanghaiInstant(date, '17:30'),
      shanghaiInstant(date, '17:30'),
    ]);
    expect(late.filter((e) => e.type === 'alert.raised').map((e) => [e.post, e.since])).toEqual([
      ['duty_leader', shanghaiInstant(date, '17:45')],
    ]);
  });

  it('then a shift past midnight is still on at 00:10 the next day', () => {
    const p = newProjection();
    foldAll(p, [roster]);
    const v = buildWallView(p, shanghaiInstant('2026-11-24', '00:10'), meta);
    expect(v.duty.shift?.id).toBe('eve');
  });
});

describe('when links beat or fall silent', () => {
  it('then a link is up within the timeout and down after it', () => {
    const p = newProjection();
    foldAll(p, [{ type: 'link.heartbeat', eventId: 'h1', ts: at(0), link: 'call_trunk' }]);
    const up = buildWallView(p, at(1), meta).links.find((l) => l.id === 'call_trunk');
    expect(up?.up).toBe(true);
    expect(monitorAt(p, at(1))).toEqual([]);
    const down = buildWallView(p, at(0) + 91_000, meta);
    expect(down.links.find((l) => l.id === 'call_trunk')?.up).toBe(false);
    expect(down.alerts).toEqual([]);
    monitorAt(p, at(0) + 91_000);
    // Down since the heartbeat's timeout ran out (90 s), whenever the monitor noticed.
    expect(
      buildWallView(p, at(0) + 91_000, meta).alerts.map((a) => [a.kind, a.at, a.text.includes('话务中继')]),
    ).toEqual([['link_down', at(0) + 90_000, true]]);
  });
});

describe('when a link reports a fault', () => {
  const beat = (n: number, ok: boolean, ts = at(n)): DomainEventInput => ({
    type: 'link.heartbeat',
    eventId: `h${n}`,
    ts,
    link: 'call_trunk',
    ok,
  });

  it('then one outage is one alert from its first fault, however many faulty heartbeats follow, cleared by the next good one', () => {
    const p = newProjection();
    foldAll(p, [beat(0, true)]);
    const raised: AlertEvent[] = [];
    for (let n = 1; n <= 5; n++) {
      foldAll(p, [beat(n, false)]);
      raised.push(...monitorAt(p, at(n) + 1_000));
    }
    expect(raised.map((e) => (e.type === 'alert.raised' ? [e.type, e.kind, e.since] : [e.type]))).toEqual([
      ['alert.raised', 'link_down', at(1)],
    ]);
    foldAll(p, [beat(6, true)]);
    expect(monitorAt(p, at(6) + 1_000).map((e) => [e.type, e.ts])).toEqual([['alert.cleared', at(6)]]);
    expect(buildWallView(p, at(7), meta).alerts.map((a) => [a.kind, a.at, a.clearedAt])).toEqual([
      ['link_down', at(1), at(6)],
    ]);
    // A later fault (within the timeout of the good heartbeat) is another outage: another alert, from that fault.
    foldAll(p, [beat(7, false)]);
    expect(monitorAt(p, at(7) + 1_000).map((e) => (e.type === 'alert.raised' ? e.since : e.type))).toEqual([at(7)]);
  });

  it('then a link that fell silent and then reports a fault stays one outage, down since its timeout ran out', () => {
    const p = newProjection();
    foldAll(p, [beat(0, true)]);
    const silent = monitorAt(p, at(3));
    expect(silent.map((e) => (e.type === 'alert.raised' ? e.since : e.type))).toEqual([at(0) + 90_000]);
    foldAll(p, [beat(4, false)]);
    expect(monitorAt(p, at(4) + 1_000)).toEqual([]);
  });
});

describe('when a producer names a street or a category after a property of every object', () => {
  it('then it is counted as a street, the limit is the default one, and no object gains a property', () => {
    const p = newProjection();
    foldAll(p, [
      received('P1', { ts: at(0), street: '__proto__' }),
      received('P2', { ts: at(1), street: 'constructor' }),
    ]);
    const v = buildWallView(p, at(2), meta);
    expect(Object.hasOwn(v.overdue.byStreet, '__proto__')).toBe(true);
    expect(v.overdue.byStreet['constructor']).toEqual({ open: 1, overdue: 0 });
    expect(JSON.parse(JSON.stringify(v.overdue.byStreet))).toEqual(v.overdue.byStreet);
    expect(({} as Record<string, unknown>)['open']).toBeUndefined();
    // 城管 cases of a category the configuration does not name take the default handling limit.
    const cityMgmt = { channel: 'city_mgmt', caseType: 'complaint', urgency: 'normal' } as const;
    for (const category of ['constructor', 'toString', '__proto__'])
      expect(limitFor(DEFAULT_SLA_RULES, 'handle', { ...cityMgmt, category })).toEqual(
        DEFAULT_SLA_RULES.cityMgmtDefault,
      );
    expect(limitFor(DEFAULT_SLA_RULES, 'handle', { ...cityMgmt, category: '市容环卫' })).toEqual(
      DEFAULT_SLA_RULES.cityMgmtByCategory['市容环卫'],
    );
  });
});

describe('when a view is diffed and the delta applied', () => {
  it('then the result equals the newer view', () => {
    const p = newProjection();
    foldAll(p, [received('d1')]);
    const v1 = buildWallView(p, at(1), meta);
    foldAll(p, [caseEvent('case.dispatched', 'd1', at(2), { unit: 'cgzf' }), received('d2', { urgency: 'urgent' })]);
    const v2 = buildWallView(p, at(3), meta);
    const delta = diffWallViews(v1, v2, 1);
    expect(Object.keys(delta.panels)).toContain('caseFlow');
    expect(delta.alerts?.i).toHaveLength(1);
    expect(applyWallDelta(v1, delta)).toEqual(v2);
  });

  it("then yesterday's trend is kept beside today's", () => {
    const p = newProjection();
    foldAll(p, [received('y1', { ts: T0 - DAY_MS }), received('y2', { ts: T0 })]);
    const v = buildWallView(p, T0 + HOUR_MS, meta);
    expect(v.trend.yesterday[9]).toBe(1);
    expect(v.trend.today.hotline[9]).toBe(1);
  });
});

describe('when a case received yesterday moves on today', () => {
  it('then it moves yesterday’s funnel, not today’s, and a reopened case is not counted twice', () => {
    const p = newProjection();
    const y = T0 - DAY_MS; // Sunday 09:00
    expect(
      foldAll(p, [
        received('old', { ts: y }),
        caseEvent('case.dispatched', 'old', y + MINUTE_MS, { unit: 'cgzf' }),
        received('new'),
        caseEvent('case.dispatched', 'new', at(1), { unit: 'cgzf' }),
        caseEvent('case.signed', 'old', at(2)),
        caseEvent('case.replied', 'old', at(3), { reply: '已处理' }),
        caseEvent('case.called_back', 'old', at(4)),
        caseEvent('case.evaluated', 'old', at(5), { rating: 'unsatisfied' }),
        caseEvent('case.reopened', 'old', at(6)),
        caseEvent('case.signed', 'old', at(7)),
        caseEvent('case.replied', 'old', at(8), { reply: '再次处理' }),
        received('direct'),
        caseEvent('case.closed_directly', 'direct', at(9), { reply: '已答复' }),
      ]),
    ).toEqual([]);
    const today = buildWallView(p, at(10), meta).caseFlow;
    expect(today).toEqual({
      received: 2,
      dispatched: 1,
      signed: 0,
      replied: 0,
      calledBack: 0,
      closed: 1,
      closedDirectly: 1,
    });
    const yesterday = p.days.get('2026-11-22')?.flow;
    expect(yesterday).toEqual({
      received: 1,
      dispatched: 1,
      signed: 1,
      replied: 1,
      calledBack: 1,
      closed: 0,
      closedDirectly: 0,
    });
  });
});

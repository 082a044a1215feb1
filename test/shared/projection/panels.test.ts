import { describe, expect, it } from 'vitest';
import { buildWallView } from '@shared/projection/view';
import { applyWallDelta, diffWallViews } from '@shared/wall/delta';
import { PANEL_KEYS } from '@shared/wall/registry';
import { agentsNeeded, serviceLevel } from '@shared/kpi/erlang';
import { MAP_MARKERS_MAX } from '@shared/wall/panels';
import { addDays, MINUTE_MS, shanghaiDateKey } from '@shared/time';
import type { DomainEventInput } from '@shared/events';
import { T0, caseEvent, nextId, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const meta = { spaceKind: 'live' as const, clockRate: 1 };
const at = (m: number) => T0 + m * MINUTE_MS;
const DAY = shanghaiDateKey(T0);

describe('when urgent and sensing cases arrive', () => {
  it('then the map shows the open recent ones newest first, bounded, and drops closed and old ones', () => {
    const p = newProjection();
    const events: DomainEventInput[] = [];
    for (let i = 0; i < MAP_MARKERS_MAX + 5; i++)
      events.push(received(`u${i}`, { ts: at(i), urgency: 'urgent', street: 'luonan' }));
    events.push(received('s1', { ts: at(40), channel: 'sensing', street: 'heping' }));
    events.push(received('n1', { ts: at(41) }));
    events.push(received('old', { ts: at(-200), urgency: 'urgent' }));
    events.push(
      received('done', { ts: at(42), channel: 'sensing' }),
      caseEvent('case.closed_directly', 'done', at(43), { reply: '已答复' }),
    );
    expect(foldAll(p, events)).toEqual([]);
    const map = buildWallView(p, at(50), meta).map;
    expect(map.markers).toHaveLength(MAP_MARKERS_MAX);
    expect(map.markers[0]).toMatchObject({ caseId: 's1', kind: 'sensing', street: 'heping' });
    expect(map.markers[1]).toMatchObject({ caseId: `u${MAP_MARKERS_MAX + 4}`, kind: 'urgent', street: 'luonan' });
    const ids = map.markers.map((m) => m.caseId);
    expect(ids).not.toContain('n1');
    expect(ids).not.toContain('old');
    expect(ids).not.toContain('done');
  });
});

describe('when units handle cases over the week', () => {
  it('then the ranking scores them with the configured weights and ranks the late signer lower', () => {
    const p = newProjection();
    expect(
      foldAll(p, [
        received('a'),
        caseEvent('case.dispatched', 'a', at(0), { unit: 'cgzf' }),
        caseEvent('case.signed', 'a', at(30)),
        received('b'),
        caseEvent('case.dispatched', 'b', at(0), { unit: 'cgzf' }),
        caseEvent('case.signed', 'b', at(150)),
        received('c'),
        caseEvent('case.dispatched', 'c', at(0), { unit: 'zjj' }),
        caseEvent('case.signed', 'c', at(10)),
        ...['a', 'b', 'c'].map((id) => caseEvent('case.replied', id, at(155), { reply: '已处理' })),
      ]),
    ).toEqual([]);
    const r = buildWallView(p, at(160), meta).ranking;
    expect(r.days).toBe(7);
    // Judged: dispatch 10, sign-for 15, on time 25, callback 10 (none called back: 0), redo 10 — 70 of 100; satisfaction
    // (nothing evaluated) is left out and the rest rescaled by 100/70. zjj: 60/70; cgzf signed 1 of 2 on time: 52.5/70.
    expect(r.rows).toEqual([
      {
        unit: 'zjj',
        rank: 1,
        score: Math.round((60 / 70) * 1000) / 10,
        max: 100,
        insufficient: false,
        cases: 1,
        onTimeRate: 1,
        satisfaction: null,
      },
      { unit: 'cgzf', rank: 2, score: 75, max: 100, insufficient: false, cases: 2, onTimeRate: 1, satisfaction: null },
    ]);
  });

  it('then a unit with only dispatches and sign-fors (a quarter of the weight) is 数据不足, ranked after them', () => {
    const p = newProjection();
    expect(
      foldAll(p, [
        received('a'),
        caseEvent('case.dispatched', 'a', at(0), { unit: 'cgzf' }),
        caseEvent('case.signed', 'a', at(10)),
        caseEvent('case.replied', 'a', at(60), { reply: '已处理' }),
        received('b'),
        caseEvent('case.dispatched', 'b', at(0), { unit: 'zjj' }),
        caseEvent('case.signed', 'b', at(10)),
      ]),
    ).toEqual([]);
    const r = buildWallView(p, at(160), meta).ranking;
    expect(r.rows.map((x) => [x.unit, x.rank, x.score, x.insufficient])).toEqual([
      ['cgzf', 1, Math.round((60 / 70) * 1000) / 10, false],
      ['zjj', 2, 0, true],
    ]);
  });
});

describe('when cases are evaluated on several days', () => {
  it('then satisfaction shows today, each of the 7 days and the week together against the target', () => {
    const p = newProjection();
    const events: DomainEventInput[] = [];
    const evaluate = (id: string, ts: number, rating: string) =>
      events.push(
        received(id, { ts: ts - 10 * MINUTE_MS }),
        caseEvent('case.dispatched', id, ts - 9 * MINUTE_MS, { unit: 'cgzf' }),
        caseEvent('case.signed', id, ts - 8 * MINUTE_MS),
        caseEvent('case.replied', id, ts - 7 * MINUTE_MS, { reply: '已处理' }),
        caseEvent('case.called_back', id, ts - 6 * MINUTE_MS),
        caseEvent('case.evaluated', id, ts, { rating }),
      );
    evaluate('t1', at(0), 'satisfied');
    evaluate('t2', at(5), 'unsatisfied');
    evaluate('y1', at(-24 * 60), 'basically_satisfied');
    expect(foldAll(p, events)).toEqual([]);
    const s = buildWallView(p, at(60), meta).satisfaction;
    expect(s.today).toBeCloseTo(0.5, 10);
    expect(s.todayEvaluated).toBe(2);
    expect(s.week).toBeCloseTo(2 / 3, 10);
    expect(s.weekEvaluated).toBe(3);
    expect(s.days.map((d) => d.day)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => addDays(DAY, -i)));
    expect(s.days[5]).toEqual({ day: addDays(DAY, -1), evaluated: 1, rate: 1 });
    expect(s.days[0]!.rate).toBeNull();
    expect(s.target).toBe(0.9);
  });
});

describe('when cases come in by channel and category', () => {
  it('then channels count today and yesterday, and categories list the top ones with yesterday by the same time', () => {
    const p = newProjection();
    foldAll(p, [
      received('h1'),
      received('h2', { category: '噪音扰民' }),
      received('m1', { channel: 'message_board', category: '噪音扰民' }),
      received('y1', { ts: at(-24 * 60), category: '噪音扰民' }),
      received('y2', { ts: at(-24 * 60), channel: 'sensing', category: '治安消防' }),
      received('y3', { ts: at(-24 * 60 + 6 * 60), channel: 'grid_patrol', category: '噪音扰民' }), // yesterday 15:00, after this time of day
    ]);
    const v = buildWallView(p, at(60), meta);
    expect(v.channels.rows.find((r) => r.channel === 'hotline')).toEqual({
      channel: 'hotline',
      today: 2,
      yesterday: 1,
    });
    expect(v.channels.rows.find((r) => r.channel === 'sensing')).toEqual({
      channel: 'sensing',
      today: 0,
      yesterday: 1,
    });
    expect(v.channels.rows).toHaveLength(7);
    // At 10:00 today's 噪音扰民 (2) compares with yesterday's 1 by 10:00, not with yesterday's whole day (2).
    expect(v.categories.rows).toEqual([
      { category: '噪音扰民', today: 2, yesterday: 2, yesterdayByNow: 1 },
      { category: '市容环卫', today: 1, yesterday: 0, yesterdayByNow: 0 },
    ]);
  });
});

describe('when calls arrive at a steady rate', () => {
  it('then staffing gives the Erlang C agents needed at that rate and AHT, against agents on', () => {
    const p = newProjection();
    const events: DomainEventInput[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `c${i}`;
      const t = at(i);
      events.push(
        { type: 'call.offered', eventId: `${id}-o`, ts: t, callId: id },
        { type: 'call.answered', eventId: `${id}-a`, ts: t + 5_000, callId: id, agentId: 'A1' },
        { type: 'call.ended', eventId: `${id}-e`, ts: t + 185_000, callId: id },
        { type: 'call.wrapup_done', eventId: `${id}-w`, ts: t + 245_000, callId: id, agentId: 'A1' },
      );
    }
    for (const [id, state] of [
      ['A1', 'ready'],
      ['A2', 'on_call'],
      ['A3', 'after_call'],
      ['A4', 'break'],
    ] as const)
      events.push({ type: 'agent.state', eventId: nextId(), ts: at(0), agentId: id, state });
    expect(foldAll(p, events)).toEqual([]);
    const s = buildWallView(p, at(29) + 30_000, meta).staffing;
    // 30 calls in the last 30 minutes → 60 an hour; AHT 180 s talk + 60 s wrap-up = 240 s → 4 erlangs.
    expect(s).toMatchObject({
      callsPerHour: 60,
      windowMin: 30,
      ahtSec: 240,
      level: 0.95,
      targetSec: 15,
      ready: 1,
      staffed: 3,
    });
    expect(s.needed).toBe(agentsNeeded(60, 240, 15, 0.95));
    expect(s.needed).toBeGreaterThan(4);
    expect(s.predicted).toBe(serviceLevel(3, 60, 240, 15));
    // An hour later with no calls: no load, nobody needed.
    const quiet = buildWallView(p, at(120), meta).staffing;
    expect(quiet).toMatchObject({ callsPerHour: 0, needed: 0, predicted: null });
  });
});

describe('when a roster is posted and only some posts check in', () => {
  it('then the roster timeline places the day’s shifts, the holders now, the next shift, empty posts and the late handover', () => {
    const p = newProjection();
    const posts = (leader: string, officer: string) => [
      { post: 'duty_leader', personId: `${leader}-id`, name: leader },
      { post: 'duty_officer', personId: `${officer}-id`, name: officer },
    ];
    expect(
      foldAll(p, [
        {
          type: 'duty.roster',
          eventId: nextId(),
          ts: at(-600),
          date: DAY,
          shifts: [
            { id: 'night', name: '夜班', start: '00:30', end: '08:30', posts: posts('甲', '乙') },
            { id: 'day', name: '白班', start: '08:30', end: '17:30', posts: posts('张三', '李四') },
            { id: 'evening', name: '晚班', start: '17:30', end: '00:30', posts: posts('王五', '赵六') },
          ],
        },
        {
          type: 'duty.checked_in',
          eventId: nextId(),
          ts: at(-25),
          date: DAY,
          shiftId: 'day',
          post: 'duty_leader',
          personId: '张三-id',
          name: '张三',
        },
      ] as DomainEventInput[]),
    ).toEqual([]);
    const r = buildWallView(p, at(60), meta).roster;
    expect(r.day).toBe(DAY);
    expect(r.nowMin).toBe(600);
    expect(r.shifts.map((s) => [s.id, s.startMin, s.endMin, s.current, s.next])).toEqual([
      ['night', 30, 510, false, false],
      ['day', 510, 1050, true, false],
      ['evening', 1050, 1470, false, true],
    ]);
    expect(r.shifts[1]!.posts).toEqual([
      { post: 'duty_leader', label: '值班领导', rostered: '张三', holder: '张三', empty: false },
      { post: 'duty_officer', label: '值班员', rostered: '李四', holder: null, empty: true },
    ]);
    expect(r.emptyPosts).toBe(1);
    expect(r.handoverLate).toBe(true);
  });
});

describe('when the evening shift is on and tomorrow’s roster is posted', () => {
  it('then the next shift is tomorrow’s night shift, listed after the day with its rostered people', () => {
    const p = newProjection();
    const TOMORROW = addDays(DAY, 1);
    const posts = (leader: string, officer: string) => [
      { post: 'duty_leader', personId: `${leader}-id`, name: leader },
      { post: 'duty_officer', personId: `${officer}-id`, name: officer },
    ];
    const shifts = (night: [string, string], day: [string, string], evening: [string, string]) => [
      { id: 'night', name: '夜班', start: '00:30', end: '08:30', posts: posts(...night) },
      { id: 'day', name: '白班', start: '08:30', end: '17:30', posts: posts(...day) },
      { id: 'evening', name: '晚班', start: '17:30', end: '00:30', posts: posts(...evening) },
    ];
    expect(
      foldAll(p, [
        {
          type: 'duty.roster',
          eventId: nextId(),
          ts: at(-600),
          date: DAY,
          shifts: shifts(['甲', '乙'], ['张三', '李四'], ['王五', '赵六']),
        },
        {
          type: 'duty.roster',
          eventId: nextId(),
          ts: at(-600),
          date: TOMORROW,
          shifts: shifts(['钱七', '孙八'], ['周九', '吴十'], ['郑一', '冯二']),
        },
      ] as DomainEventInput[]),
    ).toEqual([]);
    // T0 is 09:00; 11 hours later is 20:00, in the evening shift (17:30–00:30).
    const r = buildWallView(p, at(660), meta).roster;
    expect(r.nowMin).toBe(1200);
    expect(r.shifts.map((s) => [s.id, s.startMin, s.endMin, s.current, s.next])).toEqual([
      ['night', 30, 510, false, false],
      ['day', 510, 1050, false, false],
      ['evening', 1050, 1470, true, false],
      ['night', 1470, 1950, false, true],
    ]);
    expect(r.shifts.find((s) => s.next)!.posts.map((x) => x.rostered)).toEqual(['钱七', '孙八']);
    expect(buildWallView(p, at(660), meta).duty.next).toMatchObject({ id: 'night', start: '00:30' });
  });
});

describe('when the new panels change', () => {
  it('then a delta carries them and applying it gives the new view', () => {
    const p = newProjection();
    const before = buildWallView(p, at(0), meta);
    foldAll(p, [received('u1', { ts: at(1), urgency: 'urgent' })]);
    const after = buildWallView(p, at(2), meta);
    const delta = diffWallViews(before, after, 1);
    for (const key of ['map', 'channels', 'categories'] as const) expect(delta.panels[key], key).toBeDefined();
    expect(PANEL_KEYS).toEqual(
      expect.arrayContaining(['map', 'ranking', 'satisfaction', 'channels', 'categories', 'roster', 'staffing']),
    );
    const applied = applyWallDelta(before, delta);
    for (const key of PANEL_KEYS) expect(applied[key], key).toEqual(after[key]);
  });
});

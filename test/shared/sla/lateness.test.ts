import { describe, expect, it } from 'vitest';
import type { ClockState } from '@shared/cases/state';
import { DEFAULT_WORKING_HOURS, parseWorkingHours } from '@shared/sla/calendar';
import { clockStatus, computeDeadline, type SlaEnv } from '@shared/sla/deadline';
import { chineseHolidayCalendar } from '@shared/sla/holidays';
import {
  clockLateness,
  clockMarks,
  earliestMarks,
  LATENESS_TESTS,
  latenessAt,
  overdueMinutes,
  pastDeadline,
  stoppedOnTime,
  worstLateness,
  type ClockMarks,
  type LateFilter,
} from '@shared/sla/lateness';
import type { SlaLimit } from '@shared/sla/rules';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';

const env: SlaEnv = { calendar: chineseHolidayCalendar(), hours: DEFAULT_WORKING_HOURS };
const at = shanghaiInstant;
const thresholds = { warn: 0.5, atRisk: 0.75 };

function clock(limit: SlaLimit, start: number, deadline = computeDeadline(env, limit, start)): ClockState {
  return { start, limit, deadline, stoppedAt: null };
}

/** What `clockStatus` (the used fraction at that instant) says, as a lateness. */
function byFraction(c: ClockState, now: number): string {
  const s = clockStatus(env, c.limit, c.start, c.deadline, now, thresholds);
  return s === 'warn' ? 'ok' : s;
}

describe('when a clock is judged from its marks', () => {
  const clocks: [string, ClockState][] = [
    [
      '4 working hours over lunch and a night',
      clock({ amount: 240, unit: 'working_minutes' }, at('2026-11-23', '11:45')),
    ],
    ['2 working days', clock({ amount: 2, unit: 'working_days' }, at('2026-11-27', '16:10'))],
    ['30 calendar minutes', clock({ amount: 30, unit: 'calendar_minutes' }, at('2026-11-23', '03:07'))],
    [
      'a deadline moved to a Sunday night',
      clock({ amount: 240, unit: 'working_minutes' }, at('2026-11-27', '10:00'), at('2026-11-29', '22:00')),
    ],
    ['a deadline at its start', clock({ amount: 0, unit: 'working_minutes' }, at('2026-11-23', '09:00'))],
  ];

  it.each(clocks)('then %s turns at risk and overdue at the very millisecond its used fraction says', (_name, c) => {
    const m = clockMarks(env, c, thresholds);
    expect(m.deadline).toBe(c.deadline);
    expect(m.riskAt).toBeLessThanOrEqual(m.deadline);
    for (const t of [
      c.start - 1,
      c.start,
      m.riskAt - 1,
      m.riskAt,
      m.riskAt + 1,
      m.deadline - 1,
      m.deadline,
      m.deadline + 1,
      m.deadline + MINUTE_MS,
    ]) {
      expect(latenessAt(m, t), `at ${t - c.start} ms`).toBe(byFraction(c, t));
    }
    expect(latenessAt(m, m.deadline)).toBe('at_risk');
    expect(latenessAt(m, m.deadline + 1)).toBe('overdue');
  });

  it('then a 4-working-hour clock from 11:45 Monday is at risk from 16:45 (180 of its 240 working minutes)', () => {
    const c = clocks[0]![1];
    expect(clockMarks(env, c, thresholds).riskAt).toBe(at('2026-11-23', '16:45'));
    expect(clockLateness(env, c, at('2026-11-23', '16:44'), thresholds)).toBe('ok');
    expect(clockLateness(env, c, at('2026-11-23', '16:45'), thresholds)).toBe('at_risk');
    expect(clockLateness(env, c, at('2026-11-24', '08:46'), thresholds)).toBe('overdue');
  });

  it('then the marks follow the at-risk fraction asked for, not the one cached first', () => {
    const c = clocks[2]![1];
    expect(clockMarks(env, c, { atRisk: 0.75 }).riskAt).toBe(c.start + 22.5 * MINUTE_MS);
    expect(clockMarks(env, c, { atRisk: 0.5 }).riskAt).toBe(c.start + 15 * MINUTE_MS);
  });

  it('then the marks follow the working hours asked for, not those cached first', () => {
    const c = clocks[0]![1];
    const longDays: SlaEnv = { calendar: env.calendar, hours: parseWorkingHours(['08:00-20:00']) };
    expect(clockMarks(env, c, thresholds).riskAt).toBe(at('2026-11-23', '16:45'));
    // Under 08:00–20:00 the same deadline (08:45 Tuesday) leaves 540 working minutes: at risk 405 minutes in.
    expect(clockMarks(longDays, c, thresholds).riskAt).toBe(at('2026-11-23', '18:30'));
    expect(clockMarks(longDays, { ...c }, thresholds).riskAt).toBe(at('2026-11-23', '18:30'));
    expect(clockMarks(env, c, thresholds).riskAt).toBe(at('2026-11-23', '16:45'));
  });
});

describe('when the range tests a query filters with are evaluated', () => {
  const holds = (level: LateFilter, m: ClockMarks, now: number): boolean =>
    LATENESS_TESTS[level].every((t) =>
      t.cmp === '<' ? m[t.mark] < now : t.cmp === '<=' ? m[t.mark] <= now : m[t.mark] >= now,
    );
  const m: ClockMarks = { deadline: 10_000, riskAt: 7_000 };

  it('then each level holds exactly where latenessAt gives it, and late is overdue or at risk', () => {
    for (const now of [0, 6_999, 7_000, 9_999, 10_000, 10_001, 20_000]) {
      const l = latenessAt(m, now);
      expect(holds('overdue', m, now), String(now)).toBe(l === 'overdue');
      expect(holds('at_risk', m, now), String(now)).toBe(l === 'at_risk');
      expect(holds('late', m, now), String(now)).toBe(l !== 'ok');
    }
  });

  it("then on a case's earliest marks they give its worst clock's level", () => {
    const clocks = [
      { id: 'sign' as const, marks: { deadline: 20_000, riskAt: 5_000 } },
      { id: 'handle' as const, marks: { deadline: 12_000, riskAt: 11_000 } },
    ];
    const next = earliestMarks(clocks.map((c) => c.marks))!;
    expect(next).toEqual({ deadline: 12_000, riskAt: 5_000 });
    for (const now of [4_000, 6_000, 11_500, 13_000, 25_000]) {
      const worst = worstLateness(clocks, now).lateness;
      expect(holds('overdue', next, now), String(now)).toBe(worst === 'overdue');
      expect(holds('at_risk', next, now), String(now)).toBe(worst === 'at_risk');
      expect(holds('late', next, now), String(now)).toBe(worst !== 'ok');
    }
    expect(earliestMarks([])).toBeNull();
  });
});

describe("when a case's worst clock is chosen", () => {
  it('then the latest level wins, and the nearest deadline among equally late clocks', () => {
    const clocks = [
      { id: 'sign' as const, marks: { deadline: 9_000, riskAt: 1_000 } },
      { id: 'handle' as const, marks: { deadline: 5_000, riskAt: 4_000 } },
      { id: 'callback' as const, marks: { deadline: 8_000, riskAt: 2_000 } },
    ];
    expect(worstLateness(clocks, 500)).toEqual({ lateness: 'ok', clock: 'handle', deadline: 5_000 });
    expect(worstLateness(clocks, 3_000)).toEqual({ lateness: 'at_risk', clock: 'callback', deadline: 8_000 });
    expect(worstLateness(clocks, 6_000)).toEqual({ lateness: 'overdue', clock: 'handle', deadline: 5_000 });
    expect(worstLateness(clocks, 9_500)).toEqual({ lateness: 'overdue', clock: 'handle', deadline: 5_000 });
    expect(worstLateness([], 1)).toEqual({ lateness: 'ok', clock: null, deadline: null });
  });
});

describe('when a stopped clock or an event is measured against its deadline', () => {
  it('then stopping at the deadline is on time and a millisecond later is late; minutes past count whole minutes', () => {
    const c = clock({ amount: 30, unit: 'calendar_minutes' }, at('2026-11-23', '09:00'));
    expect(pastDeadline(c.deadline, c.deadline)).toBe(false);
    expect(pastDeadline(c.deadline, c.deadline + 1)).toBe(true);
    expect(stoppedOnTime({ ...c, stoppedAt: c.deadline })).toBe(true);
    expect(stoppedOnTime({ ...c, stoppedAt: c.deadline + 1 })).toBe(false);
    expect(stoppedOnTime(c)).toBe(false);
    expect(stoppedOnTime(null)).toBe(false);
    expect(overdueMinutes(c.deadline, c.deadline + 119_999)).toBe(1);
    expect(overdueMinutes(c.deadline, c.deadline)).toBe(0);
    expect(overdueMinutes(null, c.deadline + MINUTE_MS)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKING_HOURS, parseWorkingHours } from '@shared/sla/calendar';
import {
  addWorkingDays,
  addWorkingMinutes,
  clockStatus,
  computeDeadline,
  usedFraction,
  workingMinutesBetween,
  type SlaEnv,
} from '@shared/sla/deadline';
import { chineseHolidayCalendar, weekdayCalendar } from '@shared/sla/holidays';
import { DEFAULT_SLA_RULES, limitFor } from '@shared/sla/rules';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';

const env: SlaEnv = { calendar: chineseHolidayCalendar(), hours: DEFAULT_WORKING_HOURS };
const at = shanghaiInstant;
const thresholds = { warn: 0.5, atRisk: 0.75 };

describe('when the calendar is asked about the 2026 National Day holiday', () => {
  it('then 1–7 October are off and the make-up Sundays/Saturdays (调休) are working days', () => {
    expect(env.calendar.isWorkday('2026-09-30')).toBe(true);
    for (let d = 1; d <= 7; d++) expect(env.calendar.isWorkday(`2026-10-0${d}`), `10-0${d}`).toBe(false);
    expect(env.calendar.isWorkday('2026-09-20')).toBe(true); // a Sunday worked
    expect(env.calendar.isWorkday('2026-10-10')).toBe(true); // a Saturday worked
    expect(env.calendar.isWorkday('2026-10-11')).toBe(false);
  });

  it('then overrides from the config win over the dataset, and bad override dates are refused', () => {
    const cal = chineseHolidayCalendar({ holidays: ['2026-11-23'], workdays: ['2026-11-22'] });
    expect(cal.isWorkday('2026-11-23')).toBe(false);
    expect(cal.isWorkday('2026-11-22')).toBe(true);
    expect(() => chineseHolidayCalendar({ holidays: ['2026-02-30'] })).toThrow('"2026-02-30" is not a date');
    expect(() => chineseHolidayCalendar({ holidays: ['2026-05-06'], workdays: ['2026-05-06'] })).toThrow('both');
  });
});

describe('when a complaint is dispatched on the afternoon before the 2026 National Day holiday', () => {
  it('then its 15-working-day deadline skips 1–7 October and counts the make-up Saturday 10 October', () => {
    const start = at('2026-09-30', '15:20');
    const limit = limitFor(DEFAULT_SLA_RULES, 'handle', {
      channel: 'hotline',
      caseType: 'complaint',
      urgency: 'normal',
      category: '物业管理',
    });
    expect(limit).toEqual({ amount: 15, unit: 'working_days' });
    // Working days after 30 Sep: 8, 9, 10 (Sat, 调休), 12–16, 19–23, 26, 27 October → the 15th is Tuesday 27 October.
    expect(computeDeadline(env, limit, start)).toBe(at('2026-10-27', '17:30'));
    // Without the make-up day the deadline would be a day later: a plain weekday calendar gives 28 Oct minus the holiday.
    const plain: SlaEnv = {
      calendar: weekdayCalendar({ holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'] }),
      hours: DEFAULT_WORKING_HOURS,
    };
    expect(computeDeadline(plain, limit, start)).toBe(at('2026-10-28', '17:30'));
  });
});

describe('when a 12319 exposed-garbage case has 4 working hours', () => {
  const limit = limitFor(DEFAULT_SLA_RULES, 'handle', {
    channel: 'city_mgmt',
    caseType: 'report',
    urgency: 'normal',
    category: '市容环卫',
  });

  it('then the limit crosses the lunch break and a night: 11:45 Monday → 08:45 Tuesday', () => {
    expect(limit).toEqual({ amount: 240, unit: 'working_minutes' });
    // 11:45–12:00 (15 min) + 14:00–17:30 (210 min) = 225 min on Monday; the last 15 min on Tuesday from 08:30.
    expect(computeDeadline(env, limit, at('2026-11-23', '11:45'))).toBe(at('2026-11-24', '08:45'));
  });

  it('then a case reported at night starts counting at 08:30, and one at 17:00 on Friday ends at noon on Monday', () => {
    expect(computeDeadline(env, limit, at('2026-11-23', '22:10'))).toBe(at('2026-11-24', '14:30'));
    expect(computeDeadline(env, limit, at('2026-11-27', '17:00'))).toBe(at('2026-11-30', '12:00'));
  });

  it('then exactly filling the morning ends at 12:00, not after lunch', () => {
    expect(addWorkingMinutes(env, at('2026-11-23', '08:30'), 210)).toBe(at('2026-11-23', '12:00'));
  });
});

describe('when working time is measured between two instants', () => {
  it('then lunch, nights, weekends and holidays do not count', () => {
    expect(workingMinutesBetween(env, at('2026-11-23', '11:45'), at('2026-11-24', '08:45'))).toBe(240);
    expect(workingMinutesBetween(env, at('2026-11-27', '17:00'), at('2026-11-30', '09:00'))).toBe(60);
    expect(workingMinutesBetween(env, at('2026-09-30', '17:00'), at('2026-10-08', '08:30'))).toBe(30);
    expect(workingMinutesBetween(env, at('2026-11-24', '10:00'), at('2026-11-23', '10:00'))).toBe(0);
  });

  it('then N working days end at 17:30 of the Nth working day after the start day', () => {
    expect(addWorkingDays(env, at('2026-11-27', '09:00'), 1)).toBe(at('2026-11-30', '17:30'));
    expect(addWorkingDays(env, at('2026-11-28', '20:00'), 2)).toBe(at('2026-12-01', '17:30'));
  });
});

describe('when an urgent case runs in calendar time', () => {
  it('then nights and holidays count: 23:00 on 1 October + 2 h is 01:00 on 2 October', () => {
    const limit = limitFor(DEFAULT_SLA_RULES, 'handle', {
      channel: 'sensing',
      caseType: 'help',
      urgency: 'urgent',
      category: '市政设施',
    });
    expect(computeDeadline(env, limit, at('2026-10-01', '23:00'))).toBe(at('2026-10-02', '01:00'));
  });
});

describe('when a clock is coloured', () => {
  const sign = DEFAULT_SLA_RULES.sign; // 2 working hours
  const start = at('2026-11-23', '09:00');
  const deadline = computeDeadline(env, sign, start);

  it('then it is ok before half, warn from 50%, at risk from 75% and overdue after 100% of working time', () => {
    expect(deadline).toBe(start + 2 * HOUR_MS);
    expect(clockStatus(env, sign, start, deadline, start + 59 * MINUTE_MS, thresholds)).toBe('ok');
    expect(clockStatus(env, sign, start, deadline, start + 60 * MINUTE_MS, thresholds)).toBe('warn');
    expect(clockStatus(env, sign, start, deadline, start + 90 * MINUTE_MS, thresholds)).toBe('at_risk');
    expect(clockStatus(env, sign, start, deadline, deadline, thresholds)).toBe('at_risk');
    expect(clockStatus(env, sign, start, deadline, deadline + 1, thresholds)).toBe('overdue');
  });

  it('then lunch does not use up allowed time: 11:30 + 2 h is 15:30 and at 14:00 only 25% is used', () => {
    const s = at('2026-11-23', '11:30');
    const d = computeDeadline(env, sign, s);
    expect(d).toBe(at('2026-11-23', '15:30'));
    expect(usedFraction(env, sign, s, d, at('2026-11-23', '14:00'))).toBeCloseTo(0.25, 10);
    expect(clockStatus(env, sign, s, d, at('2026-11-23', '13:59'), thresholds)).toBe('ok');
  });

  it('then a deadline moved by 督办 measures against the new deadline', () => {
    const moved = at('2026-11-23', '17:00'); // 6.5 working hours of allowed time instead of 2
    expect(clockStatus(env, sign, start, moved, at('2026-11-23', '11:30'), thresholds)).toBe('ok');
  });
});

describe('when working hours are configured', () => {
  it('then malformed, inverted or overlapping spans are refused with the span named', () => {
    expect(parseWorkingHours(['09:00-12:00', '13:00-18:00']).minutesPerDay).toBe(480);
    expect(() => parseWorkingHours(['9-12'])).toThrow('"9-12" is not HH:MM-HH:MM');
    expect(() => parseWorkingHours(['12:00-09:00'])).toThrow('ends before it starts');
    expect(() => parseWorkingHours(['08:00-12:00', '11:00-17:00'])).toThrow('overlap');
  });

  it('then a calendar without working days fails loudly instead of looping', () => {
    const none: SlaEnv = { calendar: { isWorkday: () => false }, hours: DEFAULT_WORKING_HOURS };
    expect(() => addWorkingMinutes(none, at('2026-11-23', '09:00'), 60)).toThrow('no working time');
  });
});

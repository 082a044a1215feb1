import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import { DEFAULT_WORKING_HOURS } from '@shared/sla/calendar';
import {
  calendarCoverage,
  HOLIDAY_ALLOWANCE_DAYS,
  limitHorizonDays,
  slaHorizonDays,
  workingDaysSpan,
} from '@shared/sla/coverage';
import { addWorkingDays, computeDeadline, deadlinePastCoverage, type SlaEnv } from '@shared/sla/deadline';
import { chineseHolidayCalendar, datasetYears, lastCoveredDayOf, yearListing } from '@shared/sla/holidays';
import { DEFAULT_SLA_RULES } from '@shared/sla/rules';
import { addDays, DAY_MS, shanghaiDateKey, shanghaiInstant, shanghaiMidnight } from '@shared/time';

/** A 2027 schedule for the tests (shaped like a State Council notice; not the official one). */
const Y2027 = {
  holidays: [
    '2027-01-01',
    '2027-01-02',
    '2027-01-03',
    '2027-10-01',
    '2027-10-02',
    '2027-10-03',
    '2027-10-04',
    '2027-10-05',
    '2027-10-06',
    '2027-10-07',
  ],
  workdays: ['2027-09-26', '2027-10-09'],
};
const at = shanghaiInstant;

describe('when the calendar runs on the packaged dataset alone', () => {
  it('then it knows the dataset covers 2004–2026 and its last covered day is 2026-12-31', () => {
    expect(datasetYears()).toEqual({ firstYear: 2004, lastYear: 2026 });
    expect(lastCoveredDayOf()).toBe('2026-12-31');
    expect(chineseHolidayCalendar().lastCoveredDay).toBe('2026-12-31');
  });

  it('then National Day 2027, past its coverage, counts as a working day — and the calendar reports each such day once', () => {
    const asked: string[] = [];
    const cal = chineseHolidayCalendar({}, { onUncovered: (d) => asked.push(d) });
    expect(cal.isWorkday('2026-10-01')).toBe(false);
    expect(cal.isWorkday('2027-10-01')).toBe(true);
    expect(cal.isWorkday('2027-10-01')).toBe(true);
    expect(cal.isWorkday('2026-12-31')).toBe(true);
    expect(asked).toEqual(['2027-10-01']);
  });

  it('then it lists the days off and make-up days of 2026 with their holidays, and none for 2027', () => {
    const y = yearListing({}, 2026);
    expect(y).toMatchObject({ year: 2026, covered: true, source: 'dataset' });
    expect(y.holidays).toHaveLength(33);
    expect(y.holidays[0]).toEqual({ date: '2026-01-01', name: '元旦', source: 'dataset' });
    expect(y.workdays.map((d) => `${d.date} ${d.name}`)).toEqual([
      '2026-01-04 元旦',
      '2026-02-14 春节',
      '2026-02-28 春节',
      '2026-05-09 劳动节',
      '2026-09-20 国庆节',
      '2026-10-10 国庆节',
    ]);
    expect(yearListing({}, 2027)).toEqual({ year: 2027, covered: false, source: null, holidays: [], workdays: [] });
  });
});

describe('when the config enters the 2027 schedule under holidays.years', () => {
  const config = mergeConfig(DEFAULT_CONFIG, { holidays: { years: { 2027: Y2027 } } });
  const cal = chineseHolidayCalendar(config.holidays);

  it('then 1 October 2027 is a holiday, the make-up Saturday is worked, and coverage moves to 2027-12-31', () => {
    expect(cal.isWorkday('2027-10-01')).toBe(false);
    expect(cal.isWorkday('2027-10-07')).toBe(false); // a Thursday inside the break
    expect(cal.isWorkday('2027-10-08')).toBe(true); // a Friday
    expect(cal.isWorkday('2027-10-09')).toBe(true); // Saturday, 调休上班
    expect(cal.isWorkday('2027-10-10')).toBe(false); // an ordinary Sunday
    expect(cal.lastCoveredDay).toBe('2027-12-31');
    expect(lastCoveredDayOf(config.holidays)).toBe('2027-12-31');
  });

  it('then a complaint dispatched before the break gets its deadline past it', () => {
    const env: SlaEnv = { calendar: cal, hours: DEFAULT_WORKING_HOURS };
    // After Thursday 30 Sep: 1–7 Oct off; 8 Oct (Fri), 9 Oct (Sat, 调休), 11, 12, 13 Oct → the 5th is Wednesday 13 October.
    // Without the schedule: 1, 4, 5, 6, 7 October → Thursday 7 October, in the middle of the break.
    expect(addWorkingDays(env, at('2027-09-30', '10:00'), 5)).toBe(at('2027-10-13', '17:30'));
    const unknown: SlaEnv = { calendar: chineseHolidayCalendar(), hours: DEFAULT_WORKING_HOURS };
    expect(addWorkingDays(unknown, at('2027-09-30', '10:00'), 5)).toBe(at('2027-10-07', '17:30'));
  });

  it('then it lists the year from the config, in date order', () => {
    const y = yearListing(config.holidays, 2027);
    expect(y).toMatchObject({ year: 2027, covered: true, source: 'config_year' });
    expect(y.holidays.map((d) => d.date)).toEqual(Y2027.holidays);
    expect(y.workdays).toEqual([
      { date: '2027-09-26', name: null, source: 'config_year' },
      { date: '2027-10-09', name: null, source: 'config_year' },
    ]);
  });

  it('then a year entered after a gap does not extend coverage, and an entered year replaces the dataset for that year', () => {
    expect(lastCoveredDayOf({ years: { 2028: { holidays: ['2028-10-02'], workdays: [] } } })).toBe('2026-12-31');
    expect(lastCoveredDayOf({ years: { 2027: Y2027, 2028: { holidays: ['2028-10-02'], workdays: [] } } })).toBe(
      '2028-12-31',
    );
    const replaced = chineseHolidayCalendar({ years: { 2026: { holidays: ['2026-10-01'], workdays: [] } } });
    expect(replaced.isWorkday('2026-10-01')).toBe(false);
    expect(replaced.isWorkday('2026-10-02')).toBe(true); // the dataset's break no longer applies
    expect(replaced.isWorkday('2026-10-10')).toBe(false); // nor its make-up Saturday
  });

  it('then the flat holidays and workdays lists still work beside it, and a 元旦 break starting on 31 December is allowed', () => {
    const both = chineseHolidayCalendar(
      mergeConfig(DEFAULT_CONFIG, {
        holidays: {
          holidays: ['2026-11-23'],
          workdays: ['2027-10-02'],
          years: { 2027: { ...Y2027, holidays: ['2026-12-31', ...Y2027.holidays] } },
        },
      }).holidays,
    );
    expect(both.isWorkday('2026-11-23')).toBe(false);
    expect(both.isWorkday('2027-10-02')).toBe(true);
    expect(both.isWorkday('2026-12-31')).toBe(false);
  });
});

describe('when the holiday config has mistakes', () => {
  const issues = (holidays: unknown): string[] => {
    try {
      mergeConfig(DEFAULT_CONFIG, { holidays });
      return [];
    } catch (err) {
      return ((err as { issues?: { path: PropertyKey[]; message: string }[] }).issues ?? []).map(
        (i) => `${i.path.map(String).join('.')}: ${i.message}`,
      );
    }
  };

  it('then each is refused with where it is and why', () => {
    expect(issues({ years: { 2027: { holidays: ['2026-10-01', '2027-02-30'], workdays: ['2027-10-08'] } } })).toEqual([
      'holidays.years.2027.holidays.1: "2027-02-30" is not a date: there is no such day',
      "holidays.years.2027.holidays.0: 2026-10-01 is not in 2027: a year's schedule lists days of that year (or of the December before it)",
      'holidays.years.2027.workdays.0: 2027-10-08 is a Friday: a make-up working day (调休上班) falls on a Saturday or Sunday; Monday to Friday are working days already',
    ]);
    expect(issues({ years: { 27: { holidays: ['2027-10-01'] } } })).toEqual([
      'holidays.years.27: "27" is not a year: write the year as four digits, 2000–2199, e.g. "2027"',
    ]);
    expect(issues({ years: { 2027: { holidays: [], workdays: [] } } })[0]).toMatch(
      /^holidays\.years\.2027\.holidays: the 2027 schedule lists no holiday/,
    );
    expect(issues({ years: { 2027: { holidays: ['2027-10-09'], workdays: ['2027-10-09'] } } })).toEqual([
      'holidays.years.2027: 2027-10-09 is listed both as a holiday and as a working day',
    ]);
    expect(issues({ holidays: ['2026-1-5'] })).toEqual(['holidays.holidays.0: "2026-1-5" is not a date YYYY-MM-DD']);
  });
});

describe('when the longest SLA horizon is worked out from the rules', () => {
  it('then the default rules give 33 days: 15 working days of a complaint + 6 weekend days + 12 for holidays', () => {
    expect(HOLIDAY_ALLOWANCE_DAYS).toBe(12);
    expect(slaHorizonDays(DEFAULT_SLA_RULES, DEFAULT_WORKING_HOURS)).toBe(33);
  });

  it('then each kind of limit is converted: calendar minutes as days, working hours as whole working days', () => {
    expect(limitHorizonDays({ amount: 120, unit: 'calendar_minutes' }, DEFAULT_WORKING_HOURS)).toBe(1);
    expect(limitHorizonDays({ amount: 3 * 1440, unit: 'calendar_minutes' }, DEFAULT_WORKING_HOURS)).toBe(3);
    // 16 working hours = 960 min over 420-minute days = 3 working days → 3 + 2 + 12.
    expect(limitHorizonDays({ amount: 960, unit: 'working_minutes' }, DEFAULT_WORKING_HOURS)).toBe(17);
    const longer = {
      ...DEFAULT_SLA_RULES,
      handleByType: { ...DEFAULT_SLA_RULES.handleByType, report: { amount: 20, unit: 'working_days' as const } },
    };
    expect(slaHorizonDays(longer, DEFAULT_WORKING_HOURS)).toBe(20 + 8 + 12);
  });

  it('then no start day of the dataset years takes a run of working days past the bound (15 working days: 29 days at worst)', () => {
    const env: SlaEnv = { calendar: chineseHolidayCalendar(), hours: DEFAULT_WORKING_HOURS };
    const worst = new Map<number, number>();
    for (let day = '2004-01-01'; day <= '2026-11-15'; day = addDays(day, 1)) {
      for (const n of [1, 5, 15]) {
        const span = Math.round(
          (shanghaiMidnight(shanghaiDateKey(addWorkingDays(env, shanghaiMidnight(day), n))) - shanghaiMidnight(day)) /
            DAY_MS,
        );
        worst.set(n, Math.max(worst.get(n) ?? 0, span));
      }
    }
    expect(Object.fromEntries(worst)).toEqual({ 1: 11, 5: 15, 15: 29 });
    for (const [n, w] of worst) expect(w, `${n} working days`).toBeLessThanOrEqual(workingDaysSpan(n));
  });
});

describe('when the coverage is asked at a fixed instant', () => {
  it('then on 2 December 2026 it has 29 days left, 1 January 2027 is the first uncovered day and the warning says how to fix it', () => {
    const c = calendarCoverage('2026-12-31', 33, at('2026-12-02', '10:00'));
    expect(c).toMatchObject({
      today: '2026-12-02',
      lastCoveredDay: '2026-12-31',
      firstUncoveredDay: '2027-01-01',
      daysLeft: 29,
      horizonDays: 33,
      horizonEnd: '2027-01-04',
    });
    expect(c.warning).toContain('2027-01-01 起的法定节假日和调休尚未录入');
    expect(c.warning).toContain('holidays.years."2027"');
    expect(c.warning).toContain('还剩 29 天');
  });

  it('then the day is the Shanghai day: 00:30 on 2 December (16:30 UTC the day before) already counts 29', () => {
    expect(calendarCoverage('2026-12-31', 33, Date.UTC(2026, 11, 1, 16, 30)).daysLeft).toBe(29);
    expect(calendarCoverage('2026-12-31', 33, Date.UTC(2026, 11, 1, 15, 30)).daysLeft).toBe(30);
  });

  it('then the warning turns on the first day a deadline set that day could fall past the last covered day', () => {
    expect(calendarCoverage('2026-12-31', 33, at('2026-11-28', '23:59')).warning).toBeNull(); // 28 Nov + 33 = 31 Dec
    expect(calendarCoverage('2026-12-31', 33, at('2026-11-29', '00:00')).warning).not.toBeNull();
    expect(calendarCoverage('2027-12-31', 33, at('2026-12-02', '10:00'))).toMatchObject({
      daysLeft: 394,
      warning: null,
    });
  });

  it('then past the last covered day the days left go negative and the warning says deadlines may already be wrong', () => {
    const c = calendarCoverage('2026-12-31', 33, at('2027-01-05', '09:00'));
    expect(c.daysLeft).toBe(-5);
    expect(c.warning).toContain('已超出 5 天');
  });
});

describe("when a deadline is checked against the calendar's coverage", () => {
  const env: SlaEnv = { calendar: chineseHolidayCalendar(), hours: DEFAULT_WORKING_HOURS };
  const complaint = { amount: 15, unit: 'working_days' } as const;
  const urgent = { amount: 120, unit: 'calendar_minutes' } as const;

  it('then a complaint dispatched on 20 December 2026 is flagged (8 January 2027, counted with 1 January as a working day)', () => {
    const deadline = computeDeadline(env, complaint, at('2026-12-20', '10:00'));
    expect(deadline).toBe(at('2027-01-08', '17:30'));
    expect(deadlinePastCoverage(complaint, deadline, env.calendar.lastCoveredDay)).toBe(true);
  });

  it('then one dispatched on 2 December is not, nor an urgent 2-hour clock crossing into 2027, nor any with the 2027 schedule entered', () => {
    expect(
      deadlinePastCoverage(
        complaint,
        computeDeadline(env, complaint, at('2026-12-02', '10:00')),
        env.calendar.lastCoveredDay,
      ),
    ).toBe(false);
    expect(
      deadlinePastCoverage(
        urgent,
        computeDeadline(env, urgent, at('2026-12-31', '23:00')),
        env.calendar.lastCoveredDay,
      ),
    ).toBe(false);
    expect(deadlinePastCoverage(complaint, at('2027-01-08', '17:30'), '2027-12-31')).toBe(false);
    // The last covered day itself is covered; the next day is not.
    expect(deadlinePastCoverage(complaint, at('2026-12-31', '17:30'), '2026-12-31')).toBe(false);
    expect(deadlinePastCoverage(complaint, at('2027-01-01', '00:00'), '2026-12-31')).toBe(true);
  });
});

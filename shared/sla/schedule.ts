/**
 * The holiday part of the config: single extra days off or on, and whole years' official schedules (国务院办公厅
 * 关于某年部分节假日安排的通知: the days off of each statutory holiday and the make-up working days, 调休上班). A year
 * entered here counts as covered by the working calendar. Pure: the checks take dates as `YYYY-MM-DD` strings.
 */
import { z } from 'zod';

/** One year's official schedule: every day off of its statutory holidays, and its make-up working days. */
export interface YearScheduleInput {
  readonly holidays: readonly string[];
  readonly workdays: readonly string[];
}

/** Extra days off and on (any year), and whole years' schedules by year `"YYYY"`. */
export interface HolidayOverridesInput {
  readonly holidays?: readonly string[];
  readonly workdays?: readonly string[];
  readonly years?: Readonly<Record<string, YearScheduleInput>>;
}

/** A problem in the holiday config: where (path under `holidays`) and what is wrong. */
export interface ScheduleProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const DATE_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEAR_KEY = /^\d{4}$/;
/** Years a schedule may be entered for (the dataset starts in 2004). */
const MIN_YEAR = 2000;
const MAX_YEAR = 2199;
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** True when `s` is a real calendar date written `YYYY-MM-DD`. */
export function isDateKey(s: string): boolean {
  const m = DATE_KEY.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Day of week of a `YYYY-MM-DD` date: 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** The English name of a date's weekday (for messages). */
export function weekdayName(date: string): string {
  return WEEKDAY_NAMES[weekdayOf(date)] ?? '?';
}

/**
 * Every problem of a holiday config, each with its path: malformed dates, a year key that is not a year, a year's
 * date outside that year (the December before it is allowed: a 元旦 break sometimes starts on 31 December), a make-up
 * working day on Monday–Friday (those are working days already: a typo), a year without any holiday, a day both off
 * and on.
 */
export function scheduleProblems(o: HolidayOverridesInput): ScheduleProblem[] {
  const out: ScheduleProblem[] = [];
  const dates = (path: (string | number)[], list: readonly string[] | undefined): string[] => {
    const ok: string[] = [];
    (list ?? []).forEach((d, i) => {
      if (isDateKey(d)) ok.push(d);
      else
        out.push({
          path: [...path, i],
          message: DATE_KEY.test(d) ? `"${d}" is not a date: there is no such day` : `"${d}" is not a date YYYY-MM-DD`,
        });
    });
    return ok;
  };
  const both = (path: (string | number)[], off: readonly string[], on: readonly string[]): void => {
    const offSet = new Set(off);
    for (const d of on)
      if (offSet.has(d)) out.push({ path, message: `${d} is listed both as a holiday and as a working day` });
  };

  both([], dates(['holidays'], o.holidays), dates(['workdays'], o.workdays));
  for (const [key, entry] of Object.entries(o.years ?? {})) {
    const year = Number(key);
    if (!YEAR_KEY.test(key) || year < MIN_YEAR || year > MAX_YEAR) {
      out.push({
        path: ['years', key],
        message: `"${key}" is not a year: write the year as four digits, ${MIN_YEAR}–${MAX_YEAR}, e.g. "2027"`,
      });
      continue;
    }
    const off = dates(['years', key, 'holidays'], entry.holidays);
    const on = dates(['years', key, 'workdays'], entry.workdays);
    if (entry.holidays.length === 0) {
      out.push({
        path: ['years', key, 'holidays'],
        message: `the ${key} schedule lists no holiday: enter every day off of the State Council notice (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节)`,
      });
    }
    const inYear = (d: string) => d.startsWith(`${key}-`) || d.startsWith(`${year - 1}-12-`);
    off.forEach((d) => {
      if (!inYear(d))
        out.push({
          path: ['years', key, 'holidays', entry.holidays.indexOf(d)],
          message: `${d} is not in ${key}: a year's schedule lists days of that year (or of the December before it)`,
        });
    });
    on.forEach((d) => {
      const i = entry.workdays.indexOf(d);
      if (!inYear(d))
        out.push({
          path: ['years', key, 'workdays', i],
          message: `${d} is not in ${key}: a year's schedule lists days of that year (or of the December before it)`,
        });
      else if (weekdayOf(d) !== 0 && weekdayOf(d) !== 6) {
        out.push({
          path: ['years', key, 'workdays', i],
          message: `${d} is a ${weekdayName(d)}: a make-up working day (调休上班) falls on a Saturday or Sunday; Monday to Friday are working days already`,
        });
      }
    });
    both(['years', key], off, on);
  }
  return out;
}

const dayList = z.array(z.string()).default([]);

/** Schema of the `holidays` config: flat extra days off and on, and whole years' official schedules. */
export const holidayOverridesSchema = z
  .strictObject({
    /** Extra days off, any year (e.g. a local holiday); they do not extend the calendar's coverage. */
    holidays: dayList,
    /** Extra working days, any year. */
    workdays: dayList,
    /** A whole year's official 放假调休 schedule by year "YYYY": entering it marks the year as covered. */
    years: z.record(z.string(), z.strictObject({ holidays: z.array(z.string()), workdays: dayList })).default({}),
  })
  .superRefine((o, ctx) => {
    for (const p of scheduleProblems(o)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  });

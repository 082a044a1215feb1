/**
 * The working calendar: which civil days (Asia/Shanghai) are working days. Statutory holidays and make-up working days
 * (调休) come from the maintained `chinese-days` dataset behind a small interface, so next year's data, or a local
 * override from the config, drops in without touching the deadline engine.
 */
import chineseDays from 'chinese-days';
import { shanghaiDateKey, shanghaiMidnight } from '../time';

/** Answers whether a civil day is a working day. */
export interface WorkCalendar {
  /** `date` is `YYYY-MM-DD` (Asia/Shanghai). */
  isWorkday(date: string): boolean;
}

/** Extra days off and extra working days, `YYYY-MM-DD`, taking precedence over the dataset. */
export interface CalendarOverrides {
  readonly holidays?: readonly string[];
  readonly workdays?: readonly string[];
}

const DATE_KEY = /^\d{4}-\d{2}-\d{2}$/;

/** Checks override dates: each must be a real calendar date `YYYY-MM-DD`, and no day both off and on. */
function checkedOverrides(o: CalendarOverrides): { off: Set<string>; on: Set<string> } {
  const real = (d: string): boolean => DATE_KEY.test(d) && shanghaiDateKey(shanghaiMidnight(d)) === d;
  for (const d of [...(o.holidays ?? []), ...(o.workdays ?? [])]) {
    if (!real(d)) throw new Error(`calendar override "${d}" is not a date YYYY-MM-DD`);
  }
  const off = new Set(o.holidays ?? []);
  const on = new Set(o.workdays ?? []);
  for (const d of off) if (on.has(d)) throw new Error(`calendar override ${d} is listed both as a holiday and as a working day`);
  return { off, on };
}

/** A calendar from a rule for ordinary days plus overrides, memoised per day (the late-case scan asks often). */
function memoCalendar(base: (date: string) => boolean, overrides: CalendarOverrides): WorkCalendar {
  const { off, on } = checkedOverrides(overrides);
  const memo = new Map<string, boolean>();
  return {
    isWorkday(date: string): boolean {
      let v = memo.get(date);
      if (v === undefined) {
        v = on.has(date) ? true : off.has(date) ? false : base(date);
        if (memo.size > 20_000) memo.clear();
        memo.set(date, v);
      }
      return v;
    },
  };
}

/** The PRC calendar: weekends off, statutory holidays off, 调休 working days on (dataset `chinese-days`), plus overrides. */
export function chineseHolidayCalendar(overrides: CalendarOverrides = {}): WorkCalendar {
  return memoCalendar((date) => chineseDays.isWorkday(date), overrides);
}

/** A plain calendar: Monday to Friday, plus overrides (for places or years the dataset does not cover). */
export function weekdayCalendar(overrides: CalendarOverrides = {}): WorkCalendar {
  return memoCalendar((date) => {
    const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
    return dow !== 0 && dow !== 6;
  }, overrides);
}

/**
 * The working calendar: which civil days (Asia/Shanghai) are working days. Statutory holidays and make-up working days
 * (调休) come from the maintained `chinese-days` dataset behind a small interface, so next year's data, or a local
 * override from the config, drops in without touching the deadline engine. The calendar knows the last day its data
 * covers: past it, holidays are unknown and every weekday counts as a working day — so it says so instead of guessing
 * silently.
 */
import chineseDays from 'chinese-days';
import { scheduleProblems, weekdayOf, type HolidayOverridesInput } from './schedule';

/** Answers whether a civil day is a working day. */
export interface WorkCalendar {
  /** `date` is `YYYY-MM-DD` (Asia/Shanghai). */
  isWorkday(date: string): boolean;
  /** The last day (`YYYY-MM-DD`) whose holidays and 调休 the calendar knows; absent for a plain rule with no end. */
  readonly lastCoveredDay?: string;
}

/** Extra days off and on taking precedence over the dataset, and whole years' official schedules (see `schedule.ts`). */
export type CalendarOverrides = HolidayOverridesInput;

/** Options of the PRC calendar. */
export interface CalendarOptions {
  /** Called the first time (per memo) a day past the last covered day is looked up — a deadline computed on a guess. */
  readonly onUncovered?: (date: string) => void;
}

/** Where a known day comes from: the packaged dataset, a year entered in the config, or a single config override. */
export type DaySource = 'dataset' | 'config_year' | 'config_override';

/** A statutory day off or make-up working day the calendar knows, with its holiday's name when the source gives one. */
export interface KnownDay {
  readonly date: string;
  readonly name: string | null;
  readonly source: DaySource;
}

/** What the calendar knows about one year. */
export interface YearListing {
  readonly year: number;
  /** Whether the year's official schedule is known (dataset or config year). */
  readonly covered: boolean;
  /** Where the year's schedule comes from; null when it is not covered. */
  readonly source: 'dataset' | 'config_year' | null;
  /** Days off of statutory holidays (including weekend days inside a break), in date order. */
  readonly holidays: readonly KnownDay[];
  /** Make-up working days (调休上班), in date order. */
  readonly workdays: readonly KnownDay[];
}

/** Years covered by the packaged dataset: a contiguous run, first and last inclusive. */
export interface DatasetYears {
  readonly firstYear: number;
  readonly lastYear: number;
}

const WEEKDAY_NAMES = new Set(['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']);
// Years probed for dataset coverage: well before the dataset's first (2004) to well after any package release.
const PROBE_FROM = 1990;
const PROBE_TO = 2200;

/**
 * Whether the dataset holds a year's schedule. Every year's notice makes 1 January (元旦) and 1 October (国庆节)
 * statutory days off, so a year in the data names at least one of them; a year outside it answers a weekday name.
 */
function datasetHasYear(year: number): boolean {
  return [`${year}-01-01`, `${year}-10-01`].some((d) => !WEEKDAY_NAMES.has(chineseDays.getDayDetail(d).name));
}

let datasetYearsMemo: DatasetYears | null = null;

/** The years the packaged `chinese-days` dataset covers, read from the data itself (the last contiguous run). */
export function datasetYears(): DatasetYears {
  if (datasetYearsMemo) return datasetYearsMemo;
  let run: DatasetYears | null = null;
  let start: number | null = null;
  for (let y = PROBE_FROM; y <= PROBE_TO + 1; y++) {
    const has = y <= PROBE_TO && datasetHasYear(y);
    if (has && start === null) start = y;
    if (!has && start !== null) {
      run = { firstYear: start, lastYear: y - 1 };
      start = null;
    }
  }
  if (!run) throw new Error('the chinese-days dataset holds no year: the package is broken or was replaced');
  datasetYearsMemo = run;
  return run;
}

/**
 * The last day the PRC calendar with these overrides covers: 31 December of the dataset's last year, moved on by each
 * following year entered in the config without a gap (a schedule for 2028 does not cover 2027). Single extra days do
 * not extend it.
 */
export function lastCoveredDayOf(overrides: CalendarOverrides = {}): string {
  let year = datasetYears().lastYear;
  const years = overrides.years ?? {};
  while (years[String(year + 1)] !== undefined) year++;
  return `${year}-12-31`;
}

/** Checks the overrides (throws with the first problem and its path) and gathers them in sets. */
function checkedOverrides(o: CalendarOverrides): {
  off: Set<string>;
  on: Set<string>;
  yearOff: Set<string>;
  yearOn: Set<string>;
  entered: Set<string>;
} {
  const problems = scheduleProblems(o);
  const first = problems[0];
  if (first)
    throw new Error(`calendar override ${first.path.length ? `${first.path.join('.')}: ` : ''}${first.message}`);
  const yearOff = new Set<string>();
  const yearOn = new Set<string>();
  for (const entry of Object.values(o.years ?? {})) {
    for (const d of entry.holidays) yearOff.add(d);
    for (const d of entry.workdays) yearOn.add(d);
  }
  return {
    off: new Set(o.holidays ?? []),
    on: new Set(o.workdays ?? []),
    yearOff,
    yearOn,
    entered: new Set(Object.keys(o.years ?? {})),
  };
}

const isWeekend = (date: string): boolean => {
  const w = weekdayOf(date);
  return w === 0 || w === 6;
};

/**
 * A calendar from a rule for ordinary days plus overrides, memoised per day (the late-case scan asks often). Precedence:
 * single overrides, then the days of entered years, then — for an entered year — Monday to Friday, else the base rule.
 */
function memoCalendar(
  base: (date: string) => boolean,
  overrides: CalendarOverrides,
  last: string | undefined,
  options: CalendarOptions,
): WorkCalendar {
  const { off, on, yearOff, yearOn, entered } = checkedOverrides(overrides);
  const memo = new Map<string, boolean>();
  const rule = (date: string): boolean => {
    if (on.has(date)) return true;
    if (off.has(date)) return false;
    if (yearOn.has(date)) return true;
    if (yearOff.has(date)) return false;
    return entered.has(date.slice(0, 4)) ? !isWeekend(date) : base(date);
  };
  return {
    lastCoveredDay: last,
    isWorkday(date: string): boolean {
      let v = memo.get(date);
      if (v === undefined) {
        v = rule(date);
        if (memo.size > 20_000) memo.clear();
        memo.set(date, v);
        // Date keys compare as strings; only a memo miss reaches here, so the hook runs about once per day.
        if (last !== undefined && date > last) options.onUncovered?.(date);
      }
      return v;
    },
  };
}

/**
 * The PRC calendar: weekends off, statutory holidays off, 调休 working days on (dataset `chinese-days`), years entered
 * in the config instead of the dataset for those years, plus single overrides. It covers through `lastCoveredDay`.
 */
export function chineseHolidayCalendar(overrides: CalendarOverrides = {}, options: CalendarOptions = {}): WorkCalendar {
  return memoCalendar((date) => chineseDays.isWorkday(date), overrides, lastCoveredDayOf(overrides), options);
}

/** A plain calendar: Monday to Friday, plus overrides (for places or years the dataset does not cover). No end. */
export function weekdayCalendar(overrides: CalendarOverrides = {}): WorkCalendar {
  return memoCalendar((date) => !isWeekend(date), overrides, undefined, {});
}

/** The holiday's Chinese name from a dataset entry ("National Day,国庆节,3" → 国庆节). */
function datasetName(date: string): string | null {
  const name = chineseDays.getDayDetail(date).name;
  return WEEKDAY_NAMES.has(name) ? null : (name.split(',')[1] ?? name);
}

/**
 * The statutory days off and make-up working days the PRC calendar with these overrides knows for `year`: the config's
 * year when entered (plus its days in the December before), else the dataset's; then the single overrides of that year.
 */
export function yearListing(overrides: CalendarOverrides, year: number): YearListing {
  const cal = chineseHolidayCalendar(overrides);
  const key = String(year);
  const entry = overrides.years?.[key];
  const inYear = (d: string) => d.startsWith(`${key}-`);
  const days = new Map<string, KnownDay & { off: boolean }>();
  let source: YearListing['source'] = null;
  if (entry) {
    source = 'config_year';
    for (const d of entry.holidays) days.set(d, { date: d, name: null, source: 'config_year', off: true });
    for (const d of entry.workdays) days.set(d, { date: d, name: null, source: 'config_year', off: false });
  } else if (datasetHasYear(year)) {
    source = 'dataset';
    for (const d of chineseDays.getHolidaysInRange(`${key}-01-01`, `${key}-12-31`, false))
      days.set(d, { date: d, name: datasetName(d), source: 'dataset', off: true });
    for (const d of chineseDays.getWorkdaysInRange(`${key}-01-01`, `${key}-12-31`, true)) {
      if (isWeekend(d)) days.set(d, { date: d, name: datasetName(d), source: 'dataset', off: false });
    }
  }
  for (const d of (overrides.holidays ?? []).filter(inYear))
    days.set(d, { date: d, name: null, source: 'config_override', off: true });
  for (const d of (overrides.workdays ?? []).filter(inYear))
    days.set(d, { date: d, name: null, source: 'config_override', off: false });
  // A listed day another source turns round (e.g. a single override making a dataset holiday a working day) is left out.
  const sorted = [...days.values()]
    .filter((d) => cal.isWorkday(d.date) !== d.off)
    .sort((a, b) => (a.date < b.date ? -1 : 1));
  const strip = ({ date, name, source: s }: KnownDay): KnownDay => ({ date, name, source: s });
  return {
    year,
    covered: source !== null,
    source,
    holidays: sorted.filter((d) => d.off).map(strip),
    workdays: sorted.filter((d) => !d.off).map(strip),
  };
}

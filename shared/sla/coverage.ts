/**
 * How long the working calendar still holds: the last day whose holidays are known, the days left to it at an instant,
 * and whether a deadline set now could fall past it. Past the last covered day every weekday counts as a working day
 * (2027-10-01 would be a working day), so a deadline that reaches there is wrong — the coverage says so in advance.
 */
import { addDays, DAY_MS, shanghaiDateKey, shanghaiMidnight, type EpochMs } from '../time';
import type { WorkingHours } from './calendar';
import type { SlaLimit, SlaRules } from './rules';

/**
 * Calendar days a run of working days can take beyond the weekends, at worst. Scanning every start day of the dataset
 * (2004–2026) for 1 to 30 working days, the worst span is N + 2⌈N/5⌉ (weekends) plus at most 10 days (the 2020 Spring
 * Festival break, extended to 10 days; 元旦 and 春节 in one span at the turn of 2019/2020; 中秋 + 国庆 in 2011); 2 more
 * days of margin for a longer break to come.
 */
export const HOLIDAY_ALLOWANCE_DAYS = 12;

/** Worst-case calendar days (after the start day) to pass `n` working days: weekends, then holidays. */
export function workingDaysSpan(n: number): number {
  return n <= 0 ? 0 : n + 2 * Math.ceil(n / 5) + HOLIDAY_ALLOWANCE_DAYS;
}

/**
 * How many calendar days after the start day a deadline with `limit` can fall, at worst: calendar minutes as days;
 * working minutes as whole working days of `hours` (the start day may have none left); working days as they are.
 */
export function limitHorizonDays(limit: SlaLimit, hours: WorkingHours): number {
  switch (limit.unit) {
    case 'calendar_minutes':
      return Math.ceil(limit.amount / (DAY_MS / 60_000));
    case 'working_minutes':
      return workingDaysSpan(Math.ceil(limit.amount / Math.max(1, hours.minutesPerDay)));
    case 'working_days':
      return workingDaysSpan(limit.amount);
  }
}

/** Every limit of the rules. */
function allLimits(rules: SlaRules): SlaLimit[] {
  return [
    rules.sign,
    rules.callback,
    rules.urgent.sign,
    rules.urgent.handle,
    rules.urgent.callback,
    ...Object.values(rules.handleByType),
    ...Object.values(rules.cityMgmtByCategory),
    rules.cityMgmtDefault,
  ];
}

/**
 * The longest SLA horizon of the rules, in calendar days: how far ahead of today a deadline set today can fall. With
 * the default rules it is the complaint/report handling limit, 15 working days → 15 + 6 + 12 = 33 days.
 */
export function slaHorizonDays(rules: SlaRules, hours: WorkingHours): number {
  return Math.max(0, ...allLimits(rules).map((l) => limitHorizonDays(l, hours)));
}

/** The working calendar's coverage at an instant. Dates are `YYYY-MM-DD` (Asia/Shanghai); days are civil days. */
export interface CalendarCoverage {
  /** Today at the instant asked. */
  readonly today: string;
  /** The last day whose statutory holidays and make-up days are known. */
  readonly lastCoveredDay: string;
  /** The day after it: the first day counted as if it had no holiday. */
  readonly firstUncoveredDay: string;
  /** Days from today to the last covered day: 0 on that day, negative once past it. */
  readonly daysLeft: number;
  /** The longest SLA horizon, in calendar days (see `slaHorizonDays`). */
  readonly horizonDays: number;
  /** Today + the horizon: the latest day a deadline set today can fall on. */
  readonly horizonEnd: string;
  /** Null while the horizon stays within coverage; otherwise what is wrong and how to fix it (Chinese, for the banner). */
  readonly warning: string | null;
}

/** The coverage at `now` (ms) of a calendar covering through `lastCoveredDay`, for deadlines up to `horizonDays` ahead. */
export function calendarCoverage(lastCoveredDay: string, horizonDays: number, now: EpochMs): CalendarCoverage {
  const today = shanghaiDateKey(now);
  const daysLeft = Math.round((shanghaiMidnight(lastCoveredDay) - shanghaiMidnight(today)) / DAY_MS);
  const firstUncoveredDay = addDays(lastCoveredDay, 1);
  const horizonEnd = addDays(today, horizonDays);
  const warning =
    horizonEnd > lastCoveredDay ? coverageWarning(lastCoveredDay, firstUncoveredDay, daysLeft, horizonDays) : null;
  return { today, lastCoveredDay, firstUncoveredDay, daysLeft, horizonDays, horizonEnd, warning };
}

/** The warning text: what is wrong since when, and how to enter the official schedule. */
function coverageWarning(last: string, first: string, daysLeft: number, horizonDays: number): string {
  const year = first.slice(0, 4);
  const state =
    daysLeft >= 0
      ? `工作日历只覆盖到 ${last}（还剩 ${daysLeft} 天）：${first} 起的法定节假日和调休尚未录入，将按普通工作日计算，${horizonDays} 天内到期的办理时限可能算错。`
      : `工作日历只覆盖到 ${last}（已超出 ${-daysLeft} 天）：${first} 起的法定节假日和调休未录入，正按普通工作日计算，办理时限可能已算错。`;
  return `${state}请按国务院办公厅 ${year} 年部分节假日安排的通知，在配置文件（CITYOPS_CONFIG）的 holidays.years."${year}" 中录入全部放假日期（holidays）和调休上班日期（workdays）后重启服务；可用 npm run calendar -- --year ${year} 核对（见 README「工作日历」）。`;
}

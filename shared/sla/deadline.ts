/**
 * The deadline engine: adds a limit to a start time on the working calendar, measures how much of the allowed time is
 * used, and colours a clock (ok → warn at 50% → at risk at 75% → overdue at 100%, fractions from the config).
 * Calendar-time limits (urgent cases) ignore the calendar; working limits count only working hours of working days.
 */
import { addDays, DAY_MS, MINUTE_MS, shanghaiDateKey, shanghaiMidnight, type EpochMs } from '../time';
import type { WorkingHours } from './calendar';
import type { WorkCalendar } from './holidays';
import type { SlaLimit } from './rules';

/** Where deadlines are computed: the working calendar and the working hours. */
export interface SlaEnv {
  readonly calendar: WorkCalendar;
  readonly hours: WorkingHours;
}

/** Fractions of the allowed time at which a clock turns warn and at risk (overdue is 1). */
export interface ClockThresholds {
  readonly warn: number;
  readonly atRisk: number;
}

/** Colour of a running clock. */
export type ClockStatus = 'ok' | 'warn' | 'at_risk' | 'overdue';

/** A search for working time gives up after this many days without any (a calendar with no working days). */
const MAX_DAYS = 3_700;

/** Working segments [from, to) of the days from `start`'s day onwards, clipped to start at `start`. */
function* workingSegments(env: SlaEnv, start: EpochMs): Generator<readonly [EpochMs, EpochMs]> {
  let day = shanghaiDateKey(start);
  for (let i = 0; i < MAX_DAYS; i++, day = addDays(day, 1)) {
    if (!env.calendar.isWorkday(day)) continue;
    const midnight = shanghaiMidnight(day);
    for (const span of env.hours.spans) {
      const to = midnight + span.end * MINUTE_MS;
      if (to <= start) continue;
      yield [Math.max(start, midnight + span.start * MINUTE_MS), to];
    }
  }
  throw new Error(`no working time within ${MAX_DAYS} days of ${new Date(start).toISOString()}: check the calendar`);
}

/** The instant `minutes` working minutes after `start` (0 → `start` itself, even outside working hours). */
export function addWorkingMinutes(env: SlaEnv, start: EpochMs, minutes: number): EpochMs {
  if (minutes <= 0) return start;
  let left = minutes * MINUTE_MS;
  for (const [from, to] of workingSegments(env, start)) {
    if (left <= to - from) return from + left;
    left -= to - from;
  }
  /* c8 ignore next */ throw new Error('unreachable');
}

/** Working minutes between `a` and `b` (0 when b ≤ a). */
export function workingMinutesBetween(env: SlaEnv, a: EpochMs, b: EpochMs): number {
  if (b <= a) return 0;
  let ms = 0;
  let day = shanghaiDateKey(a);
  const lastDay = shanghaiDateKey(b);
  for (let i = 0; i < MAX_DAYS; i++, day = addDays(day, 1)) {
    if (env.calendar.isWorkday(day)) {
      const midnight = shanghaiMidnight(day);
      for (const span of env.hours.spans) {
        const from = Math.max(a, midnight + span.start * MINUTE_MS);
        const to = Math.min(b, midnight + span.end * MINUTE_MS);
        if (to > from) ms += to - from;
      }
    }
    if (day === lastDay) break;
  }
  return ms / MINUTE_MS;
}

/**
 * The end of the `days`-th working day after `start`'s day (the day of the start does not count, as in
 * "自受理之日起 N 个工作日内"): its last working minute.
 */
export function addWorkingDays(env: SlaEnv, start: EpochMs, days: number): EpochMs {
  let day = shanghaiDateKey(start);
  let counted = 0;
  for (let i = 0; i < MAX_DAYS && counted < days; i++) {
    day = addDays(day, 1);
    if (env.calendar.isWorkday(day)) counted++;
  }
  if (counted < days)
    throw new Error(
      `no ${days} working days within ${MAX_DAYS} days of ${new Date(start).toISOString()}: check the calendar`,
    );
  const last = env.hours.spans[env.hours.spans.length - 1];
  return shanghaiMidnight(day) + (last ? last.end : 24 * 60) * MINUTE_MS;
}

/** The deadline of a clock with `limit` started at `start`. */
export function computeDeadline(env: SlaEnv, limit: SlaLimit, start: EpochMs): EpochMs {
  switch (limit.unit) {
    case 'calendar_minutes':
      return start + limit.amount * MINUTE_MS;
    case 'working_minutes':
      return addWorkingMinutes(env, start, limit.amount);
    case 'working_days':
      return addWorkingDays(env, start, limit.amount);
  }
}

/**
 * The share of the allowed time used at `now`: elapsed ÷ allowed, both in the limit's kind of time (calendar time for
 * calendar limits, working time otherwise). The deadline may have been moved (督办, extension): allowed time runs to it.
 */
export function usedFraction(env: SlaEnv, limit: SlaLimit, start: EpochMs, deadline: EpochMs, now: EpochMs): number {
  if (now >= deadline)
    return now === deadline && deadline === start ? 1 : Math.max(1, (now - start) / Math.max(1, deadline - start));
  if (now <= start) return 0;
  if (limit.unit === 'calendar_minutes' || deadline - start > 400 * DAY_MS) return (now - start) / (deadline - start);
  const allowed = workingMinutesBetween(env, start, deadline);
  // A deadline moved to outside working time can leave no working time before it: fall back to calendar time.
  if (allowed <= 0) return (now - start) / (deadline - start);
  return workingMinutesBetween(env, start, now) / allowed;
}

/** The colour of a running clock at `now`. Overdue strictly after the deadline. */
export function clockStatus(
  env: SlaEnv,
  limit: SlaLimit,
  start: EpochMs,
  deadline: EpochMs,
  now: EpochMs,
  t: ClockThresholds,
): ClockStatus {
  if (now > deadline) return 'overdue';
  const used = usedFraction(env, limit, start, deadline, now);
  if (used >= t.atRisk) return 'at_risk';
  if (used >= t.warn) return 'warn';
  return 'ok';
}

/**
 * Whether a deadline was counted on days the working calendar does not cover (their statutory holidays unknown, so
 * counted as working days): a working-time limit whose deadline falls after `lastCoveredDay` (`YYYY-MM-DD`, Asia/Shanghai).
 * Calendar-time limits never are. O(1) — one memoised date key and a string compare — so every clock shown can ask.
 */
export function deadlinePastCoverage(limit: SlaLimit, deadline: EpochMs, lastCoveredDay: string | undefined): boolean {
  return (
    limit.unit !== 'calendar_minutes' && lastCoveredDay !== undefined && shanghaiDateKey(deadline) > lastCoveredDay
  );
}

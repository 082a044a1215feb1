/**
 * How late a case is: the one rule the wall, the case list, the case page, the exports and the monitor judge by.
 *
 * A running clock is overdue strictly after its deadline and at risk once the share of its allowed time used reaches
 * the at-risk fraction (`usedFraction` in `deadline.ts`). That share is costly to compute and cannot be indexed, so a
 * clock is judged from its marks: its deadline and the instant it turns at risk (`riskAt`), both fixed while the clock
 * runs. The read model stores the marks as columns, and the list filters with `LATENESS_TESTS` — the same range tests
 * `latenessAt` evaluates — so a filter in SQL and a judgement in memory cannot disagree.
 */
import type { ClockId } from '../domain';
import type { ClockState } from '../cases/state';
import { addWorkingMinutes, usedFraction, workingMinutesBetween, type ClockThresholds, type SlaEnv } from './deadline';
import type { SlaLimit } from './rules';
import { DAY_MS, MINUTE_MS, type EpochMs } from '../time';

/** A case's lateness now: its worst running clock's, or `closed` once closed or merged. */
export type Lateness = 'overdue' | 'at_risk' | 'ok' | 'closed';

/** The lateness of one running clock. */
export type ClockLateness = Exclude<Lateness, 'closed'>;

/** The lateness a list can be filtered by: overdue, at risk, or either (`late`). */
export type LateFilter = 'overdue' | 'at_risk' | 'late';

/** Order of lateness, worst highest (a case shows its worst clock). */
const LATENESS_RANK: Readonly<Record<Lateness, number>> = { closed: -1, ok: 0, at_risk: 1, overdue: 2 };

/** The indexed form of a running clock (ms): its deadline and the first instant it is at risk (never after the deadline). */
export interface ClockMarks {
  readonly deadline: EpochMs;
  readonly riskAt: EpochMs;
}

/** How a mark compares with the instant judged at: `mark < at`, `mark <= at` or `mark >= at`. */
export type MarkComparison = '<' | '<=' | '>=';

/** One range test on a clock's marks: `marks[mark] cmp at`. */
export interface MarkTest {
  readonly mark: keyof ClockMarks;
  readonly cmp: MarkComparison;
}

/**
 * The range tests that make a clock overdue, at risk or late at an instant. They hold for a case's earliest marks over
 * its running clocks exactly when they hold for its worst clock, so the read model's `next_*` columns answer them too.
 */
export const LATENESS_TESTS: Readonly<Record<LateFilter, readonly MarkTest[]>> = {
  overdue: [{ mark: 'deadline', cmp: '<' }],
  at_risk: [
    { mark: 'deadline', cmp: '>=' },
    { mark: 'riskAt', cmp: '<=' },
  ],
  late: [{ mark: 'riskAt', cmp: '<=' }],
};

function passes(tests: readonly MarkTest[], m: ClockMarks, at: EpochMs): boolean {
  for (const t of tests) {
    const v = m[t.mark];
    if (t.cmp === '<' ? !(v < at) : t.cmp === '<=' ? !(v <= at) : !(v >= at)) return false;
  }
  return true;
}

/** Whether `at` is past `deadline` (ms): late strictly after the deadline, on time at it. */
export function pastDeadline(deadline: EpochMs, at: EpochMs): boolean {
  return passes(LATENESS_TESTS.overdue, { deadline, riskAt: deadline }, at);
}

/** Whether a stopped clock stopped in time (at or before its deadline); false for a clock that has not stopped. */
export function stoppedOnTime(clock: ClockState | null): boolean {
  return clock !== null && clock.stoppedAt !== null && !pastDeadline(clock.deadline, clock.stoppedAt);
}

/** The lateness at `at` (ms) of a running clock with these marks. */
export function latenessAt(m: ClockMarks, at: EpochMs): ClockLateness {
  if (passes(LATENESS_TESTS.overdue, m, at)) return 'overdue';
  return passes(LATENESS_TESTS.at_risk, m, at) ? 'at_risk' : 'ok';
}

/**
 * The instant (ms, rounded up) a clock turns at risk: the first time its used fraction reaches `atRisk`. Mirrors
 * `usedFraction` branch by branch so `now >= riskAt && now <= deadline` is `clockStatus(...) === 'at_risk'`.
 */
function riskAt(env: SlaEnv, limit: SlaLimit, start: EpochMs, deadline: EpochMs, atRisk: number): EpochMs {
  if (deadline <= start) return deadline;
  if (atRisk <= 0) return start;
  const calendar = (): EpochMs => Math.ceil(start + atRisk * (deadline - start));
  if (limit.unit === 'calendar_minutes' || deadline - start > 400 * DAY_MS) return calendar();
  const allowed = workingMinutesBetween(env, start, deadline);
  if (allowed <= 0) return calendar();
  let t = Math.min(deadline, Math.ceil(addWorkingMinutes(env, start, atRisk * allowed)));
  // Float rounding can put the instant a millisecond either side: settle it against usedFraction itself.
  for (let i = 0; i < 4 && t > start && usedFraction(env, limit, start, deadline, t - 1) >= atRisk; i++) t--;
  for (let i = 0; i < 4 && t < deadline && usedFraction(env, limit, start, deadline, t) < atRisk; i++) t++;
  return t;
}

/**
 * Marks already computed, per calendar and at-risk fraction, per immutable clock object (a moved deadline is a new clock
 * object). Every running clock of every open case has an entry: it holds the marks alone (100,000 open cases, two
 * clocks each, cost 14 MB more when each entry also carried the calendar and fraction it was computed for).
 */
const marksCache = new WeakMap<SlaEnv, Map<number, WeakMap<ClockState, ClockMarks>>>();

/** The memo of marks computed on `env` with the at-risk fraction `atRisk`. */
function marksMemo(env: SlaEnv, atRisk: number): WeakMap<ClockState, ClockMarks> {
  let byFraction = marksCache.get(env);
  if (!byFraction) marksCache.set(env, (byFraction = new Map()));
  let memo = byFraction.get(atRisk);
  if (!memo) byFraction.set(atRisk, (memo = new WeakMap()));
  return memo;
}

/** The marks of `clock` from `memo` (the one of `env` and `atRisk`), computed and kept there the first time. */
function memoMarks(memo: WeakMap<ClockState, ClockMarks>, env: SlaEnv, atRisk: number, clock: ClockState): ClockMarks {
  const hit = memo.get(clock);
  if (hit) return hit;
  const marks = { deadline: clock.deadline, riskAt: riskAt(env, clock.limit, clock.start, clock.deadline, atRisk) };
  memo.set(clock, marks);
  return marks;
}

/** The marks of a clock on `env` with the at-risk fraction of `t` (memoised per clock object). */
export function clockMarks(env: SlaEnv, clock: ClockState, t: Pick<ClockThresholds, 'atRisk'>): ClockMarks {
  return memoMarks(marksMemo(env, t.atRisk), env, t.atRisk, clock);
}

/**
 * The marks of any clock on `env` with the at-risk fraction of `t`, memoised per clock object: the memo is looked up
 * once, for scans that ask for every running clock of every open case.
 */
export function marksOn(env: SlaEnv, t: Pick<ClockThresholds, 'atRisk'>): (clock: ClockState) => ClockMarks {
  const memo = marksMemo(env, t.atRisk);
  return (clock) => memoMarks(memo, env, t.atRisk, clock);
}

/** The lateness at `now` (ms) of a running clock. */
export function clockLateness(
  env: SlaEnv,
  clock: ClockState,
  now: EpochMs,
  t: Pick<ClockThresholds, 'atRisk'>,
): ClockLateness {
  return latenessAt(clockMarks(env, clock, t), now);
}

/** The earliest marks over a case's running clocks (each mark on its own), or null when none runs. */
export function earliestMarks(marks: Iterable<ClockMarks>): ClockMarks | null {
  let out: { deadline: EpochMs; riskAt: EpochMs } | null = null;
  for (const m of marks) {
    if (!out) out = { deadline: m.deadline, riskAt: m.riskAt };
    else out = { deadline: Math.min(out.deadline, m.deadline), riskAt: Math.min(out.riskAt, m.riskAt) };
  }
  return out;
}

/** A case's lateness with the clock that makes it (its worst; the nearest deadline among equals) and that deadline (ms). */
export interface CaseLateness {
  readonly lateness: Lateness;
  readonly clock: ClockId | null;
  readonly deadline: EpochMs | null;
}

/**
 * The lateness at `now` (ms) of an open case whose running clocks have these marks (in sign, handle, callback order):
 * its worst clock, the one with the nearest deadline among equally late ones. `ok` with no clock when none runs.
 */
export function worstLateness(
  clocks: Iterable<{ readonly id: ClockId; readonly marks: ClockMarks }>,
  now: EpochMs,
): CaseLateness {
  let worst: CaseLateness = { lateness: 'ok', clock: null, deadline: null };
  for (const { id, marks } of clocks) {
    const l = latenessAt(marks, now);
    const rank = LATENESS_RANK[l] - LATENESS_RANK[worst.lateness];
    if (worst.clock === null || rank > 0 || (rank === 0 && marks.deadline < (worst.deadline ?? Infinity)))
      worst = { lateness: l, clock: id, deadline: marks.deadline };
  }
  return worst;
}

/** Minutes a deadline is past at `now` (0 if not past, or no deadline). */
export function overdueMinutes(deadline: EpochMs | null, now: EpochMs): number {
  return deadline !== null && pastDeadline(deadline, now) ? Math.floor((now - deadline) / MINUTE_MS) : 0;
}

/**
 * Watches the working calendar's coverage: says at start and once a day, loudly, when a deadline set now could fall
 * past the last day whose holidays are known; counts the days past it that deadlines were actually computed on; answers
 * the coverage for /readyz, /metrics and the calendar API. The daily check runs on a guarded, unref'd timer: a throwing
 * check is logged and retried shortly, and close() stops it.
 */
import type { CityopsConfig } from '@shared/config';
import { parseWorkingHours } from '@shared/sla/calendar';
import { calendarCoverage, slaHorizonDays, type CalendarCoverage } from '@shared/sla/coverage';
import { datasetYears, lastCoveredDayOf, yearListing, type DatasetYears, type YearListing } from '@shared/sla/holidays';

/** Where the watch writes. */
export type CalendarLog = Pick<Console, 'info' | 'warn' | 'error'>;

/** What the watch needs. */
export interface CalendarWatchDeps {
  readonly config: CityopsConfig;
  /** The wall clock, ms. */
  readonly now: () => number;
  readonly log?: CalendarLog;
  /** Counts each distinct day past coverage a deadline was computed on. */
  readonly onUncoveredCounted?: () => void;
  /** Between checks, ms (default one day). */
  readonly intervalMs?: number;
  /** Before retrying a check that threw, ms (default one minute, at most the interval). */
  readonly retryMs?: number;
}

const DAY = 86_400_000;
// Distinct uncovered days remembered (a deadline scan touches a few dozen; the bound only guards memory).
const SEEN_MAX = 10_000;

/** The calendar's sources: the dataset's years and the years entered in the config. */
export interface CalendarSources {
  readonly dataset: DatasetYears & { readonly package: 'chinese-days' };
  readonly configYears: readonly number[];
}

/** The coverage watch of one app. */
export class CalendarWatch {
  /** The last day whose holidays are known. */
  readonly lastCoveredDay: string;
  /** The longest SLA horizon of the configured rules, calendar days. */
  readonly horizonDays: number;
  private readonly log: CalendarLog;
  private readonly seen = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Checks that threw (each logged). */
  failures = 0;

  constructor(private readonly deps: CalendarWatchDeps) {
    this.log = deps.log ?? console;
    this.lastCoveredDay = lastCoveredDayOf(deps.config.holidays);
    this.horizonDays = slaHorizonDays(deps.config.sla, parseWorkingHours(deps.config.workingHours));
  }

  /** The coverage now. */
  coverage(): CalendarCoverage {
    return calendarCoverage(this.lastCoveredDay, this.horizonDays, this.deps.now());
  }

  /** Where the calendar's data comes from. */
  sources(): CalendarSources {
    return {
      dataset: { package: 'chinese-days', ...datasetYears() },
      configYears: Object.keys(this.deps.config.holidays.years)
        .map(Number)
        .sort((a, b) => a - b),
    };
  }

  /** The holidays and make-up days the calendar knows for a year. */
  year(year: number): YearListing {
    return yearListing(this.deps.config.holidays, year);
  }

  /** Distinct days past coverage that deadlines or clocks were computed on. */
  get uncoveredDaysUsed(): number {
    return this.seen.size;
  }

  /** The calendar's hook: a day past coverage was looked up. Logs the first one loudly; counts each distinct day. */
  readonly onUncovered = (date: string): void => {
    if (this.seen.has(date) || this.seen.size >= SEEN_MAX) return;
    this.seen.add(date);
    this.deps.onUncoveredCounted?.();
    if (this.seen.size === 1) {
      this.log.warn(
        `WARNING working calendar: a deadline was computed on ${date}, past the last day whose holidays are known (${this.lastCoveredDay}); statutory holidays there count as working days. ${this.coverage().warning ?? ''}`,
      );
    }
  };

  /** Logs the coverage: a warning when a deadline set now could fall past it, else one line (at start). */
  check(atStart = false): void {
    const c = this.coverage();
    if (c.warning) {
      const state = c.daysLeft >= 0 ? `${c.daysLeft} days left` : `${-c.daysLeft} days past it`;
      this.log.warn(
        `WARNING working calendar: holidays are known only through ${c.lastCoveredDay} (${state}); from ${c.firstUncoveredDay} statutory holidays count as working days and deadlines up to ${c.horizonDays} days ahead (to ${c.horizonEnd}) may be wrong; ${this.seen.size} day(s) past coverage used so far. Enter the State Council's ${c.firstUncoveredDay.slice(0, 4)} schedule under holidays.years in CITYOPS_CONFIG (README "Working calendar"). ${c.warning}`,
      );
    } else if (atStart) {
      this.log.info(
        `working calendar: holidays known through ${c.lastCoveredDay} (${c.daysLeft} days left; deadlines reach ${c.horizonDays} days ahead)`,
      );
    }
  }

  /** Checks now, then once per interval on an unref'd timer. */
  start(): void {
    this.tick(true);
  }

  /** Whether the timer is set (between start() and close()). */
  get running(): boolean {
    return this.timer !== null;
  }

  /** Stops the timer. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private tick(atStart = false): void {
    if (this.closed) return;
    const interval = this.deps.intervalMs ?? DAY;
    let next = interval;
    try {
      this.check(atStart);
    } catch (err) {
      this.failures++;
      next = Math.min(interval, this.deps.retryMs ?? 60_000);
      try {
        this.log.error(
          `working calendar check failed (retrying in ${next >= 1000 ? `${Math.round(next / 1000)} s` : `${next} ms`}):`,
          err,
        );
      } catch {
        /* the log itself failed: nothing more to do */
      }
    }
    this.timer = setTimeout(() => this.tick(), next);
    this.timer.unref();
  }
}

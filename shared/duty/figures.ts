/**
 * The duty figures of a period (a shift, a month): 接报及时率 — the share of items acknowledged within their limit;
 * the median time to acknowledge; 信息报送及时率 — the share of report limits (first, written) met. An item counts in
 * the period its condition began in. A limit still running is not judged yet; one past due and not met is late, so a
 * desk nobody answers scores 0. Pure.
 */
import type { SlaEnv } from '../sla/deadline';
import { MINUTE_MS, shanghaiDateKey, shanghaiMidnight, type EpochMs } from '../time';
import type { DutyConfig } from './config';
import type { DutyItem } from './items';
import { itemLimits, type LimitStatus } from './limits';

/** The duty figures of a period: counts, shares 0–1 (null when nothing is judged), the median in minutes. */
export interface DutyFigures {
  /** Items whose condition began in the period. */
  readonly items: number;
  /** Items whose acknowledgement limit is settled (met, late, or past due unacknowledged). */
  readonly ackJudged: number;
  readonly ackOnTime: number;
  /** 接报及时率: ackOnTime / ackJudged. */
  readonly ackTimely: number | null;
  /** Median minutes from an item's start to its acknowledgement, over the acknowledged items (one decimal). */
  readonly medianAckMin: number | null;
  /** Report limits (first report, written report) settled. */
  readonly reportJudged: number;
  readonly reportOnTime: number;
  /** 信息报送及时率: reportOnTime / reportJudged. */
  readonly reportTimely: number | null;
}

const settled = (l: LimitStatus): boolean => l.state === 'met' || l.state === 'late' || l.state === 'red';

/** The median of numbers (null when empty). */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The duty figures at `now` (ms) of the items whose condition began in [`from`, `to`) (ms). */
export function dutyFigures(
  items: Iterable<DutyItem>,
  config: DutyConfig,
  env: SlaEnv,
  from: EpochMs,
  to: EpochMs,
  now: EpochMs,
): DutyFigures {
  let n = 0;
  let ackJudged = 0;
  let ackOnTime = 0;
  let reportJudged = 0;
  let reportOnTime = 0;
  const ackMin: number[] = [];
  for (const it of items) {
    if (it.since < from || it.since >= to) continue;
    n++;
    // The at-risk share only colours running limits, which are not judged here.
    const l = itemLimits(config, env, it, now, 1);
    if (settled(l.ack)) {
      ackJudged++;
      if (l.ack.state === 'met') ackOnTime++;
    }
    if (it.ack) ackMin.push((it.ack.at - it.since) / MINUTE_MS);
    for (const r of [l.firstReport, l.writtenReport]) {
      if (r === null || !settled(r)) continue;
      reportJudged++;
      if (r.state === 'met') reportOnTime++;
    }
  }
  const m = median(ackMin);
  return {
    items: n,
    ackJudged,
    ackOnTime,
    ackTimely: ackJudged ? ackOnTime / ackJudged : null,
    medianAckMin: m === null ? null : Math.round(Math.max(0, m) * 10) / 10,
    reportJudged,
    reportOnTime,
    reportTimely: reportJudged ? reportOnTime / reportJudged : null,
  };
}

/** The duty figures of the shift on now (null when the roster has none) and of the month to date, as the desk and wall show them. */
export interface PeriodFigures {
  readonly shift: (DutyFigures & { readonly name: string; readonly start: EpochMs; readonly end: EpochMs }) | null;
  /** `YYYY-MM` (Asia/Shanghai) and its figures so far. */
  readonly month: DutyFigures & { readonly month: string };
}

/** The start of the month of `ms` and of the next one, ms (Asia/Shanghai). */
export function monthWindow(ms: EpochMs): { month: string; from: EpochMs; to: EpochMs } {
  const month = shanghaiDateKey(ms).slice(0, 7);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { month, from: shanghaiMidnight(`${month}-01`), to: shanghaiMidnight(`${next}-01`) };
}

/** The figures of `shift` (its name and window, ms; null for none) and of the month of `now` (ms), from the items. */
export function periodFigures(
  items: readonly DutyItem[],
  config: DutyConfig,
  env: SlaEnv,
  shift: { name: string; start: EpochMs; end: EpochMs } | null,
  now: EpochMs,
): PeriodFigures {
  const m = monthWindow(now);
  return {
    shift: shift ? { ...shift, ...dutyFigures(items, config, env, shift.start, shift.end, now) } : null,
    month: { month: m.month, ...dutyFigures(items, config, env, m.from, m.to, now) },
  };
}

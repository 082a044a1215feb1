/**
 * Unit scorecards and the monthly report from the read model. A period's figures follow the cohort of cases received
 * in it (a case counts once, with everything that has happened to it so far); exempt (不计考核) cases are left out of
 * scoring. Weights and targets come from the configuration (`config.scoring`), the score from the seeds' rule.
 */
import type { CityopsConfig } from '@shared/config';
import { dutyReport, type DutyReport, type HandoverTimes } from '@shared/duty/report';
import { placeShift, type PlacedShift } from '@shared/projection/duty';
import { caseKpis, emptyCaseCounts, type CaseCounts, type CaseKpis } from '@shared/kpi/rates';
import { rankUnits, scoreUnit, type Indicator, type Scorecard } from '@shared/kpi/scoring';
import { addDays, shanghaiDateKey, shanghaiMidnight, type EpochMs } from '@shared/time';
import type { MonthlyReport, Period, Scorecards, UnitScore } from '@shared/cases/reports';
import type { CaseReadModel } from './readModel';
import { latenessSql } from './rows';

export type { MonthlyReport, Period, Scorecards, UnitScore };

/** The month `YYYY-MM` as a period (Asia/Shanghai). */
export function monthPeriod(month: string): Period {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { label: month, from: shanghaiMidnight(`${month}-01`), to: shanghaiMidnight(`${next}-01`) };
}

function score(indicators: readonly Indicator[], k: CaseKpis, minJudged: number): Scorecard {
  return scoreUnit(indicators, k as unknown as Record<string, number | null>, minJudged);
}

/** The month of an instant, `YYYY-MM`. */
export function monthOf(ms: EpochMs): string {
  return shanghaiDateKey(ms).slice(0, 7);
}

/** The month `n` months before `month`. */
export function monthBefore(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const i = y * 12 + (m - 1) - n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

const SUMS: readonly [keyof CaseCounts, string][] = [
  ['received', 'count(*)'],
  ['needDispatch', 'sum(need_dispatch)'],
  ['dispatched', 'sum(dispatched)'],
  ['signed', 'sum(signed)'],
  ['signedOnTime', 'sum(signed_on_time)'],
  ['replied', 'sum(replied)'],
  ['repliedOnTime', 'sum(replied_on_time)'],
  ['closed', 'sum(closed)'],
  ['evaluated', 'sum(evaluated)'],
  ['satisfied', 'sum(satisfied)'],
  ['rejected', 'sum(rejected)'],
  ['reopened', 'sum(reopened)'],
  ['reopenedSigned', 'sum(reopened_signed)'],
  ['calledBack', 'sum(called_back)'],
  ['emergency', 'sum(emergency)'],
  ['emergencyOnTime', 'sum(emergency_on_time)'],
];

/** Rows of cases overdue at the instant bound to the `?` (the lateness rule's test on the earliest running deadline). */
const OVERDUE_AT = `open = 1 AND ${latenessSql('overdue', undefined, '?').join(' AND ')}`;

/** Each unit's counts over the cases received in a period (exempt cases left out). */
export function unitCounts(model: CaseReadModel, space: string, p: Period): Map<string, CaseCounts> {
  model.flush();
  const rows = model.db
    .prepare(
      `SELECT unit, ${SUMS.map(([, s]) => s).join(', ')} FROM cases
    WHERE space = ? AND unit IS NOT NULL AND exempt = 0 AND received_at >= ? AND received_at < ? GROUP BY unit`,
    )
    .raw()
    .all(space, p.from, p.to) as [string, ...number[]][];
  const out = new Map<string, CaseCounts>();
  for (const [unit, ...sums] of rows) {
    const c = emptyCaseCounts();
    SUMS.forEach(([k], i) => {
      c[k] = sums[i] ?? 0;
    });
    out.set(unit, c);
  }
  return out;
}

/** Scores every configured unit over `period`, ranks them, and scores the `trendMonths` months before it for the trend. */
export function scorecards(
  model: CaseReadModel,
  config: CityopsConfig,
  space: string,
  period: Period,
  now: EpochMs,
  trendMonths = 5,
): Scorecards {
  const indicators = config.scoring;
  const counts = unitCounts(model, space, period);
  const months = Array.from({ length: trendMonths }, (_, i) => monthBefore(monthOf(period.from), trendMonths - i));
  const past = months.map((m) => ({ m, counts: unitCounts(model, space, monthPeriod(m)) }));
  const overdue = new Map(
    model.db
      .prepare(`SELECT unit, count(*) FROM cases WHERE space = ? AND ${OVERDUE_AT} AND unit IS NOT NULL GROUP BY unit`)
      .raw()
      .all(space, now) as [string, number][],
  );
  const names = new Map(config.units.map((u) => [u.id, u.name]));
  const ids = [...new Set([...config.units.map((u) => u.id), ...counts.keys()])];
  const units = ids.map((id) => {
    const kpis = caseKpis(counts.get(id) ?? emptyCaseCounts());
    const scorecard = score(indicators, kpis, config.scoringMinJudged);
    const trend = past.map(({ m, counts: c }) => {
      const k = c.get(id);
      const card = k ? score(indicators, caseKpis(k), config.scoringMinJudged) : null;
      return { period: m, total: card && !card.insufficient ? card.total : null };
    });
    return {
      id,
      name: names.get(id) ?? id,
      total: scorecard.total,
      max: scorecard.max,
      insufficient: scorecard.insufficient,
      scorecard,
      kpis,
      trend,
      overdueNow: overdue.get(id) ?? 0,
    };
  });
  return { period, indicators, minJudgedShare: config.scoringMinJudged, units: rankUnits(units) };
}

/**
 * The duty desk's month from the read model: the items that began in it, the handovers of its shift changes, each
 * shift of the roster — judged at `now` by the desk's own formula (`dutyReport`, `dutyFigures`).
 */
export function monthDuty(
  model: CaseReadModel,
  config: CityopsConfig,
  space: string,
  period: Period,
  now: EpochMs,
): DutyReport {
  const first = shanghaiDateKey(period.from);
  const last = shanghaiDateKey(period.to - 1);
  // The day before holds the shift running into the month's first hours; the day after, the shift after the last one.
  const h = model.dutyHistory(space, period.from, period.to, addDays(first, -1), addDays(last, 1));
  const shifts: PlacedShift[] = [];
  for (const [date, roster] of h.rosters) for (const s of roster) shifts.push(placeShift(date, s));
  const times = new Map<string, HandoverTimes>(
    h.handovers.map((r) => [r.id, { submittedAt: r.submitted.at, signedAt: r.signed?.at ?? null }]),
  );
  return dutyReport(h.items, shifts, times, h.since, config.duty, model.ctx.lifecycle.env, period.from, period.to, now);
}

/** Builds the monthly report of `month` (`YYYY-MM`). */
export function monthlyReport(
  model: CaseReadModel,
  config: CityopsConfig,
  space: string,
  month: string,
  now: EpochMs,
): MonthlyReport {
  const period = monthPeriod(month);
  const cards = scorecards(model, config, space, period, now, 2);
  const db = model.db;
  const range = [space, period.from, period.to] as const;
  const byChannel = db
    .prepare(
      'SELECT channel, count(*) n FROM cases WHERE space = ? AND received_at >= ? AND received_at < ? GROUP BY channel ORDER BY n DESC',
    )
    .all(...range) as { channel: string; n: number }[];
  const byCategory = db
    .prepare(
      'SELECT category, count(*) n FROM cases WHERE space = ? AND received_at >= ? AND received_at < ? GROUP BY category ORDER BY n DESC',
    )
    .all(...range) as { category: string; n: number }[];
  const byDay = db
    .prepare(
      `SELECT strftime('%Y-%m-%d', (received_at + 28800000) / 1000, 'unixepoch') day, count(*) n FROM cases
    WHERE space = ? AND received_at >= ? AND received_at < ? GROUP BY day ORDER BY day`,
    )
    .all(...range) as { day: string; n: number }[];
  const topIssues = db
    .prepare(
      `SELECT category, street, count(*) n, sum(CASE WHEN ${OVERDUE_AT} THEN 1 ELSE 0 END) overdue FROM cases
    WHERE space = ? AND received_at >= ? AND received_at < ? GROUP BY category, street ORDER BY n DESC LIMIT 10`,
    )
    .all(now, ...range) as MonthlyReport['topIssues'][number][];
  const t = db
    .prepare(
      `SELECT count(*), sum(stage = 'closed'), sum(open), sum(${OVERDUE_AT}), sum(exempt) FROM cases
    WHERE space = ? AND received_at >= ? AND received_at < ?`,
    )
    .raw()
    .get(now, ...range) as (number | null)[];
  const supervised = db
    .prepare('SELECT count(*) FROM case_supervisions WHERE space = ? AND ts >= ? AND ts < ?')
    .pluck()
    .get(...range) as number;
  const all = emptyCaseCounts();
  for (const k of unitCounts(model, space, period).values())
    for (const key of Object.keys(all) as (keyof CaseCounts)[]) all[key] += k[key];
  all.received = t[0] ?? 0;
  return {
    space,
    period,
    totals: {
      received: t[0] ?? 0,
      closed: t[1] ?? 0,
      openNow: t[2] ?? 0,
      overdueNow: t[3] ?? 0,
      supervised,
      exempt: t[4] ?? 0,
    },
    byChannel,
    byCategory,
    byDay,
    topIssues,
    units: cards.units,
    indicators: cards.indicators,
    kpis: caseKpis(all),
    duty: monthDuty(model, config, space, period, now),
  };
}

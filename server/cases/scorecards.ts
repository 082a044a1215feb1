/**
 * Unit scorecards and the monthly report from the read model. A period's figures follow the cohort of cases received
 * in it (a case counts once, with everything that has happened to it so far); exempt (不计考核) cases are left out of
 * scoring. Weights and targets come from the configuration (`config.scoring`), the score from the seeds' rule. The SQL
 * is written once for both databases the rows may be in (`sql.ts`); counts that tie are ordered by what they count.
 */
import type { CityopsConfig } from '@shared/config';
import { dutyReport, type DutyReport, type HandoverTimes } from '@shared/duty/report';
import { placeShift, type PlacedShift } from '@shared/projection/duty';
import { caseKpis, emptyCaseCounts, type CaseCounts, type CaseKpis } from '@shared/kpi/rates';
import { rankUnits, scoreUnit, type Indicator, type Scorecard } from '@shared/kpi/scoring';
import { addDays, shanghaiDateKey, shanghaiMidnight, type EpochMs } from '@shared/time';
import type { MonthlyReport, Period, Scorecards, UnitScore } from '@shared/cases/reports';
import type { ProjectionContext } from '@shared/projection/state';
import { dutyHistory } from './reads';
import { latenessSql } from './rows';
import type { CaseSql } from './sql';

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

/** Rows of cases overdue at the instant `@now` (the lateness rule's test on the earliest running deadline). */
const OVERDUE_AT = `open = 1 AND ${latenessSql('overdue', undefined, '@now').join(' AND ')}`;

/**
 * Each unit's counts over the cases received in a period: exempt cases left out, and merged duplicates (their master
 * case counts; a duplicate is no case of its own).
 */
export async function unitCounts(sql: CaseSql, space: string, p: Period): Promise<Map<string, CaseCounts>> {
  await sql.ready(space);
  const rows = await sql.rows(
    `SELECT unit, ${SUMS.map(([, s]) => s).join(', ')} FROM cases
    WHERE space = @space AND unit IS NOT NULL AND exempt = 0 AND stage <> 'merged' AND received_at >= @from AND received_at < @to
    GROUP BY unit`,
    { space, from: p.from, to: p.to },
  );
  const out = new Map<string, CaseCounts>();
  for (const [unit, ...sums] of rows) {
    const c = emptyCaseCounts();
    SUMS.forEach(([k], i) => {
      c[k] = Number(sums[i] ?? 0);
    });
    out.set(String(unit), c);
  }
  return out;
}

/** Scores every configured unit over `period`, ranks them, and scores the `trendMonths` months before it for the trend. */
export async function scorecards(
  sql: CaseSql,
  config: CityopsConfig,
  space: string,
  period: Period,
  now: EpochMs,
  trendMonths = 5,
): Promise<Scorecards> {
  const indicators = config.scoring;
  const months = Array.from({ length: trendMonths }, (_, i) => monthBefore(monthOf(period.from), trendMonths - i));
  const [counts, past, overdueRows] = await Promise.all([
    unitCounts(sql, space, period),
    Promise.all(months.map(async (m) => ({ m, counts: await unitCounts(sql, space, monthPeriod(m)) }))),
    sql.rows(
      `SELECT unit, count(*) FROM cases WHERE space = @space AND ${OVERDUE_AT} AND unit IS NOT NULL GROUP BY unit`,
      {
        space,
        now,
      },
    ),
  ]);
  const overdue = new Map(overdueRows.map(([unit, n]) => [String(unit), Number(n)]));
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
 * shift of the roster — judged at `now` by the desk's own formula (`dutyReport`, `dutyFigures`) in the lifecycle
 * environment of `ctx` (the working calendar).
 */
export async function monthDuty(
  sql: CaseSql,
  ctx: ProjectionContext,
  config: CityopsConfig,
  space: string,
  period: Period,
  now: EpochMs,
): Promise<DutyReport> {
  const first = shanghaiDateKey(period.from);
  const last = shanghaiDateKey(period.to - 1);
  // The day before holds the shift running into the month's first hours; the day after, the shift after the last one.
  const h = await dutyHistory(sql, space, period.from, period.to, addDays(first, -1), addDays(last, 1));
  const shifts: PlacedShift[] = [];
  for (const [date, roster] of h.rosters) for (const s of roster) shifts.push(placeShift(date, s));
  const times = new Map<string, HandoverTimes>(
    h.handovers.map((r) => [r.id, { submittedAt: r.submitted.at, signedAt: r.signed?.at ?? null }]),
  );
  return dutyReport(h.items, shifts, times, h.since, config.duty, ctx.lifecycle.env, period.from, period.to, now);
}

/** Builds the monthly report of `month` (`YYYY-MM`); the duty desk's figures in the lifecycle environment of `ctx`. */
export async function monthlyReport(
  sql: CaseSql,
  ctx: ProjectionContext,
  config: CityopsConfig,
  space: string,
  month: string,
  now: EpochMs,
): Promise<MonthlyReport> {
  const period = monthPeriod(month);
  const range = { space, from: period.from, to: period.to };
  const inRange = 'space = @space AND received_at >= @from AND received_at < @to';
  const day = sql.dialect.shanghaiDate('received_at');
  const [cards, byChannel, byCategory, byDay, topIssues, [t = []], supervised, counts, duty] = await Promise.all([
    scorecards(sql, config, space, period, now, 2),
    sql.rows(
      `SELECT channel, count(*) AS n FROM cases WHERE ${inRange} GROUP BY channel ORDER BY n DESC, channel`,
      range,
    ),
    sql.rows(
      `SELECT category, count(*) AS n FROM cases WHERE ${inRange} GROUP BY category ORDER BY n DESC, category`,
      range,
    ),
    sql.rows(`SELECT ${day} AS day, count(*) AS n FROM cases WHERE ${inRange} GROUP BY ${day} ORDER BY ${day}`, range),
    sql.rows(
      `SELECT category, street, count(*) AS n, sum(CASE WHEN ${OVERDUE_AT} THEN 1 ELSE 0 END) AS overdue FROM cases
    WHERE ${inRange} GROUP BY category, street ORDER BY n DESC, category, street LIMIT 10`,
      { ...range, now },
    ),
    sql.rows(
      `SELECT count(*), sum(CASE WHEN stage = 'closed' THEN 1 ELSE 0 END), sum(open),
    sum(CASE WHEN ${OVERDUE_AT} THEN 1 ELSE 0 END), sum(exempt) FROM cases WHERE ${inRange}`,
      { ...range, now },
    ),
    sql.rows('SELECT count(*) FROM case_supervisions WHERE space = @space AND ts >= @from AND ts < @to', range),
    unitCounts(sql, space, period),
    monthDuty(sql, ctx, config, space, period, now),
  ]);
  const all = emptyCaseCounts();
  for (const k of counts.values()) for (const key of Object.keys(all) as (keyof CaseCounts)[]) all[key] += k[key];
  const total = (i: number) => Number(t[i] ?? 0);
  // The rates are the units' (every count over the same cases: with a unit, not exempt, not merged); the month's
  // whole intake is in `totals`.
  return {
    space,
    period,
    totals: {
      received: total(0),
      closed: total(1),
      openNow: total(2),
      overdueNow: total(3),
      supervised: Number(supervised[0]?.[0] ?? 0),
      exempt: total(4),
    },
    byChannel: byChannel.map(([channel, n]) => ({ channel: String(channel), n: Number(n) })),
    byCategory: byCategory.map(([category, n]) => ({ category: String(category), n: Number(n) })),
    byDay: byDay.map(([d, n]) => ({ day: String(d), n: Number(n) })),
    topIssues: topIssues.map(([category, street, n, overdue]) => ({
      category: String(category),
      street: String(street),
      n: Number(n),
      overdue: Number(overdue),
    })),
    units: cards.units,
    indicators: cards.indicators,
    kpis: caseKpis(all),
    duty,
  };
}

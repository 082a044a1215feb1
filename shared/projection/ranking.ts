/**
 * Unit ranking (考核): each unit's case counts over the last days, scored with the configured scorecard. Exempt (不计考核)
 * cases are not in the unit counts (see `unitTargets` in ./cases), as they are not in the supervisors' scorecards.
 */
import { addCaseCounts, caseKpis, emptyCaseCounts, type CaseCounts } from '../kpi/rates';
import { rankUnits, scoreUnit } from '../kpi/scoring';
import { addDays } from '../time';
import { RANKING_MAX, type RankingPanel } from '../wall/panels';
import type { SpaceProjection } from './state';

/** Ranks units by total score over `days` civil days ending on `dayKey`; units without dispatched cases are left out. */
export function rankingView(p: SpaceProjection, dayKey: string, days = 7): RankingPanel {
  const sums = new Map<string, CaseCounts>();
  for (let i = 0; i < days; i++) {
    const d = p.days.get(addDays(dayKey, -i));
    if (!d) continue;
    for (const [unit, c] of d.byUnit) {
      let s = sums.get(unit);
      if (!s) sums.set(unit, (s = emptyCaseCounts()));
      addCaseCounts(s, c);
    }
  }
  const scored = [...sums]
    .filter(([, c]) => c.dispatched + c.replied + c.signed > 0)
    .map(([unit, c]) => {
      const k = caseKpis(c);
      const actuals = Object.fromEntries(
        Object.entries(k).filter((e): e is [string, number | null] => e[1] === null || typeof e[1] === 'number'),
      );
      const card = scoreUnit(p.ctx.config.scoring, actuals, p.ctx.config.scoringMinJudged);
      return {
        id: unit,
        total: card.total,
        max: card.max,
        insufficient: card.insufficient,
        cases: c.dispatched,
        onTimeRate: k.onTimeRate,
        satisfaction: k.satisfaction,
      };
    });
  const rows = rankUnits(scored)
    .slice(0, RANKING_MAX)
    .map((u) => ({
      unit: u.id,
      rank: u.rank,
      score: Math.round(u.total * 10) / 10,
      max: u.max,
      insufficient: u.insufficient,
      cases: u.cases,
      onTimeRate: u.onTimeRate,
      satisfaction: u.satisfaction,
    }));
  return { days, rows };
}

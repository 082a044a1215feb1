/**
 * The seeds' scoring rule (考核): each indicator has a weight; a positive indicator (target ≥ A, actual B) scores
 * weight × min(1, B ÷ A); a negative one (target ≤ A) scores weight × min(1, A ÷ B); a qualitative one scores in bands
 * (优 80–100%, 良 50–80%, 差 0–50% of the weight). Units are ranked by total score.
 */

/** How an indicator is scored. */
export type IndicatorKind = 'positive' | 'negative' | 'qualitative';

/** One indicator of a scorecard: which KPI it reads, its weight and target (a fraction for rates). */
export interface Indicator {
  readonly id: string;
  readonly label: string;
  readonly kind: IndicatorKind;
  readonly weight: number;
  readonly target: number;
}

/** The default unit scorecard (weights sum to 100), from the seeds' evaluation tables. */
export const DEFAULT_UNIT_INDICATORS: readonly Indicator[] = [
  { id: 'dispatchRate', label: '转派率', kind: 'positive', weight: 10, target: 1 },
  { id: 'signOnTimeRate', label: '签收及时率', kind: 'positive', weight: 15, target: 1 },
  { id: 'onTimeRate', label: '按时办结率', kind: 'positive', weight: 25, target: 1 },
  { id: 'satisfaction', label: '市民满意度', kind: 'positive', weight: 30, target: 0.9 },
  { id: 'callbackRate', label: '回访率', kind: 'positive', weight: 10, target: 1 },
  { id: 'redoRate', label: '重办率', kind: 'negative', weight: 10, target: 0.05 },
];

/**
 * Score of one indicator. `actual` null (nothing to measure) scores the full weight: a unit is not penalised for a
 * figure it had no cases for. For a qualitative indicator `actual` is the assessed grade 0–1 and lands in its band.
 */
export function scoreIndicator(ind: Pick<Indicator, 'kind' | 'weight' | 'target'>, actual: number | null): number {
  if (actual === null || !Number.isFinite(actual)) return ind.weight;
  switch (ind.kind) {
    case 'positive':
      return ind.target <= 0 ? ind.weight : ind.weight * Math.min(1, Math.max(0, actual) / ind.target);
    case 'negative':
      return actual <= ind.target || actual <= 0 ? ind.weight : ind.weight * Math.min(1, ind.target / actual);
    case 'qualitative':
      return ind.weight * qualitativeShare(actual);
  }
}

/** A qualitative grade's share of the weight, clamped into its band: ≥ 0.8 → 0.8–1, ≥ 0.5 → 0.5–0.8, else 0–0.5. */
export function qualitativeShare(grade: number): number {
  const g = Math.min(1, Math.max(0, grade));
  if (g >= 0.8) return g;
  if (g >= 0.5) return Math.min(g, 0.8);
  return Math.min(g, 0.5);
}

/** One scored indicator of a scorecard. */
export interface ScoredIndicator { readonly id: string; readonly label: string; readonly actual: number | null; readonly score: number; readonly weight: number }

/** A unit's scorecard: each indicator and the total. */
export interface Scorecard { readonly indicators: readonly ScoredIndicator[]; readonly total: number; readonly max: number }

/** Scores a unit: `actuals` maps indicator ids to actual values (missing → null). */
export function scoreUnit(indicators: readonly Indicator[], actuals: Readonly<Record<string, number | null | undefined>>): Scorecard {
  const scored = indicators.map((ind) => {
    const actual = actuals[ind.id] ?? null;
    return { id: ind.id, label: ind.label, actual, score: scoreIndicator(ind, actual), weight: ind.weight };
  });
  return { indicators: scored, total: scored.reduce((s, x) => s + x.score, 0), max: indicators.reduce((s, x) => s + x.weight, 0) };
}

/** Ranks scorecards by total, highest first; ties share a rank (1, 2, 2, 4). */
export function rankUnits<T extends { readonly total: number; readonly id: string }>(units: readonly T[]): (T & { readonly rank: number })[] {
  const sorted = [...units].sort((a, b) => b.total - a.total || a.id.localeCompare(b.id));
  let rank = 0;
  return sorted.map((u, i) => {
    if (i === 0 || u.total < (sorted[i - 1]?.total ?? Infinity) - 1e-9) rank = i + 1;
    return { ...u, rank };
  });
}

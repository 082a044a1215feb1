/**
 * The seeds' scoring rule (考核): each indicator has a weight; a positive indicator (target ≥ A, actual B) scores
 * weight × min(1, B ÷ A); a negative one (target ≤ A) scores weight × min(1, A ÷ B); a qualitative one scores in bands
 * (优 80–100%, 良 50–80%, 差 0–50% of the weight). Units are ranked by total score.
 *
 * An indicator with nothing to judge (no cases in its denominator) awards nothing: it is left out and the weights of
 * the others are rescaled so they still add up to the full score. A unit whose judged indicators carry less than a
 * minimum share of the weight is 数据不足 (insufficient data): it gets no total and is ranked after every scored unit.
 */
import { percentText } from '../percent';

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

/** Least share (0–1) of the total weight a unit's judged indicators must carry for it to be scored (default 0.5). */
export const DEFAULT_MIN_JUDGED_SHARE = 0.5;

/**
 * Score of one indicator, points out of its weight; null when `actual` is null (nothing to measure): the indicator is
 * then left out, not awarded. For a qualitative indicator `actual` is the assessed grade 0–1 and lands in its band.
 */
export function scoreIndicator(
  ind: Pick<Indicator, 'kind' | 'weight' | 'target'>,
  actual: number | null,
): number | null {
  if (actual === null || !Number.isFinite(actual)) return null;
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

/**
 * One scored indicator of a scorecard: `score` is points out of `weight` (null: nothing to judge, left out);
 * `effectiveWeight` is the weight after rescaling (0 when left out), and `points` the score on that weight.
 */
export interface ScoredIndicator {
  readonly id: string;
  readonly label: string;
  readonly actual: number | null;
  readonly score: number | null;
  readonly weight: number;
  readonly effectiveWeight: number;
  readonly points: number | null;
}

/**
 * A unit's scorecard: each indicator; `total` out of `max` (the configured weights' sum), rescaled over the judged
 * indicators; `judgedWeight` the configured weight of those; `insufficient` when it is below the minimum share (数据不足,
 * total 0).
 */
export interface Scorecard {
  readonly indicators: readonly ScoredIndicator[];
  readonly total: number;
  readonly max: number;
  readonly judgedWeight: number;
  readonly insufficient: boolean;
}

/** Scores a unit: `actuals` maps indicator ids to actual values (missing → null); `minJudgedShare` 0–1 of the weight. */
export function scoreUnit(
  indicators: readonly Indicator[],
  actuals: Readonly<Record<string, number | null | undefined>>,
  minJudgedShare = DEFAULT_MIN_JUDGED_SHARE,
): Scorecard {
  const max = indicators.reduce((s, x) => s + x.weight, 0);
  const raw = indicators.map((ind) => {
    const actual = actuals[ind.id] ?? null;
    return { ind, actual, score: scoreIndicator(ind, actual) };
  });
  const judgedWeight = raw.reduce((s, x) => s + (x.score === null ? 0 : x.ind.weight), 0);
  const insufficient = judgedWeight <= 0 || judgedWeight < minJudgedShare * max - 1e-9;
  const scale = judgedWeight > 0 ? max / judgedWeight : 0;
  const scored = raw.map(({ ind, actual, score }): ScoredIndicator => ({
    id: ind.id,
    label: ind.label,
    actual,
    score,
    weight: ind.weight,
    effectiveWeight: score === null ? 0 : ind.weight * scale,
    points: score === null ? null : score * scale,
  }));
  const total = insufficient ? 0 : scored.reduce((s, x) => s + (x.points ?? 0), 0);
  return { indicators: scored, total, max, judgedWeight, insufficient };
}

/**
 * Ranks scorecards by total, highest first; ties share a rank (1, 2, 2, 4). Units with insufficient data (数据不足) come
 * after every scored unit, ordered by id, and share the rank after the last scored one.
 */
export function rankUnits<T extends { readonly total: number; readonly id: string; readonly insufficient?: boolean }>(
  units: readonly T[],
): (T & { readonly rank: number })[] {
  const sorted = [...units].sort(
    (a, b) =>
      Number(a.insufficient === true) - Number(b.insufficient === true) ||
      b.total - a.total ||
      a.id.localeCompare(b.id),
  );
  let rank = 0;
  return sorted.map((u, i) => {
    const prev = sorted[i - 1];
    if (
      i === 0 ||
      (prev?.insufficient === true) !== (u.insufficient === true) ||
      (u.insufficient !== true && u.total < (prev?.total ?? Infinity) - 1e-9)
    )
      rank = i + 1;
    return { ...u, rank };
  });
}

/**
 * How a scorecard was weighted, in words (for the units page and exports): empty when every indicator was judged;
 * else which were left out and the factor the others were scaled by, or why the unit is 数据不足.
 */
export function scorecardNote(card: Scorecard, minJudgedShare = DEFAULT_MIN_JUDGED_SHARE): string {
  const left = card.indicators.filter((i) => i.score === null).map((i) => i.label);
  if (left.length === 0) return '';
  // Cut toward zero as every rate is written: a share just under the floor never reads as the floor.
  const share = percentText(card.max > 0 ? card.judgedWeight / card.max : 0, 0);
  if (card.insufficient)
    return `数据不足：可考核指标权重 ${fmt(card.judgedWeight)}/${fmt(card.max)}（${share}），低于 ${percentText(minJudgedShare, 0)}，不计分、排在最后`;
  return `${left.join('、')}无可考核案件，未计分；其余指标权重按 ${fmt(card.max)}/${fmt(card.judgedWeight)} 放大`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

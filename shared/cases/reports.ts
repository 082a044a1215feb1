/** The supervisor's reports as the API returns them: periods, unit scorecards, the monthly report (rates are fractions 0–1). */
import type { DutyReport } from '../duty/report';
import type { CaseKpis } from '../kpi/rates';
import type { Indicator, Scorecard } from '../kpi/scoring';
import type { EpochMs } from '../time';

/** A period: [from, to) in ms, with its label. */
export interface Period {
  readonly label: string;
  readonly from: EpochMs;
  readonly to: EpochMs;
}

/** One unit's scorecard in a period. */
export interface UnitScore {
  readonly id: string;
  readonly name: string;
  readonly rank: number;
  /** Rescaled over the judged indicators (see `Scorecard`); 0 when `insufficient`. */
  readonly total: number;
  readonly max: number;
  /** 数据不足: the judged indicators carry less than `scoringMinJudged` of the weight; ranked after the scored units. */
  readonly insufficient: boolean;
  readonly scorecard: Scorecard;
  readonly kpis: CaseKpis;
  /** Scores of the months before, oldest first (null: no cases, or insufficient data). */
  readonly trend: readonly { readonly period: string; readonly total: number | null }[];
  /** Open cases of the unit overdue now. */
  readonly overdueNow: number;
}

/** The scorecards of a period. */
export interface Scorecards {
  readonly period: Period;
  readonly indicators: readonly Indicator[];
  /** Least share of the weight a unit's judged indicators must carry to be scored (`config.scoringMinJudged`). */
  readonly minJudgedShare: number;
  readonly units: readonly UnitScore[];
}

/** The monthly report (月度通报). */
export interface MonthlyReport {
  readonly space: string;
  readonly period: Period;
  readonly totals: {
    readonly received: number;
    readonly closed: number;
    readonly openNow: number;
    readonly overdueNow: number;
    readonly supervised: number;
    readonly exempt: number;
  };
  readonly byChannel: readonly { readonly channel: string; readonly n: number }[];
  readonly byCategory: readonly { readonly category: string; readonly n: number }[];
  readonly byDay: readonly { readonly day: string; readonly n: number }[];
  /** The most frequent issues: category × street. */
  readonly topIssues: readonly {
    readonly category: string;
    readonly street: string;
    readonly n: number;
    readonly overdue: number;
  }[];
  readonly units: readonly UnitScore[];
  readonly indicators: readonly Indicator[];
  readonly kpis: CaseKpis;
  /** The duty desk's month: 接报及时率, median time to acknowledge, 信息报送及时率, items and handovers, and per shift. */
  readonly duty: DutyReport;
}

/**
 * Case KPIs as the hotline's evaluation tables define them, as pure functions of counts. A rate is a fraction 0–1, or
 * null when its denominator is zero (nothing to measure is not 0% and not 100%).
 */

/** Counts a period's case events add up to (per day, per unit). */
export interface CaseCounts {
  received: number;
  /** Cases that needed dispatch (registered or dispatched, not closed directly). */
  needDispatch: number;
  dispatched: number;
  signed: number;
  signedOnTime: number;
  replied: number;
  repliedOnTime: number;
  closed: number;
  evaluated: number;
  satisfied: number;
  basicallySatisfied: number;
  /** Replies rejected at quality check (驳回重办). */
  rejected: number;
  /** Reopened after an unsatisfied evaluation (二次重办). */
  reopened: number;
  /** Reopened cases signed again. */
  reopenedSigned: number;
  calledBack: number;
  /** Emergency (突发) cases replied, and of them within the limit. */
  emergency: number;
  emergencyOnTime: number;
}

/** Zeroed counts. */
export function emptyCaseCounts(): CaseCounts {
  return {
    received: 0,
    needDispatch: 0,
    dispatched: 0,
    signed: 0,
    signedOnTime: 0,
    replied: 0,
    repliedOnTime: 0,
    closed: 0,
    evaluated: 0,
    satisfied: 0,
    basicallySatisfied: 0,
    rejected: 0,
    reopened: 0,
    reopenedSigned: 0,
    calledBack: 0,
    emergency: 0,
    emergencyOnTime: 0,
  };
}

/** Adds `b` into `a` (for periods longer than a day). */
export function addCaseCounts(a: CaseCounts, b: Readonly<CaseCounts>): CaseCounts {
  for (const k of Object.keys(a) as (keyof CaseCounts)[]) a[k] += b[k];
  return a;
}

/** Takes `b` back out of `a` (a case's share of a unit's counts, when the case is exempted). */
export function subtractCaseCounts(a: CaseCounts, b: Readonly<CaseCounts>): CaseCounts {
  for (const k of Object.keys(a) as (keyof CaseCounts)[]) a[k] -= b[k];
  return a;
}

/** The case figures, each a fraction or null (each field says its definition). */
export interface CaseKpis {
  /** 转派率: dispatched ÷ needing dispatch. */
  readonly dispatchRate: number | null;
  /** 签收及时率: signed within limit ÷ signed. */
  readonly signOnTimeRate: number | null;
  /** 按时办结率: replied within limit ÷ replied. */
  readonly onTimeRate: number | null;
  /** 结案率: closed ÷ received. */
  readonly closureRate: number | null;
  /** 市民满意度: (满意 + 基本满意) ÷ evaluated. */
  readonly satisfaction: number | null;
  /** 不满意案件签收率: reopened signed again ÷ reopened. */
  readonly reopenSignRate: number | null;
  /** 重办率: (rejected + reopened) ÷ replied — lower is better. */
  readonly redoRate: number | null;
  /** 回访率: called back ÷ replied. */
  readonly callbackRate: number | null;
  /** 突发事件处置及时率: emergency cases replied within limit ÷ emergency cases replied. */
  readonly emergencyOnTimeRate: number | null;
  /** The counts the rates come from. */
  readonly counts: Readonly<CaseCounts>;
}

/** The ids of the case KPIs, the indicators a scorecard can read. */
export const CASE_KPI_IDS = [
  'dispatchRate',
  'signOnTimeRate',
  'onTimeRate',
  'closureRate',
  'satisfaction',
  'reopenSignRate',
  'redoRate',
  'callbackRate',
  'emergencyOnTimeRate',
] as const satisfies readonly (keyof CaseKpis)[];

/** A ratio, or null when the denominator is zero; capped at 1 where a count can exceed its base within a period. */
export function ratio(part: number, whole: number, cap = true): number | null {
  if (whole <= 0) return null;
  const r = part / whole;
  return cap ? Math.min(1, r) : r;
}

/** Every case KPI from counts. */
export function caseKpis(k: Readonly<CaseCounts>): CaseKpis {
  return {
    dispatchRate: ratio(k.dispatched, k.needDispatch),
    signOnTimeRate: ratio(k.signedOnTime, k.signed),
    onTimeRate: ratio(k.repliedOnTime, k.replied),
    closureRate: ratio(k.closed, k.received),
    satisfaction: ratio(k.satisfied + k.basicallySatisfied, k.evaluated),
    reopenSignRate: ratio(k.reopenedSigned, k.reopened),
    redoRate: ratio(k.rejected + k.reopened, k.replied, false),
    callbackRate: ratio(k.calledBack, k.replied),
    emergencyOnTimeRate: ratio(k.emergencyOnTime, k.emergency),
    counts: { ...k },
  };
}

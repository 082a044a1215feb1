/**
 * Call-centre figures: answer rate (answered ÷ offered, target ≥ 95% over 24 h, GB/T 33358-2016), 15 s service level,
 * abandon rate, ASA, AHT, agents' load (cases per agent per day, band 10–15), presence (on duty ÷ rostered).
 */
import { ratio } from './rates';

/** Counts a day's call events add up to. */
export interface CallCounts {
  offered: number;
  answered: number;
  abandoned: number;
  answeredWithin15s: number;
  /** Sum of answered calls' waits, seconds. */
  waitSecTotal: number;
  /** Sum of talk times of ended calls, seconds. */
  talkSecTotal: number;
  /** Sum of wrap-up times of handled calls, seconds. */
  wrapSecTotal: number;
  /** Calls that ended and were wrapped up. */
  handled: number;
}

/** Zeroed call counts. */
export function emptyCallCounts(): CallCounts {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    answeredWithin15s: 0,
    waitSecTotal: 0,
    talkSecTotal: 0,
    wrapSecTotal: 0,
    handled: 0,
  };
}

/** Call figures: rates are fractions or null; times in seconds or null. */
export interface CallKpis {
  /** 接通率: answered ÷ offered (GB/T 33358-2016: ≥ 95%). */
  readonly answerRate: number | null;
  /** Answered within 15 s ÷ offered. */
  readonly serviceLevel15: number | null;
  /** Abandoned ÷ offered. */
  readonly abandonRate: number | null;
  /** Average speed of answer, seconds. */
  readonly asaSec: number | null;
  /** Average handling time (talk + wrap-up) of handled calls, seconds. */
  readonly ahtSec: number | null;
}

/** Call figures from counts. */
export function callKpis(c: Readonly<CallCounts>): CallKpis {
  return {
    answerRate: ratio(c.answered, c.offered),
    serviceLevel15: ratio(c.answeredWithin15s, c.offered),
    abandonRate: ratio(c.abandoned, c.offered),
    asaSec: c.answered > 0 ? c.waitSecTotal / c.answered : null,
    ahtSec: c.handled > 0 ? (c.talkSecTotal + c.wrapSecTotal) / c.handled : null,
  };
}

/** How agents' daily case counts sit against the 人均日接警件数 band. */
export interface LoadSummary {
  readonly agents: number;
  readonly mean: number | null;
  readonly median: number | null;
  readonly under: number;
  readonly inBand: number;
  readonly over: number;
  readonly min: number | null;
  readonly max: number | null;
}

/** Summarises agents' case counts for a day against a band [min, max] (inclusive). */
export function loadSummary(
  cases: readonly number[],
  band: { readonly min: number; readonly max: number },
): LoadSummary {
  if (cases.length === 0)
    return { agents: 0, mean: null, median: null, under: 0, inBand: 0, over: 0, min: null, max: null };
  const sorted = [...cases].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  let under = 0;
  let over = 0;
  let sum = 0;
  for (const x of sorted) {
    sum += x;
    if (x < band.min) under++;
    else if (x > band.max) over++;
  }
  return {
    agents: n,
    mean: sum / n,
    median,
    under,
    inBand: n - under - over,
    over,
    min: sorted[0] ?? null,
    max: sorted[n - 1] ?? null,
  };
}

/** 外包人员到位率: agents on duty ÷ rostered (null with nobody rostered). Not capped: extra agents show above 100%. */
export function presenceRate(onDuty: number, rostered: number): number | null {
  return ratio(onDuty, rostered, false);
}

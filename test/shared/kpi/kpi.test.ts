import { describe, expect, it } from 'vitest';
import { callKpis, emptyCallCounts, loadSummary, presenceRate } from '@shared/kpi/callcentre';
import { agentsNeeded, erlangC, serviceLevel } from '@shared/kpi/erlang';
import { caseKpis, emptyCaseCounts } from '@shared/kpi/rates';
import { DEFAULT_UNIT_INDICATORS, qualitativeShare, rankUnits, scoreIndicator, scoreUnit } from '@shared/kpi/scoring';

describe('when the seeds’ own scoring example is computed', () => {
  it('then a positive indicator of weight 8, target 90%, actual 97.43% scores 8', () => {
    expect(scoreIndicator({ kind: 'positive', weight: 8, target: 0.9 }, 0.9743)).toBe(8);
  });

  it('then below target it scores in proportion, and a negative indicator scores target ÷ actual', () => {
    expect(scoreIndicator({ kind: 'positive', weight: 8, target: 0.9 }, 0.72)).toBeCloseTo(6.4, 10);
    expect(scoreIndicator({ kind: 'negative', weight: 10, target: 0.05 }, 0.04)).toBe(10);
    expect(scoreIndicator({ kind: 'negative', weight: 10, target: 0.05 }, 0.08)).toBeCloseTo(6.25, 10);
    expect(scoreIndicator({ kind: 'positive', weight: 5, target: 1 }, null)).toBeNull();
  });

  it('then a qualitative grade lands in its band: 优 80–100%, 良 50–80%, 差 0–50%', () => {
    expect(qualitativeShare(0.92)).toBe(0.92);
    expect(qualitativeShare(0.65)).toBe(0.65);
    expect(qualitativeShare(0.3)).toBe(0.3);
    expect(scoreIndicator({ kind: 'qualitative', weight: 10, target: 1 }, 0.85)).toBeCloseTo(8.5, 10);
  });

  it('then units are ranked by total, ties sharing a rank', () => {
    const full = scoreUnit(DEFAULT_UNIT_INDICATORS, {
      dispatchRate: 1,
      signOnTimeRate: 1,
      onTimeRate: 1,
      satisfaction: 0.9743,
      callbackRate: 1,
      redoRate: 0.02,
    });
    expect(full.total).toBe(100);
    expect(full.max).toBe(100);
    const weak = scoreUnit(DEFAULT_UNIT_INDICATORS, {
      dispatchRate: 1,
      signOnTimeRate: 0.9,
      onTimeRate: 0.8,
      satisfaction: 0.81,
      callbackRate: 1,
      redoRate: 0.1,
    });
    // 10 + 15×0.9 + 25×0.8 + 30×0.9 + 10 + 10×0.5 = 85.5
    expect(weak.total).toBeCloseTo(85.5, 10);
    const ranked = rankUnits([
      { id: 'b', total: 90 },
      { id: 'a', total: 95 },
      { id: 'c', total: 90 },
      { id: 'd', total: 70 },
    ]);
    expect(ranked.map((u) => [u.id, u.rank])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 2],
      ['d', 4],
    ]);
  });
});

describe('when case KPIs are computed from a day’s counts', () => {
  it('then every rate follows its definition in the evaluation tables', () => {
    const k = {
      ...emptyCaseCounts(),
      received: 1000,
      needDispatch: 700,
      dispatched: 700,
      signed: 650,
      signedOnTime: 637,
      replied: 600,
      repliedOnTime: 576,
      closed: 550,
      evaluated: 500,
      satisfied: 450,
      basicallySatisfied: 37,
      rejected: 12,
      reopened: 6,
      reopenedSigned: 6,
      calledBack: 540,
      emergency: 4,
      emergencyOnTime: 3,
    };
    const r = caseKpis(k);
    expect(r.dispatchRate).toBe(1);
    expect(r.signOnTimeRate).toBeCloseTo(0.98, 10);
    expect(r.onTimeRate).toBeCloseTo(0.96, 10);
    expect(r.closureRate).toBeCloseTo(0.55, 10);
    expect(r.satisfaction).toBeCloseTo(0.974, 10);
    expect(r.reopenSignRate).toBe(1);
    expect(r.redoRate).toBeCloseTo(0.03, 10);
    expect(r.callbackRate).toBeCloseTo(0.9, 10);
    expect(r.emergencyOnTimeRate).toBeCloseTo(0.75, 10);
  });

  it('then a rate with nothing to measure is null, not 0 or 100%', () => {
    const r = caseKpis(emptyCaseCounts());
    expect(r.satisfaction).toBeNull();
    expect(r.dispatchRate).toBeNull();
  });
});

describe('when call-centre figures are computed', () => {
  it('then answer rate, 15 s service level, abandon rate, ASA and AHT follow the counts', () => {
    const k = callKpis({
      ...emptyCallCounts(),
      offered: 200,
      answered: 190,
      abandoned: 10,
      answeredWithin15s: 171,
      waitSecTotal: 1900,
      talkSecTotal: 45_600,
      wrapSecTotal: 11_400,
      handled: 190,
    });
    expect(k.answerRate).toBeCloseTo(0.95, 10);
    expect(k.serviceLevel15).toBeCloseTo(0.855, 10);
    expect(k.abandonRate).toBeCloseTo(0.05, 10);
    expect(k.asaSec).toBe(10);
    expect(k.ahtSec).toBe(300);
  });

  it('then agents’ load is summarised against the 10–15 band', () => {
    const s = loadSummary([9, 12, 16, 11, 14, 8], { min: 10, max: 15 });
    expect(s).toEqual({ agents: 6, mean: 70 / 6, median: 11.5, under: 2, inBand: 3, over: 1, min: 8, max: 16 });
    expect(loadSummary([], { min: 10, max: 15 }).mean).toBeNull();
    expect(presenceRate(57, 60)).toBeCloseTo(0.95, 10);
    expect(presenceRate(3, 0)).toBeNull();
  });
});

describe('when Erlang C sizes the hotline', () => {
  it('then the textbook case holds: 2 erlangs on 3 agents wait with probability 4/9', () => {
    expect(erlangC(3, 2)).toBeCloseTo(4 / 9, 10);
    expect(erlangC(2, 2)).toBe(1);
  });

  it('then agents needed reach the service level and one fewer does not', () => {
    const n = agentsNeeded(120, 300, 15, 0.95); // 10 erlangs
    expect(serviceLevel(n, 120, 300, 15)).toBeGreaterThanOrEqual(0.95);
    expect(serviceLevel(n - 1, 120, 300, 15)).toBeLessThan(0.95);
    expect(n).toBe(16); // 1 − C(16, 10)·e^(−6·15/300) = 0.9575; with 15 agents 0.9205
    expect(agentsNeeded(0, 300, 15, 0.95)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { configSchema, DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import { caseKpis, emptyCaseCounts } from '@shared/kpi/rates';
import { DEFAULT_UNIT_INDICATORS, rankUnits, scorecardNote, scoreUnit } from '@shared/kpi/scoring';

const ALL_JUDGED = {
  dispatchRate: 1,
  signOnTimeRate: 0.9,
  onTimeRate: 0.8,
  satisfaction: 0.81,
  callbackRate: 1,
  redoRate: 0.1,
};

describe('when every indicator has cases to judge', () => {
  it('then the seeds’ rule scores as before and nothing is rescaled', () => {
    const card = scoreUnit(DEFAULT_UNIT_INDICATORS, ALL_JUDGED);
    // 10 + 15×0.9 + 25×0.8 + 30×0.9 + 10 + 10×0.5 = 85.5
    expect(card.total).toBeCloseTo(85.5, 10);
    expect(card.judgedWeight).toBe(100);
    expect(card.insufficient).toBe(false);
    expect(card.indicators.map((i) => i.effectiveWeight)).toEqual([10, 15, 25, 30, 10, 10]);
    expect(scorecardNote(card)).toBe('');
  });
});

describe('when an indicator has nothing to judge', () => {
  it('then it awards nothing and the others are rescaled to the full score, and the note says so', () => {
    // An import: no evaluations (satisfaction null); everything else as above.
    const card = scoreUnit(DEFAULT_UNIT_INDICATORS, { ...ALL_JUDGED, satisfaction: null });
    const satisfaction = card.indicators.find((i) => i.id === 'satisfaction')!;
    expect(satisfaction).toMatchObject({ score: null, points: null, effectiveWeight: 0, weight: 30 });
    expect(card.judgedWeight).toBe(70);
    // (10 + 13.5 + 20 + 10 + 5) ÷ 70 × 100 = 83.571…
    expect(card.total).toBeCloseTo((58.5 / 70) * 100, 10);
    expect(card.indicators.find((i) => i.id === 'onTimeRate')!.effectiveWeight).toBeCloseTo((25 * 100) / 70, 10);
    expect(scorecardNote(card)).toBe('市民满意度无可考核案件，未计分；其余指标权重按 100/70 放大');
  });

  it('then a unit with no callbacks is judged on the rest, not given the callback weight', () => {
    const card = scoreUnit(DEFAULT_UNIT_INDICATORS, {
      dispatchRate: 1,
      signOnTimeRate: 1,
      onTimeRate: 1,
      satisfaction: null,
      callbackRate: 0,
      redoRate: 0,
    });
    // Callbacks judged and missing: 0 of 10; satisfaction left out: (10 + 15 + 25 + 0 + 10) ÷ 70 × 100.
    expect(card.total).toBeCloseTo((60 / 70) * 100, 10);
  });

  it('then a unit that closed nothing is 数据不足 and ranks after a unit that closed every case on time', () => {
    // Dispatched only: only the dispatch rate can be judged (10 of 100).
    const idle = scoreUnit(
      DEFAULT_UNIT_INDICATORS,
      caseKpis({ ...emptyCaseCounts(), received: 40, needDispatch: 40, dispatched: 40 }) as unknown as Record<
        string,
        number | null
      >,
    );
    expect(idle.insufficient).toBe(true);
    expect(idle.total).toBe(0);
    expect(idle.judgedWeight).toBe(10);
    expect(scorecardNote(idle)).toBe('数据不足：可考核指标权重 10/100（10%），低于 50%，不计分、排在最后');
    // A share just under the floor never reads as the floor itself.
    expect(scorecardNote({ ...idle, judgedWeight: 49.6 })).toContain('（49%），低于 50%');
    const done = scoreUnit(
      DEFAULT_UNIT_INDICATORS,
      caseKpis({
        ...emptyCaseCounts(),
        received: 12,
        needDispatch: 12,
        dispatched: 12,
        signed: 12,
        signedOnTime: 12,
        replied: 12,
        repliedOnTime: 12,
        closed: 12,
      }) as unknown as Record<string, number | null>,
    );
    expect(done.insufficient).toBe(false);
    expect(done.total).toBeCloseTo((60 / 70) * 100, 10);
    const ranked = rankUnits([
      { id: 'a-idle', ...idle },
      { id: 'b-idle', ...idle },
      { id: 'z-done', ...done },
    ]);
    expect(ranked.map((u) => [u.id, u.rank])).toEqual([
      ['z-done', 1],
      ['a-idle', 2],
      ['b-idle', 2],
    ]);
  });

  it('then the minimum judged share is configurable: at 0 a single judged indicator scores', () => {
    const card = scoreUnit(DEFAULT_UNIT_INDICATORS, { dispatchRate: 0.5 }, 0);
    expect(card.insufficient).toBe(false);
    expect(card.total).toBeCloseTo(50, 10);
  });
});

describe('when the configuration names an indicator', () => {
  it('then an id that is not a case indicator fails with the path and the valid ids', () => {
    const bad = [
      ...DEFAULT_CONFIG.scoring.slice(0, 5),
      { id: 'satisfactionRate', label: '满意率', kind: 'positive', weight: 10, target: 0.9 },
    ];
    const r = configSchema.safeParse({ ...DEFAULT_CONFIG, scoring: bad });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'scoring.5.id',
        '"satisfactionRate" is not a case indicator; one of dispatchRate, signOnTimeRate, onTimeRate, closureRate, satisfaction, reopenSignRate, redoRate, callbackRate, emergencyOnTimeRate',
      ],
    ]);
    expect(configSchema.safeParse({ ...DEFAULT_CONFIG, scoringMinJudged: 1.5 }).success).toBe(false);
    expect(mergeConfig(DEFAULT_CONFIG, { scoringMinJudged: 0.7 }).scoringMinJudged).toBe(0.7);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent } from '@shared/events';
import { callKpis, loadSummary } from '@shared/kpi/callcentre';
import { addCaseCounts, caseKpis, emptyCaseCounts } from '@shared/kpi/rates';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { DAY_MS, HOUR_MS, shanghaiDateKey } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { drillWindow, placeEffects } from '@shared/scenario';
import { loadScenario } from '../../simulators/scenario';

/**
 * The real hotline's figures reproduced by a generated normal weekday, computed with the shared KPI functions:
 * agents' mean daily load 10–15, satisfaction 97% ± 2, answer rate ≥ 90%, dispatch rate 100%.
 */
describe('when a normal weekday is generated from its scenario, for several seeds', () => {
  const s = loadScenario('normal-weekday');
  const day = s.date;
  const runs: { seed: number; p: SpaceProjection }[] = [];

  beforeAll(() => {
    const w = drillWindow(s);
    for (const seed of [1, 2, 3]) {
      // The day and the night after it, so the day's last cases are dispatched and its calls end.
      const events = generateEvents({
        seed,
        from: w.simStart,
        to: w.simStart + (s.drill.backlogDays + 1) * DAY_MS + 6 * HOUR_MS,
        effects: placeEffects(s),
      });
      const p = createProjection('drill-cal', projectionContext(DEFAULT_CONFIG));
      for (const e of events) {
        const v = validateEvent(e);
        if (!v.ok || applyEvent(p, v.event) !== null) throw new Error(`seed ${seed}: ${e.eventId} not accepted`);
      }
      runs.push({ seed, p });
    }
  });

  it("then agents' mean daily load is within 10–15", () => {
    for (const { seed, p } of runs) {
      const d = p.days.get(day);
      const load = loadSummary([...(d?.agentCases.values() ?? [])], DEFAULT_CONFIG.loadBand);
      expect(load.mean, `seed ${seed}`).toBeGreaterThanOrEqual(10);
      expect(load.mean, `seed ${seed}`).toBeLessThanOrEqual(15);
      expect(load.agents).toBeGreaterThanOrEqual(55);
    }
  });

  it('then satisfaction is 97% ± 2', () => {
    // About 230 evaluations a day leave one day's rate a ±1 point sampling spread; the three days are pooled.
    const pooled = emptyCaseCounts();
    for (const { p } of runs) addCaseCounts(pooled, p.days.get(day)?.cases ?? emptyCaseCounts());
    const k = caseKpis(pooled);
    expect(k.counts.evaluated).toBeGreaterThan(600);
    expect(k.satisfaction).toBeGreaterThanOrEqual(0.95);
    expect(k.satisfaction).toBeLessThanOrEqual(0.99);
  });

  it('then the answer rate is at least 90%', () => {
    for (const { seed, p } of runs) {
      const c = p.days.get(day)?.calls;
      expect(c?.offered).toBeGreaterThan(600);
      expect(
        callKpis(
          c ?? {
            offered: 0,
            answered: 0,
            abandoned: 0,
            answeredWithin15s: 0,
            waitSecTotal: 0,
            talkSecTotal: 0,
            wrapSecTotal: 0,
            handled: 0,
          },
        ).answerRate,
        `seed ${seed}`,
      ).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("then the dispatch rate of the day's cases is 100%", () => {
    for (const { seed, p } of runs) {
      // Counted over the day's cohort: a case registered at 23:58 is dispatched after midnight, on the next day's counter.
      const counts = emptyCaseCounts();
      for (const c of p.cases.values()) {
        if (shanghaiDateKey(c.receivedAt) !== day || (c.stage === 'closed' && c.dispatchedAt === null)) continue;
        counts.needDispatch++;
        if (c.dispatchedAt !== null) counts.dispatched++;
      }
      expect(counts.needDispatch).toBeGreaterThan(300);
      expect(caseKpis(counts).dispatchRate, `seed ${seed}`).toBe(1);
    }
  });
});

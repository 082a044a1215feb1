import { describe, expect, it } from 'vitest';
import { buildWallView } from '@shared/projection/view';
import { addDays, MINUTE_MS, shanghaiDateKey, shanghaiInstant } from '@shared/time';
import type { DomainEventInput } from '@shared/events';
import { T0, caseEvent, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const meta = { spaceKind: 'live' as const, clockRate: 1 };
const at = (m: number) => T0 + m * MINUTE_MS;
const TODAY = shanghaiDateKey(T0);
const YESTERDAY = addDays(TODAY, -1);
/** Yesterday (Sunday) 16:00: dispatched then, the 2-working-hour sign-for limit ends today 10:30 (the weekend is off). */
const Y16 = shanghaiInstant(YESTERDAY, '16:00');

/** A case handled to the end: dispatched, signed, replied, called back, evaluated satisfied and closed. */
function handled(id: string, unit: string, dispatchAt: number, signAt: number, replyAt: number): DomainEventInput[] {
  return [
    received(id, { ts: dispatchAt }),
    caseEvent('case.dispatched', id, dispatchAt, { unit }),
    caseEvent('case.signed', id, signAt),
    caseEvent('case.replied', id, replyAt, { reply: '已处理' }),
    caseEvent('case.called_back', id, replyAt + 10 * MINUTE_MS),
    caseEvent('case.evaluated', id, replyAt + 20 * MINUTE_MS, { rating: 'satisfied' }),
    caseEvent('case.closed', id, replyAt + 30 * MINUTE_MS),
  ];
}

/**
 * Two units with identical cases: one signed on time today, one dispatched yesterday and signed late today. cgzf's
 * late case is exempted (不计考核) after the late sign-for, before its reply, callback and evaluation.
 */
function week(): DomainEventInput[] {
  const events: DomainEventInput[] = [];
  for (const unit of ['cgzf', 'zjj']) events.push(...handled(`${unit}-ok`, unit, at(0), at(30), at(60)));
  const late = (unit: string) => handled(`${unit}-late`, unit, Y16, at(150), at(170));
  const [cgzfLate, zjjLate] = [late('cgzf'), late('zjj')];
  // received, dispatched and signed late; then the exemption; then the rest of the case.
  events.push(
    ...zjjLate,
    ...cgzfLate.slice(0, 3),
    caseEvent('case.exempted', 'cgzf-late', at(160), { reason: '市级平台认定不计考核' }),
    ...cgzfLate.slice(3),
  );
  return events;
}

describe("when a unit's late case is exempted (不计考核)", () => {
  it("then that unit's ranking score rises to full while the other unit with the same cases keeps the late sign-for", () => {
    const p = newProjection();
    const events = week();
    const exemptAt = events.findIndex((e) => e.type === 'case.exempted');
    expect(foldAll(p, events.slice(0, exemptAt))).toEqual([]);
    // Before: both signed one of two on time → 15 × 0.5 off 100.
    expect(
      buildWallView(p, at(155), meta)
        .ranking.rows.map((r) => [r.unit, r.score, r.cases])
        .sort(),
    ).toEqual([
      ['cgzf', 92.5, 2],
      ['zjj', 92.5, 2],
    ]);

    expect(foldAll(p, events.slice(exemptAt))).toEqual([]);
    const r = buildWallView(p, at(240), meta).ranking;
    expect(r.rows).toEqual([
      { unit: 'cgzf', rank: 1, score: 100, max: 100, insufficient: false, cases: 1, onTimeRate: 1, satisfaction: 1 },
      { unit: 'zjj', rank: 2, score: 92.5, max: 100, insufficient: false, cases: 2, onTimeRate: 1, satisfaction: 1 },
    ]);
  });

  it('then its counts leave the unit on every day they were made, it adds nothing more, and the district counts keep it', () => {
    const p = newProjection();
    expect(foldAll(p, week())).toEqual([]);
    const today = p.days.get(TODAY);
    const yesterday = p.days.get(YESTERDAY);
    // Yesterday's dispatch is taken back; today's late sign-for too; the reply, callback and evaluation after the exemption never count.
    expect(yesterday?.byUnit.get('cgzf')).toMatchObject({ dispatched: 0, needDispatch: 0 });
    expect(yesterday?.byUnit.get('zjj')).toMatchObject({ dispatched: 1, needDispatch: 1 });
    expect(today?.byUnit.get('cgzf')).toMatchObject({
      dispatched: 1,
      signed: 1,
      signedOnTime: 1,
      replied: 1,
      calledBack: 1,
      evaluated: 1,
      closed: 1,
    });
    expect(today?.byUnit.get('zjj')).toMatchObject({
      dispatched: 1,
      signed: 2,
      signedOnTime: 1,
      replied: 2,
      calledBack: 2,
      evaluated: 2,
      closed: 2,
    });
    expect(today?.unitShares.has('cgzf-late')).toBe(false);
    expect(yesterday?.unitShares.has('cgzf-late')).toBe(false);
    // The district's figures are what happened, exempt or not.
    expect(today?.cases).toMatchObject({
      signed: 4,
      signedOnTime: 2,
      replied: 4,
      calledBack: 4,
      evaluated: 4,
      satisfied: 4,
      closed: 4,
    });
    expect(yesterday?.cases).toMatchObject({ dispatched: 2 });
  });

  it('then a rebuild from the same events gives the same ranking and unit counts', () => {
    const live = newProjection();
    const events = week();
    // Live: folded in two parts with the wall built (and pruned) in between, as the server does.
    expect(foldAll(live, events.slice(0, 10))).toEqual([]);
    buildWallView(live, at(100), meta);
    expect(foldAll(live, events.slice(10))).toEqual([]);
    const rebuilt = newProjection();
    expect(foldAll(rebuilt, events)).toEqual([]);
    const [a, b] = [buildWallView(live, at(240), meta), buildWallView(rebuilt, at(240), meta)];
    expect(b.ranking).toEqual(a.ranking);
    expect(a.ranking.rows.map((r) => [r.unit, r.score])).toEqual([
      ['cgzf', 100],
      ['zjj', 92.5],
    ]);
    for (const day of [YESTERDAY, TODAY]) expect(rebuilt.days.get(day)?.byUnit).toEqual(live.days.get(day)?.byUnit);
  });
});

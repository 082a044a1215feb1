import { describe, expect, it } from 'vitest';
import { applyCaseEvent, ALLOWED_FROM, judgeCaseEvent, type LifecycleContext } from '@shared/cases/lifecycle';
import type { CaseState } from '@shared/cases/state';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type CaseEvent, type DomainEventInput } from '@shared/events';
import { DEFAULT_SLA_RULES } from '@shared/sla/rules';
import { DEFAULT_WORKING_HOURS } from '@shared/sla/calendar';
import { chineseHolidayCalendar } from '@shared/sla/holidays';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { T0, caseEvent, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const ctx: LifecycleContext = {
  env: { calendar: chineseHolidayCalendar(), hours: DEFAULT_WORKING_HOURS },
  rules: DEFAULT_SLA_RULES,
};

function parse(e: DomainEventInput): CaseEvent {
  const v = validateEvent(e);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.event as CaseEvent;
}

/** Folds events, throwing on the first refusal. */
function fold(events: DomainEventInput[]): CaseState {
  let s: CaseState | undefined;
  for (const e of events) {
    const t = applyCaseEvent(s, parse(e), ctx);
    if (!t.ok) throw new Error(t.reason);
    s = t.state;
  }
  if (!s) throw new Error('no events');
  return s;
}

const at = (m: number) => T0 + m * MINUTE_MS;
const upToReply = (id: string) => [
  received(id),
  caseEvent('case.registered', id, at(1)),
  caseEvent('case.dispatched', id, at(2), { unit: 'cgzf' }),
  caseEvent('case.signed', id, at(30)),
  caseEvent('case.processing', id, at(31)),
  caseEvent('case.replied', id, at(120), { reply: '已处理' }),
];

describe('when a case runs the whole happy path', () => {
  it('then every stage is reached and the clocks start and stop on time', () => {
    const s = fold([
      ...upToReply('h1'),
      caseEvent('case.quality_checked', 'h1', at(130), { passed: true }),
      caseEvent('case.called_back', 'h1', at(200)),
      caseEvent('case.evaluated', 'h1', at(201), { rating: 'satisfied' }),
      caseEvent('case.closed', 'h1', at(202)),
    ]);
    expect(s.stage).toBe('closed');
    expect(s.unit).toBe('cgzf');
    expect(s.sign?.stoppedAt).toBe(at(30));
    // sign-for: 2 working hours from 09:02 on a Monday → 11:02 the same day.
    expect(s.sign?.deadline).toBe(at(2) + 2 * HOUR_MS);
    expect(s.handle?.stoppedAt).toBe(at(120));
    expect(s.callback?.stoppedAt).toBe(at(200));
    expect(s.rating).toBe('satisfied');
    expect(s.closedAt).toBe(at(202));
  });
});

describe('when an event does not fit the stage', () => {
  it('then it is refused with a reason naming the case, the stage and the event', () => {
    const s = fold([received('x1')]);
    const t = applyCaseEvent(s, parse(caseEvent('case.replied', 'x1', at(5))), ctx);
    expect(t).toEqual({
      ok: false,
      reason: 'case x1 is received: case.replied does not fit (allowed from signed/processing)',
    });
  });

  it('then a second case.received for the same id is refused', () => {
    const s = fold([received('x2')]);
    const t = applyCaseEvent(s, parse(received('x2')), ctx);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.reason).toContain('already exists');
  });

  it('then an event older than the case’s last event is refused', () => {
    const s = fold([received('x3'), caseEvent('case.dispatched', 'x3', at(10), { unit: 'cgzf' })]);
    const t = applyCaseEvent(s, parse(caseEvent('case.signed', 'x3', at(5))), ctx);
    expect(t.ok).toBe(false);
  });

  it('then only an unsatisfied case can be reopened', () => {
    const s = fold([
      ...upToReply('x4'),
      caseEvent('case.called_back', 'x4', at(200)),
      caseEvent('case.evaluated', 'x4', at(201), { rating: 'basically_satisfied' }),
    ]);
    const t = applyCaseEvent(s, parse(caseEvent('case.reopened', 'x4', at(202))), ctx);
    expect(t.ok).toBe(false);
  });

  it('then every event type names at least one stage it fits', () => {
    for (const [type, stages] of Object.entries(ALLOWED_FROM)) expect(stages.length, type).toBeGreaterThan(0);
  });
});

describe('when a reply fails quality check (驳回重办)', () => {
  it('then the case goes back to processing with a restarted handling clock', () => {
    const s = fold([
      ...upToReply('r1'),
      caseEvent('case.quality_checked', 'r1', at(125), { passed: false, reason: '答复不完整' }),
    ]);
    expect(s.stage).toBe('processing');
    expect(s.redoCount).toBe(1);
    expect(s.handle?.start).toBe(at(125));
    expect(s.handle?.stoppedAt).toBeNull();
    expect(s.callback).toBeNull();
  });
});

describe('when the citizen is unsatisfied (二次重办)', () => {
  it('then the case is reopened to the unit, which must sign again', () => {
    const s = fold([
      ...upToReply('u1'),
      caseEvent('case.called_back', 'u1', at(200)),
      caseEvent('case.evaluated', 'u1', at(201), { rating: 'unsatisfied' }),
      caseEvent('case.reopened', 'u1', at(210)),
    ]);
    expect(s.stage).toBe('dispatched');
    expect(s.awaitingResign).toBe(true);
    expect(s.reopenCount).toBe(1);
    expect(s.sign?.start).toBe(at(210));
    const signed = fold([
      ...upToReply('u2'),
      caseEvent('case.called_back', 'u2', at(200)),
      caseEvent('case.evaluated', 'u2', at(201), { rating: 'unsatisfied' }),
      caseEvent('case.reopened', 'u2', at(210)),
      caseEvent('case.signed', 'u2', at(220)),
    ]);
    expect(signed.awaitingResign).toBe(false);
    expect(signed.stage).toBe('signed');
  });
});

describe('when a case is returned (退单)', () => {
  it('then it goes back to registered without unit or clocks, and can be dispatched again', () => {
    const s = fold([
      received('t1'),
      caseEvent('case.dispatched', 't1', at(2), { unit: 'zjj' }),
      caseEvent('case.returned', 't1', at(20), { reason: '非本单位职责' }),
      caseEvent('case.dispatched', 't1', at(25), { unit: 'cgzf' }),
    ]);
    expect(s.stage).toBe('dispatched');
    expect(s.unit).toBe('cgzf');
    expect(s.dispatchedAt).toBe(at(2));
    expect(s.sign?.start).toBe(at(25));
  });
});

describe('when an urgent case is dispatched', () => {
  it('then its clocks run in calendar time: sign within 30 min, reply within 2 h, even at night', () => {
    const night = shanghaiInstant('2026-11-28', '23:00'); // a Saturday night
    const s = fold([
      received('g1', { urgency: 'urgent', ts: night }),
      caseEvent('case.dispatched', 'g1', night + MINUTE_MS, { unit: 'water' }),
    ]);
    expect(s.sign?.deadline).toBe(night + 31 * MINUTE_MS);
    expect(s.handle?.deadline).toBe(night + MINUTE_MS + 2 * HOUR_MS);
  });
});

describe('when a supervisor acts on a case', () => {
  it('then 督办 with a new deadline moves the handling deadline, an extension moves it too, and exemption sticks', () => {
    const base = [received('s1'), caseEvent('case.dispatched', 's1', at(2), { unit: 'cgzf' })];
    const sup = fold([
      ...base,
      caseEvent('case.supervised', 's1', at(10), { message: '请尽快处理', newDeadline: at(600) }),
    ]);
    expect(sup.supervisedCount).toBe(1);
    expect(sup.handle?.deadline).toBe(at(600));
    const ext = fold([
      ...base,
      caseEvent('case.extension_requested', 's1', at(10), { until: at(9000), reason: '需协调' }),
      caseEvent('case.extension_approved', 's1', at(11), { until: at(9000) }),
    ]);
    expect(ext.handle?.deadline).toBe(at(9000));
    expect(ext.extensionRequestedUntil).toBeNull();
    const ex = fold([...base, caseEvent('case.exempted', 's1', at(12), { reason: '不可抗力' })]);
    expect(ex.exempt).toBe(true);
    expect(applyCaseEvent(ex, parse(caseEvent('case.exempted', 's1', at(13), { reason: 'again' })), ctx).ok).toBe(
      false,
    );
  });
});

describe('when the config sets the defaults', () => {
  it('then the sla rules in the config are the default rules', () => {
    expect(DEFAULT_CONFIG.sla).toBe(DEFAULT_SLA_RULES);
  });
});

describe('when a producer’s step does not fit, for reasons no supervisor command meets', () => {
  it('then the refusal carries its code and data: case_exists, before_last_event, not_unsatisfied', () => {
    const s = fold([received('p1'), caseEvent('case.dispatched', 'p1', at(10), { unit: 'cgzf' })]);
    expect(judgeCaseEvent(s, parse(received('p1')), ctx)).toEqual({
      code: 'case_exists',
      caseId: 'p1',
      type: 'case.received',
      stage: 'dispatched',
      why: 'case p1 is dispatched: case.received does not fit (the case already exists)',
    });
    expect(judgeCaseEvent(s, parse(caseEvent('case.signed', 'p1', at(5))), { ...ctx, stepSkewMs: 60_000 })).toEqual({
      code: 'before_last_event',
      caseId: 'p1',
      type: 'case.signed',
      stage: 'dispatched',
      ts: at(5),
      lastTs: at(10),
      skewMs: 60_000,
      why: "case p1 is dispatched: case.signed does not fit (event time 2026-11-23T01:05:00.000Z is before the case's last event 2026-11-23T01:10:00.000Z by more than the 60 s of clock skew allowed)",
    });
    expect(
      judgeCaseEvent(s, parse(caseEvent('case.signed', 'p1', at(9.5))), { ...ctx, stepSkewMs: 60_000 }),
    ).toBeNull();
    const rated = fold([
      ...upToReply('p2'),
      caseEvent('case.called_back', 'p2', at(200)),
      caseEvent('case.evaluated', 'p2', at(201), { rating: 'basically_satisfied' }),
    ]);
    expect(judgeCaseEvent(rated, parse(caseEvent('case.reopened', 'p2', at(202))), ctx)).toEqual({
      code: 'not_unsatisfied',
      caseId: 'p2',
      type: 'case.reopened',
      stage: 'evaluated',
      rating: 'basically_satisfied',
      why: 'case p2 is evaluated: case.reopened does not fit (only an unsatisfied case is reopened; rating is basically_satisfied)',
    });
  });
});

describe('when cases without flags are received and one is merged into another', () => {
  it('then the master lists the duplicate and every other case still has empty lists', () => {
    const p = newProjection();
    expect(
      foldAll(p, [
        received('m1'),
        received('m2'),
        received('m3'),
        received('m4', { flags: ['emergency'] }),
        caseEvent('case.merged', 'm2', at(5), { masterCaseId: 'm1' }),
      ]),
    ).toEqual([]);
    expect(p.cases.get('m1')?.duplicates).toEqual(['m2']);
    expect(p.cases.get('m2')?.stage).toBe('merged');
    expect(p.cases.get('m3')?.duplicates).toEqual([]);
    expect(p.cases.get('m3')?.flags).toEqual([]);
    expect(p.cases.get('m4')?.flags).toEqual(['emergency']);
    // The empty lists cases share cannot be changed in place: a change replaces them.
    expect(Object.isFrozen(p.cases.get('m3')?.duplicates)).toBe(true);
  });
});

/**
 * The duty item lifecycle on the pure reducers: what opens an item, its limits on the clock, escalation level by level,
 * and every step refused with a reason when it does not fit.
 */
import { describe, expect, it } from 'vitest';
import { decideItemAction } from '@shared/duty/actions';
import { deskList, deskSummary } from '@shared/duty/desk';
import { caseItemId, dutyItemEvents } from '@shared/duty/monitor';
import type { DomainEventInput } from '@shared/events';
import { MINUTE_MS } from '@shared/time';
import { received, T0 } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const URGENT = received('u1', { urgency: 'urgent', title: '燃气管道破裂' });
const MASS = received('g1', { flags: ['mass'], title: '小区停水' });
const PLAIN = received('n1');

function nightWithUrgentCase() {
  const p = newProjection();
  expect(foldAll(p, [URGENT, MASS, PLAIN])).toEqual([]);
  return p;
}

describe('when an urgent case and a mass case arrive', () => {
  it('then the monitor opens one item for each, stamped when each case arrived, and none for a normal case', () => {
    const p = nightWithUrgentCase();
    const events = dutyItemEvents(p, T0 + MINUTE_MS, 100);
    expect(events.map((e) => (e.type === 'item.opened' ? [e.itemId, e.kind, e.since, e.caseId] : null))).toEqual([
      ['case|u1', 'case', T0, 'u1'],
      ['case|g1', 'case', T0, 'g1'],
    ]);
    expect(foldAll(p, events)).toEqual([]);
    // A second pass opens nothing again.
    expect(dutyItemEvents(p, T0 + 2 * MINUTE_MS, 100)).toEqual([]);
  });
});

describe('when nobody acknowledges an urgent item', () => {
  it('then it goes to the 值班长 at its 5-minute limit and to the 值班领导 10 minutes later, once each', () => {
    const p = nightWithUrgentCase();
    foldAll(p, dutyItemEvents(p, T0, 100));
    expect(dutyItemEvents(p, T0 + 4 * MINUTE_MS, 100)).toEqual([]);
    const first = dutyItemEvents(p, T0 + 5 * MINUTE_MS, 100);
    expect(first.map((e) => (e.type === 'item.escalated' ? [e.itemId, e.level, e.to, e.ts] : null))).toEqual([
      ['case|u1', 1, '值班长', T0 + 5 * MINUTE_MS],
      ['case|g1', 1, '值班长', T0 + 5 * MINUTE_MS],
    ]);
    foldAll(p, first);
    expect(dutyItemEvents(p, T0 + 14 * MINUTE_MS, 100)).toEqual([]);
    const second = dutyItemEvents(p, T0 + 16 * MINUTE_MS, 100);
    expect(second.map((e) => (e.type === 'item.escalated' ? [e.level, e.to, e.ts] : null))).toEqual([
      [2, '值班领导', T0 + 15 * MINUTE_MS],
      [2, '值班领导', T0 + 15 * MINUTE_MS],
    ]);
    foldAll(p, second);
    const s = deskSummary(p);
    expect(s).toMatchObject({ open: 2, unacknowledged: 2, oldestUnacknowledgedSince: T0 });
    expect(s.escalation).toMatchObject({ level: 2, to: '值班领导' });
  });

  it('then a monitor that wakes late writes every level due, stamped when each fell due', () => {
    const p = nightWithUrgentCase();
    foldAll(p, dutyItemEvents(p, T0, 100));
    const late = dutyItemEvents(p, T0 + 60 * MINUTE_MS, 100).filter(
      (e) => e.type === 'item.escalated' && e.itemId === 'case|u1',
    );
    expect(late.map((e) => e.ts)).toEqual([T0 + 5 * MINUTE_MS, T0 + 15 * MINUTE_MS]);
  });
});

describe('when the desk answers an item', () => {
  const by = '李娜';
  const at = (min: number) => T0 + min * MINUTE_MS;

  it('then acknowledge, report and resolve each become an event, and the limits show met or late', () => {
    const p = nightWithUrgentCase();
    foldAll(p, dutyItemEvents(p, T0, 100));
    const id = caseItemId('u1');
    const steps: DomainEventInput[] = [];
    const decide = (a: Parameters<typeof decideItemAction>[2], min: number) => {
      const d = decideItemAction(p.items.get(id), id, a, `e${min}`, at(min), by);
      if (!d.ok) throw new Error(d.reason);
      steps.push(d.event);
      expect(foldAll(p, [d.event])).toEqual([]);
    };
    decide({ kind: 'acknowledge', space: 'live' }, 3);
    decide({ kind: 'report', space: 'live', mode: 'phone' }, 20);
    decide({ kind: 'report', space: 'live', mode: 'written' }, 75);
    const list = deskList(p, at(80));
    const item = list.open.find((x) => x.id === id)!;
    expect(item.ack).toEqual({ at: at(3), by });
    expect(item.limits.ack).toEqual({ due: at(5), doneAt: at(3), state: 'met' });
    expect(item.limits.firstReport).toEqual({ due: at(30), doneAt: at(20), state: 'met' });
    expect(item.limits.writtenReport).toEqual({ due: at(60), doneAt: at(75), state: 'late' });
    decide({ kind: 'resolve', space: 'live', note: '燃气公司已关阀抢修' }, 90);
    const after = deskList(p, at(91));
    expect(after.open.map((x) => x.id)).toEqual(['case|g1']);
    expect(after.resolved.map((x) => [x.id, x.resolved?.note])).toEqual([[id, '燃气公司已关阀抢修']]);
    expect(steps.map((e) => e.type)).toEqual(['item.acknowledged', 'item.reported', 'item.reported', 'item.resolved']);
  });

  it('then running limits turn amber at 75% of the time and red past it', () => {
    const p = nightWithUrgentCase();
    foldAll(p, dutyItemEvents(p, T0, 100));
    const limitsAt = (min: number) => deskList(p, at(min)).open.find((x) => x.id === 'case|u1')!.limits;
    expect([limitsAt(3).ack.state, limitsAt(4).ack.state, limitsAt(6).ack.state]).toEqual(['ok', 'amber', 'red']);
    expect([limitsAt(20).firstReport?.state, limitsAt(25).firstReport?.state, limitsAt(31).firstReport?.state]).toEqual(
      ['ok', 'amber', 'red'],
    );
  });

  it('then a step that does not fit is refused with the reason, and the fold quarantines it the same way', () => {
    const p = nightWithUrgentCase();
    foldAll(p, dutyItemEvents(p, T0, 100));
    const id = 'case|u1';
    const refuse = (a: Parameters<typeof decideItemAction>[2], itemId = id) => {
      const d = decideItemAction(p.items.get(itemId), itemId, a, 'x', at(1), by);
      return d.ok ? 'accepted' : d.reason;
    };
    expect(refuse({ kind: 'report', space: 'live', mode: 'phone' })).toBe(
      'item case|u1 is not acknowledged: acknowledge it before reporting it',
    );
    expect(refuse({ kind: 'resolve', space: 'live', note: '已处理' })).toBe(
      'item case|u1 is not acknowledged: acknowledge it before resolving it',
    );
    expect(refuse({ kind: 'acknowledge', space: 'live' }, 'case|nope')).toBe(
      'no duty item case|nope: item.acknowledged needs an opened item',
    );
    foldAll(p, [{ type: 'item.acknowledged', eventId: 'a1', ts: at(2), itemId: id, by: '王强' }]);
    expect(refuse({ kind: 'acknowledge', space: 'live' })).toBe(
      'item case|u1 was already acknowledged by 王强 at 2026-11-23 09:02',
    );
    // The monitor does not escalate an acknowledged item, and an escalation written anyway is refused.
    expect(dutyItemEvents(p, at(60), 100).some((e) => e.type === 'item.escalated' && e.itemId === id)).toBe(false);
    expect(
      foldAll(p, [{ type: 'item.escalated', eventId: 'x1', ts: at(6), itemId: id, level: 1, to: '值班长' }]),
    ).toEqual(['item case|u1 was acknowledged by 王强 at 2026-11-23 09:02: nothing to escalate']);
    foldAll(p, [{ type: 'item.reported', eventId: 'r1', ts: at(10), itemId: id, by: '王强', mode: 'phone' }]);
    expect(refuse({ kind: 'report', space: 'live', mode: 'phone' })).toBe(
      'item case|u1 was already reported by phone by 王强 at 2026-11-23 09:10',
    );
    foldAll(p, [{ type: 'item.resolved', eventId: 's1', ts: at(30), itemId: id, by: '王强', note: '已处置' }]);
    expect(refuse({ kind: 'report', space: 'live', mode: 'written' })).toBe(
      'item case|u1 was resolved by 王强 at 2026-11-23 09:30: item.reported does not apply',
    );
  });
});

describe('when a kind runs on the working calendar', () => {
  it('then its limits skip the lunch break', () => {
    const p = newProjection();
    const cfg = {
      ...p.ctx.config,
      duty: {
        ...p.ctx.config.duty,
        kinds: { ...p.ctx.config.duty.kinds, case: { enabled: true, ackMin: 30, clock: 'working' as const } },
      },
    };
    const q = { ...p, ctx: { ...p.ctx, config: cfg } };
    const noon = T0 + 3 * 60 * MINUTE_MS - 10 * MINUTE_MS; // 11:50
    foldAll(q, [received('w1', { urgency: 'urgent', ts: noon })]);
    foldAll(q, dutyItemEvents(q, noon, 10));
    // 10 working minutes before 12:00, the other 20 from 14:00.
    expect(deskList(q, noon).open[0]!.limits.ack.due).toBe(T0 + 5 * 60 * MINUTE_MS + 20 * MINUTE_MS);
    expect(deskList(q, noon).open[0]!.limits.firstReport).toBeNull();
  });
});

/**
 * The simulated duty desk on the pure reducers: the demo's officer answers every item through the desk's own deciders
 * (each act is exactly the event the desk's command would write, and the fold refuses none), with realistic figures —
 * most items acknowledged within their limit, a few late, reports mostly in time — and never a pile of unacknowledged
 * items; a drill leaves its window's desk to the people unless the scenario hands it to the simulator.
 */
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { decideItemAction, type ItemAction } from '@shared/duty/actions';
import { deskSummary } from '@shared/duty/desk';
import { dutyFigures, type DutyFigures } from '@shared/duty/figures';
import type { DomainEvent, DomainEventInput } from '@shared/events';
import { projectionContext } from '@shared/projection/context';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { drillWindow, parseScenario, placeEffects, type Scenario } from '@shared/scenario';
import { DAY_MS, HOUR_MS, MINUTE_MS, shanghaiMidnight } from '@shared/time';
import { DistrictSim } from '../../simulators/day';
import { NO_DESK, WHOLE_DESK } from '../../simulators/desk';
import { drillDesk } from '../../simulators/feed';
import { loadScenario } from '../../simulators/scenario';
import { ServerFold } from '../fixtures/serverFold';

const FROM = shanghaiMidnight('2026-11-23');
const END = FROM + 3 * DAY_MS;
const SEED = 20241;

/** The command an item event is the answer to. */
function actionOf(
  e: Extract<DomainEvent, { type: 'item.acknowledged' | 'item.reported' | 'item.resolved' }>,
): ItemAction {
  if (e.type === 'item.acknowledged') return { kind: 'acknowledge', space: 'demo' };
  if (e.type === 'item.reported')
    return { kind: 'report', space: 'demo', mode: e.mode, ...(e.note !== undefined ? { note: e.note } : {}) };
  return { kind: 'resolve', space: 'demo', note: e.note };
}

describe("when the demo desk's simulated officer works three days", () => {
  let sim: DistrictSim;
  const events: DomainEventInput[] = [];
  let space: ServerFold;
  const mismatched: string[] = [];
  /** Unacknowledged items at each simulated hour. */
  const unacked: number[] = [];
  let month: DutyFigures;

  beforeAll(() => {
    sim = new DistrictSim({ seed: SEED, start: FROM, desk: WHOLE_DESK });
    // Before each of the officer's acts, the desk's decider on the space as the server holds it must write that event.
    const decided = (p: SpaceProjection, e: DomainEvent) => {
      if (e.type !== 'item.acknowledged' && e.type !== 'item.reported' && e.type !== 'item.resolved') return;
      const d = decideItemAction(p.items.get(e.itemId), e.itemId, actionOf(e), e.eventId, e.ts, e.by);
      if (!d.ok) mismatched.push(`${e.eventId}: refused: ${d.reason}`);
      else if (!isDeepStrictEqual(d.event, e))
        mismatched.push(`${e.eventId}: the desk writes ${JSON.stringify(d.event)}, not ${JSON.stringify(e)}`);
    };
    space = new ServerFold(createProjection('demo', projectionContext(DEFAULT_CONFIG)), 2 * MINUTE_MS, decided);
    for (let t = FROM + HOUR_MS; t <= END; t += HOUR_MS) {
      const chunk = sim.advanceTo(t);
      events.push(...chunk);
      space.fold(chunk);
      space.passTo(t);
      unacked.push(deskSummary(space.p).unacknowledged);
    }
    month = dutyFigures(space.p.items.values(), DEFAULT_CONFIG.duty, space.p.ctx.lifecycle.env, FROM, END, END);
  });

  it("then every act is the event the desk's decider writes for it, and the fold refuses none", () => {
    expect(sim.deskRefusals).toEqual([]);
    expect(space.refused).toEqual([]);
    expect(mismatched).toEqual([]);
    const count = (type: string) => events.filter((e) => e.type === type).length;
    const opened = count('item.opened');
    // Three days of an urgent case every hour or so; each one is opened, acknowledged and resolved by the officer.
    expect(opened).toBeGreaterThan(50);
    expect(count('item.acknowledged')).toBeGreaterThanOrEqual(opened - 3);
    expect(count('item.resolved')).toBeGreaterThanOrEqual(opened - 3);
    expect(count('item.reported')).toBeGreaterThan(opened);
    // The officer's openings are the monitor's own events, found duplicates when the monitor was first.
    expect(events.filter((e) => e.type === 'item.opened').every((e) => e.eventId.startsWith('item|'))).toBe(true);
    expect(space.duplicates).toBeGreaterThan(0);
    expect(events.filter((e) => e.type.startsWith('item.')).every((e) => sim.isDeskEvent(e.eventId))).toBe(true);
    expect(events.filter((e) => e.type === 'case.received').some((e) => sim.isDeskEvent(e.eventId))).toBe(false);
  });

  it('then most items are acknowledged within their limit, some late, reports mostly in time: figures, not 0 or 100%', () => {
    expect(month.items).toBeGreaterThan(50);
    expect(month.ackTimely).toBeGreaterThanOrEqual(0.85);
    expect(month.ackTimely).toBeLessThanOrEqual(0.98);
    expect(month.medianAckMin).toBeGreaterThan(0.5);
    expect(month.medianAckMin).toBeLessThan(5);
    expect(month.reportTimely).toBeGreaterThanOrEqual(0.75);
    expect(month.reportTimely).toBeLessThan(1);
  });

  it('then the desk never piles up: a few unacknowledged items at most, none most hours, every handover signed', () => {
    expect(Math.max(...unacked)).toBeLessThanOrEqual(4);
    expect(unacked.filter((n) => n === 0).length).toBeGreaterThan(unacked.length / 2);
    expect([...space.p.items.values()].filter((it) => it.kind === 'handover')).toEqual([]);
    expect([...space.p.handoverRecords.values()].every((r) => r.signed !== null)).toBe(true);
    expect(space.p.handoverRecords.size).toBe(9);
  });
});

describe('when a drill scenario leaves its window to the people at the desk', () => {
  const base: Scenario = loadScenario('rainstorm');
  const win = drillWindow(base);
  const run = (s: Scenario) => {
    const sim = new DistrictSim({
      seed: 5,
      start: win.simStart,
      effects: placeEffects(s),
      desk: drillDesk(s, win.start),
    });
    const events = sim.advanceTo(win.end);
    const space = new ServerFold(createProjection('drill-x', projectionContext(DEFAULT_CONFIG)), 5 * MINUTE_MS);
    space.fold(events);
    space.passTo(win.end);
    return { sim, events, space };
  };
  const desk = (e: DomainEventInput) =>
    e.type.startsWith('item.') || e.type === 'handover.submitted' || e.type === 'handover.signed';
  let people: ReturnType<typeof run>;

  beforeAll(() => {
    people = run(base);
  });

  it("then the simulator works the desk of the shifts before the window and nothing of the window's", () => {
    expect(base.drill.desk).toEqual({ handovers: 'people', items: 'people' });
    expect(people.space.refused).toEqual([]);
    const before = people.events.filter((e) => desk(e) && e.ts < win.start);
    expect(before.filter((e) => e.type === 'handover.signed').length).toBeGreaterThanOrEqual(3);
    expect(before.filter((e) => e.type === 'item.acknowledged').length).toBeGreaterThan(5);
    expect(people.events.filter((e) => desk(e) && e.ts >= win.start)).toEqual([]);
    // The window's items wait for the people: the rainstorm's urgent alerts are open and unacknowledged.
    const window = [...people.space.p.items.values()].filter((it) => it.since >= win.start);
    expect(window.length).toBeGreaterThan(20);
    expect(window.every((it) => it.ack === null)).toBe(true);
    // The 17:30 shift change in the window is the people's too: not handed over by the simulator.
    expect(people.space.p.handoverRecords.has(`${base.date}|day`)).toBe(false);
  });

  it('then a scenario that hands the handovers to the simulator has them done in the window, the items still not', () => {
    const s = parseScenario({ ...base, drill: { ...base.drill, desk: { handovers: 'simulated' } } }, 'test');
    expect(s.drill.desk).toEqual({ handovers: 'simulated', items: 'people' });
    const r = run(s);
    expect(r.space.refused).toEqual([]);
    const rec = r.space.p.handoverRecords.get(`${base.date}|day`);
    expect(rec?.signed?.at).toBeGreaterThan(win.start);
    expect(r.events.filter((e) => e.type.startsWith('item.') && e.ts >= win.start)).toEqual([]);
  });

  it('then with no desk at all the simulator writes neither handovers nor items', () => {
    const sim = new DistrictSim({ seed: 5, start: win.simStart, desk: NO_DESK });
    expect(sim.advanceTo(win.start).filter(desk)).toEqual([]);
  });
});

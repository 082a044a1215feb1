import { beforeAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { handoverSignDue } from '@shared/duty/limits';
import { validateEvent, type DomainEventInput } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { placedShifts } from '@shared/projection/duty';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { addDays, DAY_MS, HOUR_MS, MINUTE_MS, shanghaiDateKey, shanghaiMidnight } from '@shared/time';
import type { WallView } from '@shared/wall/view';
import { DistrictSim, generateEvents } from '../../simulators/day';
import { ServerFold } from '../fixtures/serverFold';

/** A normal working Wednesday; the two days before it are the backlog. */
const DAY = '2026-11-25';
const DAY_START = shanghaiMidnight(DAY);
const FROM = DAY_START - 2 * DAY_MS;
const SEED = 20241;

describe('when the same seed and start are generated twice', () => {
  it('then the events are byte-identical, however the time is stepped', () => {
    const to = FROM + 6 * HOUR_MS;
    const once = JSON.stringify(generateEvents({ seed: SEED, from: FROM, to }));
    const sim = new DistrictSim({ seed: SEED, start: FROM });
    const stepped: DomainEventInput[] = [];
    for (let t = FROM; t < to;) {
      t = Math.min(to, t + 7 * 60_000 + 13);
      stepped.push(...sim.advanceTo(t));
    }
    expect(JSON.stringify(stepped)).toBe(once);
    expect(once).toBe(JSON.stringify(generateEvents({ seed: SEED, from: FROM, to })));
  });

  it('then another seed gives other events', () => {
    const to = FROM + 6 * HOUR_MS;
    expect(JSON.stringify(generateEvents({ seed: SEED + 1, from: FROM, to }))).not.toBe(
      JSON.stringify(generateEvents({ seed: SEED, from: FROM, to })),
    );
  });
});

describe('when a working day is generated after two days of backlog', () => {
  let events: DomainEventInput[] = [];
  let p: SpaceProjection;
  const refusals: string[] = [];
  const invalid: string[] = [];
  let view: WallView;
  let tail: DomainEventInput[] = [];

  beforeAll(() => {
    const sim = new DistrictSim({ seed: SEED, start: FROM });
    events = sim.advanceTo(DAY_START + DAY_MS - 1);
    tail = sim.advanceTo(DAY_START + DAY_MS + HOUR_MS);
    p = createProjection('demo', projectionContext(DEFAULT_CONFIG));
    const fold = (e: DomainEventInput) => {
      const v = validateEvent(e);
      if (!v.ok) {
        invalid.push(`${e.eventId}: ${JSON.stringify(v.errors)}`);
        return;
      }
      const reason = applyEvent(p, v.event);
      if (reason !== null) refusals.push(`${e.eventId}: ${reason}`);
    };
    for (const e of events) fold(e);
    view = buildWallView(p, DAY_START + DAY_MS - 1, { spaceKind: 'demo', clockRate: 1 });
    for (const e of tail) fold(e);
  });

  it('then every event is valid, in time order, with a unique id, and the projection refuses none', () => {
    expect(invalid).toEqual([]);
    expect(refusals).toEqual([]);
    const all = [...events, ...tail];
    expect(all.every((e, i) => i === 0 || (all[i - 1]?.ts ?? 0) <= e.ts)).toBe(true);
    expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
    expect(all[0]?.ts).toBe(FROM);
  });

  it('then about a thousand cases are received from every channel, hotline about 70%', () => {
    const received = events.filter(
      (e): e is Extract<DomainEventInput, { type: 'case.received' }> =>
        e.type === 'case.received' && shanghaiDateKey(e.ts) === DAY,
    );
    expect(view.kpi.counts.received).toBe(received.length);
    expect(received.length).toBeGreaterThanOrEqual(800);
    expect(received.length).toBeLessThanOrEqual(1200);
    const hotline = received.filter((e) => e.channel === 'hotline').length / received.length;
    expect(hotline).toBeGreaterThan(0.62);
    expect(hotline).toBeLessThan(0.78);
    expect(new Set(received.map((e) => e.channel)).size).toBe(7);
    expect(received.filter((e) => e.channel === 'hotline').every((e) => e.agentId && e.callId)).toBe(true);
  });

  it('then the hotline answers 90–99% of calls and agents take 10–15 cases each on average', () => {
    expect(view.hotline.offered).toBeGreaterThan(600);
    expect(view.hotline.answerRate).toBeGreaterThanOrEqual(0.9);
    expect(view.hotline.answerRate).toBeLessThanOrEqual(0.99);
    expect(view.hotline.ahtSec).toBeGreaterThan(240);
    expect(view.hotline.ahtSec).toBeLessThan(480);
    const load = view.agentLoad.summary;
    expect(load.agents).toBeGreaterThanOrEqual(55);
    expect(load.mean).toBeGreaterThanOrEqual(10);
    expect(load.mean).toBeLessThanOrEqual(15);
    expect(view.agentLoad.presenceRate).toBe(1);
  });

  it('then satisfaction is 95–99%, every case needing it is dispatched, and a few are late', () => {
    expect(view.kpi.satisfaction).toBeGreaterThanOrEqual(0.95);
    expect(view.kpi.satisfaction).toBeLessThanOrEqual(0.99);
    expect(view.kpi.counts.evaluated).toBeGreaterThan(200);
    expect(view.kpi.dispatchRate).toBeGreaterThanOrEqual(0.99);
    // A case registered in the day's last minutes is dispatched just after midnight: an hour on, all of them are.
    const ofDay = [...p.cases.values()].filter((c) => shanghaiDateKey(c.receivedAt) === DAY);
    expect(ofDay.filter((c) => c.dispatchedAt === null && c.stage !== 'closed')).toEqual([]);
    expect(view.kpi.signOnTimeRate).toBeGreaterThan(0.9);
    expect(view.kpi.signOnTimeRate).toBeLessThan(1);
    expect(view.overdue.overdue.total).toBeGreaterThan(0);
    expect(view.overdue.overdue.total).toBeLessThan(0.1 * view.overdue.open);
  });

  it('then the duty posts are held, the handover is done and every link is up at the end of the day', () => {
    expect(view.duty.shift?.id).toBe('evening');
    expect(view.duty.next?.id).toBe('night');
    expect(view.duty.posts.every((x) => x.status === 'held')).toBe(true);
    expect(view.duty.handover.late).toBe(false);
    expect(view.links.every((l) => l.up)).toBe(true);
  });
});

describe("when a simulated day's shifts change (the handovers are the simulator's, the items the people's)", () => {
  const END = DAY_START + DAY_MS + HOUR_MS;
  let sim: DistrictSim;
  let events: DomainEventInput[] = [];
  let space: ServerFold;

  beforeAll(() => {
    sim = new DistrictSim({ seed: SEED, start: FROM });
    events = sim.advanceTo(END);
    space = new ServerFold(createProjection('demo', projectionContext(DEFAULT_CONFIG)), 5 * MINUTE_MS);
    space.fold(events);
    space.passTo(END);
  });

  it('then each shift change is submitted by the outgoing officer and signed by the incoming one within the limit', () => {
    const p = space.p;
    expect(space.refused).toEqual([]);
    expect(sim.deskRefusals).toEqual([]);
    expect(events.filter((e) => e.type === 'duty.handover')).toEqual([]);
    // Every shift change from the first one after the start (00:30) to the last signed before the end (00:30 on the
    // day after), three a day: the roster's own shifts, each with the officer the roster names.
    const dates = [addDays(DAY, -3), addDays(DAY, -2), addDays(DAY, -1), DAY];
    const shifts = dates
      .flatMap((d) => placedShifts(p, shanghaiMidnight(d)))
      .filter((s, i, all) => all.findIndex((x) => x.date === s.date && x.shift.id === s.shift.id) === i)
      .filter((s) => s.end > FROM && s.end + 30 * MINUTE_MS <= END);
    expect(shifts.map((s) => `${s.date}|${s.shift.id}`)).toEqual([
      `${addDays(DAY, -3)}|evening`,
      ...[addDays(DAY, -2), addDays(DAY, -1), DAY].flatMap((d) => [`${d}|night`, `${d}|day`, `${d}|evening`]),
    ]);
    const officer = (date: string, id: string) =>
      p.rosters
        .get(date)
        ?.find((x) => x.id === id)
        ?.posts.find((x) => x.post === 'duty_officer')?.name;
    for (const s of shifts) {
      const rec = p.handoverRecords.get(`${s.date}|${s.shift.id}`);
      expect(rec, `${s.date}|${s.shift.id}`).toBeDefined();
      const next = rec!.record.next!;
      expect(rec!.record.shiftId).toBe(s.shift.id);
      expect(rec!.submitted.by).toBe(officer(s.date, s.shift.id));
      expect(rec!.signed?.by).toBe(officer(next.date, next.shiftId));
      expect(rec!.signed?.by).not.toBe(rec!.submitted.by);
      expect(rec!.submitted.at).toBeGreaterThan(s.end);
      expect(rec!.signed!.at).toBeGreaterThan(rec!.submitted.at);
      expect(rec!.signed!.at).toBeLessThanOrEqual(handoverSignDue(DEFAULT_CONFIG.duty, s.end));
    }
    expect(events.filter((e) => e.type === 'handover.submitted').length).toBe(shifts.length);
    expect(events.filter((e) => e.type === 'handover.signed').length).toBe(shifts.length);
  });

  it('then the monitor opens no unsigned-handover item, and the items are left to the people at the desk', () => {
    const items = [...space.p.items.values()];
    expect(items.filter((it) => it.kind === 'handover')).toEqual([]);
    // The day has urgent cases: their items are open, and nobody but the people may answer them.
    expect(items.filter((it) => it.kind === 'case').length).toBeGreaterThan(20);
    expect(events.filter((e) => e.type.startsWith('item.'))).toEqual([]);
  });

  it("then the wall's handover line shows the last record's note", () => {
    const view = buildWallView(space.p, END, { spaceKind: 'demo', clockRate: 1 });
    const rec = space.p.handoverRecords.get(`${DAY}|evening`)!;
    expect(view.duty.shift?.id).toBe('night');
    expect(view.duty.handover).toEqual({ lastAt: rec.submitted.at, note: rec.submitted.note, late: false });
  });
});

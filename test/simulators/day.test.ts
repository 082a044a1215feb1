import { beforeAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEventInput } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { DAY_MS, HOUR_MS, shanghaiDateKey, shanghaiMidnight } from '@shared/time';
import type { WallView } from '@shared/wall/view';
import { DistrictSim, generateEvents } from '../../simulators/day';

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

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEventInput } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { shanghaiInstant } from '@shared/time';
import type { WallView } from '@shared/wall/view';
import { generateEvents } from '../../simulators/day';
import { timedAlertEvents } from '@shared/projection/monitor';
import {
  drillWindow,
  parseScenario,
  placeEffects,
  scenarioJsonSchema,
  ScenarioError,
  type Scenario,
} from '@shared/scenario';
import { loadScenario, SCENARIO_DIR, shippedScenarios } from '../../simulators/scenario';

type Received = Extract<DomainEventInput, { type: 'case.received' }>;

/** A scenario's day from its simulation start to the end of its drill, folded with the shared reducers. */
function run(
  s: Scenario,
  seed = 4,
  effects = true,
): { events: DomainEventInput[]; p: SpaceProjection; refusals: string[]; viewAt: (hhmm: string) => WallView } {
  const w = drillWindow(s);
  const events = generateEvents({
    seed,
    from: w.simStart,
    to: w.end,
    ...(effects ? { effects: placeEffects(s) } : {}),
  });
  const p = createProjection('drill-t', projectionContext(DEFAULT_CONFIG));
  const refusals: string[] = [];
  const views = new Map<number, WallView>();
  const wanted = new Set<number>();
  const viewAt = (hhmm: string) => {
    const t = shanghaiInstant(s.date, hhmm);
    const v = views.get(t);
    if (!v) throw new Error(`no view at ${hhmm}; ask for it in want()`);
    return v;
  };
  for (const hhmm of ['09:55', '10:14', '11:00', '11:55', '12:30', '13:00', '17:00', '20:00', '21:59'])
    wanted.add(shanghaiInstant(s.date, hhmm));
  const times = [...wanted].sort((a, b) => a - b);
  let next = 0;
  for (const e of events) {
    while (next < times.length && (times[next] ?? 0) < e.ts) {
      const t = times[next++] ?? 0;
      // The server's monitor writes what time reveals before any wall looks: fold one pass, as it would.
      for (const a of timedAlertEvents(p, t)) {
        const r = applyEvent(p, a);
        if (r !== null) refusals.push(`${a.eventId}: ${r}`);
      }
      views.set(t, buildWallView(p, t, { spaceKind: 'drill', clockRate: 1 }));
    }
    const v = validateEvent(e);
    if (!v.ok) {
      refusals.push(`${e.eventId}: invalid ${JSON.stringify(v.errors)}`);
      continue;
    }
    const r = applyEvent(p, v.event);
    if (r !== null) refusals.push(`${e.eventId}: ${r}`);
  }
  return { events, p, refusals, viewAt };
}

const between = (events: DomainEventInput[], s: Scenario, from: string, to: string) =>
  events.filter((e) => e.ts >= shanghaiInstant(s.date, from) && e.ts < shanghaiInstant(s.date, to));

describe('when the shipped scenario files are read', () => {
  it('then all seven validate, with unique names, and the JSON Schema beside them is current', () => {
    const all = shippedScenarios();
    expect(all.map((s) => s.name)).toEqual([
      'link-down',
      'monday-peak',
      'normal-weekday',
      'rainstorm',
      'staff-shortfall',
      'trunk-failure',
      'water-outage',
    ]);
    const schema = JSON.parse(readFileSync(path.join(SCENARIO_DIR, 'scenario.schema.json'), 'utf8')) as unknown;
    expect(schema).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });

  it('then a bad user scenario is refused with every bad field named', () => {
    const bad = {
      name: 'My Storm',
      title: 't',
      description: 'd',
      date: '2026-02-30',
      drill: { startAt: '25:00', hours: 1 },
      effects: [{ kind: 'surge', at: '10:00', minutes: 10, channels: ['fax'], factor: 2 }, { kind: 'meteor' }],
    };
    let message = '';
    try {
      parseScenario(bad, 'my.json');
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^my\.json is not a valid scenario/);
    for (const field of ['name:', 'date:', 'drill.startAt:', 'effects.0.channels.0:', 'effects.1.kind:'])
      expect(message).toContain(`  ${field}`);
    expect(() => loadScenario('nope')).toThrow(/no scenario "nope"; shipped: link-down, monday-peak/);
  });

  it('then every scenario generates valid events the reducers accept, byte-identical for a seed', () => {
    for (const s of shippedScenarios()) {
      const w = drillWindow(s);
      const a = JSON.stringify(generateEvents({ seed: 9, from: w.simStart, to: w.start, effects: placeEffects(s) }));
      const b = JSON.stringify(generateEvents({ seed: 9, from: w.simStart, to: w.start, effects: placeEffects(s) }));
      expect(a, s.name).toBe(b);
    }
  });
});

describe('when the rainstorm scenario runs', () => {
  const s = loadScenario('rainstorm');
  let r: ReturnType<typeof run>;
  let normal: ReturnType<typeof run>;
  beforeAll(() => {
    r = run(s);
    normal = run(s, 4, false);
  });

  it('then the reducers accept every event', () => expect(r.refusals).toEqual([]));

  it('then waterlogging alerts come from sensors in low-lying streets only', () => {
    const lowLying = new Set(DEFAULT_CONFIG.streets.filter((x) => x.lowLying).map((x) => x.id));
    // Titles only the storm's sensors use (an ordinary day has a few 积水监测告警 anywhere).
    const storm = new Set(['道路积水超过20厘米告警', '下穿通道积水告警', '泵站水位超警戒告警']);
    const alerts = between(r.events, s, '14:00', '17:00').filter(
      (e): e is Received => e.type === 'case.received' && e.channel === 'sensing' && storm.has(e.title),
    );
    expect(alerts.length).toBeGreaterThanOrEqual(70);
    expect(alerts.every((e) => lowLying.has(e.street))).toBe(true);
    expect(alerts.filter((e) => e.urgency === 'urgent').length).toBeGreaterThan(30);
  });

  it('then the hotline takes about 4× its calls for 3 hours, with many mass cases about flooding', () => {
    const offered = (x: ReturnType<typeof run>) =>
      between(x.events, s, '14:15', '17:15').filter((e) => e.type === 'call.offered').length;
    expect(offered(r) / offered(normal)).toBeGreaterThan(3.3);
    expect(offered(r) / offered(normal)).toBeLessThan(4.8);
    const mass = between(r.events, s, '14:15', '17:30').filter(
      (e): e is Received => e.type === 'case.received' && e.flags?.includes('mass') === true,
    );
    expect(mass.length).toBeGreaterThan(200);
    expect(r.viewAt('17:00').agentLoad.summary.over).toBeGreaterThan(0);
  });
});

describe('when the water-outage scenario runs', () => {
  const s = loadScenario('water-outage');
  let r: ReturnType<typeof run>;
  beforeAll(() => {
    r = run(s);
  });

  it('then hundreds of calls about one issue within the hour merge into one master mass case', () => {
    expect(r.refusals).toEqual([]);
    const merged = r.events.filter(
      (e): e is Extract<DomainEventInput, { type: 'case.merged' }> => e.type === 'case.merged',
    );
    expect(merged.length).toBeGreaterThan(200);
    const masters = new Set(merged.map((e) => e.masterCaseId));
    expect(masters.size).toBe(1);
    const master = r.p.cases.get([...masters][0] ?? '');
    expect(master?.flags).toContain('mass');
    expect(master?.urgency).toBe('urgent');
    expect(master?.street).toBe('guanshan');
    expect(master?.duplicates.length).toBe(merged.length);
    expect(between(r.events, s, '09:30', '10:30').filter((e) => e.type === 'call.offered').length).toBeGreaterThan(450);
  });
});

describe('when the hotline trunk fails', () => {
  const s = loadScenario('trunk-failure');
  let r: ReturnType<typeof run>;
  let normal: ReturnType<typeof run>;
  beforeAll(() => {
    r = run(s);
    normal = run(s, 4, false);
  });

  it('then no call is answered for 15 minutes, the trunk reports a fault, and a surge follows', () => {
    expect(r.refusals).toEqual([]);
    const window = between(r.events, s, '10:00', '10:15');
    expect(window.filter((e) => e.type === 'call.offered').length).toBeGreaterThan(5);
    expect(window.filter((e) => e.type === 'call.answered')).toEqual([]);
    expect(window.some((e) => e.type === 'link.heartbeat' && e.link === 'call_trunk' && e.ok === false)).toBe(true);
    expect(r.viewAt('10:14').hotline.waiting).toBeGreaterThan(3);
    const surge = (x: ReturnType<typeof run>) =>
      between(x.events, s, '10:15', '11:00').filter((e) => e.type === 'call.offered').length;
    expect(surge(r) / surge(normal)).toBeGreaterThan(2.3);
    expect(r.viewAt('11:00').links.find((l) => l.id === 'call_trunk')?.up).toBe(true);
  });
});

describe('when 30% of the agents are absent', () => {
  const s = loadScenario('staff-shortfall');
  let r: ReturnType<typeof run>;
  let normal: ReturnType<typeof run>;
  beforeAll(() => {
    r = run(s);
    normal = run(s, 4, false);
  });

  it('then presence falls to about 70%, agents over 15 are flagged and the answer rate falls', () => {
    expect(r.refusals).toEqual([]);
    const v = r.viewAt('21:59');
    const n = normal.viewAt('21:59');
    expect(r.viewAt('11:00').agentLoad.presenceRate).toBeCloseTo(0.7, 2);
    expect(v.agentLoad.summary.over).toBeGreaterThan(5);
    expect(n.agentLoad.summary.over).toBe(0);
    expect(v.agentLoad.summary.mean).toBeGreaterThan(15);
    expect(v.hotline.answerRate).toBeLessThan(n.hotline.answerRate ?? 0);
  });
});

describe('when the city platform link goes down', () => {
  const s = loadScenario('link-down');
  let r: ReturnType<typeof run>;
  beforeAll(() => {
    r = run(s);
  });

  it('then the link is red during the outage and the cases it forwards arrive in a burst after it', () => {
    expect(r.refusals).toEqual([]);
    expect(r.viewAt('11:00').links.find((l) => l.id === 'city_platform')?.up).toBe(false);
    expect(r.viewAt('11:00').alerts.some((a) => a.kind === 'link_down')).toBe(true);
    expect(r.viewAt('12:30').links.every((l) => l.up)).toBe(true);
    const board = (from: string, to: string) =>
      between(r.events, s, from, to).filter(
        (e) => e.type === 'case.received' && (e.channel === 'message_board' || e.channel === 'referral'),
      ).length;
    expect(board('10:00', '12:00')).toBe(0);
    // Two hours' worth (about 9 on this seed) within ten minutes, where an ordinary ten minutes brings about one.
    expect(board('12:00', '12:10')).toBeGreaterThanOrEqual(5);
    expect(board('12:10', '12:20')).toBeLessThanOrEqual(3);
  });
});

describe('when the Monday peak runs', () => {
  const s = loadScenario('monday-peak');
  it('then the morning hotline is 1.6× and the field channels 1.4× an ordinary Monday', () => {
    const r = run(s);
    const n = run(s, 4, false);
    expect(r.refusals).toEqual([]);
    const count = (x: ReturnType<typeof run>, pred: (e: DomainEventInput) => boolean) =>
      between(x.events, s, '08:30', '12:00').filter(pred).length;
    const calls = (e: DomainEventInput) => e.type === 'call.offered';
    const field = (e: DomainEventInput) =>
      e.type === 'case.received' &&
      (e.channel === 'city_mgmt' || e.channel === 'grid_patrol' || e.channel === 'message_board');
    expect(count(r, calls) / count(n, calls)).toBeGreaterThan(1.35);
    expect(count(r, calls) / count(n, calls)).toBeLessThan(1.9);
    expect(count(r, field) / count(n, field)).toBeGreaterThan(1.15);
  });
});

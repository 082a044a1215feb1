import { describe, expect, it } from 'vitest';
import { projectionContext } from '../../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { addDays, HOUR_MS, MINUTE_MS, shanghaiDateKey, shanghaiInstant, shanghaiMidnight } from '@shared/time';
import { applyWallDelta, diffWallViews, isWallDelta, type WallDelta } from '@shared/wall/delta';
import { PANEL_KEYS } from '@shared/wall/registry';
import type { Alert, WallView } from '@shared/wall/view';
import { generateEvents } from '../../../simulators/day';
import { Rng } from '../../../simulators/random';
import { T0, caseEvent, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const meta = { spaceKind: 'demo' as const, clockRate: 1 };
const DAY = shanghaiDateKey(T0);

/** What a wall ends with: the delta through JSON (as on the wire), applied to the view it was diffed from. */
function overTheWire(prev: WallView, next: WallView): { view: WallView; delta: WallDelta; bytes: number } {
  const text = JSON.stringify(diffWallViews(prev, next, 7));
  const delta = JSON.parse(text) as WallDelta;
  return { view: applyWallDelta(prev, delta), delta, bytes: text.length };
}

/** Views of a simulated district day (yesterday and today to 18:00), one every `every` events, folded into `p`. */
function simulatedViews(p: SpaceProjection, every: number): WallView[] {
  const events = generateEvents({
    seed: 11,
    from: shanghaiMidnight(addDays(DAY, -1)),
    to: shanghaiInstant(DAY, '18:00'),
  });
  const views: WallView[] = [];
  events.forEach((raw, n) => {
    const v = validateEvent(raw);
    if (v.ok) applyEvent(p, v.event);
    if (n % every === every - 1) views.push(buildWallView(p, p.clock ?? T0, meta));
  });
  return views;
}

/** A ticker as another build might show it: some alerts cleared, some re-raised with new text, reordered, cut short. */
function editAlerts(rng: Rng, alerts: readonly Alert[], max: number): Alert[] {
  let out = alerts
    .filter(() => !rng.chance(0.2))
    .map((a) =>
      rng.chance(0.15)
        ? { ...a, text: `${a.text}（已更新）`, level: a.level === 'bad' ? ('warn' as const) : ('bad' as const) }
        : a,
    );
  if (rng.chance(0.3) && out.length > 1) {
    const i = rng.int(0, out.length - 1);
    const [moved] = out.splice(i, 1);
    out.splice(rng.int(0, out.length), 0, moved!);
  }
  if (rng.chance(0.3))
    out = [
      { id: `new-${rng.int(0, 1e9)}`, at: T0, kind: 'link_down', level: 'bad', text: '12345 平台链路中断' },
      ...out,
    ];
  if (rng.chance(0.2))
    out = out.map((a) => {
      const { caseId: _c, street: _s, ...rest } = a;
      return rest;
    });
  return out.slice(0, max);
}

describe('when any two views of a simulated day are diffed and the delta applied over the wire', () => {
  // alertsMax 8 so the ticker is cut short by its bound all day long.
  const small = createProjection('demo', projectionContext({ ...DEFAULT_CONFIG, alertsMax: 8 }));
  const views = simulatedViews(small, 700);
  const full = simulatedViews(newProjection('demo'), 2000);
  const rng = new Rng('wall-delta-property');

  it('then the result deep-equals the newer view, forwards, backwards and across hours', () => {
    expect(views.length).toBeGreaterThan(40);
    expect(views.some((v) => v.alerts.length === 8)).toBe(true);
    let pairs = 0;
    for (let n = 0; n < 300; n++) {
      const list = n % 3 === 0 ? full : views;
      const prev = list[rng.int(0, list.length - 1)]!;
      const next =
        n % 2 === 0 ? list[rng.int(0, list.length - 1)]! : list[Math.min(list.length - 1, list.indexOf(prev) + 1)]!;
      expect(overTheWire(prev, next).view).toEqual(next);
      pairs++;
    }
    expect(pairs).toBe(300);
  });

  it('then it holds with alerts removed, re-raised, reordered and truncated by alertsMax', () => {
    for (let n = 0; n < 300; n++) {
      const prev = views[rng.int(0, views.length - 1)]!;
      const base = views[rng.int(0, views.length - 1)]!;
      const max = rng.int(5, 8);
      const next = {
        ...base,
        alerts: editAlerts(
          rng,
          [...base.alerts, ...prev.alerts.filter((a) => !base.alerts.some((b) => b.id === a.id))],
          max,
        ),
        alertsMax: max,
      };
      const { view, delta } = overTheWire(prev, next);
      expect(view).toEqual(next);
      if (prev.alerts.length > 0 && next.alerts.length === 0) expect(delta.alerts?.d).toHaveLength(prev.alerts.length);
    }
  });

  it('then the view it was applied to is left as it was and unchanged panels are the same objects', () => {
    const prev = views[10]!;
    const copy = structuredClone(prev);
    const next = views[11]!;
    const out = applyWallDelta(prev, diffWallViews(prev, next, 1));
    expect(prev).toEqual(copy);
    const unchanged = PANEL_KEYS.filter((k) => JSON.stringify(prev[k]) === JSON.stringify(next[k]));
    expect(unchanged.length).toBeGreaterThan(0);
    for (const k of unchanged) expect(out[k], k).toBe(prev[k]);
  });
});

describe('when one urgent case reaches a busy morning', () => {
  const p = newProjection('demo');
  const views = simulatedViews(p, 5000);
  const before = buildWallView(p, p.clock!, meta);
  const at = p.clock! + MINUTE_MS;
  foldAll(p, [
    received('URG-1', {
      ts: at,
      urgency: 'urgent',
      channel: 'district_line',
      street: 'hongshan',
      title: '主干道供水管爆裂',
    }),
  ]);
  const after = buildWallView(p, at, meta);
  const { view, delta, bytes } = overTheWire(before, after);

  it('then the ticker operation inserts that one alert at the top and removes what fell off the bound', () => {
    expect(views.length).toBeGreaterThan(3);
    expect(delta.alerts?.i).toEqual([[0, after.alerts[0]]]);
    expect(after.alerts[0]).toMatchObject({ caseId: 'URG-1', kind: 'urgent' });
    const fellOff = before.alerts.length === before.alertsMax ? [before.alerts.at(-1)!.id] : undefined;
    expect(delta.alerts?.d).toEqual(fellOff);
    expect(delta.alerts?.u).toBeUndefined();
  });

  it('then a counter panel carries only the fields that moved', () => {
    expect(delta.panels.caseFlow).toEqual({ o: { received: before.caseFlow.received + 1 } });
    expect(delta.panels.map).toEqual({ o: { markers: { k: 'caseId', i: [[0, after.map.markers[0]]] } } });
    expect(after.map.markers[0]?.caseId).toBe('URG-1');
  });

  it('then the delta is a small fraction of the panels it touches, and applied gives the new view', () => {
    const touched = Object.keys(delta.panels)
      .map((k) => JSON.stringify(after[k as keyof WallView]).length)
      .reduce((a, b) => a + b, 0);
    expect(bytes).toBeLessThan(1500);
    expect(bytes * 4).toBeLessThan(touched);
    expect(view).toEqual(after);
  });
});

describe('when the view changes beyond its panels', () => {
  it('then clock rate and drill travel in `view`, and a drill that ends is removed', () => {
    const p = newProjection('drill-a');
    foldAll(p, [received('d1')]);
    const drill = { scenario: 'rainstorm', title: '暴雨内涝', speed: 60, startedAt: T0, endsAt: T0 + HOUR_MS };
    const a = buildWallView(p, T0 + MINUTE_MS, { spaceKind: 'drill', clockRate: 1, drill });
    const b = buildWallView(p, T0 + 2 * MINUTE_MS, { spaceKind: 'drill', clockRate: 60 });
    const { view, delta } = overTheWire(a, b);
    expect(delta.view).toEqual({ o: { clockRate: 60 }, x: ['drill'] });
    expect(view).toEqual(b);
    expect('drill' in view).toBe(false);
  });
});

describe('when a message arrives on the socket', () => {
  it('then only the delta shape passes the check', () => {
    const p = newProjection();
    foldAll(p, [received('s1'), caseEvent('case.dispatched', 's1', T0 + MINUTE_MS, { unit: 'cgzf' })]);
    const d = diffWallViews(buildWallView(p, T0, meta), buildWallView(p, T0 + 2 * MINUTE_MS, meta), 3);
    expect(isWallDelta(JSON.parse(JSON.stringify(d)))).toBe(true);
    expect(isWallDelta({ seq: 3, now: T0, panels: {}, alerts: [] })).toBe(false);
    expect(isWallDelta({ seq: 3, now: T0, panels: null })).toBe(false);
    expect(isWallDelta({ seq: '3', now: T0, panels: {} })).toBe(false);
    expect(isWallDelta({ seq: 3, now: T0, panels: {}, alerts: 'x' })).toBe(false);
  });
});

/** Builds the wall's view of a space at `now` from its projection. */
import { CHANNELS, type AgentState, type Channel } from '../domain';
import { caseKpis } from '../kpi/rates';
import { callKpis, loadSummary, presenceRate } from '../kpi/callcentre';
import { addDays, shanghaiDateKey, type EpochMs } from '../time';
import type { CityopsConfig } from '../config';
import type { DrillInfo, AgentLoadPanel, HotlinePanel, SpaceKind, TrendPanel, WallSetup, WallView } from '../wall/view';
import { emptyDay, type DayFigures } from './day';
import { dutyView, linksView } from './duty';
import { scanLate } from './late';
import type { SpaceProjection } from './state';
import { mapView } from './map';
import { CALL_ID_SPAN_MS } from './ops';
import { categoriesView, channelsView, satisfactionView } from './mix';
import { rankingView } from './ranking';
import { rosterView } from './roster';
import { staffingView } from './staffing';

/** How the space is presented. */
export interface ViewMeta { readonly spaceKind: SpaceKind; readonly clockRate: number; readonly drill?: DrillInfo }

/** The complete view of a space at `now`. Pure: building a view changes nothing (the monitor writes what time reveals). */
export function buildWallView(p: SpaceProjection, now: EpochMs, meta: ViewMeta): WallView {
  const dayKey = shanghaiDateKey(now);
  const today = p.days.get(dayKey) ?? emptyDay(dayKey);
  const yesterday = p.days.get(addDays(dayKey, -1)) ?? emptyDay(addDays(dayKey, -1));
  const late = scanLate(p, now);
  const { duty, header, rostered } = dutyView(p, now);
  const links = linksView(p, now);
  const hotlinePanel = hotline(p, today, now);
  const extra = {
    map: mapView(p, now), ranking: rankingView(p, dayKey), satisfaction: satisfactionView(p, dayKey),
    channels: channelsView(today, yesterday), categories: categoriesView(today, yesterday, now), roster: rosterView(p, now, duty),
    staffing: staffingView(p, now, hotlinePanel),
  };
  return {
    ...(meta.drill ? { drill: meta.drill } : {}),
    space: p.space, spaceKind: meta.spaceKind, clockRate: meta.clockRate, centreName: p.ctx.config.centre.name, now, day: dayKey,
    lastEventAt: p.clock, alerts: p.alerts.slice(), alertsMax: p.ctx.config.alertsMax, setup: setupOf(p.ctx.config),
    header, duty, links,
    hotline: hotlinePanel, ...extra,
    agentLoad: agentLoad(p, today, rostered),
    caseFlow: { ...today.flow },
    overdue: { ...late, supervisedToday: today.supervised },
    trend: trend(today, yesterday),
    kpi: caseKpis(today.cases),
  };
}

/** Where the server serves the configured GeoJSON boundary file. */
export const GEOJSON_URL = '/api/v1/geojson';

const setups = new WeakMap<CityopsConfig, WallSetup>();

/** The wall's setup from the config (built once per config object). */
function setupOf(config: CityopsConfig): WallSetup {
  let s = setups.get(config);
  if (!s) {
    s = {
      streets: config.streets.map(({ id, name, col, row }) => ({ id, name, col, row })),
      units: Object.fromEntries(config.units.map((u) => [u.id, u.name])),
      colours: { ...config.colours },
      targets: { ...config.targets },
      thresholds: { ...config.thresholds },
      geojsonUrl: config.geojson ? GEOJSON_URL : null,
    };
    setups.set(config, s);
  }
  return s;
}

function agentsByState(p: SpaceProjection): Record<Exclude<AgentState, 'logged_out'>, number> {
  const out = { logged_in: 0, ready: 0, on_call: 0, after_call: 0, break: 0 };
  for (const a of p.agents.values()) if (a.state !== 'logged_out') out[a.state]++;
  return out;
}

function hotline(p: SpaceProjection, d: DayFigures, now: EpochMs): HotlinePanel {
  let waiting = 0;
  let oldest: EpochMs | null = null;
  for (const c of p.calls.values()) {
    // A call offered over a day ago is no longer one (its id may come back), swept or not yet.
    if (c.answeredAt !== null || now - c.offeredAt > CALL_ID_SPAN_MS) continue;
    waiting++;
    if (oldest === null || c.offeredAt < oldest) oldest = c.offeredAt;
  }
  const agents = agentsByState(p);
  const busy = agents.on_call + agents.after_call;
  const k = callKpis(d.calls);
  return {
    offered: d.calls.offered, answered: d.calls.answered, abandoned: d.calls.abandoned, answeredWithin15s: d.calls.answeredWithin15s,
    answerRate: k.answerRate, serviceLevel15: k.serviceLevel15, abandonRate: k.abandonRate, asaSec: k.asaSec, ahtSec: k.ahtSec,
    waiting, oldestWaitingSince: oldest, longestWaitSec: oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 1000)),
    agents, occupancy: busy + agents.ready === 0 ? null : busy / (busy + agents.ready), target: p.ctx.config.targets.answerRate,
  };
}

function agentLoad(p: SpaceProjection, d: DayFigures, rostered: number): AgentLoadPanel {
  const ids = new Set(d.agentCases.keys());
  for (const [id, a] of p.agents) if (a.state !== 'logged_out') ids.add(id);
  const agents = [...ids].map((id) => {
    const a = p.agents.get(id);
    return { id, name: a?.name ?? id, cases: d.agentCases.get(id) ?? 0, state: a?.state ?? 'logged_out' };
  }).sort((a, b) => b.cases - a.cases || a.id.localeCompare(b.id));
  const worked = agents.filter((a) => a.cases > 0).map((a) => a.cases);
  const onDuty = agents.filter((a) => a.state !== 'logged_out').length;
  return { band: { ...p.ctx.config.loadBand }, agents, summary: loadSummary(worked, p.ctx.config.loadBand), onDuty, rostered, presenceRate: presenceRate(onDuty, rostered) };
}

function trend(today: DayFigures, yesterday: DayFigures): TrendPanel {
  const series = {} as Record<Channel, number[]>;
  for (const ch of CHANNELS) series[ch] = today.trend[ch].slice();
  const y = new Array<number>(24).fill(0);
  for (const ch of CHANNELS) yesterday.trend[ch].forEach((n, h) => { y[h] = (y[h] ?? 0) + n; });
  return { day: today.day, today: series, yesterday: y };
}

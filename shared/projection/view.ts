/** Builds the wall's view of a space at `now` from its projection: the space and its clock, then every registered panel. */
import { addDays, shanghaiDateKey, type EpochMs } from '../time';
import type { CityopsConfig } from '../config';
import { caseKpis } from '../kpi/rates';
import type { DrillInfo, SpaceKind, WallSetup, WallView } from '../wall/view';
import { PANEL_KEYS, panelThresholds, type PanelKey, type WallPanels } from '../wall/registry';
import { emptyDay, type DayFigures } from './day';
import { dutyView, linksView } from './duty';
import { agentLoadView, hotlineView } from './hotline';
import { scanLate } from './late';
import { mapView } from './map';
import { categoriesView, channelsView, satisfactionView } from './mix';
import { rankingView } from './ranking';
import { rosterView } from './roster';
import { staffingView } from './staffing';
import type { SpaceProjection } from './state';
import { trendView } from './trend';

/** How the space is presented. */
export interface ViewMeta {
  readonly spaceKind: SpaceKind;
  readonly clockRate: number;
  readonly drill?: DrillInfo;
}

/** What a panel is built from: the space's projection at `now`, and the figures several panels share (computed once per view). */
export interface PanelInputs {
  readonly p: SpaceProjection;
  readonly now: EpochMs;
  /** The civil day (Asia/Shanghai) of `now`. */
  readonly dayKey: string;
  readonly today: DayFigures;
  readonly yesterday: DayFigures;
  /** The late-case scan at `now`. */
  readonly late: ReturnType<typeof scanLate>;
  /** The duty view at `now`: the duty panel, the header, the number of agents rostered. */
  readonly duty: ReturnType<typeof dutyView>;
  /** The hotline panel (the staffing check reads it). */
  readonly hotline: WallPanels['hotline'];
}

/** One builder per registered panel (a panel of the registry without one fails the typecheck); each is pure. */
const PANEL_BUILDERS: { readonly [K in PanelKey]: (i: PanelInputs) => WallPanels[K] } = {
  header: (i) => i.duty.header,
  hotline: (i) => i.hotline,
  agentLoad: (i) => agentLoadView(i.p, i.today, i.duty.rostered),
  caseFlow: (i) => ({ ...i.today.flow }),
  overdue: (i) => ({ ...i.late, supervisedToday: i.today.supervised }),
  trend: (i) => trendView(i.today, i.yesterday),
  duty: (i) => i.duty.duty,
  kpi: (i) => caseKpis(i.today.cases),
  links: (i) => linksView(i.p, i.now),
  map: (i) => mapView(i.p, i.now),
  ranking: (i) => rankingView(i.p, i.dayKey),
  satisfaction: (i) => satisfactionView(i.p, i.dayKey),
  channels: (i) => channelsView(i.today, i.yesterday),
  categories: (i) => categoriesView(i.today, i.yesterday, i.now),
  roster: (i) => rosterView(i.p, i.now, i.duty.duty),
  staffing: (i) => staffingView(i.p, i.now, i.hotline),
};

/** Every panel built from the same inputs. */
function buildPanels(i: PanelInputs): WallPanels {
  const out: Partial<Record<PanelKey, unknown>> = {};
  for (const key of PANEL_KEYS) out[key] = PANEL_BUILDERS[key](i);
  return out as WallPanels;
}

/** The complete view of a space at `now`. Pure: building a view changes nothing (the monitor writes what time reveals). */
export function buildWallView(p: SpaceProjection, now: EpochMs, meta: ViewMeta): WallView {
  const dayKey = shanghaiDateKey(now);
  const today = p.days.get(dayKey) ?? emptyDay(dayKey);
  const yesterday = p.days.get(addDays(dayKey, -1)) ?? emptyDay(addDays(dayKey, -1));
  const late = scanLate(p, now);
  const panels = buildPanels({
    p,
    now,
    dayKey,
    today,
    yesterday,
    late,
    duty: dutyView(p, now),
    hotline: hotlineView(p, today, now),
  });
  return {
    ...(meta.drill ? { drill: meta.drill } : {}),
    space: p.space,
    spaceKind: meta.spaceKind,
    clockRate: meta.clockRate,
    centreName: p.ctx.config.centre.name,
    now,
    day: dayKey,
    lastEventAt: p.clock,
    alerts: p.alerts.slice(),
    alertsMax: p.ctx.config.alertsMax,
    setup: setupOf(p.ctx.config),
    ...panels,
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
      panels: panelThresholds(config),
      geojsonUrl: config.geojson ? GEOJSON_URL : null,
    };
    setups.set(config, s);
  }
  return s;
}

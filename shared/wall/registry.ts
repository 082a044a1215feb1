/**
 * The wall's panels, one entry each: the panel's key in the view, its type, the `data-panel` element the page draws it
 * in, and the configured thresholds it is coloured by (sent to the wall in the view's setup). The view's panel types (`WallPanels`), the key list (`PANEL_KEYS`), the page's element list and the builders'
 * table (`PANEL_BUILDERS` in ../projection/view.ts, one builder per key) all derive from it, so a new panel is one entry here
 * that the compiler then asks a builder for. It carries no code, so the wall's page can import it.
 */
import type { CityopsConfig } from '../config';
import type { CaseKpis } from '../kpi/rates';
import type {
  AgentLoadPanel,
  CaseFlowPanel,
  CategoriesPanel,
  ChannelsPanel,
  DutyPanel,
  HeaderPanel,
  HotlinePanel,
  LinkStatus,
  MapPanel,
  OverduePanel,
  RankingPanel,
  RosterPanel,
  SatisfactionPanel,
  StaffingPanel,
  TrendPanel,
} from './panels';

/** One panel of the wall; `T` is the panel's type in the view, `Th` its thresholds (undefined: none of its own). */
export interface PanelEntry<T, Th = undefined> {
  /** The `data-panel` element the page draws the panel in (the KPI row is drawn inside the case-flow panel). */
  readonly element: string;
  /** The panel's thresholds from the configuration. */
  readonly thresholds?: (config: CityopsConfig) => Th;
  /** Type only: never set. */
  readonly type?: T;
}

const panel = <T, Th = undefined>(element: string, thresholds?: (config: CityopsConfig) => Th): PanelEntry<T, Th> =>
  thresholds ? { element, thresholds } : { element };

/** Every panel of the wall, in the order deltas list them. */
export const PANELS = {
  header: panel<HeaderPanel>('header'),
  hotline: panel<HotlinePanel, CityopsConfig['panelThresholds']['hotline']>(
    'hotline',
    (c) => c.panelThresholds.hotline,
  ),
  agentLoad: panel<AgentLoadPanel>('agent-load'),
  caseFlow: panel<CaseFlowPanel>('case-flow'),
  overdue: panel<OverduePanel>('overdue'),
  trend: panel<TrendPanel>('trend'),
  duty: panel<DutyPanel>('duty'),
  kpi: panel<CaseKpis>('case-flow'),
  links: panel<readonly LinkStatus[]>('links'),
  map: panel<MapPanel>('map'),
  ranking: panel<RankingPanel>('ranking'),
  satisfaction: panel<SatisfactionPanel>('satisfaction'),
  channels: panel<ChannelsPanel>('channels'),
  categories: panel<CategoriesPanel>('categories'),
  roster: panel<RosterPanel>('roster'),
  staffing: panel<StaffingPanel, CityopsConfig['panelThresholds']['staffing']>(
    'staffing',
    (c) => c.panelThresholds.staffing,
  ),
} as const;

/** Name of a panel (a key of the view that a delta can replace). */
export type PanelKey = keyof typeof PANELS;

/** The type of the panel `K`. */
export type PanelOf<K extends PanelKey> = (typeof PANELS)[K] extends PanelEntry<infer T, unknown> ? T : never;

/** The thresholds of the panel `K` (undefined for a panel with none of its own). */
type ThresholdsOf<K extends PanelKey> = (typeof PANELS)[K] extends PanelEntry<unknown, infer Th> ? Th : never;

/** Panels with thresholds of their own. */
type ThresholdedKey = { [K in PanelKey]: ThresholdsOf<K> extends undefined ? never : K }[PanelKey];

/** Each panel's own thresholds, by panel key (only panels that have some). */
export type PanelThresholds = { readonly [K in ThresholdedKey]: ThresholdsOf<K> };

/** The panels of a view, each of its entry's type. */
export type WallPanels = { readonly [K in PanelKey]: PanelOf<K> };

/** Panel names in the registry's order. */
export const PANEL_KEYS = Object.keys(PANELS) as readonly PanelKey[];

/** The `data-panel` elements of the wall page: every panel's, then the alert ticker's (`alerts`, a list of the view, not a panel). */
export const WALL_ELEMENTS: readonly string[] = [...new Set([...PANEL_KEYS.map((k) => PANELS[k].element), 'alerts'])];

/** Every panel's thresholds read from the configuration. */
export function panelThresholds(config: CityopsConfig): PanelThresholds {
  return Object.fromEntries(
    PANEL_KEYS.flatMap((k) => {
      const read: ((c: CityopsConfig) => unknown) | undefined = PANELS[k].thresholds;
      return read ? [[k, read(config)]] : [];
    }),
  ) as PanelThresholds;
}

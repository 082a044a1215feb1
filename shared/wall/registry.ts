/**
 * The wall's panels, one entry each: the panel's key in the view, its type, and the `data-panel` element the page draws
 * it in. The view's panel types (`WallPanels`), the key list (`PANEL_KEYS`), the page's element list and the builders'
 * table (`PANEL_BUILDERS` in ../projection/view.ts, one builder per key) all derive from it, so a new panel is one entry here
 * that the compiler then asks a builder for. It carries no code, so the wall's page can import it.
 */
import type { CaseKpis } from '../kpi/rates';
import type {
  AgentLoadPanel, CaseFlowPanel, CategoriesPanel, ChannelsPanel, DutyPanel, HeaderPanel, HotlinePanel, LinkStatus, MapPanel,
  OverduePanel, RankingPanel, RosterPanel, SatisfactionPanel, StaffingPanel, TrendPanel,
} from './panels';

/** One panel of the wall; `T` is the panel's type in the view. */
export interface PanelEntry<T> {
  /** The `data-panel` element the page draws the panel in (the KPI row is drawn inside the case-flow panel). */
  readonly element: string;
  /** Type only: never read. */
  readonly type?: T;
}

const panel = <T>(element: string): PanelEntry<T> => ({ element });

/** Every panel of the wall, in the order deltas list them. */
export const PANELS = {
  header: panel<HeaderPanel>('header'),
  hotline: panel<HotlinePanel>('hotline'),
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
  staffing: panel<StaffingPanel>('staffing'),
} as const;

/** Name of a panel (a key of the view that a delta can replace). */
export type PanelKey = keyof typeof PANELS;

/** The type of the panel `K`. */
export type PanelOf<K extends PanelKey> = (typeof PANELS)[K] extends PanelEntry<infer T> ? T : never;

/** The panels of a view, each of its entry's type. */
export type WallPanels = { readonly [K in PanelKey]: PanelOf<K> };

/** Panel names in the registry's order. */
export const PANEL_KEYS = Object.keys(PANELS) as readonly PanelKey[];

/** The `data-panel` elements of the wall page: every panel's, then the alert ticker's (`alerts`, a list of the view, not a panel). */
export const WALL_ELEMENTS: readonly string[] = [...new Set([...PANEL_KEYS.map((k) => PANELS[k].element), 'alerts'])];

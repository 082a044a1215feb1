/** The wall stream: a snapshot, then sequence-numbered deltas; one pure reducer applies a delta on both sides. */
import type { Alert, PanelKey, WallPanels, WallView } from './view';
import type { EpochMs } from '../time';

/** The full view at a sequence number. */
export interface WallSnapshot { readonly seq: number; readonly view: WallView }

/** Changes since the previous sequence number: replaced panels, new alerts (newest first), the clock. */
export interface WallDelta {
  readonly seq: number;
  readonly space: string;
  readonly now: EpochMs;
  readonly day: string;
  readonly lastEventAt: EpochMs | null;
  readonly panels: Partial<WallPanels>;
  readonly alerts: readonly Alert[];
}

/** Panel names in a fixed order. */
export const PANEL_KEYS: readonly PanelKey[] = ['header', 'hotline', 'agentLoad', 'caseFlow', 'overdue', 'trend', 'duty', 'kpi', 'links',
  'map', 'ranking', 'satisfaction', 'channels', 'categories', 'roster', 'staffing'];

/** Whether a delta follows a view's sequence number directly (otherwise the client must resync). */
export function followsDirectly(seq: number, delta: Pick<WallDelta, 'seq'>): boolean {
  return delta.seq === seq + 1;
}

/** Applies a delta to a view: replaces the panels it carries, prepends its alerts (bounded), moves the clock. */
export function applyWallDelta(view: WallView, delta: WallDelta): WallView {
  const alerts = delta.alerts.length === 0 ? view.alerts : [...delta.alerts, ...view.alerts].slice(0, view.alertsMax);
  return { ...view, ...delta.panels, now: delta.now, day: delta.day, lastEventAt: delta.lastEventAt, alerts };
}

/**
 * The delta that turns `prev` into `next`: panels whose content differs, alerts newer than prev's newest.
 */
export function diffWallViews(prev: WallView, next: WallView, seq: number): WallDelta {
  const panels: Partial<Record<PanelKey, unknown>> = {};
  for (const key of PANEL_KEYS) {
    if (JSON.stringify(prev[key]) !== JSON.stringify(next[key])) panels[key] = next[key];
  }
  const newestPrev = prev.alerts[0]?.id;
  const cut = newestPrev === undefined ? next.alerts.length : next.alerts.findIndex((a) => a.id === newestPrev);
  const alerts = next.alerts.slice(0, cut < 0 ? next.alerts.length : cut);
  return { seq, space: next.space, now: next.now, day: next.day, lastEventAt: next.lastEventAt, panels: panels as Partial<WallPanels>, alerts };
}

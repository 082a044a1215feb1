/**
 * What a wall shows: the view the server builds from a space's projection and streams as a snapshot, then deltas —
 * its panels (one per entry of `./registry`), the space and its clock, the alert ticker and the setup.
 * Times are epoch ms; durations say their unit.
 */
import type { EpochMs } from '../time';
import type { PanelThresholds, WallPanels } from './registry';

/** Kind of space a wall watches: real operations, the built-in demo feed, or a drill. */
export type SpaceKind = 'live' | 'demo' | 'drill';

/** Alert kinds on the ticker. */
export type AlertKind =
  | 'urgent'
  | 'mass'
  | 'sensitive'
  | 'emergency'
  | 'overdue'
  | 'at_risk'
  | 'link_down'
  | 'post_empty'
  | 'wall_silent'
  | 'supervised';

/** One ticker item. Text is built from citizen input: render it as text only. */
export interface Alert {
  readonly id: string;
  readonly at: EpochMs;
  readonly kind: AlertKind;
  readonly level: 'bad' | 'warn';
  readonly text: string;
  readonly caseId?: string;
  readonly street?: string;
  /** When the condition behind a time-revealed alert ended (the link beats again, the post is held), ms. */
  readonly clearedAt?: EpochMs;
}

/** What the wall needs from the configuration to name and colour what it shows (sent with each snapshot). */
export interface WallSetup {
  /** Streets in configuration order, with their place on the tile map. */
  readonly streets: readonly {
    readonly id: string;
    readonly name: string;
    readonly col: number;
    readonly row: number;
  }[];
  /** Handling units' names by id. */
  readonly units: Readonly<Record<string, string>>;
  readonly colours: { readonly good: string; readonly warn: string; readonly bad: string; readonly neutral: string };
  /** Targets as fractions. */
  readonly targets: {
    readonly answerRate: number;
    readonly serviceLevel15: number;
    readonly satisfaction: number;
    readonly presence: number;
  };
  /** Colour thresholds shared by every panel (fractions): a rate within `rateWarnBand` below target is amber; a score at or above `scoreGood` of its maximum is green, at or above `scoreWarn` amber; an overdue count up to `overdueWarnMax` is amber, above it red. */
  readonly thresholds: {
    readonly rateWarnBand: number;
    readonly scoreGood: number;
    readonly scoreWarn: number;
    readonly overdueWarnMax: number;
  };
  /** Panels' own thresholds (the hotline's wait and queue, the staffing shortfall), from each panel's registry entry. */
  readonly panels: PanelThresholds;
  /** URL of the configured GeoJSON boundary (features named by street name or id), or null for the tile map. */
  readonly geojsonUrl: string | null;
}

/** A drill running in a space: the scenario, its speed, and the drill window in the space's own (event) time. */
export interface DrillInfo {
  /** Scenario name, e.g. `rainstorm`. */
  readonly scenario: string;
  /** Scenario title, e.g. 暴雨内涝 Rainstorm waterlogging. */
  readonly title: string;
  /** Simulated seconds per wall second, or null at max speed. */
  readonly speed: number | null;
  /** Space time at which the drill starts (drill clock T+0), ms. */
  readonly startedAt: EpochMs;
  /** Space time at which the drill ends, ms. */
  readonly endsAt: EpochMs;
}

/** The whole view of one space. */
export interface WallView extends WallPanels {
  readonly space: string;
  readonly spaceKind: SpaceKind;
  readonly centreName: string;
  /** The space's clock when the view was built. */
  readonly now: EpochMs;
  /** How fast the space's clock runs against the wall clock (1 for live). */
  readonly clockRate: number;
  /** Set on a drill space: which scenario, at what speed, since when (the banner reads 演练 DRILL with them). */
  readonly drill?: DrillInfo;
  /** The civil day (Asia/Shanghai) the day figures are for. */
  readonly day: string;
  /** Event time of the newest event folded, or null for an empty space. */
  readonly lastEventAt: EpochMs | null;
  /** Newest first, at most `alertsMax`. */
  readonly alerts: readonly Alert[];
  readonly alertsMax: number;
  readonly setup: WallSetup;
}

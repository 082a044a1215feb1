/**
 * What a wall shows: the view the server builds from a space's projection and streams as a snapshot, then deltas.
 * All rates are fractions 0–1 (null when there is no denominator); times are epoch ms; durations say their unit.
 */
import type { DeskSummary } from '../duty/desk';
import type { PeriodFigures } from '../duty/figures';
import type { AgentState, Channel, ClockId, LinkId, Post } from '../domain';
import type { CaseKpis } from '../kpi/rates';
import type { LoadSummary } from '../kpi/callcentre';
import type { EpochMs } from '../time';
import type { CategoriesPanel, ChannelsPanel, MapPanel, RankingPanel, RosterPanel, SatisfactionPanel, StaffingPanel } from './panels';

/** Kind of space a wall watches: real operations, the built-in demo feed, or a drill. */
export type SpaceKind = 'live' | 'demo' | 'drill';

/** Header: who is on duty now. */
export interface HeaderPanel {
  readonly dutyLeader: string | null;
  readonly dutyOfficer: string | null;
  readonly shiftName: string | null;
}

/** 12345 hotline figures for the current day. */
export interface HotlinePanel {
  readonly offered: number;
  readonly answered: number;
  readonly abandoned: number;
  readonly answeredWithin15s: number;
  readonly answerRate: number | null;
  readonly serviceLevel15: number | null;
  readonly abandonRate: number | null;
  readonly asaSec: number | null;
  readonly ahtSec: number | null;
  /** Calls waiting in the queue now. */
  readonly waiting: number;
  /** Since when the longest-waiting call has waited (null when none waits). */
  readonly oldestWaitingSince: EpochMs | null;
  /** Seconds the longest-waiting call had waited at `now`. */
  readonly longestWaitSec: number;
  /** Agents by state now (logged-out agents are not counted). */
  readonly agents: Readonly<Record<Exclude<AgentState, 'logged_out'>, number>>;
  /** Instant occupancy: (on call + after-call) ÷ (ready + on call + after-call). */
  readonly occupancy: number | null;
  /** The answer-rate / service-level target (0.95). */
  readonly target: number;
}

/** One agent's load today. */
export interface AgentLoadRow { readonly id: string; readonly name: string; readonly cases: number; readonly state: AgentState }

/** Outsourced agents' load against the 10–15 band. */
export interface AgentLoadPanel {
  readonly band: { readonly min: number; readonly max: number };
  /** Agents who worked today or are logged in, most cases first. */
  readonly agents: readonly AgentLoadRow[];
  readonly summary: LoadSummary;
  readonly onDuty: number;
  readonly rostered: number;
  readonly presenceRate: number | null;
}

/** Today's case flow as a funnel: of the cases received today, how many have reached each step so far. */
export interface CaseFlowPanel {
  readonly received: number;
  /** Closed at intake without dispatch (answered on the spot). */
  readonly closedDirectly: number;
  readonly dispatched: number;
  readonly signed: number;
  readonly replied: number;
  readonly calledBack: number;
  readonly closed: number;
}

/** Counts per clock. */
export type ClockCounts = Readonly<Record<ClockId, number>> & { readonly total: number };

/** Late cases now. */
export interface OverduePanel {
  readonly overdue: ClockCounts;
  readonly atRisk: ClockCounts;
  /** Open cases in total. */
  readonly open: number;
  /** Cases supervised (督办) today. */
  readonly supervisedToday: number;
  /** Per street id: open and overdue cases now. */
  readonly byStreet: Readonly<Record<string, { readonly open: number; readonly overdue: number }>>;
  /** Units with the most overdue cases now (at most 8). */
  readonly topUnits: readonly { readonly unit: string; readonly overdue: number }[];
}

/** Cases received per hour by channel, today and yesterday. */
export interface TrendPanel {
  readonly day: string;
  readonly today: Readonly<Record<Channel, readonly number[]>>;
  /** Yesterday's total per hour (24 values). */
  readonly yesterday: readonly number[];
}

/** One duty post of the current shift. */
export interface DutyPost {
  readonly post: Post;
  readonly label: string;
  /** Who the roster puts on this post. */
  readonly rostered: string | null;
  /** Who has checked in to it. */
  readonly holder: string | null;
  readonly status: 'held' | 'empty';
}

/** A shift, for display. */
export interface ShiftInfo { readonly id: string; readonly name: string; readonly start: string; readonly end: string }

/** The 24-hour duty: who holds each post of the shift now, the next shift, the handover. */
export interface DutyPanel {
  readonly shift: ShiftInfo | null;
  readonly next: ShiftInfo | null;
  readonly posts: readonly DutyPost[];
  readonly handover: { readonly lastAt: EpochMs | null; readonly note: string | null; readonly late: boolean };
  /** The duty desk: open and unacknowledged items, the oldest unacknowledged one's start, the highest escalation. */
  readonly desk: DeskSummary;
  /** 接报及时率, median time to acknowledge, 信息报送及时率 of the shift on now and of the month. */
  readonly figures: PeriodFigures;
}

/** An upstream link's health. */
export interface LinkStatus { readonly id: LinkId; readonly label: string; readonly up: boolean; readonly lastBeatAt: EpochMs | null }

/** Alert kinds on the ticker. */
export type AlertKind = 'urgent' | 'mass' | 'sensitive' | 'emergency' | 'overdue' | 'at_risk' | 'link_down' | 'post_empty' | 'wall_silent' | 'supervised';

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

/** The panels a delta can replace. */
export interface WallPanels {
  readonly header: HeaderPanel;
  readonly hotline: HotlinePanel;
  readonly agentLoad: AgentLoadPanel;
  readonly caseFlow: CaseFlowPanel;
  readonly overdue: OverduePanel;
  readonly trend: TrendPanel;
  readonly duty: DutyPanel;
  readonly kpi: CaseKpis;
  readonly links: readonly LinkStatus[];
  readonly map: MapPanel;
  readonly ranking: RankingPanel;
  readonly satisfaction: SatisfactionPanel;
  readonly channels: ChannelsPanel;
  readonly categories: CategoriesPanel;
  readonly roster: RosterPanel;
  readonly staffing: StaffingPanel;
}

/** Name of a replaceable panel. */
export type PanelKey = keyof WallPanels;

/** What the wall needs from the configuration to name and colour what it shows (sent with each snapshot). */
export interface WallSetup {
  /** Streets in configuration order, with their place on the tile map. */
  readonly streets: readonly { readonly id: string; readonly name: string; readonly col: number; readonly row: number }[];
  /** Handling units' names by id. */
  readonly units: Readonly<Record<string, string>>;
  readonly colours: { readonly good: string; readonly warn: string; readonly bad: string; readonly neutral: string };
  /** Targets as fractions. */
  readonly targets: { readonly answerRate: number; readonly serviceLevel15: number; readonly satisfaction: number; readonly presence: number };
  /** Colour thresholds shared by every panel (fractions): a rate within `rateWarnBand` below target is amber; a score at or above `scoreGood` of its maximum is green, at or above `scoreWarn` amber; an overdue count up to `overdueWarnMax` is amber, above it red. */
  readonly thresholds: { readonly rateWarnBand: number; readonly scoreGood: number; readonly scoreWarn: number; readonly overdueWarnMax: number };
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

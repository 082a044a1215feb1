/**
 * The shape of each of the wall's panels (what `./registry` builds for each key): header, hotline, agents' load, case
 * flow, overdue, trend, duty, links, map, ranking, satisfaction, channel and category mix, the 24-hour roster and the
 * Erlang C staffing check. Rates are fractions 0–1 (null when there is no denominator); times are epoch ms; durations
 * say their unit.
 */
import type { DeskSummary } from '../duty/desk';
import type { PeriodFigures } from '../duty/figures';
import type { AgentState, Channel, ClockId, LinkId, Post } from '../domain';
import type { LoadSummary } from '../kpi/callcentre';
import type { EpochMs } from '../time';

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
export interface AgentLoadRow {
  readonly id: string;
  readonly name: string;
  readonly cases: number;
  readonly state: AgentState;
}

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
export interface ShiftInfo {
  readonly id: string;
  readonly name: string;
  readonly start: string;
  readonly end: string;
}

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
export interface LinkStatus {
  readonly id: LinkId;
  readonly label: string;
  readonly up: boolean;
  readonly lastBeatAt: EpochMs | null;
}

/** A live marker on the map: a recent urgent or sensing (智能感知) case still open. Title is citizen text. */
export interface MapMarker {
  readonly caseId: string;
  readonly street: string;
  readonly kind: 'urgent' | 'sensing';
  readonly at: EpochMs;
  readonly lat: number | null;
  readonly lng: number | null;
  readonly title: string;
}

/** The map's live layer (street colours come from the overdue panel's byStreet). */
export interface MapPanel {
  /** Newest first, at most `MAP_MARKERS_MAX`. */
  readonly markers: readonly MapMarker[];
  /** How far back markers reach, minutes of space time. */
  readonly windowMin: number;
}

/** One ranked handling unit. */
export interface RankingRow {
  readonly unit: string;
  readonly rank: number;
  /** Total score and the most it could be (sum of the configured weights). */
  readonly score: number;
  readonly max: number;
  /** 数据不足: too little of the weight could be judged; no score, ranked last. */
  readonly insufficient: boolean;
  /** Cases dispatched to the unit in the period. */
  readonly cases: number;
  readonly onTimeRate: number | null;
  readonly satisfaction: number | null;
}

/** Handling units ranked by the configured scorecard over a period (units with no cases in it are left out). */
export interface RankingPanel {
  /** Days summed (today and the days before it). */
  readonly days: number;
  /** Highest first, at most `RANKING_MAX`. */
  readonly rows: readonly RankingRow[];
}

/** One day's satisfaction. */
export interface SatisfactionDay {
  readonly day: string;
  readonly evaluated: number;
  readonly rate: number | null;
}

/** 市民满意度 today and the last 7 days, against the target. */
export interface SatisfactionPanel {
  readonly today: number | null;
  readonly todayEvaluated: number;
  /** The 7 days ending today, together. */
  readonly week: number | null;
  readonly weekEvaluated: number;
  /** Oldest first, 7 entries ending today. */
  readonly days: readonly SatisfactionDay[];
  readonly target: number;
}

/** Today's cases by channel, with yesterday's count to compare. */
export interface ChannelsPanel {
  readonly rows: readonly { readonly channel: Channel; readonly today: number; readonly yesterday: number }[];
}

/** Top categories today with yesterday's whole-day count and yesterday's count by the same time of day. */
export interface CategoriesPanel {
  readonly rows: readonly {
    readonly category: string;
    readonly today: number;
    readonly yesterday: number;
    readonly yesterdayByNow: number;
  }[];
}

/** One shift of a day's roster on the 24-hour timeline. */
export interface RosterShift {
  readonly id: string;
  readonly name: string;
  readonly start: string;
  readonly end: string;
  /** Minutes from the day's midnight; the end may pass 1440 for a shift into the next day. */
  readonly startMin: number;
  readonly endMin: number;
  readonly current: boolean;
  readonly next: boolean;
  /** Each post: who is rostered and, for the current shift, who holds it. */
  readonly posts: readonly {
    readonly post: Post;
    readonly label: string;
    readonly rostered: string;
    readonly holder: string | null;
    readonly empty: boolean;
  }[];
}

/** The day's roster as a 24-hour timeline. */
export interface RosterPanel {
  readonly day: string;
  /** Minutes since midnight of `day` at the view's time. */
  readonly nowMin: number;
  /** Shifts overlapping the civil day, in time order (at most 12). */
  readonly shifts: readonly RosterShift[];
  readonly emptyPosts: number;
  readonly handoverLate: boolean;
}

/** Erlang C staffing check for the hotline. */
export interface StaffingPanel {
  /** Calls offered in the last `windowMin` minutes, scaled to an hour. */
  readonly callsPerHour: number;
  readonly windowMin: number;
  /** Average handling time used, seconds (today's, or the configured default before any call is handled). */
  readonly ahtSec: number;
  /** Service level goal: share answered within `targetSec`. */
  readonly level: number;
  readonly targetSec: number;
  /** Agents Erlang C needs for the goal. */
  readonly needed: number;
  /** Agents ready now, and staffed (ready + on call + after-call work). */
  readonly ready: number;
  readonly staffed: number;
  /** Service level the staffed agents would give at this load (null with no traffic). */
  readonly predicted: number | null;
}

/** Most markers on the map. */
export const MAP_MARKERS_MAX = 24;
/** Most rows of the ranking. */
export const RANKING_MAX = 20;
/** Most categories shown. */
export const CATEGORIES_MAX = 8;

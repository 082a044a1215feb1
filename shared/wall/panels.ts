/**
 * The wall's command-centre panels beyond the first wall: map markers, unit ranking, satisfaction, channel and
 * category mix, the 24-hour roster and the Erlang C staffing check. Rates are fractions 0–1 (null when there is no
 * denominator); times are epoch ms; durations say their unit.
 */
import type { Channel, Post } from '../domain';
import type { EpochMs } from '../time';

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
export interface SatisfactionDay { readonly day: string; readonly evaluated: number; readonly rate: number | null }

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
export interface ChannelsPanel { readonly rows: readonly { readonly channel: Channel; readonly today: number; readonly yesterday: number }[] }

/** Top categories today with yesterday's whole-day count and yesterday's count by the same time of day. */
export interface CategoriesPanel { readonly rows: readonly { readonly category: string; readonly today: number; readonly yesterday: number; readonly yesterdayByNow: number }[] }

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
  readonly posts: readonly { readonly post: Post; readonly label: string; readonly rostered: string; readonly holder: string | null; readonly empty: boolean }[];
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

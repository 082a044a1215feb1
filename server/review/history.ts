/**
 * The review history: which checkpoints of a space are kept so that a review (复盘) of any past instant starts near it
 * instead of folding the log from its beginning. A new entry is taken when the monitor checkpoints a space whose clock
 * has moved at least `intervalMs` since the last entry; the entries of the last `recentMs` of space clock are all kept,
 * older ones one per civil day (Asia/Shanghai, the day's earliest) for `daysKept` days, and never more than `maxEntries`.
 * Pure: the read model applies it to its table.
 */
import { DAY_MS, HOUR_MS, shanghaiDateKey, type EpochMs } from '@shared/time';

/** How the review history is kept; every duration is space-clock ms. */
export interface HistoryPolicy {
  /** Least space clock between two entries (default an hour). */
  readonly intervalMs: number;
  /** Every entry this close to the newest is kept (default 48 h). */
  readonly recentMs: number;
  /** Older entries: the day's earliest, for this many days back from the newest (default 90). */
  readonly daysKept: number;
  /** Most entries of a space; the oldest go first (default 200). */
  readonly maxEntries: number;
}

/** The default policy: hourly entries for two days, then daily for 90 days, at most 200 per space. */
export const DEFAULT_HISTORY_POLICY: HistoryPolicy = {
  intervalMs: HOUR_MS,
  recentMs: 48 * HOUR_MS,
  daysKept: 90,
  maxEntries: 200,
};

/** One entry: the log seq of its checkpoint and the space clock it stands for (ms). */
export interface HistoryEntry {
  readonly seq: number;
  readonly clock: EpochMs;
}

/** Whether a checkpoint at space clock `clock` should join the history whose newest entry stands for `last` (null: none). */
export function historyDue(last: EpochMs | null, clock: EpochMs, policy: HistoryPolicy): boolean {
  return last === null || clock - last >= policy.intervalMs;
}

/** The seqs of the entries the policy drops, given every entry of a space (any order). */
export function historyToPrune(entries: readonly HistoryEntry[], policy: HistoryPolicy): number[] {
  if (entries.length === 0) return [];
  const sorted = [...entries].sort((a, b) => a.clock - b.clock || a.seq - b.seq);
  const newest = sorted[sorted.length - 1]!.clock;
  const oldestDay = newest - policy.daysKept * DAY_MS;
  const keep: HistoryEntry[] = [];
  const drop: number[] = [];
  const daysSeen = new Set<string>();
  for (const e of sorted) {
    if (newest - e.clock < policy.recentMs) keep.push(e);
    else if (e.clock < oldestDay) drop.push(e.seq);
    else {
      // Oldest first: the first entry met of a day is the day's earliest.
      const day = shanghaiDateKey(e.clock);
      if (daysSeen.has(day)) drop.push(e.seq);
      else {
        daysSeen.add(day);
        keep.push(e);
      }
    }
  }
  const over = keep.length - Math.max(1, policy.maxEntries);
  for (let i = 0; i < over; i++) drop.push(keep[i]!.seq);
  return drop;
}

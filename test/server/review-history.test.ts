/** The review history's policy: when a checkpoint joins it, and which entries are kept as the space's clock moves. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY_POLICY, historyDue, historyToPrune, type HistoryEntry } from '../../server/review/history';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';

const policy = { intervalMs: HOUR_MS, recentMs: 48 * HOUR_MS, daysKept: 10, maxEntries: 50 };
const START = shanghaiInstant('2026-11-01', '00:00');

/** The entries a space gathers when a checkpoint is offered every `stepMs` for `hours` of clock, pruned after each. */
function gather(hours: number, stepMs: number, p = policy): HistoryEntry[] {
  let entries: HistoryEntry[] = [];
  let seq = 0;
  for (let clock = START; clock <= START + hours * HOUR_MS; clock += stepMs) {
    seq += 100;
    const last = entries.length === 0 ? null : Math.max(...entries.map((e) => e.clock));
    if (!historyDue(last, clock, p)) continue;
    entries.push({ seq, clock });
    const drop = new Set(historyToPrune(entries, p));
    entries = entries.filter((e) => !drop.has(e.seq));
  }
  return entries.sort((a, b) => a.clock - b.clock);
}

describe('when checkpoints are offered to the review history', () => {
  it('then one joins only after the interval of space clock since the newest entry', () => {
    expect(historyDue(null, START, policy)).toBe(true);
    expect(historyDue(START, START + 59 * MINUTE_MS, policy)).toBe(false);
    expect(historyDue(START, START + HOUR_MS, policy)).toBe(true);
    // A clock that went back (a space replayed again) adds nothing.
    expect(historyDue(START, START - HOUR_MS, policy)).toBe(false);
  });

  it('then a checkpoint every 10 minutes for a day keeps one an hour: 25 entries, an hour apart', () => {
    const entries = gather(24, 10 * MINUTE_MS);
    expect(entries).toHaveLength(25);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.clock - entries[i - 1]!.clock).toBe(HOUR_MS);
  });

  it('then after 20 days the last 48 h are hourly and the days back to 10 before the newest keep their earliest entry', () => {
    const entries = gather(20 * 24, 10 * MINUTE_MS, { ...policy, maxEntries: 100 });
    const newest = entries[entries.length - 1]!.clock;
    expect(newest).toBe(START + 480 * HOUR_MS);
    const recent = entries.filter((e) => newest - e.clock < 48 * HOUR_MS);
    expect(recent).toHaveLength(48);
    const older = entries.filter((e) => newest - e.clock >= 48 * HOUR_MS);
    // The 00:00 entry of each day from 10 days before the newest (hour 240) to 48 h before it (hour 432).
    expect(older.map((e) => (e.clock - START) / HOUR_MS)).toEqual([240, 264, 288, 312, 336, 360, 384, 408, 432]);
    expect(Math.min(...entries.map((e) => e.clock))).toBeGreaterThanOrEqual(newest - 10 * 24 * HOUR_MS);
  });

  it('then the cap drops the oldest entries first', () => {
    const entries = gather(20 * 24, 10 * MINUTE_MS, { ...policy, maxEntries: 30 });
    expect(entries).toHaveLength(30);
    const newest = entries[entries.length - 1]!.clock;
    // The 30 kept are the newest 30 hourly entries.
    expect(entries[0]!.clock).toBe(newest - 29 * HOUR_MS);
  });

  it('then the defaults keep hourly entries for two days and one a day for 90 days, at most 200', () => {
    const entries = gather(120 * 24, HOUR_MS, DEFAULT_HISTORY_POLICY);
    const newest = entries[entries.length - 1]!.clock;
    expect(entries.filter((e) => newest - e.clock < 48 * HOUR_MS)).toHaveLength(48);
    // 90 days back: days 30..117 of 120 keep their 00:00 entry (88 days beyond the recent 48 h).
    expect(entries).toHaveLength(48 + 89);
    expect(entries.length).toBeLessThanOrEqual(DEFAULT_HISTORY_POLICY.maxEntries);
    expect(entries[0]!.clock).toBe(newest - 90 * 24 * HOUR_MS);
  });

  it('then an empty history prunes nothing', () => {
    expect(historyToPrune([], policy)).toEqual([]);
  });
});

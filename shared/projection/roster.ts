/** The 24-hour duty timeline: the day's shifts with their posts, who holds the current ones, empty posts, handover. */
import { POST_LABELS } from '../domain';
import { MINUTE_MS, shanghaiDateKey, shanghaiMidnight, type EpochMs } from '../time';
import type { DutyPanel, RosterPanel, RosterShift } from '../wall/panels';
import { currentShift, placedShifts, type PlacedShift } from './duty';
import type { SpaceProjection } from './state';

/**
 * The shifts overlapping the civil day of `now` on a minute axis from its midnight, and the next shift even when it
 * starts after that day (the night shift after an evening shift that ends past midnight); the current shift's posts
 * from `duty`.
 */
export function rosterView(p: SpaceProjection, now: EpochMs, duty: DutyPanel): RosterPanel {
  const day = shanghaiDateKey(now);
  const midnight = shanghaiMidnight(day);
  const dayEnd = midnight + 1440 * MINUTE_MS;
  const { current, next } = currentShift(p, now);
  const isCurrentShift = (s: PlacedShift): boolean =>
    current !== null && current.start === s.start && current.shift.id === s.shift.id;
  const isNextShift = (s: PlacedShift): boolean =>
    next !== null && next.start === s.start && next.shift.id === s.shift.id;
  const shifts: RosterShift[] = placedShifts(p, now)
    .filter((s) => (s.end > midnight && s.start < dayEnd) || isNextShift(s))
    .slice(0, 13)
    .map((s) => {
      const isCurrent = isCurrentShift(s);
      const isNext = isNextShift(s);
      const posts = s.shift.posts.map((slot) => {
        const held = isCurrent ? (duty.posts.find((d) => d.post === slot.post)?.holder ?? null) : null;
        return {
          post: slot.post,
          label: POST_LABELS[slot.post],
          rostered: slot.name,
          holder: held,
          empty: isCurrent && held === null,
        };
      });
      return {
        id: s.shift.id,
        name: s.shift.name,
        start: s.shift.start,
        end: s.shift.end,
        startMin: Math.round((s.start - midnight) / MINUTE_MS),
        endMin: Math.round((s.end - midnight) / MINUTE_MS),
        current: isCurrent,
        next: isNext,
        posts,
      };
    });
  return {
    day,
    nowMin: Math.floor((now - midnight) / MINUTE_MS),
    shifts,
    emptyPosts: duty.posts.filter((x) => x.status === 'empty').length,
    handoverLate: duty.handover.late,
  };
}

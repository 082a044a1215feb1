/**
 * The space clock rule: the live space runs on the wall clock; demo and drill spaces replay at their own speed, so
 * their "now" is the newest event time they have folded.
 */
import type { EpochMs } from '../time';

/**
 * The instant (ms) a space of `kind` reads its figures at, from its newest folded event time and the wall clock: the
 * wall clock for `live`, the newest event time otherwise — null while a demo or drill space has folded no event yet.
 */
export function spaceClockAt(
  kind: 'live' | 'demo' | 'drill',
  newestEventAt: EpochMs | null,
  wallNow: EpochMs,
): EpochMs | null {
  return kind === 'live' ? wallNow : newestEventAt;
}

/**
 * Links from wall figures to the supervisors' late-case list: `/cases?space=…&status=…&street=…&unit=…&channel=…&clock=…`
 * (absent filters omitted; `late` means overdue or at risk). The contract the /cases page reads.
 */
import { computed } from 'vue';
import { useWallStore } from '../stores/wall';
import type { Channel, ClockId } from '@shared/domain';

/** Which late cases a figure stands for. */
export interface CaseFilter {
  readonly status: 'overdue' | 'at_risk' | 'late';
  readonly street?: string;
  readonly unit?: string;
  readonly channel?: Channel;
  readonly clock?: ClockId;
}

/** The late-case list's address for a space and filter, parameters in the contract's order. */
export function caseListHref(space: string, f: CaseFilter): string {
  const q = new URLSearchParams({ space, status: f.status });
  if (f.street) q.set('street', f.street);
  if (f.unit) q.set('unit', f.unit);
  if (f.channel) q.set('channel', f.channel);
  if (f.clock) q.set('clock', f.clock);
  return `/cases?${q.toString()}`;
}

/** A function from filter to address, for the space the wall watches. */
export function useCaseLink(): (f: CaseFilter) => string {
  const wall = useWallStore();
  const space = computed(() => wall.view?.space ?? 'live');
  return (f) => caseListHref(space.value, f);
}

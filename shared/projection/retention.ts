/**
 * What a space's projection keeps, and for how long: the wall shows today, yesterday and the ranking's 7 days, the
 * open cases, and what is happening now. Everything older leaves memory here — never while a view is built.
 */
import { DAY_MS, shanghaiDateKey, type EpochMs } from '../time';
import { evictClosed } from './cases';
import { CALL_ID_SPAN_MS } from './ops';
import { RESOLVED_KEPT_MS, sweepItems } from '../duty/items';
import { HANDOVER_KEPT_MS, sweepHandovers } from '../duty/handover';
import type { SpaceProjection } from './state';

/** Days of day figures kept (the ranking's 7 days and the day before, for yesterday's comparison). */
export const DAYS_KEPT = 8;
/** How long a closed case stays in memory after its last event, ms (a late exemption or merge finds it there). */
export const CLOSED_KEPT_MS = DAY_MS;

/** Drops what no figure needs at `now`: day figures, check-ins, handovers and rosters of dates older than 8 days, resolved duty items older than 32 days, handover records of shifts that ended over 8 days ago (the read model keeps them), calls offered over a day ago, closed cases. */
export function sweep(p: SpaceProjection, now: EpochMs): { evicted: number } {
  const oldest = shanghaiDateKey(now - DAYS_KEPT * DAY_MS);
  for (const k of p.days.keys()) if (k < oldest) p.days.delete(k);
  for (const k of p.checkIns.keys()) if (k < oldest) p.checkIns.delete(k);
  for (const k of p.rosters.keys()) if (k < oldest) p.rosters.delete(k);
  for (const k of p.handovers.keys()) if (k < oldest) p.handovers.delete(k);
  for (const [id, c] of p.calls) if (now - c.offeredAt > CALL_ID_SPAN_MS) p.calls.delete(id);
  sweepItems(p.items, now - RESOLVED_KEPT_MS, (it) =>
    it.caseId !== null && it.alertId === null ? p.open.has(it.caseId) : it.alertId !== null && p.active.has(it.alertId),
  );
  sweepHandovers(p, now - HANDOVER_KEPT_MS);
  return { evicted: evictClosed(p, now - CLOSED_KEPT_MS) };
}
